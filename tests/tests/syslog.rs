//! Daemons started in the background log to syslog as NUT's do: facility daemon, the program
//! name as ident, the pid, each line at its severity. Each daemon runs in a mount namespace of
//! the test's own whose `/dev/log` is a socket the test reads (`nut_testkit::syslog`), so
//! what it logs after detaching (stderr is `/dev/null` then) is checked, not lost.
//!
//! For each daemon (upsd, a driver, upsmon, upssched and its timer daemon, upslog): its
//! start-up line, a warning and an error reach syslog with NUT's ident and the pid of its PID
//! file, and `NUT_DEBUG_LEVEL` (which, unlike `-D`, does not keep it in the foreground) or
//! `-D -B` add `[D1]` debug lines. Where NUT logs no such line (upssched says it started only
//! when debugging; upslog has no warning once detached) the test says so.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nut_testkit::syslog::{SyslogLine, SyslogNs, LOG_DAEMON, LOG_DEBUG, LOG_ERR, LOG_INFO, LOG_WARNING};
use nut_testkit::{bin, free_port, wait_until, Impl, Prereq, Stack};

const WAIT: Duration = Duration::from_secs(20);

/// A daemon that went to the background inside the namespace, stopped by the pid of its PID
/// file when dropped.
struct Detached {
    pidfile: PathBuf,
}

impl Detached {
    fn pid(&self) -> u32 {
        assert!(
            wait_until(WAIT, || fs::read_to_string(&self.pidfile)
                .is_ok_and(|s| s.trim().parse::<u32>().is_ok())),
            "no PID file {}",
            self.pidfile.display()
        );
        fs::read_to_string(&self.pidfile).unwrap_or_default().trim().parse().unwrap_or(0)
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) with a pid read from the daemon's own PID file.
        unsafe { libc::kill(self.pid() as libc::pid_t, sig) };
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        if let Some(pid) = fs::read_to_string(&self.pidfile).ok().and_then(|s| s.trim().parse::<i32>().ok()) {
            // SAFETY: as above; SIGTERM then, if it lingers, SIGKILL.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            // SAFETY: signal 0 only probes.
            if !wait_until(Duration::from_secs(5), || unsafe { libc::kill(pid, 0) } != 0) {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

fn ready() -> Option<SyslogNs> {
    if let Some(why) = nut_testkit::syslog::unavailable() {
        let prereq = if nut_testkit::is_root() { Prereq::Unshare } else { Prereq::Root };
        nut_testkit::skip("syslog tests", &why, prereq);
        return None;
    }
    Some(SyslogNs::new())
}

/// Run `program args` in the namespace with `env`; it must go to the background (the
/// command returns) with status 0.
fn start_detached(
    ns: &SyslogNs,
    program: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
    extra: &[(&str, &str)],
) {
    let mut c = ns.command(program, args);
    for (k, v) in env {
        c.env(k, v);
    }
    for (k, v) in extra {
        c.env(k, v);
    }
    let out = nut_testkit::stack::run_with_timeout(c, WAIT).expect("run the daemon");
    assert_eq!(
        out.code,
        0,
        "{} did not go to the background:\n{}{}",
        program.display(),
        out.out(),
        out.err()
    );
}

fn line(ns: &mut SyslogNs, what: &str, pred: impl Fn(&SyslogLine) -> bool) -> SyslogLine {
    match ns.wait_for(WAIT, pred) {
        Some(l) => l,
        None => panic!("no syslog line {what}; received:\n{}", ns.dump()),
    }
}

fn assert_from(l: &SyslogLine, ident: &str, pid: u32, severity: u8) {
    assert_eq!(l.facility, LOG_DAEMON, "facility daemon: {l:?}");
    assert_eq!(l.ident, ident, "ident: {l:?}");
    assert_eq!(l.pid, Some(pid), "pid of the PID file: {l:?}");
    assert_eq!(l.severity, severity, "severity: {l:?}");
}

fn conf_dir(ns: &SyslogNs) -> PathBuf {
    let d = ns.dir().join("etc");
    fs::create_dir_all(d.join("state")).expect("mkdir");
    d
}

#[test]
fn upsd_in_the_background_logs_to_syslog() {
    let Some(mut ns) = ready() else { return };
    let d = conf_dir(&ns);
    let port = free_port();
    let state = d.join("state");
    // A UPS whose driver is not running: upsd warns that it can't connect.
    fs::write(d.join("ups.conf"), "[ghost]\n\tdriver = dummy-ups\n\tport = ghost.dev\n").expect("write");
    let upsd_conf = format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\n", state.display());
    fs::write(d.join("upsd.conf"), &upsd_conf).expect("write");
    fs::write(d.join("upsd.users"), "[mon]\n\tpassword = x\n\tupsmon primary\n").expect("write");
    let env = [
        ("NUT_CONFPATH", d.as_path()),
        ("NUT_STATEPATH", state.as_path()),
        ("NUT_ALTPIDPATH", state.as_path()),
    ];
    start_detached(&ns, &bin("upsd"), &["-u", "root"], &env, &[]);
    let daemon = Detached { pidfile: state.join("upsd.pid") };
    let pid = daemon.pid();

    // Logged before going to the background: NUT's upsd sends it to syslog from the start.
    // (with the pid upsd had before it forked to the background, as NUT's upsd does)
    let l = line(&mut ns, "listening on", |l| l.text == format!("listening on 127.0.0.1 port {port}"));
    assert_eq!((l.facility, l.ident.as_str(), l.severity), (LOG_DAEMON, "upsd", LOG_INFO), "{l:?}");
    assert!(l.pid.is_some(), "{l:?}");
    let l = line(&mut ns, "Startup successful", |l| l.text.starts_with("Startup successful"));
    assert_from(&l, "upsd", pid, LOG_INFO);
    let l = line(&mut ns, "can't connect warning", |l| l.text.starts_with("Can't connect to UPS [ghost]"));
    assert_from(&l, "upsd", pid, LOG_WARNING);

    // A reload with a broken upsd.conf is an error, and upsd keeps running.
    fs::write(d.join("upsd.conf"), format!("{upsd_conf}MAXAGE soon\n")).expect("write");
    daemon.signal(libc::SIGHUP);
    let l = line(&mut ns, "reload error", |l| l.severity == LOG_ERR);
    assert_from(&l, "upsd", pid, LOG_ERR);
    assert!(l.text.contains("MAXAGE") || l.text.contains("upsd.conf"), "the error names the problem: {l:?}");
    // No debug lines without debugging.
    assert!(!ns.lines().iter().any(|l| l.severity == LOG_DEBUG), "debug lines at level 0:\n{}", ns.dump());
    drop(daemon);

    // NUT_DEBUG_LEVEL raises the detail but, unlike -D, leaves upsd in the background.
    fs::write(d.join("upsd.conf"), &upsd_conf).expect("write");
    let mut ns2 = SyslogNs::new();
    start_detached(&ns2, &bin("upsd"), &["-u", "root"], &env, &[("NUT_DEBUG_LEVEL", "1")]);
    let daemon = Detached { pidfile: state.join("upsd.pid") };
    let pid = daemon.pid();
    assert!(wait_until(WAIT, || nut_testkit::port_open(port)), "upsd serves");
    let l = line(&mut ns2, "a [D1] line", |l| l.text.starts_with("[D1] ") && l.pid == Some(pid));
    assert_from(&l, "upsd", pid, LOG_DEBUG);
    drop(daemon);

    // -D -B: debugging in the background.
    let mut ns3 = SyslogNs::new();
    start_detached(&ns3, &bin("upsd"), &["-u", "root", "-D", "-B"], &env, &[]);
    let daemon = Detached { pidfile: state.join("upsd.pid") };
    let pid = daemon.pid();
    assert!(wait_until(WAIT, || nut_testkit::port_open(port)), "upsd serves");
    let l = line(&mut ns3, "a [D1] line", |l| l.text.starts_with("[D1] ") && l.pid == Some(pid));
    assert_from(&l, "upsd", pid, LOG_DEBUG);
    drop(daemon);
}

#[test]
fn driver_in_the_background_logs_to_syslog() {
    let Some(mut ns) = ready() else { return };
    let d = conf_dir(&ns);
    let state = d.join("state");
    fs::write(d.join("u1.dev"), "ups.status: OL\nbattery.charge: 90\n").expect("write");
    let conf = "[u1]\n\tdriver = dummy-ups\n\tport = u1.dev\n";
    fs::write(d.join("ups.conf"), conf).expect("write");
    let env = [
        ("NUT_CONFPATH", d.as_path()),
        ("NUT_STATEPATH", state.as_path()),
        ("NUT_ALTPIDPATH", state.as_path()),
    ];
    start_detached(&ns, &bin("dummy-ups"), &["-a", "u1", "-u", "root"], &env, &[]);
    let daemon = Detached { pidfile: state.join("dummy-ups-u1.pid") };
    let pid = daemon.pid();
    let l = line(&mut ns, "Startup successful", |l| l.text.starts_with("Startup successful"));
    assert_from(&l, "dummy-ups", pid, LOG_INFO);

    // A reload that finds a setting needing a restart warns; a broken ups.conf is an error.
    fs::write(d.join("ups.conf"), format!("{conf}\toverride.ups.mfr = Acme\n")).expect("write");
    daemon.signal(libc::SIGHUP);
    let l = line(&mut ns, "needs-a-restart warning", |l| l.text.contains("override.ups.mfr"));
    assert_from(&l, "dummy-ups", pid, LOG_WARNING);
    fs::write(d.join("ups.conf"), format!("{conf}\tpollinterval = soon\n")).expect("write");
    daemon.signal(libc::SIGHUP);
    let l = line(&mut ns, "reload error", |l| l.severity == LOG_ERR);
    assert_from(&l, "dummy-ups", pid, LOG_ERR);
    assert!(!ns.lines().iter().any(|l| l.severity == LOG_DEBUG), "debug lines at level 0:\n{}", ns.dump());
    drop(daemon);

    fs::write(d.join("ups.conf"), conf).expect("write");
    let mut ns2 = SyslogNs::new();
    start_detached(&ns2, &bin("dummy-ups"), &["-a", "u1", "-u", "root"], &env, &[("NUT_DEBUG_LEVEL", "1")]);
    let daemon = Detached { pidfile: state.join("dummy-ups-u1.pid") };
    let pid = daemon.pid();
    let l = line(&mut ns2, "a [D1] line", |l| l.text.starts_with("[D1] ") && l.pid == Some(pid));
    assert_from(&l, "dummy-ups", pid, LOG_DEBUG);
    drop(daemon);
}

#[test]
fn upsmon_in_the_background_logs_to_syslog() {
    let Some(mut ns) = ready() else { return };
    // Our upsd and dummy-ups serve a UPS that is on battery, low and calibrating: upsmon warns
    // that it does not declare a critical state.
    let stack = Stack::builder()
        .file("cal.dev", b"ups.status: OB LB CAL\nbattery.charge: 5\n")
        .ups(nut_testkit::UpsSpec::dummy_ups("cal", "cal.dev", Impl::Ours))
        .upsd(Impl::Ours)
        .start()
        .expect("start our stack");
    let d = conf_dir(&ns);
    let closed = free_port();
    let flag = d.join("killpower");
    let conf = format!(
        "MONITOR cal@127.0.0.1:{} 1 mon monpw primary\n\
         MONITOR ghost@127.0.0.1:{closed} 1 mon monpw primary\n\
         MINSUPPLIES 1\nPOLLFREQ 1\nPOLLFREQALERT 1\n\
         SHUTDOWNCMD \"/bin/true\"\nPOWERDOWNFLAG {}\n",
        stack.port(),
        flag.display()
    );
    fs::write(d.join("upsmon.conf"), &conf).expect("write");
    let state = d.join("state");
    let env = [
        ("NUT_CONFPATH", d.as_path()),
        ("NUT_STATEPATH", state.as_path()),
        ("NUT_ALTPIDPATH", state.as_path()),
    ];
    start_detached(&ns, &bin("upsmon"), &["-u", "root"], &env, &[]);
    let daemon = Detached { pidfile: state.join("upsmon.pid") };
    let pid = daemon.pid();
    let l = line(&mut ns, "Startup successful", |l| l.text.starts_with("Startup successful"));
    assert_eq!((l.facility, l.ident.as_str()), (LOG_DAEMON, "upsmon"), "{l:?}");
    let l =
        line(&mut ns, "calibrating warning", |l| l.text.contains("is OB+LB now, but it is also calibrating"));
    assert_from(&l, "upsmon", pid, LOG_WARNING);
    // NUT's line for a upsd that refuses the connection.
    let l = line(&mut ns, "connect failure error", |l| {
        l.text.starts_with(&format!("UPS [ghost@127.0.0.1:{closed}]: connect failed: "))
    });
    assert_from(&l, "upsmon", pid, LOG_ERR);
    assert!(!ns.lines().iter().any(|l| l.severity == LOG_DEBUG), "debug lines at level 0:\n{}", ns.dump());
    drop(daemon);

    let mut ns2 = SyslogNs::new();
    start_detached(&ns2, &bin("upsmon"), &["-u", "root"], &env, &[("NUT_DEBUG_LEVEL", "1")]);
    let daemon = Detached { pidfile: state.join("upsmon.pid") };
    let pid = daemon.pid();
    let l = line(&mut ns2, "a [D1] line", |l| l.text.starts_with("[D1] ") && l.pid == Some(pid));
    assert_from(&l, "upsmon", pid, LOG_DEBUG);
    drop(daemon);
    drop(stack);
}

#[test]
fn upssched_and_its_timer_daemon_log_to_syslog() {
    let Some(mut ns) = ready() else { return };
    let d = conf_dir(&ns);
    // PIPEFN in a directory that does not exist: the timer daemon cannot listen there, an
    // error. An unknown directive is a warning with file:line.
    let conf = |pipe_dir: &Path| {
        format!(
            "CMDSCRIPT /bin/true\nPIPEFN {}\nLOCKFN {}\nNO_SUCH_DIRECTIVE 1\nAT ONBATT * START-TIMER onbatt 1\n",
            pipe_dir.join("upssched.pipe").display(),
            d.join("upssched.lock").display()
        )
    };
    fs::write(d.join("upssched.conf"), conf(&d.join("missing"))).expect("write");
    let run = |ns: &SyslogNs, extra: &[(&str, &str)]| -> u32 {
        let mut c = ns.command(&bin("upssched"), &["UPS u1 on battery"]);
        c.env("NUT_CONFPATH", &d).env("UPSNAME", "u1").env("NOTIFYTYPE", "ONBATT");
        for (k, v) in extra {
            c.env(k, v);
        }
        let mut p = nut_testkit::Proc::spawn(c);
        let pid = p.pid();
        assert!(wait_until(WAIT, || !p.is_running()), "upssched did not return");
        pid
    };
    let invoker = run(&ns, &[]);
    let l = line(&mut ns, "unknown-directive warning", |l| l.text.contains("NO_SUCH_DIRECTIVE"));
    assert_from(&l, "upssched", invoker, LOG_WARNING);
    assert!(l.text.contains("upssched.conf:4"), "file:line: {l:?}");
    // The timer daemon, a process of its own, cannot listen on PIPEFN.
    let l = line(&mut ns, "PIPEFN error", |l| l.severity == LOG_ERR && l.text.contains("PIPEFN"));
    assert!(l.pid.is_some_and(|p| p != invoker), "logged by the timer daemon: {l:?}");
    assert_eq!((l.facility, l.ident.as_str()), (LOG_DAEMON, "upssched"), "{l:?}");
    assert!(!ns.lines().iter().any(|l| l.severity == LOG_DEBUG), "debug lines at level 0:\n{}", ns.dump());

    // With NUT_DEBUG_LEVEL the timer daemon says it started (NUT logs that only when
    // debugging), debug lines follow, and the timer's command is reported.
    fs::write(d.join("upssched.conf"), conf(&d)).expect("write");
    let mut ns2 = SyslogNs::new();
    let invoker = run(&ns2, &[("NUT_DEBUG_LEVEL", "1")]);
    let l = line(&mut ns2, "Timer daemon started", |l| l.text == "Timer daemon started");
    let daemon = l.pid.expect("pid");
    assert_ne!(daemon, invoker);
    assert_from(&l, "upssched", daemon, LOG_INFO);
    let l = line(&mut ns2, "a [D1] line", |l| l.text.starts_with("[D1] "));
    assert_eq!((l.facility, l.ident.as_str(), l.severity), (LOG_DAEMON, "upssched", LOG_DEBUG), "{l:?}");
    let l = line(&mut ns2, "the timer's event", |l| l.text.starts_with("Event: onbatt"));
    assert_from(&l, "upssched", daemon, LOG_INFO);
    // SAFETY: signal 0 only probes. The daemon exits by itself once its queue is empty.
    assert!(
        wait_until(WAIT, || unsafe { libc::kill(daemon as libc::pid_t, 0) } != 0),
        "timer daemon lingers"
    );
}

#[test]
fn upslog_in_the_background_logs_to_syslog() {
    let Some(mut ns) = ready() else { return };
    let stack = Stack::builder()
        .file("u1.dev", b"ups.status: OL\nbattery.charge: 90\n")
        .ups(nut_testkit::UpsSpec::dummy_ups("u1", "u1.dev", Impl::Ours))
        .upsd(Impl::Ours)
        .start()
        .expect("start our stack");
    let d = conf_dir(&ns);
    let state = d.join("state");
    let logdir = d.join("logs");
    fs::create_dir_all(&logdir).expect("mkdir");
    let logfile = logdir.join("ups.log");
    let target = stack.target("u1");
    let args = ["-s", &target, "-l", logfile.to_str().unwrap_or_default(), "-i", "1", "-u", "root"];
    let env = [
        ("NUT_CONFPATH", d.as_path()),
        ("NUT_STATEPATH", state.as_path()),
        ("NUT_ALTPIDPATH", state.as_path()),
    ];
    start_detached(&ns, &bin("upslog"), &args, &env, &[]);
    let daemon = Detached { pidfile: state.join("upslog.pid") };
    let pid = daemon.pid();
    let l = line(&mut ns, "Startup successful", |l| l.text.starts_with("Startup successful"));
    assert_from(&l, "upslog", pid, LOG_INFO);
    assert!(wait_until(WAIT, || fs::read_to_string(&logfile).is_ok_and(|t| t.contains("OL"))), "logging");
    // Log rotation (SIGHUP) after the directory went away: the reopen fails, an error.
    // (NUT's upslog logs no warning once in the background; its one warning, a server with no
    // devices for `*`, comes before it detaches.)
    fs::remove_dir_all(&logdir).expect("rm");
    daemon.signal(libc::SIGHUP);
    let l = line(&mut ns, "reopening", |l| l.text.starts_with("Signal 1: reopening log file"));
    assert_from(&l, "upslog", pid, LOG_INFO);
    let l = line(&mut ns, "reopen error", |l| l.text.starts_with("could not reopen logfile"));
    assert_from(&l, "upslog", pid, LOG_ERR);
    assert!(!ns.lines().iter().any(|l| l.severity == LOG_DEBUG), "debug lines at level 0:\n{}", ns.dump());
    drop(daemon);
    drop(stack);
}
