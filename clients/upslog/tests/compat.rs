//! upslog against a Debian upsd + dummy-ups stack (ours with `NUT_TEST_UPSD=ours`): the
//! banner, header and log lines match Debian's upslog where NUT 2.8.0 has the feature (format
//! escapes, the old positional form, messages, SIGUSR1), SIGHUP reopens the log file and
//! SIGTERM stops it with NUT's message and exit code 0. NUT 2.8.5's additions (`-N`, `%t`,
//! `-d`, `-D`, `-W`, `*` systems, `-m` with `-s`) are checked against the 2.8.5 man page,
//! and against Debian's output for the same lines where an equivalent exists.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use nut_testkit::compat::{debian_version, normalize_banner_version, Blackhole};
use nut_testkit::stack::{Impl, Output, Stack};
use nut_testkit::{wait_until, Proc};

fn stack(dir: &Path) -> Option<Stack> {
    if !nut_testkit::require_debian_nut("upslog compat") {
        return None;
    }
    let dev = dir.join("ups1.dev");
    std::fs::write(&dev, "ups.status: OL\nbattery.charge: 95\ndevice.mfr: Dummy \"Q\" Co\n")
        .expect("write .dev");
    let dev2 = dir.join("ups2.dev");
    std::fs::write(&dev2, "ups.status: OB LB\nbattery.charge: 12\n").expect("write .dev");
    let upsd = nut_testkit::compat::upsd_under_test();
    let b = Stack::builder().dummy("ups1", &dev, Impl::Debian).dummy("ups2", &dev2, Impl::Debian);
    Some(b.upsd(upsd).start().expect("start the NUT stack"))
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
    assert!(err.contains("Signal 1: reopening log file\n"), "stderr: {err}");
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
        vec!["-V"],
        vec!["-h"],
        vec!["-l", "-"],
        vec![],
        vec!["ups1@127.0.0.1:1"],
        vec!["ups1@127.0.0.1:1", "-"],
        vec!["ups1@", "-", "1", "x"],
    ] {
        let deb = s.run(Path::new("/usr/bin/upslog"), &args, Duration::from_secs(10)).expect("run Debian's");
        let ours = s.run(&nut_testkit::bin("upslog"), &args, Duration::from_secs(10)).expect("run ours");
        assert_eq!(ours.code, deb.code, "{args:?}");
        assert_eq!(normalize_banner_version(&ours.out(), debian_version()), deb.out(), "{args:?}");
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

/// A running upslog whose stdout lines arrive on a channel.
struct Running {
    proc: Proc,
    lines: Receiver<String>,
}

impl Running {
    fn start(s: &Stack, prog: &Path, args: &[&str]) -> Running {
        let mut cmd = Command::new(prog);
        for (k, v) in s.env() {
            cmd.env(k, v);
        }
        cmd.env_remove("NUT_DEBUG_LEVEL").env_remove("NUT_DEFAULT_CONNECT_TIMEOUT");
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut proc = Proc::spawn(cmd);
        let out = proc.child_mut().stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Running { proc, lines }
    }

    /// The next `n` lines, failing the test if they do not come within 20 s.
    fn next(&mut self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        (0..n)
            .map(|i| {
                let left = deadline.saturating_duration_since(Instant::now());
                self.lines
                    .recv_timeout(left)
                    .unwrap_or_else(|_| panic!("{}: line {} of {n} missing", self.proc.name(), i + 1))
            })
            .collect()
    }

    fn stderr(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut e) = self.proc.child_mut().stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        err
    }
}

fn ours() -> std::path::PathBuf {
    nut_testkit::bin("upslog")
}

const DEBIAN: &str = "/usr/bin/upslog";

/// Run our upslog to completion (with `-d` it stops by itself).
fn run_ours(s: &Stack, args: &[&str]) -> Output {
    let mut cmd = Command::new(ours());
    for (k, v) in s.env() {
        cmd.env(k, v);
    }
    cmd.env_remove("NUT_DEBUG_LEVEL").env_remove("NUT_DEFAULT_CONNECT_TIMEOUT").args(args);
    nut_testkit::stack::run_with_timeout(cmd, Duration::from_secs(30)).expect("run")
}

/// The first `n` log lines (after the banner and header lines) of ours and of Debian's upslog
/// with these arguments.
fn first_lines(
    s: &Stack,
    ours_args: &[&str],
    deb_args: &[&str],
    header: usize,
    n: usize,
) -> (Vec<String>, Vec<String>) {
    let mut a = Running::start(s, &ours(), ours_args);
    let mut b = Running::start(s, Path::new(DEBIAN), deb_args);
    let (a, b) = (a.next(header + n), b.next(header + n));
    (a[header..].to_vec(), b[header..].to_vec())
}

#[test]
fn formats_match_debian() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let t = s.target("ups1");
    // NUT's parsing rules: commands match case-insensitively by prefix, a variable needs a
    // dotted name, an unclosed '%' is INVALID and the rest stays text.
    for f in [
        "%hostname%|%UpsHost%|%variable ups.status%|%P%|%VAR status%|%VAR  ups.status%|%VAR battery.charge%",
        "a%b",
        "x%",
        "%% %VAR%|%VAR ups.status",
        "%UPSHOSTNAME%|%vAr device.mfr%|%VAR no.such%|%BOGUS%|%%%%",
        // A prefix of TIME with a time format (only the year, which the two runs share).
        "%TIMEX @Y%",
    ] {
        let args = ["-s", &t, "-l", "-", "-i", "1", "-f", f];
        let (a, b) = first_lines(&s, &args, &args, 2, 2);
        assert_eq!(a, b, "format {f:?}");
    }
    // %PID% is upslog's own PID.
    let mut r = Running::start(&s, &ours(), &["-s", &t, "-l", "-", "-f", "%PID%"]);
    assert_eq!(r.next(3)[2], r.proc.pid().to_string());
    // The old form: <system> <logfile> <interval> <format words...> (joined with spaces).
    let old = [t.as_str(), "-", "1", "%VAR", "ups.status%", "[%VAR", "battery.charge%]"];
    let (a, b) = first_lines(&s, &old, &old, 2, 2);
    assert_eq!(a, b);
    assert_eq!(a[0], "OL [95] ");
}

/// `-N` puts `%UPSHOST%%t` before the format, and `%t` is a TAB (NUT 2.8.5): the lines are
/// those Debian's 2.8.0 prints with a literal TAB in the format.
#[test]
fn prefix_and_tab_match_debian_with_a_literal_tab() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let t = s.target("ups1");
    let f = "%VAR ups.status% %VAR battery.charge%";
    let (a, b) = first_lines(
        &s,
        &["-N", "-s", &t, "-l", "-", "-i", "1", "-f", f],
        &["-s", &t, "-l", "-", "-i", "1", "-f", &format!("%UPSHOST%\t{f}")],
        2,
        2,
    );
    assert_eq!(a, b);
    assert_eq!(a[0], format!("{t}\tOL 95"));
    let (a, b) = first_lines(
        &s,
        &["-s", &t, "-l", "-", "-i", "1", "-f", "%VAR ups.status%%t|%t%VAR battery.charge%%t"],
        &["-s", &t, "-l", "-", "-i", "1", "-f", "%VAR ups.status%\t|\t%VAR battery.charge%\t"],
        2,
        1,
    );
    assert_eq!(a, b);
    // -N with the default format: the UPS, a TAB, then the default line (time first).
    let o = run_ours(&s, &["-N", "-s", &t, "-l", "-", "-d", "1"]);
    let line = o.out().lines().nth(2).unwrap_or_default().to_string();
    let rest = line.strip_prefix(&format!("{t}\t")).unwrap_or_else(|| panic!("{line:?}"));
    assert!(rest.ends_with(" 95 NA NA [OL] NA NA"), "{rest:?}");
}

/// `-d <count>` exits after that many rounds with NUT 2.8.5's messages; a count it cannot
/// read is reported and ignored (run forever).
#[test]
fn count_limits_the_rounds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let t = s.target("ups1");
    let o = run_ours(&s, &["-s", &t, "-l", "-", "-i", "1", "-d", "2", "-f", "%VAR ups.status%"]);
    assert_eq!(o.code, 0);
    let header = format!("logging status of {t} to - (1s intervals)");
    let banner = normalize_banner_version(
        &format!("{}\n", o.out().lines().next().unwrap_or_default()),
        debian_version(),
    );
    assert_eq!(banner, format!("Network UPS Tools upslog {}\n", debian_version()));
    assert_eq!(o.out().lines().skip(1).collect::<Vec<_>>(), [header.as_str(), "OL", "OL"]);
    assert_eq!(o.err(), "2 loops have elapsed\nSignal 1: exiting\n");
    // One round covers every UPS.
    let o = run_ours(
        &s,
        &[
            "-m",
            &format!("{t},-"),
            "-m",
            &format!("{},-", s.target("ups2")),
            "-d",
            "1",
            "-f",
            "%UPSHOST% %VAR ups.status%",
        ],
    );
    assert_eq!(
        o.out().lines().skip(3).collect::<Vec<_>>(),
        [format!("{t} OL"), format!("{} OB LB", s.target("ups2"))]
    );
    let mut r =
        Running::start(&s, &ours(), &["-d", "x", "-s", &t, "-l", "-", "-i", "1", "-f", "%VAR ups.status%"]);
    assert_eq!(r.next(5)[2..], ["OL", "OL", "OL"]);
    assert!(r.proc.is_running(), "an invalid -d means no limit");
    r.proc.signal(libc::SIGTERM);
    assert!(r.proc.terminate(Duration::from_secs(10)).is_some());
    assert!(r.stderr().starts_with("Invalid max loops\n"));
}

/// `*` as the UPS name logs every UPS the server lists, as `<ups>@<host>:<port>`; each line is
/// the one Debian's upslog writes for that UPS.
#[test]
fn asterisk_logs_every_ups_of_the_server() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let port = s.port();
    let f = "%UPSHOST% %VAR ups.status% %VAR battery.charge%";
    let o = run_ours(&s, &["-s", &format!("*@127.0.0.1:{port}"), "-l", "-", "-i", "1", "-d", "1", "-f", f]);
    assert_eq!(o.code, 0);
    let out: Vec<String> = o.out().lines().skip(1).map(String::from).collect();
    let (t1, t2) = (format!("ups1@127.0.0.1:{port}"), format!("ups2@127.0.0.1:{port}"));
    assert_eq!(
        out[..2],
        [
            format!("logging status of {t1} to - (1s intervals)"),
            format!("logging status of {t2} to - (1s intervals)")
        ]
    );
    for (i, t) in [&t1, &t2].into_iter().enumerate() {
        let mut d = Running::start(&s, Path::new(DEBIAN), &["-s", t, "-l", "-", "-f", f]);
        assert_eq!(out[2 + i], d.next(3)[2], "{t}");
    }
    assert_eq!(
        o.err(),
        format!("Querying 127.0.0.1:{port} for currently served devices\n1 loops have elapsed\nSignal 1: exiting\n")
    );
    // Without %UPSHOST% in the format, NUT suggests it when UPSes share a destination.
    let o = run_ours(&s, &["-m", &format!("*@127.0.0.1:{port},-"), "-d", "1", "-f", "%VAR ups.status%"]);
    assert_eq!(o.out().lines().skip(3).collect::<Vec<_>>(), ["OL", "OB LB"]);
    assert!(
        o.err().contains(
            "\nNOTE: Consider adding %UPSHOST% to the log formatting string, e.g. pass -N on CLI\n"
        ),
        "{}",
        o.err()
    );
    // A server that cannot be asked is fatal.
    let closed = nut_testkit::free_port();
    let o = run_ours(&s, &["-s", &format!("*@127.0.0.1:{closed}"), "-l", "-"]);
    assert_eq!(o.code, 1);
    let stderr = o.err();
    let err: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("upslog: hint:")).collect();
    assert_eq!(
        err,
        [
            format!("Querying 127.0.0.1:{closed} for currently served devices").as_str(),
            "Error: Connection failure: Connection refused"
        ]
    );
}

/// `-m` tuples come first, then `-s`/`-l` (NUT 2.8.3); one file shared by several UPSes is
/// opened once and gets every line, with NUT's notes; bad tuples are refused.
#[test]
fn tuples_and_single_ups_together() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let (t1, t2) = (s.target("ups1"), s.target("ups2"));
    let file = tmp.path().join("shared.log").display().to_string();
    let args = [
        "-m",
        &format!("{t2},{file}"),
        "-s",
        &t1,
        "-l",
        &file,
        "-m",
        &format!("{t1},-"),
        "-d",
        "1",
        "-f",
        "%VAR ups.status%",
    ];
    let o = run_ours(&s, &args);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.out().lines().skip(1).collect::<Vec<_>>(),
        [
            format!("logging status of {t2} to {file} (30s intervals)").as_str(),
            &format!("logging status of {t1} to - (30s intervals)"),
            &format!("logging status of {t1} to {file} (30s intervals)"),
            "OL",
        ]
    );
    assert_eq!(std::fs::read_to_string(&file).expect("log"), "OB LB\nOL\n");
    assert_eq!(
        o.err(),
        format!(
            "NOTE: File {file} is already receiving other logs\n\
             NOTE: Consider adding %UPSHOST% to the log formatting string, e.g. pass -N on CLI\n\
             1 loops have elapsed\nSignal 1: exiting\n"
        )
    );
    for bad in ["ups1", "ups1,a,b", "ups1,"] {
        let o = run_ours(&s, &["-m", bad]);
        assert_eq!(o.code, 1, "{bad}");
        assert_eq!(
            o.err(),
            "Argument '-m upsspec,logfile' requires exactly 2 components in the tuple\n",
            "{bad}"
        );
    }
}

/// `-D` raises the debug level and keeps upslog in the foreground even when it logs to a
/// file (so its messages stay on stderr); the log lines are unchanged.
#[test]
fn debug_keeps_the_foreground() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let t = s.target("ups1");
    let file = tmp.path().join("d.log").display().to_string();
    let o = run_ours(&s, &["-D", "-s", &t, "-l", &file, "-d", "1", "-f", "%VAR ups.status%"]);
    assert_eq!(o.code, 0);
    assert_eq!(std::fs::read_to_string(&file).expect("log"), "OL\n");
    let e = o.err();
    assert!(e.lines().any(|l| l.ends_with("[D1] logformat: %VAR ups.status%")), "{e}");
    let last = e.lines().last().unwrap_or_default();
    assert!(
        last.ends_with("\tSignal 1: exiting") && nut_testkit::compat::debug_prefix_len(last).is_some(),
        "{e}"
    );
    assert!(!e.contains("[D2]"));
    let o = run_ours(&s, &["-DD", "-s", &t, "-l", &file, "-d", "1", "-f", "%VAR ups.status%"]);
    assert!(o.err().contains("[D1] logformat: %VAR ups.status%"), "{}", o.err());
    // -B sends it to the background anyway: the parent returns at once, stderr stays quiet.
    let o = run_ours(
        &s,
        &["-D", "-B", "-p", "bgtest", "-s", &t, "-l", &file, "-d", "1", "-f", "%VAR battery.charge%"],
    );
    assert_eq!(o.code, 0);
    assert!(wait_until(Duration::from_secs(10), || std::fs::read_to_string(&file)
        .unwrap_or_default()
        .ends_with("OL\n95\n")));
}

/// `-W 1`: the initial connect to a silent port gives up after a second with NUT's warning,
/// and the line shows `NA`.
#[test]
fn connect_timeout_flag() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let Some(bh) = Blackhole::new() else {
        nut_testkit::skip(
            "upslog -W",
            "this kernel answers connects to a full listen queue",
            nut_testkit::Prereq::Machine,
        );
        return;
    };
    let silent = format!("ups1@127.0.0.1:{}", bh.port);
    let t0 = Instant::now();
    let o = run_ours(&s, &["-W", "1", "-s", &silent, "-l", "-", "-d", "1", "-f", "%VAR ups.status%"]);
    let took = t0.elapsed();
    assert_eq!(o.code, 0);
    assert_eq!(o.out().lines().nth(2), Some("NA"));
    let warn = "upscli_tryconnect: Connection to host timed out: '127.0.0.1'";
    let stderr = o.err();
    let err: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("upslog: hint:")).collect();
    assert_eq!(
        err,
        [
            warn,
            "Warning: initial connect failed: Connection failure: Connection timed out",
            warn,
            "1 loops have elapsed",
            "Signal 1: exiting"
        ]
    );
    // Two connects (start-up, then the round's retry), a second each.
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(18), "took {took:?}");
    // Against a server that answers, -W only sets the timeout.
    let o =
        run_ours(&s, &["-W", "0", "-s", &s.target("ups1"), "-l", "-", "-d", "1", "-f", "%VAR ups.status%"]);
    assert_eq!((o.code, o.out().lines().nth(2)), (0, Some("OL")));
}

/// SIGUSR1 logs at once instead of waiting for the interval, in Debian's upslog and ours.
/// Debian's loses a signal that arrives between writing a line and going to sleep, so it gets
/// one every second until it answers; ours must answer the first.
#[test]
fn usr1_logs_now() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let t = s.target("ups1");
    let args = ["-s", &t, "-l", "-", "-i", "600", "-f", "%VAR ups.status% %VAR battery.charge%"];
    let mut d = Running::start(&s, Path::new(DEBIAN), &args);
    assert_eq!(d.next(3)[2], "OL 95");
    let answered = (0..20).any(|_| {
        d.proc.signal(libc::SIGUSR1);
        d.lines.recv_timeout(Duration::from_secs(1)).is_ok_and(|l| l == "OL 95")
    });
    assert!(answered, "Debian's upslog logs on SIGUSR1");
    let mut r = Running::start(&s, &ours(), &args);
    assert_eq!(r.next(3)[2], "OL 95");
    for _ in 0..3 {
        r.proc.signal(libc::SIGUSR1);
        assert_eq!(r.next(1), ["OL 95"]);
    }
    assert!(r.proc.is_running());
}
