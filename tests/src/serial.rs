//! [`SerialStack`]: a serial UPS driver (ours or Debian's) on a simulator port (`ups-sim`)
//! behind an upsd (ours or Debian's) on loopback, every process stopped by PID on drop; used by
//! the end-to-end tests of every serial driver family (`qx_*`, and the drivers of issue 12).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::stack::{program, run_with_timeout, tail, Output, DEFAULT_USERS};
use nut_testkit::{free_port, port_open, wait_until, Conn, Impl, Proc, TempDir};

/// A serial UPS driver on a simulator port, and an upsd in front of it, both `-u root -F` in a
/// temporary directory (NUT_CONFPATH = NUT_STATEPATH = NUT_ALTPIDPATH), upsd listening on a
/// free loopback port. The UPS is called `q`. Dropping it stops both by PID.
#[derive(Debug)]
pub struct SerialStack {
    // Field order: upsd stops before the driver, then the directory goes.
    upsd: Option<Proc>,
    driver: Option<Proc>,
    dir: TempDir,
    port: u16,
    driver_name: String,
}

/// How long a driver may take to find the UPS and create its socket, and upsd to get data.
const START_TIMEOUT: Duration = Duration::from_secs(40);

impl SerialStack {
    /// Write the configuration (section `[q]`: `driver`, `port`, `options`, then the raw
    /// `extra` lines such as `pollinterval = 1`), start the driver, wait for its socket,
    /// start upsd, wait until `GET VAR q ups.status` has a real value.
    pub fn start(
        which: Impl,
        driver: &str,
        sim_port: &Path,
        options: &[(String, Option<String>)],
        extra: &[&str],
    ) -> Result<SerialStack, String> {
        let dir = TempDir::new().map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port();
        let d = dir.path();
        let mut ups = nut_testkit::sim::ups_conf_section("q", driver, sim_port, options);
        for l in extra {
            let _ = writeln!(ups, "\t{l}");
        }
        let w =
            |name: &str, text: &str| fs::write(d.join(name), text).map_err(|e| format!("write {name}: {e}"));
        w("ups.conf", &ups)?;
        w("upsd.conf", &format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\n", d.display()))?;
        w("upsd.users", DEFAULT_USERS)?;
        w("nut.conf", "MODE=standalone\n")?;
        let mut st = SerialStack { upsd: None, driver: None, dir, port, driver_name: driver.to_string() };
        st.start_driver(which)?;
        st.start_upsd(which)?;
        st.wait_fresh(START_TIMEOUT)?;
        Ok(st)
    }

    fn command(&self, prog: &Path, log: &str) -> Result<Command, String> {
        let d = self.dir.path();
        let f = fs::File::create(d.join(log)).map_err(|e| format!("log file: {e}"))?;
        let f2 = f.try_clone().map_err(|e| format!("log file: {e}"))?;
        let mut cmd = Command::new(prog);
        cmd.env("NUT_CONFPATH", d)
            .env("NUT_STATEPATH", d)
            .env("NUT_ALTPIDPATH", d)
            .env_remove("NUT_DEBUG_LEVEL")
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(f)
            .stderr(f2);
        Ok(cmd)
    }

    fn start_driver(&mut self, which: Impl) -> Result<(), String> {
        let prog = program(which, &self.driver_name);
        let mut cmd = self.command(&prog, "driver.log")?;
        cmd.args(["-a", "q", "-u", "root", "-F"]);
        let mut p = Proc::spawn(cmd);
        let sock = self.socket_path();
        let mut exited = false;
        let ok = wait_until(START_TIMEOUT, || {
            if !p.is_running() {
                exited = true;
                return true;
            }
            fs::metadata(&sock).is_ok_and(|m| m.file_type().is_socket())
        });
        if exited || !ok {
            return Err(format!(
                "{} {} {} (socket {}); its output:\n{}",
                which.label(),
                self.driver_name,
                if exited { "exited before creating its socket" } else { "created no socket in time" },
                sock.display(),
                tail(&self.driver_log(), 30)
            ));
        }
        self.driver = Some(p);
        Ok(())
    }

    fn start_upsd(&mut self, which: Impl) -> Result<(), String> {
        let mut cmd = self.command(&program(which, "upsd"), "upsd.log")?;
        cmd.args(["-u", "root", "-F"]);
        let mut p = Proc::spawn(cmd);
        let port = self.port;
        let mut exited = false;
        let ok = wait_until(Duration::from_secs(20), || {
            if !p.is_running() {
                exited = true;
                return true;
            }
            port_open(port)
        });
        if exited || !ok {
            return Err(format!(
                "{} upsd did not listen; its output:\n{}",
                which.label(),
                tail(&self.upsd_log(), 30)
            ));
        }
        self.upsd = Some(p);
        Ok(())
    }

    /// Wait until upsd serves a real `ups.status` (not `WAIT`, not an error).
    pub fn wait_fresh(&self, timeout: Duration) -> Result<(), String> {
        let mut last = Vec::new();
        let ok = wait_until(timeout, || {
            let Ok(mut c) = self.connect() else { return false };
            last = c.request("GET VAR q ups.status").unwrap_or_default();
            last.len() == 1 && last[0].starts_with("VAR q ups.status ") && !last[0].ends_with("\"WAIT\"")
        });
        if ok {
            Ok(())
        } else {
            Err(format!(
                "no data from the UPS within {timeout:?} (last: {last:?}); driver output:\n{}\nupsd output:\n{}",
                tail(&self.driver_log(), 30),
                tail(&self.upsd_log(), 10)
            ))
        }
    }

    /// The driver's socket, `<statepath>/<driver>-q`.
    pub fn socket_path(&self) -> PathBuf {
        self.dir.path().join(format!("{}-q", self.driver_name))
    }

    /// The stack's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// upsd's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `q@127.0.0.1:<port>`.
    pub fn target(&self) -> String {
        format!("q@127.0.0.1:{}", self.port)
    }

    /// A new protocol connection to upsd.
    pub fn connect(&self) -> std::io::Result<Conn> {
        Conn::connect(self.port)
    }

    /// The driver's PID.
    pub fn driver_pid(&self) -> Option<u32> {
        self.driver.as_ref().map(Proc::pid)
    }

    /// True while the driver has not exited.
    pub fn driver_alive(&mut self) -> bool {
        self.driver.as_mut().is_some_and(Proc::is_running)
    }

    /// What the driver printed so far.
    pub fn driver_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("driver.log")).unwrap_or_default()
    }

    /// What upsd printed so far.
    pub fn upsd_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("upsd.log")).unwrap_or_default()
    }

    /// Run a client (e.g. `/usr/bin/upsc`) with the stack's environment and a time limit.
    pub fn run(&self, prog: &Path, args: &[&str], timeout: Duration) -> Result<Output, String> {
        let mut cmd = Command::new(prog);
        let d = self.dir.path();
        cmd.env("NUT_CONFPATH", d).env("NUT_STATEPATH", d).env("NUT_ALTPIDPATH", d).args(args);
        run_with_timeout(cmd, timeout)
    }
}

/// `upsc` output (`name: value` lines) as a map.
pub fn upsc_vars(text: &str) -> BTreeMap<String, String> {
    nut_testkit::sim::parse_dump(text)
}
