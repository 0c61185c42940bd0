//! A scripted driver for transcript scenarios that need what dummy-ups cannot express (ENUM
//! and RANGE values, read-only and STRING variables with a length): it serves the driver socket
//! protocol (`docs/sock-protocol.txt`) on a Unix socket and is identical under Debian's upsd and
//! ours, so those scenarios test upsd alone.
//!
//! Usage: `fake-driver <script> <socket path>`. The script holds driver-to-server lines
//! (`SETINFO`, `ADDENUM`, `ADDRANGE`, `SETFLAGS`, `SETAUX`, `ADDCMD`, ...; `#` comments); they
//! are sent, followed by `DATAOK` and `DUMPDONE`, in answer to `DUMPALL`. `PING` gets `PONG`;
//! `SET <var> <value> [TRACKING <id>]` is applied with `SETINFO` and, with an id, acknowledged
//! with `TRACKING <id> 0`; `INSTCMD ... [TRACKING <id>]` is acknowledged the same way.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::ExitCode;

use nut_proto::words::{quote, split};

fn serve(stream: UnixStream, script: &[String]) {
    let Ok(mut w) = stream.try_clone() else { return };
    let r = BufReader::new(stream);
    for line in r.lines() {
        let Ok(line) = line else { return };
        // upsd sends parseconf-quoted words: `SET ups.mfr "a \"b\""`.
        let words = split(&line).unwrap_or_default();
        let mut out = String::new();
        match words.first().map(String::as_str) {
            Some("DUMPALL") => {
                for l in script {
                    out.push_str(l);
                    out.push('\n');
                }
                out.push_str("DATAOK\nDUMPDONE\n");
            }
            Some("PING") => out.push_str("PONG\n"),
            Some("SET") if words.len() >= 3 => {
                out.push_str(&format!("SETINFO {} {}\n", words[1], quote(&words[2])));
                if words.len() >= 5 && words[3] == "TRACKING" {
                    out.push_str(&format!("TRACKING {} 0\n", words[4]));
                }
            }
            Some("INSTCMD") => {
                if let Some(i) = words.iter().position(|w| w == "TRACKING") {
                    if let Some(id) = words.get(i + 1) {
                        out.push_str(&format!("TRACKING {id} 0\n"));
                    }
                }
            }
            Some("LOGOUT") => {
                let _ = w.write_all(b"OK Goodbye\n");
                return;
            }
            _ => {}
        }
        if !out.is_empty() && w.write_all(out.as_bytes()).is_err() {
            return;
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: fake-driver <script> <socket path>");
        return ExitCode::from(2);
    }
    let script: Vec<String> = match std::fs::read_to_string(&args[1]) {
        Ok(t) => t
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect(),
        Err(e) => {
            eprintln!("fake-driver: cannot read script {}: {e}", args[1]);
            return ExitCode::from(1);
        }
    };
    let _ = std::fs::remove_file(&args[2]);
    let listener = match UnixListener::bind(&args[2]) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fake-driver: cannot listen on {}: {e}", args[2]);
            return ExitCode::from(1);
        }
    };
    for s in listener.incoming().flatten() {
        let script = script.clone();
        std::thread::spawn(move || serve(s, &script));
    }
    ExitCode::SUCCESS
}
