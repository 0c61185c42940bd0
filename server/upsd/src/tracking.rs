//! TRACKING (protocol 1.3): ids handed out for SET VAR and INSTCMD, and the results drivers
//! report for them, kept for TRACKINGDELAY seconds.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Status a tracking id has before the driver answers.
pub const PENDING: i64 = -1;

/// Results of tracked commands, keyed by the upper-case id (clients may echo it in any case).
#[derive(Debug)]
pub struct Tracking {
    entries: HashMap<String, (i64, Instant)>,
    keep: Duration,
}

impl Tracking {
    /// An empty table keeping results for `keep`.
    pub fn new(keep: Duration) -> Tracking {
        Tracking { entries: HashMap::new(), keep }
    }

    /// Change how long results are kept (reload).
    pub fn set_keep(&mut self, keep: Duration) {
        self.keep = keep;
    }

    /// Register a new pending id and return it.
    pub fn add(&mut self) -> String {
        self.expire();
        let id = new_uuid();
        self.entries.insert(id.clone(), (PENDING, Instant::now()));
        id
    }

    /// Record the driver's answer for `id`; unknown ids are ignored. Returns the reply text.
    pub fn set(&mut self, id: &str, status: i64) -> Option<&'static str> {
        let e = self.entries.get_mut(&id.to_ascii_uppercase())?;
        e.0 = status;
        Some(reply(status))
    }

    /// The reply to `GET TRACKING <id>`.
    pub fn get(&mut self, id: &str) -> &'static str {
        self.expire();
        match self.entries.get(&id.to_ascii_uppercase()) {
            Some((status, _)) => reply(*status),
            None => "ERR UNKNOWN",
        }
    }

    fn expire(&mut self) {
        let keep = self.keep;
        self.entries.retain(|_, (_, at)| at.elapsed() <= keep);
    }
}

/// NUT's text for a driver status: 0 succeeded, 1 unknown command, 2 invalid argument,
/// 3 failed; anything else reads as unknown.
pub fn reply(status: i64) -> &'static str {
    match status {
        PENDING => "PENDING",
        0 => "SUCCESS",
        2 => "ERR INVALID-ARGUMENT",
        3 => "ERR FAILED",
        _ => "ERR UNKNOWN",
    }
}

/// A random (version 4) UUID in upper case, as NUT formats tracking ids.
pub fn new_uuid() -> String {
    let mut b = [0u8; 16];
    fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{byte:02X}"));
    }
    s
}

fn fill_random(buf: &mut [u8]) {
    // SAFETY: getrandom(2) writes at most `buf.len()` bytes into the valid buffer.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n == buf.len() as isize {
        return;
    }
    // Without getrandom (very old kernels), ids only need to be unique, not secret.
    let seed = Instant::now().elapsed().as_nanos()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
        ^ u128::from(std::process::id());
    let mut x = seed as u64 | 1;
    for b in buf.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_results() {
        let mut t = Tracking::new(Duration::from_secs(60));
        let id = t.add();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_eq!(id, id.to_ascii_uppercase());
        assert_eq!(t.get(&id), "PENDING");
        assert_eq!(t.set(&id.to_ascii_lowercase(), 3), Some("ERR FAILED"));
        assert_eq!(t.get(&id.to_ascii_lowercase()), "ERR FAILED");
        assert_eq!(t.get("nosuch"), "ERR UNKNOWN");
        assert_ne!(t.add(), id);
        for (s, r) in [(0, "SUCCESS"), (1, "ERR UNKNOWN"), (2, "ERR INVALID-ARGUMENT"), (4, "ERR UNKNOWN")] {
            assert_eq!(reply(s), r);
        }
    }

    #[test]
    fn results_expire() {
        let mut t = Tracking::new(Duration::ZERO);
        let id = t.add();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(t.get(&id), "ERR UNKNOWN");
    }
}
