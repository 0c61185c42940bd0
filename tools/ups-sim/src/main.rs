//! `ups-sim DESCRIPTION [--link PATH]`: play a serial UPS on a pty. See README.md.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: ups-sim DESCRIPTION [--link PATH]   run the simulated UPS
       ups-sim --check DESCRIPTION...          parse descriptions and report errors
       ups-sim --import TRANSCRIPT             print a description skeleton for a transcript
Events go to stdout, one per line; control lines (state NAME, cut N, timeout N, unplug 2s,
replug, quit, ...) are read from stdin.";

fn load(path: &str) -> Result<ups_sim::Desc, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    ups_sim::parse(&text).map_err(|e| format!("{path}:{}: {}", e.line, e.msg))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("-h" | "--help") => {
            println!("{USAGE}");
            if args.is_empty() {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Some("--check") => {
            let mut ok = true;
            for p in &args[1..] {
                if let Err(e) = load(p) {
                    eprintln!("{e}");
                    ok = false;
                }
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Some("--import") => {
            let Some(p) = args.get(1) else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            match std::fs::read_to_string(p) {
                Ok(t) => {
                    print!("{}", ups_sim::import::skeleton(&t, p));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{p}: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(desc) => {
            let mut link = None;
            let mut rest = args[1..].iter();
            while let Some(a) = rest.next() {
                match a.as_str() {
                    "--link" => match rest.next() {
                        Some(p) => link = Some(PathBuf::from(p)),
                        None => {
                            eprintln!("--link needs a path\n{USAGE}");
                            return ExitCode::from(2);
                        }
                    },
                    other => {
                        eprintln!("unknown argument {other:?}\n{USAGE}");
                        return ExitCode::from(2);
                    }
                }
            }
            let desc = match load(desc) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("ups-sim: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match ups_sim::run::run(ups_sim::run::Options { desc, link }) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("ups-sim: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
