//! The pure logic of a contact-closure UPS: the line overrides of ups.conf as NUT 2.8.5's
//! genericups reads them, the status a line state means, the shutdown action. No I/O.

use nut_transport::serial::ModemLines;

use crate::table::{line::*, Sd, Signal, UpsType, UPS_TYPES};

/// The effective settings: an `upstype` entry with the user's overrides applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The `upstype` number.
    pub number: usize,
    /// The entry, overrides applied.
    pub ty: UpsType,
}

/// Why an `upstype` or an override is refused (the caller adds file:line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// `upstype`: the number of an entry of NUT's table. NUT reads it with `atoi` (so `foo` is
/// type 0 there); we accept the number with blanks around it and refuse anything else.
pub fn upstype(value: &str) -> Result<Config, Refused> {
    let v = value.trim();
    let n: usize = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse().unwrap_or(usize::MAX)
    } else {
        return Err(Refused(format!("upstype '{value}' is not a number (see the list of types with -h)")));
    };
    match UPS_TYPES.get(n) {
        Some(ty) => Ok(Config { number: n, ty: *ty }),
        None => Err(Refused(format!("unknown UPS type number {n} (0 to {})", UPS_TYPES.len() - 1))),
    }
}

/// An output override (`CP`, `SD`): NUT's substring rules. `DTR`, `RTS` (not when written
/// `-DTR`/`-RTS`) and `ST` are set; an input line name is refused; `NULL` or `none` anywhere
/// means no line at all. Returns the lines.
pub fn parse_output(value: &str) -> Result<u32, Refused> {
    let has = |s: &str| value.contains(s);
    let mut l = 0;
    if has("DTR") && !has("-DTR") {
        l |= DTR;
    }
    if has("RTS") && !has("-RTS") {
        l |= RTS;
    }
    if has("ST") {
        l |= ST;
    }
    for input in ["CTS", "DCD", "RNG", "DSR"] {
        if has(input) {
            return Err(Refused(format!("Can't override output with {input} (not an output)")));
        }
    }
    if has("NULL") || has("none") {
        l = 0;
    }
    Ok(l)
}

/// An input override (`OL`, `LB`, `RB`, `BYPASS`): each of `CTS`, `DCD`, `RNG`, `DSR` named
/// is looked at, meaning the condition when high, or when low if written with a `-`; an
/// output line name is refused; `NULL` or `none` disables the signal.
pub fn parse_input(value: &str) -> Result<Signal, Refused> {
    let has = |s: &str| value.contains(s);
    let mut s = Signal { mask: 0, value: 0 };
    for (bit, name) in [(CTS, "CTS"), (DCD, "DCD"), (RNG, "RNG"), (DSR, "DSR")] {
        if has(name) {
            s.mask |= bit;
            if !has(&format!("-{name}")) {
                s.value |= bit;
            }
        }
    }
    for output in ["DTR", "RTS", "ST"] {
        if has(output) {
            return Err(Refused(format!("Can't override input with {output} (not an input)")));
        }
    }
    if has("NULL") || has("none") {
        s = Signal { mask: 0, value: 0 };
    }
    Ok(s)
}

/// Which override changed nothing (NUT's notice "overrides specified, but no effective
/// difference - check for typos?"), by key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Keys whose value changed nothing.
    pub no_effect: Vec<&'static str>,
}

/// Apply the overrides of `get` (ups.conf or `-x`) to `cfg`, NUT's order: `CP`, `SD`, then
/// `OL`, `LB`, `RB`, `BYPASS`.
pub fn apply_overrides(
    cfg: &mut Config,
    get: impl Fn(&str) -> Option<String>,
) -> Result<Applied, (&'static str, Refused)> {
    let mut a = Applied::default();
    if let Some(v) = get("CP") {
        let l = parse_output(&v).map_err(|e| ("CP", e))?;
        if l == cfg.ty.cp {
            a.no_effect.push("CP");
        }
        cfg.ty.cp = l;
    }
    if let Some(v) = get("SD") {
        let l = Sd::Lines(parse_output(&v).map_err(|e| ("SD", e))?);
        if l == cfg.ty.sd {
            a.no_effect.push("SD");
        }
        cfg.ty.sd = l;
    }
    for key in ["OL", "LB", "RB", "BYPASS"] {
        if let Some(v) = get(key) {
            let s = parse_input(&v).map_err(|e| (key, e))?;
            let slot = match key {
                "OL" => &mut cfg.ty.ol,
                "LB" => &mut cfg.ty.lb,
                "RB" => &mut cfg.ty.rb,
                _ => &mut cfg.ty.bypass,
            };
            if s == *slot {
                a.no_effect.push(key);
            }
            *slot = s;
        }
    }
    Ok(a)
}

fn holds(s: Signal, lines: u32) -> bool {
    lines & s.mask == s.value
}

/// The `ups.status` tokens for a line state, in NUT's order: `LB`, then `OL` or `OB`, `RB`,
/// `BYPASS`. A disabled OL signal reads as always on line; other disabled signals never hold.
pub fn status(ty: &UpsType, lines: u32) -> Vec<&'static str> {
    let mut v = Vec::new();
    if ty.lb.mask != 0 && holds(ty.lb, lines) {
        v.push("LB");
    }
    v.push(if holds(ty.ol, lines) { "OL" } else { "OB" });
    if ty.rb.mask != 0 && holds(ty.rb, lines) {
        v.push("RB");
    }
    if ty.bypass.mask != 0 && holds(ty.bypass, lines) {
        v.push("BYPASS");
    }
    v
}

/// What `-k` (shutdown.default) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdAction {
    /// No shutdown is known for this type: an error.
    Unknown,
    /// Send a break for NUT's 4901 (tcsendbreak's duration; about 5 s on Linux).
    Break,
    /// Set the output lines to these (TIOCMSET), then hold them `sdtime` seconds.
    Set(u32),
}

/// NUT's tcsendbreak duration for the `ST` shutdown.
pub const BREAK_DURATION: libc::c_int = 4901;

/// The shutdown action of a type.
pub fn sd_action(sd: Sd) -> SdAction {
    match sd {
        Sd::Unknown => SdAction::Unknown,
        Sd::Lines(l) if l == ST => SdAction::Break,
        Sd::Lines(l) => SdAction::Set(l),
    }
}

/// `sdtime`: seconds to hold the shutdown signal. NUT reads it with `strtol` (and waits only
/// when it is above 0); we refuse what is not a number.
pub fn sdtime(value: &str) -> Result<i64, Refused> {
    value.trim().parse::<i64>().map_err(|_| Refused(format!("sdtime '{value}' is not a number of seconds")))
}

/// The port's lines as our bits.
pub fn from_modem(m: ModemLines) -> u32 {
    let mut b = 0;
    for (on, bit) in [(m.dtr, DTR), (m.rts, RTS), (m.cts, CTS), (m.dcd, DCD), (m.ri, RNG), (m.dsr, DSR)] {
        if on {
            b |= bit;
        }
    }
    b
}

/// Our output bits as the port's lines (TIOCMSET; `ST` has no line of its own there).
pub fn to_modem(bits: u32) -> ModemLines {
    ModemLines { dtr: bits & DTR != 0, rts: bits & RTS != 0, ..ModemLines::default() }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cfg(n: usize) -> Config {
        upstype(&n.to_string()).unwrap()
    }

    #[test]
    fn overrides_follow_nuts_substring_rules() {
        assert_eq!(parse_output("DTR"), Ok(DTR));
        assert_eq!(parse_output("DTR+RTS"), Ok(DTR | RTS));
        assert_eq!(parse_output("RTS -DTR"), Ok(RTS), "-DTR: DTR not set");
        assert_eq!(parse_output("ST"), Ok(ST));
        assert_eq!(parse_output("none"), Ok(0));
        assert_eq!(parse_output("DTR NULL"), Ok(0));
        assert_eq!(parse_output("CTS").unwrap_err().0, "Can't override output with CTS (not an output)");
        assert_eq!(parse_output("DCD").unwrap_err().0, "Can't override output with DCD (not an output)");
        assert_eq!(parse_input("DCD"), Ok(Signal { mask: DCD, value: DCD }));
        assert_eq!(parse_input("-CTS"), Ok(Signal { mask: CTS, value: 0 }));
        assert_eq!(parse_input("-RNG"), Ok(Signal { mask: RNG, value: 0 }));
        assert_eq!(parse_input("CTS+-DSR"), Ok(Signal { mask: CTS | DSR, value: CTS }));
        assert_eq!(parse_input("none"), Ok(Signal { mask: 0, value: 0 }));
        assert_eq!(parse_input("DTR").unwrap_err().0, "Can't override input with DTR (not an input)");
        assert_eq!(parse_input("ST").unwrap_err().0, "Can't override input with ST (not an input)");
    }

    #[test]
    fn the_man_pages_example_and_no_effect_notices() {
        // genericups(8), CUSTOM CONFIGURATIONS: "CP = DTR", "LB = DCD".
        let mut c = cfg(7);
        let a = apply_overrides(&mut c, |k| match k {
            "CP" => Some("DTR".into()),
            "LB" => Some("DCD".into()),
            "OL" => Some("CTS".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.ty.cp, DTR);
        assert_eq!(c.ty.lb, Signal { mask: DCD, value: DCD });
        assert_eq!(a.no_effect, ["OL"], "type 7's OL is already CTS");
        assert_eq!(status(&c.ty, CTS | DCD), ["LB", "OL"]);
        let mut c = cfg(0);
        let e = apply_overrides(&mut c, |k| (k == "SD").then(|| "DCD".into())).unwrap_err();
        assert_eq!(e.0, "SD");
    }

    #[test]
    fn disabled_signals() {
        // OL disabled: always on line; LB disabled: never low.
        let mut c = cfg(1);
        apply_overrides(&mut c, |k| matches!(k, "OL" | "LB").then(|| "NULL".into())).unwrap();
        for lines in [0, CTS | DCD | RNG | DSR] {
            assert_eq!(status(&c.ty, lines), ["OL"]);
        }
    }

    #[test]
    fn upstype_numbers() {
        assert_eq!(upstype(" 23 ").unwrap().number, 23);
        assert!(upstype("24").unwrap_err().0.contains("unknown UPS type number 24"));
        assert!(upstype("foo").is_err());
        assert!(upstype("").is_err());
        assert!(upstype("-1").is_err());
        assert!(upstype("99999999999999999999999").is_err());
    }

    #[test]
    fn shutdown_actions() {
        assert_eq!(sd_action(cfg(0).ty.sd), SdAction::Set(RTS));
        assert_eq!(sd_action(cfg(2).ty.sd), SdAction::Set(DTR | RTS));
        assert_eq!(sd_action(cfg(4).ty.sd), SdAction::Set(0), "type 4: every output dropped");
        assert_eq!(sd_action(cfg(8).ty.sd), SdAction::Unknown);
        assert_eq!(sd_action(cfg(11).ty.sd), SdAction::Break);
        assert_eq!(
            sd_action(Sd::Lines(ST | DTR)),
            SdAction::Set(ST | DTR),
            "ST with others: TIOCMSET as NUT"
        );
        assert_eq!(sdtime(" 3"), Ok(3));
        assert!(sdtime("3s").is_err());
    }

    #[test]
    fn modem_bits_round_trip() {
        let m = ModemLines { dtr: true, rts: false, cts: true, dcd: true, ri: false, dsr: true };
        assert_eq!(from_modem(m), DTR | CTS | DCD | DSR);
        assert_eq!(to_modem(DTR | RTS | ST), ModemLines { dtr: true, rts: true, ..ModemLines::default() });
    }
}
