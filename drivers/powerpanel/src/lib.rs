//! powerpanel: the driver for serial CyberPower UPSes (BC1200, PR2200, OP series and many
//! more) speaking either of the two protocols of PowerPanel Plus, detected at start-up or
//! chosen with `protocol`:
//!
//! - [`text`]: `P4\r`, `D\r`... with `#`-prefixed text answers, 2400 bps;
//! - [`binary`]: `F\r`, `D\r`, `R`/`Q` register reads and writes with binary answers, 1200 bps.
//!
//! Both are pure functions and data tables; [`line`] is the serial link behind a trait (with a
//! fake for tests and fuzzing), [`driver`] the `nut-driver` glue and the logic both protocols
//! share (retries before stale, the shutdown fallbacks).

pub mod binary;
pub mod cstr;
pub mod driver;
pub mod line;
pub mod text;
