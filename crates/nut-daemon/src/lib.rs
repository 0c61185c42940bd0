//! What every NUT daemon (upsd, upsmon, drivers, upslog, upssched) shares: logging to stderr,
//! PID files and `-c reload|stop` control, dropping root privileges, going to the
//! background, and the service manager's notify protocol ([`notify`]).
//!
//! The daemons stay in the foreground with logs on stderr when asked (`-F`, `-D`), as NUT's do;
//! backgrounding is a plain double fork done before any runtime or thread starts.
#![warn(missing_docs)]

pub mod background;
pub mod control;
pub mod files;
pub mod log;
pub mod memory;
pub mod notify;
pub mod pidfile;
pub mod privs;
