//! Status change -> NOTIFYCMD latency.
//!
//! Each trial rewrites the `.dev` file of a dummy-ups driver (atomically, by rename, so the
//! driver never reads half a file) with `ups.status` flipped between OL and OB, then watches
//! two things: a poller on upsd (`GET VAR` every millisecond) for when upsd has the new status,
//! and the NOTIFYCMD output file for the line the notify script appends (`<epoch ns> <TYPE>`).
//! Before each trial it waits a random fraction of POLLFREQ so the change lands at a random
//! point of upsmon's and the driver's poll cycles.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::args::Opts;
use crate::conn::Conn;

/// Run the trials.
pub fn run(o: &Opts) -> Result<Value, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    rt.block_on(trials(o))
}

fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// A small xorshift generator: the pre-trial delay only has to be spread, not secret.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Replace the `ups.status:` line of the .dev file by `status`, atomically.
fn write_status(dev: &Path, status: &str) -> Result<(), String> {
    let text = fs::read_to_string(dev).map_err(|e| format!("cannot read {}: {e}", dev.display()))?;
    let mut out = String::with_capacity(text.len() + 16);
    let mut found = false;
    for l in text.lines() {
        if l.starts_with("ups.status:") {
            out.push_str(&format!("ups.status: {status}\n"));
            found = true;
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    if !found {
        return Err(format!("{} has no ups.status line", dev.display()));
    }
    let tmp = dev.with_extension("dev.tmp");
    fs::write(&tmp, out).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    fs::rename(&tmp, dev).map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), dev.display()))
}

/// New lines of the notify file after the first `skip`: `(epoch ns, type)`.
fn notify_lines(path: &Path, skip: usize) -> Vec<(u64, String)> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(skip)
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let ns = w.next()?.parse().ok()?;
            Some((ns, w.next().unwrap_or("").to_string()))
        })
        .collect()
}

async fn trials(o: &Opts) -> Result<Value, String> {
    let port: u16 = o.num("port", 0)?;
    let ups = o.str("ups", "ups1");
    let dev = std::path::PathBuf::from(o.req("dev")?);
    let nfile = std::path::PathBuf::from(o.req("notify-file")?);
    let n: usize = o.num("trials", 4)?;
    let pollfreq: f64 = o.num("pollfreq", 5.0)?;
    let timeout = Duration::from_secs_f64(o.num("timeout", 30.0)?);
    let mut rng = Rng(now_ns() | 1);
    let mut c = Conn::connect(port).await.map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    let mut to_upsd = Vec::new();
    let mut total = Vec::new();
    let mut after_upsd = Vec::new();
    let mut failures = Vec::new();
    let mut trials = Vec::new();
    for i in 0..n {
        let (status, kind) = if i % 2 == 0 { ("OB", "ONBATT") } else { ("OL", "ONLINE") };
        tokio::time::sleep(Duration::from_secs_f64(rng.next_f64() * pollfreq)).await;
        let skip = notify_lines(&nfile, 0).len();
        write_status(&dev, status)?;
        let t0 = now_ns();
        let started = Instant::now();
        let mut t1 = None;
        let mut t2 = None;
        let req = format!("GET VAR {ups} ups.status\n");
        while started.elapsed() < timeout && (t1.is_none() || t2.is_none()) {
            if t1.is_none() {
                c.send(req.as_bytes()).await.map_err(|e| format!("polling upsd: {e}"))?;
                let l = c.line().await.map_err(|e| format!("polling upsd: {e}"))?;
                if l == format!("VAR {ups} ups.status \"{status}\"") {
                    t1 = Some(now_ns());
                }
            }
            if t2.is_none() {
                t2 = notify_lines(&nfile, skip).into_iter().find(|(_, k)| k == kind).map(|(ns, _)| ns);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let ms = |a: u64, b: u64| (b as f64 - a as f64) / 1e6;
        match (t1, t2) {
            (Some(t1), Some(t2)) => {
                to_upsd.push(ms(t0, t1));
                total.push(ms(t0, t2));
                after_upsd.push(ms(t1, t2));
                trials.push(json!({"to": status, "to_upsd_ms": ms(t0, t1), "total_ms": ms(t0, t2), "after_upsd_ms": ms(t1, t2)}));
            }
            _ => failures.push(format!(
                "trial {i} ({status}): upsd {} the change, NOTIFYCMD {} within {timeout:?}",
                if t1.is_some() { "saw" } else { "did not see" },
                if t2.is_some() { "ran" } else { "did not run" },
            )),
        }
    }
    let med = |v: &Vec<f64>| {
        let mut s = v.clone();
        s.sort_by(|a, b| a.total_cmp(b));
        if s.is_empty() {
            None
        } else if s.len() % 2 == 1 {
            Some(s[s.len() / 2])
        } else {
            Some((s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0)
        }
    };
    Ok(json!({
        "trials": trials,
        "failures": failures,
        "median_to_upsd_ms": med(&to_upsd),
        "median_total_ms": med(&total),
        "median_after_upsd_ms": med(&after_upsd),
        "max_after_upsd_ms": after_upsd.iter().cloned().fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
    }))
}
