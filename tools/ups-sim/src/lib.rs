//! ups-sim: a serial UPS on a pseudo-terminal (the Q1 family, APC Smart, binary and streaming
//! protocols), for testing serial drivers such as `nutdrv_qx` or `apcsmart` without hardware.
//!
//! - [`desc`]: the device description format (pure parser; format in README.md);
//! - [`engine`]: the UPS as a state machine (bytes in, timed writes and events out);
//! - [`import`]: turns a transcript (`> cmd` / `< reply` lines) into a description skeleton;
//! - [`pty`] and [`run`]: the pty pair, the link, the poll loop, the control lines on stdin.

pub mod desc;
pub mod engine;
pub mod escape;
pub mod import;
pub mod pty;
pub mod run;

pub use desc::{parse, parse_action, Action, Desc, DescError};
pub use engine::{Engine, Output};
