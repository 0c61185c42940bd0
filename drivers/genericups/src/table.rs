//! NUT 2.8.5's table of contact-closure UPS types (`drivers/genericups.h`, `upstab[]`; the
//! same 24 entries as in 2.8.0), as data: for each `upstype` number its manufacturer and model
//! (published as `ups.mfr`/`ups.model` unless overridden), the description `-h` lists, the
//! output lines that power the cable, each input signal as (lines looked at, value meaning the
//! condition), and the shutdown signal.
//!
//! Where the 2.8.5 man page's "UPS TYPES" section disagrees with this table (it does for types
//! 0, 3 and 18), the table is what NUT's driver does and what we do; the test
//! `man_page_table_differences_are_the_known_ones` (tests/types.rs) lists the differences.

/// Line bits (our own numbering; `lines::to_bits`/`from_modem` map them to the port's lines).
pub mod line {
    /// Data Terminal Ready (output).
    pub const DTR: u32 = 1 << 0;
    /// Request To Send (output).
    pub const RTS: u32 = 1 << 1;
    /// Send a break on the transmit line (NUT's `TIOCM_ST` used as "output"; alone as a
    /// shutdown signal it means tcsendbreak).
    pub const ST: u32 = 1 << 2;
    /// Clear To Send (input).
    pub const CTS: u32 = 1 << 3;
    /// Data Carrier Detect (input; NUT's `TIOCM_CD`).
    pub const DCD: u32 = 1 << 4;
    /// Ring Indicator (input; NUT's `TIOCM_RNG`).
    pub const RNG: u32 = 1 << 5;
    /// Data Set Ready (input).
    pub const DSR: u32 = 1 << 6;
    /// Every line with its name as the overrides and the man page spell it.
    pub const NAMES: [(u32, &str); 7] =
        [(DTR, "DTR"), (RTS, "RTS"), (ST, "ST"), (CTS, "CTS"), (DCD, "DCD"), (RNG, "RNG"), (DSR, "DSR")];
}

use line::*;

/// An input signal: the condition holds when `lines & mask == value` (NUT's `line_X`,
/// `val_X`). A zero mask disables it: never set, except OL, which is then always on line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    /// The lines looked at.
    pub mask: u32,
    /// Their state meaning the condition (a line in `mask` but not here: active when low).
    pub value: u32,
}

/// The shutdown signal (NUT's `line_sd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sd {
    /// Set the output lines to exactly these (TIOCMSET); `ST` alone means send a break.
    /// Zero (types 4 and 23, or `SD=none`) drops every output line.
    Lines(u32),
    /// NUT's -1: no shutdown is known for this model.
    Unknown,
}

/// One `upstype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpsType {
    /// `ups.mfr`.
    pub mfr: &'static str,
    /// `ups.model`.
    pub model: &'static str,
    /// What `-h` lists.
    pub desc: &'static str,
    /// Cable power: the output lines set at start-up (`CP`).
    pub cp: u32,
    /// On line (`OL`).
    pub ol: Signal,
    /// Low battery (`LB`).
    pub lb: Signal,
    /// Replace battery (`RB`).
    pub rb: Signal,
    /// Battery bypass (`BYPASS`).
    pub bypass: Signal,
    /// Shutdown (`SD`).
    pub sd: Sd,
}

const fn sig(mask: u32, value: u32) -> Signal {
    Signal { mask, value }
}

const NONE: Signal = sig(0, 0);

const fn t(
    mfr: &'static str,
    model: &'static str,
    desc: &'static str,
    cp: u32,
    ol: Signal,
    lb: Signal,
    sd: Sd,
) -> UpsType {
    UpsType { mfr, model, desc, cp, ol, lb, rb: NONE, bypass: NONE, sd }
}

/// NUT 2.8.5's `upstab[]`, index = `upstype`.
pub const UPS_TYPES: [UpsType; 24] = [
    // 0: online CTS off, low battery CD on, shutdown RTS.
    t(
        "UPSONIC",
        "LAN Saver 600",
        "UPSONIC LAN Saver 600",
        DTR | RTS,
        sig(CTS, 0),
        sig(DCD, DCD),
        Sd::Lines(RTS),
    ),
    // 1
    t("APC", "Back-UPS", "APC Back-UPS (940-0095A/C cable)", DTR, sig(RNG, 0), sig(DCD, DCD), Sd::Lines(RTS)),
    // 2
    t(
        "APC",
        "Back-UPS",
        "APC Back-UPS (940-0020B/C cable)",
        RTS,
        sig(CTS, 0),
        sig(DCD, DCD),
        Sd::Lines(DTR | RTS),
    ),
    // 3
    t(
        "PowerTech",
        "Comp1000",
        "PowerTech Comp1000 with DTR as cable power",
        DTR,
        sig(CTS, 0),
        sig(DCD, DCD),
        Sd::Lines(DTR | RTS),
    ),
    // 4: no shutdown line: SD drops every output.
    t("Generic", "Generic RUPS model", "Generic RUPS model", RTS, sig(CTS, CTS), sig(DCD, 0), Sd::Lines(0)),
    // 5
    t(
        "TrippLite",
        "Internet Office Series",
        "Tripp Lite UPS with Lan2.2 interface (black 73-0844 cable)",
        DTR,
        sig(CTS, CTS),
        sig(DCD, 0),
        Sd::Lines(DTR | RTS),
    ),
    // 6
    t("Best", "Patriot", "Best Patriot (INT51 cable)", DTR, sig(CTS, CTS), sig(DCD, 0), Sd::Lines(RTS)),
    // 7
    t("CyberPower", "Power99", "CyberPower Power99", RTS, sig(CTS, CTS), sig(DCD, 0), Sd::Lines(DTR)),
    // 8
    t("Nitram", "Elite UPS", "Nitram Elite 500", DTR, sig(CTS, CTS), sig(DCD, 0), Sd::Unknown),
    // 9: no cable power.
    t("APC", "Back-UPS", "APC Back-UPS (940-0023A cable)", 0, sig(DCD, 0), sig(CTS, CTS), Sd::Lines(RTS)),
    // 10
    t("Victron", "Lite", "Victron Lite (crack cable)", RTS, sig(CTS, CTS), sig(DCD, 0), Sd::Lines(DTR)),
    // 11: shutdown by a break.
    t("Powerware", "3115", "Powerware 3115", DTR, sig(CTS, 0), sig(DCD, 0), Sd::Lines(ST)),
    // 12
    t(
        "APC",
        "Back-UPS Office",
        "APC Back-UPS Office (940-0119A cable)",
        RTS,
        sig(CTS, 0),
        sig(DCD, DCD),
        Sd::Lines(DTR),
    ),
    // 13
    t("RPT", "Repoteck", "Repoteck RPT-800A, RPT-162A", DTR | RTS, sig(DCD, DCD), sig(CTS, 0), Sd::Lines(ST)),
    // 14
    t(
        "Online",
        "P250, P500, P750, P1250",
        "Online P-series",
        DTR,
        sig(DCD, DCD),
        sig(CTS, 0),
        Sd::Lines(RTS),
    ),
    // 15
    t("Powerware", "5119", "Powerware 5119", DTR, sig(CTS, CTS), sig(DCD, 0), Sd::Lines(ST)),
    // 16
    t("Nitram", "Elite UPS", "Nitram Elite 2002", DTR | RTS, sig(CTS, CTS), sig(DCD, 0), Sd::Unknown),
    // 17
    t("PowerKinetics", "9001", "PowerKinetics 9001", DTR, sig(CTS, CTS), sig(DCD, 0), Sd::Unknown),
    // 18
    t(
        "TrippLite",
        "Omni 450LAN",
        "TrippLite UPS with Martin's cabling",
        DTR,
        sig(CTS, CTS),
        sig(DCD, DCD),
        Sd::Unknown,
    ),
    // 19
    t(
        "Fideltronik",
        "Ares Series",
        "Fideltronik Ares Series",
        DTR,
        sig(CTS, CTS),
        sig(DCD, 0),
        Sd::Lines(RTS),
    ),
    // 20 (NUT's docs/cables/powerware.txt)
    t("Powerware", "5119 RM", "Powerware 5119 RM", DTR, sig(CTS, 0), sig(DCD, DCD), Sd::Lines(ST)),
    // 21
    t(
        "Generic",
        "Generic RUPS 2000",
        "Generic RUPS 2000 (Megatec M2501 cable)",
        RTS,
        sig(CTS, CTS),
        sig(DCD, 0),
        Sd::Lines(RTS | DTR),
    ),
    // 22
    t(
        "Gamatronic Electronic Industries",
        "Generic Alarm UPS",
        "Gamatronic UPSs with alarm interface",
        RTS,
        sig(CTS, CTS),
        sig(DCD, 0),
        Sd::Lines(DTR),
    ),
    // 23: the only type with replace-battery (RI off) and bypass (DSR off) signals.
    UpsType {
        mfr: "Generic",
        model: "Generic FTTx Battery Backup",
        desc: "FTTx (Fiber to the x) battery backup with 4-wire telemetry interface",
        cp: RTS,
        ol: sig(CTS, CTS),
        lb: sig(DCD, 0),
        rb: sig(RNG, 0),
        bypass: sig(DSR, 0),
        sd: Sd::Lines(0),
    },
];

/// `-h`'s list, as NUT prints it.
pub fn list_types() -> String {
    let mut s = String::from("Valid UPS types:\n\n");
    for (i, t) in UPS_TYPES.iter().enumerate() {
        s.push_str(&format!("{i}: {}\n", t.desc));
    }
    s
}

/// Line names, in [`line::NAMES`] order, for messages (`DTR+RTS`, `none`).
pub fn names(bits: u32) -> String {
    let v: Vec<&str> = NAMES.iter().filter(|(b, _)| bits & b != 0).map(|(_, n)| *n).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join("+")
    }
}

/// A signal as the man page writes it: `CTS`, `-DCD` (active low), `none`.
pub fn signal_text(s: Signal) -> String {
    if s.mask == 0 {
        return "none".into();
    }
    NAMES
        .iter()
        .filter(|(b, _)| s.mask & b != 0)
        .map(|(b, n)| if s.value & b != 0 { n.to_string() } else { format!("-{n}") })
        .collect::<Vec<_>>()
        .join("+")
}
