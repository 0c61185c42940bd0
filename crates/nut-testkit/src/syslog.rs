//! A private syslog for one test: a datagram socket the test reads, mounted on `/dev/log` in a
//! mount namespace of the test's own, so a daemon started there logs to the test and nowhere
//! else (the machine's `/dev/log`, if any, is untouched).
//!
//! [`SyslogNs::command`] wraps a program in `unshare -m`: inside, a tmpfs replaces `/dev`
//! (with the usual device nodes bound back from the real one) and the test's socket is bound
//! on `/dev/log`. Daemons that go to the background stay in that namespace.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The syslog facility NUT's daemons log with.
pub const LOG_DAEMON: u8 = 3;
/// Severities (RFC 5424 / syslog.h).
pub const LOG_ERR: u8 = 3;
/// Warning severity.
pub const LOG_WARNING: u8 = 4;
/// Informational severity.
pub const LOG_INFO: u8 = 6;
/// Debug severity.
pub const LOG_DEBUG: u8 = 7;

/// One message as glibc's `syslog(3)` sends it: `<PRI>Mmm dd hh:mm:ss ident[pid]: text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogLine {
    /// Facility (`PRI >> 3`).
    pub facility: u8,
    /// Severity (`PRI & 7`).
    pub severity: u8,
    /// The ident (program name).
    pub ident: String,
    /// The pid in brackets, when the sender logged it.
    pub pid: Option<u32>,
    /// The message text.
    pub text: String,
}

/// Parse one datagram; `None` when it is not in the form glibc sends.
pub fn parse_line(raw: &str) -> Option<SyslogLine> {
    let rest = raw.strip_prefix('<')?;
    let (pri, rest) = rest.split_once('>')?;
    let pri: u16 = pri.parse().ok()?;
    // The timestamp is 15 characters ("Dec  7 08:50:33") and a space.
    let rest = rest.get(16..)?;
    let (tag, text) = rest.split_once(": ")?;
    let (ident, pid) = match tag.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((ident, pid)) => (ident.to_string(), Some(pid.parse().ok()?)),
        None => (tag.to_string(), None),
    };
    Some(SyslogLine {
        facility: (pri >> 3) as u8,
        severity: (pri & 7) as u8,
        ident,
        pid,
        text: text.trim_end_matches('\n').to_string(),
    })
}

/// The receiving end and the namespace recipe. Dropping it removes the socket.
pub struct SyslogNs {
    dir: TempDir,
    sock: UnixDatagram,
    seen: Vec<SyslogLine>,
}

/// Why a private syslog cannot be made here (not root, no `unshare`).
pub fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root to make a mount namespace with its own /dev/log".into());
    }
    let ok = Command::new("unshare")
        .args(["-m", "--propagation", "private", "true"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    (!ok).then(|| "unshare -m failed (util-linux missing or no CAP_SYS_ADMIN)".into())
}

const SETUP: &str = r#"set -e
mkdir -p "$NUT_TEST_SYSLOG_DIR/olddev"
mount --rbind /dev "$NUT_TEST_SYSLOG_DIR/olddev"
mount -t tmpfs -o mode=755 testdev /dev
for n in null zero full random urandom tty; do
    touch "/dev/$n"
    mount --bind "$NUT_TEST_SYSLOG_DIR/olddev/$n" "/dev/$n"
done
ln -s /proc/self/fd /dev/fd
touch /dev/log
mount --bind "$NUT_TEST_SYSLOG_DIR/log" /dev/log
unset NUT_TEST_SYSLOG_DIR
exec "$@"
"#;

impl SyslogNs {
    /// Make the receiving socket. Panics if a temporary directory or socket cannot be made.
    pub fn new() -> SyslogNs {
        let dir = tempfile::Builder::new().prefix("nut-syslog").tempdir().expect("temp dir");
        let path = dir.path().join("log");
        let sock = UnixDatagram::bind(&path).expect("bind the syslog socket");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod socket");
        SyslogNs { dir, sock, seen: Vec::new() }
    }

    /// The directory of the socket (scratch space for the test too).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A command that runs `program` with `args` in a new mount namespace whose `/dev/log` is
    /// this receiver.
    pub fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new("unshare");
        c.args(["-m", "--propagation", "private", "sh", "-c", SETUP, "sh"]);
        c.arg(program);
        c.args(args);
        c.env("NUT_TEST_SYSLOG_DIR", self.dir.path());
        c
    }

    /// Every message received so far (reads what is waiting, without blocking).
    pub fn lines(&mut self) -> &[SyslogLine] {
        self.drain(Duration::ZERO);
        &self.seen
    }

    fn drain(&mut self, wait: Duration) {
        let mut buf = vec![0u8; 8192];
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let _ = self.sock.set_nonblocking(left.is_zero());
            if !left.is_zero() {
                let _ = self.sock.set_read_timeout(Some(left));
            }
            match self.sock.recv(&mut buf) {
                Ok(n) => {
                    let raw = String::from_utf8_lossy(&buf[..n]);
                    match parse_line(&raw) {
                        Some(l) => self.seen.push(l),
                        None => panic!("syslog received a message not in glibc's form: {raw:?}"),
                    }
                    // Something arrived: the caller checks its condition before waiting again.
                    if !left.is_zero() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    }

    /// Wait until a message satisfies `pred`; returns it, or `None` after `timeout`.
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&SyslogLine) -> bool) -> Option<SyslogLine> {
        let deadline = Instant::now() + timeout;
        let mut checked = 0;
        loop {
            if let Some(l) = self.seen[checked..].iter().find(|l| pred(l)) {
                return Some(l.clone());
            }
            checked = self.seen.len();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.drain(left);
        }
    }

    /// Everything received, one per line, for failure messages.
    pub fn dump(&mut self) -> String {
        self.drain(Duration::ZERO);
        self.seen
            .iter()
            .map(|l| format!("<{}.{}> {}[{:?}]: {}\n", l.facility, l.severity, l.ident, l.pid, l.text))
            .collect()
    }
}

impl Default for SyslogNs {
    fn default() -> Self {
        SyslogNs::new()
    }
}

/// The path of the receiving socket (for debugging a test).
pub fn socket_path(ns: &SyslogNs) -> PathBuf {
    ns.dir().join("log")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn glibc_lines_parse() {
        let l = parse_line("<28>Dec  7 08:50:33 upsd[123]: Can't connect to UPS [x]").unwrap();
        assert_eq!((l.facility, l.severity), (LOG_DAEMON, LOG_WARNING));
        assert_eq!((l.ident.as_str(), l.pid), ("upsd", Some(123)));
        assert_eq!(l.text, "Can't connect to UPS [x]");
        let l = parse_line("<13>Dec  7 08:50:33 testident: hello").unwrap();
        assert_eq!((l.facility, l.severity, l.pid), (1, 5, None));
        assert!(parse_line("garbage").is_none());
        assert!(parse_line("<x>Dec  7 08:50:33 a: b").is_none());
    }

    #[test]
    fn logger_in_the_namespace_reaches_the_test() {
        if let Some(why) = unavailable() {
            let prereq = if crate::is_root() { crate::Prereq::Unshare } else { crate::Prereq::Root };
            crate::skip("syslog namespace", &why, prereq);
            return;
        }
        let mut ns = SyslogNs::new();
        let st = ns
            .command(Path::new("/usr/bin/logger"), &["-t", "nut-testkit", "-p", "daemon.warning", "ping"])
            .status()
            .unwrap();
        assert!(st.success());
        let l = ns.wait_for(Duration::from_secs(5), |l| l.ident == "nut-testkit").expect("logger line");
        assert_eq!((l.facility, l.severity, l.text.as_str()), (LOG_DAEMON, LOG_WARNING, "ping"));
    }
}
