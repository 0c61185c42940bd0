//! A small load generator for throughput sanity checks (not a benchmark suite): N connections,
//! each sending `GET VAR <ups> <var>` and waiting for the answer in a loop, for a few seconds.
//!
//! `cargo run --release -p upsd --example getvar_load -- <port> <ups> <var> <connections> <seconds>`
//! prints the total requests per second. Works against any upsd (ours or NUT's).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: getvar_load <port> <ups> <var> <connections> <seconds>");
        std::process::exit(2);
    }
    let port: u16 = args[1].parse().expect("port");
    let req = format!("GET VAR {} {}\n", args[2], args[3]);
    let conns: usize = args[4].parse().expect("connections");
    let secs: u64 = args[5].parse().expect("seconds");
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for _ in 0..conns {
        let (stop, count, req) = (stop.clone(), count.clone(), req.clone());
        threads.push(std::thread::spawn(move || {
            let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.set_nodelay(true).expect("nodelay");
            let mut w = s.try_clone().expect("clone");
            let mut r = BufReader::new(s);
            let mut line = String::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                w.write_all(req.as_bytes()).expect("write");
                line.clear();
                r.read_line(&mut line).expect("read");
                if !line.starts_with("VAR ") {
                    panic!("unexpected reply {line:?}");
                }
                n += 1;
            }
            count.fetch_add(n, Ordering::Relaxed);
        }));
    }
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("worker");
    }
    let el = t0.elapsed().as_secs_f64();
    let n = count.load(Ordering::Relaxed);
    println!("{conns} conn(s): {n} requests in {el:.2} s = {:.0} req/s", n as f64 / el);
}
