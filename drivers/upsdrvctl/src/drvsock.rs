//! A short dialog with a running driver over its socket `<statepath>/<driver>-<ups>`, as NUT's
//! upsdrvctl holds it: `NOBROADCAST`, `PING` until `PONG`, then `GETPID`, `DUMPSTATUS` or a
//! tracked `INSTCMD driver.<cmd>`, and `LOGOUT`.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use nut_proto::sock::{DriverMsg, ServerMsg};

/// An open dialog.
pub struct DriverConn {
    stream: UnixStream,
    buf: Vec<u8>,
    eof: bool,
}

impl DriverConn {
    /// Connect to a driver socket.
    pub fn connect(path: &Path) -> io::Result<DriverConn> {
        let stream = UnixStream::connect(path)?;
        Ok(DriverConn { stream, buf: Vec::new(), eof: false })
    }

    /// Send one request line (`to_line` includes the newline).
    pub fn send(&mut self, msg: &ServerMsg) -> io::Result<()> {
        self.stream.write_all(msg.to_line().as_bytes())
    }

    /// The next line, or `None` when `deadline` passed or the driver hung up.
    pub fn read_line(&mut self, deadline: Instant) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                return Ok(Some(String::from_utf8_lossy(&line[..line.len() - 1]).into_owned()));
            }
            if self.eof {
                return Ok(None);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    return Ok(None)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Read messages until `want` picks one (returns its value) or `deadline` passes. Lines
    /// that do not parse, and other messages, are skipped.
    fn wait_for<T>(
        &mut self,
        deadline: Instant,
        mut want: impl FnMut(&DriverMsg) -> Option<T>,
    ) -> io::Result<Option<T>> {
        while let Some(line) = self.read_line(deadline)? {
            if let Ok(msg) = DriverMsg::parse(&line) {
                if let Some(v) = want(&msg) {
                    return Ok(Some(v));
                }
            }
        }
        Ok(None)
    }

    /// NUT's session setup: `NOBROADCAST`, then `PING`; true when `PONG` came back in time.
    pub fn prepare(&mut self, timeout: Duration) -> io::Result<bool> {
        self.send(&ServerMsg::NoBroadcast)?;
        self.send(&ServerMsg::Ping)?;
        Ok(self.wait_for(Instant::now() + timeout, |m| (*m == DriverMsg::Pong).then_some(()))?.is_some())
    }

    /// `GETPID`: the driver's PID.
    pub fn get_pid(&mut self, timeout: Duration) -> io::Result<Option<i64>> {
        self.send(&ServerMsg::GetPid)?;
        self.wait_for(Instant::now() + timeout, |m| match m {
            DriverMsg::Pid(p) => Some(*p),
            _ => None,
        })
    }

    /// `DUMPSTATUS`: the value of `ups.status` (None when the driver has none or is silent).
    pub fn status(&mut self, timeout: Duration) -> io::Result<Option<String>> {
        self.send(&ServerMsg::DumpStatus)?;
        let got = self.wait_for(Instant::now() + timeout, |m| match m {
            DriverMsg::SetInfo(k, v) if k == "ups.status" => Some(Some(v.clone())),
            DriverMsg::DumpDone => Some(None),
            _ => None,
        })?;
        Ok(got.flatten())
    }

    /// `INSTCMD driver.<cmd> TRACKING <id>`: the driver's result code (0 handled, 1 unknown,
    /// ...), or None without an answer in time.
    pub fn instcmd(&mut self, cmd: &str, timeout: Duration) -> io::Result<Option<i64>> {
        let id = tracking_id();
        self.send(&ServerMsg::Instcmd { cmd: cmd.to_string(), param: None, tracking: Some(id.clone()) })?;
        self.wait_for(Instant::now() + timeout, |m| match m {
            DriverMsg::Tracking(t, code) if *t == id => Some(*code),
            _ => None,
        })
    }

    /// Wait until the driver closes the connection (it exited); false if it still answers at
    /// `deadline`.
    pub fn wait_closed(&mut self, deadline: Instant) -> bool {
        loop {
            match self.read_line(deadline) {
                Ok(Some(_)) => continue,
                Ok(None) => return self.eof,
                Err(_) => return true,
            }
        }
    }

    /// Say goodbye (`LOGOUT`) and close.
    pub fn close(mut self) {
        let _ = self.send(&ServerMsg::Logout);
    }
}

/// A fresh tracking id in UUID v4 form, as NUT's upsdrvctl makes them.
fn tracking_id() -> String {
    let mut b = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).is_ok();
    if !filled {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let seed = t.as_nanos() ^ (u128::from(std::process::id()) << 64);
        b = seed.to_le_bytes();
    }
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let h: Vec<String> = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::os::unix::net::UnixListener;

    #[test]
    fn tracking_ids_look_like_nuts() {
        let id = tracking_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert_ne!(id, tracking_id());
    }

    /// A fake driver answering one connection with canned replies per request word.
    fn fake_driver(
        replies: fn(&str) -> Vec<String>,
    ) -> (tempfile::TempDir, std::path::PathBuf, std::thread::JoinHandle<Vec<String>>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drv-ups");
        let l = UnixListener::bind(&path).unwrap();
        let h = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let mut w = s.try_clone().unwrap();
            let mut got = Vec::new();
            for line in std::io::BufReader::new(s).lines() {
                let line = line.unwrap();
                for r in replies(&line) {
                    w.write_all(format!("{r}\n").as_bytes()).unwrap();
                }
                let done = line == "LOGOUT";
                got.push(line);
                if done {
                    break;
                }
            }
            got
        });
        (dir, path, h)
    }

    #[test]
    fn dialog_with_a_driver() {
        let (_d, path, h) = fake_driver(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            match w[0] {
                // Broadcast noise before the answers must be skipped.
                "PING" => vec!["SETINFO ups.load \"10\"".into(), "PONG".into()],
                "GETPID" => vec!["PID 4242".into()],
                "DUMPSTATUS" => {
                    vec!["SETINFO ups.status \"OL CHRG\"".into(), "DATAOK".into(), "DUMPDONE".into()]
                }
                "INSTCMD" => vec!["TRACKING not-ours 3".into(), format!("TRACKING {} 0", w[3])],
                _ => vec![],
            }
        });
        let mut c = DriverConn::connect(&path).unwrap();
        let t = Duration::from_secs(5);
        assert!(c.prepare(t).unwrap());
        assert_eq!(c.get_pid(t).unwrap(), Some(4242));
        assert_eq!(c.status(t).unwrap().as_deref(), Some("OL CHRG"));
        assert_eq!(c.instcmd("driver.exit", t).unwrap(), Some(0));
        c.close();
        let got = h.join().unwrap();
        assert_eq!(&got[..4], ["NOBROADCAST", "PING", "GETPID", "DUMPSTATUS"]);
        assert!(got[4].starts_with("INSTCMD driver.exit TRACKING "), "{}", got[4]);
        assert_eq!(got[5], "LOGOUT");
    }

    #[test]
    fn silent_driver_times_out() {
        let (_d, path, _h) = fake_driver(|_| vec![]);
        let mut c = DriverConn::connect(&path).unwrap();
        let t = Duration::from_millis(100);
        assert!(!c.prepare(t).unwrap());
        assert_eq!(c.get_pid(t).unwrap(), None);
        assert_eq!(c.status(t).unwrap(), None);
        c.close();
    }
}
