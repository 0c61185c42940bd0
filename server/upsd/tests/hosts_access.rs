//! tcp-wrappers: Debian's upsd (linked with libwrap) checks /etc/hosts.allow and
//! /etc/hosts.deny for daemon `upsd` before LOGIN, PRIMARY/MASTER, FSD, SET and INSTCMD and
//! answers `ERR ACCESS-DENIED`. Ours reads the files NUT_HOSTS_ALLOW / NUT_HOSTS_DENY name
//! (tests must not write /etc). Checked against Debian's upsd itself (in a private mount
//! namespace with the files bind-mounted on /etc) and, rule by rule, against Debian's
//! libwrap.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use nut_testkit::{wait_until, TempDir};

/// hosts.allow and hosts.deny in a directory of their own.
struct Hosts {
    dir: TempDir,
}

impl Hosts {
    fn new(allow: Option<&str>, deny: Option<&str>) -> Hosts {
        let h = Hosts { dir: TempDir::new().unwrap() };
        h.write(allow, deny);
        h
    }

    fn allow(&self) -> PathBuf {
        self.dir.path().join("hosts.allow")
    }

    fn deny(&self) -> PathBuf {
        self.dir.path().join("hosts.deny")
    }

    fn write(&self, allow: Option<&str>, deny: Option<&str>) {
        for (p, t) in [(self.allow(), allow), (self.deny(), deny)] {
            match t {
                Some(t) => std::fs::write(p, t).unwrap(),
                None => {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("NUT_HOSTS_ALLOW", self.allow().display().to_string()),
            ("NUT_HOSTS_DENY", self.deny().display().to_string()),
        ]
    }
}

/// upsd.users for these tests: admin may also LOGIN (upsmon role), so each session shows
/// every command.
const USERS_WRAP: &str =
    "[admin]\n password = secret\n actions = SET FSD\n instcmds = ALL\n upsmon primary\n\
                          [mon]\n password = pass\n upsmon primary\n";

/// Our upsd with these files, its stderr in `<dir>/upsd.log`.
fn ours(h: &Hosts) -> Upsd {
    let env = h.env();
    start_upsd_cmd("", |d| {
        std::fs::write(d.join("upsd.users"), USERS_WRAP).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_upsd"));
        cmd.args(["-F", "-u", "root"]).stderr(std::fs::File::create(d.join("upsd.log")).unwrap());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd
    })
}

/// Debian's upsd in a private mount namespace whose /etc/hosts.allow and /etc/hosts.deny are
/// `h`'s files (created empty when absent: bind mounts need a file). The real /etc is never
/// touched.
fn debian(h: &Hosts) -> Upsd {
    for p in [h.allow(), h.deny()] {
        if !p.exists() {
            std::fs::write(p, "").unwrap();
        }
    }
    let (allow, deny) = (h.allow(), h.deny());
    start_upsd_cmd("", |d| {
        std::fs::write(d.join("upsd.users"), USERS_WRAP).unwrap();
        let mut cmd = Command::new("unshare");
        cmd.args([
            "-m",
            "sh",
            "-c",
            "mount --bind \"$1\" /etc/hosts.allow && mount --bind \"$2\" /etc/hosts.deny && exec /lib/nut/upsd -F -u root",
            "sh",
        ])
        .arg(&allow)
        .arg(&deny)
        .stderr(std::fs::File::create(d.join("upsd.log")).unwrap());
        cmd
    })
}

fn log(u: &Upsd) -> String {
    std::fs::read_to_string(u.dir.path().join("upsd.log")).unwrap_or_default()
}

/// Every command NUT checks, after USERNAME/PASSWORD, from `src`: the replies in order.
fn session(u: &Upsd, src: [u8; 4], user: &str, pass: &str) -> Vec<String> {
    let mut c = u.connect_from(src);
    let mut out = Vec::new();
    // Before the credentials: USERNAME-REQUIRED / PASSWORD-REQUIRED, not ACCESS-DENIED.
    out.push(c.req("LOGIN ups1"));
    out.push(c.req(&format!("USERNAME {user}")));
    out.push(c.req("INSTCMD ups1 test.battery.start"));
    out.push(c.req(&format!("PASSWORD {pass}")));
    for line in [
        "SET VAR ups1 ups.id \"abc\"",
        "INSTCMD ups1 test.battery.start",
        "SET TRACKING ON",
        "INSTCMD ups1",
        "LOGIN ups1",
        "GET VAR ups1 ups.status",
        "LOGOUT",
    ] {
        out.push(c.req(line));
    }
    out
}

const DENIED: [&str; 11] = [
    "ERR USERNAME-REQUIRED\n",
    "OK\n",
    "ERR PASSWORD-REQUIRED\n",
    "OK\n",
    "ERR ACCESS-DENIED\n",
    "ERR ACCESS-DENIED\n",
    "ERR ACCESS-DENIED\n",
    "ERR ACCESS-DENIED\n",
    "ERR ACCESS-DENIED\n",
    "VAR ups1 ups.status \"OL\"\n",
    "OK Goodbye\n",
];

const ALLOWED: [&str; 11] = [
    "ERR USERNAME-REQUIRED\n",
    "OK\n",
    "ERR PASSWORD-REQUIRED\n",
    "OK\n",
    "OK\n",
    "OK\n",
    "OK\n",
    "ERR INVALID-ARGUMENT\n",
    "OK\n",
    "VAR ups1 ups.status \"OL\"\n",
    "OK Goodbye\n",
];

fn with_driver(u: &Upsd) -> FakeDriver {
    let d = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"), "{}", log(u));
    d
}

#[test]
fn a_denied_address_gets_access_denied_for_every_command_nut_checks() {
    let h = Hosts::new(None, Some("# NUT clients from .2 only may read\nupsd: 127.0.0.2\n"));
    let u = ours(&h);
    let _d = with_driver(&u);
    assert_eq!(session(&u, [127, 0, 0, 2], "admin", "secret"), DENIED);
    assert_eq!(session(&u, [127, 0, 0, 1], "admin", "secret"), ALLOWED);
    // PRIMARY, MASTER and FSD too.
    let mut c = u.connect_from([127, 0, 0, 2]);
    for (l, want) in [
        ("USERNAME mon", "OK\n"),
        ("PASSWORD pass", "OK\n"),
        ("PRIMARY ups1", "ERR ACCESS-DENIED\n"),
        ("MASTER ups1", "ERR ACCESS-DENIED\n"),
        ("FSD ups1", "ERR ACCESS-DENIED\n"),
    ] {
        assert_eq!(c.req(l), want, "{l}");
    }
}

#[test]
fn absent_files_mean_allow_and_changes_apply_without_a_reload() {
    let h = Hosts::new(None, None);
    let u = ours(&h);
    let _d = with_driver(&u);
    assert_eq!(session(&u, [127, 0, 0, 2], "admin", "secret"), ALLOWED);
    // libwrap reads the files at every check; we look at them again within a second (no
    // reload needed).
    h.write(Some("upsd: 127.0.0.3\n"), Some("upsd: ALL EXCEPT admin@ALL\n"));
    // [8] is LOGIN (mon may not SET: upsd.users would refuse that anyway).
    assert!(
        wait_until(Duration::from_secs(10), || session(&u, [127, 0, 0, 2], "mon", "pass")[8]
            == "ERR ACCESS-DENIED\n"),
        "{}",
        log(&u)
    );
    assert_eq!(session(&u, [127, 0, 0, 3], "mon", "pass")[8], "OK\n", "allowed by hosts.allow");
    assert_eq!(session(&u, [127, 0, 0, 2], "admin", "secret"), ALLOWED, "user admin is excepted");
    assert_eq!(session(&u, [127, 0, 0, 2], "mon", "pass")[8], "ERR ACCESS-DENIED\n");
    assert!(log(&u).contains("changed, reading it again"), "{}", log(&u));
}

#[test]
fn host_names_are_looked_up_without_blocking_other_requests() {
    // `localhost` needs the client's host name: the reply waits for the lookup, and the
    // pipelined requests after it are answered in order.
    let h = Hosts::new(Some("upsd: localhost\n"), Some("upsd: ALL\n"));
    let u = ours(&h);
    let _d = with_driver(&u);
    let mut c = u.connect();
    c.w.write_all(b"USERNAME mon\nPASSWORD pass\nLOGIN ups1\nGET VAR ups1 ups.status\nGET NUMLOGINS ups1\n")
        .unwrap();
    let replies: Vec<String> = (0..5).map(|_| c.reply()).collect();
    assert_eq!(replies, ["OK\n", "OK\n", "OK\n", "VAR ups1 ups.status \"OL\"\n", "NUMLOGINS ups1 1\n"]);
}

#[test]
fn a_lookup_for_a_request_read_behind_a_large_reply_is_awaited() {
    // LOGIN waits behind a reply over the output limit (256 KiB), then for the host name
    // lookup: both must wake the connection (the client's read timeout is 10 s, the idle
    // timer that would otherwise wake it 60 s).
    let h = Hosts::new(Some("upsd: localhost\n"), Some("upsd: ALL\n"));
    let u = ours(&h);
    let d = with_driver(&u);
    let x = "x".repeat(60);
    d.push(&(0..6000).map(|i| format!("SETINFO test.var{i} \"{x}\"\n")).collect::<String>());
    let mut c = u.connect_from([127, 0, 0, 1]);
    assert!(wait_until(Duration::from_secs(10), || c.req("GET VAR ups1 test.var5999").starts_with("VAR ")));
    c.w.write_all(b"LIST VAR ups1\nUSERNAME mon\nPASSWORD pass\nLOGIN ups1\nNETVER\n").unwrap();
    let list = c.reply();
    assert!(list.len() > 256 * 1024 && list.ends_with("END LIST VAR ups1\n"), "{}", list.len());
    let replies: Vec<String> = (0..4).map(|_| c.reply()).collect();
    assert_eq!(replies, ["OK\n", "OK\n", "OK\n", "1.3\n"]);
}

#[test]
fn an_unevaluable_rule_is_reported_at_start_and_by_the_check_mode_and_fails_closed() {
    let allow = "sshd: ALL: spawn (/bin/echo %a) &\n\
                 upsd: 127.0.0.2 : spawn (/bin/echo %a >> /tmp/x) &\n\
                 upsd: @trusted\n\
                 upsd: 127.0.0.1\n";
    let h = Hosts::new(Some(allow), Some("upsd: ALL\n"));
    let u = ours(&h);
    let _d = with_driver(&u);
    let allow_file = h.allow().display().to_string();
    let l = log(&u);
    assert!(
        l.contains(&format!(
            "{allow_file}:2: error: upsd cannot carry out option \"spawn\" runs a shell command"
        )),
        "{l}"
    );
    assert!(
        l.contains(&format!("{allow_file}:3: error: upsd cannot evaluate this rule (NIS netgroup @trusted")),
        "{l}"
    );
    assert!(!l.contains(":1: error"), "sshd's rule is none of upsd's business:\n{l}");
    // Fail closed: the spawn rule's client and, through the netgroup, every other one.
    assert_eq!(session(&u, [127, 0, 0, 2], "admin", "secret"), DENIED);
    assert_eq!(session(&u, [127, 0, 0, 1], "admin", "secret"), DENIED);
    assert!(
        log(&u).contains("denied by") && log(&u).contains("a rule upsd cannot evaluate"),
        "the first denial by such a rule is logged:\n{}",
        log(&u)
    );

    // upsd -t prints the same lines and fails.
    let out = Command::new(env!("CARGO_BIN_EXE_upsd"))
        .arg("-t")
        .envs(h.env())
        .env("NUT_CONFPATH", u.dir.path())
        .env("NUT_STATEPATH", u.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!("{allow_file}:2: error: upsd cannot carry out option \"spawn\"")),
        "{text}"
    );
    assert!(text.contains(&format!("{allow_file}:3: error: upsd cannot evaluate this rule")), "{text}");
}

#[test]
fn sighup_re_reads_the_files() {
    let h = Hosts::new(None, None);
    let u = ours(&h);
    let _d = with_driver(&u);
    h.write(None, Some("upsd: 127.0.0.2 : severity bogus\n"));
    u.proc.signal(libc::SIGHUP);
    assert!(
        wait_until(Duration::from_secs(10), || log(&u).contains("bad syslog facility or severity")),
        "{}",
        log(&u)
    );
    assert_eq!(session(&u, [127, 0, 0, 2], "admin", "secret"), DENIED);
}

// ----- against Debian's upsd ----------------------------------------------------------------

fn can_unshare() -> bool {
    Command::new("unshare").args(["-m", "true"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

#[test]
fn same_answers_as_debian_upsd_with_the_same_files() {
    if !nut_testkit::require_debian_nut("tcp-wrappers against Debian's upsd") {
        return;
    }
    if !can_unshare() {
        nut_testkit::skip(
            "tcp-wrappers against Debian's upsd",
            "unshare -m (a private mount namespace to give Debian's upsd test files on /etc) is not permitted here",
            nut_testkit::Prereq::Unshare,
        );
        return;
    }
    let cases: &[(Option<&str>, Option<&str>)] = &[
        (None, Some("upsd: 127.0.0.2\n")),
        (Some("upsd: 127.0.0.2\n"), Some("ALL: ALL\n")),
        (None, Some("upsd: ALL EXCEPT 127.0.0.0/255.255.255.254\n")),
        (None, Some("upsd: admin@ALL\n")),
        (Some("upsd: 127.0.0.0/8 : deny\n"), None),
        (None, Some("upsd: 127.0.0.2 : allow\nupsd: ALL\n")),
        (Some("upsd: localhost\n"), Some("upsd: ALL\n")),
        (None, Some("sshd: ALL\nupsd 127.0.0.2\n")),
    ];
    for (i, (allow, deny)) in cases.iter().enumerate() {
        let h = Hosts::new(*allow, *deny);
        let theirs = debian(&h);
        let _dt = with_driver(&theirs);
        let mine = ours(&h);
        let _dm = with_driver(&mine);
        for src in [[127, 0, 0, 1], [127, 0, 0, 2]] {
            for (user, pass) in [("admin", "secret"), ("mon", "pass")] {
                let want = session(&theirs, src, user, pass);
                if i == 0 {
                    // Debian's upsd does honour hosts.deny (for daemon name "upsd").
                    let expect = if src == [127, 0, 0, 2] { DENIED } else { ALLOWED };
                    if user == "admin" {
                        assert_eq!(want, expect, "Debian's upsd from {src:?}:\n{}", log(&theirs));
                    }
                }
                assert_eq!(
                    session(&mine, src, user, pass),
                    want,
                    "allow {allow:?} deny {deny:?} from {src:?} as {user}\nDebian upsd log:\n{}",
                    log(&theirs)
                );
            }
        }
    }
}

// ----- rule by rule against Debian's libwrap ----------------------------------------------

/// Debian's libwrap, loaded with dlopen: `hosts_ctl(daemon, name, addr, user)` after pointing
/// its `hosts_allow_table` / `hosts_deny_table` at our files.
struct Libwrap {
    handle: *mut libc::c_void,
}

type HostsCtl = unsafe extern "C" fn(
    *const libc::c_char,
    *const libc::c_char,
    *const libc::c_char,
    *const libc::c_char,
) -> libc::c_int;

impl Libwrap {
    fn open() -> Option<Libwrap> {
        let name = c"libwrap.so.0";
        // SAFETY: dlopen with a valid C string.
        let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        (!handle.is_null()).then_some(Libwrap { handle })
    }

    fn sym(&self, name: &std::ffi::CStr) -> *mut libc::c_void {
        // SAFETY: dlsym on a live handle with a valid C string.
        let p = unsafe { libc::dlsym(self.handle, name.as_ptr()) };
        assert!(!p.is_null(), "{name:?} missing from libwrap");
        p
    }

    /// libwrap's verdict; the table paths must stay alive during the call.
    fn allowed(&self, allow: &Path, deny: &Path, name: &str, addr: &str, user: &str) -> bool {
        let c = |s: &str| std::ffi::CString::new(s).unwrap();
        let (allow, deny) = (c(&allow.display().to_string()), c(&deny.display().to_string()));
        let (daemon, name, addr, user) = (c("upsd"), c(name), c(addr), c(user));
        // SAFETY: the two globals are `char *` in libwrap; they point at our strings only for
        // the duration of the call (this test is the only user of the library in the process).
        unsafe {
            *(self.sym(c"hosts_allow_table") as *mut *const libc::c_char) = allow.as_ptr();
            *(self.sym(c"hosts_deny_table") as *mut *const libc::c_char) = deny.as_ptr();
            let f: HostsCtl = std::mem::transmute(self.sym(c"hosts_ctl"));
            f(daemon.as_ptr(), name.as_ptr(), addr.as_ptr(), user.as_ptr()) != 0
        }
    }
}

#[test]
fn every_evaluable_rule_decides_as_debian_libwrap() {
    let Some(wrap) = Libwrap::open() else {
        nut_testkit::skip(
            "libwrap comparison",
            "libwrap.so.0 (package libwrap0, a dependency of Debian's nut-server) is not installed",
            nut_testkit::Prereq::Libwrap,
        );
        return;
    };
    use nut_conf::hosts_access::{check, parse, Endpoint, Outcome, Request};
    let rules = [
        "upsd: ALL",
        "upsd: 10.0.0.0/8",
        "upsd: 10.0.0.0/255.0.0.0",
        "upsd: 10.0.0.0/255.0.255.0",
        "upsd: 10.0.0.1/8",
        "upsd: 0.0.0.0/0",
        "upsd: 0.0.0.0/0.0.0.0",
        "upsd: 10.0.0.0/8x",
        "upsd: 10.0.0.0/+8",
        "upsd: 10.0.0.0/-8",
        "upsd: 012.0.0.0/8",
        "upsd: 0xa.0.0.0/8",
        "upsd: 10.0.0/8",
        "upsd: 10.0.0.0/255.255.255.255",
        "upsd: 10.1.1.1/32",
        "upsd: 10.1.1.1/33",
        "upsd: [2001:db8::]/32",
        "upsd: [2001:db8::1]/64",
        "upsd: [2001:db8::]/x",
        "upsd: [2001:db8::]/129",
        "upsd: [::]/0",
        "upsd: [2001:db8::1]",
        "upsd: [2001:DB8:0::1]",
        "upsd: [zz]",
        "upsd: [::ffff:10.1.1.1]",
        "upsd: 10.1.",
        "upsd: 10.",
        "upsd: 1.",
        "upsd: 10.1.1.1",
        "upsd: 10.1.*",
        "upsd: 10.?.1.1",
        "upsd: *.example.com",
        "upsd: .example.com",
        "upsd: .EXAMPLE.COM",
        "upsd: .1.1",
        "upsd: host.example.com",
        "upsd: HOST.example.com",
        "upsd: host.*",
        "upsd: LOCAL",
        "upsd: KNOWN",
        "upsd: UNKNOWN",
        "upsd: PARANOID",
        "upsd: ALL EXCEPT 10.1.",
        "upsd: ALL EXCEPT 10.1. EXCEPT 10.1.1.1",
        "upsd: ALL except .example.com",
        "upsd: 10.0.0.0/8, 2001:db8::1",
        "upsd: admin@ALL",
        "upsd: ADMIN@10.",
        "upsd: KNOWN@ALL",
        "upsd: adm*@ALL",
        "ALL: 10.1.1.1",
        "ALL EXCEPT upsd: ALL",
        "ALL EXCEPT sshd: ALL",
        "ups*: ALL",
        "UPSD: ALL",
        "sshd, upsd : 10.1.1.1",
        "sshd upsd: 10.1.1.1",
        "sshd: ALL",
        "KNOWN: ALL",
        "upsd@ALL: ALL",
        "upsd EXCEPT upsd@10.9.9.9: ALL",
        "ALL EXCEPT upsd@localhost: 10.1.1.1",
        "upsd 10.1.1.1",
        "upsd: ALL: allow",
        "upsd: ALL: deny",
        "upsd: ALL: ALLOW",
        "upsd: ALL: deny: allow",
        "upsd: ALL: allow: deny",
        "upsd: ALL: keepalive",
        "upsd: ALL: keepalive: allow",
        "upsd: ALL: keepalive 1",
        "upsd: ALL: linger 5",
        "upsd: ALL: linger five",
        "upsd: ALL: linger 5: deny",
        "upsd: ALL: severity auth.info",
        "upsd: ALL: severity=warning: allow",
        "upsd: ALL: severity bogus",
        "upsd: ALL: severity local9.info",
        "upsd: ALL: severity authpriv.notice",
        "upsd: ALL: severity user.warn",
        "upsd: ALL: severity syslog.err",
        "upsd: ALL: severity uucp.emerg",
        "upsd: ALL: nosuch",
        "upsd: ALL:",
        "upsd: ALL: allow :",
        "upsd: ALL: allow extra",
        "upsd: ALL : deny \\: x",
        "upsd: 10.1.1.1 \\\n 10.2.2.2",
        "ups\\\nd: 10.1.1.1",
        "# upsd: ALL",
        " # upsd: ALL",
        "",
    ];
    let others = ["", "upsd: 10.1.1.1\n", "ALL: ALL\n", "upsd: ALL: allow\n"];
    // A line longer than libwrap's buffer (2048 bytes) ends the file where it stands.
    let long = format!("sshd: {}", "10.9.9.9 ".repeat(250));
    let clients: &[(&str, &str, &str)] = &[
        ("10.1.1.1", "unknown", "admin"),
        ("10.1.1.1", "host.example.com", "mon"),
        ("10.2.2.2", "myhost", "admin"),
        ("10.0.5.7", "paranoid", "mon"),
        ("10.5.0.7", "a.b.example.com", "admin"),
        ("11.1.1.1", "example.com", "mon"),
        ("2001:db8::1", "unknown", "admin"),
        ("2001:db8::2", "v6.example.com", "mon"),
        ("::1", "localhost", "admin"),
        ("127.0.0.1", "localhost", "unknown"),
        ("10.6.6.6", "unknown", ""),
        ("10.3.3.3", "Host.Example.COM", "Admin"),
        ("10.4.4.4", ".example.com", "mon"),
    ];
    let dir = TempDir::new().unwrap();
    let (allow_p, deny_p) = (dir.path().join("allow"), dir.path().join("deny"));
    let mut compared = 0;
    for rule in rules.iter().copied().chain([long.as_str(), &format!("{long}\nupsd: ALL")]) {
        for (other, end) in others.iter().flat_map(|o| [(o, "\n"), (o, "")]) {
            // The rule in each file, with each other file; with and without a final newline.
            for (allow_text, deny_text) in
                [(format!("{rule}{end}"), other.to_string()), (other.to_string(), format!("{rule}{end}"))]
            {
                std::fs::write(&allow_p, &allow_text).unwrap();
                std::fs::write(&deny_p, &deny_text).unwrap();
                let allow = parse(&allow_text, "allow", "upsd", false);
                let deny = parse(&deny_text, "deny", "upsd", true);
                for (addr, name, user) in clients {
                    let want = wrap.allowed(&allow_p, &deny_p, name, addr, user);
                    let req = Request {
                        daemon: "upsd",
                        user,
                        client: Endpoint { addr: addr.parse().unwrap(), name: Some(name) },
                        server: Endpoint { addr: "127.0.0.1".parse().unwrap(), name: Some("unknown") },
                    };
                    let got = match check(&allow, &deny, &req) {
                        Outcome::Decided(d) => d.allowed,
                        other => panic!("{other:?}"),
                    };
                    assert_eq!(
                        got, want,
                        "rule {rule:?}\nhosts.allow {allow_text:?}\nhosts.deny {deny_text:?}\nclient {addr} ({name}) user {user}"
                    );
                    compared += 1;
                }
            }
        }
    }
    eprintln!("{compared} decisions compared with Debian's libwrap");
}
