//! Delivering log lines and notifications: stderr (through tracing), syslog, WALL, NOTIFYCMD.
//!
//! WALL and NOTIFYCMD run as child processes that upsmon does not wait for (NUT forks for the
//! same reason: a slow notifier must never delay the next poll); [`Children::reap`] collects
//! them.

use std::io::Write;
use std::process::{Child, Command, Stdio};

use crate::machine::{Level, Notification};

/// Writes one line to the log: stderr in the foreground, syslog once in the background (or
/// with `NUT_DEBUG_SYSLOG`), as nut-daemon's logging layer decides for every daemon.
pub fn log(level: Level, msg: &str) {
    match level {
        Level::Debug => tracing::debug!("{msg}"),
        Level::Info | Level::Notice => tracing::info!("{msg}"),
        Level::Warning => tracing::warn!("{msg}"),
        Level::Err | Level::Crit | Level::Alert => tracing::error!("{msg}"),
    }
}

/// Child processes still running (WALL, NOTIFYCMD).
#[derive(Default)]
pub struct Children(Vec<Child>);

impl Children {
    /// Collects the ones that have exited.
    pub fn reap(&mut self) {
        self.0.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
    }

    /// Waits for all of them (the test-notification command does, so its output is complete).
    pub fn wait_all(&mut self) {
        for c in &mut self.0 {
            let _ = c.wait();
        }
        self.0.clear();
    }
}

/// Writes `msg` to every logged-in terminal through `wall`.
pub fn wall(msg: &str, children: &mut Children) {
    match Command::new("wall").stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
        Ok(mut c) => {
            if let Some(mut stdin) = c.stdin.take() {
                let _ = writeln!(stdin, "{msg}");
            }
            children.0.push(c);
        }
        Err(e) => {
            log(Level::Warning, &format!("cannot run wall to notify logged-in users: {e} (install bsdutils)"))
        }
    }
}

/// Delivers a notification as its flags say. NOTIFYCMD runs through the shell like NUT's
/// `system("NOTIFYCMD \"message\"")`, but the message goes in as `$1`, so quotes or `$` in
/// it cannot change the command.
pub fn notify(n: &Notification, notifycmd: Option<&str>, children: &mut Children) {
    if n.flags.syslog {
        log(Level::Notice, &n.message);
    } else {
        log(Level::Debug, &format!("notification {} (not logged: NOTIFYFLAG): {}", n.ntype, n.message));
    }
    if n.flags.wall {
        wall(&n.message, children);
    }
    if n.flags.exec {
        match notifycmd {
            Some(cmd) => {
                let spawned = Command::new("/bin/sh")
                    .arg("-c")
                    .arg(format!("{cmd} \"$1\""))
                    .arg("upsmon")
                    .arg(&n.message)
                    .env("UPSNAME", n.ups.as_deref().unwrap_or(""))
                    .env("NOTIFYTYPE", n.ntype.name())
                    .stdin(Stdio::null())
                    .spawn();
                match spawned {
                    Ok(c) => children.0.push(c),
                    Err(e) => log(Level::Err, &format!("cannot run NOTIFYCMD [{cmd}]: {e}")),
                }
            }
            None => log(
                Level::Warning,
                &format!(
                    "NOTIFYFLAG {} has EXEC but NOTIFYCMD is not set in upsmon.conf: nothing was run",
                    n.ntype
                ),
            ),
        }
    }
}
