//! Subdrivers as data: which HID paths become which NUT variables, commands and status bits,
//! per vendor. The engine in [`crate::hidups`] interprets these tables; nothing here does I/O.

use nut_hid::UsageTable;

pub mod apc;
pub mod belkin;
pub mod common;
pub mod cps;
pub mod delta;
pub mod generic;
pub mod legrand;
pub mod liebert;
pub mod mge;
pub mod powercom;
pub mod salicru;
pub mod tripplite;

/// How a raw HID value becomes the text of a variable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Conv {
    /// Format the number with the entry's printf-style format.
    Number,
    /// The value is a USB string descriptor index: publish that string.
    StringId,
    /// Map numbers to words; unknown numbers leave the variable unset.
    Lookup(&'static [(i64, &'static str)]),
    /// HID date (`(year-1980)*512 + month*32 + day`) as `YYYY/MM/DD`.
    Date,
    /// APC's battery date (0xMMDDYY as a 24-bit number) as `YYYY/MM/DD`.
    ApcDate,
    /// Kelvin to degrees Celsius.
    KelvinToCelsius,
    /// A status bit: a non-zero value sets it.
    Status(StatusBit),
    /// A status bit that a zero value sets (for example ACPresent=0 is "on battery").
    StatusIfZero(StatusBit),
}

/// The status bits NUT's usbhid-ups tracks; they become `ups.status` tokens and `ups.alarm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusBit {
    /// On line power (absent means on battery).
    Online,
    /// Battery discharging.
    Discharging,
    /// Battery charging.
    Charging,
    /// Battery low.
    LowBatt,
    /// Runtime below the limit (counted as low battery).
    TimeLimitExpired,
    /// Shutdown imminent (counted as low battery).
    ShutdownImminent,
    /// Overload.
    Overload,
    /// Battery needs replacement.
    ReplaceBatt,
    /// Bucking the input voltage.
    Trim,
    /// Boosting the input voltage.
    Boost,
    /// On bypass.
    Bypass,
    /// Output off.
    Off,
    /// Calibrating.
    Calibration,
    /// Over temperature.
    Overheat,
    /// Internal failure.
    InternalFailure,
    /// Fan failure.
    FanFailure,
    /// Waiting for power to come back before restarting.
    AwaitingPower,
    /// Battery not present (a zero BatteryPresent).
    NoBattery,
    /// Battery voltage too low.
    BattVoltLow,
    /// Battery voltage too high.
    BattVoltHigh,
    /// Fully charged (only used to clear CHRG).
    FullyCharged,
}

/// Variable flags (NUT's `HU_FLAG_*` and `ST_FLAG_*`).
pub mod flag {
    /// Read once at startup.
    pub const STATIC: u8 = 1;
    /// Writable with SET VAR.
    pub const RW: u8 = 2;
    /// The value is the entry's default text, published when the path exists (not read).
    pub const ABSENT: u8 = 4;
    /// A string variable (for SET VAR type info).
    pub const STRING: u8 = 8;
}

/// One variable (or status bit) mapped from a HID path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarMap {
    /// NUT variable name (`battery.charge`), or `""` for a pure status bit.
    pub var: &'static str,
    /// HID path as NUT prints it.
    pub path: &'static str,
    /// printf-style format for numbers (`%.0f`, `%.1f`) or the default text for [`flag::ABSENT`].
    pub fmt: &'static str,
    /// How the value is converted.
    pub conv: Conv,
    /// [`flag`] bits.
    pub flags: u8,
}

/// One instant command: write `value` to `path`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CmdMap {
    /// NUT command name.
    pub cmd: &'static str,
    /// HID path to write.
    pub path: &'static str,
    /// Value to write; `offdelay`/`ondelay` mean the configured delays.
    pub value: &'static str,
}

/// A subdriver: identification, usage names and its tables.
#[derive(Debug, Clone, Copy)]
pub struct Subdriver {
    /// NUT's name, published as `driver.version.data` with the version.
    pub name: &'static str,
    /// Vendor tables used to name usages.
    pub usages: &'static [UsageTable],
    /// Vendor-specific variables, looked up before [`common::VARS`].
    pub vars: &'static [VarMap],
    /// Vendor-specific commands, before [`common::CMDS`].
    pub cmds: &'static [CmdMap],
    /// A HID path holding a string index whose string is appended to the USB product string
    /// to form `ups.model` (Eaton: iProduct "Eaton 3S" + iModel "550").
    pub model_suffix: Option<&'static str>,
    /// Manufacturer to publish when the device has no manufacturer string.
    pub mfr: &'static str,
}

impl Subdriver {
    /// Every variable entry: vendor first, then the common ones.
    pub fn all_vars(&self) -> impl Iterator<Item = &'static VarMap> {
        self.vars.iter().chain(common::VARS.iter())
    }

    /// Every command entry: vendor first, then the common ones.
    pub fn all_cmds(&self) -> impl Iterator<Item = &'static CmdMap> {
        self.cmds.iter().chain(common::CMDS.iter())
    }
}

/// Shorthand for a numeric variable.
pub const fn num(var: &'static str, path: &'static str, fmt: &'static str) -> VarMap {
    VarMap { var, path, fmt, conv: Conv::Number, flags: 0 }
}

/// Shorthand for a writable numeric variable.
pub const fn rw(var: &'static str, path: &'static str, fmt: &'static str) -> VarMap {
    VarMap { var, path, fmt, conv: Conv::Number, flags: flag::RW | flag::STRING }
}

/// Shorthand for a status bit.
pub const fn st(path: &'static str, bit: StatusBit) -> VarMap {
    VarMap { var: "", path, fmt: "", conv: Conv::Status(bit), flags: 0 }
}

/// Shorthand for a status bit set by a zero value.
pub const fn st0(path: &'static str, bit: StatusBit) -> VarMap {
    VarMap { var: "", path, fmt: "", conv: Conv::StatusIfZero(bit), flags: 0 }
}

/// Shorthand for a variable with a conversion.
pub const fn conv(var: &'static str, path: &'static str, conv: Conv) -> VarMap {
    VarMap { var, path, fmt: "%s", conv, flags: 0 }
}

/// Shorthand for a default-valued writable variable published when the path exists.
pub const fn absent(var: &'static str, path: &'static str, dfl: &'static str) -> VarMap {
    VarMap { var, path, fmt: dfl, conv: Conv::Number, flags: flag::ABSENT | flag::RW | flag::STRING }
}

/// Shorthand for a command.
pub const fn cmd(cmd: &'static str, path: &'static str, value: &'static str) -> CmdMap {
    CmdMap { cmd, path, value }
}

/// Beeper states of AudibleAlarmControl.
pub const BEEPER: &[(i64, &str)] = &[(1, "disabled"), (2, "enabled"), (3, "muted")];
/// Yes/no booleans.
pub const YES_NO: &[(i64, &str)] = &[(0, "no"), (1, "yes")];
/// On/off booleans.
pub const ON_OFF: &[(i64, &str)] = &[(0, "off"), (1, "on")];
/// Battery test results (Power Device page `Test` read back).
pub const TEST_RESULT: &[(i64, &str)] = &[
    (0, "No test initiated"),
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
    (6, "No test initiated"),
    (7, "Test scheduled"),
];

/// All subdrivers, in matching order (generic last).
pub const ALL: &[&Subdriver] = &[
    &mge::SUBDRIVER,
    &apc::SUBDRIVER,
    &cps::SUBDRIVER,
    &tripplite::SUBDRIVER,
    &liebert::SUBDRIVER,
    &powercom::SUBDRIVER,
    &belkin::SUBDRIVER,
    &salicru::SUBDRIVER,
    &legrand::SUBDRIVER,
    &delta::SUBDRIVER,
    &generic::SUBDRIVER,
];
