//! Shared vocabulary of the NUT suite: the version we are compatible with, where configuration
//! and state live, variable and command descriptions (`cmdvartab`), `ups.status` tokens, a
//! POSIX `getopt` that parses flags exactly as NUT's C programs do, and C's `atoi`.
//!
//! This crate does no I/O: the only outside input it reads is the process environment.
//! Text formats are split with `nut_proto::words`, the one implementation of NUT's lexer rules.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cmdvartab;
pub mod getopt;
pub mod num;
pub mod paths;
pub mod status;

/// The NUT release whose behaviour (protocol, output, version strings) we reproduce.
///
/// Clients parse the version out of `VER` and `driver.version`, and our compatibility tests
/// compare output byte for byte with Debian's NUT 2.8.0, so this is what we report.
pub const NUT_VERSION: &str = "2.8.0";

/// The network protocol version answered to `NETVER` and `PROTVER`.
pub const PROTOCOL_VERSION: &str = "1.3";

/// Version of this implementation, for `-V` output next to the NUT version.
pub const IMPL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The default TCP port of upsd.
pub const DEFAULT_PORT: u16 = 3493;

/// The banner every program prints first, as NUT does (`Network UPS Tools upsc 2.8.0`).
pub fn banner(program: &str) -> String {
    format!("Network UPS Tools {program} {NUT_VERSION}")
}
