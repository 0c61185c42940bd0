//! Monitors UPSes and shuts the machine down when power runs out.
//!
//! The decisions live in [`machine`], a state machine with no I/O; [`notify`] holds the
//! notification vocabulary.
#![warn(missing_docs)]

use std::process::ExitCode;

pub mod machine;
pub mod notify;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("upsmon: not implemented yet");
    ExitCode::FAILURE
}
