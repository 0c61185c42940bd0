//! The driver framework every NUT driver is built on.
//!
//! A driver implements [`Driver`]: it declares its options ([`Driver::options`], NUT's
//! `addvar`), reads the device into the [`State`] in [`Driver::init`] and every poll interval
//! in [`Driver::update`], and answers instant commands and writes ([`Driver::instcmd`],
//! [`Driver::set_var`]). [`run`] does everything else as NUT 2.8.5's `main.c` does: the common
//! flags (`-a`, `-s`, `-x`, `-D`, `-d`, `-F`/`-FF`, `-B`, `-u`, `-g`, `-r`, `-k`, `-c`, `-P`,
//! `-h`, `-V`, `-L`), reading the `ups.conf` section, validating options, the `driver.*`
//! variables, `default.*`/`override.*`, the socket server at `<statepath>/<driver>-<ups>`, the
//! PID file, privileges, chroot, backgrounding and signals (SIGTERM/SIGINT/SIGQUIT stop
//! cleanly, removing the socket and the PID file; SIGHUP reloads ups.conf and SIGUSR1 reloads
//! or exits, see [`reload`]; SIGURG prints the data on stdout), and the run-time controls of
//! [`framework`] (`driver.state`, `driver.debug`, `driver.killpower`, `sdcommands`...).
//! Status helpers on [`State`] give every driver `ignorelb` and the CHRG/DISCHRG fallback.
//!
//! A minimal driver:
//!
//! ```no_run
//! use nut_driver::{Context, Driver, DriverError, DriverInfo, State};
//!
//! struct Fake;
//! impl Driver for Fake {
//!     fn info(&self) -> DriverInfo {
//!         DriverInfo { description: "Fake driver", version: "0.01" }
//!     }
//!     fn init(&mut self, _ctx: &Context, state: &mut State) -> Result<(), DriverError> {
//!         state.set_info("ups.mfr", "Acme");
//!         Ok(())
//!     }
//!     fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
//!         state.set_info("ups.status", "OL");
//!         state.data_ok();
//!         Ok(())
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     nut_driver::run(std::env::args().collect(), Fake)
//! }
//! ```

mod client;
pub mod config;
pub mod framework;
pub mod reconnect;
pub mod reload;
mod runner;
pub mod server;
pub mod state;

/// Logging for drivers: `nut_driver::debug!("...")` and the other levels, NUT's upslogx and
/// upsdebugx lines (the light macros of `nut_daemon::log`: one level test and one call per
/// site, so a driver stays small).
pub use nut_daemon::{debug, error, info, trace, warn};

pub use config::{Context, OptKind, OptSpec};
pub use nut_proto::sock::Flags;
pub use reload::Reload;
pub use runner::run;
pub use state::{State, Var};

/// Static facts about a driver, shown by `-h`/`-V` and published as `driver.version.internal`.
#[derive(Debug, Clone, Copy)]
pub struct DriverInfo {
    /// Human name, e.g. `Device simulation and repeater driver`.
    pub description: &'static str,
    /// The driver's own version (`driver.version.internal`), e.g. `0.15`.
    pub version: &'static str,
}

/// The outcome of an instant command or a variable write, reported to upsd (and to the client
/// when it asked for TRACKING). The numbers are NUT's `STAT_INSTCMD_*` / `STAT_SET_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdResult {
    /// Done.
    Handled = 0,
    /// The driver does not know this command or variable.
    Unknown = 1,
    /// Known, but the parameter or value is not acceptable.
    Invalid = 2,
    /// Known and valid, but the device refused or did not answer.
    Failed = 3,
}

/// Why a driver method failed. The message should say what to check (cable, port, permissions).
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The device could not be reached or answered garbage.
    #[error("{0}")]
    Device(String),
    /// The configuration (port, options) is wrong.
    #[error("{0}")]
    Config(String),
    /// Input/output error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The driver gives up (e.g. `reconnect_max_tries` reached): the framework stops it with
    /// exit status 1 so a service manager can start it afresh.
    #[error("{0}")]
    GiveUp(String),
}

/// What a driver implements. Every method gets the [`State`] to read and change; the framework
/// broadcasts the recorded changes to the socket clients after each call.
pub trait Driver {
    /// Description and version.
    fn info(&self) -> DriverInfo;

    /// The driver-specific options accepted with `-x` or in the `ups.conf` section. Anything
    /// else (besides NUT's common options) is refused at start-up, as NUT does.
    fn options(&self) -> Vec<OptSpec> {
        Vec::new()
    }

    /// Open the device and publish the initial data (NUT's `upsdrv_initups` +
    /// `upsdrv_initinfo`). An error stops the driver before the socket is created.
    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError>;

    /// Called every poll interval (NUT's `upsdrv_updateinfo`). On error the framework logs it
    /// and marks the data stale; the driver calls [`State::data_ok`] once it reads again.
    fn update(&mut self, state: &mut State) -> Result<(), DriverError>;

    /// An instant command from upsd (`INSTCMD`).
    fn instcmd(&mut self, cmd: &str, param: Option<&str>, state: &mut State) -> CmdResult {
        let _ = (cmd, param, state);
        CmdResult::Unknown
    }

    /// A variable write from upsd (`SET`).
    fn set_var(&mut self, var: &str, value: &str, state: &mut State) -> CmdResult {
        let _ = (var, value, state);
        CmdResult::Unknown
    }

    /// The driver's built-in way to power the UPS off: NUT's `shutdown.default` (the instant
    /// command, and the default of `sdcommands` for `-k` and `driver.killpower`). Called after
    /// [`Driver::init`].
    fn shutdown(&mut self, state: &mut State) -> Result<(), DriverError> {
        let _ = state;
        Err(DriverError::Config("this driver cannot shut the UPS down".into()))
    }

    /// `-c reload` (SIGHUP) found a new value for `key` in ups.conf: `port` or one of the
    /// driver's own options. `new` is the whole re-read configuration. Return
    /// [`Reload::Applied`] once the driver uses it, [`Reload::Failed`] with the reason if it
    /// tried and kept the old value, or [`Reload::NeedsRestart`] (the default) if it only reads
    /// this setting at start-up. See [`crate::reload`] for what the framework applies itself.
    fn reload(&mut self, key: &str, new: &Context, state: &mut State) -> Reload {
        let _ = (key, new, state);
        Reload::NeedsRestart
    }

    /// NUT's `DRV_EXPERIMENTAL` status: the driver prints NUT's warning at start (and in
    /// `-h`). mge-shut is one.
    fn experimental(&self) -> bool {
        false
    }

    /// Extra lines printed at the end of `-h`.
    fn help(&self) -> Option<String> {
        None
    }

    /// Problems `--check-config` can find without touching the device, one sentence each
    /// (with file:line where there is one). The default checks that the files of
    /// [`Driver::files_read_after_drop`] exist; drivers add their own checks of `port` and
    /// options.
    fn check(&self, ctx: &Context) -> Vec<String> {
        self.files_read_after_drop(ctx)
            .into_iter()
            .filter(|f| !f.exists())
            .map(|f| {
                format!("{} does not exist (check the port setting of UPS [{}])", f.display(), ctx.upsname)
            })
            .collect()
    }

    /// Files the driver reads again after dropping root privileges (dummy-ups re-reads its
    /// `.dev` file when it changes). The framework checks at startup that the account it
    /// drops to can read them, and refuses to start with the fix if not.
    fn files_read_after_drop(&self, ctx: &Context) -> Vec<std::path::PathBuf> {
        let _ = ctx;
        Vec::new()
    }
}
