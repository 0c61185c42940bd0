//! Processes: PID files, checking that a PID runs the expected program (NUT's
//! `checkprocname`, skipped when `NUT_IGNORE_CHECKPROCNAME` is true), and signals.

use std::io;
use std::path::Path;

use crate::status::PidFile;

/// Read a PID file as NUT's `parsepidfile` does: the first line through C's `strtol`.
pub fn read_pid_file(path: &Path) -> io::Result<PidFile> {
    let text = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&text);
    match text.lines().next() {
        None => Ok(PidFile::Empty),
        Some(line) => Ok(PidFile::Pid(crate::plan::parse_pid(line))),
    }
}

/// `strerror(3)`'s text for an I/O error (without Rust's ` (os error N)`).
pub fn errno_text(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Whether `NUT_IGNORE_CHECKPROCNAME` (its value) turns the program-name check off.
pub fn checkprocname_ignored(value: Option<&str>) -> bool {
    value.is_some_and(|v| ["true", "on", "yes", "1"].iter().any(|w| v.eq_ignore_ascii_case(w)))
}

/// Whether a process's program name is `prog`, as NUT compares them: the same base name,
/// also ignoring case and an extension. `comm` is true when `found` is the kernel's 15-byte
/// `comm` rather than the executable's path.
pub fn name_matches(found: &str, prog: &str, comm: bool) -> bool {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).trim_end_matches(" (deleted)").to_string();
    let (f, p) = (base(found), base(prog));
    if f == p || f.eq_ignore_ascii_case(&p) {
        return true;
    }
    let stem = |s: &str| s.rsplit_once('.').map(|(a, _)| a.to_string()).unwrap_or_else(|| s.to_string());
    if stem(&f).eq_ignore_ascii_case(&stem(&p)) {
        return true;
    }
    comm && f.len() == 15 && p.len() > 15 && p.starts_with(&f)
}

/// The program of a running process: its executable's path, else its `comm`.
fn program_of(pid: i64) -> Option<(String, bool)> {
    if let Ok(p) = std::fs::read_link(format!("/proc/{pid}/exe")) {
        return Some((p.display().to_string(), false));
    }
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|s| (s.trim_end().to_string(), true))
}

/// The result of checking a PID against the expected program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Running the expected program (or the check is turned off, or the name is unreadable
    /// but the process exists: NUT then proceeds too).
    Ok,
    /// Running another program (its name).
    Other(String),
    /// No such process.
    Gone,
    /// A number that cannot be a process to signal.
    Invalid,
}

/// Check that `pid` exists and runs `prog` (or, with `or_self`, this program).
pub fn check(pid: i64, prog: &str, or_self: bool) -> Check {
    if pid < 2 || pid > i64::from(i32::MAX) {
        return Check::Invalid;
    }
    if !exists(pid) {
        return Check::Gone;
    }
    if checkprocname_ignored(std::env::var("NUT_IGNORE_CHECKPROCNAME").ok().as_deref()) {
        return Check::Ok;
    }
    match program_of(pid) {
        None => Check::Ok,
        Some((found, comm)) => {
            let me = std::env::current_exe().ok().map(|p| p.display().to_string());
            if name_matches(&found, prog, comm)
                || (or_self && me.is_some_and(|m| name_matches(&found, &m, comm)))
            {
                Check::Ok
            } else {
                Check::Other(found)
            }
        }
    }
}

/// Whether a process exists (signal 0; EPERM means it exists) and is not a zombie waiting
/// for its parent.
pub fn exists(pid: i64) -> bool {
    let Ok(p) = libc::pid_t::try_from(pid) else { return false };
    // SAFETY: kill(2) with signal 0 only checks for the process.
    let rc = unsafe { libc::kill(p, 0) };
    let there = rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    there && !zombie(pid)
}

/// The state letter of `/proc/<pid>/stat` is `Z`.
fn zombie(pid: i64) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // `pid (comm) S ...`: comm may hold spaces and parentheses, the state follows the last ')'.
    stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
}

/// Send `sig` to `pid`.
pub fn kill(pid: i64, sig: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: kill(2) takes plain integers.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Why a signal was not sent.
#[derive(Debug)]
pub enum SendError {
    /// NUT's "Ignoring invalid pid number N".
    Invalid(i64),
    /// The PID runs another program.
    Other(i64, String),
    /// kill(2) failed.
    Os(io::Error),
}

/// Signal `pid` after checking it runs `prog` (NUT's `sendsignalpid`); `sig` 0 only checks.
pub fn send_checked(pid: i64, sig: libc::c_int, prog: &str, or_self: bool) -> Result<(), SendError> {
    match check(pid, prog, or_self) {
        Check::Invalid => Err(SendError::Invalid(pid)),
        Check::Gone => Err(SendError::Os(io::Error::from_raw_os_error(libc::ESRCH))),
        Check::Other(found) => Err(SendError::Other(pid, found)),
        Check::Ok => kill(pid, sig).map_err(SendError::Os),
    }
}

impl SendError {
    /// The errno-like text NUT appends to its "failed" lines.
    pub fn errno(&self) -> String {
        match self {
            SendError::Invalid(_) => errno_text(&io::Error::from_raw_os_error(libc::EINVAL)),
            SendError::Other(..) => errno_text(&io::Error::from_raw_os_error(libc::ESRCH)),
            SendError::Os(e) => errno_text(e),
        }
    }

    /// NUT's own line for this failure, when it prints one.
    pub fn note(&self, prog: &str) -> Option<String> {
        match self {
            SendError::Invalid(pid) => Some(format!("Ignoring invalid pid number {pid}")),
            SendError::Other(pid, found) => Some(format!(
                "Tried to signal PID {pid} which exists but is not of expected program '{prog}' (it runs {found}); \
                 set NUT_IGNORE_CHECKPROCNAME=true to skip this check"
            )),
            SendError::Os(_) => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn program_names_compare_as_nut_does() {
        assert!(name_matches("/lib/nut/dummy-ups", "dummy-ups", false));
        assert!(name_matches("/x/target/debug/dummy-ups (deleted)", "dummy-ups", false));
        assert!(name_matches("/x/Dummy-UPS", "dummy-ups", false));
        assert!(name_matches("/x/dummy-ups.exe", "dummy-ups", false));
        assert!(!name_matches("/usr/bin/sleep", "dummy-ups", false));
        // comm is cut to 15 bytes.
        assert!(name_matches("apcupsd-ups-dri", "apcupsd-ups-driver", true));
        assert!(!name_matches("apcupsd-ups-dri", "apcupsd-ups-driver", false));
    }

    #[test]
    fn ignore_switch_values() {
        for v in ["true", "TRUE", "on", "yes", "1"] {
            assert!(checkprocname_ignored(Some(v)), "{v}");
        }
        for v in ["", "false", "0", "no"] {
            assert!(!checkprocname_ignored(Some(v)), "{v}");
        }
        assert!(!checkprocname_ignored(None));
    }

    #[test]
    fn pid_files_read_like_nut() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.pid");
        assert_eq!(read_pid_file(&p).unwrap_err().kind(), io::ErrorKind::NotFound);
        std::fs::write(&p, "").unwrap();
        assert_eq!(read_pid_file(&p).unwrap(), PidFile::Empty);
        std::fs::write(&p, "1234\n").unwrap();
        assert_eq!(read_pid_file(&p).unwrap(), PidFile::Pid(1234));
        std::fs::write(&p, "junk\n").unwrap();
        assert_eq!(read_pid_file(&p).unwrap(), PidFile::Pid(0));
    }

    fn wait_zombie(pid: i64) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if zombie(pid) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn checks_against_real_processes() {
        let me = i64::from(std::process::id());
        // This test binary is not a driver, but it is "this program".
        assert!(matches!(check(me, "dummy-ups", false), Check::Other(_)));
        assert_eq!(check(me, "dummy-ups", true), Check::Ok);
        assert_eq!(check(0, "x", true), Check::Invalid);
        assert_eq!(check(1, "x", true), Check::Invalid);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = i64::from(child.id());
        // Exited but not yet reaped: a zombie does not count as running.
        assert!(wait_zombie(pid));
        assert_eq!(check(pid, "true", false), Check::Gone);
        child.wait().unwrap();
        assert_eq!(check(pid, "true", false), Check::Gone);
        assert_eq!(errno_text(&io::Error::from_raw_os_error(libc::ENOENT)), "No such file or directory");
    }
}
