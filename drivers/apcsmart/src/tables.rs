//! The Smart protocol as data: which command byte feeds which NUT variable and how its value
//! is converted, the instant commands, the status register bits, the alert characters and
//! the firmware table used for units that do not answer the command-set query `a`.
//!
//! Facts from NUT 2.8.5's `drivers/apcsmart_tabs.c` / `apcsmart.h` and its man page
//! `apcsmart(8)`; the protocol library page (networkupstools.org/protocols/apcsmart.html).

/// How a raw value becomes a NUT value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// Passed through as the UPS sends it (percent, volts, amps, Celsius, hex, decimal,
    /// seconds: NUT does not convert these).
    Leave,
    /// Minutes, published in seconds.
    Minutes,
    /// Hours, published in seconds.
    Hours,
    /// The cause of the last transfer (`G`), published as NUT's sentence.
    Reason,
}

/// What a raw value must look like for the variable to be taken (NUT's per-entry regex).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Anything.
    Any,
    /// `^[0-9]{2}\.[0-9]{2}$` (`T` as a Measure-UPS probe temperature).
    Temp2,
    /// `^[0-9]{3}\.[0-9]{1}$` (`T` as the uptime in hours).
    Uptime,
    /// `^[[:alnum:]]+\.[[:alnum:]]+\.[[:alnum:]]+$` (`b` as a firmware revision).
    Firmware3,
}

/// A variable of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarDef {
    /// NUT name (packed variables carry `.0.`, replaced by the field number from 1).
    pub name: &'static str,
    /// Command byte.
    pub cmd: u8,
    /// Read at every poll (otherwise at start-up and in the hourly full scan).
    pub poll: bool,
    /// One of several table entries for the same NUT name or command byte: the first whose
    /// answer passes its check is kept (NUT's APC_MULTI).
    pub multi: bool,
    /// A comma-separated answer published as `.1.`, `.2.` ... (NUT's APC_PACK).
    pub pack: bool,
    /// One of the two 8-character EEPROM strings, written with `-` (NUT's APC_STRING).
    pub string: bool,
    /// Conversion.
    pub fmt: Fmt,
    /// Format check of the raw answer.
    pub check: Check,
}

const fn v(name: &'static str, cmd: u8, poll: bool, fmt: Fmt) -> VarDef {
    VarDef { name, cmd, poll, multi: false, pack: false, string: false, fmt, check: Check::Any }
}

const fn pk(name: &'static str, cmd: u8) -> VarDef {
    VarDef {
        name,
        cmd,
        poll: true,
        multi: false,
        pack: true,
        string: false,
        fmt: Fmt::Leave,
        check: Check::Any,
    }
}

const fn st(name: &'static str, cmd: u8) -> VarDef {
    VarDef {
        name,
        cmd,
        poll: false,
        multi: false,
        pack: false,
        string: true,
        fmt: Fmt::Leave,
        check: Check::Any,
    }
}

const fn mu(name: &'static str, cmd: u8, poll: bool, pack: bool, fmt: Fmt, check: Check) -> VarDef {
    VarDef { name, cmd, poll, multi: true, pack, string: false, fmt, check }
}

use Fmt::{Hours, Leave, Minutes, Reason};

/// NUT's variable table, in its order (the order of reads, and of preference among
/// [`VarDef::multi`] entries).
pub const VARS: &[VarDef] = &[
    v("ups.temperature", b'C', true, Leave),
    v("ups.load", b'P', true, Leave),
    v("ups.test.interval", b'E', false, Hours),
    v("ups.test.result", b'X', true, Leave),
    v("ups.delay.start", b'r', false, Leave),
    v("ups.delay.shutdown", b'p', false, Leave),
    st("ups.id", b'c'),
    v("ups.contacts", b'i', true, Leave),
    v("ups.display.language", 0x0c, false, Leave),
    v("input.voltage", b'L', true, Leave),
    v("input.frequency", b'F', true, Leave),
    v("input.sensitivity", b's', false, Leave),
    v("input.quality", b'9', true, Leave),
    v("input.transfer.low", b'l', false, Leave),
    v("input.transfer.high", b'u', false, Leave),
    v("input.transfer.reason", b'G', true, Reason),
    v("input.voltage.maximum", b'M', true, Leave),
    v("input.voltage.minimum", b'N', true, Leave),
    v("output.current", b'/', true, Leave),
    v("output.voltage", b'O', true, Leave),
    v("output.voltage.nominal", b'o', false, Leave),
    v("ambient.humidity", b'h', true, Leave),
    pk("ambient.0.humidity", b'H'),
    pk("ambient.0.humidity.high", b'{'),
    pk("ambient.0.humidity.low", b'}'),
    v("ambient.temperature", b't', true, Leave),
    mu("ambient.0.temperature", b'T', true, true, Leave, Check::Temp2),
    pk("ambient.0.temperature.high", b'['),
    pk("ambient.0.temperature.low", b']'),
    st("battery.date", b'x'),
    v("battery.charge", b'f', true, Leave),
    v("battery.charge.restart", b'e', false, Leave),
    v("battery.voltage", b'B', true, Leave),
    v("battery.voltage.nominal", b'g', false, Leave),
    v("battery.runtime", b'j', true, Minutes),
    v("battery.runtime.low", b'q', false, Minutes),
    v("battery.packs", b'>', false, Leave),
    v("battery.packs.bad", b'<', false, Leave),
    v("battery.alarm.threshold", b'k', false, Leave),
    mu("device.uptime", b'T', true, false, Hours, Check::Uptime),
    v("ups.serial", b'n', false, Leave),
    v("ups.mfr.date", b'm', false, Leave),
    v("ups.model", 0x01, false, Leave),
    v("ups.firmware.aux", b'v', false, Leave),
    mu("ups.firmware", b'b', false, false, Leave, Check::Firmware3),
    mu("ups.firmware", b'V', false, false, Leave, Check::Any),
];

/// NUT 2.8.5's two-byte queries, announced after a fourth `.` section of the `a` answer as
/// `prefix:subs` (Smart-UPS SPM series). Debian's 2.8.0 lacks them.
pub const DUAL_VARS: &[(&str, u8, u8)] = &[("input.frequency", 0x9f, 0xd3), ("battery.current", 0x9f, 0xd4)];

/// The variable `F` is published as when the two-byte input frequency is present.
pub const F_WITH_DUAL_INPUT: &str = "output.frequency";

/// Most fields of a packed variable that are published.
pub const PACK_MAX: usize = 4;

/// Length of the two EEPROM strings (`c`, `x`).
pub const STRLEN: usize = 8;

/// What an instant command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdKind {
    /// Send the byte once and expect `OK`.
    Plain,
    /// Send the byte twice, 1.3 s apart, and expect `OK` (NUT's APC_REPEAT).
    Repeat,
    /// `D` after checking the calibration bit: start.
    CalStart,
    /// `D` after checking the calibration bit: stop.
    CalStop,
    /// `^N` twice, no answer expected.
    LoadOn,
    /// Instant power off: `Z` twice, no answer expected.
    OffZ,
    /// Delayed power off: `K` twice.
    StayOffK,
    /// Soft hibernate `S`, or with the `cs` parameter the "force OB hack" (`U` then `S`).
    SoftOrCs,
    /// Hard hibernate `@nnn` with the `at:NNN` parameter.
    HardAt,
}

/// An instant command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmdDef {
    /// NUT name.
    pub name: &'static str,
    /// The byte whose presence in the command set makes it available.
    pub cmd: u8,
    /// Must be given twice, 3 to 15 s apart, to act (NUT's APC_NASTY).
    pub nasty: bool,
    /// What it does.
    pub kind: CmdKind,
}

const fn c(name: &'static str, cmd: u8, nasty: bool, kind: CmdKind) -> CmdDef {
    CmdDef { name, cmd, nasty, kind }
}

/// NUT's instant command table. `shutdown.return` appears twice: with an `at:NNN` parameter
/// (the `@` command) and without one or with `cs` (the `S` command).
pub const CMDS: &[CmdDef] = &[
    c("shutdown.return", b'@', true, CmdKind::HardAt),
    c("shutdown.return", b'S', true, CmdKind::SoftOrCs),
    c("shutdown.stayoff", b'K', true, CmdKind::StayOffK),
    c("load.off", b'Z', true, CmdKind::OffZ),
    c("load.on", 0x0e, false, CmdKind::LoadOn),
    c("calibrate.start", b'D', false, CmdKind::CalStart),
    c("calibrate.stop", b'D', false, CmdKind::CalStop),
    c("test.panel.start", b'A', false, CmdKind::Plain),
    c("test.failure.start", b'U', false, CmdKind::Plain),
    c("test.battery.start", b'W', false, CmdKind::Plain),
    c("test.battery.stop", b'W', false, CmdKind::Plain),
    c("bypass.start", b'^', false, CmdKind::Plain),
    c("bypass.stop", b'^', false, CmdKind::Plain),
];

/// The window (seconds) in which a dangerous command must be repeated.
pub const NASTY_WINDOW: (u64, u64) = (3, 15);

/// Command bytes NUT's driver uses internally or does not expose: not reported as
/// unrecognised when the command set lists them.
pub const UNREPORTED: &[u8] = b"\x1a\x7f~')-+8QRYayz";

/// Command bytes of the protocol outside the tables.
pub mod cmd {
    /// Status register.
    pub const STATUS: u8 = b'Q';
    /// Enter smart mode (answer `SM`).
    pub const SMART: u8 = b'Y';
    /// Leave smart mode (answer `BYE`).
    pub const DUMB: u8 = b'R';
    /// The command set.
    pub const CMDSET: u8 = b'a';
    /// The capabilities (allowed EEPROM values).
    pub const CAPS: u8 = 0x1a;
    /// Step an EEPROM variable to its next value.
    pub const NEXT: u8 = b'-';
    /// Old firmware query.
    pub const FW_OLD: u8 = b'V';
    /// New firmware query.
    pub const FW_NEW: u8 = b'b';
    /// Escape (abandon a smart mode attempt).
    pub const ESC: u8 = 0x1b;
    /// Soft hibernate.
    pub const SOFTDOWN: u8 = b'S';
    /// Hard hibernate.
    pub const GRACEDOWN: u8 = b'@';
    /// Simulate power failure.
    pub const SIMPWF: u8 = b'U';
    /// Delayed power off.
    pub const SHUTDOWN: u8 = b'K';
    /// Instant power off.
    pub const OFF: u8 = b'Z';
    /// Load on.
    pub const ON: u8 = 0x0e;
    /// Calibration toggle.
    pub const CALTOGGLE: u8 = b'D';
}

/// Status register bits (the `Q` answer, two hex digits), in the order NUT publishes them.
pub const STATUS_BITS: &[(u8, &str)] = &[
    (0x01, "CAL"),
    (0x02, "TRIM"),
    (0x04, "BOOST"),
    (0x08, "OL"),
    (0x10, "OB"),
    (0x20, "OVER"),
    (0x40, "LB"),
    (0x80, "RB"),
];

/// Status bit values.
pub mod stat {
    /// Runtime calibration.
    pub const CAL: u8 = 0x01;
    /// On line.
    pub const OL: u8 = 0x08;
    /// On battery.
    pub const OB: u8 = 0x10;
    /// Overload.
    pub const OVER: u8 = 0x20;
    /// Low battery.
    pub const LB: u8 = 0x40;
    /// Replace battery.
    pub const RB: u8 = 0x80;
}

/// Alert characters: what each does to the status register (bits set, bits cleared).
pub const ALERTS: &[(u8, u8, u8)] = &[
    (b'!', stat::OB, stat::OL),
    (b'$', stat::OL, stat::OB),
    (b'%', stat::LB, 0),
    (b'+', 0, stat::LB),
    (b'#', stat::RB, 0),
    (b'?', stat::OVER, 0),
    (b'=', 0, stat::OVER),
];

/// Firmware revisions (`V`, or `b` when `V` gives nothing) of units without the `a` query,
/// with the command bytes they are known to take (NUT's compatibility table).
pub const COMPAT: &[(&str, &[u8])] = &[
    ("0XI", b"@789ABCDEFGKLMNOPQRSTUVWXYZcefgjklmnopqrsuwxz/<>\\^\x0c\x16"),
    ("0XM", b"@789ABCDEFGKLMNOPQRSTUVWXYZcefgjklmnopqrsuwxz/<>\\^\x0c\x16"),
    ("0ZI", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz/<>"),
    ("5UI", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz/<>"),
    ("5ZM", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz/<>"),
    ("6QD", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("6QI", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("6TD", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("6TI", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("7QD", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("7QI", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("7TD", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("7TI", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("6JI", b"@789ABCFGKLMNOPQSTUVWXYZfg"),
    ("7II", b"@79ABCEFGKLMNOPQRSUVWXYZcfg"),
    ("9II", b"@79ABCEFGKLMNOPQRSUVWXYZcfg"),
    ("9GI", b"@79ABCEFGKLMNOPQRSUVWXYZcfg"),
    ("8II", b"@79ABCEFGKLMNOPQRSUVWXYZcfg"),
    ("8GI", b"@79ABCEFGKLMNOPQRSUVWXYZfg"),
    ("8QD", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("8QI", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("8TD", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("8TI", b"@79ABCDEFGKLMNOPQRSUVWXYZcefgjklmnopqrsuxz"),
    ("5.4.D", b"@\x01ABPQRSUYbdfgjmnx9"),
    // Old APC 600 units that answer `b` with two hex digits (their voltage above 255 V):
    // matched by that shape, not by name.
    (COMPAT_HEX2, b"@789ABCFGKLMNOPQRSUVWXYZ"),
];

/// The key of the compatibility entry for a two-hex-digit firmware answer.
pub const COMPAT_HEX2: &str = "set\u{1}";

/// The firmware whose capability string overflows (its overflow is expected and ignored).
pub const QUIRK_CAPS_OVERFLOW: &str = "451.2.I";

/// `cable` value that selects the 940-0095B handling (DTR on, RTS off).
pub const ALT_CABLE: &str = "940-0095B";

/// The variables NUT reads from units that answer neither the firmware table nor `a`.
pub const LEGACY_VARS: &[&str] = &[
    "ups.temperature",
    "ups.load",
    "input.voltage",
    "output.voltage",
    "battery.charge",
    "battery.voltage",
    "ups.model",
    "ups.serial",
    "ups.firmware",
    "output.current",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_entries_share_a_name_or_a_command() {
        for (i, a) in VARS.iter().enumerate().filter(|(_, a)| a.multi) {
            assert!(
                VARS.iter().enumerate().any(|(j, b)| j != i && (b.name == a.name || b.cmd == a.cmd)),
                "{} has no sibling",
                a.name
            );
        }
    }

    #[test]
    fn packed_names_have_a_field_slot() {
        for v in VARS.iter().filter(|v| v.pack) {
            assert!(v.name.contains(".0."), "{}", v.name);
        }
    }
}
