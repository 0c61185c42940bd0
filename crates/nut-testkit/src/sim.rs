//! The serial-driver harness: start the `ups-sim` simulator on a device description (a pty
//! whose slave is linked at a stable path), write a `ups.conf` section for a serial driver, and
//! run that driver's one-shot dump (`-a <ups> -u root -d 1`) with `NUT_CONFPATH`/`NUT_STATEPATH`
//! in a temporary directory, parsing its `name: value` lines. Works with Debian's drivers in
//! `/lib/nut/` (nutdrv_qx, blazer_ser, apcsmart, ...) and with ours.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{bin, wait_until, workspace_root, Proc, TempDir};

/// The directory of one driver family's device descriptions: `tests/devices/<family>`
/// (`qx` for the Q1 family, else the driver's name, e.g. `apcsmart`).
pub fn devices_dir(family: &str) -> PathBuf {
    workspace_root().join("tests/devices").join(family)
}

/// Every description file (`*.qx`, `*.sim`) of a family, sorted by name.
pub fn descriptions(family: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(devices_dir(family))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "qx" || e == "sim"));
    v.sort();
    v
}

/// A running simulator, stopped by PID when dropped. Its event lines (stdout) are collected
/// by a reader thread; control lines go to its stdin.
pub struct UpsSim {
    proc: Proc,
    stdin: Option<ChildStdin>,
    events: Arc<Mutex<Vec<String>>>,
    cursor: usize,
    port: PathBuf,
    dir: TempDir,
}

impl std::fmt::Debug for UpsSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpsSim").field("pid", &self.proc.pid()).field("port", &self.port).finish()
    }
}

/// How long the simulator may take to come up or to acknowledge a control line.
const SIM_TIMEOUT: Duration = Duration::from_secs(10);

impl UpsSim {
    /// Start our built `ups-sim` on `desc`, with the port linked at `<tempdir>/tty`, and wait
    /// for its `ready` line.
    pub fn start(desc: &Path) -> UpsSim {
        UpsSim::start_with(&bin("ups-sim"), desc)
    }

    /// Same, with the simulator binary at `sim`.
    pub fn start_with(sim: &Path, desc: &Path) -> UpsSim {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = dir.path().join("tty");
        let mut cmd = Command::new(sim);
        cmd.arg(desc).arg("--link").arg(&port);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut proc = Proc::spawn(cmd);
        let stdin = proc.child_mut().stdin.take();
        let stdout = proc.child_mut().stdout.take().expect("piped stdout");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut v) = sink.lock() {
                    v.push(line);
                }
            }
        });
        let mut sim = UpsSim { proc, stdin, events, cursor: 0, port, dir };
        if sim.wait_event(SIM_TIMEOUT, |l| l.starts_with("ready ")).is_none() {
            panic!("ups-sim on {} did not become ready; events: {:?}", desc.display(), sim.events());
        }
        sim
    }

    /// The path a driver opens (`port = ...`).
    pub fn port(&self) -> &Path {
        &self.port
    }

    /// The simulator's temporary directory (free for the test's own files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The simulator's PID.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// Send SIGTERM (by PID): the simulator removes its link and prints `stopped`.
    pub fn signal_term(&self) {
        self.proc.signal(libc::SIGTERM);
    }

    /// Every event line so far.
    pub fn events(&self) -> Vec<String> {
        self.events.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Skip the events seen so far: later waits look only at newer ones.
    pub fn mark(&mut self) {
        self.cursor = self.events.lock().map(|v| v.len()).unwrap_or(self.cursor);
    }

    /// Wait for an event line (after the mark) that `pred` accepts; the mark moves past it.
    pub fn wait_event(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let mut found = None;
        let events = Arc::clone(&self.events);
        let mut cursor = self.cursor;
        wait_until(timeout, || {
            let Ok(v) = events.lock() else { return false };
            while cursor < v.len() {
                let l = &v[cursor];
                cursor += 1;
                if pred(l) {
                    found = Some(l.clone());
                    return true;
                }
            }
            false
        });
        self.cursor = cursor;
        found
    }

    /// Send a control line (`state onbattery`, `timeout 2`, `unplug`, `replug`, ...) and wait
    /// until the simulator has applied it. Panics if it refuses the line.
    pub fn control(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("simulator stdin");
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).expect("write to ups-sim");
        let ok = format!("ok {line}");
        let err = format!("error {line}");
        let got = self.wait_event(SIM_TIMEOUT, |l| l == ok || l.starts_with(&err));
        match got {
            Some(l) if l == ok => {}
            other => panic!("ups-sim did not accept {line:?}: {other:?}"),
        }
    }
}

/// A driver's one-shot dump.
#[derive(Debug, Clone)]
pub struct Dump {
    /// The `name: value` lines.
    pub vars: BTreeMap<String, String>,
    /// Exit status; `None` when it had to be killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Dump {
    /// True when the driver exited 0 and published `ups.status`.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| s.success()) && self.vars.contains_key("ups.status")
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

/// The `name: value` lines of a dump (other lines, such as the banner, are left out).
pub fn parse_dump(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(": ")?;
            let valid = !k.is_empty()
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
            valid.then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// A `ups.conf` section: `[ups]`, `driver`, `port`, then the options (`name = "value"`, or a
/// bare flag).
pub fn ups_conf_section(
    ups: &str,
    driver: &str,
    port: &Path,
    options: &[(String, Option<String>)],
) -> String {
    let mut s = format!("[{ups}]\n\tdriver = {driver}\n\tport = \"{}\"\n", port.display());
    for (k, v) in options {
        match v {
            Some(v) => s.push_str(&format!("\t{k} = \"{}\"\n", v.replace('\\', "\\\\").replace('"', "\\\""))),
            None => s.push_str(&format!("\t{k}\n")),
        }
    }
    s
}

/// Run `driver_bin -a q -u root -d 1` against `port` with `options`, in a fresh temporary
/// NUT_CONFPATH/NUT_STATEPATH; kill it (by PID) at `timeout`. The section's `driver` is the
/// binary's file name.
pub fn run_dump(
    driver_bin: &Path,
    port: &Path,
    options: &[(String, Option<String>)],
    timeout: Duration,
) -> Dump {
    let dir = tempfile::tempdir().expect("temp dir");
    let driver = driver_bin.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    std::fs::write(dir.path().join("ups.conf"), ups_conf_section("q", &driver, port, options))
        .expect("write ups.conf");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut cmd = Command::new(driver_bin);
    cmd.args(["-a", "q", "-u", "root", "-d", "1"])
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_STATEPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path())
        .env_remove("NUT_DEBUG_LEVEL")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"));
    let mut proc = Proc::spawn(cmd);
    let mut status = None;
    wait_until(timeout, || {
        status = proc.child_mut().try_wait().ok().flatten();
        status.is_some()
    });
    drop(proc);
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    Dump { vars: parse_dump(&stdout), status, stdout, stderr }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dump_lines_are_parsed_and_banner_left_out() {
        let text = "Network UPS Tools - Generic Q* USB/Serial driver 0.32 (2.8.0)\n\
                    battery.voltage: 22.70\ndevice.mfr: NOT_A_LIVE_UPS  X\nups.status: OL\n";
        let v = parse_dump(text);
        assert_eq!(v.len(), 3);
        assert_eq!(v["device.mfr"], "NOT_A_LIVE_UPS  X");
        assert_eq!(v["ups.status"], "OL");
    }

    #[test]
    fn section_quotes_values() {
        let s = ups_conf_section(
            "q",
            "nutdrv_qx",
            Path::new("/tmp/x/tty"),
            &[("protocol".into(), Some("megatec".into())), ("novendor".into(), None)],
        );
        assert_eq!(
            s,
            "[q]\n\tdriver = nutdrv_qx\n\tport = \"/tmp/x/tty\"\n\tprotocol = \"megatec\"\n\tnovendor\n"
        );
    }
}
