//! Every `upstype` of NUT 2.8.5's table, driven through the driver (init, update, shutdown)
//! with a fake line source. The expectations are transcribed from the comments of NUT's
//! `drivers/genericups.h` ("online: CTS off", "low battery: CD on", "shutdown: RTS"...), not
//! computed from our table: for each type, the line states meaning on line, on battery and on
//! battery with a low battery must read `OL`, `OB`, `LB OB` (NUT's genericups.c sets LB
//! before OL/OB), and `-k` must set what the table says (or send the break, or refuse).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use genericups::driver::GenericUps;
use nut_driver::{Context, Driver, State};
use nut_transport::serial::{ModemControl, ModemLines, OutputLine, SerialError};

#[derive(Debug, Default)]
struct Lines {
    inputs: ModemLines,
    /// What the driver did: `SET DTR+RTS`, `BREAK 4901`.
    log: Vec<String>,
    fail: bool,
}

struct Fake(Rc<RefCell<Lines>>);

fn outs(m: ModemLines) -> String {
    match (m.dtr, m.rts) {
        (true, true) => "DTR+RTS",
        (true, false) => "DTR",
        (false, true) => "RTS",
        (false, false) => "none",
    }
    .to_string()
}

impl ModemControl for Fake {
    fn get_lines(&mut self) -> Result<ModemLines, SerialError> {
        let l = self.0.borrow();
        if l.fail {
            return Err(SerialError::Io(std::io::Error::from_raw_os_error(libc::ENOTTY)));
        }
        Ok(l.inputs)
    }
    fn set_lines(&mut self, lines: ModemLines) -> Result<(), SerialError> {
        self.0.borrow_mut().log.push(format!("SET {}", outs(lines)));
        Ok(())
    }
    fn switch_line(&mut self, _: OutputLine, _: bool) -> Result<(), SerialError> {
        unreachable!("genericups sets every output at once")
    }
    fn send_break_for(&mut self, d: libc::c_int) -> Result<(), SerialError> {
        self.0.borrow_mut().log.push(format!("BREAK {d}"));
        Ok(())
    }
}

/// (type, cable power, OL line and its on-line level, LB line and its low level, shutdown),
/// from genericups.h's comments. `SD` `"?"` = -1, "unknown"; `"none"` = 0.
const TYPES: [(usize, &str, &str, bool, &str, bool, &str); 24] = [
    (0, "DTR+RTS", "CTS", false, "DCD", true, "RTS"),
    (1, "DTR", "RNG", false, "DCD", true, "RTS"),
    (2, "RTS", "CTS", false, "DCD", true, "DTR+RTS"),
    (3, "DTR", "CTS", false, "DCD", true, "DTR+RTS"),
    (4, "RTS", "CTS", true, "DCD", false, "none"),
    (5, "DTR", "CTS", true, "DCD", false, "DTR+RTS"),
    (6, "DTR", "CTS", true, "DCD", false, "RTS"),
    (7, "RTS", "CTS", true, "DCD", false, "DTR"),
    (8, "DTR", "CTS", true, "DCD", false, "?"),
    (9, "none", "DCD", false, "CTS", true, "RTS"),
    (10, "RTS", "CTS", true, "DCD", false, "DTR"),
    (11, "DTR", "CTS", false, "DCD", false, "ST"),
    (12, "RTS", "CTS", false, "DCD", true, "DTR"),
    (13, "DTR+RTS", "DCD", true, "CTS", false, "ST"),
    (14, "DTR", "DCD", true, "CTS", false, "RTS"),
    (15, "DTR", "CTS", true, "DCD", false, "ST"),
    (16, "DTR+RTS", "CTS", true, "DCD", false, "?"),
    (17, "DTR", "CTS", true, "DCD", false, "?"),
    (18, "DTR", "CTS", true, "DCD", true, "?"),
    (19, "DTR", "CTS", true, "DCD", false, "RTS"),
    (20, "DTR", "CTS", false, "DCD", true, "ST"),
    (21, "RTS", "CTS", true, "DCD", false, "DTR+RTS"),
    (22, "RTS", "CTS", true, "DCD", false, "DTR"),
    (23, "RTS", "CTS", true, "DCD", false, "none"),
];

fn set(m: &mut ModemLines, name: &str, on: bool) {
    match name {
        "CTS" => m.cts = on,
        "DCD" => m.dcd = on,
        "RNG" => m.ri = on,
        "DSR" => m.dsr = on,
        _ => panic!("{name}"),
    }
}

fn ctx(opts: &[(&str, &str)]) -> Context {
    Context {
        progname: "genericups".into(),
        upsname: "g".into(),
        port: "/dev/ttyS9".into(),
        options: opts.iter().map(|(k, v)| (k.to_string(), Some(v.to_string()))).collect(),
        ..Context::default()
    }
}

fn driver(lines: &Rc<RefCell<Lines>>) -> GenericUps {
    let l = lines.clone();
    GenericUps::with_opener(move |_| Ok(Box::new(Fake(l.clone())) as Box<dyn ModemControl>))
}

fn status(d: &mut GenericUps, st: &mut State) -> String {
    d.update(st).expect("update");
    st.get_info("ups.status").unwrap_or("").to_string()
}

#[test]
fn every_upstype_reads_ol_ob_lb_and_shuts_down_as_nuts_table_says() {
    for (n, cp, ol, ol_level, lb, lb_low, sd) in TYPES {
        let lines = Rc::new(RefCell::new(Lines::default()));
        let mut d = driver(&lines);
        let mut st = State::new();
        d.init(&ctx(&[("upstype", &n.to_string())]), &mut st).unwrap_or_else(|e| panic!("type {n}: {e}"));
        assert_eq!(lines.borrow().log, [format!("SET {cp}")], "type {n}: cable power at start-up");
        let cfg = d.config().expect("config");
        assert!(!st.get_info("ups.mfr").unwrap_or("").is_empty(), "type {n}");
        assert_eq!(st.get_info("ups.model"), Some(cfg.ty.model), "type {n}");

        let mut m = ModemLines::default();
        // Type 23's replace-battery (RI) and bypass (DSR) signals are active low: held high
        // when all is well.
        if n == 23 {
            m.ri = true;
            m.dsr = true;
        }
        set(&mut m, ol, ol_level);
        set(&mut m, lb, !lb_low);
        lines.borrow_mut().inputs = m;
        assert_eq!(status(&mut d, &mut st), "OL", "type {n} on line ({m:?})");
        set(&mut m, ol, !ol_level);
        lines.borrow_mut().inputs = m;
        assert_eq!(status(&mut d, &mut st), "OB", "type {n} on battery ({m:?})");
        set(&mut m, lb, lb_low);
        lines.borrow_mut().inputs = m;
        assert_eq!(status(&mut d, &mut st), "LB OB", "type {n} low battery ({m:?})");
        assert!(!st.is_stale());

        // -k: shutdown.default.
        let r = d.shutdown(&mut st);
        let log = lines.borrow().log.clone();
        match sd {
            "?" => {
                let e = r.expect_err("no shutdown known").to_string();
                assert_eq!(e, "No shutdown command defined for this model!", "type {n}");
                assert_eq!(log.len(), 1, "type {n}: nothing set");
            }
            "ST" => {
                r.unwrap_or_else(|e| panic!("type {n}: {e}"));
                assert_eq!(log[1..], ["BREAK 4901".to_string()], "type {n}: NUT's tcsendbreak(fd, 4901)");
            }
            lines_sd => {
                r.unwrap_or_else(|e| panic!("type {n}: {e}"));
                assert_eq!(log[1..], [format!("SET {lines_sd}")], "type {n}");
            }
        }
    }
}

#[test]
fn type_23_replace_battery_and_bypass() {
    let lines = Rc::new(RefCell::new(Lines::default()));
    let mut d = driver(&lines);
    let mut st = State::new();
    d.init(&ctx(&[("upstype", "23")]), &mut st).expect("init");
    // [CP=RTS] [OL=CTS] [LB=-DCD] [RB=-RNG] [BYPASS=-DSR] (genericups(8)).
    lines.borrow_mut().inputs = ModemLines { cts: true, dcd: true, ..ModemLines::default() };
    assert_eq!(status(&mut d, &mut st), "OL RB BYPASS");
    lines.borrow_mut().inputs = ModemLines { cts: true, dcd: true, ri: true, ..ModemLines::default() };
    assert_eq!(status(&mut d, &mut st), "OL BYPASS");
}

#[test]
fn overrides_names_and_sdtime() {
    let lines = Rc::new(RefCell::new(Lines::default()));
    let mut d = driver(&lines);
    let mut st = State::new();
    let c = ctx(&[
        ("upstype", "7"),
        ("mfr", "Belkin"),
        ("model", "F6H500-SER"),
        ("serial", "XYZ123"),
        ("CP", "DTR"),
        ("LB", "DCD"),
        ("SD", "RTS"),
        ("sdtime", "1"),
    ]);
    d.init(&c, &mut st).expect("init");
    assert_eq!(st.get_info("ups.mfr"), Some("Belkin"));
    assert_eq!(st.get_info("ups.model"), Some("F6H500-SER"));
    assert_eq!(st.get_info("ups.serial"), Some("XYZ123"));
    assert_eq!(lines.borrow().log, ["SET DTR"], "CP override");
    lines.borrow_mut().inputs = ModemLines { cts: true, dcd: true, ..ModemLines::default() };
    assert_eq!(status(&mut d, &mut st), "LB OL", "LB = DCD: low when DCD is high");
    let t = Instant::now();
    d.shutdown(&mut st).expect("shutdown");
    assert!(t.elapsed() >= Duration::from_secs(1), "sdtime = 1: the signal is held a second");
    assert_eq!(lines.borrow().log[1], "SET RTS", "SD override");
}

#[test]
fn configuration_errors_are_refused_with_their_place() {
    let lines = Rc::new(RefCell::new(Lines::default()));
    for (opts, want) in [
        (vec![], "No upstype set - see help text / man page!"),
        (vec![("upstype", "24")], "-x upstype: unknown UPS type number 24"),
        (vec![("upstype", "one")], "-x upstype: upstype 'one' is not a number"),
        (
            vec![("upstype", "1"), ("OL", "DTR")],
            "-x OL: OL = DTR: Can't override input with DTR (not an input)",
        ),
        (
            vec![("upstype", "1"), ("CP", "CTS")],
            "-x CP: CP = CTS: Can't override output with CTS (not an output)",
        ),
        (vec![("upstype", "1"), ("sdtime", "soon")], "-x sdtime: sdtime 'soon' is not a number of seconds"),
    ] {
        let mut d = driver(&lines);
        let e = d.init(&ctx(&opts), &mut State::new()).expect_err("refused").to_string();
        assert!(e.starts_with(want), "{opts:?}: {e}");
        assert!(lines.borrow().log.is_empty(), "nothing opened or set before the settings are checked");
    }
    let mut c = ctx(&[("upstype", "24")]);
    c.conf_file = Some("/etc/nut/ups.conf".into());
    c.lines = vec![("upstype".into(), 7)];
    let e = driver(&lines).init(&c, &mut State::new()).expect_err("refused").to_string();
    assert!(e.starts_with("/etc/nut/ups.conf:7: unknown UPS type number 24"), "{e}");
    assert!(e.contains("Valid UPS types:") && e.contains("23: FTTx"), "the list is shown: {e}");
}

#[test]
fn a_failed_line_read_is_stale_data_and_says_why() {
    let lines = Rc::new(RefCell::new(Lines::default()));
    let mut d = driver(&lines);
    let mut st = State::new();
    d.init(&ctx(&[("upstype", "1")]), &mut st).expect("init");
    assert_eq!(status(&mut d, &mut st), "OL");
    lines.borrow_mut().fail = true;
    let e = d.update(&mut st).expect_err("failed read").to_string();
    assert!(e.starts_with("Status read failed: ioctl failed: "), "{e}");
    assert!(e.contains("/dev/ttyS9 has no modem-control lines"), "{e}");
    lines.borrow_mut().fail = false;
    assert_eq!(status(&mut d, &mut st), "OL");
}

/// genericups(8) of NUT 2.8.5, "UPS TYPES": `[CP=..] [OL=..] [LB=..] [SD=..]` of each type
/// (`???` = unknown), transcribed.
const MAN_PAGE: [(&str, &str, &str, &str); 24] = [
    ("DTR+RTS", "-CTS", "DCD", "DTR"),
    ("DTR", "-RNG", "DCD", "RTS"),
    ("RTS", "-CTS", "DCD", "DTR+RTS"),
    ("DTR", "CTS", "DCD", "DTR+RTS"),
    ("RTS", "CTS", "-DCD", "-RTS"),
    ("DTR", "CTS", "-DCD", "DTR+RTS"),
    ("DTR", "CTS", "-DCD", "RTS"),
    ("RTS", "CTS", "-DCD", "DTR"),
    ("DTR", "CTS", "-DCD", "???"),
    ("none", "-DCD", "CTS", "RTS"),
    ("RTS", "CTS", "-DCD", "DTR"),
    ("DTR", "-CTS", "-DCD", "ST"),
    ("RTS", "-CTS", "DCD", "DTR"),
    ("DTR+RTS", "DCD", "-CTS", "ST"),
    ("DTR", "DCD", "-CTS", "RTS"),
    ("DTR", "CTS", "-DCD", "ST"),
    ("DTR+RTS", "CTS", "-DCD", "???"),
    ("DTR", "CTS", "-DCD", "???"),
    ("DTR", "CTS", "DCD", "none"),
    ("DTR", "CTS", "-DCD", "RTS"),
    ("DTR", "-CTS", "DCD", "ST"),
    ("RTS", "CTS", "-DCD", "RTS+DTR"),
    ("RTS", "CTS", "-DCD", "DTR"),
    ("RTS", "CTS", "-DCD", "none"),
];

#[test]
fn man_page_table_differences_are_the_known_ones() {
    use genericups::lines::{parse_input, parse_output};
    use genericups::table::{Sd, UPS_TYPES};
    let mut diffs = Vec::new();
    for (n, (cp, ol, lb, sd)) in MAN_PAGE.iter().enumerate() {
        let t = &UPS_TYPES[n];
        let man_sd = if *sd == "???" { Sd::Unknown } else { Sd::Lines(parse_output(sd).expect(sd)) };
        for (what, same) in [
            ("CP", parse_output(cp).expect(cp) == t.cp),
            ("OL", parse_input(ol).expect(ol) == t.ol),
            ("LB", parse_input(lb).expect(lb) == t.lb),
            ("SD", man_sd == t.sd),
        ] {
            if !same {
                diffs.push(format!("{n} {what}"));
            }
        }
    }
    // NUT's genericups.h (what its driver does, and we do) against its man page:
    // type 0 sets RTS to shut down (the page says DTR); type 3 is on line when CTS is low
    // ("online: CTS off"; the page says CTS); type 18 has no known shutdown (-1; the page says
    // none). Type 4's "SD=-RTS" reads as no line at all, as the table's 0.
    assert_eq!(diffs, ["0 SD", "3 OL", "18 SD"]);
}
