//! A pseudo-terminal pair standing for the UPS's serial port: we keep the master, a driver
//! opens the slave (or the link to it) like `/dev/ttyS0`.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// An open pty pair. The slave stays open on our side too, so the master does not see a
/// hang-up while no driver has the port open.
#[derive(Debug)]
pub struct Pty {
    master: OwnedFd,
    _slave: OwnedFd,
    slave_path: PathBuf,
}

impl Pty {
    /// Open a new pair: the slave in raw mode (no echo, no line editing, no CR/NL mapping),
    /// the master non-blocking. Both close on exec.
    pub fn open() -> io::Result<Pty> {
        let mut m: libc::c_int = -1;
        let mut s: libc::c_int = -1;
        // SAFETY: openpty writes two descriptors into our integers; the name, termios and
        // winsize pointers may be NULL.
        let rc = unsafe {
            libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), std::ptr::null())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just returned by openpty and are owned by nobody else.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
        set_flags(master.as_raw_fd(), true)?;
        set_flags(slave.as_raw_fd(), false)?;
        make_raw(slave.as_raw_fd())?;
        let slave_path = tty_name(slave.as_raw_fd())?;
        Ok(Pty { master, _slave: slave, slave_path })
    }

    /// The slave's path (`/dev/pts/N`).
    pub fn slave_path(&self) -> &Path {
        &self.slave_path
    }

    /// The master side, for poll/read/write.
    pub fn master_fd(&self) -> RawFd {
        self.master.as_raw_fd()
    }

    /// Read what the driver wrote (non-blocking; `Ok(0)` when nothing is there).
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: reading into a buffer we own, at most its length.
        let n = unsafe { libc::read(self.master_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted {
                return Ok(0);
            }
            return Err(e);
        }
        Ok(n as usize)
    }

    /// Write all of `bytes` towards the driver.
    pub fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            // SAFETY: writing from a slice we own, at most its length.
            let n = unsafe { libc::write(self.master_fd(), bytes.as_ptr().cast(), bytes.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock => {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                        continue;
                    }
                    _ => return Err(e),
                }
            }
            bytes = &bytes[n as usize..];
        }
        Ok(())
    }
}

fn set_flags(fd: RawFd, nonblock: bool) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own, with integer arguments.
    unsafe {
        if libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) < 0 {
            return Err(io::Error::last_os_error());
        }
        if nonblock {
            let fl = libc::fcntl(fd, libc::F_GETFL);
            if fl < 0 || libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK) < 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

fn make_raw(fd: RawFd) -> io::Result<()> {
    // SAFETY: tcgetattr fills the zeroed termios we own; cfmakeraw and tcsetattr only read and
    // write that struct and the descriptor.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return Err(io::Error::last_os_error());
        }
        libc::cfmakeraw(&mut t);
        if libc::tcsetattr(fd, libc::TCSANOW, &t) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn tty_name(fd: RawFd) -> io::Result<PathBuf> {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: ttyname_r writes a NUL-terminated name of at most buf.len() bytes into buf.
    let rc = unsafe { libc::ttyname_r(fd, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    // SAFETY: on success buf holds a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(buf.as_ptr()) };
    Ok(PathBuf::from(name.to_string_lossy().into_owned()))
}

/// Point `link` at `target`, replacing whatever is there in one step (a new symlink renamed
/// over the old one), so a driver never sees the link missing.
pub fn relink(target: &Path, link: &Path) -> io::Result<()> {
    let mut tmp = link.as_os_str().to_owned();
    tmp.push(format!(".ups-sim-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link)
}
