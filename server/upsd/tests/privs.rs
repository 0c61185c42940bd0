//! Privileges and files: upsd and our dummy-ups started as root drop to an unprivileged
//! account (checked in /proc/<pid>/status), still serve each other through the driver socket,
//! re-read their files as that account on reload, refuse files that account could not read
//! (with the fix), warn about secrets open to others, and never log a password.
//!
//! The tests that switch users need root; they print a notice and pass otherwise.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{bin, free_port, wait_until, Proc, TempDir};

/// The unprivileged account the tests switch to: `nobody` (every Debian system has it).
const USER: &str = "nobody";

/// A distinctive password that must never show up in a log.
const PASSWORD: &str = "Zq9-never-logged-7Xk";

fn is_root() -> bool {
    nut_daemon::privs::euid() == 0
}

fn account() -> Option<nut_daemon::privs::Account> {
    nut_daemon::privs::lookup(USER).ok()
}

/// Skip (with a notice) unless running as root with the test account present.
fn need_root(test: &str) -> Option<nut_daemon::privs::Account> {
    if !is_root() {
        nut_testkit::skip(test, "needs root to switch users", nut_testkit::Prereq::Root);
        return None;
    }
    let a = account();
    if a.is_none() {
        nut_testkit::skip(test, &format!("no user {USER:?}"), nut_testkit::Prereq::NobodyUser);
    }
    a
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn chown(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(gid)).expect("chown");
}

/// A configuration directory that doubles as the state path, laid out as NUT recommends for
/// `gid`: directory root:<gid> 0770, files root:<gid> 0640.
struct Setup {
    dir: TempDir,
    port: u16,
    log: PathBuf,
}

impl Setup {
    fn new(gid: u32) -> Setup {
        let dir = TempDir::new().expect("tempdir");
        let d = dir.path();
        let port = free_port();
        std::fs::write(d.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\n", d.display()))
            .unwrap();
        std::fs::write(
            d.join("ups.conf"),
            format!("[ups1]\n driver = dummy-ups\n port = {}\n", d.join("ups1.dev").display()),
        )
        .unwrap();
        std::fs::write(
            d.join("upsd.users"),
            format!(
                "[admin]\n password = \"{PASSWORD}\"\n actions = SET\n instcmds = ALL\n upsmon primary\n"
            ),
        )
        .unwrap();
        std::fs::write(d.join("ups1.dev"), "ups.status: OL\nbattery.charge: 90\n").unwrap();
        for f in ["upsd.conf", "ups.conf", "upsd.users", "ups1.dev"] {
            chown(&d.join(f), 0, gid);
            chmod(&d.join(f), 0o640);
        }
        chown(d, 0, gid);
        chmod(d, 0o770);
        let log = d.join("upsd.stderr");
        Setup { dir, port, log }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(bin(program));
        c.env("NUT_CONFPATH", self.path())
            .env("NUT_STATEPATH", self.path())
            .env("NUT_ALTPIDPATH", self.path())
            .stdout(Stdio::null());
        c
    }

    fn upsd(&self, args: &[&str]) -> Proc {
        let mut c = self.cmd("upsd");
        let err = std::fs::File::create(&self.log).expect("log file");
        c.args(args).stderr(err);
        Proc::spawn(c)
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Client { r: BufReader::new(s.try_clone().unwrap()), w: s }
    }

    fn req(&mut self, line: &str) -> String {
        self.w.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut l = String::new();
        self.r.read_line(&mut l).unwrap_or(0);
        l.trim_end().to_string()
    }
}

#[test]
fn upsd_and_driver_drop_to_their_user_and_still_work_together() {
    let Some(acct) = need_root("upsd_and_driver_drop_to_their_user_and_still_work_together") else {
        return;
    };
    let s = Setup::new(acct.gid);
    let want = (format!("{0} {0} {0} {0}", acct.uid), format!("{0} {0} {0} {0}", acct.gid));

    // The driver opens its file as root, drops, then creates its socket as the user.
    let mut drv = s.cmd("dummy-ups");
    drv.args(["-a", "ups1", "-u", USER, "-F"]).stderr(Stdio::null());
    let drv = Proc::spawn(drv);
    let sock = s.path().join("dummy-ups-ups1");
    assert!(wait_until(Duration::from_secs(10), || sock.exists()), "driver socket appears");
    assert_eq!(nut_testkit::proc_ids(drv.pid()), want, "driver runs as {USER}");
    let meta = std::fs::metadata(&sock).expect("socket");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o777),
        (acct.uid, acct.gid, 0o660),
        "socket like NUT's"
    );

    let upsd = s.upsd(&["-F", "-DD", "-u", USER]);
    assert!(
        wait_until(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", s.port)).is_ok()),
        "upsd listens: {}",
        s.stderr()
    );
    assert_eq!(nut_testkit::proc_ids(upsd.pid()), want, "upsd runs as {USER}");

    // upsd (as the user) reached the driver's socket and got its DUMPALL.
    let mut c = Client::connect(s.port);
    assert!(
        wait_until(Duration::from_secs(10), || c.req("GET VAR ups1 battery.charge")
            == "VAR ups1 battery.charge \"90\""),
        "upsd serves the driver's data: {}",
        s.stderr()
    );
    assert_eq!(c.req("USERNAME admin"), "OK");
    assert_eq!(c.req(&format!("PASSWORD {PASSWORD}")), "OK");
    assert_eq!(c.req("LOGIN ups1"), "OK");

    // Reload as the user: the files are readable, so it works.
    upsd.signal(libc::SIGHUP);
    assert!(wait_until(Duration::from_secs(10), || s.stderr().contains("reloading")), "{}", s.stderr());
    assert_eq!(c.req("GET VAR ups1 ups.status"), "VAR ups1 ups.status \"OL\"");

    // A file the user can no longer read: the reload says exactly why and how to fix it.
    let users = s.path().join("upsd.users");
    chown(&users, 0, 0);
    chmod(&users, 0o600);
    upsd.signal(libc::SIGHUP);
    let fix = format!(
        "chmod 0640 {0} && chown root:{1} {0}",
        users.display(),
        nut_daemon::privs::group_name(acct.gid)
    );
    assert!(
        wait_until(Duration::from_secs(10), || s.stderr().contains(&fix)),
        "reload failure names the fix {fix:?}: {}",
        s.stderr()
    );
    let log = s.stderr();
    assert!(
        log.contains("cannot read this file") && log.contains("owned by root:root with mode 0600"),
        "{log}"
    );
    // Still serving with the old configuration.
    assert_eq!(c.req("GET VAR ups1 ups.status"), "VAR ups1 ups.status \"OL\"");

    // Requests were logged (-DD), the password never.
    assert!(log.contains("PASSWORD ****"), "requests are logged with the password masked: {log}");
    assert!(!log.contains(PASSWORD), "password leaked into the log: {log}");
}

#[test]
fn upsd_refuses_files_its_user_cannot_read_and_check_mode_says_so() {
    let Some(acct) = need_root("upsd_refuses_files_its_user_cannot_read_and_check_mode_says_so") else {
        return;
    };
    let s = Setup::new(acct.gid);
    let users = s.path().join("upsd.users");
    chown(&users, 0, 0);
    chmod(&users, 0o600);
    let group = nut_daemon::privs::group_name(acct.gid);
    let fix = format!("chmod 0640 {0} && chown root:{group} {0}", users.display());

    // Check mode, for the account given with -u.
    let out = s.cmd("upsd").args(["-t", "-u", USER]).stdout(Stdio::piped()).output().expect("upsd -t");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&format!("{}: error: upsd runs as user {USER}", users.display())), "{text}");
    assert!(text.contains(&fix), "{text}");
    // As root the same files are fine.
    let out = s.cmd("upsd").args(["-t", "-u", "root"]).stdout(Stdio::piped()).output().expect("upsd -t");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    // Startup refuses, with the fix, instead of failing at the first reload.
    let mut p = s.upsd(&["-F", "-u", USER]);
    assert!(wait_until(Duration::from_secs(10), || !p.is_running()), "upsd exits");
    let log = s.stderr();
    assert!(log.contains(&fix) && log.contains("could not re-read its configuration on reload"), "{log}");

    // A closed directory on the way is named too.
    chown(&users, 0, acct.gid);
    chmod(&users, 0o640);
    chmod(s.path(), 0o700);
    let out = s.cmd("upsd").args(["-t", "-u", USER]).stdout(Stdio::piped()).output().expect("upsd -t");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&format!("cannot enter directory {}", s.path().display())), "{text}");
}

#[test]
fn secrets_open_to_others_get_the_chmod_fix() {
    // Runs as anyone: the warning only looks at the mode.
    let dir = TempDir::new().expect("tempdir");
    let d = dir.path();
    let port = free_port();
    std::fs::write(d.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\nALLOW_NO_DEVICE true\n")).unwrap();
    std::fs::write(d.join("ups.conf"), "").unwrap();
    std::fs::write(d.join("upsd.users"), format!("[admin]\n password = {PASSWORD} extra\n")).unwrap();
    chmod(&d.join("upsd.users"), 0o644);
    let me = nut_daemon::privs::reader_for(None).expect("me");
    let out = Command::new(bin("upsd"))
        .args(["-t", "-u", &me.name])
        .env("NUT_CONFPATH", d)
        .output()
        .expect("upsd -t");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "warnings only: {text}");
    let users = d.join("upsd.users").display().to_string();
    assert!(
        text.contains(&format!(
            "{users}: warning: this file holds passwords or keys but is readable by every user"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("chmod 0640 {users} && chown root:{} {users}", me.group_name)), "{text}");
    // The unquoted two-word password is reported without showing it.
    assert!(text.contains("only the first is used"), "{text}");
    assert!(!text.contains(PASSWORD), "password echoed: {text}");
}

#[test]
fn debug_log_never_shows_the_password() {
    // Runs as anyone (-u root is a no-op for an ordinary user).
    let dir = TempDir::new().expect("tempdir");
    let d = dir.path();
    let port = free_port();
    std::fs::write(d.join("upsd.conf"), format!("LISTEN 127.0.0.1 {port}\nALLOW_NO_DEVICE true\n")).unwrap();
    std::fs::write(d.join("ups.conf"), "").unwrap();
    std::fs::write(d.join("upsd.users"), format!("[admin]\n password = \"{PASSWORD}\"\n actions = SET\n"))
        .unwrap();
    chmod(&d.join("upsd.users"), 0o600);
    let log = d.join("stderr");
    let mut c = Command::new(bin("upsd"));
    c.args(["-F", "-DDD", "-u", "root"])
        .env("NUT_CONFPATH", d)
        .env("NUT_STATEPATH", d)
        .env("NUT_ALTPIDPATH", d)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut p = Proc::spawn(c);
    assert!(wait_until(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok()));
    let mut cl = Client::connect(port);
    assert_eq!(cl.req("USERNAME admin"), "OK");
    assert_eq!(cl.req(&format!("PASSWORD {PASSWORD}")), "OK");
    // A wrong password on a second connection, and a privileged request with each.
    assert!(cl.req("SET VAR nope x 1").starts_with("ERR "));
    let mut bad = Client::connect(port);
    assert_eq!(bad.req("USERNAME admin"), "OK");
    assert_eq!(bad.req(&format!("PASSWORD \"{PASSWORD}-wrong\"")), "OK");
    assert!(bad.req("SET VAR nope x 1").starts_with("ERR "));
    assert_eq!(cl.req("LOGOUT"), "OK Goodbye");
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(10), || read().matches("PASSWORD ****").count() >= 2),
        "{}",
        read()
    );
    p.terminate(Duration::from_secs(10));
    let text = read();
    assert!(!text.contains(PASSWORD), "password leaked at -DDD: {text}");
}
