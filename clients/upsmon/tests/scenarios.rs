//! Power scenarios driven through dummy-ups `.dev` files against real daemons: each runs with
//! our upsmon and with Debian's upsmon 2.8.0 (against Debian's upsd, and against ours when it
//! is built), and the notification sequences (type and UPS, in order) and the shutdown
//! decisions must match.
//!
//! Debian 2.8.0 predates some notify types (BYPASS, OVER, SHUTDOWN_HOSTSYNC, NOTCAL, ...), so
//! sequences are compared on the types 2.8.0 knows; each scenario lists what only ours sends
//! (NUT 2.8.5 behaviour, such as a primary notifying FSD when it sets it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{free_port, wait_until, Proc, TempDir};

const OURS: &str = env!("CARGO_BIN_EXE_upsmon");
const TYPES_2_8_0: &[&str] =
    &["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "REPLBATT", "NOCOMM", "CAL"];

/// dummy-ups drivers and an upsd in a temp dir.
struct Stack {
    dir: TempDir,
    port: u16,
    upsd_bin: PathBuf,
    drivers: Vec<(String, Proc)>,
    upsd: Option<Proc>,
    mtime: std::cell::Cell<u64>,
}

impl Stack {
    fn new(upses: &[&str], upsd_bin: &Path) -> Stack {
        let dir = TempDir::new().expect("temp dir");
        let d = dir.path();
        let port = free_port();
        let mut ups_conf = String::from("pollinterval = 1\n");
        for u in upses {
            ups_conf.push_str(&format!("[{u}]\n driver = dummy-ups\n port = {}/{u}.dev\n", d.display()));
            std::fs::write(d.join(format!("{u}.dev")), "ups.status: OL\nbattery.charge: 100\n").expect("dev");
        }
        std::fs::write(d.join("ups.conf"), ups_conf).expect("ups.conf");
        std::fs::write(
            d.join("upsd.conf"),
            format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\nMAXAGE 5\n", d.display()),
        )
        .expect("upsd.conf");
        std::fs::write(
            d.join("upsd.users"),
            "[mon]\n password = pw\n upsmon primary\n[sec]\n password = pw\n upsmon secondary\n[admin]\n password = pw\n actions = FSD\n",
        )
        .expect("upsd.users");
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut s = Stack {
            dir,
            port,
            upsd_bin: upsd_bin.to_path_buf(),
            drivers: Vec::new(),
            upsd: None,
            mtime: now.into(),
        };
        for u in upses {
            s.start_driver(u);
        }
        s.start_upsd();
        s
    }

    fn env(&self, c: &mut Command) {
        let d = self.dir.path();
        c.env("NUT_CONFPATH", d).env("NUT_STATEPATH", d).env("NUT_ALTPIDPATH", d);
        c.stdout(Stdio::null()).stderr(Stdio::null());
    }

    fn start_driver(&mut self, ups: &str) {
        let mut c = Command::new("/lib/nut/dummy-ups");
        c.args(["-a", ups, "-u", "root", "-F"]);
        self.env(&mut c);
        self.drivers.push((ups.to_string(), Proc::spawn(c)));
        let sock = self.dir.path().join(format!("dummy-ups-{ups}"));
        assert!(wait_until(Duration::from_secs(10), || sock.exists()), "dummy-ups {ups} did not start");
    }

    fn stop_driver(&mut self, ups: &str) {
        if let Some(i) = self.drivers.iter().position(|(u, _)| u == ups) {
            let (_, mut p) = self.drivers.remove(i);
            p.terminate(Duration::from_secs(5));
        }
    }

    fn start_upsd(&mut self) {
        let mut c = Command::new(&self.upsd_bin);
        c.args(["-u", "root", "-F"]);
        self.env(&mut c);
        if let Ok(f) =
            std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("upsd.log"))
        {
            c.stderr(f);
        }
        self.upsd = Some(Proc::spawn(c));
        let port = self.port;
        assert!(wait_until(Duration::from_secs(10), || nut_testkit::port_open(port)), "upsd did not listen");
    }

    fn stop_upsd(&mut self) {
        if let Some(mut p) = self.upsd.take() {
            p.terminate(Duration::from_secs(5));
        }
    }

    /// Rewrites a .dev file with a fresh, distinct mtime so dummy-ups re-reads it.
    fn set(&self, ups: &str, status: &str) {
        let path = self.dir.path().join(format!("{ups}.dev"));
        let charge = if status.contains("LB") { 5 } else { 80 };
        std::fs::write(
            &path,
            format!("ups.status: {status}\nbattery.charge: {charge}\nups.alarm: Replace battery\n"),
        )
        .expect("write dev");
        self.mtime.set(self.mtime.get() + 1);
        let st = Command::new("touch").arg("-d").arg(format!("@{}", self.mtime.get())).arg(&path).status();
        assert!(st.is_ok_and(|s| s.success()), "touch failed");
    }

    /// Sets the FSD latch as a primary elsewhere would (`actions = FSD` user).
    fn fsd(&self, ups: &str) {
        use std::io::{BufRead, BufReader, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect upsd");
        s.write_all(format!("USERNAME admin\nPASSWORD pw\nFSD {ups}\nLOGOUT\n").as_bytes()).expect("send");
        let mut r = BufReader::new(s);
        let mut all = String::new();
        for _ in 0..3 {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap_or(0) == 0 {
                break;
            }
            all.push_str(&l);
        }
        assert!(all.contains("OK FSD-SET"), "FSD refused: {all}");
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Impl {
    Ours,
    Debian,
}

/// One upsmon under test with its own config dir, notify log and shutdown marker.
struct Upsmon {
    dir: TempDir,
    proc: Option<Proc>,
}

impl Upsmon {
    fn start(which: Impl, stack: &Stack, monitors: &[(&str, &str)], minsupplies: u32) -> Upsmon {
        let dir = TempDir::new().expect("temp dir");
        let d = dir.path();
        let mut conf = String::new();
        for (ups, role) in monitors {
            let user = if *role == "primary" { "mon" } else { "sec" };
            conf.push_str(&format!("MONITOR {ups}@127.0.0.1:{} 1 {user} pw {role}\n", stack.port));
        }
        conf.push_str(&format!(
            "MINSUPPLIES {minsupplies}\nPOLLFREQ 1\nPOLLFREQALERT 1\nDEADTIME 3\nHOSTSYNC 2\nFINALDELAY 0\n\
             NOTIFYCMD {d}/notify.sh\nSHUTDOWNCMD \"touch {d}/shutdown.marker\"\nPOWERDOWNFLAG {d}/killpower\n",
            d = d.display()
        ));
        let types: Vec<&str> = match which {
            Impl::Debian => TYPES_2_8_0.to_vec(),
            Impl::Ours => upsmon::notify::NotifyType::all().map(|t| t.name()).collect(),
        };
        for t in types {
            conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
        }
        std::fs::write(d.join("upsmon.conf"), conf).expect("upsmon.conf");
        let script = d.join("notify.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$(date +%s%N) $NOTIFYTYPE $UPSNAME\" >> {}/notify.log\n", d.display()),
        )
        .expect("notify.sh");
        Command::new("chmod").arg("700").arg(&script).status().expect("chmod");
        Command::new("chmod").arg("600").arg(d.join("upsmon.conf")).status().expect("chmod");
        // Without privilege separation (-p) there is one process to hold and stop.
        let mut c = match which {
            Impl::Ours => {
                let mut c = Command::new(OURS);
                c.args(["-F", "-p", "-u", "root"]);
                c
            }
            Impl::Debian => {
                // Debian's upsmon always uses /run/nut/upsmon.pid: give it a private one.
                let mut c = Command::new("unshare");
                c.args([
                    "-m",
                    "sh",
                    "-c",
                    "mount -t tmpfs tmpfs /run/nut && exec /lib/nut/upsmon -F -p -u root",
                ]);
                c
            }
        };
        c.env("NUT_CONFPATH", d).env("NUT_ALTPIDPATH", d).env("NUT_STATEPATH", d);
        c.stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(d.join("upsmon.log")).expect("log")));
        let proc = Some(Proc::spawn(c));
        Upsmon { dir, proc }
    }

    /// `(nanoseconds, "TYPE ups")` entries in log order.
    fn notes(&self) -> Vec<(u128, String)> {
        std::fs::read_to_string(self.dir.path().join("notify.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (t, rest) = l.split_once(' ')?;
                // "ONBATT ups1@127.0.0.1:port" → "ONBATT ups1".
                let note = rest.split_once('@').map_or(rest.trim_end(), |(h, _)| h);
                Some((t.parse().ok()?, note.to_string()))
            })
            .collect()
    }

    fn shut_down(&self) -> bool {
        self.dir.path().join("shutdown.marker").exists()
    }

    fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.terminate(Duration::from_secs(5));
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Status(&'static str, &'static str),
    Hold(u64),
    KillDriver(&'static str),
    StartDriver(&'static str),
    KillUpsd,
    StartUpsd,
    Fsd(&'static str),
}

struct Scenario {
    upses: &'static [&'static str],
    monitors: &'static [(&'static str, &'static str)],
    minsupplies: u32,
    steps: &'static [Step],
    /// What Debian's upsmon 2.8.0 notifies (and ours, on the 2.8.0 types).
    expect: &'static [&'static str],
    /// Notifications only ours sends, in order, on top of `expect`.
    ours_extra: &'static [&'static str],
    shutdown: bool,
}

#[derive(Debug)]
struct Outcome {
    notes: Vec<(u128, String)>,
    shutdown: bool,
}

fn run(which: Impl, upsd_bin: &Path, sc: &Scenario) -> Outcome {
    let mut stack = Stack::new(sc.upses, upsd_bin);
    let mut mon = Upsmon::start(which, &stack, sc.monitors, sc.minsupplies);
    // Let upsmon connect and see the initial OL.
    std::thread::sleep(Duration::from_secs(3));
    for step in sc.steps {
        match *step {
            Step::Status(u, s) => stack.set(u, s),
            Step::Hold(secs) => std::thread::sleep(Duration::from_secs(secs)),
            Step::KillDriver(u) => stack.stop_driver(u),
            Step::StartDriver(u) => stack.start_driver(u),
            Step::KillUpsd => stack.stop_upsd(),
            Step::StartUpsd => stack.start_upsd(),
            Step::Fsd(u) => stack.fsd(u),
        }
    }
    if sc.shutdown {
        wait_until(Duration::from_secs(10), || mon.shut_down());
    }
    std::thread::sleep(Duration::from_secs(1));
    mon.stop();
    let out = Outcome { notes: mon.notes(), shutdown: mon.shut_down() };
    if std::env::var_os("SCENARIO_DEBUG").is_some() {
        eprintln!(
            "{which:?}: {out:?}\n{}",
            std::fs::read_to_string(mon.dir.path().join("upsmon.log")).unwrap_or_default()
        );
    }
    out
}

/// Both upsmons fork every NOTIFYCMD run, so notifications sent in the same poll cycle (LOWBATT
/// and SHUTDOWN, COMMOK and ONLINE) reach the log in either order. Entries less than 300 ms
/// apart form one burst; bursts keep their order, and entries within a burst are sorted.
fn bursts(notes: &[(u128, String)]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut last = None;
    for (t, n) in notes {
        match last {
            Some(prev) if t.saturating_sub(prev) < 300_000_000 => {
                if let Some(b) = out.last_mut() {
                    b.push(n.clone());
                }
            }
            _ => out.push(vec![n.clone()]),
        }
        last = Some(*t);
    }
    out
}

fn canon(bursts: &[Vec<String>]) -> Vec<String> {
    bursts
        .iter()
        .flat_map(|b| {
            let mut b = b.clone();
            b.sort();
            b
        })
        .collect()
}

/// `expect` cut into bursts of the same sizes as an observed run.
fn canon_like(expect: &[&str], observed: &[Vec<String>]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
    for b in observed {
        let n = b.len().min(rest.len());
        let mut chunk: Vec<String> = rest.drain(..n).collect();
        chunk.sort();
        out.extend(chunk);
    }
    out.extend(rest);
    out
}

fn only_2_8_0(notes: &[(u128, String)]) -> Vec<(u128, String)> {
    notes.iter().filter(|(_, n)| TYPES_2_8_0.contains(&n.split(' ').next().unwrap_or(""))).cloned().collect()
}

/// Runs a scenario with both upsmons against `upsd_bin` and checks they agree.
fn check(sc: &Scenario, upsd_bin: &Path) {
    let theirs = run(Impl::Debian, upsd_bin, sc);
    let ours = run(Impl::Ours, upsd_bin, sc);
    let tb = bursts(&theirs.notes);
    assert_eq!(
        canon(&tb),
        canon_like(sc.expect, &tb),
        "Debian's upsmon 2.8.0 against {}: {tb:?}",
        upsd_bin.display()
    );
    assert_eq!(theirs.shutdown, sc.shutdown, "Debian's shutdown decision");
    // Ours: the 2.8.0 types in the same order, once the documented extras are taken out.
    let mut mine = ours.notes.clone();
    for extra in sc.ours_extra {
        let pos = mine.iter().position(|(_, n)| n == extra);
        assert!(pos.is_some(), "ours should also send {extra}: {:?}", ours.notes);
        if let Some(i) = pos {
            mine.remove(i);
        }
    }
    let ob = bursts(&only_2_8_0(&mine));
    assert_eq!(
        canon(&ob),
        canon_like(sc.expect, &ob),
        "our upsmon against {}: {ob:?} (all: {:?})",
        upsd_bin.display(),
        ours.notes
    );
    assert_eq!(ours.shutdown, theirs.shutdown, "shutdown decisions differ");
}

fn debian_upsd() -> Option<PathBuf> {
    let ok = Path::new("/lib/nut/upsd").exists()
        && Path::new("/lib/nut/upsmon").exists()
        && Command::new("unshare").args(["-m", "true"]).status().is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipping: Debian's NUT (/lib/nut/upsd, /lib/nut/upsmon) or unshare -m is not available");
        assert!(std::env::var_os("NUT_REQUIRE_DEBIAN").is_none(), "NUT_REQUIRE_DEBIAN is set");
        return None;
    }
    Some(PathBuf::from("/lib/nut/upsd"))
}

/// Our upsd, if it is built (the server helper's package); otherwise that half is skipped.
fn our_upsd() -> Option<PathBuf> {
    let p = nut_testkit::bin_dir().join("upsd");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: our upsd is not built (cargo build -p upsd): comparing against Debian's upsd only");
        None
    }
}

fn both(sc: &Scenario) {
    let Some(debian) = debian_upsd() else { return };
    check(sc, &debian);
    if std::env::var_os("UPSMON_SCENARIOS_OUR_UPSD").is_some() {
        if let Some(ours) = our_upsd() {
            check(sc, &ours);
        }
    }
}

use Step::*;

#[test]
fn power_blip_before_low_battery() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OB DISCHRG"), Hold(3), Status("ups1", "OL CHRG"), Hold(3)],
        expect: &["ONBATT ups1", "ONLINE ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn long_outage_to_low_battery_shuts_the_primary_down() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OB DISCHRG"), Hold(3), Status("ups1", "OB DISCHRG LB"), Hold(3)],
        expect: &["ONBATT ups1", "LOWBATT ups1", "SHUTDOWN"],
        // NUT 2.8.5: the primary notifies FSD when it sets it, and SHUTDOWN_HOSTSYNC.
        ours_extra: &["FSD ups1", "SHUTDOWN_HOSTSYNC"],
        shutdown: true,
    });
}

#[test]
fn fsd_from_the_primary_shuts_a_secondary_down() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "secondary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OB DISCHRG"), Hold(3), Fsd("ups1"), Hold(3)],
        expect: &["ONBATT ups1", "FSD ups1", "SHUTDOWN"],
        ours_extra: &[],
        shutdown: true,
    });
}

#[test]
fn comm_loss_while_on_battery_is_critical() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OB DISCHRG"), Hold(3), KillUpsd, Hold(8)],
        expect: &["ONBATT ups1", "COMMBAD ups1", "SHUTDOWN"],
        ours_extra: &["FSD ups1", "SHUTDOWN_HOSTSYNC"],
        shutdown: true,
    });
}

#[test]
fn upsd_restart_while_online_is_only_a_comm_blip() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[KillUpsd, Hold(3), StartUpsd, Hold(4)],
        expect: &["COMMBAD ups1", "COMMOK ups1", "ONLINE ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn driver_restart_while_online_is_only_a_comm_blip() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[KillDriver("ups1"), Hold(8), StartDriver("ups1"), Hold(4)],
        expect: &["COMMBAD ups1", "COMMOK ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn minsupplies_one_of_two_upses_failing_does_not_shut_down() {
    both(&Scenario {
        upses: &["ups1", "ups2"],
        monitors: &[("ups1", "primary"), ("ups2", "primary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OB DISCHRG"), Hold(2), Status("ups1", "OB DISCHRG LB"), Hold(4)],
        expect: &["ONBATT ups1", "LOWBATT ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn battery_replacement_is_notified() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OL RB"), Hold(3), Status("ups1", "OL"), Hold(2)],
        expect: &["REPLBATT ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn calibration_on_battery_is_not_critical() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[
            Status("ups1", "OL CAL"),
            Hold(2),
            Status("ups1", "OB CAL"),
            Hold(2),
            Status("ups1", "OB LB CAL"),
            Hold(3),
            Status("ups1", "OL"),
            Hold(3),
        ],
        expect: &["CAL ups1", "ONBATT ups1", "LOWBATT ups1", "ONLINE ups1"],
        ours_extra: &["NOTCAL ups1"],
        shutdown: false,
    });
}

#[test]
fn bypass_and_overload_on_line_power_are_notified_but_not_critical() {
    both(&Scenario {
        upses: &["ups1"],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[
            Status("ups1", "OL BYPASS"),
            Hold(2),
            Status("ups1", "OL OVER"),
            Hold(2),
            Status("ups1", "OL"),
            Hold(2),
        ],
        // NUT 2.8.0 has no BYPASS/OVER notifications (2.8.1 and 2.8.3 added them).
        expect: &[],
        ours_extra: &["BYPASS ups1", "NOTBYPASS ups1", "OVER ups1", "NOTOVER ups1"],
        shutdown: false,
    });
}
