//! `-c <command>`: what NUT 2.8.5's upsdrvctl sends to running drivers.
//!
//! Two commands are not signals but requests on the driver socket (`INSTCMD driver.exit`,
//! `INSTCMD driver.reload-or-error`); the others are signals sent to the PID in the driver's
//! PID file. NUT matches the word as a prefix, in this order: `reload-or-error`, `exit`,
//! `dump`, `data-dump`, `reload`, `reload-or-exit`. So `-c reload` (a prefix of
//! `reload-or-error`) is the socket request `reload-or-error` in NUT 2.8.5, and `-c e` is
//! `exit`; we keep that. Drivers older than 2.8.1 answer the socket request with "unknown
//! command": then the matching signal is sent instead (see `commands::signal`).

/// One `-c` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlCmd {
    /// `reload-or-error` (and `reload`, see the module notes): socket request.
    ReloadOrError,
    /// `exit`: socket request.
    Exit,
    /// `dump` / `data-dump`: SIGURG.
    Dump,
    /// `reload-or-exit`: SIGUSR1.
    ReloadOrExit,
}

/// How a command reaches the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// `INSTCMD driver.<name>` on the driver socket.
    Socket(&'static str),
    /// A signal to the driver's PID.
    Signal(libc::c_int),
}

impl ControlCmd {
    /// NUT's matching of the `-c` argument (a prefix of a command name, first match wins).
    pub fn parse(arg: &str) -> Option<ControlCmd> {
        let is_prefix_of = |name: &str| name.starts_with(arg);
        if is_prefix_of("reload-or-error") {
            Some(ControlCmd::ReloadOrError)
        } else if is_prefix_of("exit") {
            Some(ControlCmd::Exit)
        } else if is_prefix_of("dump") || is_prefix_of("data-dump") {
            Some(ControlCmd::Dump)
        } else if is_prefix_of("reload-or-exit") {
            // `reload` itself never gets here: it is a prefix of reload-or-error.
            Some(ControlCmd::ReloadOrExit)
        } else {
            None
        }
    }

    /// The command's name (as `driver.<name>` for socket requests).
    pub fn name(self) -> &'static str {
        match self {
            ControlCmd::ReloadOrError => "reload-or-error",
            ControlCmd::Exit => "exit",
            ControlCmd::Dump => "dump",
            ControlCmd::ReloadOrExit => "reload-or-exit",
        }
    }

    /// How NUT delivers it.
    pub fn delivery(self) -> Delivery {
        match self {
            ControlCmd::ReloadOrError => Delivery::Socket("reload-or-error"),
            ControlCmd::Exit => Delivery::Socket("exit"),
            ControlCmd::Dump => Delivery::Signal(signal_of("dump", libc::SIGURG)),
            ControlCmd::ReloadOrExit => Delivery::Signal(signal_of("reload-or-exit", libc::SIGUSR1)),
        }
    }

    /// For a socket request that the driver does not know (a driver older than NUT 2.8.1):
    /// the signal with the nearest effect (SIGHUP reloads, SIGTERM exits).
    pub fn fallback_signal(self) -> Option<libc::c_int> {
        match self {
            ControlCmd::ReloadOrError => Some(signal_of("reload", libc::SIGHUP)),
            ControlCmd::Exit => Some(signal_of("exit", libc::SIGTERM)),
            ControlCmd::Dump | ControlCmd::ReloadOrExit => None,
        }
    }
}

/// The signal the daemons' shared `-c` table gives a command, else NUT's.
fn signal_of(cmd: &str, nut: libc::c_int) -> libc::c_int {
    nut_daemon::control::signal_for(cmd).unwrap_or(nut)
}

/// `strsignal(3)`'s text for the debug lines NUT prints (`10 (User defined signal 1)`).
pub fn signal_text(sig: libc::c_int) -> String {
    // SAFETY: strsignal returns a pointer to a static or thread-local string (or NULL), which we
    // copy at once.
    let p = unsafe { libc::strsignal(sig) };
    if p.is_null() {
        return format!("Unknown signal {sig}");
    }
    // SAFETY: non-NULL strsignal results are NUL-terminated.
    unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nut_prefix_matching_in_nut_order() {
        assert_eq!(ControlCmd::parse("reload-or-error"), Some(ControlCmd::ReloadOrError));
        // NUT 2.8.5: `reload` is matched by reload-or-error first.
        assert_eq!(ControlCmd::parse("reload"), Some(ControlCmd::ReloadOrError));
        assert_eq!(ControlCmd::parse("r"), Some(ControlCmd::ReloadOrError));
        assert_eq!(ControlCmd::parse(""), Some(ControlCmd::ReloadOrError));
        assert_eq!(ControlCmd::parse("exit"), Some(ControlCmd::Exit));
        assert_eq!(ControlCmd::parse("e"), Some(ControlCmd::Exit));
        assert_eq!(ControlCmd::parse("dump"), Some(ControlCmd::Dump));
        assert_eq!(ControlCmd::parse("data-dump"), Some(ControlCmd::Dump));
        assert_eq!(ControlCmd::parse("d"), Some(ControlCmd::Dump));
        assert_eq!(ControlCmd::parse("reload-or-exit"), Some(ControlCmd::ReloadOrExit));
        assert_eq!(ControlCmd::parse("reload-or-ex"), Some(ControlCmd::ReloadOrExit));
        // reload-or-restart is not available in NUT 2.8.5 builds.
        assert_eq!(ControlCmd::parse("reload-or-restart"), None);
        assert_eq!(ControlCmd::parse("stop"), None);
        assert_eq!(ControlCmd::parse("exit2"), None);
        assert_eq!(ControlCmd::parse("EXIT"), None);
    }

    #[test]
    fn deliveries_are_nuts() {
        assert_eq!(ControlCmd::Exit.delivery(), Delivery::Socket("exit"));
        assert_eq!(ControlCmd::ReloadOrError.delivery(), Delivery::Socket("reload-or-error"));
        assert_eq!(ControlCmd::ReloadOrExit.delivery(), Delivery::Signal(libc::SIGUSR1));
        assert_eq!(ControlCmd::Dump.delivery(), Delivery::Signal(libc::SIGURG));
        assert_eq!(ControlCmd::Exit.fallback_signal(), Some(libc::SIGTERM));
        assert_eq!(ControlCmd::ReloadOrError.fallback_signal(), Some(libc::SIGHUP));
        assert_eq!(signal_text(libc::SIGUSR1), "User defined signal 1");
    }
}
