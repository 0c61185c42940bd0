//! Load and fault tests of OUR stack (our upsd and our dummy-ups from `target/debug`): 10,000
//! concurrent clients, slowloris, floods past MAXCONN, file-descriptor exhaustion, 1 MiB lines
//! and garbage from several clients at once, kill -9 and restarts of the driver and of upsd,
//! and a stopped driver. In every case clients recover without being restarted, the other
//! clients keep being served, and stale data is never served as fresh.
//!
//! The tests run one at a time (they measure latency, memory and CPU, which parallel tests
//! would distort) and each has its own deadlines; the whole file takes about a minute. Every
//! measured figure is printed with a `load_fault:` prefix (`cargo test -p nut-tests --test
//! load_fault -- --nocapture` shows them).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nut_testkit::stack::tail;
use nut_testkit::{bin, port_open, wait_until, Conn, Impl, Proc, Stack, UpsSpec};

/// The device every test serves: a few variables, one of which (battery.charge) the fault
/// tests change across driver restarts to tell old data from new.
const DEV: &str =
    "ups.status: OL\nbattery.charge: 100\nups.mfr: Fault Test\noutput.voltage: 229.0\ninput.voltage: 230.0\n";

/// A probe that waits this long means upsd stopped serving the others (NUT 2.8.0's freezes
/// last seconds); normal round trips are well under a millisecond, and their figures are the
/// benchmark suite's business.
const STALL: Duration = Duration::from_secs(2);

/// Tests measure time, memory and CPU: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Our upsd and our dummy-ups serving `ups1` from `ups1.dev` in the stack directory.
/// `start_upsd` false leaves upsd to [`Upsd::spawn`] (custom environment or limits).
fn stack(upsd_lines: &[&str], start_upsd: bool) -> Stack {
    let mut b = Stack::builder()
        .upsd(Impl::Ours)
        .file("ups1.dev", DEV.as_bytes())
        .ups(UpsSpec::dummy_ups("ups1", "ups1.dev", Impl::Ours))
        .start_upsd(start_upsd);
    for l in upsd_lines {
        b = b.upsd_line(l);
    }
    b.start().unwrap_or_else(|e| panic!("cannot start our upsd + dummy-ups stack: {e}"))
}

/// An upsd started by the test itself, for a custom environment or descriptor limit.
struct Upsd {
    proc: Proc,
    log: PathBuf,
}

impl Upsd {
    /// Start our upsd for `st` (built with `start_upsd(false)`) with extra environment and an
    /// optional RLIMIT_NOFILE, and wait until it serves ups1's data.
    fn spawn(st: &Stack, env: &[(&str, &str)], nofile: Option<u64>) -> Upsd {
        let log = st.dir().join("log/upsd-custom.log");
        let f = std::fs::File::create(&log).expect("create upsd log");
        let mut cmd = Command::new(bin("upsd"));
        for (k, v) in st.env() {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.args(["-u", "root", "-F"])
            .current_dir(st.dir())
            .stdin(Stdio::null())
            .stdout(f.try_clone().expect("dup log"))
            .stderr(f);
        if let Some(n) = nofile {
            // SAFETY: setrlimit(2) is async-signal-safe and touches only the child.
            unsafe {
                cmd.pre_exec(move || {
                    let rl = libc::rlimit { rlim_cur: n as libc::rlim_t, rlim_max: n as libc::rlim_t };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &rl) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut u = Upsd { proc: Proc::spawn(cmd), log };
        let port = st.port();
        let ok = wait_until(Duration::from_secs(20), || !u.proc.is_running() || port_open(port));
        assert!(ok && u.proc.is_running(), "our upsd did not start; its output:\n{}", u.log_text());
        wait_for_data(port, Duration::from_secs(20), || u.log_text());
        u
    }

    fn pid(&self) -> u32 {
        self.proc.pid()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn assert_alive(&mut self, during: &str) {
        assert!(self.proc.is_running(), "{during}: upsd died; its output:\n{}", tail(&self.log_text(), 30));
    }
}

/// Wait until `GET VAR ups1 ups.status` answers with a value (upsd has the driver's dump).
fn wait_for_data(port: u16, timeout: Duration, log: impl Fn() -> String) {
    let mut last = String::new();
    let ok = wait_until(timeout, || {
        match Conn::connect(port).and_then(|mut c| c.request("GET VAR ups1 ups.status")) {
            Ok(r) => {
                last = r.join(" | ");
                last.starts_with("VAR ups1 ups.status ") && !last.contains("WAIT")
            }
            Err(e) => {
                last = e.to_string();
                false
            }
        }
    });
    assert!(
        ok,
        "upsd serves no data for ups1 after {timeout:?} (last reply: {last}); its output:\n{}",
        tail(&log(), 30)
    );
}

/// Start our dummy-ups for ups1 again (after the stack's own driver was stopped).
fn start_driver(st: &Stack, log: &str) -> Proc {
    let f = std::fs::File::create(st.dir().join("log").join(log)).expect("create driver log");
    let mut cmd = Command::new(bin("dummy-ups"));
    for (k, v) in st.env() {
        cmd.env(k, v);
    }
    cmd.args(["-a", "ups1", "-u", "root", "-F"])
        .current_dir(st.dir())
        .stdin(Stdio::null())
        .stdout(f.try_clone().expect("dup log"))
        .stderr(f);
    Proc::spawn(cmd)
}

/// Raise this process's RLIMIT_NOFILE soft limit to the hard limit (children inherit it);
/// returns the new soft limit.
fn raise_nofile() -> u64 {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit read and write the valid struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl), 0, "getrlimit");
        if rl.rlim_cur < rl.rlim_max {
            rl.rlim_cur = rl.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &rl) != 0 {
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl);
            }
        }
    }
    rl.rlim_cur
}

/// `VmRSS` of `pid` in bytes.
fn rss(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Open descriptors of `pid`.
fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

/// User + system CPU time of `pid`.
fn cpu_time(pid: u32) -> Duration {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // SAFETY: sysconf with a constant name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis((ticks(11) + ticks(12)) * 1000 / hz)
}

/// True once `pid` has exited (gone, or a zombie waiting to be reaped).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// A client that does GET VAR round trips on its own connection until stopped, recording
/// each round-trip time: "are the other clients still served, and how fast".
struct Prober {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Result<Vec<Duration>, String>>,
}

impl Prober {
    fn start(port: u16) -> Prober {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut c = Conn::connect(port).map_err(|e| format!("probe client cannot connect: {e}"))?;
            c.set_timeout(Duration::from_secs(5)).map_err(|e| e.to_string())?;
            let mut times = Vec::new();
            while !stop2.load(Ordering::Relaxed) {
                let t0 = Instant::now();
                let r = c.request("GET VAR ups1 input.voltage");
                let took = t0.elapsed();
                match r {
                    Ok(r) if r == ["VAR ups1 input.voltage \"230.0\""] => times.push(took),
                    Ok(r) => {
                        return Err(format!("probe client got {r:?} after {} good replies", times.len()))
                    }
                    Err(e) => {
                        return Err(format!(
                            "probe client got no reply after {took:?} ({} good before): {e}",
                            times.len()
                        ))
                    }
                }
                // Pacing, so the probe measures latency rather than adding load.
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(times)
        });
        Prober { stop, handle }
    }

    /// Stop; returns (count, p50, p99, max). Panics if a probe failed.
    fn finish(self, during: &str) -> (usize, Duration, Duration, Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let mut t = match self.handle.join() {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => panic!("{during}: {e}"),
            Err(_) => panic!("{during}: probe thread panicked"),
        };
        assert!(!t.is_empty(), "{during}: no probe round trip completed");
        t.sort();
        let pct = |p: f64| t[((t.len() - 1) as f64 * p).round() as usize];
        (t.len(), pct(0.5), pct(0.99), t[t.len() - 1])
    }
}

/// Read until a newline, EOF or `deadline`. Returns the bytes and what ended the read.
fn read_line_by(s: &mut TcpStream, deadline: Instant) -> (Vec<u8>, End) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (buf, End::Timeout);
        }
        let _ = s.set_read_timeout(Some(left));
        match s.read(&mut chunk) {
            Ok(0) => return (buf, End::Closed),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.contains(&b'\n') {
                    return (buf, End::Line);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (buf, End::Timeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return (buf, End::Closed),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Line,
    Closed,
    Timeout,
}

/// Lines of upsd's log that contain `needle`.
fn log_lines(log: &str, needle: &str) -> Vec<String> {
    log.lines().filter(|l| l.contains(needle)).map(str::to_string).collect()
}

/// Keep asking `req` on `c` until the reply satisfies `ok` or `timeout` passes; returns the
/// last reply.
fn poll_reply(
    c: &mut Conn,
    req: &str,
    timeout: Duration,
    ok: impl Fn(&[String]) -> bool,
) -> (bool, Vec<String>) {
    let mut last = Vec::new();
    let hit = wait_until(timeout, || {
        last = c.request(req).unwrap_or_else(|e| vec![format!("<no reply: {e}>")]);
        ok(&last)
    });
    (hit, last)
}

/// One request on `c`; a lost connection fails the test with the request named.
fn ask(c: &mut Conn, req: &str) -> Vec<String> {
    c.request(req).unwrap_or_else(|e| panic!("{req}: no reply from upsd: {e}"))
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[test]
fn ten_thousand_concurrent_clients_are_served_in_little_memory() {
    let _g = serial();
    let t_start = Instant::now();
    let limit = raise_nofile();
    // The test holds one descriptor per client and upsd one per client; keep a reserve for
    // everything else both processes open.
    let n = 10_000usize.min(limit.saturating_sub(300) as usize);
    if n < 10_000 {
        println!("load_fault: RLIMIT_NOFILE hard limit is {limit}: scaled down to {n} concurrent clients");
    }
    if n < 200 {
        // Per-connection figures over fewer clients would be noise.
        let why = format!("RLIMIT_NOFILE hard limit {limit} is below 500");
        nut_testkit::skip("ten_thousand_concurrent_clients", &why, nut_testkit::Prereq::FileLimit);
        return;
    }
    let maxconn = format!("MAXCONN {}", n + 100);
    let st = stack(&[&maxconn], true);
    let pid = st.upsd_pid().expect("upsd pid");
    let port = st.port();

    // Warm up: a few connections come and go so the baseline includes the runtime's fixed
    // allocations for serving a client.
    for _ in 0..20 {
        let mut c = Conn::connect(port).expect("warm-up connect");
        c.request("GET VAR ups1 ups.status").expect("warm-up request");
    }
    let base_fds = fd_count(pid);
    let base_rss = rss(pid);
    let prober = Prober::start(port);

    // Phase 1: open n idle connections from 4 threads.
    let t_conn = Instant::now();
    let threads = 4;
    let per = n.div_ceil(threads);
    let results: Vec<(Vec<TcpStream>, Duration)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|i| {
                let count = per.min(n - (i * per).min(n));
                s.spawn(move || {
                    let mut v = Vec::with_capacity(count);
                    let mut worst = Duration::ZERO;
                    for _ in 0..count {
                        let t0 = Instant::now();
                        let c = TcpStream::connect(("127.0.0.1", port))
                            .unwrap_or_else(|e| panic!("client {} of {n} cannot connect: {e}", v.len()));
                        worst = worst.max(t0.elapsed());
                        v.push(c);
                    }
                    (v, worst)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("connect thread")).collect()
    });
    let connect_time = t_conn.elapsed();
    let worst_connect = results.iter().map(|r| r.1).max().unwrap_or_default();
    let mut groups: Vec<Vec<TcpStream>> = results.into_iter().map(|r| r.0).collect();
    // upsd holds one descriptor per accepted client.
    let mut accepted = 0;
    let all_in = wait_until(Duration::from_secs(30), || {
        accepted = fd_count(pid).saturating_sub(base_fds);
        accepted >= n
    });
    assert!(all_in, "upsd accepted only {accepted} of {n} connections within 30 s");
    // A probe answered after the last accept means every client task has started.
    let mut c = Conn::connect(port).expect("connect after the burst");
    c.request("GET VAR ups1 ups.status").expect("request after the burst");
    drop(c);
    let idle_rss = rss(pid);
    let per_idle = (idle_rss.saturating_sub(base_rss)) as f64 / n as f64;

    // Phase 2: every client sends one GET VAR, then every client reads its reply.
    let t_serve = Instant::now();
    let served: Vec<Result<usize, String>> = std::thread::scope(|s| {
        let hs: Vec<_> = groups
            .iter_mut()
            .map(|g| {
                s.spawn(move || {
                    for (i, c) in g.iter_mut().enumerate() {
                        c.write_all(b"GET VAR ups1 ups.status\n")
                            .map_err(|e| format!("client {i}: send: {e}"))?;
                    }
                    let deadline = Instant::now() + Duration::from_secs(60);
                    for (i, c) in g.iter_mut().enumerate() {
                        let (line, end) = read_line_by(c, deadline);
                        if end != End::Line || line != b"VAR ups1 ups.status \"OL\"\n" {
                            return Err(format!("client {i}: {end:?} {:?}", String::from_utf8_lossy(&line)));
                        }
                    }
                    Ok(g.len())
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("serve thread")).collect()
    });
    let serve_time = t_serve.elapsed();
    let mut ok = 0;
    for r in served {
        ok += r.unwrap_or_else(|e| panic!("not every one of the {n} clients was served: {e}"));
    }
    assert_eq!(ok, n);
    let served_rss = rss(pid);
    let per_served = (served_rss.saturating_sub(base_rss)) as f64 / n as f64;
    let (probes, p50, p99, max) = prober.finish(&format!("with {n} clients open"));

    // Closing them all gives every descriptor back.
    drop(groups);
    let mut left = 0;
    let released = wait_until(Duration::from_secs(30), || {
        left = fd_count(pid).saturating_sub(base_fds);
        left == 0
    });
    assert!(released, "upsd still holds {left} client descriptors 30 s after the {n} clients left");
    let after_rss = rss(pid);

    println!(
        "load_fault: {n} clients: connected in {:.2} s (slowest connect {}), all served in {:.2} s",
        connect_time.as_secs_f64(),
        fmt_ms(worst_connect),
        serve_time.as_secs_f64()
    );
    println!(
        "load_fault: upsd RSS {:.1} MiB before, {:.1} MiB with {n} idle clients ({per_idle:.0} B each), \
         {:.1} MiB once each was served ({per_served:.0} B each), {:.1} MiB after they left",
        base_rss as f64 / 1048576.0,
        idle_rss as f64 / 1048576.0,
        served_rss as f64 / 1048576.0,
        after_rss as f64 / 1048576.0
    );
    println!(
        "load_fault: probe GET VAR round trips while they were open: {probes} probes, p50 {}, p99 {}, max {}",
        fmt_ms(p50),
        fmt_ms(p99),
        fmt_ms(max)
    );
    // What users rely on is that nobody waits on the others (NUT 2.8.0's upsd freezes for
    // seconds here); how fast a round trip is belongs to the benchmark suite
    // (scripts/bench.sh, docs/benchmarks.md), not to a test on a shared machine. A stall is a
    // probe that waited seconds.
    assert!(
        max < STALL,
        "a GET VAR probe waited {} with {n} clients open (p99 {}): upsd stalled",
        fmt_ms(max),
        fmt_ms(p99)
    );
    assert!(per_idle <= 2048.0, "upsd uses {per_idle:.0} bytes of RSS per idle connection (limit 2 KiB)");
    println!("load_fault: ten_thousand_concurrent_clients took {:.1} s", t_start.elapsed().as_secs_f64());
}

#[test]
fn slowloris_clients_do_not_hurt_others_and_idle_ones_are_dropped() {
    let _g = serial();
    let t_start = Instant::now();
    let idle_secs = 3u64;
    let st = stack(&[], false);
    let mut upsd = Upsd::spawn(&st, &[("NUT_UPSD_IDLE_TIMEOUT", &idle_secs.to_string())], None);
    let port = st.port();

    let prober = Prober::start(port);
    let t_open = Instant::now();
    // 200 dribblers (a byte of a request they never finish, every 250 ms), then 200 silent
    // clients. Both kinds are idle: no complete request within the idle timeout.
    let mut clients: Vec<(TcpStream, bool)> =
        (0..400).map(|i| (TcpStream::connect(("127.0.0.1", port)).expect("connect"), i < 200)).collect();
    for (s, _) in &clients {
        s.set_nonblocking(true).expect("nonblocking");
    }

    // Each must be closed by upsd after the idle timeout, not before.
    let request = b"GET VAR ups1 ups.status";
    let mut step = 0usize;
    let mut closed_at: Vec<Option<Duration>> = vec![None; clients.len()];
    let deadline = t_open + Duration::from_secs(idle_secs + 5);
    while closed_at.iter().any(Option::is_none) && Instant::now() < deadline {
        let b = request[step % request.len()];
        step += 1;
        for (i, (s, dribbler)) in clients.iter_mut().enumerate() {
            if closed_at[i].is_some() {
                continue;
            }
            let mut buf = [0u8; 64];
            match s.read(&mut buf) {
                Ok(0) => closed_at[i] = Some(t_open.elapsed()),
                Ok(n) => panic!(
                    "upsd sent {:?} to a client that sent no request",
                    String::from_utf8_lossy(&buf[..n])
                ),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if *dribbler && s.write_all(&[b]).is_err() {
                        closed_at[i] = Some(t_open.elapsed());
                    }
                }
                Err(_) => closed_at[i] = Some(t_open.elapsed()),
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // The probe sends a complete request every few ms: it was never dropped (finish checks).
    let (probes, p50, p99, max) = prober.finish("while slowloris clients dribbled");
    upsd.assert_alive("slowloris");

    let span = |dribblers: bool| {
        let t: Vec<Duration> = clients
            .iter()
            .zip(&closed_at)
            .filter(|((_, d), _)| *d == dribblers)
            .filter_map(|(_, c)| *c)
            .collect();
        (t.len(), t.iter().min().copied().unwrap_or_default(), t.iter().max().copied().unwrap_or_default())
    };
    let (dribblers_closed, d_first, d_last) = span(true);
    let (silent_closed, s_first, s_last) = span(false);
    println!(
        "load_fault: slowloris: 200 silent clients dropped between {:.2} s and {:.2} s, 200 dribblers between \
         {:.2} s and {:.2} s ({step} bytes sent each at most; idle timeout {idle_secs} s); \
         probe: {probes} round trips, p50 {}, p99 {}, max {}",
        s_first.as_secs_f64(),
        s_last.as_secs_f64(),
        d_first.as_secs_f64(),
        d_last.as_secs_f64(),
        fmt_ms(p50),
        fmt_ms(p99),
        fmt_ms(max)
    );
    assert_eq!(silent_closed, 200, "silent clients not dropped within {idle_secs} s + 5 s");
    assert_eq!(
        dribblers_closed, 200,
        "clients that never finish a line not dropped within {idle_secs} s + 5 s"
    );
    let early = Duration::from_millis(idle_secs * 1000 - 500);
    assert!(
        s_first >= early && d_first >= early,
        "a client was dropped before the {idle_secs} s idle timeout"
    );
    assert!(
        max < STALL,
        "a GET VAR probe waited {} during slowloris (p99 {}): upsd stalled",
        fmt_ms(max),
        fmt_ms(p99)
    );
    println!("load_fault: slowloris took {:.1} s", t_start.elapsed().as_secs_f64());
}

#[test]
fn a_flood_past_maxconn_is_refused_cleanly_and_logged_once() {
    let _g = serial();
    let t_start = Instant::now();
    let maxconn = 20usize;
    let mut st = stack(&[&format!("MAXCONN {maxconn}")], true);
    let port = st.port();
    // The stack's readiness check connected and left; wait until those slots are free again.
    let mut existing = Vec::new();
    let filled = wait_until(Duration::from_secs(10), || {
        existing.retain_mut(|c: &mut Conn| c.request("GET VAR ups1 ups.status").is_ok());
        while existing.len() < maxconn {
            match Conn::connect(port).and_then(|mut c| c.request("GET VAR ups1 ups.status").map(|_| c)) {
                Ok(c) => existing.push(c),
                Err(_) => return false,
            }
        }
        true
    });
    assert!(filled, "could not open {maxconn} clients with MAXCONN {maxconn}: only {}", existing.len());
    for c in &mut existing {
        c.set_timeout(Duration::from_secs(5)).expect("timeout");
    }

    // The flood: 400 connections from 4 threads at once; each must be closed promptly.
    let flood = 400usize;
    let t_flood = Instant::now();
    let outcomes: Vec<(usize, usize, Duration)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(move || {
                    let mut socks = Vec::new();
                    for _ in 0..flood / 4 {
                        match TcpStream::connect(("127.0.0.1", port)) {
                            Ok(c) => socks.push((c, Instant::now())),
                            // A reset while connecting is a refusal too.
                            Err(_) => socks.push((
                                TcpStream::connect(("127.0.0.1", port)).expect("reconnect"),
                                Instant::now(),
                            )),
                        }
                    }
                    let (mut refused, mut hung, mut worst) = (0, 0, Duration::ZERO);
                    for (c, t0) in &mut socks {
                        let _ = c.write_all(b"GET VAR ups1 ups.status\n");
                        let (line, end) = read_line_by(c, *t0 + Duration::from_secs(3));
                        match end {
                            End::Closed if line.is_empty() => {
                                refused += 1;
                                worst = worst.max(t0.elapsed());
                            }
                            End::Timeout => hung += 1,
                            _ => panic!(
                                "a client past MAXCONN was served: {:?}",
                                String::from_utf8_lossy(&line)
                            ),
                        }
                    }
                    (refused, hung, worst)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("flood thread")).collect()
    });
    let flood_time = t_flood.elapsed();
    let refused: usize = outcomes.iter().map(|o| o.0).sum();
    let hung: usize = outcomes.iter().map(|o| o.1).sum();
    let worst = outcomes.iter().map(|o| o.2).max().unwrap_or_default();
    assert_eq!(hung, 0, "{hung} of {flood} clients past MAXCONN hung for 3 s instead of being refused");
    assert_eq!(refused, flood);
    assert!(st.upsd_alive(), "upsd died during the flood; its output:\n{}", tail(&st.upsd_log(), 30));

    // The clients that were in keep being served.
    for (i, c) in existing.iter_mut().enumerate() {
        let r = c
            .request("GET VAR ups1 ups.status")
            .unwrap_or_else(|e| panic!("existing client {i} after the flood: {e}"));
        assert_eq!(r, ["VAR ups1 ups.status \"OL\""], "existing client {i} after the flood");
    }
    // One log line for the whole flood, not one per refused client.
    let log = st.upsd_log();
    let lines = log_lines(&log, "MAXCONN");
    assert_eq!(
        lines.len(),
        1,
        "upsd should log MAXCONN once for a flood of {flood}; it logged:\n{}",
        lines.join("\n")
    );

    // After the flood, freed slots take new clients again.
    existing.truncate(maxconn - 5);
    let mut fresh = None;
    let back = wait_until(Duration::from_secs(5), || {
        fresh = Conn::connect(port).and_then(|mut c| c.request("GET VAR ups1 ups.status")).ok();
        fresh.as_ref().is_some_and(|r| r == &["VAR ups1 ups.status \"OL\""])
    });
    assert!(back, "no new client was accepted after 5 clients left (last: {fresh:?})");
    let again = format!("after refusing {flood} at the MAXCONN limit");
    assert!(
        wait_until(Duration::from_secs(2), || st.upsd_log().contains(&again)),
        "upsd did not log `{again}` when it accepted clients again; its output:\n{}",
        tail(&st.upsd_log(), 10)
    );
    println!(
        "load_fault: MAXCONN {maxconn}: {flood} flood clients refused in {:.2} s (slowest refusal {}), \
         {} log line(s): {}",
        flood_time.as_secs_f64(),
        fmt_ms(worst),
        lines.len(),
        lines.first().map(String::as_str).unwrap_or("")
    );
    println!("load_fault: maxconn_flood took {:.1} s", t_start.elapsed().as_secs_f64());
}

#[test]
fn at_the_descriptor_limit_upsd_refuses_logs_idles_and_recovers() {
    let _g = serial();
    let t_start = Instant::now();
    let nofile = 64u64;
    let st = stack(&["MAXCONN 1000"], false);
    let mut upsd = Upsd::spawn(&st, &[], Some(nofile));
    let port = st.port();
    let pid = upsd.pid();

    // Open clients one by one: the first ones are served, then upsd runs out of descriptors
    // and must refuse the others promptly (closed connection), never leave them hanging.
    let mut served = Vec::new();
    let (mut refused, mut hung) = (0, 0);
    let mut worst_refusal = Duration::ZERO;
    for _ in 0..120 {
        let t0 = Instant::now();
        let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        c.write_all(b"GET VAR ups1 ups.status\n").expect("send");
        let (line, end) = read_line_by(&mut c, t0 + Duration::from_secs(3));
        match end {
            End::Line => {
                assert_eq!(line, b"VAR ups1 ups.status \"OL\"\n");
                served.push(c);
            }
            End::Closed => {
                refused += 1;
                worst_refusal = worst_refusal.max(t0.elapsed());
            }
            End::Timeout => {
                hung += 1;
                // One hang already fails the test; don't wait 3 s for each of the others.
                if hung >= 2 {
                    break;
                }
            }
        }
    }
    let fds = fd_count(pid);
    assert_eq!(
        hung, 0,
        "{hung} clients hung (neither served nor refused within 3 s) at the descriptor limit"
    );
    assert!(refused > 0, "upsd with {nofile} descriptors served all 120 clients: the limit was not reached");
    assert!(served.len() >= 30, "upsd with {nofile} descriptors served only {} clients", served.len());

    // At the limit, with clients still knocking, upsd must idle, not spin.
    let cpu0 = cpu_time(pid);
    let t0 = Instant::now();
    let mut knocks = 0;
    while t0.elapsed() < Duration::from_millis(1500) {
        let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let (_, end) = read_line_by(&mut c, Instant::now() + Duration::from_secs(3));
        assert_eq!(end, End::Closed, "a client at the descriptor limit was not refused");
        knocks += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let window = t0.elapsed();
    let cpu = cpu_time(pid).saturating_sub(cpu0);
    upsd.assert_alive("descriptor limit");
    let share = cpu.as_secs_f64() / window.as_secs_f64();

    let log = upsd.log_text();
    let lines = log_lines(&log, "descriptor");
    assert!(
        !lines.is_empty(),
        "upsd did not log running out of file descriptors; its output:\n{}",
        tail(&log, 20)
    );
    assert!(
        lines.len() <= 3,
        "upsd logged the descriptor limit {} times (once per episode is enough):\n{}",
        lines.len(),
        tail(&lines.join("\n"), 10)
    );

    // Clients that leave free descriptors for new ones.
    let served_n = served.len();
    served.truncate(served_n - 10);
    let mut last = None;
    let back = wait_until(Duration::from_secs(5), || {
        last = Conn::connect(port).and_then(|mut c| c.request("GET VAR ups1 ups.status")).ok();
        last.as_ref().is_some_and(|r| r == &["VAR ups1 ups.status \"OL\""])
    });
    assert!(back, "upsd accepted no new client after 10 left (last: {last:?})");
    println!(
        "load_fault: RLIMIT_NOFILE {nofile}: {served_n} clients served, {refused} refused (slowest refusal {}), \
         upsd held {fds} descriptors; at the limit upsd used {:.1}% CPU over {:.1} s with {knocks} more clients \
         knocking; log: {}",
        fmt_ms(worst_refusal),
        share * 100.0,
        window.as_secs_f64(),
        lines.first().map(String::as_str).unwrap_or("")
    );
    assert!(share < 0.2, "upsd used {:.0}% CPU while at the descriptor limit (limit 20%)", share * 100.0);
    println!("load_fault: descriptor_limit took {:.1} s", t_start.elapsed().as_secs_f64());
}

#[test]
fn one_mib_lines_and_garbage_from_several_clients_harm_no_one() {
    let _g = serial();
    let t_start = Instant::now();
    let mut st = stack(&[], true);
    let port = st.port();
    let pid = st.upsd_pid().expect("upsd pid");
    let rss0 = rss(pid);
    let prober = Prober::start(port);

    // Four clients send a 1 MiB line, four send binary garbage; each has a reader draining
    // the replies so only upsd's behaviour is measured.
    let abusers: Vec<std::thread::JoinHandle<(usize, Vec<u8>)>> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).expect("abuser connect");
                s.set_write_timeout(Some(Duration::from_secs(20))).expect("write timeout");
                let mut r = s.try_clone().expect("clone");
                let reader = std::thread::spawn(move || {
                    let mut got = Vec::new();
                    let _ = r.set_read_timeout(Some(Duration::from_secs(3)));
                    let mut chunk = [0u8; 65536];
                    while let Ok(n) = r.read(&mut chunk) {
                        if n == 0 {
                            break;
                        }
                        got.extend_from_slice(&chunk[..n]);
                    }
                    got
                });
                let data: Vec<u8> = if i < 4 {
                    let mut d = vec![b'A' + i as u8; 1 << 20];
                    d.push(b'\n');
                    d
                } else {
                    // xorshift garbage, every byte value allowed, newlines included.
                    let mut x: u32 = 0x9e37_79b9 ^ (i as u32) << 8;
                    (0..1 << 20)
                        .map(|_| {
                            x ^= x << 13;
                            x ^= x >> 17;
                            x ^= x << 5;
                            (x & 0xff) as u8
                        })
                        .collect()
                };
                // upsd may close an abusive connection early: count what got through.
                let mut total = 0;
                while total < data.len() {
                    match s.write(&data[total..]) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => total += n,
                    }
                }
                let got = reader.join().expect("reader");
                (total, got)
            })
        })
        .collect();
    let mut summary = Vec::new();
    for (i, h) in abusers.into_iter().enumerate() {
        let (sent, got) = h.join().expect("abuser thread");
        let text = String::from_utf8_lossy(&got);
        for l in text.lines() {
            assert!(l.starts_with("ERR "), "abusive client {i} got a non-ERR line {l:?}");
        }
        summary.push(format!(
            "{}:{}KiB/{}ERR",
            if i < 4 { "line" } else { "garbage" },
            sent / 1024,
            text.lines().count()
        ));
    }
    let (probes, p50, p99, max) = prober.finish("while 8 clients sent 1 MiB lines and garbage");
    assert!(st.upsd_alive(), "upsd died; its output:\n{}", tail(&st.upsd_log(), 30));
    let mut c = Conn::connect(port).expect("connect after the abuse");
    assert_eq!(c.request("GET VAR ups1 ups.status").expect("request"), ["VAR ups1 ups.status \"OL\""]);
    let rss1 = rss(pid);
    println!(
        "load_fault: 1 MiB lines + garbage x8: {}; probe {probes} round trips, p50 {}, p99 {}, max {}; upsd RSS {:.1} -> {:.1} MiB",
        summary.join(" "),
        fmt_ms(p50),
        fmt_ms(p99),
        fmt_ms(max),
        rss0 as f64 / 1048576.0,
        rss1 as f64 / 1048576.0
    );
    assert!(
        p99 < Duration::from_millis(200),
        "p99 GET VAR round trip {} during the abuse (limit 200 ms)",
        fmt_ms(p99)
    );
    // No single stall either: upsd once let one bulk sender run through 2 MiB of input before
    // anyone else was served (a 200 ms pause in a debug build; about 20 ms since).
    assert!(
        max < Duration::from_millis(150),
        "a GET VAR round trip took {} during the abuse (limit 150 ms)",
        fmt_ms(max)
    );
    println!("load_fault: big_lines_and_garbage took {:.1} s", t_start.elapsed().as_secs_f64());
}

/// Replies that mean "no data": the only acceptable answers while the driver is gone.
fn no_data(r: &[String]) -> bool {
    r == ["ERR DRIVER-NOT-CONNECTED"] || r == ["ERR DATA-STALE"]
}

/// Watch `c` with `GET VAR ups1 battery.charge` until `want` comes back, failing if any reply
/// in between is a value other than `want` (old data served as fresh) or not a no-data error.
fn await_fresh_value(c: &mut Conn, want: &str, timeout: Duration, during: &str) -> Duration {
    let t0 = Instant::now();
    let expect = format!("VAR ups1 battery.charge \"{want}\"");
    loop {
        let r = c
            .request("GET VAR ups1 battery.charge")
            .unwrap_or_else(|e| panic!("{during}: the persistent client lost its connection: {e}"));
        if r == [expect.as_str()] {
            return t0.elapsed();
        }
        // WAIT-only trees during the re-dump answer VAR-NOT-SUPPORTED for other variables.
        assert!(
            no_data(&r) || r == ["ERR VAR-NOT-SUPPORTED"],
            "{during}: got {r:?} while waiting for the new value {want} (old data served as fresh?)"
        );
        assert!(t0.elapsed() < timeout, "{during}: data did not come back within {timeout:?} (last: {r:?})");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_9_of_the_driver_then_restart_recovers_without_restarting_clients() {
    let _g = serial();
    let t_start = Instant::now();
    let mut st = stack(&[], true);
    let mut c = st.connect().expect("persistent client");
    assert_eq!(ask(&mut c, "GET VAR ups1 battery.charge"), ["VAR ups1 battery.charge \"100\""]);

    let t_kill = Instant::now();
    assert!(st.kill_driver("ups1"));
    // Within a second, the data is gone, and it stays gone while the driver is dead.
    let (hit, last) = poll_reply(&mut c, "GET VAR ups1 battery.charge", Duration::from_secs(1), |r| {
        r == ["ERR DRIVER-NOT-CONNECTED"]
    });
    assert!(hit, "GET VAR still answers {last:?} 1 s after kill -9 of the driver");
    let noticed = t_kill.elapsed();
    for req in ["GET VAR ups1 battery.charge", "LIST VAR ups1", "GET VAR ups1 ups.status"] {
        assert_eq!(ask(&mut c, req), ["ERR DRIVER-NOT-CONNECTED"], "{req} with the driver dead");
    }

    // The new driver reads a changed device file: only the new value may appear.
    std::fs::write(st.dir().join("ups1.dev"), DEV.replace("battery.charge: 100", "battery.charge: 42"))
        .expect("rewrite ups1.dev");
    let t_restart = Instant::now();
    let _drv = start_driver(&st, "drv-ups1-restarted.log");
    let back =
        await_fresh_value(&mut c, "42", Duration::from_secs(15), "after kill -9 and restart of the driver");
    assert!(st.upsd_alive(), "upsd died; its output:\n{}", tail(&st.upsd_log(), 30));
    println!(
        "load_fault: driver kill -9: DRIVER-NOT-CONNECTED after {}, fresh data {:.2} s after the restart on the same client",
        fmt_ms(noticed),
        back.as_secs_f64()
    );
    let _ = t_restart;
    println!("load_fault: driver_kill9 took {:.1} s", t_start.elapsed().as_secs_f64());
}

#[test]
fn clean_driver_restart_redumps_removed_and_new_variables() {
    let _g = serial();
    let t_start = Instant::now();
    let mut st = stack(&[], true);
    let mut c = st.connect().expect("persistent client");
    assert_eq!(ask(&mut c, "GET VAR ups1 ups.mfr"), ["VAR ups1 ups.mfr \"Fault Test\""]);

    let pid = st.driver_pid("ups1").expect("driver pid");
    assert!(st.signal_driver("ups1", libc::SIGTERM));
    assert!(wait_until(Duration::from_secs(10), || exited(pid)), "dummy-ups did not exit on SIGTERM");
    st.kill_driver("ups1");
    let (hit, last) = poll_reply(&mut c, "GET VAR ups1 battery.charge", Duration::from_secs(1), no_data);
    assert!(hit, "GET VAR answers {last:?} 1 s after the driver stopped");

    // The new device file drops output.voltage and ups.mfr (which dummy-ups then sets to its
    // default) and adds ups.model.
    let new_dev = "ups.status: OB\nbattery.charge: 55\nups.model: Restarted\ninput.voltage: 230.0\n";
    std::fs::write(st.dir().join("ups1.dev"), new_dev).expect("rewrite ups1.dev");
    let _drv = start_driver(&st, "drv-ups1-restarted.log");
    let back = await_fresh_value(&mut c, "55", Duration::from_secs(15), "after a clean driver restart");
    // The whole tree is the new one: same client, no reconnect.
    let (hit, list) = poll_reply(&mut c, "LIST VAR ups1", Duration::from_secs(5), |r| {
        r.iter().any(|l| l.contains("ups.model"))
    });
    assert!(hit, "LIST VAR after the restart lacks the new ups.model: {list:?}");
    assert!(
        !list.iter().any(|l| l.contains("output.voltage") || l.contains("Fault Test")),
        "LIST VAR still has variables of the old device file: {list:?}"
    );
    assert!(list.contains(&"VAR ups1 ups.status \"OB\"".to_string()), "LIST VAR: {list:?}");
    assert_eq!(ask(&mut c, "GET VAR ups1 output.voltage"), ["ERR VAR-NOT-SUPPORTED"]);
    assert_eq!(ask(&mut c, "GET VAR ups1 ups.model"), ["VAR ups1 ups.model \"Restarted\""]);
    println!(
        "load_fault: clean driver restart: new tree served {:.2} s after the start on the same client",
        back.as_secs_f64()
    );
    println!("load_fault: driver_restart took {:.1} s", t_start.elapsed().as_secs_f64());
}

#[test]
fn a_stopped_driver_makes_data_stale_within_maxage_and_cont_brings_it_back() {
    let _g = serial();
    let t_start = Instant::now();
    let maxage = 2u64;
    let st = stack(&[&format!("MAXAGE {maxage}")], true);
    let mut c = st.connect().expect("persistent client");

    // A healthy driver is never reported stale, even with a MAXAGE this short.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(maxage * 2 + 1) {
        let r = ask(&mut c, "GET VAR ups1 battery.charge");
        assert_eq!(
            r,
            ["VAR ups1 battery.charge \"100\""],
            "healthy driver with MAXAGE {maxage}, after {:?}",
            t0.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let t_stop = Instant::now();
    assert!(st.signal_driver("ups1", libc::SIGSTOP));
    let stale = |r: &[String]| r == ["ERR DATA-STALE"];
    let (hit, last) =
        poll_reply(&mut c, "GET VAR ups1 battery.charge", Duration::from_secs(maxage + 2), stale);
    let became = t_stop.elapsed();
    assert!(hit, "GET VAR answers {last:?} {maxage}+2 s after the driver was stopped");
    assert_eq!(ask(&mut c, "LIST VAR ups1"), ["ERR DATA-STALE"]);
    // Stays stale while the driver is stopped.
    let t1 = Instant::now();
    while t1.elapsed() < Duration::from_secs(1) {
        assert_eq!(ask(&mut c, "GET VAR ups1 battery.charge"), ["ERR DATA-STALE"], "stopped driver");
        std::thread::sleep(Duration::from_millis(50));
    }

    let t_cont = Instant::now();
    assert!(st.signal_driver("ups1", libc::SIGCONT));
    let (hit, last) =
        poll_reply(&mut c, "GET VAR ups1 battery.charge", Duration::from_secs(maxage + 3), |r| {
            r == ["VAR ups1 battery.charge \"100\""]
        });
    assert!(hit, "data did not come back after SIGCONT (last: {last:?})");
    let fresh = t_cont.elapsed();
    assert_eq!(ask(&mut c, "LIST VAR ups1").first().map(String::as_str), Some("BEGIN LIST VAR ups1"));
    println!(
        "load_fault: SIGSTOP with MAXAGE {maxage}: DATA-STALE after {:.2} s, fresh {:.2} s after SIGCONT",
        became.as_secs_f64(),
        fresh.as_secs_f64()
    );
    println!("load_fault: stale took {:.1} s", t_start.elapsed().as_secs_f64());
}

/// Our upsmon monitoring ups1 as primary, with every notification written to `notify.log`.
struct Upsmon {
    _proc: Proc,
    dir: nut_testkit::TempDir,
}

impl Upsmon {
    fn start(port: u16) -> Upsmon {
        let dir = nut_testkit::TempDir::new().expect("temp dir");
        let d = dir.path();
        let mut conf = format!(
            "MONITOR ups1@127.0.0.1:{port} 1 mon monpw primary\nMINSUPPLIES 1\nPOLLFREQ 1\nPOLLFREQALERT 1\n\
             DEADTIME 3\nHOSTSYNC 2\nFINALDELAY 0\nNOTIFYCMD {d}/notify.sh\n\
             SHUTDOWNCMD \"touch {d}/shutdown.marker\"\nPOWERDOWNFLAG {d}/killpower\n",
            d = d.display()
        );
        for t in ["ONLINE", "ONBATT", "LOWBATT", "COMMOK", "COMMBAD", "NOCOMM", "SHUTDOWN", "FSD"] {
            conf.push_str(&format!("NOTIFYFLAG {t} SYSLOG+EXEC\n"));
        }
        std::fs::write(d.join("upsmon.conf"), conf).expect("upsmon.conf");
        let script = d.join("notify.sh");
        std::fs::write(&script, format!("#!/bin/sh\necho \"$NOTIFYTYPE\" >> {}/notify.log\n", d.display()))
            .expect("notify.sh");
        set_mode(&script, 0o700);
        set_mode(&d.join("upsmon.conf"), 0o600);
        let mut cmd = Command::new(bin("upsmon"));
        cmd.args(["-F", "-p", "-u", "root"])
            .env("NUT_CONFPATH", d)
            .env("NUT_ALTPIDPATH", d)
            .env("NUT_STATEPATH", d)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("upsmon.log")).expect("upsmon log"));
        Upsmon { _proc: Proc::spawn(cmd), dir }
    }

    fn notes(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("notify.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("upsmon.log")).unwrap_or_default()
    }
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn kill_9_of_upsd_gives_clear_errors_and_clients_recover_after_restart() {
    let _g = serial();
    let t_start = Instant::now();
    let mut st = stack(&[], true);
    let port = st.port();
    let mut c = st.connect().expect("persistent client");
    assert_eq!(ask(&mut c, "GET VAR ups1 ups.status"), ["VAR ups1 ups.status \"OL\""]);

    let mon = Upsmon::start(port);
    // upsmon is in once it logged in to ups1.
    let mut probe = st.connect().expect("probe client");
    let (hit, last) =
        poll_reply(&mut probe, "GET NUMLOGINS ups1", Duration::from_secs(10), |r| r == ["NUMLOGINS ups1 1"]);
    assert!(
        hit,
        "our upsmon did not log in to ups1 within 10 s (last: {last:?}); its log:\n{}",
        tail(&mon.log(), 20)
    );
    drop(probe);
    let before = mon.notes().len();

    let pid = st.upsd_pid().expect("upsd pid");
    let t_kill = Instant::now();
    // SAFETY: kill(2) on the PID of our own child upsd.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    assert!(wait_until(Duration::from_secs(5), || exited(pid)), "upsd survived kill -9");

    // The raw client sees the connection end at once, not a hang.
    c.set_timeout(Duration::from_secs(3)).expect("set timeout");
    let t0 = Instant::now();
    let r = c.request("GET VAR ups1 ups.status");
    assert!(r.is_err(), "a request to a killed upsd got {r:?}");
    let raw_err = t0.elapsed();
    assert!(raw_err < Duration::from_secs(2), "the client waited {raw_err:?} for a killed upsd");

    // A client program built on nut-client reports the refused connection clearly.
    let out =
        st.run(&bin("upsc"), &[&st.target("ups1"), "ups.status"], Duration::from_secs(10)).expect("run upsc");
    assert_ne!(out.code, 0, "upsc succeeded against a killed upsd: {}", out.out());
    assert!(
        out.err().to_lowercase().contains("refused"),
        "upsc's error does not say the connection was refused: {}",
        out.err()
    );

    // upsmon notices the loss.
    let commbad =
        wait_until(Duration::from_secs(10), || mon.notes()[before..].iter().any(|n| n == "COMMBAD"));
    assert!(
        commbad,
        "upsmon sent no COMMBAD within 10 s of kill -9 of upsd: {:?}; its log:\n{}",
        mon.notes(),
        tail(&mon.log(), 20)
    );
    let t_commbad = t_kill.elapsed();

    // upsd comes back on the same port; nobody else is restarted.
    let t_up = Instant::now();
    st.start_upsd().unwrap_or_else(|e| panic!("restart upsd: {e}"));
    st.wait_data().unwrap_or_else(|e| panic!("data after the upsd restart: {e}"));
    let mut c2 = st.connect().expect("new connection after the restart");
    assert_eq!(ask(&mut c2, "GET VAR ups1 ups.status"), ["VAR ups1 ups.status \"OL\""]);
    let commok = wait_until(Duration::from_secs(15), || {
        let n = mon.notes();
        let tail = &n[before..];
        let bad = tail.iter().position(|x| x == "COMMBAD");
        bad.is_some_and(|b| tail[b..].iter().any(|x| x == "COMMOK"))
    });
    assert!(
        commok,
        "upsmon sent no COMMOK within 15 s of the upsd restart: {:?}; its log:\n{}",
        mon.notes(),
        tail(&mon.log(), 20)
    );
    let t_commok = t_up.elapsed();
    let mut probe = st.connect().expect("probe client");
    let (hit, last) =
        poll_reply(&mut probe, "GET NUMLOGINS ups1", Duration::from_secs(5), |r| r == ["NUMLOGINS ups1 1"]);
    assert!(hit, "upsmon is not logged in to the restarted upsd (last: {last:?})");
    println!(
        "load_fault: upsd kill -9: raw client error after {}, upsmon COMMBAD {:.2} s after the kill, COMMOK {:.2} s after the restart; notifications {:?}",
        fmt_ms(raw_err),
        t_commbad.as_secs_f64(),
        t_commok.as_secs_f64(),
        &mon.notes()[before..]
    );
    println!("load_fault: upsd_kill9 took {:.1} s", t_start.elapsed().as_secs_f64());
}
