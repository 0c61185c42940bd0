//! Test support shared by the upsmon end-to-end tests: a dummy-ups + upsd stack (Debian's or
//! ours) in a temp dir, and one upsmon (Debian's 2.8.0 or ours) with a notify log and a
//! harmless SHUTDOWNCMD that only writes a marker file.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{wait_until, Proc, TempDir};

/// Our upsmon, built with this test.
pub const OURS: &str = env!("CARGO_BIN_EXE_upsmon");

/// The notify types NUT 2.8.0 knows (Debian's upsmon rejects NOTIFYFLAG for the others).
pub const TYPES_2_8_0: &[&str] =
    &["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN", "REPLBATT", "NOCOMM", "CAL"];

/// Which implementation runs a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    /// Ours, from target/debug.
    Ours,
    /// Debian's NUT 2.8.0.
    Debian,
}

/// Path of upsd or dummy-ups for `which`.
pub fn program(which: Impl, name: &str) -> PathBuf {
    match which {
        Impl::Ours => nut_testkit::bin(name),
        Impl::Debian => PathBuf::from(format!("/lib/nut/{name}")),
    }
}

/// True when Debian's upsd, dummy-ups and upsmon are installed and `unshare -m` works (Debian's
/// upsmon needs a private /run/nut); prints why not otherwise, and fails under
/// NUT_REQUIRE_DEBIAN.
pub fn debian_available(test: &str) -> bool {
    nut_testkit::require_debian_nut(test) && nut_testkit::require(test, nut_testkit::Prereq::Unshare)
}

/// True when process `pid` has a listening TCP socket on `port` (found through /proc), so a
/// port taken by some other test's daemon is not mistaken for ours.
pub fn listens(pid: u32, port: u16) -> bool {
    let mut inodes = Vec::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 10 || cols[3] != "0A" {
                continue;
            }
            let p = cols[1].rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if p == Some(port) {
                inodes.push(format!("socket:[{}]", cols[9]));
            }
        }
    }
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().any(|e| {
        std::fs::read_link(e.path()).is_ok_and(|l| inodes.iter().any(|i| Path::new(i) == l.as_path()))
    })
}

/// A port on `addr` held by a bound listener until [`Reserved::release`], so no other test
/// gets it from the kernel in the meantime.
pub struct Reserved {
    listener: Option<TcpListener>,
    /// The port.
    pub port: u16,
}

impl Reserved {
    /// Binds `addr:0`.
    pub fn new(addr: &str) -> Reserved {
        let l = TcpListener::bind((addr, 0)).expect("bind a free port");
        let port = l.local_addr().expect("local addr").port();
        Reserved { listener: Some(l), port }
    }

    /// Closes the listener right before the daemon that needs the port starts.
    pub fn release(&mut self) {
        self.listener = None;
    }
}

/// What a `.dev`/`.seq` file starts with.
pub const ONLINE_DEV: &str = "ups.status: OL\nbattery.charge: 100\n";

/// dummy-ups drivers and an upsd in a temp dir.
pub struct Stack {
    /// The config/state directory.
    pub dir: TempDir,
    /// upsd's port on `addr`.
    pub port: u16,
    /// The address upsd listens on.
    pub addr: String,
    /// Which upsd and dummy-ups run.
    pub which: Impl,
    drivers: Vec<(String, Proc)>,
    upsd: Option<Proc>,
    mtime: std::cell::Cell<u64>,
    /// Runs every daemon through this prefix (e.g. `ip netns exec NS`).
    wrap: Vec<String>,
    /// Extra upsd.conf lines.
    upsd_extra: String,
}

impl Stack {
    /// Starts one dummy-ups per `(ups, file contents, extension)` and upsd, all from `which`.
    pub fn new(which: Impl, upses: &[(&str, &str, &str)]) -> Stack {
        Stack::new_in(which, upses, "127.0.0.1", &[])
    }

    /// Like [`Stack::new`], with upsd listening on `addr` and each daemon run through `wrap`.
    pub fn new_in(which: Impl, upses: &[(&str, &str, &str)], addr: &str, wrap: &[&str]) -> Stack {
        Stack::new_full(which, upses, addr, wrap, "")
    }

    /// Like [`Stack::new_in`], with extra upsd.conf lines (e.g. CERTFILE).
    pub fn new_full(
        which: Impl,
        upses: &[(&str, &str, &str)],
        addr: &str,
        wrap: &[&str],
        upsd_extra: &str,
    ) -> Stack {
        let dir = TempDir::new().expect("temp dir");
        let d = dir.path();
        let mut ups_conf = String::from("pollinterval = 1\n");
        for (u, contents, ext) in upses {
            ups_conf.push_str(&format!("[{u}]\n driver = dummy-ups\n port = {}/{u}.{ext}\n", d.display()));
            std::fs::write(d.join(format!("{u}.{ext}")), contents).expect("dev");
        }
        std::fs::write(d.join("ups.conf"), ups_conf).expect("ups.conf");
        std::fs::write(
            d.join("upsd.users"),
            "[mon]\n password = pw\n upsmon primary\n[sec]\n password = pw\n upsmon secondary\n\
             [oldmaster]\n password = pw\n upsmon master\n[oldslave]\n password = pw\n upsmon slave\n\
             [admin]\n password = pw\n actions = FSD\n",
        )
        .expect("upsd.users");
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut s = Stack {
            dir,
            port: 0,
            addr: addr.to_string(),
            which,
            drivers: Vec::new(),
            upsd: None,
            mtime: now.into(),
            wrap: wrap.iter().map(|s| s.to_string()).collect(),
            upsd_extra: upsd_extra.to_string(),
        };
        for (u, _, _) in upses {
            s.start_driver(u);
        }
        // A port can still be taken between release and upsd's bind: try a fresh one then.
        for attempt in 0.. {
            let mut r = if s.wrap.is_empty() {
                Reserved::new(addr)
            } else {
                Reserved { listener: None, port: 34930 }
            };
            s.port = r.port;
            r.release();
            if s.start_upsd_once() {
                break;
            }
            assert!(attempt < 5, "upsd did not start; log:\n{}", s.upsd_log());
        }
        if s.wrap.is_empty() {
            for (u, _, _) in upses {
                s.wait_data(u);
            }
        }
        s
    }

    /// Waits until upsd answers `ups.status` for `ups` with real data: before the driver's
    /// dump NUT's upsd answers `WAIT`, which upsmons treat differently from OL.
    pub fn wait_data(&self, ups: &str) {
        let ok = wait_until(Duration::from_secs(15), || {
            nut_client::Client::connect(&self.addr, self.port)
                .and_then(|mut c| c.get_var(ups, "ups.status"))
                .is_ok_and(|st| st != "WAIT")
        });
        assert!(ok, "upsd has no data for {ups}; log:\n{}", self.upsd_log());
    }

    fn command(&self, program: &Path) -> Command {
        let mut c = if self.wrap.is_empty() {
            Command::new(program)
        } else {
            let mut c = Command::new(&self.wrap[0]);
            c.args(&self.wrap[1..]).arg(program);
            c
        };
        let d = self.dir.path();
        c.env("NUT_CONFPATH", d).env("NUT_STATEPATH", d).env("NUT_ALTPIDPATH", d);
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c
    }

    /// Starts (again) the driver for `ups`.
    pub fn start_driver(&mut self, ups: &str) {
        let mut c = self.command(&program(self.which, "dummy-ups"));
        c.args(["-a", ups, "-u", "root", "-F"]);
        if let Ok(f) = std::fs::File::create(self.dir.path().join(format!("drv-{ups}.log"))) {
            c.stderr(f);
        }
        self.drivers.push((ups.to_string(), Proc::spawn(c)));
        let sock = self.dir.path().join(format!("dummy-ups-{ups}"));
        assert!(wait_until(Duration::from_secs(10), || sock.exists()), "dummy-ups {ups} did not start");
    }

    /// Stops the driver for `ups`.
    pub fn stop_driver(&mut self, ups: &str) {
        if let Some(i) = self.drivers.iter().position(|(u, _)| u == ups) {
            let (_, mut p) = self.drivers.remove(i);
            p.terminate(Duration::from_secs(5));
        }
    }

    fn start_upsd_once(&mut self) -> bool {
        let d = self.dir.path();
        std::fs::write(
            d.join("upsd.conf"),
            format!(
                "LISTEN {} {}\nSTATEPATH {}\nMAXAGE 5\n{}",
                self.addr,
                self.port,
                d.display(),
                self.upsd_extra
            ),
        )
        .expect("upsd.conf");
        let mut c = self.command(&program(self.which, "upsd"));
        c.args(["-u", "root", "-F"]);
        if let Ok(f) = std::fs::OpenOptions::new().create(true).append(true).open(d.join("upsd.log")) {
            c.stderr(f);
        }
        let mut p = Proc::spawn(c);
        let port = self.port;
        let wrapped = !self.wrap.is_empty();
        let addr = self.addr.clone();
        let mut up = false;
        wait_until(Duration::from_secs(10), || {
            if !p.is_running() {
                return true;
            }
            // Inside another network namespace /proc/net/tcp is not ours to read: connect
            // through the namespace instead.
            up = if wrapped {
                Command::new("ip")
                    .args(["netns", "exec", &self.wrap[3], "bash", "-c"])
                    .arg(format!("exec 3<>/dev/tcp/{addr}/{port}"))
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            } else {
                listens(p.pid(), port)
            };
            up
        });
        if up {
            self.upsd = Some(p);
        }
        up
    }

    /// Starts upsd again on the same port (after [`Stack::stop_upsd`]).
    pub fn start_upsd(&mut self) {
        for _ in 0..5 {
            if self.start_upsd_once() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("upsd did not start again on port {}; log:\n{}", self.port, self.upsd_log());
    }

    /// Stops upsd.
    pub fn stop_upsd(&mut self) {
        if let Some(mut p) = self.upsd.take() {
            p.terminate(Duration::from_secs(5));
        }
    }

    /// upsd's output so far.
    pub fn upsd_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("upsd.log")).unwrap_or_default()
    }

    /// Rewrites a .dev file with `status` and a fresh, distinct mtime so dummy-ups re-reads it.
    pub fn set(&self, ups: &str, status: &str) {
        let charge = if status.contains("LB") { 5 } else { 80 };
        self.write_dev(
            ups,
            &format!("ups.status: {status}\nbattery.charge: {charge}\nups.alarm: Replace battery\n"),
        );
    }

    /// Rewrites `<ups>.dev` with `contents` (and a new mtime).
    pub fn write_dev(&self, ups: &str, contents: &str) {
        let path = self.dir.path().join(format!("{ups}.dev"));
        std::fs::write(&path, contents).expect("write dev");
        self.mtime.set(self.mtime.get() + 1);
        let st = Command::new("touch").arg("-d").arg(format!("@{}", self.mtime.get())).arg(&path).status();
        assert!(st.is_ok_and(|s| s.success()), "touch failed");
    }

    /// `GET NUMLOGINS <ups>`, or `None` when upsd does not answer it.
    pub fn numlogins(&self, ups: &str) -> Option<u32> {
        nut_client::Client::connect(&self.addr, self.port).and_then(|mut c| c.get_numlogins(ups)).ok()
    }

    /// `LIST CLIENT <ups>`: the addresses of the clients logged in to `ups`.
    pub fn clients(&self, ups: &str) -> Option<Vec<String>> {
        nut_client::Client::connect(&self.addr, self.port).and_then(|mut c| c.list_client(ups)).ok()
    }

    /// Sets the FSD latch as a primary elsewhere would (`actions = FSD` user).
    pub fn fsd(&self, ups: &str) {
        use std::io::{BufRead, BufReader, Write};
        let mut s = std::net::TcpStream::connect((self.addr.as_str(), self.port)).expect("connect upsd");
        s.write_all(format!("USERNAME admin\nPASSWORD pw\nFSD {ups}\nLOGOUT\n").as_bytes()).expect("send");
        let mut r = BufReader::new(s);
        let mut all = String::new();
        for _ in 0..3 {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap_or(0) == 0 {
                break;
            }
            all.push_str(&l);
        }
        assert!(all.contains("OK FSD-SET"), "FSD refused: {all}");
    }
}

/// One upsmon under test with its own config dir, notify log and shutdown marker.
pub struct Upsmon {
    /// Its config dir (upsmon.conf, notify.log, shutdown.marker, upsmon.log).
    pub dir: TempDir,
    /// Which implementation.
    pub which: Impl,
    proc: Option<Proc>,
}

/// How to configure an [`Upsmon`].
pub struct MonConf<'a> {
    /// `(ups, role, user)` MONITOR entries on `host:port`.
    pub monitors: Vec<(&'a str, &'a str, &'a str)>,
    /// upsd's address.
    pub host: String,
    /// upsd's port.
    pub port: u16,
    /// Extra upsmon.conf lines (POLLFREQ and the like override the defaults below).
    pub extra: String,
    /// Run through this prefix (e.g. `ip netns exec NS`).
    pub wrap: Vec<String>,
    /// Extra command-line flags (e.g. `-4`).
    pub flags: String,
}

impl<'a> MonConf<'a> {
    /// MONITOR entries on a loopback stack, with the user matching the role.
    pub fn on(stack: &Stack, monitors: &[(&'a str, &'a str)]) -> MonConf<'a> {
        MonConf {
            monitors: monitors
                .iter()
                .map(|(u, r)| (*u, *r, if *r == "primary" || *r == "master" { "mon" } else { "sec" }))
                .collect(),
            host: stack.addr.clone(),
            port: stack.port,
            extra: String::new(),
            wrap: Vec::new(),
            flags: String::new(),
        }
    }
}

impl Upsmon {
    /// Writes the config and starts upsmon in the foreground without privilege separation.
    pub fn start(which: Impl, mc: &MonConf) -> Upsmon {
        Upsmon::start_env(which, mc, &[])
    }

    /// [`Upsmon::start`] with extra environment variables.
    pub fn start_env(which: Impl, mc: &MonConf, env: &[(&str, &str)]) -> Upsmon {
        let dir = TempDir::new().expect("temp dir");
        let d = dir.path();
        let mut conf = String::new();
        for (ups, role, user) in &mc.monitors {
            conf.push_str(&format!("MONITOR {ups}@{}:{} 1 {user} pw {role}\n", mc.host, mc.port));
        }
        // Later lines win in both upsmons, so `extra` overrides these.
        conf.push_str(&format!(
            "MINSUPPLIES 1\nPOLLFREQ 1\nPOLLFREQALERT 1\nDEADTIME 3\nHOSTSYNC 2\nFINALDELAY 0\n\
             NOTIFYCMD {d}/notify.sh\nSHUTDOWNCMD \"{d}/shutdown.sh\"\nPOWERDOWNFLAG {d}/killpower\n",
            d = d.display()
        ));
        conf.push_str(&mc.extra);
        let types: Vec<&str> = match which {
            Impl::Debian => TYPES_2_8_0.to_vec(),
            Impl::Ours => upsmon::notify::NotifyType::all().map(|t| t.name()).collect(),
        };
        for t in types {
            conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
        }
        std::fs::write(d.join("upsmon.conf"), conf).expect("upsmon.conf");
        let script = d.join("notify.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$(date +%s%N) $NOTIFYTYPE $UPSNAME\" >> {}/notify.log\n", d.display()),
        )
        .expect("notify.sh");
        // The shutdown command only leaves a marker with the time it ran (renamed into place, so
        // the marker never exists without its time).
        let shut = d.join("shutdown.sh");
        std::fs::write(
            &shut,
            format!(
                "#!/bin/sh\ndate +%s%N > {d}/shutdown.tmp && mv {d}/shutdown.tmp {d}/shutdown.marker\n",
                d = d.display()
            ),
        )
        .expect("shutdown.sh");
        for (f, mode) in [(script.as_path(), "700"), (shut.as_path(), "700"), (&d.join("upsmon.conf"), "600")]
        {
            Command::new("chmod").arg(mode).arg(f).status().expect("chmod");
        }
        let mut c = if mc.wrap.is_empty() {
            Command::new("unshare")
        } else {
            let mut c = Command::new(&mc.wrap[0]);
            c.args(&mc.wrap[1..]).arg("unshare");
            c
        };
        // Debian's upsmon always uses /run/nut/upsmon.pid: give it (and ours, for symmetry)
        // a private one. Without privilege separation (-p) there is one process to stop.
        let prog = match which {
            Impl::Ours => OURS,
            Impl::Debian => "/lib/nut/upsmon",
        };
        c.args(["-m", "sh", "-c"]).arg(format!(
            "mkdir -p /run/nut && mount -t tmpfs tmpfs /run/nut && exec {prog} -F -p -u root {}",
            mc.flags
        ));
        c.env("NUT_CONFPATH", d).env("NUT_ALTPIDPATH", d).env("NUT_STATEPATH", d);
        for (k, v) in env {
            c.env(k, v);
        }
        c.stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(d.join("upsmon.log")).expect("log")));
        let proc = Some(Proc::spawn(c));
        Upsmon { dir, which, proc }
    }

    /// `(nanoseconds, "TYPE ups")` entries in log order.
    pub fn notes(&self) -> Vec<(u128, String)> {
        std::fs::read_to_string(self.dir.path().join("notify.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (t, rest) = l.split_once(' ')?;
                // "ONBATT ups1@127.0.0.1:port" → "ONBATT ups1".
                let note = rest.split_once('@').map_or(rest.trim_end(), |(h, _)| h);
                Some((t.parse().ok()?, note.to_string()))
            })
            .collect()
    }

    /// When SHUTDOWNCMD ran (nanoseconds since the epoch), if it did.
    pub fn shutdown_at(&self) -> Option<u128> {
        let t = std::fs::read_to_string(self.dir.path().join("shutdown.marker")).ok()?;
        t.trim().parse().ok()
    }

    /// Whether SHUTDOWNCMD ran.
    pub fn shut_down(&self) -> bool {
        self.dir.path().join("shutdown.marker").exists()
    }

    /// When POWERDOWNFLAG appeared, if it did.
    pub fn powerdown_flag(&self) -> bool {
        self.dir.path().join("killpower").exists()
    }

    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        self.proc.as_mut().is_some_and(|p| p.is_running())
    }

    /// The process ID (upsmon itself: the wrapper execs it).
    pub fn pid(&self) -> Option<u32> {
        self.proc.as_ref().map(|p| p.pid())
    }

    /// Sends a signal to upsmon.
    pub fn signal(&self, sig: libc::c_int) {
        if let Some(p) = &self.proc {
            p.signal(sig);
        }
    }

    /// Replaces upsmon.conf lines: every line starting with `from` becomes `to` (for reloads).
    pub fn edit_conf(&self, from: &str, to: &str) {
        let path = self.dir.path().join("upsmon.conf");
        let text = std::fs::read_to_string(&path).expect("read upsmon.conf");
        let new: Vec<String> =
            text.lines().map(|l| if l.starts_with(from) { to.to_string() } else { l.to_string() }).collect();
        std::fs::write(&path, new.join("\n") + "\n").expect("write upsmon.conf");
    }

    /// upsmon's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("upsmon.log")).unwrap_or_default()
    }

    /// Stops it.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.terminate(Duration::from_secs(5));
        }
    }
}

impl Drop for Upsmon {
    fn drop(&mut self) {
        self.stop();
    }
}
