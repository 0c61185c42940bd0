//! `status`: one row per UPS from its PID file and a short dialog on its socket (`PING`,
//! `GETPID`, `DUMPSTATUS`), under NUT's header.

use std::time::Duration;

use crate::drvsock::DriverConn;
use crate::plan;
use crate::procs::{self, Check};
use crate::run::Run;
use crate::status::{self, PidFile, Probe};

/// How long each socket question may take, as in NUT.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Print the row of UPS `idx`, after the header when `header_done` is false.
pub fn status(run: &Run, idx: usize, header_done: &mut bool) {
    let ups = &run.upses[idx];
    let probe = probe(run, idx);
    let mut out = String::new();
    if !*header_done {
        out.push_str(&status::header());
        *header_done = true;
    }
    out.push_str(&status::row(&ups.name, &ups.driver, &probe));
    print!("{out}");
}

fn alive(pid: i64, driver: &str) -> Option<bool> {
    match procs::check(pid, driver, true) {
        Check::Ok => Some(true),
        Check::Gone | Check::Other(_) => Some(false),
        Check::Invalid => None,
    }
}

/// Everything `status` finds out about the driver of UPS `idx`.
pub fn probe(run: &Run, idx: usize) -> Probe {
    let ups = &run.upses[idx];
    let (pidfile, _) = plan::pid_files(&run.pidpath, ups);
    let mut p = Probe {
        pid_file: Some(match procs::read_pid_file(&pidfile) {
            Ok(pf) => pf,
            Err(_) => PidFile::Missing,
        }),
        ..Probe::default()
    };
    let file_pid = p.pid_file.and_then(PidFile::usable);
    p.pid_file_alive = file_pid.and_then(|pid| alive(pid, &ups.driver));
    if let Ok(mut c) = DriverConn::connect(&run.socket(ups)) {
        p.responsive = c.prepare(TIMEOUT).unwrap_or(false);
        if p.responsive {
            p.socket_pid = c.get_pid(TIMEOUT).ok().flatten();
            if p.socket_pid.is_some() {
                p.status = c.status(TIMEOUT).ok().flatten();
            }
        }
        c.close();
    }
    // The PID from the socket is checked when the PID file gave none that runs the driver.
    if p.pid_file_alive != Some(true) {
        if let Some(spid) = p.socket_pid.filter(|s| Some(*s) != file_pid) {
            p.socket_pid_alive = alive(spid, &ups.driver);
        }
    }
    p
}
