//! upsc against Debian's upsc on the same server: same exit code, same stdout, and the same
//! stderr once our extra hint lines are removed (and Debian's `Init SSL` noise). The server is
//! Debian's upsd with dummy-ups, or ours with `NUT_TEST_UPSD=ours`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_testkit::compat::{self, compare_with_debian, compare_with_debian_flags, Blackhole};
use nut_testkit::stack::{Output, Stack};
use nut_testkit::{bin, wait_until, Proc};

fn stack(dir: &Path) -> Option<Stack> {
    compat::client_stack(dir, "upsc compat")
}

#[test]
fn upsc_matches_debian() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let host = format!("127.0.0.1:{}", s.port());
    let o = compare_with_debian(&s, "upsc", &[&ups1]);
    assert!(o.out().contains("ups.status: OL CHRG\n"));
    compare_with_debian(&s, "upsc", &[&ups1, "ups.status"]);
    compare_with_debian(&s, "upsc", &[&ups1, "battery.charge", "extra"]);
    compare_with_debian(&s, "upsc", &[&s.target("nosuch")]);
    compare_with_debian(&s, "upsc", &[&ups1, "no.such.var"]);
    compare_with_debian(&s, "upsc", &[&ups1, "oldstyle"]);
    compare_with_debian(&s, "upsc", &["-l", &host]);
    compare_with_debian(&s, "upsc", &["-L", &host]);
    compare_with_debian(&s, "upsc", &["-lL", &host]);
    compare_with_debian(&s, "upsc", &["-c", &ups1]);
    compare_with_debian(&s, "upsc", &["-c"]);
    compare_with_debian(&s, "upsc", &[]);
    compare_with_debian(&s, "upsc", &["-h"]);
    compare_with_debian(&s, "upsc", &["-z"]);
    compare_with_debian(&s, "upsc", &["ups1@"]);
    compare_with_debian(&s, "upsc", &["ups1@host:"]);
    compare_with_debian(&s, "upsc", &["ups1@[::1"]);
    compare_with_debian(&s, "upsc", &[""]);
    compare_with_debian(&s, "upsc", &["-l", "[::1"]);
    compare_with_debian(&s, "upsc", &[&ups1, "-l"]);
    compare_with_debian(&s, "upsc", &["ups1@nonexistent.invalid"]);
}

#[test]
fn upsc_errors_when_driver_gone_or_server_down() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(mut s) = stack(tmp.path()) else { return };
    let ups2 = s.target("ups2");
    assert!(s.kill_driver("ups2"));
    // upsd notices the closed socket on its next poll; wait for the error to appear.
    let ok = nut_testkit::wait_until(Duration::from_secs(10), || {
        let o = s.run(&nut_testkit::bin("upsc"), &[&ups2], Duration::from_secs(5)).expect("run");
        o.err().contains("Driver not connected") || o.err().contains("Data stale")
    });
    assert!(ok, "upsc reports the missing driver");
    let o = compare_with_debian(&s, "upsc", &[&ups2]);
    assert!(o.err().contains("upsc: hint: "), "hint line after NUT's error: {}", o.err());
    // A port where nothing listens: connection refused, with the hint to check upsd.
    let closed = format!("ups1@127.0.0.1:{}", nut_testkit::free_port());
    let o = compare_with_debian(&s, "upsc", &[&closed]);
    assert!(o.err().contains("Connection refused"));
    assert!(o.err().contains("is upsd running?"));
}

/// Run `prog` (ours, or Debian's for a path) with the stack's environment plus `env`.
fn run_env(s: &Stack, prog: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(prog);
    for (k, v) in s.env() {
        cmd.env(k, v);
    }
    cmd.env_remove("NUT_DEBUG_LEVEL").env_remove("NUT_DEFAULT_CONNECT_TIMEOUT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    nut_testkit::stack::run_with_timeout(cmd, Duration::from_secs(30)).expect("run")
}

fn ours(s: &Stack, args: &[&str]) -> Output {
    run_env(s, &bin("upsc"), &[], args)
}

fn debian(s: &Stack, args: &[&str]) -> Output {
    run_env(s, Path::new("/usr/bin/upsc"), &[], args)
}

/// `name: value` lines of Debian's text output, in the server's order.
fn pairs(text: &str) -> Vec<(String, String)> {
    text.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A JSON string as NUT 2.8.5's `json_print_esc` writes it, quotes included.
fn nut_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            c if (c as u32) < 32 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// upsc.c 2.8.5 prints lists and objects with one item per line, two spaces in, `,` between
/// items, and the brackets on their own lines (an empty one is `[\n\n]\n`).
fn nut_list(open: char, items: &[String], close: char) -> String {
    format!("{open}\n{}\n{close}\n", items.iter().map(|i| format!("  {i}")).collect::<Vec<_>>().join(",\n"))
}

#[test]
fn upsc_json_matches_nut_2_8_5() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let host = format!("127.0.0.1:{}", s.port());

    // Whole UPS: an object of every variable, in upsd's order.
    let data = pairs(&debian(&s, &[&ups1]).out());
    assert!(data.iter().any(|(k, v)| k == "ups.status" && v == "OL CHRG"), "{data:?}");
    let o = ours(&s, &["-j", &ups1]);
    assert_eq!(o.code, 0);
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&o.out()).expect("JSON object");
    assert_eq!(parsed.len(), data.len());
    for (k, v) in &data {
        assert_eq!(parsed.get(k).and_then(|x| x.as_str()), Some(v.as_str()), "{k}");
    }
    let items: Vec<String> = data.iter().map(|(k, v)| format!("{}: {}", nut_str(k), nut_str(v))).collect();
    assert_eq!(o.out(), nut_list('{', &items, '}'));

    // One variable: the bare value as a JSON string.
    for var in ["ups.status", "battery.charge", "device.mfr"] {
        let want = debian(&s, &[&ups1, var]).out();
        let o = ours(&s, &["-j", &ups1, var]);
        assert_eq!(o.code, 0);
        let v: String = serde_json::from_str(&o.out()).expect("JSON string");
        assert_eq!(format!("{v}\n"), want);
        assert_eq!(o.out(), format!("{}\n", nut_str(want.trim_end_matches('\n'))));
    }

    // -l: an array of names; -L: an object of names to descriptions.
    let names: Vec<String> = debian(&s, &["-l", &host]).out().lines().map(String::from).collect();
    assert_eq!(names, ["ups1", "ups2"]);
    let o = ours(&s, &["-j", "-l", &host]);
    assert_eq!(serde_json::from_str::<Vec<String>>(&o.out()).expect("JSON array"), names);
    assert_eq!(o.out(), nut_list('[', &names.iter().map(|n| nut_str(n)).collect::<Vec<_>>(), ']'));
    let descs = pairs(&debian(&s, &["-L", &host]).out());
    let o = ours(&s, &["-j", "-L", &host]);
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&o.out()).expect("JSON object");
    for (k, v) in &descs {
        assert_eq!(parsed.get(k).and_then(|x| x.as_str()), Some(v.as_str()));
    }
    assert_eq!(parsed.len(), descs.len());
    let items: Vec<String> = descs.iter().map(|(k, v)| format!("{}: {}", nut_str(k), nut_str(v))).collect();
    assert_eq!(o.out(), nut_list('{', &items, '}'));

    // -c: an array of client addresses; empty, then with one client logged in.
    let o = ours(&s, &["-j", "-c", &ups1]);
    assert_eq!((o.code, o.out()), (0, "[\n\n]\n".to_string()));
    let mut conn = s.connect().expect("connect");
    for line in ["USERNAME mon", "PASSWORD monpw", "LOGIN ups1"] {
        assert_eq!(conn.request(line).expect("request"), ["OK"], "{line}");
    }
    let clients: Vec<String> = debian(&s, &["-c", &ups1]).out().lines().map(String::from).collect();
    assert_eq!(clients, ["127.0.0.1"]);
    let o = ours(&s, &["-j", "-c", &ups1]);
    assert_eq!(serde_json::from_str::<Vec<String>>(&o.out()).expect("JSON array"), clients);
    assert_eq!(o.out(), nut_list('[', &clients.iter().map(|c| nut_str(c)).collect::<Vec<_>>(), ']'));

    // Errors: stdout has NUT's {"error": ...}, stderr and exit code are those without -j.
    let closed = format!("ups1@127.0.0.1:{}", nut_testkit::free_port());
    for (args, message, inside_object) in [
        (vec![s.target("nosuch")], "Unknown UPS", true),
        (vec![ups1.clone(), "no.such.var".into()], "Variable not supported by UPS", false),
        (vec![ups1.clone(), "oldstyle".into()], "old-style variable names are not supported", false),
        (vec!["ups1@".into()], "invalid UPS definition.\nRequired format: upsname[@hostname[:port]]", false),
        (vec!["-l".into(), "[::1".into()], "invalid hostname.\nRequired format: [hostname[:port]]", false),
        (vec!["-c".into(), s.target("nosuch")], "Unknown UPS", false),
        (vec![closed.clone()], "Connection failure: Connection refused", false),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut with_j = vec!["-j"];
        with_j.extend(&args);
        let plain = compare_with_debian(&s, "upsc", &args);
        let o = ours(&s, &with_j);
        assert_eq!(o.code, plain.code, "{args:?}");
        assert_eq!(o.err(), plain.err(), "{args:?}: stderr as without -j");
        let parsed: serde_json::Value = serde_json::from_str(&o.out()).expect("JSON error object");
        assert_eq!(parsed["error"], message, "{args:?}");
        // The whole-UPS list has opened its object when upsd refuses: the error goes inside.
        let want = if inside_object {
            format!("{{\n  \"error\": {}\n}}\n", nut_str(message))
        } else {
            format!("{{\"error\": {}}}\n", nut_str(message))
        };
        assert_eq!(o.out(), want, "{args:?}");
    }
}

#[test]
fn upsc_debug_flag() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    // -D changes nothing on stdout, and the same messages remain once debug lines go.
    let o = compare_with_debian_flags(&s, "upsc", &["-D"], &[&ups1]);
    compare_with_debian_flags(&s, "upsc", &["-DD"], &[&ups1, "ups.status"]);
    compare_with_debian_flags(&s, "upsc", &["-D", "-D"], &["-l", &format!("127.0.0.1:{}", s.port())]);
    let e = o.err();
    let starting = e.lines().find(|l| l.ends_with("[D1] Starting NUT client: upsc")).expect("debug line");
    assert!(compat::debug_prefix_len(starting).is_some(), "NUT's elapsed-time prefix: {starting:?}");
    assert!(e.contains("[D1] Calling list_vars()"), "{e}");
    assert!(!e.contains("[D2]"), "-D is level 1: {e}");
    // Errors go through the same log: with -D they carry the time prefix, as NUT's fatalx.
    let o = compare_with_debian_flags(&s, "upsc", &["-D"], &[&s.target("nosuch")]);
    let err_line = o.err().lines().find(|l| l.ends_with("Error: Unknown UPS")).map(String::from);
    assert!(err_line.is_some_and(|l| compat::debug_prefix_len(&l).is_some()), "{}", o.err());
    // Each -D raises the level; without -D, NUT_DEBUG_LEVEL applies; -D overrides it.
    // (NUT's upsc has no level-2 lines over plain TCP: -DD shows what -D shows.)
    let o = ours(&s, &["-DD", &ups1, "ups.status"]);
    assert!(o.err().contains("[D1] Calling printvar(ups.status)"), "{}", o.err());
    let o = run_env(&s, &bin("upsc"), &[("NUT_DEBUG_LEVEL", "2")], &[&ups1, "ups.status"]);
    assert_eq!(o.out(), debian(&s, &[&ups1, "ups.status"]).out());
    assert!(o.err().contains("[D1] Defaulting debug verbosity to NUT_DEBUG_LEVEL=2"), "{}", o.err());
    let o = run_env(&s, &bin("upsc"), &[("NUT_DEBUG_LEVEL", "3")], &["-D", &ups1, "ups.status"]);
    assert!(o.err().contains("[D1] Starting NUT client") && !o.err().contains("[D2]"), "{}", o.err());
    // Without either, no debug output at all.
    assert_eq!(ours(&s, &[&ups1, "ups.status"]).err(), "");
}

/// What upsc prints on stderr when its connect to 127.0.0.1 times out (NUT 2.8.5's
/// libupsclient warning, then the error), without our hint line.
const TIMED_OUT: &str =
    "upscli_tryconnect: Connection to host timed out: '127.0.0.1'\nError: Connection failure: Connection timed out\n";

fn without_hints(o: &Output) -> String {
    o.err().lines().filter(|l| !l.starts_with("upsc: hint: ")).map(|l| format!("{l}\n")).collect()
}

#[test]
fn upsc_connect_timeout_flag() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let Some(bh) = Blackhole::new() else {
        nut_testkit::skip(
            "upsc -W",
            "this kernel answers connects to a full listen queue",
            nut_testkit::Prereq::Machine,
        );
        return;
    };
    let silent = format!("ups1@127.0.0.1:{}", bh.port);
    let timed = |env: &[(&str, &str)], args: &[&str]| {
        let t0 = Instant::now();
        let o = run_env(&s, &bin("upsc"), env, args);
        (o, t0.elapsed())
    };
    // -W 1: gives up after one second (the default would wait 10).
    let (o, took) = timed(&[], &["-W", "1", &silent]);
    assert_eq!(o.code, 1);
    assert_eq!(without_hints(&o), TIMED_OUT);
    assert!(o.err().contains("upsc: hint: no answer from 127.0.0.1:"), "{}", o.err());
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(9), "-W 1 took {took:?}");
    // Fractions count; JSON mode reports the error too.
    let (o, took) = timed(&[], &["-j", "-W", "0.5", &silent]);
    assert_eq!(o.out(), "{\"error\": \"Connection failure: Connection timed out\"}\n");
    assert!(took >= Duration::from_millis(500) && took < Duration::from_secs(9), "-W 0.5 took {took:?}");
    // NUT_DEFAULT_CONNECT_TIMEOUT sets it for every client; -W overrides it.
    let (o, took) = timed(&[("NUT_DEFAULT_CONNECT_TIMEOUT", "1")], &[&silent]);
    assert_eq!(without_hints(&o), TIMED_OUT);
    assert!(took < Duration::from_secs(9), "NUT_DEFAULT_CONNECT_TIMEOUT=1 took {took:?}");
    let (o, took) = timed(&[("NUT_DEFAULT_CONNECT_TIMEOUT", "60")], &["-W", " 1 ", &silent]);
    assert_eq!(without_hints(&o), TIMED_OUT);
    assert!(took < Duration::from_secs(9), "-W 1 over NUT_DEFAULT_CONNECT_TIMEOUT=60 took {took:?}");
    // Values NUT cannot read are ignored with its warning: the next source applies.
    let (o, took) = timed(&[("NUT_DEFAULT_CONNECT_TIMEOUT", "soon")], &["-W", "1", &silent]);
    let warn = "upscli_init_default_connect_timeout: NUT_DEFAULT_CONNECT_TIMEOUT='soon' value was not recognized, ignored\n";
    assert_eq!(without_hints(&o), format!("{warn}{TIMED_OUT}"));
    assert!(took < Duration::from_secs(9), "{took:?}");
    let (o, took) = timed(&[("NUT_DEFAULT_CONNECT_TIMEOUT", "1")], &["-W", "-2", &silent]);
    let warn = "upscli_init_default_connect_timeout: cli_secs='-2' value was not recognized, ignored\n";
    assert_eq!(without_hints(&o), format!("{warn}{TIMED_OUT}"));
    assert!(took < Duration::from_secs(9), "{took:?}");
    // Against a server that answers, -W changes nothing but the warnings.
    let ups1 = s.target("ups1");
    for w in ["5", "0", "1.5", "1e1"] {
        compare_with_debian_flags(&s, "upsc", &["-W", w], &[&ups1]);
    }
    let o = ours(&s, &["-W", "abc", &ups1, "ups.status"]);
    assert_eq!(o.out(), debian(&s, &[&ups1, "ups.status"]).out());
    assert_eq!(
        o.err(),
        "upscli_init_default_connect_timeout: cli_secs='abc' value was not recognized, ignored\n"
    );
    // -W without its value: glibc's message and the usage, as for any flag error.
    let o = ours(&s, &["-W"]);
    assert!(o.err().ends_with("upsc: option requires an argument -- 'W'\n"), "{}", o.err());
    assert_eq!(
        compat::normalize_banner_version(&o.out(), compat::debian_version()),
        debian(&s, &["-h"]).out()
    );
}

/// The default connect timeout is 10 s, and `-W 0` waits as long as the system does.
#[test]
fn upsc_default_timeout_and_w0_blocks() {
    let Some(bh) = Blackhole::new() else {
        nut_testkit::skip(
            "upsc default timeout",
            "this kernel answers connects to a full listen queue",
            nut_testkit::Prereq::Machine,
        );
        return;
    };
    let silent = format!("ups1@127.0.0.1:{}", bh.port);
    let spawn = |args: &[&str]| {
        let mut cmd = Command::new(bin("upsc"));
        cmd.env_remove("NUT_DEFAULT_CONNECT_TIMEOUT").args(args);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        Proc::spawn(cmd)
    };
    let t0 = Instant::now();
    let mut blocking = spawn(&["-W", "0", &silent]);
    let mut default = spawn(&[&silent]);
    assert!(wait_until(Duration::from_secs(60), || !default.is_running()), "default timeout never fired");
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(10), "the default is 10 s, gave up after {took:?}");
    let mut err = String::new();
    if let Some(mut e) = default.child_mut().stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    assert!(err.starts_with(TIMED_OUT), "{err}");
    assert!(blocking.is_running(), "-W 0 must still be waiting after the default timeout");
}
