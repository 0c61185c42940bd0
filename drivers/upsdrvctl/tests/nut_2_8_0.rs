//! upsdrvctl against Debian's NUT 2.8.0 `/usr/sbin/upsdrvctl` where 2.8.0 has the feature:
//! usage errors, configuration errors, `-t` (testing mode) for start/stop/shutdown, real
//! start/stop/shutdown of drivers, `maxretry`/`retrydelay`, `maxstartdelay`, `nowait`. Both
//! run in the same directory with the same driver (our dummy-ups, or a fake driver script),
//! so every line of the driver is the same and what differs is upsdrvctl's.
//!
//! We follow NUT 2.8.5 where it changed upsdrvctl's output; those differences are applied
//! explicitly below (`from_2_8_0`, `ONLY_2_8_5`), each with the 2.8.5 source line it comes
//! from, so anything else that differs fails the test:
//! - the testing-mode line ends in `exec/kill/signal`;
//! - debug lines added in 2.8.5 (`debug level for upsdrvctl is`, `upsdrvctl commanding ...`,
//!   `upsdrvctl: successfully finished`, the start-all warning of `-D -d`, ...);
//! - the developer note (debug level 2) is printed for start and shutdown only, and its last
//!   line mentions `-B`;
//! - `stop` without a PID file then tries the driver socket (`INSTCMD driver.exit`);
//! - our `-t` also prints the account each driver would run as (`Driver for [..] runs as`).

#![allow(clippy::unwrap_used)]

mod common;

use common::{have_debian, strip_elapsed, KillOnDrop, Nut, Output};
use nut_testkit::{bin, bin_dir, wait_until};
use std::time::Duration;

/// Debug lines that only NUT 2.8.5 prints (drivers/upsdrvctl.c at v2.8.5).
const ONLY_2_8_5: &[&str] = &[
    "[D1] debug level for upsdrvctl is '",
    "[D1] upsdrvctl commanding all drivers (",
    "[D1] upsdrvctl commanding one driver (",
    "[D1] upsdrvctl: successfully finished",
    "[D1] upsdrvctl: got some errors with preceding operations, exiting with failure now",
    "[D1] WARNING: Requested a debugging level but not explicitly a backgrounding mode",
    "Starting \"all\" drivers but requested the debug mode without backgrounding!",
    "[D2] forkexec[POSIX]: will wait for ",
    "[D1] upsdrvctl: got some timeouts with preceding operations, revising them now",
    // Not upsdrvctl's: the first line of the shared logging layer at debug level 2+
    // (crates/nut-daemon/src/log.rs).
    "[D2] logging started for upsdrvctl",
];

const NOTE_END_2_8_0: &str = "pass its current debug level to the launched driver.\n";
const NOTE_END_2_8_5: &str =
    "pass its current debug level to the launched driver, and '-B' keeps it backgrounded.\n";

/// The developer note as 2.8.0 prints it (debug level 2), from its first line to the blank
/// line after it.
fn developer_note_2_8_0(text: &str) -> Option<(usize, usize)> {
    let start = text.find("[D2] \nIf you're not a NUT core developer")?;
    let end = text[start..].find(NOTE_END_2_8_0)? + start + NOTE_END_2_8_0.len() + 1;
    Some((start, end.min(text.len())))
}

/// Debian's 2.8.0 stderr turned into what 2.8.5 prints for the same run.
fn from_2_8_0(stderr: &str, verb: &str) -> String {
    let mut t = strip_elapsed(stderr).replace(DEBIAN_PROG, "upsdrvctl");
    if let Some((a, b)) = developer_note_2_8_0(&t) {
        if verb == "start" || verb == "shutdown" {
            t = t.replace(NOTE_END_2_8_0, NOTE_END_2_8_5);
        } else {
            t.replace_range(a..b, "");
        }
    }
    t
}

const DEBIAN_PROG: &str = common::DEBIAN_UPSDRVCTL;

/// Our stderr without the lines only 2.8.5 prints.
fn without_2_8_5_lines(stderr: &str, ours_prog: &str) -> String {
    strip_elapsed(stderr)
        .replace(ours_prog, "upsdrvctl")
        .lines()
        .filter(|l| !ONLY_2_8_5.iter().any(|p| l.starts_with(p)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// stdout with our banner (the version we report) and 2.8.5's testing line.
fn stdout_norm(out: &str) -> String {
    out.replace("Network UPS Tools - UPS driver controller 2.8.0\n", &format!("{}\n", upsdrvctl::banner()))
        .replace(
            "*** Testing mode: not calling exec/kill\n",
            "*** Testing mode: not calling exec/kill/signal\n",
        )
        .lines()
        .filter(|l| !l.starts_with("Driver for ["))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Run the same arguments through both, and compare exit code, stdout and stderr (NUT 2.8.5
/// differences applied).
fn same(nut: &Nut, args: &[&str]) -> (Output, Output) {
    let verb = args.iter().find(|a| ["start", "stop", "shutdown"].contains(a)).copied().unwrap_or("");
    let theirs = nut.debian(args);
    let ours = nut.ours(args);
    let ctx = format!(
        "upsdrvctl {args:?}\n--- Debian stdout:\n{}--- Debian stderr:\n{}",
        theirs.out(),
        theirs.err()
    );
    assert_eq!(ours.code, theirs.code, "exit code; {ctx}\n--- ours:\n{}{}", ours.out(), ours.err());
    assert_eq!(stdout_norm(&ours.out()), stdout_norm(&theirs.out()), "stdout; {ctx}");
    let ours_prog = bin("upsdrvctl").display().to_string();
    assert_eq!(
        without_2_8_5_lines(&ours.err(), &ours_prog).trim_end(),
        from_2_8_0(&theirs.err(), verb).trim_end(),
        "stderr; {ctx}\n--- ours:\n{}",
        ours.err()
    );
    (theirs, ours)
}

fn two_dummies(extra_global: &str) -> Nut {
    Nut::new(&format!(
        "driverpath = {}\n{extra_global}[a]\n driver = dummy-ups\n port = a.dev\n sdorder = 1\n\
         [b]\n driver = dummy-ups\n port = b.dev\n[c]\n driver = dummy-ups\n port = c.dev\n sdorder = -1\n\
         [d]\n driver = dummy-ups\n port = d.dev\n sdorder = 2\n",
        bin_dir().display()
    ))
}

#[test]
fn usage_errors_like_nut() {
    if !have_debian("usage_errors_like_nut") {
        return;
    }
    let nut = two_dummies("");
    let ours_prog = bin("upsdrvctl").display().to_string();
    for args in [&["-x"][..], &["-u"], &[], &["-h"], &["-z", "start"]] {
        let theirs = nut.debian(args);
        let ours = nut.ours(args);
        // NUT prints the help and exits 0, even after a bad flag.
        assert_eq!((ours.code, theirs.code), (0, 0), "{args:?}");
        assert_eq!(
            ours.err().replace(&ours_prog, "upsdrvctl"),
            theirs.err().replace(DEBIAN_PROG, "upsdrvctl")
        );
        let (o, t) = (stdout_norm(&ours.out()), stdout_norm(&theirs.out()));
        assert_eq!(o.lines().next(), t.lines().next(), "banner");
        // The help text is 2.8.5's (drivers/upsdrvctl.c help()).
        for l in [
            format!("usage: {ours_prog} [OPTIONS] (start | stop | shutdown | status) [<ups>]"),
            format!("usage: {ours_prog} [OPTIONS] (list | -l) [<ups>]"),
            format!("usage: {ours_prog} [OPTIONS] -c <command> [<ups>]"),
            "  -FF\t\t\tdriver stays foregrounded and still saves the PID file".into(),
            "  shutdown <ups>\tonly shutdown UPS <ups>".into(),
        ] {
            assert!(o.lines().any(|x| x == l), "{l:?} missing from:\n{o}");
        }
    }
}

#[test]
fn configuration_and_name_errors_like_nut() {
    if !have_debian("configuration_and_name_errors_like_nut") {
        return;
    }
    let nut = two_dummies("");
    same(&nut, &["foo"]);
    same(&nut, &["-t", "foo"]);
    same(&nut, &["start", "zz"]);
    same(&nut, &["-t", "shutdown", "zz"]);
    // Only global settings: no UPS definitions (with a name: NUT's "!" and blank line).
    nut.set_ups_conf("maxretry = 2\n");
    same(&nut, &["start"]);
    same(&nut, &["stop", "x"]);
    // No ups.conf at all.
    std::fs::remove_file(nut.path().join("ups.conf")).unwrap();
    let (_, ours) = same(&nut, &["start"]);
    assert!(ours.err().contains("Can't open "), "{}", ours.err());
}

#[test]
fn testing_mode_prints_the_commands_nut_would_run() {
    if !have_debian("testing_mode_prints_the_commands_nut_would_run") {
        return;
    }
    let nut = two_dummies("");
    // -u root: our -t also checks that the drivers' account can use the state path.
    same(&nut, &["-t", "-u", "root", "start"]);
    same(&nut, &["-t", "-u", "root", "-r", "/var/empty", "-D", "-d", "start"]);
    same(&nut, &["-t", "-u", "root", "-DDD", "-d", "start", "b"]);
    // Shutdown order: sdorder 0, 1, 2; -1 never (unless named).
    let (_, ours) = same(&nut, &["-t", "shutdown"]);
    let order: Vec<String> = strip_elapsed(&ours.err())
        .lines()
        .filter_map(|l| l.strip_prefix("[D1] Shutdown UPS: ").map(str::to_string))
        .collect();
    assert_eq!(order, ["b", "a", "d"]);
    same(&nut, &["-t", "-u", "nobody", "-r", "/x", "shutdown", "c"]);
    // stop with PID files in place (without them 2.8.5 goes on to the socket, see below).
    for u in ["a", "b", "c", "d"] {
        nut.write(&format!("dummy-ups-{u}.pid"), "999999\n");
    }
    same(&nut, &["-t", "stop"]);
}

#[test]
fn real_start_stop_and_retries_like_nut() {
    if !have_debian("real_start_stop_and_retries_like_nut") {
        return;
    }
    // [bad] fails twice (maxretry = 2, retrydelay = 1), [good] starts.
    let nut = Nut::new(&format!(
        "driverpath = {}\nmaxretry = 2\nretrydelay = 1\n[good]\n driver = dummy-ups\n port = good.dev\n\
         [bad]\n driver = dummy-ups\n port = missing.dev\n",
        bin_dir().display()
    ));
    nut.write("good.dev", "ups.status: OL\n");
    let pidfile = nut.path().join("dummy-ups-good.pid");
    let mut outs = Vec::new();
    for which in ["debian", "ours"] {
        let run = |args: &[&str]| if which == "debian" { nut.debian(args) } else { nut.ours(args) };
        let start = run(&["-u", "root", "start"]);
        assert!(wait_until(Duration::from_secs(20), || common::pid_in(&pidfile).is_some()), "{which}");
        let pid = common::pid_in(&pidfile).unwrap();
        let _guard = KillOnDrop(vec![pid]);
        assert!(common::alive(pid), "{which}: driver runs after start");
        let stop = run(&["stop", "good"]);
        assert!(wait_until(Duration::from_secs(20), || !common::alive(pid)), "{which}: stop");
        outs.push((start, stop));
    }
    let ((ts, tp), (os, op)) = (&outs[0], &outs[1]);
    assert_eq!((os.code, op.code), (ts.code, tp.code));
    assert_eq!(os.code, 1, "a driver failed to start");
    assert_eq!(strip_elapsed(&os.err()), strip_elapsed(&ts.err()), "start stderr");
    assert_eq!(os.err().matches("Driver failed to start (exit status=1)").count(), 2, "two attempts");
    // Debian's banner is block-buffered and comes out after the drivers' lines: compare the
    // lines, not their order.
    let sorted = |s: &str| {
        let mut v: Vec<String> = stdout_norm(s).lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&os.out()), sorted(&ts.out()));
    assert_eq!((op.out(), op.err()), (stdout_norm(&tp.out()), tp.err()));
}

#[test]
fn stop_without_pid_file_then_tries_the_socket() {
    if !have_debian("stop_without_pid_file_then_tries_the_socket") {
        return;
    }
    let nut = Nut::new(&format!(
        "driverpath = {}\n[a]\n driver = dummy-ups\n port = /dev/ttyS9\n",
        bin_dir().display()
    ));
    let theirs = nut.debian(&["stop"]);
    let ours = nut.ours(&["stop"]);
    assert_eq!((ours.code, theirs.code), (1, 1));
    let d = nut.path().display().to_string();
    // 2.8.0's two lines (PID file by UPS name, then by port name)...
    assert_eq!(
        theirs.err(),
        format!(
            "Can't open {d}/dummy-ups-a.pid: No such file or directory\n\
             Can't open {d}/dummy-ups-ttyS9.pid either: No such file or directory\n"
        )
    );
    // ...then 2.8.5's attempt on the socket (stop_driver(): initial try, one retry 5 s later).
    assert_eq!(
        ours.err(),
        format!(
            "{}Can't open {d}/dummy-ups-a: No such file or directory\n\
             Can't open {d}/dummy-ups-a: No such file or directory\n\
             Failed to send the 'exit' command to the driver socket\n\
             Failed to stop the driver dummy-ups for a, it may be not running or not fully started yet\n",
            theirs.err()
        )
    );
}

#[test]
fn shutdown_runs_drivers_like_nut() {
    if !have_debian("shutdown_runs_drivers_like_nut") {
        return;
    }
    let nut = Nut::new(&format!(
        "driverpath = {}\n[late]\n driver = dummy-ups\n port = late.dev\n sdorder = 1\n\
         [gone]\n driver = nosuch-driver\n port = x\n[early]\n driver = dummy-ups\n port = early.dev\n",
        bin_dir().display()
    ));
    nut.write("late.dev", "ups.status: OL\n");
    nut.write("early.dev", "ups.status: OL\n");
    let theirs = nut.debian(&["-u", "root", "shutdown"]);
    let ours = nut.ours(&["-u", "root", "shutdown"]);
    assert_eq!(ours.code, theirs.code);
    assert_eq!(strip_elapsed(&ours.err()), strip_elapsed(&theirs.err()));
    assert!(ours
        .err()
        .contains("execv: No such file or directory\nDriver failed to start (exit status=1)\n"));
}

fn started_pid(nut: &Nut, n: usize) -> u32 {
    let lines = nut.wait_lines("slow.log", n);
    lines[n - 1].strip_prefix("started ").unwrap().parse().unwrap()
}

#[test]
fn maxstartdelay_timer_like_nut_and_2_8_5_exit_code() {
    if !have_debian("maxstartdelay_timer_like_nut_and_2_8_5_exit_code") {
        return;
    }
    let nut = Nut::new("");
    let dir = nut.waiting_driver();
    nut.set_ups_conf(&format!(
        "driverpath = {}\nmaxstartdelay = 1\n[a]\n driver = slowdrv\n port = x\n",
        dir.display()
    ));
    let theirs = nut.debian(&["start"]);
    let p1 = started_pid(&nut, 1);
    let ours = nut.ours(&["start"]);
    let p2 = started_pid(&nut, 2);
    let _guard = KillOnDrop(vec![p1, p2]);
    assert_eq!(theirs.err(), "Startup timer elapsed, continuing...\n");
    // A driver that takes longer than maxstartdelay makes the exit code nonzero (upsdrvctl(8),
    // DIAGNOSTICS); NUT 2.8.5 checks it again before exiting and says it is still starting.
    assert_eq!((ours.code, theirs.code), (1, 1));
    assert_eq!(
        ours.err(),
        format!(
            "Startup timer elapsed, continuing...\n\
             Driver [a] PID {p2} initially exceeded maxstartdelay 1 sec and is still starting\n"
        )
    );
    nut.write("go", "");
    assert!(wait_until(Duration::from_secs(20), || !common::alive(p1) && !common::alive(p2)));
}

#[test]
fn nowait_does_not_wait_for_drivers_like_nut() {
    if !have_debian("nowait_does_not_wait_for_drivers_like_nut") {
        return;
    }
    let nut = Nut::new("");
    let dir = nut.waiting_driver();
    nut.set_ups_conf(&format!("driverpath = {}\nnowait\n[a]\n driver = slowdrv\n port = x\n", dir.display()));
    for (n, which) in [(1, "debian"), (2, "ours")] {
        let o = if which == "debian" { nut.debian(&["start"]) } else { nut.ours(&["start"]) };
        let pid = started_pid(&nut, n);
        let _guard = KillOnDrop(vec![pid]);
        assert_eq!((o.code, o.err().as_str()), (0, ""), "{which}");
        // upsdrvctl is done while the driver is still starting.
        assert!(common::alive(pid), "{which}");
    }
    nut.write("go", "");
}
