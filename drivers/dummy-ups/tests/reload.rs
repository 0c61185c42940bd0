//! `dummy-ups -a <ups> -c reload` on a running dummy-ups: a new `port` file is served, changed
//! options are republished in `driver.parameter.*`, what needs a restart is logged once, and a
//! broken ups.conf keeps the running configuration and names file:line.
//!
//! NUT 2.8.0's dummy-ups has no `-c` ("invalid option -- 'c'") and dies on SIGHUP (checked with
//! Debian's), so there is no 2.8.0 behaviour to compare with; `-c reload` is 2.8.1's.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{bin, wait_until, Proc, TempDir};

/// `SETINFO` values of a DUMPALL over the driver socket.
fn dump(sock: &Path) -> Vec<(String, String)> {
    let Ok(s) = UnixStream::connect(sock) else { return Vec::new() };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut w = s.try_clone().unwrap();
    w.write_all(b"DUMPALL\n").unwrap();
    let mut vars = Vec::new();
    for line in BufReader::new(s).lines() {
        let Ok(line) = line else { break };
        if line == "DUMPDONE" {
            break;
        }
        if let Some(rest) = line.strip_prefix("SETINFO ") {
            let words = nut_proto::words::split(rest).unwrap_or_default();
            if let [name, value] = words.as_slice() {
                vars.push((name.clone(), value.clone()));
            }
        }
    }
    vars
}

fn get(vars: &[(String, String)], name: &str) -> Option<String> {
    vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

struct Driver {
    dir: TempDir,
    proc: Proc,
}

impl Driver {
    fn start(conf: &str) -> Driver {
        let dir = TempDir::new().expect("tempdir");
        std::fs::write(dir.path().join("a.dev"), "ups.status: OL\nups.mfr: A\n").unwrap();
        std::fs::write(dir.path().join("b.dev"), "ups.status: OB\nups.mfr: B\n").unwrap();
        std::fs::write(dir.path().join("ups.conf"), conf).unwrap();
        let log = std::fs::File::create(dir.path().join("drv.log")).unwrap();
        let mut cmd = Command::new(bin("dummy-ups"));
        cmd.args(["-a", "u", "-u", "root", "-FF"])
            .envs(Self::env(dir.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut proc = Proc::spawn(cmd);
        let (sock, pid) = (dir.path().join("dummy-ups-u"), dir.path().join("dummy-ups-u.pid"));
        assert!(
            wait_until(Duration::from_secs(10), || sock.exists() && pid.exists() || !proc.is_running()),
            "socket and PID file appear"
        );
        assert!(
            proc.is_running(),
            "dummy-ups exited: {}",
            std::fs::read_to_string(dir.path().join("drv.log")).unwrap()
        );
        Driver { dir, proc }
    }

    fn env(dir: &Path) -> Vec<(&'static str, &Path)> {
        vec![("NUT_CONFPATH", dir), ("NUT_STATEPATH", dir), ("NUT_ALTPIDPATH", dir)]
    }

    fn write_conf(&self, conf: &str) {
        std::fs::write(self.dir.path().join("ups.conf"), conf).unwrap();
    }

    /// `dummy-ups -a u -c reload`, which must succeed.
    fn reload(&self) {
        let out = Command::new(bin("dummy-ups"))
            .args(["-a", "u", "-c", "reload"])
            .envs(Self::env(self.dir.path()))
            .output()
            .unwrap();
        assert!(out.status.success(), "-c reload failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("drv.log")).unwrap_or_default()
    }

    fn vars(&self) -> Vec<(String, String)> {
        dump(&self.dir.path().join("dummy-ups-u"))
    }

    /// Wait until the log has `n` occurrences of `text`.
    fn wait_log(&self, text: &str, n: usize) -> bool {
        wait_until(Duration::from_secs(10), || self.log().matches(text).count() >= n)
    }
}

#[test]
fn reload_switches_port_republishes_options_and_keeps_old_config_when_broken() {
    let mut d =
        Driver::start("[u]\n driver = dummy-ups\n port = a.dev\n desc = \"first\"\n pollinterval = 1\n");
    let v = d.vars();
    assert_eq!(get(&v, "ups.status").as_deref(), Some("OL"));
    assert_eq!(get(&v, "driver.parameter.port").as_deref(), Some("a.dev"));

    // New port file, new desc, an explicit mode (the same one), and an override that only a
    // restart can apply.
    d.write_conf(
        "[u]\n driver = dummy-ups\n port = b.dev\n desc = \"second\"\n pollinterval = 1\n \
         mode = dummy-once\n override.ups.mfr = X\n",
    );
    d.reload();
    let mut v = Vec::new();
    assert!(
        wait_until(Duration::from_secs(10), || {
            v = d.vars();
            get(&v, "ups.status").as_deref() == Some("OB")
        }),
        "the new port file is not served: {v:?}\nlog:\n{}",
        d.log()
    );
    assert_eq!(get(&v, "ups.mfr").as_deref(), Some("B"), "override needs a restart, not applied");
    assert_eq!(get(&v, "driver.parameter.port").as_deref(), Some("b.dev"));
    assert_eq!(get(&v, "driver.parameter.mode").as_deref(), Some("dummy-once"));
    assert!(d.wait_log("reload of [u] done", 1), "{}", d.log());
    assert_eq!(d.log().matches("needs a restart").count(), 1, "{}", d.log());
    assert!(d.log().contains("override.ups.mfr changed to \"X\""), "{}", d.log());

    // The same pending change is not logged again on the next reload.
    d.reload();
    assert!(d.wait_log("reload of [u] done", 2), "{}", d.log());

    // A port that asks for another mode needs a restart; a missing file is refused.
    d.write_conf("[u]\n driver = dummy-ups\n port = missing.dev\n pollinterval = 1\n mode = dummy-once\n");
    d.reload();
    assert!(d.wait_log("reload of [u] done", 3), "{}", d.log());
    assert!(d.log().contains("can't apply port = \"missing.dev\""), "{}", d.log());
    let v = d.vars();
    assert_eq!(get(&v, "driver.parameter.port").as_deref(), Some("b.dev"), "old port kept");

    // A broken ups.conf: `-c reload` refuses with file:line and sends nothing; a SIGHUP from
    // elsewhere (kill -HUP, a service manager) logs file:line and keeps everything running.
    d.write_conf("[u]\n driver = dummy-ups\n port = \"x # y.dev\"\n");
    let out = Command::new(bin("dummy-ups"))
        .args(["-a", "u", "-c", "reload"])
        .envs(Driver::env(d.dir.path()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("ups.conf:3: error:"), "{err}");
    assert!(err.contains("nothing was sent to the running driver"), "{err}");
    d.proc.signal(libc::SIGHUP);
    assert!(d.wait_log("keeping the running configuration", 1), "{}", d.log());
    assert!(d.log().contains("ups.conf:3: error:"), "{}", d.log());
    assert!(d.proc.is_running(), "driver died on a broken ups.conf");
    let v = d.vars();
    assert_eq!(get(&v, "ups.status").as_deref(), Some("OB"));
    assert_eq!(d.log().matches("needs a restart").count(), 1, "{}", d.log());
}
