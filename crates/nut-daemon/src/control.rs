//! `-c <command>` handling shared by the daemons: `reload` becomes SIGHUP and `stop` (or
//! `exit`) SIGTERM, sent to the PID in `<pidpath>/<name>.pid`.

use std::path::Path;

/// The signal NUT sends for a `-c` command, or `None` for an unknown command.
pub fn signal_for(cmd: &str) -> Option<libc::c_int> {
    match cmd {
        "reload" => Some(libc::SIGHUP),
        "stop" | "exit" => Some(libc::SIGTERM),
        "fsd" => Some(libc::SIGUSR1),
        "reload-or-exit" => Some(libc::SIGUSR1),
        _ => None,
    }
}

/// Send `cmd` to the daemon whose PID file is `<pidpath>/<name>.pid`, or to `pid` when given
/// (NUT's `-P`).
pub fn send(name: &str, pidpath: &Path, cmd: &str, pid: Option<i32>) -> Result<(), String> {
    let sig =
        signal_for(cmd).ok_or_else(|| format!("unknown command {cmd:?} for -c (use reload or stop)"))?;
    if let Some(pid) = pid {
        // SAFETY: kill(2) takes plain integers.
        let rc = unsafe { libc::kill(pid, sig) };
        return if rc == 0 {
            Ok(())
        } else {
            Err(format!("can't signal process {pid}: {}", std::io::Error::last_os_error()))
        };
    }
    crate::pidfile::signal(pidpath.join(format!("{name}.pid")), sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_map_to_nut_signals() {
        assert_eq!(signal_for("reload"), Some(libc::SIGHUP));
        assert_eq!(signal_for("stop"), Some(libc::SIGTERM));
        assert_eq!(signal_for("bogus"), None);
    }
}
