//! The network load measurements against a running upsd (or the minimal epoll server).
//!
//! The generator runs on one thread (tokio current-thread runtime) so that, on a 2-core
//! machine, it takes at most one core and leaves the other to the server. At 16 and 256
//! connections that one core is the bottleneck: compare the server's CPU per request, and the
//! rate against the minimal epoll server measured the same way.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;

use crate::args::Opts;
use crate::conn::Conn;
use crate::procfs;
use crate::stats;

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// Run subcommand `cmd` on a fresh current-thread runtime.
pub fn run(cmd: &str, o: &Opts) -> Result<Value, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    let port: u16 = o.num("port", 0)?;
    if port == 0 {
        return Err("--port is required".into());
    }
    match cmd {
        "getvar" => rt.block_on(getvar(o, port)),
        "listvar" => rt.block_on(listvar(o, port)),
        "logins" => rt.block_on(logins(o, port)),
        "neverread" => rt.block_on(neverread(o, port)),
        "burst" => rt.block_on(burst(o, port)),
        _ => Err(format!("unknown load subcommand {cmd}")),
    }
}

/// `GET VAR` request lines, one per UPS, sent in turn.
fn getvar_requests(o: &Opts) -> Vec<Vec<u8>> {
    let var = o.str("var", "ups.status");
    o.str("ups", "ups1,ups2,ups3")
        .split(',')
        .filter(|u| !u.is_empty())
        .map(|u| format!("GET VAR {u} {var}\n").into_bytes())
        .collect()
}

/// CPU seconds and wall time at the start of a measured window.
struct Window {
    pid: Option<u32>,
    cpu0: Option<f64>,
    t0: Instant,
}

impl Window {
    fn start(pid: Option<u32>) -> Window {
        Window { pid, cpu0: pid.and_then(procfs::cpu_secs), t0: Instant::now() }
    }

    /// (elapsed seconds, server CPU seconds used in the window).
    fn end(&self) -> (f64, Option<f64>) {
        let el = self.t0.elapsed().as_secs_f64();
        let cpu = match (self.cpu0, self.pid.and_then(procfs::cpu_secs)) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        (el, cpu)
    }
}

/// Open `n` clients that each connect, make one `GET VAR` (so the server has accepted and set
/// them up) and then stay silent. At most 16 are in flight, which keeps NUT's listen backlog
/// of 16 from overflowing (the burst test measures that separately).
async fn open_idle(port: u16, n: usize, req: &[u8]) -> (Vec<Conn>, usize, f64) {
    let t0 = Instant::now();
    let mut set = JoinSet::new();
    let mut conns = Vec::with_capacity(n);
    let mut failed = 0;
    let mut started = 0;
    let deadline = t0 + Duration::from_secs(50);
    while conns.len() + failed < n {
        while started < n && set.len() < 16 {
            let req = req.to_vec();
            set.spawn(async move {
                let mut c = Conn::connect(port).await?;
                c.send(&req).await?;
                c.line().await?;
                Ok::<Conn, std::io::Error>(c)
            });
            started += 1;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, set.join_next()).await {
            Ok(Some(Ok(Ok(c)))) => conns.push(c),
            Ok(Some(_)) => failed += 1,
            Ok(None) => break,
            // NUT drops clients silent for 60 s: stop opening before the first ones expire.
            Err(_) => {
                failed += n - conns.len() - failed;
                break;
            }
        }
    }
    set.abort_all();
    (conns, failed, t0.elapsed().as_secs_f64())
}

/// Closed-loop GET VAR on `conns` connections, each sending the next request when the previous
/// reply is in. Returns (latency samples in ns, requests answered with something else than VAR,
/// connections that failed).
async fn closed_loop(
    port: u16,
    conns: usize,
    reqs: &[Vec<u8>],
    warmup: f64,
    secs: f64,
    pid: Option<u32>,
) -> Result<Value, String> {
    let mut active = Vec::with_capacity(conns);
    for i in 0..conns {
        let c = Conn::connect(port).await.map_err(|e| format!("connection {i} to 127.0.0.1:{port}: {e}"))?;
        active.push(c);
    }
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let mut set = JoinSet::new();
    for (i, mut c) in active.into_iter().enumerate() {
        let phase = phase.clone();
        let reqs: Vec<Vec<u8>> = reqs.to_vec();
        set.spawn(async move {
            let mut lat: Vec<u64> = Vec::with_capacity(1 << 16);
            let mut bad = 0u64;
            let mut k = i;
            loop {
                let ph = phase.load(Ordering::Relaxed);
                if ph == STOP {
                    return (lat, bad, None);
                }
                let t = Instant::now();
                let r = &reqs[k % reqs.len()];
                k += 1;
                if let Err(e) = c.send(r).await {
                    return (lat, bad, Some(e.to_string()));
                }
                match c.line_starts_with(b"VAR ").await {
                    Ok(ok) => {
                        if !ok {
                            bad += 1;
                        }
                        if ph == MEASURE && phase.load(Ordering::Relaxed) == MEASURE {
                            lat.push(t.elapsed().as_nanos() as u64);
                        }
                    }
                    Err(e) => return (lat, bad, Some(e.to_string())),
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs_f64(warmup)).await;
    let w = Window::start(pid);
    phase.store(MEASURE, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    phase.store(STOP, Ordering::Relaxed);
    let (elapsed, cpu) = w.end();
    let mut lat = Vec::new();
    let mut bad = 0;
    let mut errors = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(r)) = tokio::time::timeout_at(deadline, set.join_next()).await {
        if let Ok((l, b, e)) = r {
            lat.extend(l);
            bad += b;
            errors.extend(e);
        }
    }
    let stuck = set.len();
    set.abort_all();
    let n = lat.len();
    let rate = n as f64 / elapsed;
    let cpu_us = cpu.filter(|_| n > 0).map(|c| c * 1e6 / n as f64);
    Ok(json!({
        "conns": conns,
        "requests": n,
        "secs": elapsed,
        "rate": rate,
        "server_cpu_secs": cpu,
        "server_cpu_us_per_req": cpu_us,
        "latency": stats::summary(lat),
        "non_var_replies": bad,
        "conn_errors": errors.len(),
        "first_error": errors.first(),
        "stuck_conns": stuck,
    }))
}

async fn getvar(o: &Opts, port: u16) -> Result<Value, String> {
    let conns: usize = o.num("conns", 1)?;
    let idle: usize = o.num("idle", 0)?;
    let secs: f64 = o.num("secs", 3.0)?;
    let warmup: f64 = o.num("warmup", 0.3)?;
    let pid: Option<u32> = o.opt("pid")?;
    let reqs = getvar_requests(o);
    if reqs.is_empty() {
        return Err("--ups names no UPS".into());
    }
    let rss_before = pid.and_then(procfs::rss_kib);
    let fds_before = pid.and_then(procfs::fd_count);
    let mut idle_info = Value::Null;
    let mut _idle_conns = Vec::new();
    if idle > 0 {
        let (c, failed, took) = open_idle(port, idle, &reqs[0]).await;
        // Let the server finish whatever it does after the last reply before reading its RSS.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rss_idle = pid.and_then(procfs::rss_kib);
        let fds_idle = pid.and_then(procfs::fd_count);
        let per_conn = match (rss_before, rss_idle) {
            (Some(a), Some(b)) if !c.is_empty() => Some((b as f64 - a as f64) / c.len() as f64),
            _ => None,
        };
        idle_info = json!({
            "requested": idle,
            "connected": c.len(),
            "failed": failed,
            "open_secs": took,
            "server_fds_before": fds_before,
            "server_fds_idle": fds_idle,
            "rss_kib_before": rss_before,
            "rss_kib_idle": rss_idle,
            "rss_kib_per_conn": per_conn,
        });
        _idle_conns = c;
    }
    let mut v = closed_loop(port, conns, &reqs, warmup, secs, pid).await?;
    v["idle"] = idle_info;
    v["rss_kib"] = json!(pid.and_then(procfs::rss_kib));
    Ok(v)
}

async fn listvar(o: &Opts, port: u16) -> Result<Value, String> {
    let secs: f64 = o.num("secs", 3.0)?;
    let pid: Option<u32> = o.opt("pid")?;
    let upses: Vec<String> = o.str("ups", "ups1,ups2,ups3").split(',').map(str::to_string).collect();
    let mut c = Conn::connect(port).await.map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    let mut lat = Vec::new();
    let mut lines_total = 0u64;
    let w = Window::start(pid);
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut k = 0;
    while Instant::now() < end {
        let ups = &upses[k % upses.len()];
        k += 1;
        let t = Instant::now();
        c.send(format!("LIST VAR {ups}\n").as_bytes()).await.map_err(|e| e.to_string())?;
        let first = c.line().await.map_err(|e| e.to_string())?;
        if !first.starts_with("BEGIN LIST VAR") {
            return Err(format!("LIST VAR {ups}: unexpected reply {first:?}"));
        }
        let mut n = 0;
        loop {
            let l = c.line().await.map_err(|e| e.to_string())?;
            if l.starts_with("END LIST VAR") {
                break;
            }
            n += 1;
        }
        lines_total += n;
        lat.push(t.elapsed().as_nanos() as u64);
    }
    let (elapsed, cpu) = w.end();
    let n = lat.len();
    Ok(json!({
        "lists": n,
        "vars_per_list": if n > 0 { lines_total as f64 / n as f64 } else { 0.0 },
        "secs": elapsed,
        "rate": n as f64 / elapsed,
        "server_cpu_us_per_list": cpu.filter(|_| n > 0).map(|c| c * 1e6 / n as f64),
        "latency": stats::summary(lat),
    }))
}

async fn logins(o: &Opts, port: u16) -> Result<Value, String> {
    let secs: f64 = o.num("secs", 3.0)?;
    let pid: Option<u32> = o.opt("pid")?;
    let user = o.str("user", "mon");
    let pass = o.str("pass", "monpw");
    let ups = o.str("ups", "ups1");
    let steps = [
        format!("USERNAME {user}"),
        format!("PASSWORD {pass}"),
        format!("LOGIN {ups}"),
        "LOGOUT".to_string(),
    ];
    let mut lat = Vec::new();
    let w = Window::start(pid);
    let end = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < end {
        let t = Instant::now();
        let mut c = Conn::connect(port).await.map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
        for s in &steps {
            let r = c.request(s).await.map_err(|e| format!("{s}: {e}"))?;
            if !r.starts_with("OK") {
                return Err(format!("{s}: upsd answered {r:?}"));
            }
        }
        drop(c);
        lat.push(t.elapsed().as_nanos() as u64);
    }
    let (elapsed, cpu) = w.end();
    let n = lat.len();
    Ok(json!({
        "logins": n,
        "secs": elapsed,
        "rate": n as f64 / elapsed,
        "server_cpu_us_per_login": cpu.filter(|_| n > 0).map(|c| c * 1e6 / n as f64),
        "latency": stats::summary(lat),
    }))
}

/// One client's closed-loop GET VAR for `secs`, giving up on the first reply that takes longer
/// than `timeout` (the server is then considered frozen for this client).
async fn probe(c: &mut Conn, req: &[u8], secs: f64, timeout: Duration) -> Value {
    let mut lat = Vec::new();
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(secs);
    let mut stalled = false;
    let mut error = None;
    while Instant::now() < end {
        let t = Instant::now();
        let r = tokio::time::timeout(timeout, async {
            c.send(req).await?;
            c.line().await
        })
        .await;
        match r {
            Ok(Ok(_)) => lat.push(t.elapsed().as_nanos() as u64),
            Ok(Err(e)) => {
                error = Some(e.to_string());
                break;
            }
            Err(_) => {
                stalled = true;
                break;
            }
        }
    }
    let el = t0.elapsed().as_secs_f64();
    let n = lat.len();
    json!({"requests": n, "rate": n as f64 / el, "stalled": stalled, "error": error, "latency": stats::summary(lat)})
}

async fn neverread(o: &Opts, port: u16) -> Result<Value, String> {
    let secs: f64 = o.num("secs", 3.0)?;
    let base_secs: f64 = o.num("base-secs", 1.0)?;
    let ups = o.str("ups", "ups1");
    let req = format!("GET VAR {ups} ups.status\n").into_bytes();
    let timeout = Duration::from_secs(1);
    let mut good = Conn::connect(port).await.map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    let before = probe(&mut good, &req, base_secs, timeout).await;

    // The bad client asks for LIST VAR (a few KiB of reply per request) as fast as it can write
    // and never reads, until both socket buffers are full.
    let mut bad = Conn::connect(port).await.map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    let written = Arc::new(AtomicU64::new(0));
    let w2 = written.clone();
    let batch: Vec<u8> = format!("LIST VAR {ups}\n").repeat(64).into_bytes();
    let bad_task = tokio::spawn(async move {
        loop {
            if let Err(e) = bad.stream().write_all(&batch).await {
                return e.to_string();
            }
            w2.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
    });
    // Wait until its writes stop making progress (the server stopped reading it) or 5 s.
    let t0 = Instant::now();
    let mut last = 0;
    let mut still_since = Instant::now();
    while t0.elapsed() < Duration::from_secs(5) && !bad_task.is_finished() {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = written.load(Ordering::Relaxed);
        if now != last {
            last = now;
            still_since = Instant::now();
        } else if still_since.elapsed() >= Duration::from_millis(500) {
            break;
        }
    }
    let fill_secs = t0.elapsed().as_secs_f64();
    let during = if before["stalled"] == json!(false) && before["error"].is_null() {
        probe(&mut good, &req, secs, timeout).await
    } else {
        json!({"skipped": "the client was already stalled before the non-reader arrived"})
    };
    let bad_closed = if bad_task.is_finished() {
        match bad_task.await {
            Ok(e) => Some(e),
            Err(e) => Some(e.to_string()),
        }
    } else {
        bad_task.abort();
        None
    };
    Ok(json!({
        "before": before,
        "during": during,
        "bad_bytes_written": written.load(Ordering::Relaxed),
        "bad_fill_secs": fill_secs,
        "bad_disconnected_by_server": bad_closed,
    }))
}

async fn burst(o: &Opts, port: u16) -> Result<Value, String> {
    let count: usize = o.num("count", 2000)?;
    let timeout: f64 = o.num("timeout", 10.0)?;
    let ups = o.str("ups", "ups1");
    let req = format!("GET VAR {ups} ups.status\n").into_bytes();
    let t0 = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..count {
        let req = req.clone();
        set.spawn(async move {
            let r = tokio::time::timeout(Duration::from_secs_f64(timeout), async {
                let mut c = Conn::connect(port).await?;
                c.send(&req).await?;
                let ok = c.line_starts_with(b"VAR ").await?;
                Ok::<(Conn, bool), std::io::Error>((c, ok))
            })
            .await;
            let el = t0.elapsed();
            match r {
                Ok(Ok((c, true))) => (el, Ok(c)),
                Ok(Ok((_, false))) => (el, Err("answered with something else than VAR".to_string())),
                Ok(Err(e)) => (el, Err(e.to_string())),
                Err(_) => (el, Err(format!("no answer within {timeout} s"))),
            }
        });
    }
    // Keep every answered connection open until the whole burst is done, so the server holds
    // all of them at once.
    let mut held = Vec::new();
    let mut fast = 0;
    let mut late = 0;
    let mut lat = Vec::new();
    let mut errors: std::collections::BTreeMap<String, usize> = Default::default();
    while let Some(r) = set.join_next().await {
        let Ok((el, r)) = r else { continue };
        match r {
            Ok(c) => {
                held.push(c);
                lat.push(el.as_nanos() as u64);
                if el < Duration::from_millis(900) {
                    fast += 1;
                } else {
                    late += 1;
                }
            }
            Err(e) => *errors.entry(e).or_default() += 1,
        }
    }
    let failed: usize = errors.values().sum();
    Ok(json!({
        "count": count,
        "answered_fast": fast,
        "answered_late": late,
        "failed": failed,
        "errors": errors,
        "secs": t0.elapsed().as_secs_f64(),
        "latency": stats::summary(lat),
    }))
}
