//! Sends instant commands to a UPS.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upscmd: not implemented yet");
    ExitCode::FAILURE
}
