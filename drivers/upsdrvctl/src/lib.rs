//! Starts and stops the drivers listed in ups.conf.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upsdrvctl: not implemented yet");
    ExitCode::FAILURE
}
