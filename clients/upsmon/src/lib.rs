//! Monitors UPSes and shuts the machine down when power runs out.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upsmon: not implemented yet");
    ExitCode::FAILURE
}
