//! The server's shared state: one variable tree per UPS (fed by its driver link), the users,
//! the descriptions and the TRACKING table.
//!
//! Everything lives behind one `std::sync::Mutex` ([`Shared`]). Every request holds it for a
//! few microseconds (a map lookup and formatting into the connection's buffer) and nothing
//! awaits while holding it, so a plain mutex is cheaper than an async one and cannot deadlock
//! across `.await`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nut_core::cmdvartab::Descriptions;
use nut_proto::sock::{name_key as key, with_name_key as with_key, DriverMsg};
use nut_proto::ErrCode;
use tokio::sync::{mpsc, Notify};

use crate::auth::Users;
use crate::tracking::Tracking;

/// One variable of a UPS: the record the driver builds up over its socket.
pub use nut_proto::sock::Var;

/// The state shared by every task.
pub type Shared = Arc<Server>;

/// Shared state plus the lock helper.
#[derive(Debug)]
pub struct Server {
    core: Mutex<Core>,
    /// tcp-wrappers (hosts.allow, hosts.deny) for the commands that need a login.
    pub access: crate::access::Access,
}

impl Server {
    /// Wrap a core, with the tcp-wrappers files to consult.
    pub fn new(core: Core, access: crate::access::Access) -> Shared {
        Arc::new(Server { core: Mutex::new(core), access })
    }

    /// Lock the state. A panic while holding the lock would poison it; the state stays
    /// consistent enough to keep serving (each update is a single map operation), so we
    /// recover the guard instead of taking the whole server down.
    pub fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Identifies one client connection.
pub type ClientId = u64;

/// Everything the requests read and change.
#[derive(Debug)]
pub struct Core {
    /// UPSes in `ups.conf` order (the order of `LIST UPS`).
    pub upses: Vec<Ups>,
    /// `upsd.users`.
    pub users: Users,
    /// `GET DESC` / `GET CMDDESC` texts.
    pub descs: Descriptions,
    /// `TRACKING` results.
    pub tracking: Tracking,
    /// `MAXAGE`.
    pub maxage: Duration,
    next_client: ClientId,
}

impl Core {
    /// An empty state.
    pub fn new(users: Users, descs: Descriptions, maxage: Duration, trackingdelay: Duration) -> Core {
        Core {
            upses: Vec::new(),
            users,
            descs,
            tracking: Tracking::new(trackingdelay),
            maxage,
            next_client: 1,
        }
    }

    /// A fresh client id.
    pub fn new_client_id(&mut self) -> ClientId {
        self.next_client += 1;
        self.next_client
    }

    /// The UPS called `name`, compared case-insensitively as NUT does.
    pub fn ups(&self, name: &str) -> Option<&Ups> {
        self.upses.iter().find(|u| u.name.eq_ignore_ascii_case(name))
    }

    /// Mutable [`Core::ups`].
    pub fn ups_mut(&mut self, name: &str) -> Option<&mut Ups> {
        self.upses.iter_mut().find(|u| u.name.eq_ignore_ascii_case(name))
    }

    /// The UPS, or `ERR UNKNOWN-UPS`.
    pub fn known(&self, name: &str) -> Result<&Ups, ErrCode> {
        self.ups(name).ok_or(ErrCode::UnknownUps)
    }

    /// The UPS if it is known, connected and fresh, else the `ERR` NUT answers.
    pub fn available(&self, name: &str) -> Result<&Ups, ErrCode> {
        let ups = self.known(name)?;
        ups.check_available(self.maxage)?;
        Ok(ups)
    }
}

/// A client logged into a UPS (`LOGIN`), for NUMLOGINS and LIST CLIENT.
#[derive(Debug, Clone)]
pub struct Login {
    /// The connection.
    pub client: ClientId,
    /// Its address.
    pub addr: IpAddr,
    /// Wakes the connection so it closes when the UPS is removed on reload.
    pub kick: Arc<Notify>,
}

/// One UPS of `ups.conf`.
#[derive(Debug)]
pub struct Ups {
    /// Section name.
    pub name: String,
    /// `desc`.
    pub desc: Option<String>,
    /// `driver`.
    pub driver: String,
    /// `<statepath>/<driver>-<name>`.
    pub socket: PathBuf,
    /// Lines to send to the driver; `None` while not connected.
    pub to_driver: Option<mpsc::UnboundedSender<String>>,
    /// DUMPDONE seen since the connection was made.
    pub dumpdone: bool,
    /// The driver's last DATAOK/DATASTALE.
    pub data_ok: bool,
    /// When the driver last sent anything.
    pub last_heard: Instant,
    /// The FSD latch: only a restart of upsd clears it.
    pub fsd: bool,
    /// Variables, keyed by lower-case name (NUT orders and finds them with `strcasecmp`).
    pub vars: BTreeMap<String, Var>,
    /// Instant commands, keyed by lower-case name, with the driver's spelling.
    pub cmds: BTreeMap<String, String>,
    /// Clients logged into this UPS, oldest first.
    pub logins: Vec<Login>,
    /// Bumped when the section changes on reload, so a stale driver link stops.
    pub generation: u64,
    /// `WATCH` subscribers and what they were last told.
    pub watch: crate::watch::Watch,
}

impl Ups {
    /// A UPS whose driver is not connected yet.
    pub fn new(name: String, desc: Option<String>, driver: String, socket: PathBuf) -> Ups {
        Ups {
            name,
            desc,
            driver,
            socket,
            to_driver: None,
            dumpdone: false,
            data_ok: true,
            last_heard: Instant::now(),
            fsd: false,
            vars: BTreeMap::new(),
            cmds: BTreeMap::new(),
            logins: Vec::new(),
            generation: 0,
            watch: crate::watch::Watch::default(),
        }
    }

    /// True while upsd holds a connection to the driver.
    pub fn connected(&self) -> bool {
        self.to_driver.is_some()
    }

    /// True when the data is stale: the driver said DATASTALE (after its dump), or has been
    /// silent for longer than MAXAGE.
    pub fn stale(&self, maxage: Duration) -> bool {
        (self.dumpdone && !self.data_ok) || self.last_heard.elapsed() > maxage
    }

    /// NUT's `ups_available`: DRIVER-NOT-CONNECTED, then DATA-STALE.
    pub fn check_available(&self, maxage: Duration) -> Result<(), ErrCode> {
        if !self.connected() {
            return Err(ErrCode::DriverNotConnected);
        }
        if self.stale(maxage) {
            return Err(ErrCode::DataStale);
        }
        Ok(())
    }

    /// A variable by name, case-insensitively.
    pub fn var(&self, name: &str) -> Option<&Var> {
        with_key(name, |k| self.vars.get(k))
    }

    /// An instant command by name, case-insensitively.
    pub fn has_cmd(&self, name: &str) -> bool {
        with_key(name, |k| self.cmds.contains_key(k))
    }

    /// The driver connected: forget the old tree, show `WAIT` until data arrives, and ask
    /// for a full dump.
    pub fn on_connect(&mut self, tx: mpsc::UnboundedSender<String>) {
        self.vars.clear();
        self.cmds.clear();
        self.dumpdone = false;
        self.data_ok = true;
        self.last_heard = Instant::now();
        self.vars.insert(
            key("ups.status"),
            Var { name: "ups.status".into(), value: nut_core::status::WAIT.into(), ..Var::default() },
        );
        self.to_driver = Some(tx);
    }

    /// The driver went away: its data goes with it.
    pub fn on_disconnect(&mut self) {
        self.to_driver = None;
        self.vars.clear();
        self.cmds.clear();
        self.dumpdone = false;
    }

    /// Apply one message from the driver. Returns a state change worth logging.
    pub fn apply(&mut self, msg: DriverMsg) -> Option<DataChange> {
        self.last_heard = Instant::now();
        match msg {
            DriverMsg::SetInfo(name, mut value) => {
                truncate_value(&mut value);
                let k = key(&name);
                match self.vars.get_mut(&k) {
                    Some(v) => v.value = value,
                    None => {
                        self.vars.insert(k, Var { name, value, ..Var::default() });
                    }
                }
            }
            DriverMsg::DelInfo(name) => {
                self.vars.remove(&key(&name));
            }
            DriverMsg::AddEnum(name, value) => {
                if let Some(v) = self.vars.get_mut(&key(&name)) {
                    if !v.enums.contains(&value) {
                        v.enums.push(value);
                    }
                }
            }
            DriverMsg::DelEnum(name, value) => {
                if let Some(v) = self.vars.get_mut(&key(&name)) {
                    v.enums.retain(|e| *e != value);
                }
            }
            DriverMsg::AddRange(name, min, max) => {
                if let Some(v) = self.vars.get_mut(&key(&name)) {
                    if !v.ranges.contains(&(min, max)) {
                        v.ranges.push((min, max));
                    }
                }
            }
            DriverMsg::DelRange(name, min, max) => {
                if let Some(v) = self.vars.get_mut(&key(&name)) {
                    v.ranges.retain(|r| *r != (min, max));
                }
            }
            DriverMsg::SetAux(name, aux) => {
                if let Some(v) = self.vars.get_mut(&key(&name)) {
                    v.aux = aux;
                }
            }
            DriverMsg::SetFlags(name, flags) => {
                if let Some(v) = self.vars.get_mut(&key(&name)) {
                    v.flags = flags;
                }
            }
            DriverMsg::AddCmd(name) => {
                self.cmds.entry(key(&name)).or_insert(name);
            }
            DriverMsg::DelCmd(name) => {
                self.cmds.remove(&key(&name));
            }
            DriverMsg::DumpDone => self.dumpdone = true,
            DriverMsg::DataOk => {
                let was = self.data_ok;
                self.data_ok = true;
                if !was {
                    return Some(DataChange::Ok);
                }
            }
            DriverMsg::DataStale => {
                let was = self.data_ok;
                self.data_ok = false;
                if was {
                    return Some(DataChange::Stale);
                }
            }
            DriverMsg::Pong | DriverMsg::Pid(_) | DriverMsg::Goodbye | DriverMsg::Tracking(..) => {}
        }
        None
    }
}

/// NUT stores values in a 256-byte buffer, so a value keeps at most 255 bytes.
pub const MAX_VALUE_LEN: usize = 255;

fn truncate_value(v: &mut String) {
    if v.len() > MAX_VALUE_LEN {
        let mut n = MAX_VALUE_LEN;
        while !v.is_char_boundary(n) {
            n -= 1;
        }
        v.truncate(n);
    }
}

/// A change of the driver's data state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataChange {
    /// DATAOK after DATASTALE.
    Ok,
    /// DATASTALE.
    Stale,
}

#[cfg(test)]
mod tests {
    use nut_proto::sock::Flags;

    use super::*;

    fn ups() -> Ups {
        let mut u = Ups::new("ups1".into(), None, "dummy-ups".into(), "/x".into());
        let (tx, _rx) = mpsc::unbounded_channel();
        u.on_connect(tx);
        u
    }

    #[test]
    fn wait_until_data_then_case_insensitive_tree() {
        let mut u = ups();
        assert_eq!(u.var("ups.status").map(|v| v.value.as_str()), Some("WAIT"));
        u.apply(DriverMsg::SetInfo("Zeta".into(), "z".into()));
        u.apply(DriverMsg::SetInfo("alpha".into(), "a".into()));
        u.apply(DriverMsg::SetInfo("UPS.STATUS".into(), "OL".into()));
        let names: Vec<&str> = u.vars.values().map(|v| v.name.as_str()).collect();
        assert_eq!(names, vec!["alpha", "ups.status", "Zeta"]);
        assert_eq!(u.var("ZETA").map(|v| v.value.as_str()), Some("z"));
    }

    #[test]
    fn flags_enums_and_ranges_need_the_variable() {
        let mut u = ups();
        u.apply(DriverMsg::SetFlags("nosuch".into(), Flags { rw: true, ..Flags::default() }));
        u.apply(DriverMsg::AddEnum("nosuch".into(), "x".into()));
        assert!(u.var("nosuch").is_none());
        u.apply(DriverMsg::SetInfo("e".into(), "b".into()));
        for e in ["z", "a", "z"] {
            u.apply(DriverMsg::AddEnum("e".into(), e.into()));
        }
        assert_eq!(u.var("e").map(|v| v.enums.clone()), Some(vec!["z".to_string(), "a".to_string()]));
    }

    #[test]
    fn stale_after_dump_or_silence() {
        let mut u = ups();
        let maxage = Duration::from_secs(15);
        assert_eq!(u.check_available(maxage), Ok(()));
        // DATASTALE during the dump does not count yet.
        u.apply(DriverMsg::DataStale);
        assert_eq!(u.check_available(maxage), Ok(()));
        u.apply(DriverMsg::DumpDone);
        assert_eq!(u.check_available(maxage), Err(ErrCode::DataStale));
        assert_eq!(u.apply(DriverMsg::DataOk), Some(DataChange::Ok));
        assert_eq!(u.check_available(maxage), Ok(()));
        assert_eq!(u.check_available(Duration::ZERO), Err(ErrCode::DataStale));
        u.on_disconnect();
        assert_eq!(u.check_available(maxage), Err(ErrCode::DriverNotConnected));
    }
}
