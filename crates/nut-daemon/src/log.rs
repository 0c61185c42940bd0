//! Logging to stderr through `tracing`.
//!
//! The level follows NUT's `-D` count: none shows notices and errors (`info`), `-D` adds debug
//! detail and `-DD` or more shows everything. `RUST_LOG`, when set, wins, so a user can raise
//! one module without drowning in the rest.

use tracing_subscriber::EnvFilter;

/// Install the stderr logger for `program`. Calling it twice is harmless (the second call is
/// ignored), which keeps tests that run several daemons in one process simple.
pub fn init(program: &str, debug_level: u8) {
    init_with_quiet(program, debug_level, 0);
}

/// [`init`] with NUT's `-q` count (`quiet`), which raises the threshold when there is no `-D`:
/// one `-q` hides notices (only warnings and errors), two leave errors only, three or more
/// silence the log.
pub fn init_with_quiet(program: &str, debug_level: u8, quiet: u8) {
    let default = default_level(debug_level, quiet);
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

/// The filter for `-D` and `-q` counts (`-D` wins).
fn default_level(debug_level: u8, quiet: u8) -> &'static str {
    match (debug_level, quiet) {
        (1, _) => "debug",
        (2.., _) => "trace",
        (0, 0) => "info",
        (0, 1) => "warn",
        (0, 2) => "error",
        (0, _) => "off",
    }
}

fn unsafe_free_isatty_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_raises_the_threshold_and_debug_wins() {
        assert_eq!(default_level(0, 0), "info");
        assert_eq!(default_level(0, 1), "warn");
        assert_eq!(default_level(0, 2), "error");
        assert_eq!(default_level(0, 5), "off");
        assert_eq!(default_level(1, 3), "debug");
        assert_eq!(default_level(3, 0), "trace");
    }
}
