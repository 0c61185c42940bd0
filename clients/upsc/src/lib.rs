//! Lists a UPS's variables.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upsc: not implemented yet");
    ExitCode::FAILURE
}
