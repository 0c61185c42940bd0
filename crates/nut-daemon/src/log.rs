//! Logging to stderr through `tracing`.
//!
//! The level follows NUT's `-D` count: none shows notices and errors (`info`), `-D` adds debug
//! detail and `-DD` or more shows everything. `RUST_LOG`, when set, wins, so a user can raise
//! one module without drowning in the rest.

use tracing_subscriber::EnvFilter;

/// Install the stderr logger for `program`. Calling it twice is harmless (the second call is
/// ignored), which keeps tests that run several daemons in one process simple.
pub fn init(program: &str, debug_level: u8) {
    let default = match debug_level {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = unsafe_free_isatty_stderr();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(debug_level >= 2)
        .without_time()
        .try_init();
    tracing::debug!(program, debug_level, "logging started");
}

fn unsafe_free_isatty_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
