//! The simulator's run loop: one thread, `poll(2)` over the pty master and stdin (control
//! lines), with the due times of delayed writes, the timeline and a pending replug as the
//! poll timeout. Events go to stdout, one line each (see README.md).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::desc::{parse_action, Desc};
use crate::engine::{Engine, Output, PARTIAL_IDLE};
use crate::escape::quote;
use crate::pty::{relink, Pty};

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub desc: Desc,
    /// A symlink to keep pointing at the current slave (`/dev/pts/N`).
    pub link: Option<PathBuf>,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

struct Sim {
    engine: Engine,
    link: Option<PathBuf>,
    pty: Option<Pty>,
    writes: VecDeque<(Instant, Vec<u8>)>,
    replug_at: Option<Instant>,
    quit: bool,
    /// When the last byte from the driver came (for a partial command's idle gap).
    last_rx: Option<Instant>,
    /// The state the `every` due times were set for, and those times.
    every_state: usize,
    every_due: Vec<Instant>,
}

fn event(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

impl Sim {
    fn plug(&mut self) -> io::Result<PathBuf> {
        let pty = Pty::open()?;
        let path = match &self.link {
            Some(l) => {
                relink(pty.slave_path(), l)?;
                l.clone()
            }
            None => pty.slave_path().to_path_buf(),
        };
        self.pty = Some(pty);
        Ok(path)
    }

    fn unplug(&mut self) {
        self.pty = None;
        self.writes.clear();
        self.engine.reset_input();
        if let Some(l) = &self.link {
            let _ = std::fs::remove_file(l);
        }
    }

    fn handle(&mut self, outputs: Vec<Output>) -> io::Result<()> {
        let now = Instant::now();
        let base = self.writes.back().map_or(now, |(t, _)| (*t).max(now));
        for o in outputs {
            match o {
                Output::Write { after, bytes } => self.writes.push_back((base + after, bytes)),
                Output::Event(e) => event(&e),
                Output::Unplug(pause) => {
                    self.unplug();
                    self.replug_at = pause.map(|p| Instant::now() + p);
                    event("unplugged");
                }
                Output::Replug => self.replug()?,
                Output::Quit => self.quit = true,
            }
        }
        self.flush_due()
    }

    fn replug(&mut self) -> io::Result<()> {
        self.replug_at = None;
        if self.pty.is_some() {
            self.unplug();
        }
        let path = self.plug()?;
        event(&format!("replugged {}", path.display()));
        Ok(())
    }

    fn flush_due(&mut self) -> io::Result<()> {
        let now = Instant::now();
        while self.writes.front().is_some_and(|(t, _)| *t <= now) {
            let Some((_, bytes)) = self.writes.pop_front() else { break };
            if let Some(p) = &self.pty {
                p.write_all(&bytes)?;
                event(&format!("tx {}", quote(&bytes)));
            }
        }
        Ok(())
    }
}

/// Run until SIGTERM/SIGINT or a `quit` control line. Prints `ready PATH` once the port exists.
pub fn run(opts: Options) -> io::Result<()> {
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let timeline = opts.desc.timeline.clone();
    let mut sim = Sim {
        engine: Engine::new(opts.desc),
        link: opts.link,
        pty: None,
        writes: VecDeque::new(),
        replug_at: None,
        quit: false,
        last_rx: None,
        every_state: usize::MAX,
        every_due: Vec::new(),
    };
    let path = sim.plug()?;
    let t0 = Instant::now();
    event(&format!("ready {} state {}", path.display(), sim.engine.state()));
    let mut next_event = 0usize;
    let mut stdin_open = true;
    let mut stdin_buf: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    // SAFETY: fcntl on our own stdin.
    unsafe {
        let fl = libc::fcntl(0, libc::F_GETFL);
        if fl >= 0 {
            libc::fcntl(0, libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
    }

    while !sim.quit && !STOP.load(Ordering::SeqCst) {
        let now = Instant::now();
        // Timeline and replug first: they may be due already.
        while let Some((at, action)) = timeline.get(next_event) {
            if t0 + *at > now {
                break;
            }
            next_event += 1;
            event(&format!("timeline {:?}", at));
            match sim.engine.apply(action) {
                Ok(out) => sim.handle(out)?,
                Err(e) => event(&format!("error {e}")),
            }
        }
        if sim.replug_at.is_some_and(|t| t <= now) {
            sim.replug()?;
        }
        // Unsolicited transmissions of the current state (due times restart on a switch).
        if sim.engine.state_index() != sim.every_state {
            sim.every_state = sim.engine.state_index();
            let every = &sim.engine.desc().states[sim.every_state].every;
            sim.every_due = every.iter().map(|(d, _)| now + *d).collect();
        }
        for i in 0..sim.every_due.len() {
            if sim.every_due[i] <= now && sim.every_state == sim.engine.state_index() {
                let period = sim.engine.desc().states[sim.every_state].every[i].0;
                sim.every_due[i] = now + period;
                if sim.pty.is_some() {
                    let out = sim.engine.periodic(i);
                    sim.handle(out)?;
                }
            }
        }
        // A partial command with no byte for a while is settled.
        if sim.engine.has_partial() && sim.last_rx.is_some_and(|t| now >= t + PARTIAL_IDLE) {
            sim.last_rx = None;
            let out = sim.engine.input_idle();
            sim.handle(out)?;
        }
        sim.flush_due()?;

        let mut deadline: Option<Instant> = None;
        let mut consider = |t: Instant| deadline = Some(deadline.map_or(t, |d: Instant| d.min(t)));
        if let Some((at, _)) = timeline.get(next_event) {
            consider(t0 + *at);
        }
        if let Some(t) = sim.replug_at {
            consider(t);
        }
        if let Some((t, _)) = sim.writes.front() {
            consider(*t);
        }
        for t in &sim.every_due {
            consider(*t);
        }
        if let Some(t) = sim.last_rx.filter(|_| sim.engine.has_partial()) {
            consider(t + PARTIAL_IDLE);
        }
        let timeout_ms: libc::c_int = match deadline {
            None => 1000,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                (left.as_micros().div_ceil(1000)).min(1000) as libc::c_int
            }
        };

        let mut fds = Vec::with_capacity(2);
        if let Some(p) = &sim.pty {
            fds.push(libc::pollfd { fd: p.master_fd(), events: libc::POLLIN, revents: 0 });
        }
        if stdin_open {
            fds.push(libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 });
        }
        // SAFETY: fds is a valid array of pollfd of the given length.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for pfd in &fds {
            if pfd.revents == 0 {
                continue;
            }
            if pfd.fd == 0 {
                // SAFETY: reading into our buffer from stdin.
                let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
                if n == 0 {
                    stdin_open = false;
                } else if n > 0 {
                    stdin_buf.extend_from_slice(&buf[..n as usize]);
                    while let Some(pos) = stdin_buf.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = stdin_buf.drain(..=pos).collect();
                        let line = String::from_utf8_lossy(&line).trim().to_string();
                        if line.is_empty() || line.starts_with('#') {
                            continue;
                        }
                        match parse_action(&line).and_then(|a| sim.engine.apply(&a)) {
                            Ok(out) => {
                                sim.handle(out)?;
                                event(&format!("ok {line}"));
                            }
                            Err(e) => event(&format!("error {line}: {e}")),
                        }
                    }
                } else {
                    let e = io::Error::last_os_error();
                    if !matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) {
                        stdin_open = false;
                    }
                }
            } else if let Some(p) = &sim.pty {
                match p.read(&mut buf) {
                    Ok(0) => {}
                    Ok(n) => {
                        sim.last_rx = Some(Instant::now());
                        let out = sim.engine.on_input(&buf[..n]);
                        sim.handle(out)?;
                    }
                    Err(e) => {
                        // Cannot happen while we hold the slave open; do not spin on it.
                        event(&format!("error reading the port: {e}"));
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
            }
        }
    }
    sim.unplug();
    event("stopped");
    Ok(())
}
