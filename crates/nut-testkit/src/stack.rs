//! Temporary NUT stacks on loopback: a directory with `ups.conf`, `upsd.conf` and `upsd.users`,
//! N drivers and one upsd, each either Debian's NUT 2.8.0 or ours (mixing allowed), started
//! with `-u root -F`, waited for by polling (sockets, the TCP port, the first data), and all
//! killed by PID when the [`Stack`] is dropped.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{bin, free_port, port_open, wait_until, Proc, TempDir};

/// Which implementation of a program to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impl {
    /// Debian's NUT 2.8.0 (`/lib/nut/...`).
    Debian,
    /// Ours, from `target/debug` (see [`crate::bin`]).
    Ours,
}

impl Impl {
    /// Short label for messages: `debian` or `ours`.
    pub fn label(self) -> &'static str {
        match self {
            Impl::Debian => "debian",
            Impl::Ours => "ours",
        }
    }
}

/// The driver process serving one UPS section.
#[derive(Debug, Clone)]
pub enum Driver {
    /// `dummy-ups -a NAME -u root -F`, Debian's or ours.
    DummyUps(Impl),
    /// Any program that serves the driver socket itself (e.g. a scripted fake driver): it is
    /// run as `program args... <socket path>`; the section still says `driver = dummy-ups` so
    /// upsd looks for `<statepath>/dummy-ups-<name>`.
    External(PathBuf, Vec<String>),
}

/// One `[name]` section of `ups.conf`.
#[derive(Debug, Clone)]
pub struct UpsSpec {
    /// Section name (the UPS name clients use).
    pub name: String,
    /// `port =`: for dummy-ups, the `.dev`/`.seq` file (absolute path recommended).
    pub port: String,
    /// `desc =`, if any.
    pub desc: Option<String>,
    /// Extra `key = value` lines for the section, written verbatim.
    pub extra: Vec<String>,
    /// Which driver process serves it.
    pub driver: Driver,
}

impl UpsSpec {
    /// A dummy-ups section `name` reading `port` (a path relative to the stack directory
    /// works: dummy-ups resolves it against NUT_CONFPATH), served by `which`.
    pub fn dummy_ups(name: &str, port: &str, which: Impl) -> UpsSpec {
        UpsSpec {
            name: name.to_string(),
            port: port.to_string(),
            desc: None,
            extra: Vec::new(),
            driver: Driver::DummyUps(which),
        }
    }
}

/// Users written to `upsd.users` by default. Every transcript and client test relies on these.
pub const DEFAULT_USERS: &str = "\
[admin]
\tpassword = adminpw
\tactions = SET
\tactions = FSD
\tinstcmds = ALL

[setter]
\tpassword = setpw
\tactions = SET

[cmder]
\tpassword = cmdpw
\tinstcmds = load.off
\tinstcmds = test.battery.start

[mon]
\tpassword = monpw
\tupsmon primary

[sec]
\tpassword = secpw
\tupsmon secondary

[nobody]
\tpassword = nopw
";

/// Builder for a [`Stack`].
#[derive(Debug, Clone)]
pub struct StackBuilder {
    upses: Vec<UpsSpec>,
    upsd: Impl,
    users: String,
    maxage: Option<u32>,
    upsd_extra: Vec<String>,
    wait_data: bool,
    start_upsd: bool,
    files: Vec<(String, Vec<u8>)>,
}

impl StackBuilder {
    /// Write an extra file into the stack directory (e.g. a `.dev` file that a section names
    /// by a relative `port`, which dummy-ups resolves against NUT_CONFPATH).
    pub fn file(mut self, name: &str, contents: &[u8]) -> Self {
        self.files.push((name.to_string(), contents.to_vec()));
        self
    }

    /// Add a dummy-ups section `name` reading `dev` (made absolute), served by `driver`.
    pub fn dummy(mut self, name: &str, dev: impl AsRef<Path>, driver: Impl) -> Self {
        let dev = dev.as_ref();
        let abs = if dev.is_absolute() {
            dev.to_path_buf()
        } else {
            std::env::current_dir().map(|d| d.join(dev)).unwrap_or_else(|_| dev.to_path_buf())
        };
        self.upses.push(UpsSpec::dummy_ups(name, &abs.to_string_lossy(), driver));
        self
    }

    /// Add a fully specified section.
    pub fn ups(mut self, spec: UpsSpec) -> Self {
        self.upses.push(spec);
        self
    }

    /// Set `desc =` of the most recently added section.
    pub fn desc(mut self, desc: &str) -> Self {
        if let Some(u) = self.upses.last_mut() {
            u.desc = Some(desc.to_string());
        }
        self
    }

    /// Which upsd to run.
    pub fn upsd(mut self, which: Impl) -> Self {
        self.upsd = which;
        self
    }

    /// Replace the whole `upsd.users` text (default: [`DEFAULT_USERS`]).
    pub fn users(mut self, text: &str) -> Self {
        self.users = text.to_string();
        self
    }

    /// `MAXAGE` in upsd.conf.
    pub fn maxage(mut self, secs: u32) -> Self {
        self.maxage = Some(secs);
        self
    }

    /// Extra upsd.conf lines, written verbatim after LISTEN/STATEPATH/MAXAGE.
    pub fn upsd_line(mut self, line: &str) -> Self {
        self.upsd_extra.push(line.to_string());
        self
    }

    /// Whether [`StackBuilder::start`] waits until every UPS answers `LIST VAR` without ERR
    /// (default true).
    pub fn wait_data(mut self, yes: bool) -> Self {
        self.wait_data = yes;
        self
    }

    /// Whether to start upsd at all (default true); false leaves only the drivers running, for
    /// tests that start upsd by hand (e.g. with a broken config).
    pub fn start_upsd(mut self, yes: bool) -> Self {
        self.start_upsd = yes;
        self
    }

    /// Write the configuration, start the drivers, then upsd, and wait until they serve.
    pub fn start(self) -> Result<Stack, String> {
        let dir = tempfile::Builder::new()
            .prefix("nut-stack-")
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir for the stack: {e}"))?;
        let port = free_port();
        let mut stack = Stack {
            dir,
            port,
            upses: self.upses.clone(),
            drivers: Vec::new(),
            upsd: None,
            upsd_impl: self.upsd,
        };
        stack.write_configs(&self)?;
        stack.start_drivers()?;
        if self.start_upsd {
            stack.start_upsd_proc()?;
            if self.wait_data {
                stack.wait_data()?;
            }
        }
        Ok(stack)
    }
}

/// A running stack. Dropping it stops every process it started (by PID).
#[derive(Debug)]
pub struct Stack {
    dir: TempDir,
    port: u16,
    upses: Vec<UpsSpec>,
    drivers: Vec<(String, Proc)>,
    upsd: Option<Proc>,
    upsd_impl: Impl,
}

impl Stack {
    /// Start describing a stack: no UPS yet, Debian's upsd, [`DEFAULT_USERS`].
    pub fn builder() -> StackBuilder {
        StackBuilder {
            upses: Vec::new(),
            upsd: Impl::Debian,
            users: DEFAULT_USERS.to_string(),
            maxage: None,
            upsd_extra: Vec::new(),
            wait_data: true,
            start_upsd: true,
            files: Vec::new(),
        }
    }

    /// The stack's directory (NUT_CONFPATH = NUT_STATEPATH = NUT_ALTPIDPATH).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// upsd's TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `name@127.0.0.1:port`, as the clients take it.
    pub fn target(&self, ups: &str) -> String {
        format!("{ups}@127.0.0.1:{}", self.port)
    }

    /// Which upsd runs.
    pub fn upsd_impl(&self) -> Impl {
        self.upsd_impl
    }

    /// The sections of ups.conf.
    pub fn upses(&self) -> &[UpsSpec] {
        &self.upses
    }

    /// The environment every NUT program of this stack gets.
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        let d = self.dir().to_path_buf();
        vec![("NUT_CONFPATH", d.clone()), ("NUT_STATEPATH", d.clone()), ("NUT_ALTPIDPATH", d)]
    }

    /// A new raw protocol connection to upsd.
    pub fn connect(&self) -> io::Result<Conn> {
        Conn::connect(self.port)
    }

    /// PID of the driver of `ups`.
    pub fn driver_pid(&self, ups: &str) -> Option<u32> {
        self.drivers.iter().find(|(n, _)| n == ups).map(|(_, p)| p.pid())
    }

    /// Send `sig` to the driver of `ups` (SIGSTOP makes it stale, SIGKILL disconnects it).
    pub fn signal_driver(&self, ups: &str, sig: libc::c_int) -> bool {
        match self.drivers.iter().find(|(n, _)| n == ups) {
            Some((_, p)) => {
                p.signal(sig);
                true
            }
            None => false,
        }
    }

    /// Kill the driver of `ups` and wait until it is gone.
    pub fn kill_driver(&mut self, ups: &str) -> bool {
        if let Some(pos) = self.drivers.iter().position(|(n, _)| n == ups) {
            let (_, mut p) = self.drivers.remove(pos);
            p.signal(libc::SIGCONT);
            p.signal(libc::SIGKILL);
            let _ = p.child_mut().wait();
            return true;
        }
        false
    }

    /// True while upsd has not exited.
    pub fn upsd_alive(&mut self) -> bool {
        self.upsd.as_mut().map(|p| p.is_running()).unwrap_or(false)
    }

    /// PID of upsd.
    pub fn upsd_pid(&self) -> Option<u32> {
        self.upsd.as_ref().map(|p| p.pid())
    }

    /// What upsd wrote to stdout/stderr so far.
    pub fn upsd_log(&self) -> String {
        fs::read_to_string(self.dir().join("log/upsd.log")).unwrap_or_default()
    }

    /// What the driver of `ups` wrote so far.
    pub fn driver_log(&self, ups: &str) -> String {
        fs::read_to_string(self.dir().join(format!("log/drv-{ups}.log"))).unwrap_or_default()
    }

    /// Path of the driver socket of `ups`.
    pub fn socket_path(&self, ups: &str) -> PathBuf {
        self.dir().join(format!("dummy-ups-{ups}"))
    }

    fn write_configs(&self, b: &StackBuilder) -> Result<(), String> {
        let d = self.dir();
        let mut ups = String::new();
        for u in &b.upses {
            let _ = writeln!(ups, "[{}]\n\tdriver = dummy-ups\n\tport = {}", u.name, conf_quote(&u.port));
            if let Some(desc) = &u.desc {
                let _ = writeln!(ups, "\tdesc = {}", conf_quote(desc));
            }
            for l in &u.extra {
                let _ = writeln!(ups, "\t{l}");
            }
            ups.push('\n');
        }
        let mut upsd = format!("LISTEN 127.0.0.1 {}\nSTATEPATH {}\n", self.port, d.display());
        if let Some(m) = b.maxage {
            let _ = writeln!(upsd, "MAXAGE {m}");
        }
        for l in &b.upsd_extra {
            let _ = writeln!(upsd, "{l}");
        }
        let w = |name: &str, text: &str| {
            fs::write(d.join(name), text).map_err(|e| format!("cannot write {}/{name}: {e}", d.display()))
        };
        for (name, data) in &b.files {
            fs::write(d.join(name), data).map_err(|e| format!("cannot write {}/{name}: {e}", d.display()))?;
        }
        w("ups.conf", &ups)?;
        w("upsd.conf", &upsd)?;
        w("upsd.users", &b.users)?;
        // nut.conf is read by some programs; say what we are.
        w("nut.conf", "MODE=standalone\n")?;
        fs::create_dir_all(d.join("log")).map_err(|e| format!("cannot create {}/log: {e}", d.display()))?;
        Ok(())
    }

    fn command(&self, program: &Path, log: &str) -> Result<Command, String> {
        let mut cmd = Command::new(program);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        let path = self.dir().join("log").join(log);
        let f = fs::File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let f2 = f.try_clone().map_err(|e| format!("dup log file: {e}"))?;
        cmd.stdin(Stdio::null()).stdout(f).stderr(f2).current_dir(self.dir());
        Ok(cmd)
    }

    fn start_drivers(&mut self) -> Result<(), String> {
        for u in self.upses.clone() {
            let log = format!("drv-{}.log", u.name);
            let cmd = match &u.driver {
                Driver::DummyUps(which) => {
                    let mut c = self.command(&program(*which, "dummy-ups"), &log)?;
                    c.args(["-a", &u.name, "-u", "root", "-F"]);
                    c
                }
                Driver::External(prog, args) => {
                    let mut c = self.command(prog, &log)?;
                    c.args(args).arg(self.socket_path(&u.name));
                    c
                }
            };
            self.drivers.push((u.name.clone(), Proc::spawn(cmd)));
        }
        // A driver is ready once its socket exists; upsd retries a connection that is refused.
        let timeout = Duration::from_secs(20) + Duration::from_millis(150) * self.upses.len() as u32;
        let deadline = Instant::now() + timeout;
        let mut pending: Vec<String> = self.upses.iter().map(|u| u.name.clone()).collect();
        while !pending.is_empty() {
            let mut still = Vec::new();
            for name in pending {
                // Only look at the file: connecting and hanging up makes Debian's 2.8.0
                // dummy-ups spin on the dead connection at 100% CPU.
                if fs::metadata(self.socket_path(&name)).is_ok_and(|m| m.file_type().is_socket()) {
                    continue;
                }
                let exited = self
                    .drivers
                    .iter_mut()
                    .find(|(n, _)| *n == name)
                    .map(|(_, p)| !p.is_running())
                    .unwrap_or(true);
                if exited {
                    let which = self.driver_desc(&name);
                    return Err(format!(
                        "{which} for UPS {name} exited before creating its socket {}; its output:\n{}",
                        self.socket_path(&name).display(),
                        tail(&self.driver_log(&name), 20)
                    ));
                }
                still.push(name);
            }
            pending = still;
            if pending.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} driver(s) did not create their socket within {:?} (first: {}, {}); its output:\n{}",
                    pending.len(),
                    timeout,
                    pending[0],
                    self.driver_desc(&pending[0]),
                    tail(&self.driver_log(&pending[0]), 20)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn driver_desc(&self, name: &str) -> String {
        match self.upses.iter().find(|u| u.name == name).map(|u| &u.driver) {
            Some(Driver::DummyUps(w)) => {
                format!("{} dummy-ups ({})", w.label(), program(*w, "dummy-ups").display())
            }
            Some(Driver::External(p, _)) => format!("driver {}", p.display()),
            None => "driver".into(),
        }
    }

    fn start_upsd_proc(&mut self) -> Result<(), String> {
        let prog = program(self.upsd_impl, "upsd");
        let mut cmd = self.command(&prog, "upsd.log")?;
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
            let why = if exited {
                match p.child_mut().try_wait() {
                    Ok(Some(st)) => format!("exited ({st}) before listening"),
                    _ => "exited before listening".to_string(),
                }
            } else {
                "did not listen within 20 s".to_string()
            };
            let log = tail(&self.upsd_log(), 30);
            return Err(format!(
                "{} upsd ({}) {why} on 127.0.0.1:{port} (config in {}); its output:\n{log}",
                self.upsd_impl.label(),
                prog.display(),
                self.dir().display()
            ));
        }
        self.upsd = Some(p);
        Ok(())
    }

    /// Start upsd by hand (after `start_upsd(false)`); returns its output on failure.
    pub fn start_upsd(&mut self) -> Result<(), String> {
        self.start_upsd_proc()
    }

    /// Wait until every UPS answers `LIST VAR` with data (not ERR), i.e. upsd got the dump.
    pub fn wait_data(&mut self) -> Result<(), String> {
        let timeout = Duration::from_secs(20) + Duration::from_millis(100) * self.upses.len() as u32;
        let deadline = Instant::now() + timeout;
        let mut conn = None;
        let mut pending: Vec<String> = self.upses.iter().map(|u| u.name.clone()).collect();
        let mut last = String::new();
        let mut seen: HashMap<String, Vec<String>> = HashMap::new();
        while !pending.is_empty() {
            if !self.upsd_alive() {
                return Err(format!(
                    "upsd died while loading data; its output:\n{}",
                    tail(&self.upsd_log(), 30)
                ));
            }
            if conn.is_none() {
                conn = Conn::connect(self.port).ok();
            }
            if let Some(c) = conn.as_mut() {
                let mut still = Vec::new();
                let mut broken = false;
                for name in pending {
                    if broken {
                        still.push(name);
                        continue;
                    }
                    match c.request(&format!("LIST VAR {name}")) {
                        // Before the driver's dump arrives upsd lists only `ups.status "WAIT"`;
                        // the data counts as loaded when two polls in a row agree.
                        Ok(lines)
                            if lines.first().is_some_and(|l| l.starts_with("BEGIN "))
                                && !(lines.len() <= 3
                                    && lines.iter().any(|l| l.ends_with(" ups.status \"WAIT\"")))
                                && seen.get(&name) == Some(&lines) => {}
                        Ok(lines) => {
                            seen.insert(name.clone(), lines.clone());
                            last = format!("{name}: {}", lines.join(" | "));
                            still.push(name);
                        }
                        Err(e) => {
                            last = format!("{name}: {e}");
                            still.push(name);
                            broken = true;
                        }
                    }
                }
                if broken {
                    conn = None;
                }
                pending = still;
            }
            if pending.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} UPS(es) have no data after {timeout:?} (last reply {last}); upsd output:\n{}",
                    pending.len(),
                    tail(&self.upsd_log(), 20)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Run a client program (e.g. Debian's `/usr/bin/upsc`) with this stack's environment and a
    /// time limit.
    pub fn run(&self, program: &Path, args: &[&str], timeout: Duration) -> Result<Output, String> {
        let mut cmd = Command::new(program);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd.args(args);
        run_with_timeout(cmd, timeout)
    }

    fn stop_all(&mut self) {
        // Signal everything first so 500 drivers stop in parallel, then reap.
        for (_, p) in &self.drivers {
            p.signal(libc::SIGCONT);
            p.signal(libc::SIGTERM);
        }
        if let Some(p) = &self.upsd {
            p.signal(libc::SIGCONT);
            p.signal(libc::SIGTERM);
        }
        self.upsd = None;
        self.drivers.clear();
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// The path of program `name` for `which` implementation.
pub fn program(which: Impl, name: &str) -> PathBuf {
    match which {
        Impl::Ours => bin(name),
        Impl::Debian => crate::debian_bin(name).unwrap_or_else(|| PathBuf::from(format!("/lib/nut/{name}"))),
    }
}

/// Quote a value for a NUT config file.
fn conf_quote(v: &str) -> String {
    let mut s = String::from("\"");
    for c in v.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A finished client run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Bytes on stdout.
    pub stdout: Vec<u8>,
    /// Bytes on stderr.
    pub stderr: Vec<u8>,
}

impl Output {
    /// stdout as text (lossy).
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// stderr as text (lossy).
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Run `cmd` to completion, killing it after `timeout`. stdin is /dev/null.
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Result<Output, String> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {name}: {e}"))?;
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_end(&mut v);
        }
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(o) = err.as_mut() {
            let _ = o.read_to_end(&mut v);
        }
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name} did not finish within {timeout:?} (killed)"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("waiting for {name}: {e}")),
        }
    };
    let stdout = t_out.join().unwrap_or_default();
    let stderr = t_err.join().unwrap_or_default();
    Ok(Output { code: status.code().unwrap_or(-1), stdout, stderr })
}

/// A raw line-oriented connection to upsd, for tests that speak the protocol themselves.
#[derive(Debug)]
pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    /// Connect to 127.0.0.1:`port` with a 10 s read timeout.
    pub fn connect(port: u16) -> io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.set_nodelay(true)?;
        let writer = s.try_clone()?;
        Ok(Conn { reader: BufReader::new(s), writer })
    }

    /// Change the read timeout.
    pub fn set_timeout(&mut self, t: Duration) -> io::Result<()> {
        self.writer.set_read_timeout(Some(t))
    }

    /// Send raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// Read one line including its `\n`, as raw bytes; `Ok(None)` on EOF.
    pub fn read_line_raw(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut v = Vec::new();
        let n = self.reader.read_until(b'\n', &mut v)?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(v))
    }

    /// Read one line without its `\n`; EOF is an error.
    pub fn read_line(&mut self) -> io::Result<String> {
        match self.read_line_raw()? {
            Some(mut v) => {
                if v.last() == Some(&b'\n') {
                    v.pop();
                }
                Ok(String::from_utf8_lossy(&v).into_owned())
            }
            None => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "upsd closed the connection")),
        }
    }

    /// Send `line` + `\n` and read the reply: one line, or a whole `BEGIN ... END` list.
    pub fn request(&mut self, line: &str) -> io::Result<Vec<String>> {
        self.send_raw(format!("{line}\n").as_bytes())?;
        self.read_reply()
    }

    /// Read one reply: one line, or `BEGIN ...` through the matching `END ...` line.
    pub fn read_reply(&mut self) -> io::Result<Vec<String>> {
        let first = self.read_line()?;
        let mut lines = vec![first.clone()];
        if first.starts_with("BEGIN ") {
            loop {
                let l = self.read_line()?;
                let end = l.starts_with("END ");
                lines.push(l);
                if end {
                    break;
                }
            }
        }
        Ok(lines)
    }

    /// The underlying stream (for shutdown or peeking).
    pub fn stream(&self) -> &TcpStream {
        &self.writer
    }
}
