//! Test support shared by the upsd test files: a fake driver on a Unix socket, a running upsd
//! in a temporary directory, and a line-level client.

#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nut_testkit::{free_port, wait_until, Proc, TempDir};

pub const DUMP: &str = r#"SETINFO battery.charge "100"
SETINFO ups.status "OL"
SETINFO ups.mfr "Acme \"Power\""
SETINFO Zeta.var "z"
SETINFO alpha.var "a"
SETINFO input.sensitivity "high"
SETFLAGS input.sensitivity RW STRING
SETAUX input.sensitivity 8
ADDENUM input.sensitivity "high"
ADDENUM input.sensitivity "low"
SETINFO ups.delay.shutdown "20"
SETFLAGS ups.delay.shutdown RW NUMBER
ADDRANGE ups.delay.shutdown 10 60
SETINFO ups.id "myid"
SETFLAGS ups.id RW STRING
SETAUX ups.id 5
ADDCMD test.battery.start
ADDCMD load.off
DATAOK
"#;

pub const USERS: &str = "[admin]\n password = secret\n actions = SET FSD\n instcmds = ALL\n\
                     [mon]\n password = pass\n upsmon primary\n\
                     [sec]\n password = pass\n upsmon secondary\n";

/// A fake driver: answers DUMPALL with [`DUMP`], PING with PONG, tracked commands with
/// `TRACKING <id> 0`, and records every line it receives.
pub struct FakeDriver {
    path: PathBuf,
    received: Arc<Mutex<Vec<String>>>,
    clients: Arc<Mutex<Vec<UnixStream>>>,
}

impl FakeDriver {
    pub fn start(path: &Path) -> FakeDriver {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).expect("bind driver socket");
        let received = Arc::new(Mutex::new(Vec::new()));
        let clients = Arc::new(Mutex::new(Vec::new()));
        let (r, c) = (received.clone(), clients.clone());
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(s) = s else { return };
                c.lock().unwrap().push(s.try_clone().expect("clone"));
                let r = r.clone();
                std::thread::spawn(move || {
                    let mut w = s.try_clone().expect("clone");
                    for line in BufReader::new(s).lines() {
                        let Ok(line) = line else { return };
                        r.lock().unwrap().push(line.clone());
                        let words: Vec<&str> = line.split_whitespace().collect();
                        let reply = match words.first() {
                            Some(&"DUMPALL") => format!("{DUMP}DUMPDONE\n"),
                            Some(&"PING") => "PONG\n".to_string(),
                            _ => match words.iter().position(|w| *w == "TRACKING") {
                                Some(i) => format!("TRACKING {} 0\n", words[i + 1]),
                                None => continue,
                            },
                        };
                        if w.write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        FakeDriver { path: path.to_path_buf(), received, clients }
    }

    /// Send lines to every connected upsd.
    pub fn push(&self, text: &str) {
        for c in self.clients.lock().unwrap().iter_mut() {
            let _ = c.write_all(text.as_bytes());
        }
    }

    /// Simulate the driver exiting: close every connection and remove the socket.
    pub fn stop(self) {
        for c in self.clients.lock().unwrap().iter() {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
        let _ = std::fs::remove_file(&self.path);
    }

    pub fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

/// A driver on `path` that answers every connection with [`DUMP`] and `DUMPDONE`, then stays
/// silent (never PONG), so upsd must call its data stale after MAXAGE.
pub fn start_silent_driver(path: &Path) {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        let mut keep = Vec::new();
        for s in listener.incoming().flatten() {
            let mut w = s.try_clone().unwrap();
            let _ = w.write_all(format!("{DUMP}DUMPDONE\n").as_bytes());
            keep.push(s);
        }
    });
}

pub struct Upsd {
    pub dir: TempDir,
    pub port: u16,
    pub proc: Proc,
}

pub fn start_upsd(extra_conf: &str, env: &[(&str, &str)]) -> Upsd {
    start_upsd_cmd(extra_conf, |_| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_upsd"));
        cmd.args(["-F", "-u", "root"]).stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    })
}

/// Start the upsd that `make` returns for the configuration directory (NUT_CONFPATH,
/// NUT_STATEPATH and NUT_ALTPIDPATH are set on it) with `extra_conf` in upsd.conf.
pub fn start_upsd_cmd(extra_conf: &str, make: impl FnOnce(&Path) -> Command) -> Upsd {
    let dir = TempDir::new().expect("tempdir");
    let port = free_port();
    let d = dir.path();
    std::fs::write(
        d.join("upsd.conf"),
        format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\nMAXAGE 15\n{extra_conf}", d.display()),
    )
    .unwrap();
    std::fs::write(
        d.join("ups.conf"),
        "[ups1]\n driver = dummy-ups\n port = a.dev\n desc = \"First UPS\"\n\
         [ups2]\n driver = dummy-ups\n port = b.dev\n",
    )
    .unwrap();
    std::fs::write(d.join("upsd.users"), USERS).unwrap();
    let mut cmd = make(d);
    cmd.env("NUT_CONFPATH", d).env("NUT_STATEPATH", d).env("NUT_ALTPIDPATH", d).stdout(Stdio::null());
    let proc = Proc::spawn(cmd);
    assert!(
        wait_until(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok()),
        "upsd did not start"
    );
    Upsd { dir, port, proc }
}

impl Upsd {
    pub fn socket(&self, ups: &str) -> PathBuf {
        self.dir.path().join(format!("dummy-ups-{ups}"))
    }

    pub fn connect(&self) -> Client {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Client { r: BufReader::new(s.try_clone().unwrap()), w: s }
    }

    /// A client connected from source address `src` (any 127/8 address works on loopback).
    pub fn connect_from(&self, src: [u8; 4]) -> Client {
        connect_from(src, self.port)
    }

    /// Wait until `GET VAR <ups> ups.status` gives `want`.
    pub fn wait_status(&self, ups: &str, want: &str) -> bool {
        let mut c = self.connect();
        wait_until(Duration::from_secs(10), || c.req(&format!("GET VAR {ups} ups.status")) == want)
    }
}

pub struct Client {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

/// A client connected to 127.0.0.1:`port` from source address `src` (127/8).
pub fn connect_from(src: [u8; 4], port: u16) -> Client {
    // SAFETY: plain socket calls on a fresh fd that the returned TcpStream then owns.
    let stream = unsafe {
        use std::os::fd::FromRawFd;
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let stream = TcpStream::from_raw_fd(fd);
        let mut sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr { s_addr: u32::from(std::net::Ipv4Addr::from(src)).to_be() },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(libc::bind(fd, (&sin as *const libc::sockaddr_in).cast(), len), 0, "bind {src:?}");
        sin.sin_port = port.to_be();
        sin.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        assert_eq!(libc::connect(fd, (&sin as *const libc::sockaddr_in).cast(), len), 0, "connect");
        stream
    };
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    Client { r: BufReader::new(stream.try_clone().unwrap()), w: stream }
}

impl Client {
    /// Send one request; return the reply (one line, or a whole BEGIN..END block), newlines
    /// included.
    pub fn req(&mut self, line: &str) -> String {
        self.w.write_all(format!("{line}\n").as_bytes()).unwrap();
        self.reply()
    }

    pub fn reply(&mut self) -> String {
        let mut out = String::new();
        let mut l = String::new();
        self.r.read_line(&mut l).unwrap();
        out.push_str(&l);
        if l.starts_with("BEGIN ") {
            loop {
                l.clear();
                if self.r.read_line(&mut l).unwrap() == 0 {
                    break;
                }
                out.push_str(&l);
                if l.starts_with("END ") {
                    break;
                }
            }
        }
        out
    }
}
