//! Finds UPSes (USB, network) and prints ready ups.conf sections.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("nut-scanner: not implemented yet");
    ExitCode::FAILURE
}
