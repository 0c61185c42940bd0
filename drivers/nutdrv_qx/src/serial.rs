//! The serial adapter: a tty at 2400 baud 8N1 in canonical mode with CR as end of line (one
//! `read` returns one answer), DTR/RTS set by `cablepower`. Kept to this one file until the
//! shared nut-transport serial port lands.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nut_driver::{Context, DriverError};

use crate::port::{PortError, QxPort};

/// `cablepower` values: (name, DTR, RTS).
pub const CABLEPOWER: &[(&str, bool, bool)] =
    &[("normal", true, false), ("reverse", false, true), ("both", true, true), ("none", false, false)];

/// An open serial line.
#[derive(Debug)]
pub struct SerialPort {
    path: String,
    fd: OwnedFd,
    dtr: bool,
    rts: bool,
}

/// Open the port named in ups.conf (USB bridges are not part of this build yet).
pub fn open_from_context(ctx: &Context) -> Result<Box<dyn QxPort + Send>, DriverError> {
    let usb_keys =
        ["subdriver", "vendorid", "productid", "vendor", "product", "serial", "bus", "langid_fix", "busport"];
    if ctx.port.eq_ignore_ascii_case("auto") || usb_keys.iter().any(|k| ctx.value(k).is_some()) {
        return Err(DriverError::Config(format!(
            "{}: USB devices (port = auto or USB matching options) are not supported by this build yet; \
             use a serial port path",
            ctx.location("port")
        )));
    }
    let cp = ctx.value("cablepower").unwrap_or("normal");
    let &(_, dtr, rts) = CABLEPOWER.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(cp)).ok_or_else(|| {
        DriverError::Config(format!(
            "{}: Value '{cp}' not valid for 'cablepower'",
            ctx.location("cablepower")
        ))
    })?;
    let p = SerialPort::open(&ctx.port, dtr, rts).map_err(|e| {
        DriverError::Device(format!(
            "Unable to open {}: {e} (check the port setting, that the device exists and the driver's user may use it)",
            ctx.port
        ))
    })?;
    // Devices powered from the control lines need a moment (NUT waits 1.1 s).
    std::thread::sleep(Duration::from_millis(1100));
    Ok(Box::new(p))
}

fn cvt(r: libc::c_int) -> std::io::Result<libc::c_int> {
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

impl SerialPort {
    /// Open and configure `path`.
    pub fn open(path: &str, dtr: bool, rts: bool) -> std::io::Result<SerialPort> {
        let c = CString::new(path)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in path"))?;
        // SAFETY: c is a valid NUL-terminated string.
        let fd = cvt(unsafe {
            libc::open(c.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC)
        })?;
        // SAFETY: fd was just opened and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let p = SerialPort { path: path.to_string(), fd, dtr, rts };
        p.configure()?;
        Ok(p)
    }

    fn configure(&self) -> std::io::Result<()> {
        let fd = self.fd.as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut tio: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is open, tio is valid.
        cvt(unsafe { libc::tcgetattr(fd, &mut tio) })?;
        tio.c_iflag = libc::IGNPAR;
        tio.c_oflag = 0;
        tio.c_cflag = libc::CS8 | libc::CLOCAL | libc::CREAD;
        tio.c_lflag = libc::ICANON;
        for cc in [
            libc::VEOF,
            libc::VERASE,
            libc::VINTR,
            libc::VKILL,
            libc::VQUIT,
            libc::VSUSP,
            libc::VSTART,
            libc::VSTOP,
        ] {
            tio.c_cc[cc] = 0;
        }
        tio.c_cc[libc::VEOL] = b'\r';
        // SAFETY: valid termios pointer.
        unsafe {
            cvt(libc::cfsetispeed(&mut tio, libc::B2400))?;
            cvt(libc::cfsetospeed(&mut tio, libc::B2400))?;
            cvt(libc::tcsetattr(fd, libc::TCSANOW, &tio))?;
        }
        for (bit, on) in [(libc::TIOCM_DTR, self.dtr), (libc::TIOCM_RTS, self.rts)] {
            let req = if on { libc::TIOCMBIS } else { libc::TIOCMBIC };
            // SAFETY: ioctl with a pointer to an int, as TIOCMBIS/TIOCMBIC expect. A pty
            // refuses it, which is harmless.
            let _ = unsafe { libc::ioctl(fd, req, &bit) };
        }
        Ok(())
    }

    fn wait_readable(&self, deadline: Instant) -> std::io::Result<bool> {
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        let ms = (deadline - now).as_millis().min(i32::MAX as u128) as i32;
        let mut pfd = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                return Ok(true);
            }
            return Err(e);
        }
        if r > 0 && pfd.revents & (libc::POLLHUP | libc::POLLERR) != 0 && pfd.revents & libc::POLLIN == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "hang-up on the serial line"));
        }
        Ok(r > 0)
    }
}

impl QxPort for SerialPort {
    fn command(&mut self, cmd: &[u8], timeout: Duration) -> Result<Vec<u8>, PortError> {
        let fd = self.fd.as_raw_fd();
        // SAFETY: fd is open.
        unsafe { libc::tcflush(fd, libc::TCIOFLUSH) };
        let mut sent = 0;
        while sent < cmd.len() {
            // SAFETY: pointer and length come from the slice.
            let n = unsafe { libc::write(fd, cmd[sent..].as_ptr().cast(), cmd.len() - sent) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::Interrupted {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                return Err(PortError::Io(e));
            }
            sent += n as usize;
        }
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 512];
        loop {
            if !self.wait_readable(deadline)? {
                return Err(PortError::Timeout);
            }
            // SAFETY: buf is a valid writable buffer.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(PortError::Io(e));
            }
            if n == 0 {
                return Err(PortError::Disconnected(self.path.clone()));
            }
            // Canonical mode: one read is one line.
            return Ok(buf[..n as usize].to_vec());
        }
    }

    fn reconnect(&mut self) -> Result<(), PortError> {
        let p = SerialPort::open(&self.path, self.dtr, self.rts)?;
        *self = p;
        Ok(())
    }
}
