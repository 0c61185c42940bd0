//! The data model of the Q* engine: NUT's `item_t` as a Rust struct, so that every protocol
//! (subdriver) is a table of [`Item`]s plus a few named functions.
//!
//! An item says how to obtain one piece of information from the device (or how to send one
//! instant command / one variable write): the command to send, what a valid answer looks like
//! (minimum length, first character), where the value sits in the answer (`from..=to`, 0-based
//! character positions; `to == 0` means "to the end of the line"), how to format it for NUT
//! (`dfl`, a printf-like `%s`/`%.1f`/`%03d`...), the engine flags ([`qxflags`]) and optional
//! hooks run on the command, on the raw answer and on the extracted value.
//!
//! Tables are `static` slices; the engine copies them into a mutable run-time table
//! ([`Runtime::items`]) because the engine and some subdrivers mark items as skipped or
//! change their defaults while running (NUT mutates its tables the same way).
//!
//! The hooks get a [`Ctx`]: the run-time table, the status being built, the variable store
//! ([`nut_driver::State`]), the configuration values and the port, so that a subdriver can
//! send extra commands (`claim`), publish variables and keep its own private state
//! ([`Runtime::sub`]).

use std::any::Any;
use std::collections::BTreeMap;
use std::time::Duration;

use nut_driver::State;

use crate::port::{PortError, QxPort};

/// NUT's `ST_FLAG_*` for the variable an item publishes (the `info_flags` column).
pub mod st {
    /// Writable (`ST_FLAG_RW`).
    pub const RW: u32 = 0x0001;
    /// String (`ST_FLAG_STRING`); the maximum length is the first `info_rw` value.
    pub const STRING: u32 = 0x0002;
    /// Number (`ST_FLAG_NUMBER`).
    pub const NUMBER: u32 = 0x0004;
}

/// The engine's own flags (NUT's `QX_FLAG_*`, same values).
pub mod qxflags {
    /// Read once, at start-up.
    pub const STATIC: u32 = 2;
    /// Read at start-up and again after an instant command or a write that may change it.
    pub const SEMI_STATIC: u32 = 4;
    /// The device does not have this data: publish `dfl` as the value.
    pub const ABSENT: u32 = 8;
    /// Read in quick polls too; a failure at start-up marks the data stale instead of
    /// skipping the item.
    pub const QUICK_POLL: u32 = 16;
    /// An instant command.
    pub const CMD: u32 = 32;
    /// How to write a variable.
    pub const SETVAR: u32 = 64;
    /// Trim leading/trailing spaces and `#` from the value.
    pub const TRIM: u32 = 128;
    /// `info_rw` holds the enumerated values.
    pub const ENUM: u32 = 256;
    /// `info_rw` holds the range (min, max).
    pub const RANGE: u32 = 512;
    /// Not a NUT variable (the name is for logs, or with `SETVAR` a ups.conf option).
    pub const NONUT: u32 = 1024;
    /// Skip this item (set at run time when it fails at start-up).
    pub const SKIP: u32 = 2048;
}

/// Why a hook or the processing of an item failed. The text is for the debug log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ItemError(pub String);

impl ItemError {
    /// A failure with a message.
    pub fn new(msg: impl Into<String>) -> Self {
        ItemError(msg.into())
    }
}

/// Turns a value (from the answer, or the user's for a command/write) into the value to
/// publish, or into the command to send for `CMD`/`SETVAR` items. May change the status,
/// publish other variables, or mark other items.
pub type ValueFn = fn(&mut Ctx<'_>, &Item, &str) -> Result<String, ItemError>;
/// Last change to the command bytes before they are sent (e.g. a CRC).
pub type CommandFn = fn(&mut Ctx<'_>, &Item, Vec<u8>) -> Result<Vec<u8>, ItemError>;
/// First look at the raw answer (e.g. check a CRC, decode binary fields into text).
pub type AnswerFn = fn(&mut Ctx<'_>, &Item, Vec<u8>) -> Result<Vec<u8>, ItemError>;
/// Whether one enumerated/range value of a writable variable applies to this device.
pub type RwCheckFn = fn(&Ctx<'_>, &str) -> bool;
/// A subdriver's claim: does the device speak this protocol? (sends commands through ctx).
pub type ClaimFn = fn(&mut Ctx<'_>) -> bool;
/// A subdriver's own start-up step (after the engine's initups/initinfo).
pub type HookFn = fn(&mut Ctx<'_>) -> Result<(), ItemError>;

/// One enumerated value, range bound or string length of a writable variable (NUT's
/// `info_rw_t`).
#[derive(Debug, Clone, Copy)]
pub struct InfoRw {
    /// The value (for `st::STRING` items: the maximum length, as text).
    pub value: &'static str,
    /// Optional check of this value against the device.
    pub check: Option<RwCheckFn>,
}

impl InfoRw {
    /// A value without check.
    pub const fn new(value: &'static str) -> Self {
        InfoRw { value, check: None }
    }
}

/// One row of a protocol table (NUT's `item_t` without the run-time buffers).
#[derive(Clone, Copy)]
pub struct Item {
    /// NUT variable or instant command name; with [`qxflags::NONUT`] a name for logs (or, with
    /// `SETVAR`, the ups.conf option it sets).
    pub info_type: &'static str,
    /// [`st`] flags of the published variable.
    pub info_flags: u32,
    /// Enumerated values / range / string length of a writable variable.
    pub info_rw: &'static [InfoRw],
    /// Command sent to the device (for `CMD`/`SETVAR`, a printf-like template).
    pub command: &'static str,
    /// Minimum length of a valid answer, including the trailing CR (0: no minimum).
    pub answer_len: u16,
    /// Expected first byte of the answer (0: any).
    pub leading: u8,
    /// First character of the value in the answer (0-based).
    pub from: u16,
    /// Last character of the value (inclusive); 0 for the rest of the line.
    pub to: u16,
    /// Output format (`%s`, `%.1f`, `%03d`...); with `ABSENT` the value; with `CMD` the
    /// default parameter. None: nothing is published by the engine itself.
    pub dfl: Option<&'static str>,
    /// [`qxflags`].
    pub qxflags: u32,
    /// Hook on the command before sending.
    pub preprocess_command: Option<CommandFn>,
    /// Hook on the raw answer.
    pub preprocess_answer: Option<AnswerFn>,
    /// Hook on the value.
    pub preprocess: Option<ValueFn>,
}

impl Item {
    /// An empty row, for `..Item::NONE` in table literals.
    pub const NONE: Item = Item {
        info_type: "",
        info_flags: 0,
        info_rw: &[],
        command: "",
        answer_len: 0,
        leading: 0,
        from: 0,
        to: 0,
        dfl: None,
        qxflags: 0,
        preprocess_command: None,
        preprocess_answer: None,
        preprocess: None,
    };

    /// True when all of `flags` are set.
    pub fn has(&self, flags: u32) -> bool {
        self.qxflags & flags == flags
    }
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item")
            .field("info_type", &self.info_type)
            .field("command", &self.command)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("qxflags", &self.qxflags)
            .finish_non_exhaustive()
    }
}

/// A driver option a subdriver adds (`-x name[=value]`, ups.conf).
#[derive(Debug, Clone, Copy)]
pub struct SubOpt {
    /// Option name.
    pub name: &'static str,
    /// True for a value option, false for a flag.
    pub value: bool,
    /// Help text for `-h`.
    pub help: &'static str,
}

/// One protocol (NUT's `subdriver_t`).
#[derive(Clone, Copy)]
pub struct Subdriver {
    /// Protocol name as given to `protocol=` (e.g. `megatec`, `megatec/old`).
    pub name: &'static str,
    /// Its version, shown in `driver.version.data` as `<name> <version>`.
    pub version: &'static str,
    /// Does the device speak it?
    pub claim: ClaimFn,
    /// The table.
    pub table: &'static [Item],
    /// Extra step at the end of the engine's device opening.
    pub initups: Option<HookFn>,
    /// Extra step at the end of the engine's first reading.
    pub initinfo: Option<HookFn>,
    /// The subdriver's own options.
    pub options: &'static [SubOpt],
    /// Answer (after extraction of `from..=to`) meaning "command accepted", when the device
    /// acknowledges commands.
    pub accepted: Option<&'static str>,
    /// Raw answer (with its CR) meaning "command refused".
    pub rejected: Option<&'static str>,
}

impl std::fmt::Debug for Subdriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Subdriver({} {})", self.name, self.version)
    }
}

/// NUT's status bits (`status_bit_t`), as a bit set.
pub mod status {
    /// Online.
    pub const OL: u32 = 1 << 0;
    /// Low battery.
    pub const LB: u32 = 1 << 1;
    /// Replace battery.
    pub const RB: u32 = 1 << 2;
    /// Charging.
    pub const CHRG: u32 = 1 << 3;
    /// Discharging.
    pub const DISCHRG: u32 = 1 << 4;
    /// On bypass.
    pub const BYPASS: u32 = 1 << 5;
    /// Calibration (battery test).
    pub const CAL: u32 = 1 << 6;
    /// Output off.
    pub const OFF: u32 = 1 << 7;
    /// Overload.
    pub const OVER: u32 = 1 << 8;
    /// Trimming.
    pub const TRIM: u32 = 1 << 9;
    /// Boosting.
    pub const BOOST: u32 = 1 << 10;
    /// Shutdown imminent.
    pub const FSD: u32 = 1 << 11;

    /// Token names in the order NUT composes `ups.status`.
    pub const NAMES: &[(u32, &str)] = &[
        (OL, "OL"),
        (LB, "LB"),
        (RB, "RB"),
        (CHRG, "CHRG"),
        (DISCHRG, "DISCHRG"),
        (BYPASS, "BYPASS"),
        (CAL, "CAL"),
        (OFF, "OFF"),
        (OVER, "OVER"),
        (TRIM, "TRIM"),
        (BOOST, "BOOST"),
        (FSD, "FSD"),
    ];
}

/// Which walk the engine is doing (NUT's `walkmode_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkMode {
    /// Start-up: everything, failing optional items get skipped.
    Init,
    /// Quick poll: `QUICK_POLL` items only.
    QuickUpdate,
    /// Full poll: everything but `STATIC` (and `SEMI_STATIC` unless refreshed).
    FullUpdate,
}

/// The engine's state that the hooks can see and change.
pub struct Runtime {
    /// The run-time copy of the subdriver's table.
    pub items: Vec<Item>,
    /// Status bits collected in the current walk.
    pub status: u32,
    /// Alarm texts collected in the current walk.
    pub alarms: Vec<String>,
    /// `ups.status` tokens a hook set as they are (NUT's subdrivers calling `status_set`
    /// themselves, e.g. ablerex): they lead `ups.status`, before the tokens composed from
    /// [`Runtime::status`], and last one poll (cleared before each walk of a poll).
    pub raw_status: Vec<String>,
    /// Driver options from ups.conf / `-x`: value options with their value, flags with "".
    pub options: BTreeMap<String, String>,
    /// Current walk.
    pub walkmode: WalkMode,
    /// Timeout of one command.
    pub timeout: Duration,
    /// Number of battery packs (`battery.packs`, or autodetected), 1 when unknown.
    pub batt_packs: f64,
    /// The `battery_voltage_reports_one_pack` flag is in force.
    pub batt_one_pack: bool,
    /// An item of this walk went through [`crate::engine::multiply_battvolt`].
    pub battvolt_considered: bool,
    /// A command or write may have changed semi-static data: re-read it at the next poll.
    pub data_has_changed: bool,
    /// The subdriver's own state (see [`Ctx::sub`]).
    pub sub: Option<Box<dyn Any + Send>>,
    /// The whole answer (after `preprocess_answer`) of the item being processed, for value
    /// hooks that look beyond `from..=to` (NUT's `item->answer`).
    pub answer: Vec<u8>,
    /// The device gave `battery.charge` in the current walk (no estimate then).
    pub charge_read: bool,
    /// The device gave `battery.runtime` in the current walk.
    pub runtime_read: bool,
    /// The port itself failed (device gone, I/O error) since this was last cleared, as
    /// opposed to the device answering badly or not at all.
    pub port_failed: bool,
}

impl Runtime {
    /// A run-time over `table` with the given options.
    pub fn new(table: &[Item], options: BTreeMap<String, String>) -> Self {
        Runtime {
            items: table.to_vec(),
            status: 0,
            alarms: Vec::new(),
            raw_status: Vec::new(),
            options,
            walkmode: WalkMode::Init,
            timeout: Duration::from_millis(1000),
            batt_packs: 1.0,
            batt_one_pack: false,
            battvolt_considered: false,
            data_has_changed: false,
            sub: None,
            answer: Vec::new(),
            charge_read: false,
            runtime_read: false,
            port_failed: false,
        }
    }

    /// Index of the first item named `name` having all of `flag` and none of `noflag`
    /// (NUT's `find_nut_info`).
    pub fn find(&self, name: &str, flag: u32, noflag: u32) -> Option<usize> {
        self.items.iter().position(|i| {
            i.info_type.eq_ignore_ascii_case(name) && i.qxflags & flag == flag && i.qxflags & noflag == 0
        })
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("status", &self.status).field("items", &self.items.len()).finish()
    }
}

/// What the hooks get: the engine's run-time, the variable store and the device.
pub struct Ctx<'a> {
    /// Engine state.
    pub rt: &'a mut Runtime,
    /// The variables the driver publishes.
    pub state: &'a mut State,
    /// The device.
    pub port: &'a mut dyn QxPort,
}

impl Ctx<'_> {
    /// A configuration value (value options; flags give `Some("")`).
    pub fn getval(&self, name: &str) -> Option<&str> {
        self.rt.options.get(name).map(String::as_str)
    }

    /// Whether an option or flag is set (NUT's `testvar`).
    pub fn testvar(&self, name: &str) -> bool {
        self.rt.options.contains_key(name)
    }

    /// Edit the status being built: a token (`OL`, `LB`, ...) sets it, `!TOKEN` clears it.
    /// `OB` is "not OL" as in NUT.
    pub fn update_status(&mut self, token: &str) {
        let (clear, name) = match token.strip_prefix('!') {
            Some(n) => (true, n),
            None => (false, token),
        };
        let (clear, name) = if name.eq_ignore_ascii_case("OB") { (!clear, "OL") } else { (clear, name) };
        if let Some((bit, _)) = status::NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
            if clear {
                self.rt.status &= !bit;
            } else {
                self.rt.status |= bit;
            }
        } else {
            nut_driver::debug!("update_status: unknown status token {token}");
        }
    }

    /// Put a token into this poll's `ups.status` as it is, ahead of the composed ones (see
    /// [`Runtime::raw_status`]); not a status bit, so it raises no alarm of its own.
    pub fn status_set_raw(&mut self, token: &str) {
        if !self.rt.raw_status.iter().any(|t| t == token) {
            self.rt.raw_status.push(token.to_string());
        }
    }

    /// Add an alarm text for this walk.
    pub fn alarm(&mut self, text: &str) {
        if !self.rt.alarms.iter().any(|a| a == text) {
            self.rt.alarms.push(text.to_string());
        }
    }

    /// The subdriver's private state, created with `T::default()` on first use.
    pub fn sub<T: Default + Send + 'static>(&mut self) -> &mut T {
        let fresh = !self.rt.sub.as_ref().is_some_and(|b| b.is::<T>());
        if fresh {
            self.rt.sub = Some(Box::new(T::default()));
        }
        match self.rt.sub.as_mut().and_then(|b| b.downcast_mut::<T>()) {
            Some(t) => t,
            None => unreachable!("sub state was just set to this type"),
        }
    }

    /// Send `cmd` and return the raw answer.
    pub fn command(&mut self, cmd: &[u8]) -> Result<Vec<u8>, PortError> {
        let t = self.rt.timeout;
        let r = self.port.command(cmd, t);
        if matches!(r, Err(PortError::Disconnected(_) | PortError::Io(_))) {
            self.rt.port_failed = true;
        }
        r
    }
}
