//! The driver over a scripted link: NUT 2.8.5's handshake checks (nutdrv_hashx.c
//! upsdrv_initinfo) and what a poll makes of short or broken status lines.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use nut_driver::{CmdResult, Context, Driver, State};
use nutdrv_hashx::driver::{Hashx, Link, LinkError};

/// Replies in order; `None` = no reply. Records what was sent.
struct Script {
    replies: VecDeque<Option<&'static [u8]>>,
    sent: Rc<RefCell<Vec<String>>>,
}

impl Link for Script {
    fn exchange(&mut self, cmd: &str) -> Result<Vec<u8>, LinkError> {
        self.sent.borrow_mut().push(cmd.to_string());
        match self.replies.pop_front().flatten() {
            Some(r) => Ok(r.to_vec()),
            None => Err(LinkError::Timeout),
        }
    }
    fn reopen(&mut self) -> Result<(), String> {
        Ok(())
    }
}

const HANDSHAKE: [Option<&[u8]>; 6] = [
    Some(b"#-1"),
    Some(b"#0"),
    Some(b"#74279F35A48F5F13"),
    Some(b"#1200,PE02022.002,000000000000,000000000000000000"),
    Some(b"#230,290,162,10,300"),
    Some(b"#1200,0720,230,40,70,05.20"),
];

fn driver(replies: Vec<Option<&'static [u8]>>) -> (Hashx, Rc<RefCell<Vec<String>>>) {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let mut script = Some(Script { replies: replies.into(), sent: sent.clone() });
    let d = Hashx::with_opener(move |_| Ok(Box::new(script.take().expect("opened once")) as Box<dyn Link>));
    (d, sent)
}

fn ctx() -> Context {
    Context {
        progname: "nutdrv_hashx".into(),
        upsname: "h".into(),
        port: "/dev/ttyS9".into(),
        ..Context::default()
    }
}

#[test]
fn probe_retries_then_handshake() {
    // Two probes unanswered, one answered with a success: NUT keeps probing (4 in all) until
    // a -1 comes.
    let mut r = vec![None, None, Some(&b"#0"[..])];
    r.extend(HANDSHAKE);
    let (mut d, sent) = driver(r);
    let mut st = State::new();
    d.init(&ctx(), &mut st).expect("init");
    assert_eq!(sent.borrow()[..6], ["", "", "", "", "K19:OoNUTisAMAZINGoO", "X19"]);
    assert_eq!(st.get_info("device.model"), Some("1200"));
}

#[test]
fn refusals_say_why() {
    let cases: Vec<(Vec<Option<&'static [u8]>>, &str)> = vec![
        (vec![None; 4], "no reply to the #-protocol probe at 2400 baud on /dev/ttyS9"),
        (vec![Some(&b"#0"[..]); 4], "unexpected hash protocol response: #0 (status 0)"),
        (
            vec![Some(&b"#-1"[..]), Some(&b"#-3"[..])],
            "Failed to set session ID: OoNUTisAMAZINGoO (status -3)",
        ),
        (
            vec![Some(&b"#-1"[..]), Some(&b"#0"[..]), Some(&b"#74279F35A48F5F14"[..])],
            "unexpected hash protocol response: #74279F35A48F5F14",
        ),
        (
            vec![Some(&b"#-1"[..]), Some(&b"#0"[..]), Some(&b"#74279F35A48F5F13"[..]), Some(&b"#1"[..])],
            "unexpected UPS info response: #1",
        ),
    ];
    for (replies, want) in cases {
        let (mut d, _) = driver(replies);
        let e = d.init(&ctx(), &mut State::new()).expect_err(want).to_string();
        assert!(e.contains(want), "{want}: {e}");
    }
}

#[test]
fn missing_voltage_and_power_replies_are_logged_not_fatal() {
    let mut r: Vec<Option<&[u8]>> = HANDSHAKE[..4].to_vec();
    r.extend([None, Some(&b"#1200,x,230"[..])]);
    let (mut d, _) = driver(r);
    let mut st = State::new();
    d.init(&ctx(), &mut st).expect("init");
    assert_eq!(st.get_info("input.voltage.high.critical"), None);
    assert_eq!(st.get_info("ups.power.nominal"), Some("1200"));
    assert_eq!(st.get_info("ups.realpower.nominal"), None, "a field that does not parse is left out");
    assert_eq!(st.get_info("input.voltage.nominal"), Some("230"), "the following ones are read");
}

#[test]
fn polls_short_broken_and_good() {
    let mut r: Vec<Option<&[u8]>> = HANDSHAKE.to_vec();
    r.extend([
        Some(&b"#I239.0O237.0L007B100V27.0F50.1H50.1R040S\x80\x84\xd0\x80"[..]), // 4 status bytes
        Some(&b"garbage"[..]),
        None,
        Some(&b"#I239.0O237.0L007B100V27.0F50.1H50.1R040S\x80\x84\xd0\x80\x80\xc0"[..]),
        Some(&b"#0"[..]),
        Some(&b"#-10"[..]),
    ]);
    let (mut d, sent) = driver(r);
    let mut st = State::new();
    d.init(&ctx(), &mut st).expect("init");
    // NUT publishes the values and keeps the old status with fewer than 5 status bytes; we
    // make the data stale instead (no old status served as fresh).
    let e = d.update(&mut st).expect_err("4 status bytes").to_string();
    assert_eq!(e, "Status bytes are not enough: 4");
    assert_eq!(st.get_info("ups.status"), None);
    assert!(d.update(&mut st).expect_err("garbage").to_string().starts_with("Impossible to parse"));
    assert!(d.update(&mut st).expect_err("no reply").to_string().contains("no reply to B"));
    d.update(&mut st).expect("a whole line");
    assert_eq!(st.get_info("ups.status"), Some("OL HB"));
    assert_eq!(d.instcmd("beeper.enable", None, &mut st), CmdResult::Handled);
    assert_eq!(d.instcmd("test.battery.start.deep", None, &mut st), CmdResult::Failed, "#-10: unavailable");
    assert_eq!(d.instcmd("load.off", None, &mut st), CmdResult::Unknown);
    assert_eq!(sent.borrow()[sent.borrow().len() - 2..], ["K60:1", "AH"]);
    assert_eq!(d.shutdown(&mut st).expect_err("no shutdown").to_string(), "shutdown not supported");
}
