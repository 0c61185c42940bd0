//! Serial ports as NUT's drivers use them (drivers/serial.c): opened non-blocking without
//! becoming the controlling tty, put in raw mode (8 data bits or 7 with parity, one or two
//! stop bits, no flow control or RTS/CTS, CLOCAL, no echo or line processing), taken for
//! exclusive use (TIOCEXCL, and NUT's `flock` lock unless `nolock`), read with deadlines
//! (poll), written whole, with the modem-control lines readable and settable for
//! contact-closure UPSes. A failed open says why and how to fix it ([`crate::access`]).

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::access::{self, NodeInfo, Os, Runner};

/// Parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parity {
    /// None (8 data bits).
    #[default]
    None,
    /// Even.
    Even,
    /// Odd.
    Odd,
}

/// Flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flow {
    /// None (NUT's default).
    #[default]
    None,
    /// Hardware RTS/CTS.
    RtsCts,
}

/// How to set the port up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// Bits per second.
    pub speed: u32,
    /// Data bits: 5 to 8.
    pub data_bits: u8,
    /// Parity.
    pub parity: Parity,
    /// Stop bits: 1 or 2.
    pub stop_bits: u8,
    /// Flow control.
    pub flow: Flow,
    /// NUT's `nolock`: do not take the advisory lock.
    pub nolock: bool,
}

impl Default for SerialConfig {
    /// 2400 bps 8N1, no flow control, locked: the Megatec default.
    fn default() -> SerialConfig {
        SerialConfig {
            speed: 2400,
            data_bits: 8,
            parity: Parity::None,
            stop_bits: 1,
            flow: Flow::None,
            nolock: false,
        }
    }
}

/// The modem-control lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModemLines {
    /// Data Terminal Ready (output).
    pub dtr: bool,
    /// Request To Send (output).
    pub rts: bool,
    /// Clear To Send (input).
    pub cts: bool,
    /// Data Carrier Detect (input).
    pub dcd: bool,
    /// Ring Indicator (input).
    pub ri: bool,
    /// Data Set Ready (input).
    pub dsr: bool,
}

impl ModemLines {
    /// From TIOCMGET bits.
    pub fn from_bits(b: i32) -> ModemLines {
        ModemLines {
            dtr: b & libc::TIOCM_DTR != 0,
            rts: b & libc::TIOCM_RTS != 0,
            cts: b & libc::TIOCM_CTS != 0,
            dcd: b & libc::TIOCM_CAR != 0,
            ri: b & libc::TIOCM_RNG != 0,
            dsr: b & libc::TIOCM_DSR != 0,
        }
    }

    /// To TIOCMSET bits.
    pub fn bits(self) -> i32 {
        let mut b = 0;
        for (on, bit) in [
            (self.dtr, libc::TIOCM_DTR),
            (self.rts, libc::TIOCM_RTS),
            (self.cts, libc::TIOCM_CTS),
            (self.dcd, libc::TIOCM_CAR),
            (self.ri, libc::TIOCM_RNG),
            (self.dsr, libc::TIOCM_DSR),
        ] {
            if on {
                b |= bit;
            }
        }
        b
    }
}

/// Serial failures.
#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    /// The port could not be opened: the report names the node, its owner, group and mode,
    /// the user, and the fix.
    #[error("{0}")]
    Open(String),
    /// Another process holds NUT's lock on the port.
    #[error("{0} is locked by another process")]
    Locked(String),
    /// The settings can't be applied (speed not supported, not a tty).
    #[error("{port}: {why}")]
    Setup {
        /// The port.
        port: String,
        /// What failed.
        why: String,
    },
    /// Nothing (or no complete reply) arrived before the deadline; `partial` is what came.
    #[error("timed out ({} byte(s) received)", partial.len())]
    Timeout {
        /// Bytes received before the deadline.
        partial: Vec<u8>,
    },
    /// The other end went away (cable pulled, USB adapter unplugged, pty closed).
    #[error("the port was closed by the other end ({} byte(s) received)", partial.len())]
    Closed {
        /// Bytes received before.
        partial: Vec<u8>,
    },
    /// Another I/O error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The termios speed constant for a bit rate.
pub fn speed_constant(bps: u32) -> Option<libc::speed_t> {
    Some(match bps {
        50 => libc::B50,
        75 => libc::B75,
        110 => libc::B110,
        134 => libc::B134,
        150 => libc::B150,
        200 => libc::B200,
        300 => libc::B300,
        600 => libc::B600,
        1200 => libc::B1200,
        1800 => libc::B1800,
        2400 => libc::B2400,
        4800 => libc::B4800,
        9600 => libc::B9600,
        19200 => libc::B19200,
        38400 => libc::B38400,
        57600 => libc::B57600,
        115200 => libc::B115200,
        230400 => libc::B230400,
        #[cfg(any(target_os = "linux", target_os = "freebsd"))]
        460800 => libc::B460800,
        #[cfg(target_os = "linux")]
        921600 => libc::B921600,
        _ => return None,
    })
}

/// The termios flags for a configuration: (c_cflag without speed, c_iflag). Pure.
pub fn termios_flags(cfg: &SerialConfig) -> Result<(libc::tcflag_t, libc::tcflag_t), String> {
    let size = match cfg.data_bits {
        5 => libc::CS5,
        6 => libc::CS6,
        7 => libc::CS7,
        8 => libc::CS8,
        n => return Err(format!("{n} data bits: 5 to 8 are possible")),
    };
    let mut c = size | libc::CLOCAL | libc::CREAD;
    match cfg.stop_bits {
        1 => {}
        2 => c |= libc::CSTOPB,
        n => return Err(format!("{n} stop bits: 1 or 2 are possible")),
    }
    let mut i = libc::IGNPAR;
    match cfg.parity {
        Parity::None => {}
        Parity::Even => {
            c |= libc::PARENB;
            i = libc::INPCK;
        }
        Parity::Odd => {
            c |= libc::PARENB | libc::PARODD;
            i = libc::INPCK;
        }
    }
    if cfg.flow == Flow::RtsCts {
        c |= libc::CRTSCTS;
    }
    Ok((c, i))
}

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

fn cvt(r: libc::c_int) -> std::io::Result<libc::c_int> {
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// An open serial port.
#[derive(Debug)]
pub struct SerialPort {
    fd: OwnedFd,
    path: String,
    cfg: SerialConfig,
    /// Bytes read past the last terminator, kept for the next read.
    pending: Vec<u8>,
}

impl SerialPort {
    /// Open and set up `path`.
    pub fn open(path: &str, cfg: &SerialConfig) -> Result<SerialPort, SerialError> {
        let fd = open_node(path)?;
        let mut port = SerialPort { fd, path: path.to_string(), cfg: cfg.clone(), pending: Vec::new() };
        port.setup()?;
        Ok(port)
    }

    fn setup(&mut self) -> Result<(), SerialError> {
        let fd = self.fd.as_raw_fd();
        let setup_err = |why: String| SerialError::Setup { port: self.path.clone(), why };
        if !self.cfg.nolock {
            // NUT's lock_set: an exclusive advisory lock, refused at once if taken.
            // SAFETY: fd is an open descriptor we own.
            if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let e = errno();
                if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                    return Err(SerialError::Locked(self.path.clone()));
                }
                tracing::warn!("Warning: no locking method is available ({e})");
            }
        }
        // Refuse further opens by other (non-root) processes while we hold it.
        // SAFETY: TIOCEXCL takes no argument.
        if unsafe { libc::ioctl(fd, libc::TIOCEXCL as _) } != 0 {
            tracing::debug!("TIOCEXCL on {}: {}", self.path, errno());
        }
        let speed = speed_constant(self.cfg.speed)
            .ok_or_else(|| setup_err(format!("speed {} bps is not supported", self.cfg.speed)))?;
        let (cflag, iflag) = termios_flags(&self.cfg).map_err(setup_err)?;
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut tio: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is open, tio is a valid pointer.
        if unsafe { libc::tcgetattr(fd, &mut tio) } != 0 {
            return Err(setup_err(format!("tcgetattr: {} (is it a serial port?)", errno())));
        }
        tio.c_cflag = cflag;
        tio.c_iflag = iflag;
        tio.c_oflag = 0;
        tio.c_lflag = 0;
        tio.c_cc[libc::VMIN] = 1;
        tio.c_cc[libc::VTIME] = 0;
        // SAFETY: valid pointer to an initialised termios.
        unsafe {
            libc::cfsetispeed(&mut tio, speed);
            libc::cfsetospeed(&mut tio, speed);
        }
        // SAFETY: fd is open.
        unsafe { libc::tcflush(fd, libc::TCIFLUSH) };
        // SAFETY: fd is open, tio valid.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &tio) } != 0 {
            return Err(setup_err(format!("tcsetattr: {}", errno())));
        }
        Ok(())
    }

    /// The device node.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw descriptor (for poll loops).
    pub fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Close and open the same node again with the same settings (after an unplug).
    pub fn reopen(&mut self) -> Result<(), SerialError> {
        // Our own lock and exclusive mode would refuse the new open: release them first.
        let fd = self.fd.as_raw_fd();
        // SAFETY: fd is an open descriptor we own; both calls take no pointer.
        unsafe {
            libc::flock(fd, libc::LOCK_UN);
            libc::ioctl(fd, libc::TIOCNXCL as _);
        }
        let fresh = SerialPort::open(&self.path, &self.cfg)?;
        *self = fresh;
        Ok(())
    }

    /// Wait until the port is readable/writable (`events`) or the deadline passes.
    fn wait(&self, events: libc::c_short, deadline: Instant) -> Result<libc::c_short, SerialError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // Round up: poll's millisecond resolution must not end the wait early.
            let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
            let mut p = libc::pollfd { fd: self.fd.as_raw_fd(), events, revents: 0 };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut p, 1, ms) };
            if n < 0 {
                let e = errno();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e.into());
            }
            if n == 0 && Instant::now() < deadline {
                continue;
            }
            return Ok(if n == 0 { 0 } else { p.revents });
        }
    }

    /// Write all of `data` within `timeout`.
    pub fn write_all(&mut self, data: &[u8], timeout: Duration) -> Result<(), SerialError> {
        let deadline = Instant::now() + timeout;
        let mut off = 0;
        while off < data.len() {
            // SAFETY: the slice is valid for its length.
            let n =
                unsafe { libc::write(self.fd.as_raw_fd(), data[off..].as_ptr().cast(), data.len() - off) };
            if n >= 0 {
                off += n as usize;
                continue;
            }
            let e = errno();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => {
                    let r = self.wait(libc::POLLOUT, deadline)?;
                    if r == 0 {
                        return Err(SerialError::Timeout { partial: Vec::new() });
                    }
                    if r & (libc::POLLHUP | libc::POLLERR) != 0 && r & libc::POLLOUT == 0 {
                        return Err(SerialError::Closed { partial: Vec::new() });
                    }
                }
                Some(libc::EIO) | Some(libc::ENXIO) | Some(libc::ENODEV) => {
                    return Err(SerialError::Closed { partial: Vec::new() })
                }
                _ => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Read what is there (at most `max` bytes), waiting up to the deadline for the first byte.
    /// `Ok(empty)`: the deadline passed.
    fn read_some(&mut self, max: usize, deadline: Instant) -> Result<Vec<u8>, SerialError> {
        let mut buf = vec![0u8; max.max(1)];
        loop {
            // Wait first: right after a command the answer is not there yet, and a read that
            // can only say EAGAIN is a system call per exchange for nothing.
            let r = self.wait(libc::POLLIN, deadline)?;
            if r == 0 {
                return Ok(Vec::new());
            }
            if r & libc::POLLIN == 0 && r & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                return Err(SerialError::Closed { partial: Vec::new() });
            }
            // SAFETY: buf is valid for its length.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                buf.truncate(n as usize);
                return Ok(buf);
            }
            if n == 0 {
                return Err(SerialError::Closed { partial: Vec::new() });
            }
            let e = errno();
            match e.raw_os_error() {
                Some(libc::EINTR) | Some(libc::EAGAIN) => continue,
                // Linux ptys and unplugged USB adapters report the hang-up as EIO.
                Some(libc::EIO) | Some(libc::ENXIO) | Some(libc::ENODEV) => {
                    return Err(SerialError::Closed { partial: Vec::new() })
                }
                _ => return Err(e.into()),
            }
        }
    }

    /// Read up to and including `terminator` within `timeout` (NUT's `ser_get_line`): the
    /// reply with its terminator; bytes after it are kept for the next read. On timeout or
    /// hang-up, the error carries the partial reply (and it is not kept).
    pub fn read_until(&mut self, terminator: u8, timeout: Duration) -> Result<Vec<u8>, SerialError> {
        let deadline = Instant::now() + timeout;
        let mut got = std::mem::take(&mut self.pending);
        loop {
            if let Some(i) = got.iter().position(|&b| b == terminator) {
                self.pending = got.split_off(i + 1);
                return Ok(got);
            }
            match self.read_some(256, deadline) {
                Ok(chunk) if chunk.is_empty() => return Err(SerialError::Timeout { partial: got }),
                Ok(chunk) => got.extend_from_slice(&chunk),
                Err(SerialError::Closed { .. }) => return Err(SerialError::Closed { partial: got }),
                Err(e) => return Err(e),
            }
        }
    }

    /// One exchange of a line protocol (the Q1 family): drop stale input, send `cmd`, read the
    /// reply up to `terminator`, all within `timeout`.
    pub fn command(&mut self, cmd: &[u8], terminator: u8, timeout: Duration) -> Result<Vec<u8>, SerialError> {
        let deadline = Instant::now() + timeout;
        self.flush_input()?;
        self.write_all(cmd, timeout)?;
        self.read_until(terminator, deadline.saturating_duration_since(Instant::now()))
    }

    /// Read exactly `n` bytes within `timeout` (binary protocols).
    pub fn read_exact(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, SerialError> {
        let deadline = Instant::now() + timeout;
        let mut got = std::mem::take(&mut self.pending);
        while got.len() < n {
            match self.read_some(n - got.len(), deadline) {
                Ok(chunk) if chunk.is_empty() => return Err(SerialError::Timeout { partial: got }),
                Ok(chunk) => got.extend_from_slice(&chunk),
                Err(SerialError::Closed { .. }) => return Err(SerialError::Closed { partial: got }),
                Err(e) => return Err(e),
            }
        }
        self.pending = got.split_off(n);
        Ok(got)
    }

    /// Throw away unread input (NUT's `ser_flush_in`), kernel buffer and ours.
    pub fn flush_input(&mut self) -> Result<(), SerialError> {
        self.pending.clear();
        // SAFETY: fd is open.
        cvt(unsafe { libc::tcflush(self.fd.as_raw_fd(), libc::TCIFLUSH) })?;
        Ok(())
    }

    /// Wait until everything written has been sent.
    pub fn drain(&mut self) -> Result<(), SerialError> {
        // SAFETY: fd is open.
        cvt(unsafe { libc::tcdrain(self.fd.as_raw_fd()) })?;
        Ok(())
    }

    /// The modem-control lines (TIOCMGET).
    pub fn modem_lines(&self) -> Result<ModemLines, SerialError> {
        let mut bits: libc::c_int = 0;
        // SAFETY: TIOCMGET writes one int.
        cvt(unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::TIOCMGET as _, &mut bits) })?;
        Ok(ModemLines::from_bits(bits))
    }

    /// Set all modem-control outputs at once (TIOCMSET).
    pub fn set_modem_lines(&mut self, lines: ModemLines) -> Result<(), SerialError> {
        let bits: libc::c_int = lines.bits();
        // SAFETY: TIOCMSET reads one int.
        cvt(unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::TIOCMSET as _, &bits) })?;
        Ok(())
    }

    fn set_line(&mut self, bit: libc::c_int, on: bool) -> Result<(), SerialError> {
        let req = if on { libc::TIOCMBIS } else { libc::TIOCMBIC };
        // SAFETY: TIOCMBIS/TIOCMBIC read one int.
        cvt(unsafe { libc::ioctl(self.fd.as_raw_fd(), req as _, &bit) })?;
        Ok(())
    }

    /// Raise or drop DTR (NUT's `ser_set_dtr`).
    pub fn set_dtr(&mut self, on: bool) -> Result<(), SerialError> {
        self.set_line(libc::TIOCM_DTR, on)
    }

    /// Raise or drop RTS (NUT's `ser_set_rts`).
    pub fn set_rts(&mut self, on: bool) -> Result<(), SerialError> {
        self.set_line(libc::TIOCM_RTS, on)
    }

    /// Send a break.
    pub fn send_break(&mut self) -> Result<(), SerialError> {
        // SAFETY: fd is open.
        cvt(unsafe { libc::tcsendbreak(self.fd.as_raw_fd(), 0) })?;
        Ok(())
    }
}

/// One modem-control output line (the ones a computer drives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLine {
    /// Data Terminal Ready.
    Dtr,
    /// Request To Send.
    Rts,
}

/// The modem-control lines as contact-closure drivers use them (NUT's genericups): read the
/// lines (TIOCMGET), set every output at once (TIOCMSET), raise or drop one output
/// (TIOCMBIS/TIOCMBIC), send a break (tcsendbreak, NUT's `ST`). [`SerialPort`] implements it
/// with the real ioctls; tests implement it with a fake line source, since a Linux pty has no
/// modem-control lines (the ioctls fail there with ENOTTY).
///
/// (The line set itself is the [`ModemLines`] struct, hence this trait's name.)
pub trait ModemControl {
    /// The state of every line (TIOCMGET).
    fn get_lines(&mut self) -> Result<ModemLines, SerialError>;
    /// Set every output line at once (TIOCMSET: DTR and RTS as given; inputs are ignored).
    fn set_lines(&mut self, lines: ModemLines) -> Result<(), SerialError>;
    /// Raise (TIOCMBIS) or drop (TIOCMBIC) one output line.
    fn switch_line(&mut self, line: OutputLine, on: bool) -> Result<(), SerialError>;
    /// Send a break on the transmit line: `duration` as C's `tcsendbreak` takes it (0 for the
    /// system's default of 0.25 to 0.5 s; on Linux a positive value is in milliseconds,
    /// rounded up to tenths of a second).
    fn send_break_for(&mut self, duration: libc::c_int) -> Result<(), SerialError>;
}

impl ModemControl for SerialPort {
    fn get_lines(&mut self) -> Result<ModemLines, SerialError> {
        self.modem_lines()
    }

    fn set_lines(&mut self, lines: ModemLines) -> Result<(), SerialError> {
        self.set_modem_lines(lines)
    }

    fn switch_line(&mut self, line: OutputLine, on: bool) -> Result<(), SerialError> {
        match line {
            OutputLine::Dtr => self.set_dtr(on),
            OutputLine::Rts => self.set_rts(on),
        }
    }

    fn send_break_for(&mut self, duration: libc::c_int) -> Result<(), SerialError> {
        // SAFETY: fd is open.
        cvt(unsafe { libc::tcsendbreak(self.fd.as_raw_fd(), duration) })?;
        Ok(())
    }
}

fn open_node(path: &str) -> Result<OwnedFd, SerialError> {
    let c = CString::new(path)
        .map_err(|_| SerialError::Open(format!("Unable to open {path:?}: NUL in the path")))?;
    // SAFETY: c is a valid C string.
    let fd =
        unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC) };
    if fd < 0 {
        let e = errno();
        let report = access::open_failure(
            path,
            &strerror(&e),
            stat_node(&c).as_ref(),
            &current_runner(),
            Os::current(),
        );
        return Err(SerialError::Open(report));
    }
    // SAFETY: fd was just opened and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The error text as C's strerror gives it (without Rust's " (os error N)").
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn stat_node(c: &CString) -> Option<NodeInfo> {
    // SAFETY: stat is plain data.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid path and pointer.
    if unsafe { libc::stat(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(NodeInfo {
        uid: st.st_uid,
        owner: user_name(st.st_uid),
        gid: st.st_gid,
        group: group_name(st.st_gid),
        mode: st.st_mode as u32,
    })
}

/// The name of a uid, from the user database.
pub fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: passwd is plain data.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: all pointers are valid; buf outlives the use of pw's strings.
    let r = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if r != 0 || out.is_null() {
        return None;
    }
    // SAFETY: pw_name points into buf, NUL-terminated.
    Some(unsafe { std::ffi::CStr::from_ptr(pw.pw_name) }.to_string_lossy().into_owned())
}

/// The name of a gid, from the group database.
pub fn group_name(gid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 16384];
    // SAFETY: group is plain data.
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: all pointers are valid.
    let r = unsafe { libc::getgrgid_r(gid, &mut gr, buf.as_mut_ptr(), buf.len(), &mut out) };
    if r != 0 || out.is_null() {
        return None;
    }
    // SAFETY: gr_name points into buf, NUL-terminated.
    Some(unsafe { std::ffi::CStr::from_ptr(gr.gr_name) }.to_string_lossy().into_owned())
}

fn current_runner() -> Runner {
    // SAFETY: getuid/getgid can't fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let mut gids = vec![gid];
    // SAFETY: a 0-sized call asks for the count.
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    if n > 0 {
        let mut v = vec![0 as libc::gid_t; n as usize];
        // SAFETY: v has room for n gids.
        let m = unsafe { libc::getgroups(n, v.as_mut_ptr()) };
        if m > 0 {
            v.truncate(m as usize);
            gids.extend(v);
        }
    }
    Runner { uid, name: user_name(uid), gids }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A pty pair: the master end (the "UPS") and the slave's path (the "serial port").
    fn pty() -> (std::fs::File, String) {
        let mut master: libc::c_int = -1;
        let mut slave: libc::c_int = -1;
        let mut name = [0 as libc::c_char; 128];
        // SAFETY: valid out-pointers; name has room for a pts path.
        let r = unsafe {
            libc::openpty(&mut master, &mut slave, name.as_mut_ptr(), std::ptr::null(), std::ptr::null())
        };
        assert_eq!(r, 0, "openpty: {}", errno());
        // SAFETY: name is NUL-terminated by openpty.
        let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
        // Keep only the master open: the port under test opens the slave by path.
        // SAFETY: slave is an fd we own.
        unsafe { libc::close(slave) };
        // SAFETY: master is an fd we own.
        (unsafe { std::fs::File::from_raw_fd(master) }, path)
    }

    fn cfg() -> SerialConfig {
        SerialConfig { nolock: false, ..SerialConfig::default() }
    }

    #[test]
    fn round_trip_and_leftover_bytes_kept() {
        use std::io::{Read, Write};
        let (mut ups, path) = pty();
        let mut port = SerialPort::open(&path, &cfg()).unwrap();
        port.write_all(b"Q1\r", Duration::from_secs(2)).unwrap();
        let mut got = [0u8; 3];
        ups.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"Q1\r");
        ups.write_all(b"(230.0 000\r#F\r").unwrap();
        assert_eq!(port.read_until(b'\r', Duration::from_secs(2)).unwrap(), b"(230.0 000\r");
        assert_eq!(port.read_until(b'\r', Duration::from_secs(2)).unwrap(), b"#F\r", "the rest is kept");
        ups.write_all(b"\x01\x02\x03\x04").unwrap();
        assert_eq!(port.read_exact(3, Duration::from_secs(2)).unwrap(), [1, 2, 3]);
        port.flush_input().unwrap();
        assert!(matches!(port.read_exact(1, Duration::from_millis(50)), Err(SerialError::Timeout { .. })));
    }

    #[test]
    fn command_drops_stale_input_then_exchanges() {
        use std::io::{Read, Write};
        let (mut ups, path) = pty();
        let mut port = SerialPort::open(&path, &cfg()).unwrap();
        // A late reply to an earlier command is waiting: it must not be taken for this one.
        ups.write_all(b"(stale\r").unwrap();
        assert!(matches!(port.read_exact(1, Duration::from_secs(2)), Ok(b) if b == b"("));
        let answer = std::thread::spawn(move || {
            let mut got = [0u8; 2];
            ups.read_exact(&mut got).unwrap();
            assert_eq!(&got, b"F\r");
            ups.write_all(b"#230.0 000 024.0 50.0\r").unwrap();
            ups
        });
        let reply = port.command(b"F\r", b'\r', Duration::from_secs(2)).unwrap();
        assert_eq!(reply, b"#230.0 000 024.0 50.0\r");
        drop(answer.join().unwrap());
    }

    #[test]
    fn timeout_and_partial_line() {
        use std::io::Write;
        let (mut ups, path) = pty();
        let mut port = SerialPort::open(&path, &cfg()).unwrap();
        let t = Instant::now();
        match port.read_until(b'\r', Duration::from_millis(200)) {
            Err(SerialError::Timeout { partial }) => assert!(partial.is_empty()),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(t.elapsed() >= Duration::from_millis(200), "the deadline is kept");
        ups.write_all(b"(230.0 00").unwrap();
        match port.read_until(b'\r', Duration::from_millis(200)) {
            Err(SerialError::Timeout { partial }) => assert_eq!(partial, b"(230.0 00"),
            other => panic!("expected a partial line, got {other:?}"),
        }
    }

    #[test]
    fn peer_closing_is_reported_as_closed() {
        use std::io::Write;
        let (mut ups, path) = pty();
        let mut port = SerialPort::open(&path, &cfg()).unwrap();
        ups.write_all(b"(23").unwrap();
        ups.flush().unwrap();
        // Let the bytes through before hanging up: read them first as a partial line.
        match port.read_until(b'\r', Duration::from_millis(200)) {
            Err(SerialError::Timeout { partial }) => assert_eq!(partial, b"(23"),
            other => panic!("{other:?}"),
        }
        drop(ups);
        match port.read_until(b'\r', Duration::from_secs(2)) {
            Err(SerialError::Closed { partial }) => assert!(partial.is_empty()),
            other => panic!("expected Closed, got {other:?}"),
        }
    }

    #[test]
    fn a_second_opener_is_refused() {
        let (_ups, path) = pty();
        let _first = SerialPort::open(&path, &cfg()).unwrap();
        // TIOCEXCL stops a second open for non-root users (EBUSY); root passes it and then
        // meets NUT's flock lock.
        match SerialPort::open(&path, &cfg()) {
            Err(SerialError::Locked(p)) => assert_eq!(p, path),
            Err(SerialError::Open(m)) => assert!(m.starts_with(&format!("Unable to open {path}: ")), "{m}"),
            other => panic!("a second opener must be refused, got {other:?}"),
        }
    }

    #[test]
    fn missing_node_and_bad_settings_are_clear_errors() {
        let e = SerialPort::open("/dev/nonexistent-tty-for-test", &cfg()).unwrap_err().to_string();
        assert!(
            e.starts_with("Unable to open /dev/nonexistent-tty-for-test: No such file or directory"),
            "{e}"
        );
        assert!(e.contains("Check 'port=' in ups.conf"), "{e}");
        let (_ups, path) = pty();
        let bad = SerialConfig { speed: 12345, ..cfg() };
        let e = SerialPort::open(&path, &bad).unwrap_err().to_string();
        assert!(e.contains("speed 12345 bps is not supported"), "{e}");
        let e =
            SerialPort::open("/dev/null", &SerialConfig { nolock: true, ..cfg() }).unwrap_err().to_string();
        assert!(e.contains("tcgetattr") && e.contains("is it a serial port?"), "{e}");
    }

    #[test]
    fn termios_flags_follow_the_settings() {
        let (c, i) = termios_flags(&SerialConfig::default()).unwrap();
        assert_eq!(c, libc::CS8 | libc::CLOCAL | libc::CREAD, "NUT's 8N1");
        assert_eq!(i, libc::IGNPAR);
        let e71 = SerialConfig {
            data_bits: 7,
            parity: Parity::Even,
            stop_bits: 2,
            flow: Flow::RtsCts,
            ..SerialConfig::default()
        };
        let (c, i) = termios_flags(&e71).unwrap();
        assert_eq!(c, libc::CS7 | libc::CLOCAL | libc::CREAD | libc::PARENB | libc::CSTOPB | libc::CRTSCTS);
        assert_eq!(i, libc::INPCK);
        assert!(termios_flags(&SerialConfig { data_bits: 9, ..SerialConfig::default() }).is_err());
        assert_eq!(speed_constant(2400), Some(libc::B2400));
        assert_eq!(speed_constant(2401), None);
    }

    #[test]
    fn modem_lines_bits_round_trip() {
        let l = ModemLines { dtr: true, rts: false, cts: true, dcd: false, ri: true, dsr: false };
        assert_eq!(ModemLines::from_bits(l.bits()), l);
        assert_eq!(ModemLines::default().bits(), 0);
        // A pty has no modem lines: the ioctl fails cleanly (an error, no panic).
        let (_ups, path) = pty();
        let port = SerialPort::open(&path, &cfg()).unwrap();
        let _ = port.modem_lines();
    }

    #[test]
    fn modem_control_on_a_pty_fails_with_the_system_error() {
        // The trait's real implementation: a pty has no modem-control lines, so TIOCMGET,
        // TIOCMSET, TIOCMBIS and TIOCMBIC fail with ENOTTY (an error, not a panic or a
        // made-up line state); tcsendbreak works on a pty.
        let (_ups, path) = pty();
        let mut port = SerialPort::open(&path, &cfg()).unwrap();
        let c: &mut dyn ModemControl = &mut port;
        for r in [
            c.get_lines().map(|_| ()),
            c.set_lines(ModemLines { dtr: true, ..ModemLines::default() }),
            c.switch_line(OutputLine::Dtr, true),
            c.switch_line(OutputLine::Rts, false),
        ] {
            match r {
                Err(SerialError::Io(e)) => assert_eq!(e.raw_os_error(), Some(libc::ENOTTY), "{e}"),
                other => panic!("a pty has no modem lines, got {other:?}"),
            }
        }
        c.send_break_for(0).unwrap();
    }

    #[test]
    fn reopen_is_not_refused_by_our_own_lock() {
        let (master, path) = pty();
        let mut p = SerialPort::open(&path, &SerialConfig::default()).expect("open");
        p.reopen().expect("reopen with our own lock held");
        assert!(SerialPort::open(&path, &SerialConfig::default()).is_err(), "still locked after the reopen");
        drop(master);
    }
}
