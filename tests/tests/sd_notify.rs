//! The service manager's notify protocol (systemd's sd_notify(3), `Type=notify` and
//! `Type=notify-reload` units, `WatchdogSec=`) as NUT 2.8.5's daemons speak it, checked for
//! upsd, upsmon and a driver (dummy-ups, through the nut-driver framework every driver uses).
//!
//! Each test owns the `NOTIFY_SOCKET` receiver: a Unix datagram socket bound in a temp dir.
//! For each daemon: READY arrives (with `MAINPID`, as NUT sends it at start-up) and at that
//! moment the daemon serves (upsd answers on its port, the driver's socket gives its data,
//! upsmon is logged in to upsd); SIGHUP gives `RELOADING=1` with `MONOTONIC_USEC` then
//! `READY=1`; SIGTERM gives `STOPPING=1`, already queued when the process has exited; with
//! `WATCHDOG_USEC=200000` `WATCHDOG=1` comes about every 100 ms; with `WATCHDOG_PID` naming
//! another process it never comes; an unreachable `NOTIFY_SOCKET` does not stop the daemon.
//! Debian's NUT 2.8.0 predates the notify support (2.8.1), so there is no reference run.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_testkit::stack::Conn;
use nut_testkit::{bin, free_port, wait_until, Proc, TempDir};

const WAIT: Duration = Duration::from_secs(20);

/// The receiver of the daemon's notifications.
struct Notify {
    path: PathBuf,
    sock: UnixDatagram,
    seen: Vec<String>,
}

impl Notify {
    fn new(dir: &Path) -> Notify {
        let path = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&path).expect("bind the notify socket");
        Notify { path, sock, seen: Vec::new() }
    }

    /// The next datagram within `timeout`.
    fn recv(&mut self, timeout: Duration) -> Option<String> {
        self.sock.set_read_timeout(Some(timeout.max(Duration::from_millis(1)))).ok()?;
        let mut buf = [0u8; 4096];
        let n = self.sock.recv(&mut buf).ok()?;
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        self.seen.push(msg.clone());
        Some(msg)
    }

    /// Waits for a datagram `pred` accepts, skipping others; panics with all seen on timeout.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.recv(left) {
                Some(m) if pred(&m) => return m,
                Some(_) => {}
                None => break,
            }
        }
        panic!("no {what} notification; received: {:?}", self.seen)
    }

    /// Everything already queued.
    fn drain(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        self.sock.set_nonblocking(true).expect("nonblocking");
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.sock.recv(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        self.sock.set_nonblocking(false).expect("blocking");
        self.seen.extend(out.iter().cloned());
        out
    }
}

fn lines(msg: &str) -> Vec<&str> {
    msg.split('\n').collect()
}

fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the valid struct.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// A configuration directory: one dummy-ups UPS `u1`, upsd on a free loopback port, a
/// primary upsmon for it.
struct Site {
    dir: TempDir,
    port: u16,
}

impl Site {
    fn new() -> Site {
        let dir = TempDir::new().expect("temp dir");
        let d = dir.path();
        let port = free_port();
        let files: [(&str, String); 5] = [
            ("ups.conf", "[u1]\n\tdriver = dummy-ups\n\tport = u1.dev\n\tdesc = \"notify test\"\n".into()),
            ("u1.dev", "ups.status: OL\nbattery.charge: 100\ndevice.mfr: Notify\n".into()),
            ("upsd.conf", format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\n", d.display())),
            ("upsd.users", "[mon]\n\tpassword = pw\n\tupsmon primary\n".into()),
            (
                "upsmon.conf",
                format!(
                    "MONITOR u1@127.0.0.1:{port} 1 mon pw primary\nPOLLFREQ 1\nPOLLFREQALERT 1\n\
                     FINALDELAY 0\nSHUTDOWNCMD \"/bin/true\"\nPOWERDOWNFLAG {}/killpower\n",
                    d.display()
                ),
            ),
        ];
        for (name, text) in files {
            let p = d.join(name);
            std::fs::write(&p, text).expect("write config");
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
        }
        Site { dir, port }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `program args` with this site's paths, none of the caller's own service manager
    /// variables, then `env`; stderr to `<log>.log`.
    fn command(&self, program: &str, args: &[&str], env: &[(&str, &str)], log: &str) -> Command {
        let d = self.path();
        let path = if program.starts_with('/') { PathBuf::from(program) } else { bin(program) };
        let mut c = Command::new(path);
        c.args(args)
            .env("NUT_CONFPATH", d)
            .env("NUT_STATEPATH", d)
            .env("NUT_ALTPIDPATH", d)
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .env_remove("NUT_DEBUG_LEVEL");
        for (k, v) in env {
            c.env(k, v);
        }
        c.stdout(Stdio::null());
        c.stderr(std::fs::File::create(d.join(format!("{log}.log"))).expect("log file"));
        c
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(format!("{name}.log"))).unwrap_or_default()
    }

    fn socket(&self) -> PathBuf {
        self.path().join("dummy-ups-u1")
    }

    fn driver(&self, env: &[(&str, &str)]) -> Proc {
        Proc::spawn(self.command("dummy-ups", &["-a", "u1", "-u", "root", "-F"], env, "driver"))
    }

    fn upsd(&self, env: &[(&str, &str)]) -> Proc {
        Proc::spawn(self.command("upsd", &["-u", "root", "-F"], env, "upsd"))
    }

    /// Mono-process upsmon (`-p`), so the process the test holds is the monitor.
    fn upsmon(&self, env: &[(&str, &str)]) -> Proc {
        Proc::spawn(self.command("upsmon", &["-F", "-p", "-u", "root"], env, "upsmon"))
    }

    /// A driver and upsd without notifications, serving `u1`, for upsmon to watch.
    fn backend(&self) -> (Proc, Proc) {
        let drv = self.driver(&[]);
        assert!(wait_until(WAIT, || self.socket().exists()), "driver did not start:\n{}", self.log("driver"));
        let upsd = self.upsd(&[]);
        let ok = wait_until(WAIT, || {
            Conn::connect(self.port)
                .and_then(|mut c| c.request("GET VAR u1 ups.status"))
                .is_ok_and(|a| a.first().is_some_and(|l| l.contains("\"OL\"")))
        });
        assert!(ok, "upsd does not serve u1:\n{}", self.log("upsd"));
        (drv, upsd)
    }

    /// upsd answers a request on its port now (no retry).
    fn upsd_answers(&self) -> Result<(), String> {
        let mut c = Conn::connect(self.port).map_err(|e| format!("connect: {e}"))?;
        c.set_timeout(Duration::from_secs(5)).map_err(|e| e.to_string())?;
        let a = c.request("LIST UPS").map_err(|e| format!("LIST UPS: {e}"))?;
        if a.iter().any(|l| l.starts_with("UPS u1 ")) {
            Ok(())
        } else {
            Err(format!("LIST UPS gave {a:?}"))
        }
    }

    /// The driver's socket exists now and its dump holds the first update.
    fn driver_serves(&self) -> Result<(), String> {
        let mut s =
            UnixStream::connect(self.socket()).map_err(|e| format!("connect to the driver socket: {e}"))?;
        s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
        s.write_all(b"DUMPALL\n").map_err(|e| e.to_string())?;
        let mut r = BufReader::new(s);
        let mut dump = Vec::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).map_err(|e| format!("read the dump: {e}"))? == 0 {
                return Err(format!("socket closed mid-dump: {dump:?}"));
            }
            if line.trim_end() == "DUMPDONE" {
                break;
            }
            dump.push(line.trim_end().to_string());
        }
        if dump.iter().any(|l| l == "SETINFO ups.status \"OL\"") {
            Ok(())
        } else {
            Err(format!("no ups.status in the first dump: {dump:?}"))
        }
    }

    /// upsmon is logged in to upsd for u1 now.
    fn upsmon_logged_in(&self) -> Result<(), String> {
        let mut c = Conn::connect(self.port).map_err(|e| format!("connect: {e}"))?;
        let a = c.request("GET NUMLOGINS u1").map_err(|e| e.to_string())?;
        if a.first().is_some_and(|l| l == "NUMLOGINS u1 1") {
            Ok(())
        } else {
            Err(format!("GET NUMLOGINS u1 gave {a:?}"))
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Daemon {
    Upsd,
    Upsmon,
    Driver,
}

/// A daemon under test with its site (and, for upsmon, the driver and upsd it watches).
struct Running {
    site: Site,
    proc: Proc,
    _backend: Vec<Proc>,
    which: Daemon,
}

fn start(which: Daemon, env: &[(&str, &str)]) -> Running {
    let site = Site::new();
    let (proc, backend) = match which {
        Daemon::Upsd => {
            // upsd serves u1 once the driver is there; the driver does not notify.
            let drv = site.driver(&[]);
            assert!(wait_until(WAIT, || site.socket().exists()), "driver did not start");
            (site.upsd(env), vec![drv])
        }
        Daemon::Driver => (site.driver(env), Vec::new()),
        Daemon::Upsmon => {
            let (drv, upsd) = site.backend();
            (site.upsmon(env), vec![drv, upsd])
        }
    };
    Running { site, proc, _backend: backend, which }
}

impl Running {
    fn log(&self) -> String {
        self.site.log(match self.which {
            Daemon::Upsd => "upsd",
            Daemon::Upsmon => "upsmon",
            Daemon::Driver => "driver",
        })
    }

    /// The daemon does its job now.
    fn serves(&self) -> Result<(), String> {
        match self.which {
            Daemon::Upsd => self.site.upsd_answers(),
            Daemon::Driver => self.site.driver_serves(),
            Daemon::Upsmon => self.site.upsmon_logged_in(),
        }
    }
}

fn notify_env(n: &Notify) -> String {
    n.path.to_string_lossy().into_owned()
}

/// READY with MAINPID when it already serves; RELOADING + MONOTONIC_USEC then READY on
/// SIGHUP; STOPPING queued by the time SIGTERM made it exit.
fn lifecycle(which: Daemon) {
    let tmp = TempDir::new().expect("temp dir");
    let mut n = Notify::new(tmp.path());
    let sock = notify_env(&n);
    let mut r = start(which, &[("NOTIFY_SOCKET", &sock)]);
    let ready = n.wait_for("READY", |m| lines(m).contains(&"READY=1"));
    // Checked at once, no retry: at READY time the daemon serves.
    if let Err(e) = r.serves() {
        panic!("{which:?} sent READY before serving: {e}\nlog:\n{}", r.log());
    }
    assert_eq!(
        lines(&ready),
        vec!["READY=1".to_string(), format!("MAINPID={}", r.proc.pid())],
        "the first READY names the main process, as NUT's READY_WITH_PID"
    );

    let before = monotonic_usec();
    r.proc.signal(libc::SIGHUP);
    let reloading = n.wait_for("RELOADING", |m| lines(m).contains(&"RELOADING=1"));
    let after = monotonic_usec();
    let l = lines(&reloading);
    assert_eq!(l.len(), 2, "RELOADING=1 and MONOTONIC_USEC: {reloading:?}");
    let mono: u64 = l[1]
        .strip_prefix("MONOTONIC_USEC=")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no MONOTONIC_USEC in {reloading:?}"));
    assert!(before <= mono && mono <= after, "MONOTONIC_USEC {mono} not within [{before}, {after}]");
    let again = n.wait_for("READY after the reload", |m| lines(m).contains(&"READY=1"));
    assert_eq!(again, "READY=1", "READY after a reload is plain");
    r.serves().unwrap_or_else(|e| panic!("{which:?} does not serve after the reload: {e}"));

    let status = r.proc.terminate(WAIT).unwrap_or_else(|| panic!("{which:?} did not stop on SIGTERM"));
    assert!(status.success(), "{which:?} exit status {status}\nlog:\n{}", r.log());
    // Sent before the exit, so queued by now.
    let rest = n.drain();
    let stopping = rest
        .iter()
        .find(|m| lines(m).contains(&"STOPPING=1"))
        .unwrap_or_else(|| panic!("no STOPPING before the exit; received {:?}", n.seen));
    assert_eq!(stopping, "STATUS=Signal 15: exiting\nSTOPPING=1", "NUT's status text on a signal");
}

/// With WATCHDOG_USEC=200000 (WatchdogSec=0.2s) pings come at half of it: about 10 a second.
fn watchdog_rate(which: Daemon) {
    let tmp = TempDir::new().expect("temp dir");
    let mut n = Notify::new(tmp.path());
    let sock = notify_env(&n);
    let r = start(which, &[("NOTIFY_SOCKET", &sock), ("WATCHDOG_USEC", "200000")]);
    n.wait_for("READY", |m| lines(m).contains(&"READY=1"));
    n.wait_for("the first WATCHDOG", |m| m == "WATCHDOG=1");
    let t0 = Instant::now();
    let window = Duration::from_secs(2);
    let mut pings = 0u32;
    while let Some(left) = window.checked_sub(t0.elapsed()) {
        if let Some(m) = n.recv(left) {
            if m == "WATCHDOG=1" {
                pings += 1;
            }
        }
    }
    let elapsed = t0.elapsed();
    // A ping at most every 100 ms, so no more than the window allows (+1 for the edge); at
    // least a quarter of that, whatever the load of a shared machine.
    let most = (elapsed.as_millis() / 100) as u32 + 1;
    assert!(pings <= most, "{which:?}: {pings} pings in {elapsed:?}: more than one per 100 ms");
    assert!(
        pings >= 5,
        "{which:?}: only {pings} pings in {elapsed:?} (expected about 20)\nlog:\n{}",
        r.log()
    );
}

/// WATCHDOG_PID naming another process: the watchdog is not this daemon's, no pings.
fn watchdog_other_pid(which: Daemon) {
    let tmp = TempDir::new().expect("temp dir");
    let mut n = Notify::new(tmp.path());
    let sock = notify_env(&n);
    // PID 1 is never the daemon (nor its parent, the test).
    let mut r = start(which, &[("NOTIFY_SOCKET", &sock), ("WATCHDOG_USEC", "200000"), ("WATCHDOG_PID", "1")]);
    n.wait_for("READY", |m| lines(m).contains(&"READY=1"));
    // A reload round-trip shows the main loop running; then six ping periods of silence.
    r.proc.signal(libc::SIGHUP);
    n.wait_for("READY after the reload", |m| m == "READY=1");
    let t0 = Instant::now();
    while let Some(left) = Duration::from_millis(600).checked_sub(t0.elapsed()) {
        n.recv(left);
    }
    assert!(
        !n.seen.iter().any(|m| m.contains("WATCHDOG=1")),
        "{which:?} pinged a watchdog that is not its own: {:?}",
        n.seen
    );
    assert!(r.proc.is_running(), "{which:?} exited:\n{}", r.log());
}

/// NOTIFY_SOCKET naming nothing (a path nobody listens on, an abstract name nobody bound):
/// the daemon starts, serves, reloads and stops as usual.
fn unreachable_socket(which: Daemon) {
    let tmp = TempDir::new().expect("temp dir");
    for target in [
        tmp.path().join("nobody-listens").to_string_lossy().into_owned(),
        format!("@nut-notify-nobody-{}", std::process::id()),
    ] {
        let mut r = start(which, &[("NOTIFY_SOCKET", &target), ("WATCHDOG_USEC", "200000")]);
        assert!(
            wait_until(WAIT, || r.serves().is_ok()),
            "{which:?} with NOTIFY_SOCKET={target} does not serve: {:?}\nlog:\n{}",
            r.serves(),
            r.log()
        );
        r.proc.signal(libc::SIGHUP);
        // Still serving a few watchdog periods later, after the reload.
        let t0 = Instant::now();
        assert!(!wait_until(Duration::from_millis(500), || !r.proc.is_running()), "{which:?} exited");
        assert!(t0.elapsed() >= Duration::from_millis(500));
        r.serves().unwrap_or_else(|e| panic!("{which:?} stopped serving: {e}\nlog:\n{}", r.log()));
        let status = r.proc.terminate(WAIT).unwrap_or_else(|| panic!("{which:?} did not stop"));
        assert!(status.success(), "{which:?} exit status {status}\nlog:\n{}", r.log());
    }
}

#[test]
fn upsd_lifecycle() {
    lifecycle(Daemon::Upsd);
}

#[test]
fn driver_lifecycle() {
    lifecycle(Daemon::Driver);
}

#[test]
fn upsmon_lifecycle() {
    lifecycle(Daemon::Upsmon);
}

#[test]
fn upsd_watchdog_rate() {
    watchdog_rate(Daemon::Upsd);
}

#[test]
fn driver_watchdog_rate() {
    watchdog_rate(Daemon::Driver);
}

#[test]
fn upsmon_watchdog_rate() {
    watchdog_rate(Daemon::Upsmon);
}

#[test]
fn upsd_watchdog_pid_of_another_process() {
    watchdog_other_pid(Daemon::Upsd);
}

#[test]
fn driver_watchdog_pid_of_another_process() {
    watchdog_other_pid(Daemon::Driver);
}

#[test]
fn upsmon_watchdog_pid_of_another_process() {
    watchdog_other_pid(Daemon::Upsmon);
}

#[test]
fn upsd_unreachable_socket() {
    unreachable_socket(Daemon::Upsd);
}

#[test]
fn driver_unreachable_socket() {
    unreachable_socket(Daemon::Driver);
}

#[test]
fn upsmon_unreachable_socket() {
    unreachable_socket(Daemon::Upsmon);
}

/// NUT 2.8.5's nut-driver@.service: `upsdrvctl -FF start <ups>` as the main process of a
/// `Type=notify-reload` unit. With one UPS, upsdrvctl becomes the driver (exec, no fork, as
/// NUT's does), so the driver's notifications come from the unit's main process: READY with
/// `MAINPID` = the pid systemd started, the watchdog that systemd set up for that pid, and
/// `upsdrvctl -c reload <ups>` or the unit's SIGUSR1 giving RELOADING then READY.
#[test]
fn upsdrvctl_ff_start_notifies_from_the_main_process() {
    let site = Site::new();
    let tmp = TempDir::new().expect("temp dir");
    let mut n = Notify::new(tmp.path());
    let sock = notify_env(&n);
    // WATCHDOG_PID is the pid the service manager started: the shell's, which exec's upsdrvctl.
    let mut c =
        site.command("/bin/sh", &[], &[("NOTIFY_SOCKET", &sock), ("WATCHDOG_USEC", "200000")], "driver");
    c.arg("-c").arg(format!("WATCHDOG_PID=$$ exec {} -u root -FF start u1", bin("upsdrvctl").display()));
    let mut p = Proc::spawn(c);
    let ready = n.wait_for("READY", |m| lines(m).contains(&"READY=1"));
    site.driver_serves().unwrap_or_else(|e| panic!("READY before serving: {e}\n{}", site.log("driver")));
    assert_eq!(ready, format!("READY=1\nMAINPID={}", p.pid()), "the driver is the process started");
    n.wait_for("WATCHDOG", |m| m == "WATCHDOG=1");

    let mut ctl = site.command("upsdrvctl", &["-c", "reload", "u1"], &[], "upsdrvctl-reload");
    let st = ctl.status().expect("run upsdrvctl -c reload");
    assert!(st.success(), "upsdrvctl -c reload: {st}\n{}", site.log("upsdrvctl-reload"));
    n.wait_for("RELOADING", |m| m.starts_with("RELOADING=1\nMONOTONIC_USEC="));
    n.wait_for("READY after the reload", |m| m == "READY=1");
    // The unit's `ExecReload=/bin/kill -USR1 $MAINPID` (reload-or-exit, nothing changed).
    p.signal(libc::SIGUSR1);
    n.wait_for("RELOADING on SIGUSR1", |m| m.starts_with("RELOADING=1\nMONOTONIC_USEC="));
    n.wait_for("READY after SIGUSR1", |m| m == "READY=1");
    assert!(p.is_running(), "the driver exited on a reload-or-exit without changes");

    let st = p.terminate(WAIT).expect("driver stops on SIGTERM");
    assert!(st.success(), "exit status {st}\n{}", site.log("driver"));
    assert!(n.drain().iter().any(|m| m.ends_with("STOPPING=1")), "no STOPPING: {:?}", n.seen);
}

/// `upsdrvctl -F start` with two UPSes stays as the parent of both drivers (NUT's unit then
/// needs `NotifyAccess=all`): each driver announces itself with its own `MAINPID`, and takes
/// over the watchdog that was set up for upsdrvctl (its parent), as NUT's drivers do.
#[test]
fn drivers_under_a_supervising_upsdrvctl_take_over_the_watchdog() {
    let site = Site::new();
    let d = site.path();
    std::fs::write(
        d.join("ups.conf"),
        "[u1]\n\tdriver = dummy-ups\n\tport = u1.dev\n[u2]\n\tdriver = dummy-ups\n\tport = u1.dev\n",
    )
    .expect("ups.conf");
    let tmp = TempDir::new().expect("temp dir");
    let mut n = Notify::new(tmp.path());
    let sock = notify_env(&n);
    let mut c =
        site.command("/bin/sh", &[], &[("NOTIFY_SOCKET", &sock), ("WATCHDOG_USEC", "200000")], "driver");
    c.arg("-c").arg(format!("WATCHDOG_PID=$$ exec {} -u root -F start", bin("upsdrvctl").display()));
    let p = Proc::spawn(c);
    let mut mainpids = Vec::new();
    while mainpids.len() < 2 {
        let m = n.wait_for("READY from each driver", |m| m.starts_with("READY=1\nMAINPID="));
        let pid: u32 = m.rsplit('=').next().and_then(|v| v.parse().ok()).expect("MAINPID value");
        assert_ne!(pid, p.pid(), "a driver, not upsdrvctl, announces itself");
        if !mainpids.contains(&pid) {
            mainpids.push(pid);
        }
    }
    n.wait_for("WATCHDOG from the drivers", |m| m == "WATCHDOG=1");
}

/// A power-fail shutdown: upsmon says STOPPING (NUT's status text) and asks for unlimited
/// time (NUT's `EXTEND_TIMEOUT_USEC` of INT64_MAX) before SHUTDOWNCMD runs, so a service
/// manager stopping it meanwhile does not kill it half-way.
#[test]
fn upsmon_extends_the_timeout_before_shutdowncmd() {
    let site = Site::new();
    let d = site.path();
    let marker = d.join("shutdown.marker");
    let conf = std::fs::read_to_string(d.join("upsmon.conf"))
        .expect("upsmon.conf")
        .replace("SHUTDOWNCMD \"/bin/true\"", &format!("SHUTDOWNCMD \"touch {}\"", marker.display()));
    std::fs::write(d.join("upsmon.conf"), conf).expect("upsmon.conf");
    let _backend = site.backend();
    let tmp = TempDir::new().expect("temp dir");
    let mut n = Notify::new(tmp.path());
    let sock = notify_env(&n);
    let mut mon = site.upsmon(&[("NOTIFY_SOCKET", &sock)]);
    n.wait_for("READY", |m| lines(m).contains(&"READY=1"));
    assert!(n.seen.iter().all(|m| !m.contains("STOPPING")), "STOPPING before any trouble: {:?}", n.seen);
    // The driver re-reads its file when it changes: on battery, low.
    std::fs::write(d.join("u1.dev"), "ups.status: OB LB\nbattery.charge: 5\ndevice.mfr: Notify\n")
        .expect("u1.dev");
    assert!(wait_until(WAIT, || marker.exists()), "no shutdown; upsmon log:\n{}", site.log("upsmon"));
    // SHUTDOWNCMD ran after the notifications were sent: they are queued by now.
    let got: Vec<String> = n.drain();
    let infinity = format!("EXTEND_TIMEOUT_USEC={}", i64::MAX);
    let stop = got
        .iter()
        .position(|m| m == "STATUS=Executing automatic power-fail shutdown\nSTOPPING=1")
        .unwrap_or_else(|| panic!("no STOPPING for the shutdown: {:?}", n.seen));
    assert!(got[stop..].iter().any(|m| m.ends_with(&infinity)), "no {infinity} after STOPPING: {:?}", n.seen);
    let _ = mon.terminate(WAIT);
}

/// upsmon as root without `-p` keeps a privileged parent and monitors from a child (NUT's
/// design; its unit has `NotifyAccess=all`): READY names the child as the main process.
#[test]
fn upsmon_child_announces_itself_as_main_process() {
    let site = Site::new();
    let _backend = site.backend();
    let tmp = TempDir::new().expect("temp dir");
    let mut n = Notify::new(tmp.path());
    let sock = notify_env(&n);
    let mut mon =
        Proc::spawn(site.command("upsmon", &["-F", "-u", "root"], &[("NOTIFY_SOCKET", &sock)], "upsmon"));
    let ready = n.wait_for("READY", |m| lines(m).contains(&"READY=1"));
    let pid: u32 = ready
        .strip_prefix("READY=1\nMAINPID=")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("READY without MAINPID: {ready:?}"));
    assert_ne!(pid, mon.pid(), "the monitoring child, not the privileged parent");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let ppid = stat.rsplit(')').next().and_then(|s| s.split_whitespace().nth(1)).unwrap_or_default();
    assert_eq!(ppid, mon.pid().to_string(), "MAINPID {pid} is upsmon's child");
    site.upsmon_logged_in().unwrap_or_else(|e| panic!("READY before logging in: {e}"));
    // The child leaves on SIGTERM (it says STOPPING), then the parent follows.
    // SAFETY: kill(2) on the child pid read from our own receiver.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    n.wait_for("STOPPING", |m| m.ends_with("STOPPING=1"));
    assert!(mon.terminate(WAIT).is_some(), "upsmon parent did not exit");
}
