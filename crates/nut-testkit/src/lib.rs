//! Test support shared by every end-to-end test: where our binaries are, free loopback ports,
//! process guards that kill by PID, polling with a deadline, and whether Debian's NUT (the
//! reference peer) is installed.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub use tempfile::TempDir;

pub mod compat;
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

/// True when Debian's NUT server and clients are installed. Tests that compare with NUT call
/// [`require_debian_nut`] instead, which prints why it skips.
pub fn debian_nut_available() -> bool {
    Path::new("/lib/nut/upsd").exists()
        && Path::new("/lib/nut/dummy-ups").exists()
        && Path::new("/usr/bin/upsc").exists()
}

/// Returns false (and prints a notice) when Debian's NUT is missing; use as
/// `if !require_debian_nut("test name") { return; }`. In CI, `.ci/run` installs it, and sets
/// `NUT_REQUIRE_DEBIAN=1` so a missing install fails instead of skipping.
pub fn require_debian_nut(test: &str) -> bool {
    if debian_nut_available() {
        return true;
    }
    assert!(
        std::env::var_os("NUT_REQUIRE_DEBIAN").is_none(),
        "{test}: Debian's NUT is required (NUT_REQUIRE_DEBIAN is set) but /lib/nut/upsd is missing: \
         apt-get install nut-server nut-client python3-nut"
    );
    eprintln!("SKIP {test}: Debian's NUT 2.8 is not installed (apt-get install nut-server nut-client)");
    false
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
    fn free_port_is_bindable() {
        let p = free_port();
        assert!(p > 0);
        TcpListener::bind(("127.0.0.1", p)).unwrap();
    }
}
