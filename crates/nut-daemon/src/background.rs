//! Going to the background (NUT's default without `-F`/`-D`).
//!
//! Call [`daemonize`] before starting any thread or async runtime: fork(2) copies only the
//! calling thread.

use std::io;

/// Detach from the terminal: fork, start a new session, fork again, and point stdin, stdout
/// and stderr at `/dev/null` (stderr stays with `NUT_DEBUG_SYSLOG=stderr`). The parent
/// processes exit with status 0. Logging moves to syslog ([`crate::log::backgrounded`]) and
/// NUT 2.8.5's `Startup successful: <program>` line is logged.
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
    crate::info!("{}", startup_line(std::env::current_exe().ok().as_deref()));
    Ok(())
}

/// NUT 2.8.5's line once in the background: `Startup successful: ` and the base name of the
/// program's executable (2.8.0 wrote the first two words only).
fn startup_line(exe: Option<&std::path::Path>) -> String {
    let name = exe.and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // /proc/self/exe names a replaced binary "<path> (deleted)".
    format!("Startup successful: {}", name.trim_end_matches(" (deleted)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_line_names_the_program_as_nut_2_8_5() {
        let p = std::path::Path::new("/lib/nut/dummy-ups");
        assert_eq!(startup_line(Some(p)), "Startup successful: dummy-ups");
        let p = std::path::Path::new("/usr/sbin/upsd (deleted)");
        assert_eq!(startup_line(Some(p)), "Startup successful: upsd");
    }
}
