//! Signals of the `-F` supervisor: the handlers only record the signal and wake the main loop
//! through a pipe; the loop decides (see `supervisor`).
//!
//! Handled: SIGTERM, SIGINT, SIGQUIT (stop), SIGHUP, SIGUSR1, SIGURG (passed on to the drivers)
//! and SIGCHLD (a driver ended: look now rather than at the next tick). Drivers started later
//! get the default dispositions back when they exec.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::Duration;

static PIPE_W: AtomicI32 = AtomicI32::new(-1);
static PIPE_R: AtomicI32 = AtomicI32::new(-1);
static STOP: AtomicI32 = AtomicI32::new(0);
static PENDING: AtomicU32 = AtomicU32::new(0);

/// The signals passed on to drivers, in the order they are handled.
const FORWARDED: [libc::c_int; 3] = [libc::SIGHUP, libc::SIGUSR1, libc::SIGURG];

extern "C" fn on_signal(sig: libc::c_int) {
    match sig {
        libc::SIGTERM | libc::SIGINT | libc::SIGQUIT => STOP.store(sig, Ordering::Relaxed),
        _ => {
            if let Some(i) = FORWARDED.iter().position(|&s| s == sig) {
                PENDING.fetch_or(1 << i, Ordering::Relaxed);
            }
        }
    }
    let fd = PIPE_W.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = 0u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is a valid local byte. A full pipe
        // only means the loop is already due to wake.
        unsafe { libc::write(fd, std::ptr::addr_of!(b).cast(), 1) };
    }
}

/// Install the handlers (once).
pub fn install() -> io::Result<()> {
    if PIPE_R.load(Ordering::Relaxed) >= 0 {
        return Ok(());
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    PIPE_R.store(fds[0], Ordering::Relaxed);
    PIPE_W.store(fds[1], Ordering::Relaxed);
    let all = [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT, libc::SIGCHLD].into_iter().chain(FORWARDED);
    for sig in all {
        // SAFETY: the handler only touches atomics and calls write(2), which is
        // async-signal-safe; the sigaction struct is fully initialised.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// Sleep until a signal arrives or `timeout` passes.
pub fn wait(timeout: Duration) {
    let fd: RawFd = PIPE_R.load(Ordering::Relaxed);
    if fd < 0 {
        std::thread::sleep(timeout);
        return;
    }
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) };
    let mut buf = [0u8; 64];
    // SAFETY: reading into a local buffer from our non-blocking pipe.
    while unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

/// The stop signal received, if any.
pub fn stop_requested() -> Option<libc::c_int> {
    match STOP.load(Ordering::Relaxed) {
        0 => None,
        s => Some(s),
    }
}

/// The signals to pass on received since the last call.
pub fn take_forwarded() -> Vec<libc::c_int> {
    let bits = PENDING.swap(0, Ordering::Relaxed);
    FORWARDED.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, &s)| s).collect()
}
