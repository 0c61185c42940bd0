//! `upsdrvctl -F` / `-FF` / `-B` (NUT 2.8.1+, checked against upsdrvctl(8) of NUT 2.8.5 and
//! its source): with several UPSes upsdrvctl stays in the foreground as the drivers' parent,
//! passes SIGHUP/SIGUSR1/SIGURG on, restarts a driver that leaves after reload-or-exit, stops
//! everything and exits 1 when a driver dies otherwise, and stops the drivers and exits 0 on
//! SIGTERM; with one UPS it becomes the driver (exec, same PID). NUT ≥ 2.8.1's systemd units
//! run `upsdrvctl -FF start <ups>`.
//!
//! Real drivers are our dummy-ups; the signal-passing rules use fake drivers (shell scripts
//! that record what they receive), so the test does not depend on a driver's reload code.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{alive, pid_in, ppid, recording_driver, strip_elapsed, KillOnDrop, Nut};
use nut_testkit::{bin, bin_dir, free_port, wait_until, Proc};

const DEADLINE: Duration = Duration::from_secs(30);

/// upsdrvctl running in the foreground, its output going to files in the directory.
fn spawn_upsdrvctl(nut: &Nut, args: &[&str]) -> Proc {
    let mut c = nut.command(&bin("upsdrvctl"), args);
    let out = std::fs::File::create(nut.path().join("upsdrvctl.out")).unwrap();
    let err = std::fs::File::create(nut.path().join("upsdrvctl.err")).unwrap();
    c.stdin(Stdio::null()).stdout(out).stderr(err);
    Proc::spawn(c)
}

fn stderr_of(nut: &Nut) -> String {
    strip_elapsed(&std::fs::read_to_string(nut.path().join("upsdrvctl.err")).unwrap_or_default())
}

/// The PID recorded by a fake driver's `started <pid>` lines (the last one).
fn started_pid(lines: &[String]) -> u32 {
    lines.iter().rev().find_map(|l| l.strip_prefix("started ")).unwrap().parse().unwrap()
}

fn socket_exists(nut: &Nut, name: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(nut.path().join(name)).is_ok_and(|m| m.file_type().is_socket())
}

/// `upsc <ups>@127.0.0.1:<port> <var>` with our upsc.
fn upsc(port: u16, ups: &str, var: &str) -> Option<String> {
    let o = Command::new(bin("upsc")).arg(format!("{ups}@127.0.0.1:{port}")).arg(var).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

#[test]
fn ff_start_supervises_real_drivers_served_by_upsd() {
    let nut = Nut::new("");
    nut.write("ups1.dev", "ups.status: OL\nbattery.charge: 100\n");
    nut.write("ups2.dev", "ups.status: OB LB\nbattery.charge: 5\n");
    let conf = |poll: u32| {
        format!(
            "driverpath = {}\npollinterval = {poll}\n[ups1]\n driver = dummy-ups\n port = ups1.dev\n\
             [ups2]\n driver = dummy-ups\n port = ups2.dev\n",
            bin_dir().display()
        )
    };
    nut.set_ups_conf(&conf(2));
    let port = free_port();
    nut.write("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\n", nut.path().display()));
    nut.write("upsd.users", nut_testkit::stack::DEFAULT_USERS);

    let mut ctl = spawn_upsdrvctl(&nut, &["-FF", "-u", "root", "start"]);
    assert!(
        wait_until(DEADLINE, || socket_exists(&nut, "dummy-ups-ups1")
            && socket_exists(&nut, "dummy-ups-ups2")),
        "drivers did not start: {}",
        stderr_of(&nut)
    );
    // -FF: the drivers save their PID files (a driver may create its socket first), and they
    // are upsdrvctl's children.
    let pid_files = ["dummy-ups-ups1.pid", "dummy-ups-ups2.pid"];
    assert!(
        wait_until(DEADLINE, || pid_files.iter().all(|f| pid_in(&nut.path().join(f)).is_some())),
        "the drivers wrote no PID files: {}",
        stderr_of(&nut)
    );
    let pids: Vec<u32> = pid_files.iter().map(|f| pid_in(&nut.path().join(f)).unwrap()).collect();
    let _guard = KillOnDrop(pids.clone());
    for &p in &pids {
        assert_eq!(ppid(p), Some(ctl.pid()), "driver {p} is a child of upsdrvctl");
    }
    // upsdrvctl stays in the foreground.
    assert!(ctl.is_running(), "{}", stderr_of(&nut));

    // upsd serves the drivers' data.
    let mut upsd = {
        let mut c = nut.command(&bin("upsd"), &["-F", "-u", "root"]);
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        Proc::spawn(c)
    };
    assert!(wait_until(DEADLINE, || upsc(port, "ups1", "ups.status").as_deref() == Some("OL")));
    assert!(wait_until(DEADLINE, || upsc(port, "ups2", "ups.status").as_deref() == Some("OB LB")));

    // SIGHUP reaches both drivers: they re-read ups.conf and publish the new pollinterval.
    nut.set_ups_conf(&conf(7));
    ctl.signal(libc::SIGHUP);
    for ups in ["ups1", "ups2"] {
        assert!(
            wait_until(DEADLINE, || upsc(port, ups, "driver.parameter.pollinterval").as_deref() == Some("7")),
            "{ups} did not reload: {}",
            stderr_of(&nut)
        );
    }
    assert!(ctl.is_running());
    upsd.terminate(Duration::from_secs(10));

    // SIGTERM: upsdrvctl stops the drivers and exits 0.
    let st = ctl.terminate(DEADLINE).expect("upsdrvctl exits after SIGTERM");
    assert_eq!(st.code(), Some(0), "{}", stderr_of(&nut));
    for &p in &pids {
        assert!(!alive(p), "driver {p} stopped");
    }
    assert!(!socket_exists(&nut, "dummy-ups-ups1") && !socket_exists(&nut, "dummy-ups-ups2"));
}

#[test]
fn ff_start_of_one_ups_becomes_the_driver() {
    let nut = Nut::new(&format!(
        "driverpath = {}\n[ups1]\n driver = dummy-ups\n port = ups1.dev\n[other]\n driver = dummy-ups\n port = x.dev\n",
        bin_dir().display()
    ));
    nut.write("ups1.dev", "ups.status: OL\n");
    let mut ctl = spawn_upsdrvctl(&nut, &["-FF", "-u", "root", "start", "ups1"]);
    let pidfile = nut.path().join("dummy-ups-ups1.pid");
    assert!(wait_until(DEADLINE, || pid_in(&pidfile).is_some()), "{}", stderr_of(&nut));
    // No fork: the process upsdrvctl started as now runs the driver, with -FF.
    assert_eq!(pid_in(&pidfile), Some(ctl.pid()));
    let exe = std::fs::read_link(format!("/proc/{}/exe", ctl.pid())).unwrap();
    assert_eq!(exe.file_name().unwrap(), "dummy-ups");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", ctl.pid())).unwrap();
    let args: Vec<String> = cmdline
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into())
        .collect();
    assert_eq!(args[1..], ["-FF", "-a", "ups1", "-u", "root"]);
    let st = ctl.terminate(DEADLINE).expect("driver exits on SIGTERM");
    assert!(st.success(), "{st:?}");
}

/// Two fake drivers under `upsdrvctl -F start`; returns their first PIDs.
fn start_fakes(nut: &Nut, exit_on_usr1: bool) -> (Proc, u32, u32) {
    let bin = nut.fake_driver("fakedrv", &recording_driver(exit_on_usr1));
    nut.set_ups_conf(&format!(
        "driverpath = {}\n[a]\n driver = fakedrv\n port = x\n[b]\n driver = fakedrv\n port = y\n",
        bin.display()
    ));
    let ctl = spawn_upsdrvctl(nut, &["-D", "-F", "start"]);
    let a = started_pid(&nut.wait_lines("a.log", 1));
    let b = started_pid(&nut.wait_lines("b.log", 1));
    for p in [a, b] {
        assert_eq!(ppid(p), Some(ctl.pid()));
    }
    (ctl, a, b)
}

#[test]
fn f_passes_reload_and_dump_signals_on_and_restarts_after_reload_or_exit() {
    let nut = Nut::new("");
    let (mut ctl, a, b) = start_fakes(&nut, true);
    let _guard = KillOnDrop(vec![a, b]);
    ctl.signal(libc::SIGHUP);
    assert_eq!(nut.wait_lines("a.log", 2)[1], "HUP");
    assert_eq!(nut.wait_lines("b.log", 2)[1], "HUP");
    ctl.signal(libc::SIGURG);
    assert_eq!(nut.wait_lines("a.log", 3)[2], "URG");
    assert_eq!(nut.wait_lines("b.log", 3)[2], "URG");
    // SIGUSR1 (reload-or-exit): the drivers leave (exit 128+SIGUSR1) and are started again.
    ctl.signal(libc::SIGUSR1);
    let la = nut.wait_lines("a.log", 5);
    let lb = nut.wait_lines("b.log", 5);
    assert_eq!((la[3].as_str(), lb[3].as_str()), ("USR1", "USR1"));
    let (a2, b2) = (started_pid(&la), started_pid(&lb));
    let _guard2 = KillOnDrop(vec![a2, b2]);
    assert!(a2 != a && b2 != b);
    assert_eq!((ppid(a2), ppid(b2)), (Some(ctl.pid()), Some(ctl.pid())));
    assert!(ctl.is_running(), "{}", stderr_of(&nut));
    let err = stderr_of(&nut);
    assert!(err.contains("[D1] Signalling UPS [a]: 1 (Hangup)"), "{err}");
    assert!(err.contains("exited soon after reload-or-exit or similar signal, restarting it"), "{err}");
    let st = ctl.terminate(DEADLINE).expect("upsdrvctl exits after SIGTERM");
    assert_eq!(st.code(), Some(0));
    assert!(!alive(a2) && !alive(b2), "drivers stopped with upsdrvctl");
}

#[test]
fn f_ends_the_bundle_when_a_driver_dies() {
    let nut = Nut::new("");
    let (mut ctl, a, b) = start_fakes(&nut, false);
    let _guard = KillOnDrop(vec![a, b]);
    // SAFETY: kill(2) takes plain integers; `a` is the fake driver this test started.
    unsafe { libc::kill(a as libc::pid_t, libc::SIGKILL) };
    assert!(wait_until(DEADLINE, || !ctl.is_running()), "upsdrvctl kept running");
    let st = ctl.child_mut().wait().unwrap();
    assert_eq!(st.code(), Some(1));
    assert!(!alive(b), "the other driver was stopped");
    let err = stderr_of(&nut);
    assert!(err.contains("Driver [fakedrv] for [a] was killed by signal 9"), "{err}");
    assert!(
        err.contains(
            "At least one tracked driver running in foreground mode has exited, stopping upsdrvctl (and other \
             tracked drivers) so the bundle can be restarted by system properly"
        ),
        "{err}"
    );
}

#[test]
fn foreground_flags_reach_the_drivers_in_nut_order() {
    let nut = Nut::new(&format!(
        "driverpath = {}\n[a]\n driver = dummy-ups\n port = a.dev\n[b]\n driver = dummy-ups\n port = b.dev\n",
        bin_dir().display()
    ));
    let exec_line = |args: &[&str], ups: &str| {
        let o = nut.ours(args);
        assert_eq!(o.code, 0, "{}", o.err());
        let err = strip_elapsed(&o.err());
        let prefix = format!("[D2] exec:  {}/dummy-ups", bin_dir().display());
        err.lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .find(|l| l.contains(&format!("-a {ups}")))
            .unwrap_or_else(|| panic!("{err}"))
            .to_string()
    };
    // (-u root: -t also checks that the drivers' account can write the state path.)
    assert_eq!(exec_line(&["-t", "-u", "root", "-F", "start"], "a"), " -F -a a -u root");
    assert_eq!(exec_line(&["-t", "-u", "root", "-FF", "start", "b"], "b"), " -FF -a b -u root");
    assert_eq!(exec_line(&["-t", "-u", "root", "-B", "-D", "-d", "start"], "a"), " -DD -B -a a -u root");
    assert_eq!(
        exec_line(&["-t", "-D", "-d", "-u", "root", "-r", "/c", "start", "a"], "a"),
        " -DD -a a -r /c -u root"
    );
    // -F with several UPSes: NUT's warning that the drivers are not waited for.
    let o = nut.ours(&["-t", "-u", "root", "-F", "start"]);
    assert!(o.err().contains(
        "Starting \"all\" drivers but requested the foreground mode! This request will not wait for driver(s) \
         to complete their initialization, but upsdrvctl tool will stay foregrounded."
    ));
}

#[test]
fn b_makes_upsdrvctl_wait_for_a_debugging_driver() {
    let nut = Nut::new("");
    let dir = nut.waiting_driver();
    nut.set_ups_conf(&format!("driverpath = {}\n[a]\n driver = slowdrv\n port = x\n", dir.display()));
    // -DD -d without -B: the driver stays in the foreground to debug, upsdrvctl does not wait.
    let o = nut.ours(&["-DD", "-d", "start"]);
    assert_eq!(o.code, 0, "{}", o.err());
    let pid = started_pid(&nut.wait_lines("slow.log", 1));
    let _guard = KillOnDrop(vec![pid]);
    assert!(alive(pid), "upsdrvctl returned while the driver still runs");
    assert!(strip_elapsed(&o.err()).contains(
        "[D2] Starting driver with debug but without explicit backgrounding: will not wait for it to fork and \
         detach, continuing..."
    ));
    nut.write("go", "");
    assert!(wait_until(DEADLINE, || !alive(pid)));
    std::fs::remove_file(nut.path().join("go")).unwrap();

    // -B: the driver is told to go to the background, and upsdrvctl waits until it has.
    let mut ctl = spawn_upsdrvctl(&nut, &["-D", "-d", "-B", "start"]);
    let pid = started_pid(&nut.wait_lines("slow.log", 2));
    let _guard = KillOnDrop(vec![pid]);
    assert!(ctl.is_running(), "upsdrvctl waits for the driver");
    nut.write("go", "");
    assert!(wait_until(DEADLINE, || !ctl.is_running()));
    assert_eq!(ctl.child_mut().wait().unwrap().code(), Some(0), "{}", stderr_of(&nut));
}
