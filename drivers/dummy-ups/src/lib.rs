//! Simulated UPS driver: serves .dev/.seq files, or relays another upsd's UPS.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("dummy-ups: not implemented yet");
    ExitCode::FAILURE
}
