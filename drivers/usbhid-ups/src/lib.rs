//! Driver for USB HID Power Device UPSes.

use std::process::ExitCode;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let _ = args;
    eprintln!("usbhid-ups: not implemented yet");
    ExitCode::FAILURE
}
