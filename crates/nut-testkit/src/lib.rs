//! Test support shared by every end-to-end test: where our binaries are, free loopback ports,
//! process guards that kill by PID, polling with a deadline, and whether Debian's NUT (the
//! reference peer) is installed.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub use tempfile::TempDir;

pub mod compat;
pub mod sim;
pub mod stack;
pub mod syslog;

pub use stack::{Conn, Driver, Impl, Output, Stack, StackBuilder, UpsSpec};

/// Directory holding our built binaries (`target/debug` or `target/release`): the test
/// executable lives in `<dir>/deps/`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("test binary has a parent dir").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// Path of one of our programs, e.g. `bin("upsd")`. Panics with the command to run if it was
/// not built: `cargo test -p X` builds only X's own binaries.
pub fn bin(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(
        p.exists(),
        "our binary {} is not built: run `cargo build --bins` (or `cargo build -p {name}`) before the tests",
        p.display()
    );
    p
}

/// Debian's NUT program `name`, wherever the packages put it (`/lib/nut/upsd`,
/// `/usr/sbin/upsdrvctl`, `/usr/bin/upsc`, ...), or `None`.
pub fn debian_bin(name: &str) -> Option<PathBuf> {
    ["/lib/nut", "/usr/lib/nut", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// True when Debian's NUT server and clients are installed (`/lib/nut/upsd`, `dummy-ups`,
/// `upsmon`, `/usr/sbin/upsdrvctl`, `/usr/bin/upsc`). Tests that compare with NUT call [`require_debian_nut`] instead,
/// which records the skip.
pub fn debian_nut_available() -> bool {
    ["/lib/nut/upsd", "/lib/nut/dummy-ups", "/lib/nut/upsmon", "/usr/sbin/upsdrvctl", "/usr/bin/upsc"]
        .iter()
        .all(|p| Path::new(p).exists())
}

/// `if !require_debian_nut("test name") { return; }`: true when Debian's NUT is installed,
/// otherwise the test is skipped through [`skip`] (recorded, and a failure where
/// `scripts/test.sh` installed it).
#[track_caller]
pub fn require_debian_nut(test: &str) -> bool {
    require(test, Prereq::DebianNut)
}

/// What a skipped test lacks. `scripts/test.sh` installs or checks most of these and fails the
/// run when a test skips for one it provides (see [`skip`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prereq {
    /// Debian's NUT 2.8 (`nut-server`, `nut-client`): `/lib/nut/upsd`, `dummy-ups`, `upsmon`,
    /// `/usr/bin/upsc` and the other clients.
    DebianNut,
    /// Debian's `python3-nut` (the `PyNUT` module).
    PythonNut,
    /// `socat`.
    Socat,
    /// `certutil` and `pk12util` from `libnss3-tools`.
    NssTools,
    /// The `openssl` command.
    Openssl,
    /// `unshare` (util-linux) able to make a private mount namespace.
    Unshare,
    /// Running as root (to switch users, make namespaces, bind privileged resources).
    Root,
    /// The system account `nut`, which Debian's NUT packages create.
    NutUser,
    /// The account `nobody` (every Debian system has it), used to test dropping privileges.
    NobodyUser,
    /// An IPv6 loopback: `[::1]` can be bound.
    Ipv6,
    /// The NUT Devices Dumps Library copy (`shared/testdata/nut-ddl` beside the repository,
    /// or `$NUT_DDL_DIR`).
    NutDdl,
    /// The shared HID recordings (`shared/testdata/hid-descriptors` beside the repository, or
    /// `$NUT_HID_DESCRIPTORS_DIR`); without them only the project's own copies are replayed.
    HidDescriptors,
    /// Network namespaces (`ip netns`; root and a kernel or container that allows them).
    NetNamespaces,
    /// An open-files hard limit high enough for thousands of sockets (`ulimit -Hn`).
    FileLimit,
    /// `libwrap.so.0` (Debian's `libwrap0`, which `nut-server` depends on).
    Libwrap,
    /// `mandoc` (Debian's `mandoc`), to lint the man pages.
    Mandoc,
    /// A property of this machine or kernel that no install provides (e.g. how it answers a
    /// connect to a full listen queue); never required, always listed.
    Machine,
    /// `lintian` (Debian's package checker).
    Lintian,
    /// `dpkg-dev` (`dpkg-shlibdeps`, `dpkg-gencontrol`), which `scripts/build-deb.sh` needs.
    DpkgDev,
    /// `systemd-nspawn` (Debian's systemd-container) and root, to boot a real systemd.
    Nspawn,
}

impl Prereq {
    /// Every prerequisite, for listings.
    pub const ALL: [Prereq; 20] = [
        Prereq::DebianNut,
        Prereq::PythonNut,
        Prereq::Socat,
        Prereq::NssTools,
        Prereq::Openssl,
        Prereq::Unshare,
        Prereq::Root,
        Prereq::NutUser,
        Prereq::NobodyUser,
        Prereq::Ipv6,
        Prereq::NutDdl,
        Prereq::HidDescriptors,
        Prereq::NetNamespaces,
        Prereq::FileLimit,
        Prereq::Libwrap,
        Prereq::Mandoc,
        Prereq::Machine,
        Prereq::Lintian,
        Prereq::DpkgDev,
        Prereq::Nspawn,
    ];

    /// The name used in the skip log and in `NUT_TEST_REQUIRE` (`debian-nut`, `root`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Prereq::DebianNut => "debian-nut",
            Prereq::PythonNut => "python3-nut",
            Prereq::Socat => "socat",
            Prereq::NssTools => "libnss3-tools",
            Prereq::Openssl => "openssl",
            Prereq::Unshare => "unshare",
            Prereq::Root => "root",
            Prereq::NutUser => "user-nut",
            Prereq::NobodyUser => "user-nobody",
            Prereq::Ipv6 => "ipv6",
            Prereq::NutDdl => "nut-ddl",
            Prereq::HidDescriptors => "hid-descriptors",
            Prereq::NetNamespaces => "netns",
            Prereq::FileLimit => "nofile-limit",
            Prereq::Libwrap => "libwrap0",
            Prereq::Mandoc => "mandoc",
            Prereq::Machine => "machine",
            Prereq::Lintian => "lintian",
            Prereq::DpkgDev => "dpkg-dev",
            Prereq::Nspawn => "systemd-nspawn",
        }
    }

    /// How to provide it, for the skip message.
    pub fn hint(self) -> &'static str {
        match self {
            Prereq::DebianNut => "apt-get install nut-server nut-client",
            Prereq::PythonNut => "apt-get install python3-nut",
            Prereq::Socat => "apt-get install socat",
            Prereq::NssTools => "apt-get install libnss3-tools",
            Prereq::Openssl => "apt-get install openssl",
            Prereq::Unshare => "apt-get install util-linux; needs root or user namespaces",
            Prereq::Root => "run the tests as root",
            Prereq::NutUser => "apt-get install nut-server (creates it), or useradd --system nut",
            Prereq::NobodyUser => "useradd --system nobody",
            Prereq::Ipv6 => "enable IPv6 on the loopback interface",
            Prereq::NutDdl => "set NUT_DDL_DIR or provide ../shared/testdata/nut-ddl",
            Prereq::HidDescriptors => {
                "set NUT_HID_DESCRIPTORS_DIR or provide ../shared/testdata/hid-descriptors"
            }
            Prereq::NetNamespaces => "run as root where `ip netns add` works",
            Prereq::FileLimit => "raise the hard limit (ulimit -Hn)",
            Prereq::Libwrap => "apt-get install libwrap0",
            Prereq::Mandoc => "apt-get install mandoc",
            Prereq::Machine => "a different machine or kernel",
            Prereq::Lintian => "apt-get install lintian",
            Prereq::DpkgDev => "apt-get install dpkg-dev",
            Prereq::Nspawn => "apt-get install systemd-container (systemd-nspawn), as root",
        }
    }

    /// Whether this machine has it now (a cheap probe).
    pub fn available(self) -> bool {
        let runs = |prog: &str, args: &[&str]| {
            Command::new(prog)
                .args(args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let on_path = |prog: &str| {
            std::env::var_os("PATH")
                .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(prog).is_file()))
        };
        match self {
            Prereq::DebianNut => debian_nut_available(),
            // Debian's python3, not one first on PATH (pyenv, venv) that cannot see dist-packages.
            Prereq::PythonNut => runs("/usr/bin/python3", &["-c", "import PyNUT"]),
            Prereq::Socat => on_path("socat"),
            Prereq::NssTools => on_path("certutil") && on_path("pk12util"),
            Prereq::Openssl => on_path("openssl"),
            Prereq::Unshare => runs("unshare", &["-m", "true"]),
            Prereq::Root => is_root(),
            Prereq::NutUser => user_exists("nut"),
            Prereq::NobodyUser => user_exists("nobody"),
            Prereq::Ipv6 => TcpListener::bind("[::1]:0").is_ok(),
            Prereq::NutDdl => {
                std::env::var_os("NUT_DDL_DIR").is_some_and(|d| Path::new(&d).is_dir())
                    || workspace_root().join("../shared/testdata/nut-ddl").is_dir()
            }
            Prereq::HidDescriptors => {
                std::env::var_os("NUT_HID_DESCRIPTORS_DIR").is_some_and(|d| Path::new(&d).is_dir())
                    || workspace_root().join("../shared/testdata/hid-descriptors").is_dir()
            }
            Prereq::NetNamespaces => {
                let name = format!("nutprobe{}", std::process::id());
                let ok = is_root() && runs("ip", &["netns", "add", &name]);
                if ok {
                    runs("ip", &["netns", "delete", &name]);
                }
                ok
            }
            Prereq::FileLimit => nofile_hard_limit() >= 500,
            Prereq::Libwrap => {
                let multiarch = format!("{}-linux-gnu", std::env::consts::ARCH);
                ["/usr/lib", "/lib"]
                    .iter()
                    .flat_map(|d| [Path::new(d).join(&multiarch), PathBuf::from(d)])
                    .any(|d| d.join("libwrap.so.0").exists())
            }
            Prereq::Mandoc => on_path("mandoc"),
            Prereq::Machine => false,
            Prereq::Lintian => on_path("lintian"),
            Prereq::DpkgDev => on_path("dpkg-shlibdeps") && on_path("dpkg-gencontrol"),
            Prereq::Nspawn => on_path("systemd-nspawn") && is_root(),
        }
    }
}

/// True when the tests run as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// True when the account `name` exists (through NSS, as the daemons look it up).
pub fn user_exists(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else { return false };
    // SAFETY: getpwnam reads a NUL-terminated name; the result is only compared with NULL.
    unsafe { !libc::getpwnam(c.as_ptr()).is_null() }
}

/// The hard limit on open files (`RLIMIT_NOFILE`), 0 if it cannot be read.
pub fn nofile_hard_limit() -> u64 {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } != 0 {
        return 0;
    }
    rl.rlim_max
}

/// The workspace root (the directory holding `crates/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `if !require("test name", Prereq::Socat) { return; }`: true when `prereq` is
/// [available](Prereq::available), otherwise skips the test through [`skip`] with the
/// standard reason.
#[track_caller]
pub fn require(test: &str, prereq: Prereq) -> bool {
    if prereq.available() {
        return true;
    }
    skip(test, &format!("{} is not available here ({})", prereq.name(), prereq.hint()), prereq);
    false
}

/// The environment variable naming the file where [`skip`] appends one line per skip:
/// `<prerequisite> TAB <test> TAB <reason>`. `scripts/test.sh` sets it and prints the file.
pub const SKIP_LOG_ENV: &str = "NUT_TEST_SKIP_LOG";

/// The environment variable listing the prerequisites that must not be missing (names from
/// [`Prereq::name`], separated by commas or spaces): [`skip`] fails the test for those.
/// `scripts/test.sh` sets it to what it installs or found working. `NUT_REQUIRE_DEBIAN` (set)
/// still means `debian-nut,python3-nut`.
pub const REQUIRE_ENV: &str = "NUT_TEST_REQUIRE";

/// Every test that does not run (whole or in part) says so through here: the line
/// `SKIP <test>: <reason> [needs <prerequisite>]` goes to stderr (cargo shows it only for failing
/// tests), and is appended to the file named by `NUT_TEST_SKIP_LOG` so that `scripts/test.sh`
/// prints every skip at the end. When `prereq` is one the run requires (`NUT_TEST_REQUIRE`), the
/// test fails here instead: that skip would hide a broken set-up.
///
/// Callers return right after (`skip(...); return;`), or leave out the part that needs `prereq`.
#[track_caller]
pub fn skip(test: &str, reason: &str, prereq: Prereq) {
    eprintln!("SKIP {test}: {reason} [needs {}]", prereq.name());
    let log = std::env::var_os(SKIP_LOG_ENV).map(PathBuf::from);
    let required = prereq_required(
        prereq,
        std::env::var(REQUIRE_ENV).ok().as_deref(),
        std::env::var_os("NUT_REQUIRE_DEBIAN").is_some(),
    );
    if let Err(msg) = record_skip(test, reason, prereq, log.as_deref(), required) {
        panic!("{msg}");
    }
}

/// The testable part of [`skip`]: append the line to `log`, then say whether the test must
/// fail (`Err` with the message) because `prereq` is `required`.
fn record_skip(
    test: &str,
    reason: &str,
    prereq: Prereq,
    log: Option<&Path>,
    required: bool,
) -> Result<(), String> {
    if let Some(path) = log {
        use std::io::Write as _;
        // One write of one short line in append mode: lines from parallel tests do not mix.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(skip_line(test, reason, prereq).as_bytes()))
            .map_err(|e| format!("{test}: cannot record the skip in {}: {e}", path.display()))?;
    }
    if required {
        return Err(format!(
            "{test}: {reason}: {} is required in this run ({REQUIRE_ENV}; scripts/test.sh provides it: {})",
            prereq.name(),
            prereq.hint()
        ));
    }
    Ok(())
}

/// The skip-log line for one skip (tabs and newlines in the texts become spaces).
fn skip_line(test: &str, reason: &str, prereq: Prereq) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    format!("{}\t{}\t{}\n", prereq.name(), clean(test), clean(reason))
}

/// Whether `prereq` is in the `required` list (`NUT_TEST_REQUIRE`; `all` names every one), or
/// covered by the older `NUT_REQUIRE_DEBIAN` switch.
fn prereq_required(prereq: Prereq, required: Option<&str>, require_debian: bool) -> bool {
    if require_debian && matches!(prereq, Prereq::DebianNut | Prereq::PythonNut) {
        return true;
    }
    required.is_some_and(|list| list.split([',', ' ']).any(|w| w == prereq.name() || w == "all"))
}

/// A free TCP port on 127.0.0.1 (bound then released; the kernel does not hand it out again
/// right away).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("bind 127.0.0.1:0")
}

/// Poll `cond` every few milliseconds until it is true or `timeout` passes. Returns whether it
/// became true.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// The `Uid:` and `Gid:` lines of `/proc/<pid>/status` (real, effective, saved and fs ids,
/// joined by single spaces), to check which account a process runs as; empty when the
/// process is gone.
pub fn proc_ids(pid: u32) -> (String, String) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|rest| rest.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    (field("Uid:"), field("Gid:"))
}

/// True once something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// A child process that is killed (SIGTERM, then SIGKILL) and reaped when dropped, so a failing
/// test never leaves daemons behind.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    name: String,
}

impl Proc {
    /// Start `cmd`. Panics with the program name if it cannot start.
    pub fn spawn(mut cmd: Command) -> Proc {
        let name = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc { child, name }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Send a signal by PID.
    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) takes plain integers; the PID is our own unreaped child.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, sig);
        }
    }

    /// SIGTERM, then wait up to `timeout` for a clean exit; returns the exit status if it
    /// exited in time.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Access the underlying child (for its stdout/stderr pipes).
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Program name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            if self.terminate(Duration::from_secs(2)).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn proc_guard_kills_on_drop() {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let p = Proc::spawn(cmd);
        let pid = p.pid() as libc::pid_t;
        drop(p);
        // SAFETY: signal 0 only probes for existence.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        assert!(!alive, "process {pid} still alive after drop");
    }

    #[test]
    fn wait_until_times_out_and_succeeds() {
        assert!(!wait_until(Duration::from_millis(20), || false));
        let mut n = 0;
        assert!(wait_until(Duration::from_secs(1), || {
            n += 1;
            n > 3
        }));
    }

    #[test]
    fn debian_stack_serves_a_dev_file_and_stops_on_drop() {
        if !require_debian_nut("testkit stack") {
            return;
        }
        let spec =
            UpsSpec { desc: Some("Test \"one\"".into()), ..UpsSpec::dummy_ups("t1", "t.dev", Impl::Debian) };
        let mut st = Stack::builder()
            .file("t.dev", b"ups.status: OB LB\nbattery.charge: 5\n")
            .ups(spec)
            .start()
            .expect("Debian stack starts");
        let mut c = st.connect().expect("connect");
        assert_eq!(c.request("GET VAR t1 battery.charge").unwrap(), vec!["VAR t1 battery.charge \"5\""]);
        assert_eq!(c.request("GET UPSDESC t1").unwrap(), vec!["UPSDESC t1 \"Test \\\"one\\\"\""]);
        let out = st
            .run(Path::new("/usr/bin/upsc"), &[&st.target("t1"), "ups.status"], Duration::from_secs(10))
            .unwrap();
        assert_eq!(out.out(), "OB LB\n");
        let upsd = st.upsd_pid().expect("upsd pid") as libc::pid_t;
        assert!(st.upsd_alive());
        drop(c);
        drop(st);
        // SAFETY: signal 0 only probes for existence.
        assert!(
            wait_until(Duration::from_secs(5), || unsafe { libc::kill(upsd, 0) } != 0),
            "upsd survived the drop"
        );
    }

    #[test]
    fn a_skip_is_logged_one_line_each_and_fails_when_required() {
        let dir = TempDir::new().unwrap();
        let log = dir.path().join("skips.txt");
        record_skip("t1", "no socat\there", Prereq::Socat, Some(&log), false).unwrap();
        let err = record_skip("t2", "no root", Prereq::Root, Some(&log), true).unwrap_err();
        assert!(err.contains("t2: no root: root is required"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "socat\tt1\tno socat here\nroot\tt2\tno root\n",
            "both skips recorded, the failing one too"
        );
        // Without a log file the skip still works (plain `cargo test`).
        record_skip("t3", "x", Prereq::Ipv6, None, false).unwrap();
        assert!(record_skip("t4", "x", Prereq::Ipv6, None, true).is_err());
        // A log that cannot be written fails the test rather than losing the skip.
        assert!(record_skip("t5", "x", Prereq::Ipv6, Some(dir.path()), false).is_err());
    }

    #[test]
    fn required_prerequisites_come_from_the_list_or_nut_require_debian() {
        assert!(prereq_required(Prereq::Socat, Some("debian-nut,socat"), false));
        assert!(prereq_required(Prereq::Root, Some("socat root"), false));
        assert!(!prereq_required(Prereq::Ipv6, Some("debian-nut,socat"), false));
        assert!(!prereq_required(Prereq::Ipv6, None, false));
        assert!(prereq_required(Prereq::Ipv6, Some("all"), false));
        assert!(prereq_required(Prereq::DebianNut, None, true));
        assert!(prereq_required(Prereq::PythonNut, Some(""), true));
        assert!(!prereq_required(Prereq::Root, None, true));
        // Names are distinct, so a list names exactly one prerequisite each.
        let mut names: Vec<_> = Prereq::ALL.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Prereq::ALL.len());
    }

    #[test]
    fn free_port_is_bindable() {
        let p = free_port();
        assert!(p > 0);
        TcpListener::bind(("127.0.0.1", p)).unwrap();
    }
}
