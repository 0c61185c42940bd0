//! What every daemon shares: logging to stderr, signals, PID files, privilege drop, backgrounding.
