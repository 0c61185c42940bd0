//! Privilege separation as in NUT: the process that stays root does one thing, on request
//! from the unprivileged monitor over a pipe: write POWERDOWNFLAG and run SHUTDOWNCMD. With
//! `-p` (or when not started as root) the monitor does both itself.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::process::Command;

use crate::deliver::log;
use crate::machine::Level;

/// The magic line NUT writes into POWERDOWNFLAG; shutdown scripts check for it.
pub const SDMAGIC: &str = "upsmon-shutdown-file";

/// What the privileged side needs.
#[derive(Clone, Debug, Default)]
pub struct ShutdownConf {
    /// POWERDOWNFLAG, if set.
    pub pdflag: Option<String>,
    /// SHUTDOWNCMD, if set.
    pub shutdowncmd: Option<String>,
}

/// How the monitor gets the shutdown done.
pub enum Shutdowner {
    /// Same process: do it directly.
    Direct(ShutdownConf),
    /// Ask the privileged parent over the pipe.
    Pipe {
        /// Write end.
        pipe: File,
        /// The parent's PID, to notice when it is gone.
        parent: i32,
        /// What the parent was started with (it cannot change).
        conf: ShutdownConf,
    },
}

impl Shutdowner {
    /// WritePowerdownFlag: done here when there is no parent (the parent does it itself
    /// right before SHUTDOWNCMD).
    pub fn write_pdflag(&mut self) {
        if let Shutdowner::Direct(c) = self {
            set_pdflag(c.pdflag.as_deref());
        }
    }

    /// Shutdown: run SHUTDOWNCMD (here or in the parent).
    pub fn shutdown(&mut self) {
        match self {
            Shutdowner::Direct(c) => {
                if nut_daemon::privs::euid() != 0 {
                    log(Level::Warning, "Not root, shutdown may fail");
                }
                nut_daemon::notify::extend_timeout(
                    nut_daemon::notify::EXTEND_TIMEOUT_INFINITY_USEC,
                    Some("Mono-process: calling shutdown command (directly)"),
                );
                run_shutdowncmd(c.shutdowncmd.as_deref());
            }
            Shutdowner::Pipe { pipe, .. } => {
                if pipe.write_all(b"S").is_err() {
                    log(Level::Alert, "Unable to call parent pipe for shutdown");
                }
            }
        }
    }

    /// A reload changed SHUTDOWNCMD or POWERDOWNFLAG: the same process takes the new values;
    /// the privileged parent cannot be told, so NUT's warning says a restart is needed.
    pub fn reconfigure(&mut self, new: ShutdownConf, conf_file: &str) {
        match self {
            Shutdowner::Direct(c) => *c = new,
            Shutdowner::Pipe { conf, .. } => {
                for (key, old, new) in [
                    ("SHUTDOWNCMD", &conf.shutdowncmd, &new.shutdowncmd),
                    ("POWERDOWNFLAG", &conf.pdflag, &new.pdflag),
                ] {
                    if old != new {
                        log(Level::Warning, &format!("Warning: {key} redefined in {conf_file}!"));
                        log(Level::Warning, "You must restart upsmon for this change to work");
                    }
                }
            }
        }
    }

    /// False once the privileged parent has died.
    pub fn parent_alive(&self) -> bool {
        match self {
            Shutdowner::Direct(_) => true,
            // SAFETY: getppid has no preconditions.
            Shutdowner::Pipe { parent, .. } => (unsafe { libc::getppid() }) == *parent,
        }
    }
}

/// Writes POWERDOWNFLAG with NUT's magic line.
pub fn set_pdflag(path: Option<&str>) {
    let Some(path) = path else { return };
    match std::fs::write(path, format!("{SDMAGIC}\n")) {
        Ok(()) => log(Level::Info, &format!("Wrote power down flag file {path}")),
        Err(e) => log(Level::Err, &format!("Failed to create power down flag {path}: {e}")),
    }
}

/// True when POWERDOWNFLAG exists and holds the magic line (`upsmon -K`).
pub fn pdflag_is_set(path: &str) -> Result<bool, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.lines().next() == Some(SDMAGIC)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("cannot read POWERDOWNFLAG {path}: {e}")),
    }
}

/// Removes a POWERDOWNFLAG left by the last shutdown, as upsmon does at start-up. A file
/// without the magic line is left alone (it may be something else entirely).
pub fn clear_pdflag(path: &str) {
    match pdflag_is_set(path) {
        Ok(true) => {
            if let Err(e) = std::fs::remove_file(path) {
                log(Level::Err, &format!("cannot remove the old POWERDOWNFLAG {path}: {e}"));
            }
        }
        Ok(false) if std::path::Path::new(path).exists() => log(
            Level::Err,
            &format!("POWERDOWNFLAG ({path}) does not contain the upsmon magic string - not touching it"),
        ),
        _ => {}
    }
}

fn run_shutdowncmd(cmd: Option<&str>) {
    let Some(cmd) = cmd else {
        log(Level::Alert, "Warning: no shutdown command defined! Add SHUTDOWNCMD to upsmon.conf");
        return;
    };
    log(Level::Crit, &format!("Running SHUTDOWNCMD: {cmd}"));
    match Command::new("/bin/sh").arg("-c").arg(cmd).status() {
        Ok(s) if s.success() => {}
        Ok(s) => log(Level::Err, &format!("SHUTDOWNCMD [{cmd}] failed: {s}")),
        Err(e) => log(Level::Err, &format!("Unable to call shutdown command [{cmd}]: {e}")),
    }
}

/// Forks. The parent stays root and serves shutdown requests until the child exits (it never
/// returns); the child gets the [`Shutdowner`] to reach it. Must run before any thread starts.
pub fn start(conf: ShutdownConf) -> Result<Shutdowner, String> {
    let mut fds = [0; 2];
    // SAFETY: pipe fills the two-element array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!(
            "cannot create the pipe to the privileged parent: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: no other thread exists yet (documented precondition).
    match unsafe { libc::fork() } {
        -1 => Err(format!("fork failed: {}", std::io::Error::last_os_error())),
        0 => {
            // SAFETY: we own both descriptors; the read end belongs to the parent.
            unsafe { libc::close(fds[0]) };
            // SAFETY: fds[1] is an open descriptor nothing else owns.
            Ok(Shutdowner::Pipe { pipe: unsafe { File::from_raw_fd(fds[1]) }, parent, conf })
        }
        child => {
            // SAFETY: as above, for the other end.
            unsafe { libc::close(fds[1]) };
            // SAFETY: fds[0] is an open descriptor nothing else owns.
            run_parent(unsafe { File::from_raw_fd(fds[0]) }, &conf, child)
        }
    }
}

fn run_parent(mut pipe: File, conf: &ShutdownConf, child: libc::pid_t) -> ! {
    // The monitor handles SIGHUP/SIGUSR1; a terminal's Ctrl-C reaches both, and the parent
    // must outlive the child's clean logout, so it leaves on the pipe's EOF instead.
    // SAFETY: setting a disposition to SIG_IGN is always safe.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGUSR1, libc::SIG_IGN);
    }
    let mut buf = [0u8; 1];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => {
                // Reap the monitor so it does not linger as a zombie.
                // SAFETY: waitpid on our own child with a null status pointer.
                unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
                log(Level::Info, "upsmon parent: exiting (child exited)");
                std::process::exit(0);
            }
            Ok(_) if buf[0] == b'S' => {
                nut_daemon::notify::stopping(Some("Parent: calling shutdown command"));
                nut_daemon::notify::extend_timeout(nut_daemon::notify::EXTEND_TIMEOUT_INFINITY_USEC, None);
                set_pdflag(conf.pdflag.as_deref());
                run_shutdowncmd(conf.shutdowncmd.as_deref());
            }
            Ok(_) => log(Level::Err, &format!("upsmon parent: got bogus pipe command {}", buf[0])),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                log(Level::Err, &format!("upsmon parent: read: {e}"));
                std::process::exit(1);
            }
        }
    }
}
