//! `nut-bench`: the load generator behind `scripts/bench.sh`.
//!
//! Each subcommand runs one measurement against a upsd on 127.0.0.1 and prints one JSON object
//! on stdout; the driver script (`bench/run.py`) starts the servers, calls these, takes medians
//! and writes `docs/benchmarks.md`. Every loop is bounded in time, and only loopback is used.
//!
//! Subcommands (options are `--key value`):
//! - `getvar`: closed-loop `GET VAR` on `--conns` connections for `--secs`, optionally with
//!   `--idle` silent clients connected first; throughput, latency percentiles, server CPU per
//!   request and RSS (`--pid` is the server's PID).
//! - `listvar`: `LIST VAR` rate on one connection.
//! - `logins`: connect, USERNAME, PASSWORD, LOGIN, LOGOUT per second.
//! - `neverread`: one client's latency before and while another client never reads.
//! - `burst`: `--count` connects at once; how many are answered late or fail.
//! - `notify`: rewrite a dummy-ups `.dev` file's ups.status and time the NOTIFYCMD.
//! - `epoll-server`: the minimal epoll server (fixed reply per line), the practical limit.

mod args;
mod conn;
mod epoll_server;
mod load;
mod notify;
mod procfs;
mod stats;

use std::process::ExitCode;

const USAGE: &str =
    "usage: nut-bench <getvar|listvar|logins|neverread|burst|notify|epoll-server> [--key value]...
  common:     --port P (upsd on 127.0.0.1) --pid PID (server, for CPU and RSS) --secs S
  getvar:     --conns N --idle K --ups ups1,ups2,ups3 --var ups.status --warmup S
  listvar:    --ups ups1,ups2,ups3
  logins:     --user U --pass P --ups ups1
  neverread:  --base-secs S
  burst:      --count N --timeout S
  notify:     --ups ups1 --dev FILE --notify-file FILE --trials N --pollfreq S --timeout S
  epoll-server: --port P --max-secs S";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let Some(cmd) = argv.get(1).cloned() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let opts = match args::Opts::parse(&argv[2..]) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("nut-bench {cmd}: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let res = match cmd.as_str() {
        "epoll-server" => epoll_server::run(&opts),
        "notify" => notify::run(&opts),
        "getvar" | "listvar" | "logins" | "neverread" | "burst" => load::run(&cmd, &opts),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(format!("unknown subcommand {cmd:?}")),
    };
    match res {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nut-bench {cmd}: {e}");
            ExitCode::FAILURE
        }
    }
}
