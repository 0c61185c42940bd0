//! upslog against a Debian upsd + dummy-ups stack: the banner and header lines match NUT's,
//! log lines use the format escapes, SIGHUP reopens the log file and SIGTERM stops it with
//! NUT's message and exit code 0.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::stack::{Impl, Stack};
use nut_testkit::{wait_until, Proc};

fn stack(dir: &Path) -> Option<Stack> {
    if !nut_testkit::require_debian_nut("upslog compat") {
        return None;
    }
    let dev = dir.join("ups1.dev");
    std::fs::write(&dev, "ups.status: OL\nbattery.charge: 95\n").expect("write .dev");
    let upsd = nut_testkit::compat::upsd_under_test();
    Some(Stack::builder().dummy("ups1", &dev, Impl::Debian).upsd(upsd).start().expect("start the NUT stack"))
}

#[test]
fn logs_lines_reopens_on_hup_and_stops_on_term() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let log = tmp.path().join("ups.log");
    let target = s.target("ups1");
    let mut cmd = Command::new(nut_testkit::bin("upslog"));
    cmd.args(["-s", &target, "-l", &log.display().to_string(), "-i", "1", "-F"])
        .args(["-f", "%UPSHOST% %VAR ups.status% %VAR battery.charge% %VAR no.such% %% %BOGUS%"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut p = Proc::spawn(cmd);
    let line = format!("{target} OL 95 NA % INVALID\n");
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(wait_until(Duration::from_secs(10), || read().contains(&line)), "log line: {:?}", read());
    // logrotate moves the file away, then sends SIGHUP: a new file must appear.
    let rotated = tmp.path().join("ups.log.1");
    std::fs::rename(&log, &rotated).expect("rotate");
    p.signal(libc::SIGHUP);
    assert!(wait_until(Duration::from_secs(10), || read().contains(&line)), "reopened log: {:?}", read());
    p.signal(libc::SIGTERM);
    let status = p.terminate(Duration::from_secs(10)).expect("upslog exits on SIGTERM");
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    if let Some(mut e) = p.child_mut().stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    assert!(err.contains("Signal 15: exiting"), "stderr: {err}");
}

#[test]
fn messages_match_debian() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    for args in [
        vec!["-z"],
        vec!["-s", "ups1@", "-l", "-"],
        vec!["-s", "ups1"],
        vec!["-s", "ups1@127.0.0.1:1", "-l", "/nonexistent/dir/x.log"],
    ] {
        let deb = s.run(Path::new("/usr/bin/upslog"), &args, Duration::from_secs(10)).expect("run Debian's");
        let ours = s.run(&nut_testkit::bin("upslog"), &args, Duration::from_secs(10)).expect("run ours");
        assert_eq!(ours.code, deb.code, "{args:?}");
        assert_eq!(ours.out(), deb.out(), "{args:?}");
        // glibc names the program by its path in flag errors; the paths differ.
        let clean = |t: String| -> String {
            t.lines()
                .filter(|l| !l.starts_with("Init SSL") && !l.starts_with("upslog: hint:"))
                .map(|l| format!("{l}\n"))
                .collect::<String>()
                .replace(&nut_testkit::bin("upslog").display().to_string(), "upslog")
                .replace("/usr/bin/upslog", "upslog")
        };
        assert_eq!(clean(ours.err()), clean(deb.err()), "{args:?}");
    }
}
