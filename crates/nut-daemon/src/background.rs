//! Going to the background (NUT's default without `-F`/`-D`).
//!
//! Call [`daemonize`] before starting any thread or async runtime: fork(2) copies only the
//! calling thread.

use std::io;

/// Detach from the terminal: fork, start a new session, fork again, and point stdin, stdout
/// and stderr at `/dev/null` (stderr stays with `NUT_DEBUG_SYSLOG=stderr`). The parent
/// processes exit with status 0. Logging moves to syslog ([`crate::log::backgrounded`]) and
/// NUT's `Startup successful` line is logged.
pub fn daemonize() -> io::Result<()> {
    let keep_stderr = crate::log::SyslogMode::current().keeps_stderr();
    // SAFETY: called before any other thread exists (documented precondition), so fork is
    // safe; the child only calls async-signal-safe functions until it returns.
    unsafe {
        match libc::fork() {
            -1 => return Err(io::Error::last_os_error()),
            0 => {}
            _ => libc::_exit(0),
        }
        if libc::setsid() == -1 {
            return Err(io::Error::last_os_error());
        }
        match libc::fork() {
            -1 => return Err(io::Error::last_os_error()),
            0 => {}
            _ => libc::_exit(0),
        }
        let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if devnull >= 0 {
            libc::dup2(devnull, 0);
            libc::dup2(devnull, 1);
            if !keep_stderr {
                libc::dup2(devnull, 2);
            }
            if devnull > 2 {
                libc::close(devnull);
            }
        }
    }
    crate::log::backgrounded();
    tracing::info!("Startup successful");
    Ok(())
}
