//! Acceptance test 4: third-party clients work against our upsd exactly as against Debian's.
//! Debian's python3-nut (`PyNUT.PyNUTClient`, driven by `tests/scripts/pynut_probe.py` through
//! its whole API) and Debian's `upslog` (first log lines, with a format free of times, host
//! names and PIDs) must print the same against (Debian upsd + Debian dummy-ups) and (our upsd +
//! our dummy-ups).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_testkit::{require_debian_nut, Impl, Proc, Stack};
use nut_tests::{candidate, repo_root, require_ours, short_diff, show_output};

fn stack(which: Impl) -> Stack {
    let dev = repo_root().join("tests/devices/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev");
    let dev2 = repo_root().join("tests/devices/Eaton__5PX_2000__usbhid-ups__2.7.4__01.dev");
    Stack::builder()
        .upsd(which)
        .dummy("ups1", dev, which)
        .desc("Back room")
        .dummy("ups2", dev2, which)
        .start()
        .unwrap_or_else(|e| panic!("{} stack: {e}", which.label()))
}

#[test]
fn pynut_sees_the_same_server() {
    if !require_debian_nut("client_compat pynut") {
        return;
    }
    let py = std::path::Path::new("/usr/bin/python3");
    if !std::path::Path::new("/usr/lib/python3/dist-packages/PyNUT.py").exists() || !py.exists() {
        nut_testkit::skip(
            "client_compat pynut",
            "python3-nut is not installed",
            nut_testkit::Prereq::PythonNut,
        );
        return;
    }
    let cand = candidate();
    require_ours(cand, &["upsd", "dummy-ups"]);
    let script = repo_root().join("tests/scripts/pynut_probe.py");
    let run = |s: &Stack| {
        let port = s.port().to_string();
        s.run(py, &[script.to_str().unwrap_or_default(), &port, "ups1"], Duration::from_secs(60))
    };
    let a = run(&stack(Impl::Debian));
    let b = run(&stack(cand)).map(|mut o| {
        o.stdout = debian_versions(&o.out()).into_bytes();
        o
    });
    let ok_a = a.as_ref().map(|o| o.code == 0).unwrap_or(false);
    assert!(ok_a, "the probe failed against Debian's upsd itself:\n{}", show_output(&a));
    assert!(
        a == b,
        "PyNUT output differs (- Debian, + {}):\n{}",
        cand.label(),
        short_diff(&show_output(&a), &show_output(&b), 30)
    );
}

/// The probe's output with our NUT version (2.8.5, once the programs report it) replaced by
/// Debian's in the two places that carry it: upsd's `VER` banner and `driver.version`.
fn debian_versions(probe: &str) -> String {
    let deb = nut_testkit::compat::debian_version();
    probe
        .replace(
            &nut_core::server_info(),
            &format!("Network UPS Tools upsd {deb} - http://www.networkupstools.org/"),
        )
        .replace("(b'driver.version', b'2.8.5')", &format!("(b'driver.version', b'{deb}')"))
}

#[test]
fn only_the_version_is_normalized() {
    let deb = nut_testkit::compat::debian_version();
    let ours = "ver: b'Network UPS Tools upsd 2.8.5 - https://www.networkupstools.org/historic/v2.8.5/index.html\\n'\n\
                vars: [(b'driver.version', b'2.8.5'), (b'ups.firmware', b'2.8.5')]\n";
    assert_eq!(
        debian_versions(ours),
        format!(
            "ver: b'Network UPS Tools upsd {deb} - http://www.networkupstools.org/\\n'\n\
             vars: [(b'driver.version', b'{deb}'), (b'ups.firmware', b'2.8.5')]\n"
        )
    );
}

/// The first `n` lines upslog prints to stdout (it runs until killed).
fn upslog_lines(s: &Stack, args: &[&str], n: usize) -> Result<Vec<String>, String> {
    let mut cmd = Command::new("/usr/bin/upslog");
    for (k, v) in s.env() {
        cmd.env(k, v);
    }
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    let mut p = Proc::spawn(cmd);
    let out = p.child_mut().stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut lines = Vec::new();
    while lines.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Ok(l)) => lines.push(l.replace(&format!("127.0.0.1:{}", s.port()), "127.0.0.1:PORT")),
            Ok(Err(e)) => return Err(format!("reading upslog: {e}")),
            Err(_) => {
                return Err(format!("upslog printed {} of {n} lines within 20 s: {lines:?}", lines.len()))
            }
        }
    }
    Ok(lines)
}

#[test]
fn upslog_logs_the_same_lines() {
    if !require_debian_nut("client_compat upslog") {
        return;
    }
    let cand = candidate();
    require_ours(cand, &["upsd", "dummy-ups"]);
    let fmt =
        "%VAR battery.charge% %VAR input.voltage% %VAR ups.load% [%VAR ups.status%] %VAR ups.temperature% \
               %VAR input.frequency% %VAR no.such.var% %VAR ups.mfr% %% end";
    let run = |s: &Stack, ups: &str| {
        let target = s.target(ups);
        // Two banner lines, then two log lines one second apart.
        upslog_lines(s, &["-s", &target, "-l", "-", "-i", "1", "-f", fmt], 4)
    };
    let deb = stack(Impl::Debian);
    let ours = stack(cand);
    for ups in ["ups1", "ups2", "nope"] {
        let a = run(&deb, ups);
        let b = run(&ours, ups);
        assert!(a.is_ok(), "upslog against Debian's upsd ({ups}) failed: {a:?}");
        eprintln!("upslog {ups}: {a:?}");
        assert!(a == b, "upslog {ups}: Debian {a:?}\n{} {b:?}", cand.label());
    }
    // The default format starts with a timestamp (`%TIME @Y@m@d @H@M@S%`): the two runs may
    // fall on different seconds, so check its shape on every line, then compare the lines with
    // it replaced by a placeholder.
    let run_default = |s: &Stack| upslog_lines(s, &["-s", &s.target("ups1"), "-l", "-", "-i", "1"], 4);
    let a = run_default(&deb).and_then(|l| untimed(&l[2..]));
    let b = run_default(&ours).and_then(|l| untimed(&l[2..]));
    assert!(a.is_ok(), "upslog default format against Debian's upsd: {a:?}");
    assert!(a == b, "upslog default format: Debian {a:?}\n{} {b:?}", cand.label());
}

/// Log lines of the default format with their leading `YYYYMMDD HHMMSS` replaced by
/// `<date> <time>`; an error names a line whose timestamp does not have that shape.
fn untimed(lines: &[String]) -> Result<Vec<String>, String> {
    lines
        .iter()
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let (date, time, rest) = (parts.next(), parts.next(), parts.next());
            let digits = |s: Option<&str>, n: usize| {
                s.is_some_and(|s| s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
            };
            if !digits(date, 8) || !digits(time, 6) {
                return Err(format!("no YYYYMMDD HHMMSS timestamp at the start of {l:?}"));
            }
            Ok(format!("<date> <time> {}", rest.unwrap_or_default()))
        })
        .collect()
}

#[test]
fn untimed_checks_and_hides_the_timestamp() {
    let lines = ["20260101 235959 95 230.0 NA [OL] NA NA".to_string()];
    assert_eq!(untimed(&lines), Ok(vec!["<date> <time> 95 230.0 NA [OL] NA NA".to_string()]));
    assert!(untimed(&["2026011 235959 95".to_string()]).is_err());
    assert!(untimed(&["20260101 23:59:59 95".to_string()]).is_err());
}
