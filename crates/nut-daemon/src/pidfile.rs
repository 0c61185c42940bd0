//! PID files, and signalling the process named in one (`upsd -c reload`, `upsmon -c stop`).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A PID file that is removed when dropped (on clean shutdown).
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Write this process's PID to `path`, replacing a stale file.
    pub fn create(path: impl AsRef<Path>) -> io::Result<PidFile> {
        let path = path.as_ref().to_path_buf();
        let tmp = path.with_extension("pid.tmp");
        {
            let mut f = fs::File::create(&tmp)?;
            writeln!(f, "{}", std::process::id())?;
        }
        fs::rename(&tmp, &path)?;
        Ok(PidFile { path })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Only remove the file if it still names us: a newer instance may have replaced it.
        if read(&self.path).ok() == Some(std::process::id() as i32) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Read the PID stored in `path`.
pub fn read(path: impl AsRef<Path>) -> io::Result<i32> {
    let text = fs::read_to_string(path.as_ref())?;
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "PID file does not hold a process id"))
}

/// Send signal `sig` to the process named in the PID file, with a message that says what to do
/// when it fails.
pub fn signal(path: impl AsRef<Path>, sig: libc::c_int) -> Result<(), String> {
    let path = path.as_ref();
    let pid = read(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => format!(
            "no PID file at {}: the daemon is not running, or was started with another state path \
             (NUT_STATEPATH / NUT_ALTPIDPATH)",
            path.display()
        ),
        _ => format!("can't read PID file {}: {e}", path.display()),
    })?;
    // SAFETY: kill(2) has no memory-safety preconditions; it only takes integers.
    let rc = unsafe { libc::kill(pid, sig) };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    Err(match err.raw_os_error() {
        Some(libc::ESRCH) => format!(
            "PID file {} names process {pid}, which is not running: the daemon died without cleaning up; \
             remove the file and start the daemon again",
            path.display()
        ),
        Some(libc::EPERM) => format!(
            "not allowed to signal process {pid} (from {}): run this as root or as the daemon's user",
            path.display()
        ),
        _ => format!("can't signal process {pid} (from {}): {err}", path.display()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn create_read_and_remove_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.pid");
        {
            let f = PidFile::create(&p).unwrap();
            assert_eq!(read(f.path()).unwrap(), std::process::id() as i32);
            // Signal 0 only checks that the process exists.
            signal(&p, 0).unwrap();
        }
        assert!(!p.exists());
        let err = signal(&p, 0).unwrap_err();
        assert!(err.contains("not running"), "{err}");
    }

    #[test]
    fn garbage_pid_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.pid");
        fs::write(&p, "hello\n").unwrap();
        assert!(read(&p).is_err());
    }
}
