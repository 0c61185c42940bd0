//! The event subscription end to end: with our upsd, a status change reaches NOTIFYCMD at once
//! even with POLLFREQ 30; against Debian's upsd (no `WATCH`) our upsmon still works by polling;
//! and a latency measurement (driver status change → NOTIFYCMD, ours and Debian's, median of
//! several changes) prints the figures.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Impl, MonConf, Reserved, Stack, Upsmon, ONLINE_DEV};
use nut_testkit::{wait_until, Proc, TempDir};

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// Our own `WATCH` client on our upsd: records when upsd saw each status change, which is
/// when the driver sent it (the reference time of the measurements).
struct Watcher {
    events: Arc<Mutex<Vec<(u128, String)>>>,
    stream: TcpStream,
}

impl Watcher {
    fn start(port: u16, ups: &str) -> Watcher {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to our upsd");
        s.write_all(format!("WATCH {ups}\n").as_bytes()).expect("send WATCH");
        let events = Arc::new(Mutex::new(Vec::new()));
        let ev = events.clone();
        let reader = s.try_clone().expect("clone");
        std::thread::spawn(move || {
            let mut r = BufReader::new(reader);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                if let Some(status) = line.trim_end().split_once(" STATUS ").map(|(_, s)| s.trim_matches('"'))
                {
                    if let Ok(mut v) = ev.lock() {
                        v.push((now_ns(), status.to_string()));
                    }
                }
                line.clear();
            }
        });
        Watcher { events, stream: s }
    }

    /// When upsd first reported a status starting with `prefix` after `since`.
    fn seen(&self, prefix: &str, since: u128) -> Option<u128> {
        let v = self.events.lock().ok()?;
        v.iter().find(|(t, s)| *t >= since && s.starts_with(prefix)).map(|(t, _)| *t)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// The first notification `note` logged after `since`.
fn noted(mon: &Upsmon, note: &str, since: u128) -> Option<u128> {
    mon.notes().into_iter().find(|(t, n)| *t >= since && n == note).map(|(t, _)| t)
}

fn ms(ns: u128) -> f64 {
    ns as f64 / 1e6
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[test]
fn with_our_upsd_a_status_change_reaches_notifycmd_long_before_pollfreq() {
    let stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let mut mc = MonConf::on(&stack, &[("ups1", "primary")]);
    mc.extra = "POLLFREQ 30\nPOLLFREQALERT 30\n".into();
    let mon = Upsmon::start(Impl::Ours, &mc);
    assert!(
        wait_until(Duration::from_secs(10), || mon.log().contains("Watching UPS [ups1]")),
        "upsmon did not subscribe:\n{}",
        mon.log()
    );
    let watcher = Watcher::start(stack.port, "ups1");
    let mut lat = Vec::new();
    for (status, note) in [("OB DISCHRG", "ONBATT ups1"), ("OL CHRG", "ONLINE ups1"), ("OB", "ONBATT ups1")] {
        let written = now_ns();
        stack.set("ups1", status);
        let mut got = None;
        wait_until(Duration::from_secs(5), || {
            got = noted(&mon, note, written);
            got.is_some()
        });
        let Some(t) = got else {
            panic!("{note} did not reach NOTIFYCMD within 5 s of the change (POLLFREQ 30):\n{}", mon.log());
        };
        let from = watcher.seen(status.split(' ').next().unwrap_or(status), written).unwrap_or(written);
        lat.push(ms(t.saturating_sub(from)));
    }
    eprintln!("our upsmon + our upsd, POLLFREQ 30: driver change -> NOTIFYCMD {lat:.1?} ms");
}

#[test]
fn against_debian_upsd_our_upsmon_falls_back_to_polling() {
    if !common::debian_available("watch fallback") {
        return;
    }
    let stack = Stack::new(Impl::Debian, &[("ups1", ONLINE_DEV, "dev")]);
    let mut mc = MonConf::on(&stack, &[("ups1", "primary")]);
    mc.extra = "POLLFREQ 2\nPOLLFREQALERT 2\n".into();
    let mon = Upsmon::start(Impl::Ours, &mc);
    assert!(
        wait_until(Duration::from_secs(10), || mon.log().contains("has no event subscription")),
        "upsmon should notice that NUT's upsd has no WATCH:\n{}",
        mon.log()
    );
    let written = now_ns();
    stack.set("ups1", "OB DISCHRG");
    assert!(
        wait_until(Duration::from_secs(10), || noted(&mon, "ONBATT ups1", written).is_some()),
        "polling should still notice the change:\n{}",
        mon.log()
    );
    stack.set("ups1", "OL");
    assert!(wait_until(Duration::from_secs(10), || noted(&mon, "ONLINE ups1", written).is_some()));
}

/// Debian's upsd on its own port and config dir, reading the same driver socket as `stack`.
fn debian_upsd_beside(stack: &Stack) -> (TempDir, Proc, u16) {
    let dir = TempDir::new().expect("temp dir");
    let d = dir.path();
    for f in ["ups.conf", "upsd.users"] {
        std::fs::copy(stack.dir.path().join(f), d.join(f)).expect("copy config");
    }
    for _ in 0..5 {
        let mut r = Reserved::new("127.0.0.1");
        let port = r.port;
        std::fs::write(
            d.join("upsd.conf"),
            format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\nMAXAGE 5\n", stack.dir.path().display()),
        )
        .expect("upsd.conf");
        let mut c = Command::new("/lib/nut/upsd");
        c.args(["-u", "root", "-F"])
            .env("NUT_CONFPATH", d)
            .env("NUT_STATEPATH", stack.dir.path())
            .env("NUT_ALTPIDPATH", d)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        r.release();
        let mut p = Proc::spawn(c);
        if wait_until(Duration::from_secs(10), || !p.is_running() || common::listens(p.pid(), port))
            && p.is_running()
        {
            let ok = wait_until(Duration::from_secs(10), || {
                nut_client::Client::connect("127.0.0.1", port)
                    .and_then(|mut c| c.get_var("ups1", "ups.status"))
                    .is_ok_and(|s| s != "WAIT")
            });
            assert!(ok, "Debian's upsd beside ours has no data");
            return (dir, p, port);
        }
    }
    panic!("Debian's upsd did not start");
}

/// One dummy-ups feeds our upsd and Debian's upsd at the same time; our upsmon watches ours,
/// Debian's upsmon polls Debian's, both with POLLFREQ 5 (NUT's default). Each status change
/// is timed from the moment upsd received it from the driver to the NOTIFYCMD run.
#[test]
fn latency_driver_change_to_notifycmd_ours_vs_debian() {
    if !common::debian_available("latency measurement") {
        return;
    }
    let stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let (_ddir, _dupsd, dport) = debian_upsd_beside(&stack);
    let mut ours_conf = MonConf::on(&stack, &[("ups1", "primary")]);
    ours_conf.extra = "POLLFREQ 5\nPOLLFREQALERT 5\n".into();
    let mut theirs_conf = MonConf::on(&stack, &[("ups1", "primary")]);
    theirs_conf.port = dport;
    theirs_conf.extra = ours_conf.extra.clone();
    let ours = Upsmon::start(Impl::Ours, &ours_conf);
    let theirs = Upsmon::start(Impl::Debian, &theirs_conf);
    assert!(wait_until(Duration::from_secs(10), || ours.log().contains("Watching UPS [ups1]")));
    let watcher = Watcher::start(stack.port, "ups1");
    // Let both see the initial OL.
    std::thread::sleep(Duration::from_secs(2));
    let (mut lo, mut lt) = (Vec::new(), Vec::new());
    let changes = [("OB DISCHRG", "ONBATT ups1"), ("OL CHRG", "ONLINE ups1")];
    for i in 0..6 {
        let (status, note) = changes[i % 2];
        let written = now_ns();
        stack.set("ups1", status);
        let (mut a, mut b) = (None, None);
        wait_until(Duration::from_secs(15), || {
            a = a.or_else(|| noted(&ours, note, written));
            b = b.or_else(|| noted(&theirs, note, written));
            a.is_some() && b.is_some()
        });
        let from = watcher.seen(status.split(' ').next().unwrap_or(status), written);
        let (Some(a), Some(b), Some(from)) = (a, b, from) else {
            panic!(
                "change {i} ({status}) not seen: ours {a:?}, Debian's {b:?}, upsd {from:?}\nours:\n{}\nDebian's:\n{}",
                ours.log(),
                theirs.log()
            );
        };
        lo.push(ms(a.saturating_sub(from)));
        lt.push(ms(b.saturating_sub(from)));
        // Vary the phase against Debian's 5 s poll cycle.
        std::thread::sleep(Duration::from_millis(700 + 900 * (i as u64 % 3)));
    }
    eprintln!("driver status change -> NOTIFYCMD, 6 changes, POLLFREQ 5:");
    eprintln!("  ours   (our upsmon + our upsd, WATCH):   {lo:.1?} ms");
    eprintln!("  Debian (upsmon + upsd 2.8.0, polling):  {lt:.1?} ms");
    let (mo, mt) = (median(&mut lo), median(&mut lt));
    eprintln!("  median: ours {mo:.1} ms, Debian's {mt:.1} ms");
    assert!(mo < 5000.0, "ours should act on the push, not the poll: median {mo} ms");
}
