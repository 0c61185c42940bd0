//! The NUT network server: serves driver data on TCP 3493.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upsd: not implemented yet");
    ExitCode::FAILURE
}
