//! Logs UPS variables to files at intervals.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upslog: not implemented yet");
    ExitCode::FAILURE
}
