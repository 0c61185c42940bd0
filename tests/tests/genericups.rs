//! genericups (contact-closure UPSes), end to end.
//!
//! A Linux pty has no modem-control lines (TIOCMGET/TIOCMSET fail with ENOTTY), so neither
//! our driver nor Debian's `/lib/nut/genericups` can watch a simulated UPS on one, and this
//! machine's only serial port (/dev/ttyS0) is its console, which a test must not drive.
//! What is compared with Debian's 2.8.0 is what is comparable: `-h` (the option list and the
//! upstype list, the same table in 2.8.0 and 2.8.5) and the refusal on a pty. The line logic
//! runs end to end on our driver's test-only line source (`NUT_GENERICUPS_FAKE_LINES=1`:
//! `port` names a file listing the high input lines, outputs logged to `<port>.out`; see
//! drivers/genericups/src/fake.rs): driver → upsd → upsmon gets ONBATT, LOWBATT and runs
//! SHUTDOWNCMD; `-k` sets the shutdown lines of NUT's table; a failed line read makes the
//! data stale within a poll interval and the driver recovers by itself. The real ioctls are
//! tested on a pty (the error, worded) and, when `NUT_TEST_SERIAL_PORT` names a real serial
//! port, on it (skipped otherwise, visibly).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nut_testkit::stack::{run_with_timeout, tail};
use nut_testkit::{bin, debian_bin, require_debian_nut, skip, wait_until, Impl, Prereq, TempDir};
use nut_tests::require_ours;
use nut_tests::serial::SerialStack;
use nut_tests::upsmon::Upsmon;

const FAKE_ENV: &str = "NUT_GENERICUPS_FAKE_LINES";

/// The `-x name=<value>` lines of `-h` (trimmed), and the upstype list.
fn help_parts(text: &str) -> (Vec<String>, Vec<String>) {
    let opts = text.lines().filter(|l| l.contains(": -x ")).map(|l| l.trim().to_string()).collect();
    let types = text
        .lines()
        .skip_while(|l| *l != "Valid UPS types:")
        .skip(2)
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    (opts, types)
}

fn run(cmd: Command) -> (bool, String) {
    let o = run_with_timeout(cmd, Duration::from_secs(20)).expect("run");
    (o.code == 0, format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn help_lists_debians_options_and_upstypes_and_says_the_limits() {
    require_ours(Impl::Ours, &["genericups"]);
    let (ok, ours) = run({
        let mut c = Command::new(bin("genericups"));
        c.arg("-h");
        c
    });
    assert!(ok, "{ours}");
    let (o_opts, o_types) = help_parts(&ours);
    assert_eq!(o_types.len(), 24, "{ours}");
    assert_eq!(o_types[0], "0: UPSONIC LAN Saver 600");
    assert_eq!(o_types[23], "23: FTTx (Fiber to the x) battery backup with 4-wire telemetry interface");
    // The limits, said plainly (genericups(8) BUGS; NUT's FAQ on contact-closure UPSes).
    for want in ["cannot detect", "cannot read any value", "not a pty"] {
        assert!(ours.contains(want), "-h does not say '{want}':\n{ours}");
    }
    if !require_debian_nut("genericups help_lists_debians_options_and_upstypes") {
        return;
    }
    let (ok, deb) = run({
        let mut c = Command::new(debian_bin("genericups").expect("/lib/nut/genericups"));
        c.arg("-h");
        c
    });
    assert!(ok, "{deb}");
    let (d_opts, d_types) = help_parts(&deb);
    assert_eq!(o_opts, d_opts, "the -x options");
    assert_eq!(o_types, d_types, "the upstype list (the table is the same in 2.8.0 and 2.8.5)");
}

/// A pty pair: the master (kept open) and the slave's path.
fn pty() -> (std::fs::File, String) {
    use std::os::fd::FromRawFd;
    let (mut m, mut s) = (-1, -1);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: valid out-pointers; name has room for a pts path.
    let r = unsafe { libc::openpty(&mut m, &mut s, name.as_mut_ptr(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(r, 0, "openpty");
    // SAFETY: openpty NUL-terminates name.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
    // SAFETY: s and m are descriptors we own.
    unsafe { libc::close(s) };
    (unsafe { std::fs::File::from_raw_fd(m) }, path)
}

fn driver_cmd(prog: &Path, dir: &Path, port: &str, opts: &str, args: &[&str], fake: bool) -> Command {
    std::fs::write(dir.join("ups.conf"), format!("[q]\n\tdriver = genericups\n\tport = \"{port}\"\n{opts}"))
        .expect("ups.conf");
    let mut c = Command::new(prog);
    c.args(["-a", "q", "-u", "root"])
        .args(args)
        .env("NUT_CONFPATH", dir)
        .env("NUT_STATEPATH", dir)
        .env("NUT_ALTPIDPATH", dir)
        .env_remove("NUT_DEBUG_LEVEL")
        .stdin(Stdio::null());
    if fake {
        c.env(FAKE_ENV, "1");
    } else {
        c.env_remove(FAKE_ENV);
    }
    c
}

#[test]
fn on_a_pty_both_drivers_refuse_and_ours_says_why() {
    require_ours(Impl::Ours, &["genericups"]);
    let (_master, port) = pty();
    let dir = TempDir::new().expect("dir");
    let (ok, ours) =
        run(driver_cmd(&bin("genericups"), dir.path(), &port, "\tupstype = 1\n", &["-d", "1"], false));
    assert!(!ok, "our genericups ran on a pty:\n{ours}");
    assert!(ours.contains("ioctl TIOCMSET: Inappropriate ioctl for device"), "{ours}");
    assert!(
        ours.contains(&format!("{port} has no modem-control lines")) && ours.contains("real serial port"),
        "our message must say the port has no modem lines and what is needed:\n{ours}"
    );
    if !require_debian_nut("genericups on_a_pty_both_drivers_refuse") {
        return;
    }
    let deb_prog = debian_bin("genericups").expect("/lib/nut/genericups");
    let (ok, deb) = run(driver_cmd(&deb_prog, dir.path(), &port, "\tupstype = 1\n", &["-d", "1"], false));
    assert!(!ok, "Debian's genericups ran on a pty:\n{deb}");
    assert!(deb.contains("ioctl TIOCMSET: Inappropriate ioctl for device"), "{deb}");
}

#[test]
fn real_serial_port_lines_when_one_is_given() {
    // This machine's /dev/ttyS0 is its console: driving its DTR/RTS is not ours to do. A real
    // port (with nothing or a contact-closure cable on it) can be named for this test.
    let Ok(port) = std::env::var("NUT_TEST_SERIAL_PORT") else {
        skip(
            "genericups real_serial_port_lines",
            "no real serial port named in NUT_TEST_SERIAL_PORT (a pty has no modem lines)",
            Prereq::Machine,
        );
        return;
    };
    require_ours(Impl::Ours, &["genericups"]);
    let dir = TempDir::new().expect("dir");
    let (ok, out) =
        run(driver_cmd(&bin("genericups"), dir.path(), &port, "\tupstype = 1\n", &["-d", "1"], false));
    assert!(ok, "genericups -d 1 on {port}:\n{out}");
    let status = out.lines().find_map(|l| l.strip_prefix("ups.status: ")).unwrap_or("");
    assert!(["OL", "OB", "LB OB", "LB OL"].contains(&status), "{out}");
}

/// A line file in its own directory (kept), for the fake line source.
fn line_file(text: &str) -> (TempDir, PathBuf) {
    let d = TempDir::new().expect("dir");
    let p = d.path().join("lines");
    std::fs::write(&p, text).expect("lines");
    (d, p)
}

fn fake_stack(file: &Path, upstype: &str) -> SerialStack {
    // Process-wide, but every test of this file that starts genericups without the fake
    // removes it from the child's environment (driver_cmd).
    std::env::set_var(FAKE_ENV, "1");
    let opts = [("upstype".to_string(), Some(upstype.to_string()))];
    SerialStack::start(Impl::Ours, "genericups", file, &opts, &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our genericups (fake lines) + upsd: {e}"))
}

fn status(st: &SerialStack) -> Vec<String> {
    st.connect().expect("client").request("GET VAR q ups.status").expect("GET")
}

#[test]
fn line_states_of_the_upstype_reach_upsmon_onbatt_lowbatt_shutdowncmd() {
    require_ours(Impl::Ours, &["genericups", "upsd", "upsmon"]);
    let t_start = Instant::now();
    // Type 1, APC Back-UPS with the 940-0095A/C cable: on line while RNG is low, low battery
    // when DCD is high (genericups.h; genericups(8): [OL=-RNG] [LB=DCD]).
    let (_d, file) = line_file("");
    let st = fake_stack(&file, "1");
    assert_eq!(status(&st), ["VAR q ups.status \"OL\""]);
    let mut c = st.connect().expect("client");
    assert_eq!(c.request("GET VAR q ups.mfr").expect("GET"), ["VAR q ups.mfr \"APC\""]);
    assert_eq!(c.request("GET VAR q ups.model").expect("GET"), ["VAR q ups.model \"Back-UPS\""]);
    let out = std::fs::read_to_string(file.with_extension("out")).unwrap_or_default();
    assert_eq!(out.lines().next(), Some("SET DTR"), "type 1's cable power is DTR");

    let mon = Upsmon::start(st.port());
    let logged_in = wait_until(Duration::from_secs(15), || {
        c.request("GET NUMLOGINS q").is_ok_and(|r| r == ["NUMLOGINS q 1"])
    });
    assert!(logged_in, "upsmon did not log in: {}", tail(&mon.log(), 20));

    std::fs::write(&file, "RNG\n").expect("lines");
    let t_ob = mon.await_note("ONBATT", Duration::from_secs(20), &st, None);
    assert_eq!(status(&st), ["VAR q ups.status \"OB\""]);
    assert!(mon.marker().is_none(), "SHUTDOWNCMD ran on battery alone");

    std::fs::write(&file, "RNG DCD\n").expect("lines");
    let t_lb = mon.await_note("LOWBATT", Duration::from_secs(20), &st, None);
    let t0 = Instant::now();
    assert!(
        wait_until(Duration::from_secs(20), || mon.marker().is_some()),
        "no SHUTDOWNCMD: {}",
        tail(&mon.log(), 30)
    );
    let t_shut = t0.elapsed();
    // NUT's genericups sets LB before OB; the primary's FSD comes first (upsd).
    assert_eq!(status(&st), ["VAR q ups.status \"FSD LB OB\""]);
    println!(
        "genericups_power_failure: ONBATT {:.2} s after the line change, LOWBATT {:.2} s, SHUTDOWNCMD {:.2} s \
         after LOWBATT; whole test {:.1} s",
        t_ob.as_secs_f64(),
        t_lb.as_secs_f64(),
        t_shut.as_secs_f64(),
        t_start.elapsed().as_secs_f64()
    );
}

#[test]
fn a_failed_line_read_is_stale_within_a_poll_and_recovers() {
    require_ours(Impl::Ours, &["genericups", "upsd"]);
    // Type 7, CyberPower Power99: [OL=CTS] [LB=-DCD].
    let (_d, file) = line_file("CTS DCD\n");
    let st = fake_stack(&file, "7");
    assert_eq!(status(&st), ["VAR q ups.status \"OL\""]);
    // The read fails (as TIOCMGET would with the adapter gone): stale, not the old OL.
    std::fs::remove_file(&file).expect("rm");
    let t0 = Instant::now();
    let stale = wait_until(Duration::from_secs(10), || status(&st) == ["ERR DATA-STALE"]);
    assert!(stale, "not stale: {:?}\n{}", status(&st), tail(&st.driver_log(), 10));
    let t_stale = t0.elapsed();
    assert!(st.driver_log().contains("Status read failed: ioctl failed"), "{}", tail(&st.driver_log(), 10));
    // Back, on battery: fresh again, with the new state, no restart.
    std::fs::write(&file, "").expect("lines");
    let fresh = wait_until(Duration::from_secs(10), || status(&st) == ["VAR q ups.status \"LB OB\""]);
    assert!(fresh, "no recovery: {:?}", status(&st));
    println!(
        "genericups_faults: stale {:.2} s after the failed read (pollinterval 1)",
        t_stale.as_secs_f64()
    );
}

#[test]
fn dash_k_sets_the_shutdown_lines_of_the_table() {
    require_ours(Impl::Ours, &["genericups"]);
    // (upstype, extra options, what `-k` must do after setting the cable power, success).
    for (ty, extra, want, ok_expected) in [
        ("2", "", vec!["SET RTS", "SET DTR+RTS"], true),
        ("7", "\tsdtime = 1\n", vec!["SET RTS", "SET DTR"], true),
        ("11", "", vec!["SET DTR", "BREAK 4901"], true),
        ("4", "", vec!["SET RTS", "SET none"], true),
        ("0", "\tSD = DTR\n", vec!["SET DTR+RTS", "SET DTR"], true),
        ("8", "", vec!["SET DTR"], false),
    ] {
        let (d, file) = line_file("");
        let opts = format!("\tupstype = {ty}\n{extra}");
        let t0 = Instant::now();
        let (ok, out) = run(driver_cmd(
            &bin("genericups"),
            d.path(),
            file.to_str().expect("utf-8"),
            &opts,
            &["-k"],
            true,
        ));
        let took = t0.elapsed();
        let set = std::fs::read_to_string(file.with_extension("out")).unwrap_or_default();
        assert_eq!(set.lines().collect::<Vec<_>>(), want, "type {ty} -k:\n{out}");
        assert_eq!(ok, ok_expected, "type {ty} -k exit status:\n{out}");
        if !ok_expected {
            assert!(out.contains("No shutdown command defined for this model!"), "{out}");
        }
        if extra.contains("sdtime") {
            assert!(took >= Duration::from_secs(1), "sdtime = 1 holds the signal a second ({took:?})");
            assert!(out.contains("Holding shutdown signal for 1 seconds..."), "{out}");
        }
    }
}
