//! What only NUT 2.8.1–2.8.5's upsdrvctl has, checked against upsdrvctl(8) and ups.conf(5)
//! of NUT 2.8.5 (and its source where the page is silent): `status`, `list`/`-l`,
//! `-c <command>`, `NUT_QUIET_INIT_BANNER`, `NUT_DEBUG_LEVEL`, `debug_min` for the tool,
//! `NUT_IGNORE_NOWAIT`, per-UPS `maxretry`/`retrydelay`/`maxstartdelay`, and the
//! extra-arguments error. Drivers are our dummy-ups, or fake drivers (shell scripts) where
//! the test needs to see which signal arrived.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use common::{alive, pid_in, recording_driver, strip_elapsed, KillOnDrop, Nut};
use nut_testkit::{bin, bin_dir, wait_until, Proc};

const DEADLINE: Duration = Duration::from_secs(30);

fn banner() -> String {
    format!("{}\n", upsdrvctl::banner())
}

/// Two dummy-ups UPSes, `up` (started by the test) and `down`.
fn dummies() -> Nut {
    let nut = Nut::new(&format!(
        "driverpath = {}\n[up]\n driver = dummy-ups\n port = up.dev\n[down]\n driver = dummy-ups\n port = down.dev\n",
        bin_dir().display()
    ));
    nut.write("up.dev", "ups.status: OL BOOST\n");
    nut
}

/// Start `up` with our upsdrvctl; its PID.
fn start_up(nut: &Nut) -> u32 {
    let o = nut.ours(&["-u", "root", "start", "up"]);
    assert_eq!(o.code, 0, "{}", o.err());
    let pid = pid_in(&nut.path().join("dummy-ups-up.pid")).unwrap();
    assert!(alive(pid));
    pid
}

/// The value of `var` as the driver publishes it (DUMPALL on its socket).
fn driver_var(nut: &Nut, sock: &str, var: &str) -> Option<String> {
    let s = UnixStream::connect(nut.path().join(sock)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    (&s).write_all(b"DUMPALL\n").ok()?;
    let prefix = format!("SETINFO {var} ");
    let mut found = None;
    for line in BufReader::new(&s).lines() {
        let line = line.ok()?;
        if line == "DUMPDONE" {
            break;
        }
        if let Some(v) = line.strip_prefix(&prefix) {
            found = Some(v.trim_matches('"').to_string());
        }
    }
    found
}

#[test]
fn status_reports_nut_columns() {
    let nut = dummies();
    let pid = start_up(&nut);
    let _guard = KillOnDrop(vec![pid]);
    let o = nut.ours(&["status"]);
    assert_eq!(o.code, 0, "{}", o.err());
    assert_eq!(
        o.out(),
        format!(
            "{}UPSNAME    \t     UPSDRV\tRUNNING\tPF_PID\tS_RESPONSIVE\tS_PID\tS_STATUS\n\
             up         \t  dummy-ups\tRUNNING\t{pid}\tRESPONSIVE\t{pid}\t\"OL BOOST\"\n\
             down       \t  dummy-ups\tN/A\t-3\tNOT_RESPONSIVE\tN/A\t\n",
            banner()
        )
    );
    // One UPS, and the banner hushed for scripts.
    let o = nut.run_env(&bin("upsdrvctl"), &["status", "down"], &[("NUT_QUIET_INIT_BANNER", "true")]);
    assert_eq!(
        o.out(),
        "UPSNAME    \t     UPSDRV\tRUNNING\tPF_PID\tS_RESPONSIVE\tS_PID\tS_STATUS\n\
         down       \t  dummy-ups\tN/A\t-3\tNOT_RESPONSIVE\tN/A\t\n"
    );
    // A PID file naming a process that is gone: a PID was read but none runs the driver.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    nut.write("dummy-ups-down.pid", &format!("{gone_pid}\n"));
    let o = nut.run_env(&bin("upsdrvctl"), &["status", "down"], &[("NUT_QUIET_INIT_BANNER", "")]);
    assert_eq!(
        o.out().lines().nth(1),
        Some(format!("down       \t  dummy-ups\tSTOPPED\t{gone_pid}\tNOT_RESPONSIVE\tN/A\t").as_str())
    );
    // An unknown name: an error, no table.
    let o = nut.ours(&["status", "zz"]);
    assert_eq!((o.code, o.out(), o.err()), (1, banner(), "UPS zz not found in ups.conf\n".into()));
}

#[test]
fn list_and_l_name_the_sections() {
    let nut = dummies();
    for args in [&["list"][..], &["-l"]] {
        let o = nut.ours(args);
        assert_eq!((o.code, o.out(), o.err()), (0, format!("{}up\ndown\n", banner()), String::new()));
    }
    let o = nut.run_env(&bin("upsdrvctl"), &["-l", "down"], &[("NUT_QUIET_INIT_BANNER", "true")]);
    assert_eq!((o.code, o.out()), (0, "down\n".into()));
    let o = nut.run_env(&bin("upsdrvctl"), &["list"], &[("NUT_QUIET_INIT_BANNER", "")]);
    assert_eq!(o.out(), "up\ndown\n");
    // Read as the drivers read it: 1 hides the banner too, a false word keeps it.
    let o = nut.run_env(&bin("upsdrvctl"), &["list"], &[("NUT_QUIET_INIT_BANNER", "1")]);
    assert_eq!(o.out(), "up\ndown\n");
    let o = nut.run_env(&bin("upsdrvctl"), &["list"], &[("NUT_QUIET_INIT_BANNER", "false")]);
    assert_eq!(o.out(), format!("{}up\ndown\n", banner()));
    let o = nut.ours(&["list", "zz"]);
    assert_eq!((o.code, o.err()), (1, "UPS zz not found in ups.conf\n".into()));
    // ups.conf without sections, or missing: errors.
    nut.set_ups_conf("maxretry = 1\n");
    let o = nut.ours(&["list"]);
    assert_eq!((o.code, o.err()), (1, "Error: no UPS definitions found in ups.conf\n".into()));
    std::fs::remove_file(nut.path().join("ups.conf")).unwrap();
    let o = nut.ours(&["-l"]);
    let f = nut.path().join("ups.conf").display().to_string();
    assert_eq!(
        (o.code, o.err()),
        (1, format!("Can't open {f}: Can't open {f}: No such file or directory\n"))
    );
}

#[test]
fn c_reload_and_exit_reach_a_running_driver() {
    let nut = dummies();
    let pid = start_up(&nut);
    let _guard = KillOnDrop(vec![pid]);
    assert_eq!(driver_var(&nut, "dummy-ups-up", "driver.parameter.pollinterval").as_deref(), Some("2"));
    let conf = std::fs::read_to_string(nut.path().join("ups.conf")).unwrap();
    nut.set_ups_conf(&conf.replace("[up]\n", "[up]\n pollinterval = 9\n"));
    // `reload` is matched as reload-or-error, a request on the driver socket (NUT 2.8.5).
    let o = nut.ours(&["-c", "reload", "up"]);
    assert_eq!(o.code, 0, "{}", o.err());
    assert!(o.err().starts_with("Request for driver to reload-or-error returned code "), "{}", o.err());
    assert!(wait_until(DEADLINE, || {
        driver_var(&nut, "dummy-ups-up", "driver.parameter.pollinterval").as_deref() == Some("9")
    }));
    // Testing mode sends nothing.
    let o = nut.ours(&["-t", "-c", "exit", "up"]);
    assert_eq!(o.code, 0, "{}", o.err());
    assert!(strip_elapsed(&o.err()).contains("[D1] Signalling UPS [up]: driver.exit"));
    assert!(alive(pid));
    let o = nut.ours(&["-c", "exit", "up"]);
    assert_eq!(o.code, 0, "{}", o.err());
    assert!(o.err().starts_with("Request for driver to exit returned code "), "{}", o.err());
    assert!(wait_until(DEADLINE, || !alive(pid)), "driver exited");
    // Nothing runs any more: the socket dialog fails.
    let o = nut.ours(&["-c", "exit", "up"]);
    assert_eq!(o.code, 1);
    assert!(o.err().starts_with("Socket dialog with the other driver instance: "), "{}", o.err());
}

#[test]
fn c_signals_go_to_the_pid_file_process() {
    let nut = Nut::new("");
    let dir = nut.fake_driver(
        "fakedrv",
        &format!("echo $$ > \"$NUT_ALTPIDPATH/fakedrv-a.pid\"\n{}", recording_driver(false)),
    );
    nut.set_ups_conf(&format!(
        "driverpath = {}\n[a]\n driver = fakedrv\n port = x\n[b]\n driver = fakedrv\n port = /dev/y\n",
        dir.display()
    ));
    let drv = Proc::spawn(nut.command(&dir.join("fakedrv"), &["-a", "a"]));
    nut.wait_lines("a.log", 1);
    assert!(wait_until(DEADLINE, || pid_in(&nut.path().join("fakedrv-a.pid")).is_some()));
    // The PID file's process is /bin/sh, not "fakedrv": refused, as NUT 2.8.5 checks the
    // program name unless NUT_IGNORE_CHECKPROCNAME is set.
    let o = nut.ours(&["-c", "dump", "a"]);
    assert_eq!(o.code, 1, "{}", o.err());
    let pidfile = nut.path().join("fakedrv-a.pid").display().to_string();
    assert!(o.err().contains(&format!("Signalling {pidfile} failed")), "{}", o.err());
    let ok = [("NUT_IGNORE_CHECKPROCNAME", "true")];
    for (cmd, sig) in [("dump", "URG"), ("data-dump", "URG"), ("reload-or-exit", "USR1")] {
        let n = nut.lines("a.log").len();
        let o = nut.run_env(&bin("upsdrvctl"), &["-c", cmd, "a"], &ok);
        assert_eq!((o.code, o.err()), (0, String::new()), "{cmd}");
        assert_eq!(nut.wait_lines("a.log", n + 1)[n], sig, "{cmd}");
    }
    // A UPS without PID file: NUT's two lines, an error.
    let o = nut.run_env(&bin("upsdrvctl"), &["-c", "reload-or-exit", "b"], &ok);
    let d = nut.path().display();
    assert_eq!(
        (o.code, o.err()),
        (
            1,
            format!(
                "Can't open {d}/fakedrv-b.pid: No such file or directory\n\
                 Can't open {d}/fakedrv-y.pid either: No such file or directory\n"
            )
        )
    );
    drop(drv);
}

#[test]
fn c_usage_errors() {
    let nut = dummies();
    let o = nut.ours(&["-c", "bogus"]);
    assert_eq!((o.code, o.err()), (1, "Error: unknown argument to option -c. Try -h for help.\n".into()));
    let o = nut.ours(&["-c", "exit", "-c", "dump"]);
    assert_eq!(
        (o.code, o.err()),
        (1, "Error: only one command per run can be sent with option -c. Try -h for help.\n".into())
    );
    let o = nut.ours(&["start", "up", "down"]);
    assert_eq!(
        (o.code, o.err()),
        (
            1,
            "Error: extra arguments left on command line\n(common options should be before a command and UPS name)\n"
                .into()
        )
    );
}

#[test]
fn debug_min_and_nut_debug_level_apply_to_the_tool() {
    let nut = dummies();
    let conf = std::fs::read_to_string(nut.path().join("ups.conf")).unwrap();
    nut.set_ups_conf(&format!("debug_min = 3\n{conf}"));
    // debug_min raises the tool's level, and -d passes it on.
    let o = nut.ours(&["-t", "-u", "root", "-d", "start", "up"]);
    let err = strip_elapsed(&o.err());
    assert!(err.contains("[D1] debug level for upsdrvctl is '3'"), "{err}");
    assert!(
        err.contains(&format!("[D2] exec:  {}/dummy-ups -DDD -a up -u root", bin_dir().display())),
        "{err}"
    );
    // -D can only raise it.
    let o = nut.ours(&["-D", "list"]);
    assert!(strip_elapsed(&o.err()).contains("[D1] debug level for upsdrvctl is '3'"));
    nut.set_ups_conf(&format!("debug_min = 1\n{conf}"));
    let o = nut.ours(&["list"]);
    assert_eq!(o.out(), format!("{}up\ndown\n", banner()));
    assert!(strip_elapsed(&o.err()).contains("[D1] debug level for upsdrvctl is '1'"), "{}", o.err());
    // NUT_DEBUG_LEVEL when no -D is given, with NUT's note.
    nut.set_ups_conf(&conf);
    let o = nut.run_env(&bin("upsdrvctl"), &["list"], &[("NUT_DEBUG_LEVEL", "2")]);
    let err = strip_elapsed(&o.err());
    assert!(
        err.starts_with("Defaulting debug verbosity to NUT_DEBUG_LEVEL=2 since none was requested by command-line options\n"),
        "{err}"
    );
    assert!(err.contains("[D1] debug level for upsdrvctl is '2'"), "{err}");
    let o = nut.run_env(&bin("upsdrvctl"), &["-D", "list"], &[("NUT_DEBUG_LEVEL", "2")]);
    assert!(strip_elapsed(&o.err()).contains("[D1] debug level for upsdrvctl is '1'"));
    assert!(!o.err().contains("Defaulting debug verbosity"));
}

#[test]
fn nut_ignore_nowait_makes_upsdrvctl_wait() {
    let nut = Nut::new("");
    let dir = nut.waiting_driver();
    nut.set_ups_conf(&format!("driverpath = {}\nnowait\n[a]\n driver = slowdrv\n port = x\n", dir.display()));
    let mut c = nut.command(&bin("upsdrvctl"), &["start"]);
    c.env("NUT_IGNORE_NOWAIT", "true").stdout(std::process::Stdio::null());
    c.stderr(std::fs::File::create(nut.path().join("err")).unwrap());
    let mut ctl = Proc::spawn(c);
    let pid: u32 = nut.wait_lines("slow.log", 1)[0].strip_prefix("started ").unwrap().parse().unwrap();
    let _guard = KillOnDrop(vec![pid]);
    assert!(ctl.is_running(), "upsdrvctl waits for the driver");
    nut.write("go", "");
    assert!(wait_until(DEADLINE, || !ctl.is_running()));
    assert_eq!(ctl.child_mut().wait().unwrap().code(), Some(0));
    assert_eq!(nut.lines("err"), ["NOTE: 'nowait' setting ignored due to NUT_IGNORE_NOWAIT envvar"]);
}

#[test]
fn per_ups_retry_and_start_delay_settings() {
    let nut = Nut::new("");
    let dir = nut.waiting_driver();
    // maxretry/retrydelay in a section (2.8.5): three attempts for [bad], one for [bad1].
    nut.set_ups_conf(&format!(
        "driverpath = {}\nretrydelay = 30\n[bad]\n driver = dummy-ups\n port = missing.dev\n maxretry = 3\n retrydelay = 0\n\
         [bad1]\n driver = dummy-ups\n port = missing.dev\n",
        bin_dir().display()
    ));
    let o = nut.ours(&["-u", "root", "start"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.err().matches("Driver failed to start (exit status=1)").count(), 4, "{}", o.err());
    // maxstartdelay in a section wins over the global one.
    nut.set_ups_conf(&format!(
        "driverpath = {}\nmaxstartdelay = 600\n[slow]\n driver = slowdrv\n port = x\n maxstartdelay = 1\n",
        dir.display()
    ));
    let o = nut.ours(&["start"]);
    let pid: u32 = nut.wait_lines("slow.log", 1)[0].strip_prefix("started ").unwrap().parse().unwrap();
    let _guard = KillOnDrop(vec![pid]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.err(),
        format!(
            "Startup timer elapsed, continuing...\n\
             Driver [slow] PID {pid} initially exceeded maxstartdelay 1 sec and is still starting\n"
        )
    );
    nut.write("go", "");
    assert!(wait_until(DEADLINE, || !alive(pid)));
}

#[test]
fn stop_without_pid_file_asks_the_driver_on_its_socket() {
    // A driver started in the foreground (-F) saves no PID file: NUT 2.8.5's stop then sends
    // `INSTCMD driver.exit` on the socket (NEWS 2.8.5, #3277).
    let nut = dummies();
    let pid = start_up(&nut);
    let _guard = KillOnDrop(vec![pid]);
    std::fs::remove_file(nut.path().join("dummy-ups-up.pid")).unwrap();
    let o = nut.ours(&["stop", "up"]);
    assert_eq!(o.code, 0, "{}", o.err());
    let d = nut.path().display();
    let err = o.err();
    assert!(
        err.starts_with(&format!(
            "Can't open {d}/dummy-ups-up.pid: No such file or directory\n\
             Can't open {d}/dummy-ups-up.dev.pid either: No such file or directory\n\
             At least could open the driver socket\n"
        )),
        "{err}"
    );
    assert!(err.ends_with("Succeeded to send the 'exit' command to the driver socket\n"), "{err}");
    assert!(wait_until(DEADLINE, || !alive(pid)), "driver stopped");
}
