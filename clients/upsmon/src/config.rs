//! Loading upsmon.conf (parsed by nut-conf) into the machine's [`Settings`] and
//! [`MonitorSpec`]s, plus the parts only the runner needs.

use std::path::{Path, PathBuf};

use nut_conf::upsd_users::Role;
use nut_conf::upsmon_conf::{self, Monitor, UpsmonConf};

use crate::machine::{MonitorSpec, Settings, ShutdownExit};
use crate::notify::{NotifyFlags, NotifyTable, NotifyType};

/// A loaded upsmon.conf.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Where it was read from.
    pub path: PathBuf,
    /// The parsed file.
    pub conf: UpsmonConf,
    /// Warnings found while parsing (printed once at start-up).
    pub warnings: Vec<nut_conf::Diagnostic>,
}

impl Loaded {
    /// The machine's view of the settings.
    pub fn settings(&self) -> Settings {
        let c = &self.conf;
        let mut notify = NotifyTable::default();
        for (t, m) in &c.notifymsg {
            if let Some(t) = NotifyType::from_name(t) {
                notify.set_message(t, m.clone());
            }
        }
        for (t, f) in &c.notifyflag {
            if let Some(t) = NotifyType::from_name(t) {
                notify.set_flags(t, NotifyFlags { syslog: f.syslog, wall: f.wall, exec: f.exec });
            }
        }
        Settings {
            minsupplies: c.minsupplies,
            pollfreq: u64::from(c.pollfreq),
            pollfreqalert: u64::from(c.pollfreqalert),
            deadtime: u64::from(c.deadtime),
            hostsync: u64::from(c.hostsync),
            finaldelay: u64::from(c.finaldelay),
            nocommwarntime: u64::from(c.nocommwarntime),
            rbwarntime: u64::from(c.rbwarntime),
            offduration: i64::from(c.offduration),
            oblbduration: c.oblbduration.map_or(0, i64::from),
            overduration: c.overduration.map_or(-1, i64::from),
            alarmcritical: c.alarmcritical,
            shutdownexit: match c.shutdownexit {
                upsmon_conf::ShutdownExit::Yes => ShutdownExit::Yes,
                upsmon_conf::ShutdownExit::No => ShutdownExit::No,
                upsmon_conf::ShutdownExit::After(s) => ShutdownExit::After(u64::from(s)),
            },
            pollfail_log_throttle_max: c.pollfail_log_throttle_max.map_or(-1, i64::from),
            notify,
        }
    }

    /// One spec per MONITOR line.
    pub fn specs(&self) -> Vec<MonitorSpec> {
        self.conf
            .monitors
            .iter()
            .map(|m| MonitorSpec {
                name: m.system.clone(),
                power_value: m.powervalue,
                primary: m.role == Role::Primary,
            })
            .collect()
    }

    /// The MONITOR line for a system name.
    pub fn monitor(&self, system: &str) -> Option<&Monitor> {
        self.conf.monitors.iter().find(|m| m.system == system)
    }

    /// The file name for messages.
    pub fn file(&self) -> String {
        self.path.display().to_string()
    }
}

/// The configuration file: `-f` would go here; NUT uses `$NUT_CONFPATH/upsmon.conf`.
pub fn default_path() -> PathBuf {
    nut_core::paths::conf_path().join("upsmon.conf")
}

/// Reads and parses upsmon.conf; the error lists every problem with file:line.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| nut_conf::explain_read_error(&file, e.kind(), &running_as()))?;
    match upsmon_conf::parse(&text, &file) {
        Ok((conf, warnings)) => Ok(Loaded { path: path.to_path_buf(), conf, warnings }),
        Err(diags) => Err(format!("{}\nfix the errors above in {file}", nut_conf::render(&diags).trim_end())),
    }
}

/// The user name this process runs as, for messages.
pub fn running_as() -> String {
    let uid = nut_daemon::privs::euid();
    if uid == 0 {
        return "root".into();
    }
    std::env::var("USER").unwrap_or_else(|_| format!("uid {uid}"))
}
