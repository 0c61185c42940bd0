//! Turns upsmon events into timers and commands.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upssched: not implemented yet");
    ExitCode::FAILURE
}
