//! The daemon side of upsd, checked against what Debian's NUT 2.8.0 upsd does: LISTEN lines
//! (IPv4, IPv6, `*`, a failing address), `-c reload|stop` through the PID file and with `-P`,
//! `-B`, `-q`, `-V`, `-h`, missing configuration files, the default user, and the order and
//! quoting of LIST replies.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::USERS;
use nut_testkit::{free_port, wait_until, Proc, TempDir};

fn upsd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_upsd"))
}

/// A configuration directory with `upsd.conf` = `conf`, a two-UPS ups.conf and [`USERS`].
fn conf_dir(conf: &str) -> TempDir {
    let dir = TempDir::new().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("upsd.conf"), format!("STATEPATH {}\n{conf}", d.display())).unwrap();
    std::fs::write(
        d.join("ups.conf"),
        "[ups1]\n driver = dummy-ups\n port = a.dev\n desc = \"Rack \\\"A\\\" \\\\ left\"\n\
         [ups2]\n driver = dummy-ups\n port = b.dev\n",
    )
    .unwrap();
    std::fs::write(d.join("upsd.users"), USERS).unwrap();
    dir
}

fn with_env(mut cmd: Command, d: &Path) -> Command {
    cmd.env("NUT_CONFPATH", d).env("NUT_STATEPATH", d).env("NUT_ALTPIDPATH", d);
    cmd
}

/// Run upsd to completion (for commands that exit by themselves), with a deadline.
fn run(d: &Path, args: &[&str]) -> Output {
    run_env(d, args, &[])
}

/// [`run`] with extra environment variables.
fn run_env(d: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = with_env(upsd(), d);
    cmd.args(args).stdin(Stdio::null());
    cmd.envs(env.iter().copied());
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn upsd");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(out) => out.expect("upsd output"),
        Err(_) => {
            // SAFETY: kill(2) on the PID of the child we started.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("upsd {args:?} did not exit");
        }
    }
}

/// Start upsd in the foreground with `args`; its stderr goes to `<dir>/upsd.log`.
fn spawn(d: &Path, args: &[&str]) -> Proc {
    spawn_env(d, args, &[])
}

/// [`spawn`] with extra environment variables.
fn spawn_env(d: &Path, args: &[&str], env: &[(&str, &str)]) -> Proc {
    let log = std::fs::File::create(d.join("upsd.log")).unwrap();
    let mut cmd = with_env(upsd(), d);
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    cmd.envs(env.iter().copied());
    Proc::spawn(cmd)
}

fn log(d: &Path) -> String {
    std::fs::read_to_string(d.join("upsd.log")).unwrap_or_default()
}

fn netver(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"NETVER\n").is_err() {
        return false;
    }
    let mut l = String::new();
    BufReader::new(s).read_line(&mut l).is_ok() && l == "1.3\n"
}

fn v4(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port)
}

fn v6(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), port)
}

fn ipv6_loopback() -> bool {
    let ok = std::net::TcpListener::bind("[::1]:0").is_ok();
    if !ok {
        nut_testkit::skip("upsd daemon IPv6 part", "::1 cannot be bound here", nut_testkit::Prereq::Ipv6);
    }
    ok
}

/// Kills the daemon named by a PID file on drop (for `-B`, whose PID we never hold).
struct PidGuard(PathBuf);

impl Drop for PidGuard {
    fn drop(&mut self) {
        if let Ok(pid) = nut_daemon::pidfile::read(&self.0) {
            // SAFETY: kill(2) on the daemon this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

#[test]
fn several_listen_lines_ipv6_and_star() {
    let port = free_port();
    let six = ipv6_loopback();
    let extra = if six { format!("LISTEN ::1 {port}\n") } else { String::new() };
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\n{extra}"));
    let _p = spawn(dir.path(), &["-F", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(dir.path()));
    if six {
        assert!(netver(v6(port)), "::1 not served:\n{}", log(dir.path()));
    }
    drop(_p);

    // `LISTEN *` is every IPv4 and IPv6 address (NUT 2.8.1; 2.8.0 took IPv4 only).
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN * {port}\n"));
    let _p = spawn(dir.path(), &["-F", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(dir.path()));
    if six {
        assert!(netver(v6(port)), "* did not include IPv6:\n{}", log(dir.path()));
    }
    // `-4` keeps only the IPv4 half.
    drop(_p);
    if six {
        let port = free_port();
        let dir = conf_dir(&format!("LISTEN * {port}\n"));
        let _p = spawn(dir.path(), &["-F", "-u", "root", "-4"]);
        assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(dir.path()));
        assert!(!netver(v6(port)), "-4 still listens on IPv6");
    }
}

#[test]
fn a_listen_address_that_fails_is_fatal_unless_allowed() {
    let port = free_port();
    // 192.0.2.1 (TEST-NET-1) is on no interface here.
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\nLISTEN 192.0.2.1 {port}\n"));
    let out = run(dir.path(), &["-F", "-u", "root"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("not listening on 192.0.2.1 port"), "{err}");
    assert!(err.contains("ALLOW_NOT_ALL_LISTENERS"), "{err}");

    let dir = conf_dir(&format!(
        "LISTEN 127.0.0.1 {port}\nLISTEN 192.0.2.1 {port}\nALLOW_NOT_ALL_LISTENERS true\n"
    ));
    let _p = spawn(dir.path(), &["-F", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(dir.path()));
    assert!(log(dir.path()).contains("not listening on 192.0.2.1"));
}

#[test]
fn localhost_by_name_and_by_address_on_one_port_starts_as_nut_2_8_5() {
    // A pattern of guides and generated configs: NUT 2.8.5 lets a discrepancy that only
    // concerns names of localhost slide (2.8.5 upsd.c server_load).
    let six = ipv6_loopback();
    let extra = if six { "LISTEN ::1 {port}\n" } else { "" };
    for lines in [
        format!("LISTEN localhost {{port}}\nLISTEN 127.0.0.1 {{port}}\n{extra}"),
        format!("LISTEN 127.0.0.1 {{port}}\n{extra}LISTEN localhost {{port}}\n"),
    ] {
        let port = free_port();
        let dir = conf_dir(&lines.replace("{port}", &port.to_string()));
        let mut p = spawn(dir.path(), &["-F", "-u", "root"]);
        assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{lines}\n{}", log(dir.path()));
        if six {
            assert!(netver(v6(port)), "::1 not served:\n{}", log(dir.path()));
        }
        assert!(p.is_running());
        assert!(!log(dir.path()).contains("Fatal"), "{}", log(dir.path()));
    }
    // A failure that only concerns a name of localhost is forgiven, with NUT's reason at
    // debug level 1: here 127.0.0.1:port is taken by another program.
    let port = free_port();
    let _taken = std::net::TcpListener::bind(v4(port)).expect("hold 127.0.0.1:port");
    let dir = conf_dir(&format!("LISTEN 127.0.0.2 {port}\nLISTEN 127.0.0.1 {port}\n"));
    let a2 = SocketAddr::new(IpAddr::from([127, 0, 0, 2]), port);
    let _p = spawn(dir.path(), &["-F", "-D", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(a2)), "{}", log(dir.path()));
    let l = log(dir.path());
    assert!(l.contains("not listening on 127.0.0.1 port"), "{l}");
    assert!(l.contains("discrepancy corresponds to addresses related to localhost"), "{l}");
}

#[test]
fn a_failing_non_local_address_refuses_unless_allow_not_all_listeners_in_file_or_environment() {
    // Two non-local addresses (127.0.0.2 is not one of NUT's names of localhost), one of
    // which is on no interface here: 192.0.2.1 (TEST-NET-1) fails with EADDRNOTAVAIL.
    let port = free_port();
    let conf = format!("LISTEN 127.0.0.2 {port}\nLISTEN 192.0.2.1 {port}\n");
    let a2 = SocketAddr::new(IpAddr::from([127, 0, 0, 2]), port);
    let dir = conf_dir(&conf);
    let out = run(dir.path(), &["-F", "-u", "root"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("not listening on 192.0.2.1 port"), "{err}");
    assert!(err.contains("Fatal error: some listening interfaces were not available"), "{err}");
    assert!(err.contains("(upsd.conf line 3)"), "{err}");

    // The environment variable, with NUT's boolean words (any case, prefixes).
    for yes in ["true", "YES", "on", "1"] {
        let _p = spawn_env(dir.path(), &["-F", "-u", "root"], &[("ALLOW_NOT_ALL_LISTENERS", yes)]);
        assert!(wait_until(Duration::from_secs(10), || netver(a2)), "{yes}: {}", log(dir.path()));
        assert!(log(dir.path()).contains(
            "some listening interfaces were not available, but the ALLOW_NOT_ALL_LISTENERS setting is active"
        ));
    }
    // The file; the environment wins over it.
    let dir = conf_dir(&format!("{conf}ALLOW_NOT_ALL_LISTENERS true\n"));
    {
        let _p = spawn(dir.path(), &["-F", "-u", "root"]);
        assert!(wait_until(Duration::from_secs(10), || netver(a2)), "{}", log(dir.path()));
    }
    let out = run_env(dir.path(), &["-F", "-u", "root"], &[("ALLOW_NOT_ALL_LISTENERS", "no")]);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A value that is no boolean leaves the file's setting, with a warning.
    let _p = spawn_env(dir.path(), &["-F", "-u", "root"], &[("ALLOW_NOT_ALL_LISTENERS", "maybe")]);
    assert!(wait_until(Duration::from_secs(10), || netver(a2)), "{}", log(dir.path()));
    assert!(log(dir.path()).contains("ALLOW_NOT_ALL_LISTENERS=\"maybe\" in the environment is not a boolean"));
}

#[test]
fn control_through_the_pid_file_and_with_p() {
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\n"));
    let d = dir.path();
    let pidfile = d.join("upsd.pid");

    // Without a running daemon: a clear error.
    let out = run(d, &["-c", "reload"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("upsd.pid"));

    // -FF stays in the foreground and still writes the PID file.
    let mut p = spawn(d, &["-FF", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))));
    assert_eq!(nut_daemon::pidfile::read(&pidfile).ok(), Some(p.pid() as i32));

    // A second instance refuses to start.
    let out = run(d, &["-F", "-u", "root"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already running"));

    // reload re-reads ups.conf.
    std::fs::write(d.join("ups.conf"), "[only]\n driver = dummy-ups\n port = x.dev\n").unwrap();
    assert!(run(d, &["-c", "reload"]).status.success());
    let list = || {
        let mut c = TcpStream::connect(v4(port)).unwrap();
        c.write_all(b"LIST UPS\n").unwrap();
        let mut r = BufReader::new(c);
        let mut all = String::new();
        loop {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap_or(0) == 0 {
                break;
            }
            all.push_str(&l);
            if l.starts_with("END") {
                break;
            }
        }
        all
    };
    assert!(wait_until(Duration::from_secs(10), || list().contains("UPS only ")));

    // stop ends the daemon and removes its PID file.
    assert!(run(d, &["-c", "stop"]).status.success());
    assert!(wait_until(Duration::from_secs(10), || !p.is_running()), "still running after -c stop");
    assert!(!pidfile.exists());

    // -P signals a PID directly (a foreground daemon without PID file).
    let port2 = free_port();
    std::fs::write(d.join("upsd.conf"), format!("STATEPATH {}\nLISTEN 127.0.0.1 {port2}\n", d.display()))
        .unwrap();
    let mut p = spawn(d, &["-F", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port2))));
    assert!(!pidfile.exists());
    assert!(run(d, &["-c", "stop", "-P", &p.pid().to_string()]).status.success());
    assert!(wait_until(Duration::from_secs(10), || !p.is_running()), "still running after -P");
}

#[test]
fn background_mode_writes_the_pid_file() {
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\n"));
    let d = dir.path();
    let pidfile = d.join("upsd.pid");
    let _guard = PidGuard(pidfile.clone());
    // -B wins over -D; the command returns once the daemon is detached.
    let out = run(d, &["-B", "-D", "-u", "root"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))));
    let pid = nut_daemon::pidfile::read(&pidfile).expect("PID file of the background upsd");
    // SAFETY: kill with signal 0 only checks that the process exists.
    assert_eq!(unsafe { libc::kill(pid, 0) }, 0);
    assert!(run(d, &["-c", "stop"]).status.success());
    // SAFETY: as above.
    assert!(wait_until(Duration::from_secs(10), || unsafe { libc::kill(pid, 0) } != 0));
    assert!(!pidfile.exists());
}

#[test]
fn list_client_is_newest_connection_first_and_desc_is_escaped() {
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\n"));
    let _p = spawn(dir.path(), &["-F", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))));

    // Connect from .3, .1, .2 and log in in another order: NUT lists by connection, newest
    // first (observed on 2.8.0).
    let mut conns: Vec<(BufReader<TcpStream>, TcpStream)> = Vec::new();
    for src in [3u8, 1, 2] {
        let sock = socket_from(IpAddr::from([127, 0, 0, src]), port);
        conns.push((BufReader::new(sock.try_clone().unwrap()), sock));
    }
    for i in [1usize, 2, 0] {
        let (r, w) = &mut conns[i];
        for l in ["USERNAME mon", "PASSWORD pass", "LOGIN ups1"] {
            w.write_all(format!("{l}\n").as_bytes()).unwrap();
            let mut reply = String::new();
            r.read_line(&mut reply).unwrap();
            assert_eq!(reply, "OK\n", "{l}");
        }
    }
    let mut c = common_client(port);
    assert_eq!(
        c.req("LIST CLIENT ups1"),
        "BEGIN LIST CLIENT ups1\nCLIENT ups1 127.0.0.2\nCLIENT ups1 127.0.0.1\nCLIENT ups1 127.0.0.3\n\
         END LIST CLIENT ups1\n"
    );
    // `"` and `\` in desc are escaped like any value (NUT 2.8.0 does the same).
    assert_eq!(
        c.req("LIST UPS"),
        "BEGIN LIST UPS\nUPS ups1 \"Rack \\\"A\\\" \\\\ left\"\nUPS ups2 \"Description unavailable\"\nEND LIST UPS\n"
    );
    assert_eq!(c.req("GET UPSDESC ups1"), "UPSDESC ups1 \"Rack \\\"A\\\" \\\\ left\"\n");
}

/// A TCP connection from source address `src` (any 127/8 address works on loopback).
fn socket_from(src: IpAddr, port: u16) -> TcpStream {
    // SAFETY: plain socket calls on a fresh fd that the returned TcpStream then owns.
    unsafe {
        use std::os::fd::FromRawFd;
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let stream = TcpStream::from_raw_fd(fd);
        let IpAddr::V4(s) = src else { panic!("IPv4 only") };
        let mut sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr { s_addr: u32::from(s).to_be() },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(libc::bind(fd, (&sin as *const libc::sockaddr_in).cast(), len), 0, "bind {src}");
        sin.sin_port = port.to_be();
        sin.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        assert_eq!(libc::connect(fd, (&sin as *const libc::sockaddr_in).cast(), len), 0, "connect");
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream
    }
}

fn common_client(port: u16) -> common::Client {
    let s = TcpStream::connect(v4(port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    common::Client { r: BufReader::new(s.try_clone().unwrap()), w: s }
}

#[test]
fn missing_configuration_files_are_fatal_like_nut() {
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\n"));
    let d = dir.path();
    std::fs::remove_file(d.join("upsd.users")).unwrap();
    let out = run(d, &["-F", "-u", "root"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("upsd.users") && err.contains("missing"), "{err}");

    std::fs::write(d.join("upsd.users"), USERS).unwrap();
    std::fs::remove_file(d.join("upsd.conf")).unwrap();
    let out = run(d, &["-F", "-u", "root"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("upsd.conf") && err.contains("missing"), "{err}");
}

#[test]
fn root_without_u_runs_as_nut() {
    let test = "root_without_u_runs_as_nut";
    if !nut_testkit::require(test, nut_testkit::Prereq::Root)
        || !nut_testkit::require(test, nut_testkit::Prereq::NutUser)
    {
        return;
    }
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\n"));
    let p = spawn(dir.path(), &["-F"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(dir.path()));
    let status = std::fs::read_to_string(format!("/proc/{}/status", p.pid())).unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap().to_string();
    let nut = nut_daemon::privs::lookup("nut").unwrap().uid;
    assert!(uid.split_whitespace().skip(1).all(|u| u == nut.to_string()), "{uid}");
}

#[test]
fn quiet_version_and_help() {
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\n"));
    let d = dir.path();
    {
        let _p = spawn(d, &["-F", "-u", "root"]);
        assert!(wait_until(Duration::from_secs(10), || log(d).contains("listening on 127.0.0.1")));
    }
    {
        let _p = spawn(d, &["-F", "-u", "root", "-q"]);
        assert!(wait_until(Duration::from_secs(10), || netver(v4(port))));
        assert!(!log(d).contains("listening on"), "-q still shows notices:\n{}", log(d));
    }

    let out = run(d, &["-V"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Network UPS Tools upsd 2.8.5 release\n");
    let out = run(d, &["-h"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.starts_with(
        "Network UPS Tools upsd 2.8.5 release\nNetwork server for UPS data.\n\nusage: upsd [OPTIONS]\n\n  \
         -c <command>\tsend <command> via signal to background process\n"
    ));
    assert!(help.contains("\n  -6\t\tIPv6 only\n"), "{help}");
}

/// The part of the log written after `from` bytes.
fn log_since(d: &Path, from: usize) -> String {
    log(d).get(from..).unwrap_or_default().to_string()
}

#[test]
fn debug_min_sets_the_floor_at_start_and_a_reload_applies_it_as_is() {
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\nDEBUG_MIN 1\n"));
    let d = dir.path();
    let conf = |extra: &str| {
        std::fs::write(
            d.join("upsd.conf"),
            format!("STATEPATH {}\nLISTEN 127.0.0.1 {port}\n{extra}", d.display()),
        )
        .unwrap()
    };
    let p = spawn(d, &["-F", "-u", "root"]);
    // Level 1 without -D: connections are logged ("Connect from", debug level 1), requests
    // (level 2) are not.
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(d));
    assert!(wait_until(Duration::from_secs(5), || log(d).contains("Connect from 127.0.0.1")), "{}", log(d));
    assert!(!log(d).contains("127.0.0.1: NETVER"), "{}", log(d));

    let reload = |extra: &str, want: &str| -> usize {
        conf(extra);
        let mark = log(d).len();
        p.signal(libc::SIGHUP);
        assert!(
            wait_until(Duration::from_secs(10), || log_since(d, mark).contains(want)),
            "{want}:\n{}",
            log(d)
        );
        log(d).len()
    };
    // Present on reload: applied as-is, higher...
    let mark = reload("DEBUG_MIN 2\n", "Applying DEBUG_MIN 2 from upsd.conf");
    assert!(netver(v4(port)));
    assert!(
        wait_until(Duration::from_secs(5), || log_since(d, mark).contains("127.0.0.1: NETVER")),
        "{}",
        log(d)
    );
    // ... or lower than before, even 0 (in any case: NUT accepts debug_min too).
    let mark = reload("debug_min 0\n", "Applying DEBUG_MIN 0 from upsd.conf");
    assert!(netver(v4(port)));
    let mark2 = reload("DEBUG_MIN 1\n", "Applying DEBUG_MIN 1 from upsd.conf");
    let quiet = log(d)[mark..mark2].to_string();
    assert!(!quiet.contains("Connect from"), "level 0 still logs connections:\n{quiet}");
    assert!(netver(v4(port)));
    assert!(
        wait_until(Duration::from_secs(5), || log_since(d, mark2).contains("Connect from")),
        "{}",
        log(d)
    );
    // Absent on reload: back to the level of the command line (none here), as NUT 2.8.5's
    // upsd does.
    let mark = reload("", "Applying debug level 0 from original command line arguments");
    assert!(netver(v4(port)));
    let mark2 = reload("MAXAGE 15\n", "Applying debug level 0");
    let quiet = log(d)[mark..mark2].to_string();
    assert!(!quiet.contains("Connect from"), "{quiet}");
    drop(p);

    // -D raises the level above DEBUG_MIN; DEBUG_MIN raises it above -D.
    conf("DEBUG_MIN 1\n");
    {
        let _p = spawn(d, &["-F", "-DD", "-u", "root"]);
        assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(d));
        assert!(wait_until(Duration::from_secs(5), || log(d).contains("127.0.0.1: NETVER")), "{}", log(d));
    }
    conf("DEBUG_MIN 2\n");
    let _p = spawn(d, &["-F", "-D", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(d));
    assert!(wait_until(Duration::from_secs(5), || log(d).contains("127.0.0.1: NETVER")), "{}", log(d));
}

#[test]
fn flags_of_nut_2_8_5() {
    let port = free_port();
    let dir = conf_dir(&format!("LISTEN 127.0.0.1 {port}\n"));
    let d = dir.path();
    // -i and -p stop upsd with NUT's text (2.8.0 and 2.8.5 alike).
    for args in [&["-i", "127.0.0.1"][..], &["-p", "3493"][..]] {
        let out = run(d, args);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(
                "Specifying a listening addresses with '-i <address>' and '-p <port>'\nis deprecated. \
                 Use 'LISTEN <address> [<port>]' in 'upsd.conf' instead.\nSee 'man 8 upsd.conf' for more \
                 information."
            ),
            "{err}"
        );
    }
    // Operands are refused (NUT shows its help).
    let out = run(d, &["-F", "extra"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: upsd"));
    // -c takes any prefix of reload or stop; anything else is refused.
    let out = run(d, &["-c", "bogus"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown command \"bogus\" for -c"));
    let out = run(d, &["-c", "rel"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("upsd.pid"), "{err}");
    assert!(err.contains("add '-P $PID' argument"), "{err}");

    let mut p = spawn(d, &["-FF", "-u", "root"]);
    assert!(wait_until(Duration::from_secs(10), || netver(v4(port))), "{}", log(d));
    // `-c r` reloads (the log says so), `-c s` stops.
    assert!(run(d, &["-c", "r"]).status.success());
    assert!(wait_until(Duration::from_secs(10), || log(d).contains("SIGHUP: reloading configuration")));
    // -P without -c names the instance that must not be running.
    let out = run(d, &["-F", "-u", "root", "-P", &p.pid().to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("A previous upsd instance is already running"), "{err}");
    let out = run(d, &["-c", "stop", "-P", "x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("-P needs a process id"));
    assert!(run(d, &["-c", "s"]).status.success());
    assert!(wait_until(Duration::from_secs(10), || !p.is_running()), "still running after -c s");
}
