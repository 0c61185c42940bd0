//! Lists and sets a UPS's writable variables.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upsrw: not implemented yet");
    ExitCode::FAILURE
}
