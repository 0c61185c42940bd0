//! The NUT 2.8.5 driver framework, exercised through our dummy-ups (the reference driver):
//! `-c reload|reload-or-error|reload-or-exit|exit|dump`, `-P`, `-FF`, SIGUSR1 (what NUT's
//! systemd units send to reload), SIGURG, `driver.state`, `driver.debug`,
//! `driver.flag.allow_killpower`, `driver.killpower`, `shutdown.default`, `sdcommands`,
//! `debug_min`, against nutupsdrv(8), ups.conf(5) and dummy-ups(8) of NUT 2.8.5 (Debian's
//! 2.8.0 drivers have none of this: no `-c`/`-P`, and SIGHUP/SIGUSR1 kill them).

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nut_testkit::{bin, wait_until, Proc, TempDir};

const T: Duration = Duration::from_secs(15);

/// A dummy-ups of ours in a private directory (NUT_CONFPATH = NUT_STATEPATH = NUT_ALTPIDPATH).
struct Drv {
    dir: TempDir,
    proc: Option<Proc>,
}

impl Drv {
    /// Write `conf` as ups.conf (section `[u]`) and the files, start `dummy-ups -a u <args>`.
    fn start(conf: &str, files: &[(&str, &str)], args: &[&str]) -> Drv {
        let d = Drv::prepare(conf, files);
        d.spawn(args)
    }

    fn prepare(conf: &str, files: &[(&str, &str)]) -> Drv {
        let dir = TempDir::new().unwrap();
        std::fs::write(dir.path().join("ups.conf"), conf).unwrap();
        for (n, t) in files {
            std::fs::write(dir.path().join(n), t).unwrap();
        }
        Drv { dir, proc: None }
    }

    fn spawn(mut self, args: &[&str]) -> Drv {
        let mut cmd = Command::new(bin("dummy-ups"));
        cmd.args(["-a", "u", "-u", "root"]).args(args).envs(self.env());
        cmd.stdin(Stdio::null())
            .stdout(std::fs::File::create(self.path("out.log")).unwrap())
            .stderr(std::fs::File::create(self.path("drv.log")).unwrap());
        let mut p = Proc::spawn(cmd);
        let sock = self.path("dummy-ups-u");
        assert!(wait_until(T, || sock.exists() || !p.is_running()), "socket appears");
        assert!(p.is_running(), "dummy-ups exited: {}", self.log());
        // The socket exists before the framework's last variables: wait for driver.state.
        assert!(wait_until(T, || self.var("driver.state").as_deref() == Some("quiet")), "{}", self.log());
        self.proc = Some(p);
        self
    }

    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        let d = self.dir.path().to_path_buf();
        vec![("NUT_CONFPATH", d.clone()), ("NUT_STATEPATH", d.clone()), ("NUT_ALTPIDPATH", d)]
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path("drv.log")).unwrap_or_default()
    }

    fn out(&self) -> String {
        std::fs::read_to_string(self.path("out.log")).unwrap_or_default()
    }

    /// Run our dummy-ups with these arguments in this directory (`-c`, `-k`...).
    fn run(&self, args: &[&str]) -> Output {
        Command::new(bin("dummy-ups")).args(args).envs(self.env()).stdin(Stdio::null()).output().unwrap()
    }

    fn proc(&mut self) -> &mut Proc {
        self.proc.as_mut().unwrap()
    }

    /// The exit status once the driver stopped (within 15 s).
    fn exit_code(&mut self) -> Option<i32> {
        let p = self.proc();
        if !wait_until(T, || !p.is_running()) {
            return None;
        }
        p.child_mut().wait().ok().and_then(|s| s.code())
    }

    /// Socket dialog: send `lines`, read until a line starting with `until`.
    fn talk(&self, lines: &str, until: &str) -> String {
        let Ok(s) = UnixStream::connect(self.path("dummy-ups-u")) else { return String::new() };
        s.set_read_timeout(Some(T)).unwrap();
        (&s).write_all(lines.as_bytes()).unwrap();
        let mut got = String::new();
        for line in BufReader::new(&s).lines() {
            let Ok(line) = line else { break };
            got.push_str(&line);
            got.push('\n');
            if line.starts_with(until) {
                break;
            }
        }
        got
    }

    /// A variable from DUMPALL.
    fn var(&self, name: &str) -> Option<String> {
        let dump = self.talk("DUMPALL\n", "DUMPDONE");
        dump.lines().find_map(|l| {
            let rest = l.strip_prefix("SETINFO ")?;
            let w = nut_proto::words::split(rest).ok()?;
            (w.first()? == name).then(|| w.get(1).cloned().unwrap_or_default())
        })
    }

    /// `INSTCMD`/`SET` with TRACKING: the status the driver answers.
    fn request(&self, req: &str) -> String {
        let got = self.talk(&format!("{req} TRACKING t1\n"), "TRACKING t1");
        got.lines().find_map(|l| l.strip_prefix("TRACKING t1 ")).unwrap_or("(none)").to_string()
    }

    fn wait_log(&self, text: &str) -> bool {
        wait_until(T, || self.log().contains(text))
    }
}

const DEV: &str = "ups.status: OL\nbattery.charge: 90\nbattery.charge.low: 20\n";

fn conf(extra: &str) -> String {
    format!("[u]\n driver = dummy-ups\n port = a.dev\n pollinterval = 1\n{extra}")
}

#[test]
fn c_reload_reaches_a_foreground_driver_and_reload_or_error_reports_restarts() {
    // -F: no PID file (nutupsdrv(8): -F alone does not save it), so -c goes over the socket.
    let mut d = Drv::start(&conf(""), &[("a.dev", DEV)], &["-F"]);
    assert!(!d.path("dummy-ups-u.pid").exists(), "-F keeps no PID file");
    d.write("ups.conf", &conf(" desc = \"new\"\n pollinterval = 3\n"));
    let out = d.run(&["-a", "u", "-c", "reload"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(wait_until(T, || d.var("driver.parameter.pollinterval").as_deref() == Some("3")), "{}", d.log());

    // reload-or-error: 0 when everything applies, 2 when a change needs a restart; the driver
    // keeps running either way.
    d.write("ups.conf", &conf(" pollinterval = 2\n"));
    let out = d.run(&["-a", "u", "-c", "reload-or-error"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    d.write("ups.conf", &conf(" override.ups.mfr = X\n"));
    let out = d.run(&["-a", "u", "-c", "reload-or-error"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("need a restart"), "{out:?}");
    assert_eq!(d.request("INSTCMD driver.reload-or-error"), "2", "the same over the socket");
    assert!(d.proc().is_running());
    // NUT's abbreviations: -c r means reload-or-error.
    assert_eq!(d.run(&["-a", "u", "-c", "r"]).status.code(), Some(2));

    // reload-or-exit: the driver stops with 128 + SIGUSR1 so a service manager restarts it.
    let out = d.run(&["-a", "u", "-c", "reload-or-exit"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(d.exit_code(), Some(138), "{}", d.log());
    assert!(d.log().contains(
        "NUT driver reload-or-exit: setting override.ups.mfr was changed and requires a driver restart"
    ));
    assert!(!d.path("dummy-ups-u").exists(), "socket removed");
}

#[test]
fn sigusr1_reloads_and_exits_only_when_a_restart_is_needed() {
    let mut d = Drv::start(&conf(""), &[("a.dev", DEV)], &["-F"]);
    d.write("ups.conf", &conf(" pollinterval = 4\n"));
    d.proc().signal(libc::SIGUSR1);
    assert!(wait_until(T, || d.var("driver.parameter.pollinterval").as_deref() == Some("4")), "{}", d.log());
    assert!(d.proc().is_running(), "SIGUSR1 must not kill the driver (NUT >= 2.8.1 units send it)");
    // SIGHUP reloads too, and logs what needs a restart instead of exiting.
    d.write("ups.conf", &conf(" override.ups.mfr = X\n"));
    d.proc().signal(libc::SIGHUP);
    assert!(d.wait_log("needs a restart"), "{}", d.log());
    assert!(d.proc().is_running());
    d.proc().signal(libc::SIGUSR1);
    assert_eq!(d.exit_code(), Some(138), "{}", d.log());
}

#[test]
fn c_exit_p_pid_ff_pid_file_and_unknown_commands() {
    // -FF saves the PID file in the foreground; -c goes to the PID named with -P.
    let mut d = Drv::start(&conf(""), &[("a.dev", DEV)], &["-FF"]);
    let pid = nut_daemon::pidfile::read(d.path("dummy-ups-u.pid")).unwrap();
    assert_eq!(pid as u32, d.proc().pid());
    d.write("ups.conf", &conf(" pollinterval = 5\n"));
    let out = d.run(&["-a", "u", "-c", "reload", "-P", &pid.to_string()]);
    assert!(out.status.success(), "{out:?}");
    assert!(wait_until(T, || d.var("driver.parameter.pollinterval").as_deref() == Some("5")), "{}", d.log());
    // NUT 2.8.5 documents reload-or-restart but does not implement it.
    let out = d.run(&["-a", "u", "-c", "reload-or-restart"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Error: unknown argument to option -c."),
        "{out:?}"
    );
    let out = d.run(&["-a", "u", "-c", "exit"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(d.exit_code(), Some(0));
    assert!(!d.path("dummy-ups-u.pid").exists(), "PID file removed");
    // Nothing runs any more: -c fails and says so.
    let out = d.run(&["-a", "u", "-c", "reload"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no PID file"), "{out:?}");
    assert_eq!(d.run(&["-a", "u", "-c", "reload-or-error"]).status.code(), Some(255));
}

#[test]
fn reload_signals_during_start_up_wait_for_the_main_loop() {
    // NUT sets its signal handlers up before it looks for an older instance and opens the
    // device: a SIGHUP or SIGUSR1 (a systemd reload) arriving meanwhile must not kill the
    // driver. A fake older instance holds the socket and never answers, which keeps the new
    // driver in its start-up for as long as the test needs.
    let d = Drv::prepare(&conf(""), &[("a.dev", DEV)]);
    let old = std::os::unix::net::UnixListener::bind(d.path("dummy-ups-u")).unwrap();
    old.set_nonblocking(true).unwrap();
    let mut cmd = Command::new(bin("dummy-ups"));
    cmd.args(["-a", "u", "-u", "root", "-F"]).envs(d.env()).stdin(Stdio::null()).stdout(Stdio::null());
    cmd.stderr(std::fs::File::create(d.path("drv.log")).unwrap());
    let mut p = Proc::spawn(cmd);
    let mut conn = None;
    assert!(wait_until(T, || {
        conn = old.accept().ok();
        conn.is_some() || !p.is_running()
    }));
    let (conn, _) = conn.expect("the new driver asks the old one to exit");
    p.signal(libc::SIGHUP);
    p.signal(libc::SIGUSR1);
    // The old instance goes away without answering; the new one starts and serves.
    drop(conn);
    drop(old);
    assert!(
        wait_until(T, || !p.is_running() || d.var("driver.state").as_deref() == Some("quiet")),
        "{}",
        d.log()
    );
    assert!(p.is_running(), "a reload signal during start-up killed the driver: {}", d.log());
    assert!(d.wait_log("Handling requested live reload"), "the reload was not kept: {}", d.log());
    assert!(p.is_running());
}

#[test]
fn sigurg_prints_the_data_on_stdout() {
    let mut d = Drv::start(&conf(""), &[("a.dev", DEV)], &["-F"]);
    d.proc().signal(libc::SIGURG);
    assert!(wait_until(T, || d.out().contains("ups.status: OL\n")), "{}", d.out());
    let out = d.out();
    // upsc's form, sorted as upsc prints it, with the framework's variables.
    for l in
        ["battery.charge: 90\n", "driver.name: dummy-ups\n", "driver.state: quiet\n", "driver.debug: 0\n"]
    {
        assert!(out.contains(l), "{l:?} missing from {out}");
    }
    assert!(out.find("battery.charge:") < out.find("ups.status:"));
    assert!(d.proc().is_running(), "SIGURG does not stop the driver");
}

#[test]
fn driver_state_debug_and_allow_killpower_variables() {
    let d = Drv::start(&conf(""), &[("a.dev", DEV)], &["-F"]);
    let dump = d.talk("DUMPALL\n", "DUMPDONE");
    for l in [
        "SETINFO driver.state \"quiet\"\n",
        "SETINFO driver.debug \"0\"\nSETFLAGS driver.debug RW NUMBER\n",
        "SETINFO driver.flag.allow_killpower \"0\"\nSETFLAGS driver.flag.allow_killpower RW NUMBER\n",
        "ADDCMD driver.killpower\nADDCMD driver.reload\nADDCMD driver.reload-or-error\n\
         ADDCMD driver.reload-or-exit\nADDCMD load.off\nADDCMD shutdown.default\n",
    ] {
        assert!(dump.contains(l), "{l:?} missing from\n{dump}");
    }
    assert!(!dump.contains("driver.exit"), "driver.exit is taken but not listed, as in NUT");
    // Every poll goes through updateinfo and back to quiet, broadcast to the clients.
    let s = UnixStream::connect(d.path("dummy-ups-u")).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    let mut seen = String::new();
    for line in BufReader::new(&s).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if seen.contains("SETINFO driver.state \"updateinfo\"\nSETINFO driver.state \"quiet\"\n") {
            break;
        }
    }
    assert!(seen.ends_with("SETINFO driver.state \"quiet\"\n"), "{seen}");
}

#[test]
fn driver_debug_follows_debug_min_and_writes() {
    // Global debug_min, overridden by the section's (ups.conf(5)); -D can only raise it.
    let text = format!("debug_min = 1\n{}", conf(" DEBUG_MIN = 2\n"));
    let d = Drv::start(&text, &[("a.dev", DEV)], &["-F"]);
    assert_eq!(d.var("driver.debug").as_deref(), Some("2"));
    assert!(d.wait_log("[D1]"), "debug lines without -D: {}", d.log());
    // A write wins over everything; a negative one goes back to the configuration.
    assert_eq!(d.request("SET driver.debug \"0\""), "0");
    assert_eq!(d.var("driver.debug").as_deref(), Some("0"));
    assert_eq!(d.request("SET driver.debug \"-1\""), "0");
    assert_eq!(d.var("driver.debug").as_deref(), Some("2"));
    assert_eq!(d.request("SET driver.debug \"lots\""), "2", "not a number: INVALID");
    let d = Drv::start(&text, &[("a.dev", DEV)], &["-F", "-DDD"]);
    assert_eq!(d.var("driver.debug").as_deref(), Some("3"), "-D above debug_min");
}

#[test]
fn killpower_is_refused_unless_allowed_and_runs_sdcommands_in_order() {
    let files = [("a.dev", DEV)];
    let mut d = Drv::start(&conf(" sdcommands = load.off,shutdown.default\n"), &files, &["-F"]);
    assert_eq!(d.var("driver.parameter.sdcommands").as_deref(), Some("load.off,shutdown.default"));
    assert_eq!(d.request("INSTCMD driver.killpower"), "2", "refused: allow_killpower not set");
    assert!(d.log().contains("driver.flag.allow_killpower does not permit this"), "{}", d.log());
    assert!(!d.log().contains("instcmd: unknown command [load.off]"), "nothing tried");
    // shutdown.default is the driver's own shutdown (dummy-ups: "shutdown not supported").
    assert_eq!(d.request("INSTCMD shutdown.default"), "3");
    assert!(d.proc().is_running());
    // Unlocked at run time (upsrw): the sdcommands are tried in order, then the driver exits.
    assert_eq!(d.request("SET driver.flag.allow_killpower \"1\""), "0");
    assert_eq!(d.request("INSTCMD driver.killpower"), "3");
    assert_eq!(d.exit_code(), Some(1), "the driver exits after killpower (here: failed)");
    let log = d.log();
    let a = log.find("instcmd: unknown command [load.off]").unwrap();
    let b = log.rfind("shutdown not supported").unwrap();
    assert!(a < b, "load.off before shutdown.default: {log}");
    assert!(log.contains("UPS [u]: shutdown request(s) failed"), "{log}");

    // allow_killpower in ups.conf unlocks it from the start.
    let d = Drv::start(&conf(" allow_killpower\n"), &files, &["-F"]);
    assert_eq!(d.var("driver.flag.allow_killpower").as_deref(), Some("1"));
}

#[test]
fn dash_k_follows_sdcommands_and_asks_a_running_driver_first() {
    // No driver running: -k opens the device itself and runs the sequence.
    let d = Drv::prepare(&conf(" sdcommands = load.off,shutdown.default\n"), &[("a.dev", DEV)]);
    let out = d.run(&["-a", "u", "-u", "root", "-k"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let (a, b) =
        (err.find("unknown command [load.off]").unwrap(), err.find("shutdown not supported").unwrap());
    assert!(a < b, "{err}");
    // A running driver gets the request (SET allow_killpower 1, INSTCMD driver.killpower).
    let mut d = d.spawn(&["-F"]);
    let out = d.run(&["-a", "u", "-u", "root", "-k"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Request to killpower via running driver instance returned code 3"), "{err}");
    assert_eq!(d.exit_code(), Some(1));
    assert!(d.log().contains("Requesting UPS [u] to power off"), "{}", d.log());
}

#[test]
fn a_second_instance_replaces_the_first() {
    // NUT 2.8.5: a new instance asks the running one to exit over the socket, then serves.
    let mut d = Drv::start(&conf(""), &[("a.dev", DEV)], &["-F"]);
    let mut cmd = Command::new(bin("dummy-ups"));
    cmd.args(["-a", "u", "-u", "root", "-F"]).envs(d.env()).stdin(Stdio::null()).stdout(Stdio::null());
    cmd.stderr(std::fs::File::create(d.path("second.log")).unwrap());
    let mut second = Proc::spawn(cmd);
    assert_eq!(d.exit_code(), Some(0), "the first instance was asked to exit");
    let log = || std::fs::read_to_string(d.path("second.log")).unwrap_or_default();
    assert!(wait_until(T, || log().contains("Duplicate driver instance detected")), "{}", log());
    assert!(wait_until(T, || d.var("driver.state").as_deref() == Some("quiet")), "{}", log());
    assert!(second.is_running());
    let pid = d.talk("GETPID\n", "PID");
    assert_eq!(pid.trim(), format!("PID {}", second.pid()), "the second one serves");
}

#[test]
fn alarm_instruction_sets_ups_alarm_and_the_alarm_token() {
    // dummy-ups(8) 2.8.5's example.
    let seq = "ups.status: OL\nALARM [UPS too warm to charge]\nALARM [UPS circuit is overheating]\nTIMER 2\n\
               ALARM\nTIMER 2\nALARM [UPS too cold to charge]\nTIMER 100\n";
    let d = Drv::start(&conf(" mode = dummy-loop\n"), &[("a.dev", seq)], &["-F"]);
    assert_eq!(d.var("ups.alarm").as_deref(), Some("[UPS too warm to charge] [UPS circuit is overheating]"));
    assert_eq!(d.var("ups.status").as_deref(), Some("ALARM OL"));
    assert!(wait_until(T, || d.var("ups.alarm").is_none()), "ALARM alone clears");
    assert_eq!(d.var("ups.status").as_deref(), Some("OL"));
    assert!(wait_until(T, || d.var("ups.alarm").as_deref() == Some("[UPS too cold to charge]")));
    assert_eq!(d.var("ups.status").as_deref(), Some("ALARM OL"));
}

#[test]
fn charge_fallback_adds_dischrg_when_the_charge_falls() {
    // NUT 2.8.5 derives CHRG/DISCHRG from battery.charge when the driver says neither.
    let seq = "battery.charge: 90\nups.status: OB\nTIMER 1\nbattery.charge: 80\nups.status: OB\nTIMER 100\n";
    let d = Drv::start(&conf(" mode = dummy-loop\n"), &[("a.dev", seq)], &["-F"]);
    assert!(
        wait_until(T, || d.var("ups.status").as_deref() == Some("OB DISCHRG")),
        "{:?}",
        d.var("ups.status")
    );
}

#[test]
fn repeater_strict_start_and_reconnect_max_tries() {
    let port = nut_testkit::free_port();
    let files = [("a.dev", DEV)];
    let relay = format!("[u]\n driver = dummy-ups\n port = ups@127.0.0.1:{port}\n pollinterval = 1\n");
    // Nothing listens there: NUT stops the driver unless repeater_disable_strict_start.
    let d = Drv::prepare(&relay, &files);
    let out = d.run(&["-a", "u", "-u", "root", "-F"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("repeater_disable_strict_start"), "{out:?}");
    let d = Drv::prepare(
        &format!(
            "{relay} repeater_disable_strict_start\n reconnect_max_tries = 4\n reconnect_report_freq = 2\n"
        ),
        &files,
    );
    let mut d = d.spawn(&["-F"]);
    assert!(d.talk("DUMPALL\n", "DUMPDONE").contains("DATASTALE"), "started, data stale");
    // reconnect_max_tries (planned NUT 2.8.6): one attempt per poll, then the driver exits.
    assert_eq!(d.exit_code(), Some(1), "{}", d.log());
    assert!(d.log().contains("will try for max 4 attempts, then will exit"), "{}", d.log());
    // reconnect_report_freq: progress every 2 attempts.
    assert!(d.log().contains("still reconnecting to the device [ups@127.0.0.1"), "{}", d.log());
    assert!(d.log().contains("] for 2 attempts") && d.log().contains("] for 4 attempts"), "{}", d.log());
    assert!(!d.log().contains("] for 3 attempts"), "{}", d.log());
    assert!(d.log().contains("tried to reconnect for 5 times, now will exit as configured"), "{}", d.log());
}

#[test]
fn a_reloaded_repeater_source_keeps_reconnect_max_tries() {
    use nut_testkit::{Impl, Stack, UpsSpec};
    // Two sources (our dummy-ups behind our upsd); the relay is reloaded from one to the other.
    let source = || {
        let mut spec = UpsSpec::dummy_ups("src", "src.dev", Impl::Ours);
        spec.extra.push("pollinterval = 1".into());
        Stack::builder().file("src.dev", DEV.as_bytes()).ups(spec).upsd(Impl::Ours).start().unwrap()
    };
    let (one, two) = (source(), source());
    let relay = |port: u16| {
        format!(
            "[u]\n driver = dummy-ups\n port = src@127.0.0.1:{port}\n pollinterval = 1\n \
             reconnect_max_tries = 2\n"
        )
    };
    let mut d = Drv::start(&relay(one.port()), &[], &["-F"]);
    d.write("ups.conf", &relay(two.port()));
    let out = d.run(&["-a", "u", "-c", "reload"]);
    assert!(out.status.success(), "{out:?}");
    assert!(d.wait_log("reload: port is now"), "{}", d.log());
    // The new source goes away: the relay gives up after reconnect_max_tries, as before.
    drop(two);
    assert_eq!(d.exit_code(), Some(1), "{}", d.log());
    assert!(d.log().contains("will try for max 2 attempts, then will exit"), "{}", d.log());
    drop(one);
}

#[test]
fn check_config_reports_what_it_cannot_honour_with_file_and_line() {
    let d = Drv::prepare(&conf(" sddelay = 30\n usb_set_altinterface = 0\n"), &[("a.dev", DEV)]);
    let out = d.run(&["-a", "u", "--check-config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("ups.conf:5: warning: sddelay is obsolete"), "{err}");
    assert!(err.contains("'usb_set_altinterface' is not a valid variable"), "dummy-ups has no USB: {err}");
    assert!(err.contains("line 6 of ups.conf"), "{err}");
}

#[test]
fn framework_settings_are_published_as_nut_2_8_5_does() {
    let d = Drv::start(
        &conf(" nolock\n ignorelb\n default.ups.id = dflt\n override.ups.mfr = OVR\n"),
        &[("a.dev", "ups.status: OB LB\nbattery.charge: 80\nbattery.charge.low: 20\n")],
        &["-F", "-x", "desc=d"],
    );
    assert_eq!(d.var("driver.flag.nolock").as_deref(), Some("enabled"));
    assert_eq!(d.var("driver.flag.ignorelb").as_deref(), Some("enabled"));
    assert_eq!(d.var("driver.parameter.default.ups.id").as_deref(), Some("dflt"));
    assert_eq!(d.var("driver.parameter.override.ups.mfr").as_deref(), Some("OVR"));
    assert_eq!(d.var("driver.parameter.desc"), None, "desc is upsd's, not a driver parameter");
    assert_eq!(d.var("ups.status").as_deref(), Some("OB"), "ignorelb: the device's LB is dropped");
}

#[test]
fn chroot_serves_the_socket_inside_the_jail() {
    // ups.conf's global chroot (or -r): the state path is inside the jail (nutupsdrv(8)).
    let jail = TempDir::new().unwrap();
    std::fs::create_dir(jail.path().join("st")).unwrap();
    let text = format!("chroot = {}\n{}", jail.path().display(), conf(""));
    let d = Drv::prepare(&text, &[("a.dev", DEV)]);
    let env = [
        ("NUT_CONFPATH", d.dir.path().to_path_buf()),
        ("NUT_STATEPATH", "/st".into()),
        ("NUT_ALTPIDPATH", "/st".into()),
    ];
    let mut cmd = Command::new(bin("dummy-ups"));
    cmd.args(["-a", "u", "-u", "root", "-FF"]).envs(env.clone()).stdin(Stdio::null()).stdout(Stdio::null());
    cmd.stderr(std::fs::File::create(d.path("drv.log")).unwrap());
    let mut p = Proc::spawn(cmd);
    let sock = jail.path().join("st/dummy-ups-u");
    assert!(wait_until(T, || sock.exists() || !p.is_running()), "{}", d.log());
    assert!(p.is_running(), "{}", d.log());
    assert!(wait_until(T, || jail.path().join("st/dummy-ups-u.pid").exists()), "PID file in the jail");
    let s = UnixStream::connect(&sock).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    (&s).write_all(b"DUMPVALUE ups.status\n").unwrap();
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line).unwrap();
    assert_eq!(line, "SETINFO ups.status \"OL\"\n");
    // -c from outside finds the driver through the chroot.
    let out = Command::new(bin("dummy-ups")).args(["-a", "u", "-c", "exit"]).envs(env).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(wait_until(T, || !p.is_running()));
}

#[test]
fn controls_through_upsd_and_the_clients() {
    use nut_testkit::{stack::program, Impl, Stack, UpsSpec};
    // Debian's upsd and clients when installed (they pass the new names through untouched),
    // else ours.
    let which = if nut_testkit::debian_nut_available() { Impl::Debian } else { Impl::Ours };
    let mut spec = UpsSpec::dummy_ups("u", "a.dev", Impl::Ours);
    spec.extra = vec!["sdcommands = load.off".into()];
    let s = Stack::builder().file("a.dev", DEV.as_bytes()).ups(spec).upsd(which).start().unwrap();
    let client = |name: &str, args: &[&str]| {
        let mut a: Vec<&str> = args.to_vec();
        let t = s.target("u");
        a.push(&t);
        let o = s.run(&program(which, name), &a, T).unwrap();
        o.out()
    };
    // upscmd -l: the framework's commands with the driver's, in NUT's (sorted) order.
    let cmds: Vec<String> = client("upscmd", &["-l"])
        .lines()
        .filter_map(|l| l.split(" - ").next().filter(|c| c.contains('.')).map(str::to_string))
        .collect();
    assert_eq!(
        cmds,
        [
            "driver.killpower",
            "driver.reload",
            "driver.reload-or-error",
            "driver.reload-or-exit",
            "load.off",
            "shutdown.default"
        ]
    );
    let rw = client("upsrw", &["-l"]);
    assert!(rw.contains("[driver.debug]\n") && rw.contains("[driver.flag.allow_killpower]\n"), "{rw}");
    // upsrw writes driver.debug and the killpower switch.
    let set = |var: &str| {
        let o = s
            .run(&program(which, "upsrw"), &["-s", var, "-u", "admin", "-p", "adminpw", &s.target("u")], T)
            .unwrap();
        assert_eq!(o.code, 0, "{}", o.err());
    };
    set("driver.debug=1");
    assert!(wait_until(T, || client("upsc", &[]).contains("driver.debug: 1\n")));
    set("driver.flag.allow_killpower=1");
    assert!(wait_until(T, || client("upsc", &[]).contains("driver.flag.allow_killpower: 1\n")));
    let o = s
        .run(
            &program(which, "upscmd"),
            &["-u", "admin", "-p", "adminpw", &s.target("u"), "driver.killpower"],
            T,
        )
        .unwrap();
    assert_eq!(o.code, 0, "{}", o.err());
    // The driver tried load.off (sdcommands), failed, and exited: upsd loses it.
    assert!(
        wait_until(T, || s.driver_log("u").contains("shutdown request(s) failed")),
        "{}",
        s.driver_log("u")
    );
    assert!(wait_until(T, || !s.socket_path("u").exists()), "the driver exits after killpower");
}
