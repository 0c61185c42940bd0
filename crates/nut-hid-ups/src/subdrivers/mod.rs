//! Subdrivers as data: which HID paths become which NUT variables, commands and status bits,
//! per vendor. The engine in [`crate::hidups`] interprets these tables; nothing here does I/O.

use nut_hid::UsageTable;

pub mod apc;
pub mod arduino;
pub mod belkin;
pub mod common;
pub mod cps;
pub mod delta;
pub mod ecoflow;
pub mod ever;
pub mod explore;
pub mod generic;
pub mod idowell;
pub mod legrand;
pub mod liebert;
pub mod mge;
pub mod nut_lookups;
pub mod openups;
pub mod powercom;
pub mod powervar;
pub mod salicru;
pub mod tripplite;

/// How a raw HID value becomes the text of a variable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Conv {
    /// Format the number with the entry's printf-style format.
    Number,
    /// The value is a USB string descriptor index: publish that string.
    StringId,
    /// Map numbers to words; unknown numbers leave the variable unset.
    Lookup(&'static [(i64, &'static str)]),
    /// HID date (`(year-1980)*512 + month*32 + day`) as `YYYY/MM/DD`.
    Date,
    /// APC's battery date (0xMMDDYY as a 24-bit number) as `YYYY/MM/DD`.
    ApcDate,
    /// Kelvin to degrees Celsius.
    KelvinToCelsius,
    /// A status bit as NUT's `<bit>_info` tables: 1 sets it, 0 clears it (other values
    /// change nothing). Two bits follow NUT's special tables: [`StatusBit::Online`] is
    /// `online_info` (0 means "offline", setting [`StatusBit::Offline`]) and
    /// [`StatusBit::FullyCharged`] is `fullycharged_info` (0 sets
    /// [`StatusBit::NotFullyCharged`]).
    Status(StatusBit),
    /// A status bit that a zero value sets and a one clears (NUT's `off_info`,
    /// `nobattery_info`: BatteryPresent=0 means "no battery").
    StatusIfZero(StatusBit),
    /// NUT's boolean lookup tables (`{ 1, "online" }, { 0, "!online" }`): for each listed
    /// value, the bits it sets (`true`) or clears (`false`); unlisted values change nothing.
    StatusMap(&'static [(i64, &'static [(StatusBit, bool)])]),
    /// A NUT conversion function (`info_lkp_t.fun` / `.nuf`): the value as NUT formats it,
    /// and, for writable variables, the way back.
    Fun(ConvFn),
}

/// A conversion function pair of a NUT lookup table: `fun` turns the HID value (physical,
/// after the unit exponent) into the variable's text (`None`: leave the variable unset);
/// `nuf` turns a value given to SET VAR into the HID value (`None`: refuse it).
#[derive(Debug, Clone, Copy)]
pub struct ConvFn {
    /// A name for logs and tests (NUT's lookup table name, e.g. `mge_sensitivity_info`).
    pub name: &'static str,
    /// HID to NUT.
    pub fun: fn(f64) -> Option<String>,
    /// NUT to HID, for writable variables.
    pub nuf: Option<fn(&str) -> Option<f64>>,
    /// The rows of NUT's lookup table around the function (`(HID value, NUT value)`): for an
    /// `ENUM` variable, the rows whose HID value the function accepts are its enumeration.
    pub rows: &'static [(i64, &'static str)],
}

impl ConvFn {
    /// The same function with its NUT table rows (the enumeration of an `ENUM` variable).
    pub const fn with_rows(self, rows: &'static [(i64, &'static str)]) -> ConvFn {
        ConvFn { rows, ..self }
    }
}

impl PartialEq for ConvFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// The status bits NUT's usbhid-ups tracks; they become `ups.status` tokens and `ups.alarm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusBit {
    /// On line power (absent means on battery).
    Online,
    /// Battery discharging.
    Discharging,
    /// Battery charging.
    Charging,
    /// Battery low.
    LowBatt,
    /// Runtime below the limit (counted as low battery).
    TimeLimitExpired,
    /// Shutdown imminent (counted as low battery).
    ShutdownImminent,
    /// Overload.
    Overload,
    /// Battery needs replacement.
    ReplaceBatt,
    /// Bucking the input voltage.
    Trim,
    /// Boosting the input voltage.
    Boost,
    /// On bypass.
    Bypass,
    /// Output off.
    Off,
    /// Calibrating.
    Calibration,
    /// Over temperature.
    Overheat,
    /// Internal failure.
    InternalFailure,
    /// Fan failure.
    FanFailure,
    /// Waiting for power to come back before restarting.
    AwaitingPower,
    /// Battery not present (a zero BatteryPresent).
    NoBattery,
    /// Battery voltage too low.
    BattVoltLow,
    /// Battery voltage too high.
    BattVoltHigh,
    /// Fully charged (only used to clear CHRG).
    FullyCharged,
    /// Reported as explicitly off line (NUT's OFFLINE bit).
    Offline,
    /// On automatic bypass.
    BypassAuto,
    /// On manual (service) bypass.
    BypassManual,
    /// High-efficiency (ECO) mode.
    EcoMode,
    /// Energy Saver System (ESS) mode.
    EssMode,
    /// Communication fault / UPS fault (Belkin, Tripp Lite).
    CommFault,
    /// Battery depleted (Belkin).
    Depleted,
    /// Battery reported as not fully charged (CyberPower and others).
    NotFullyCharged,
    /// Battery charger failure (MGE).
    ChargerFail,
    /// Input voltage out of range (`input.transfer.reason`).
    VoltageRange,
    /// Input frequency out of range.
    FrequencyRange,
    /// Emergency stop (not a NUT status bit: NUT's mge table raises the alarm text
    /// "Emergency stop!" from it, and so does the engine).
    EmergencyStop,
}

impl StatusBit {
    /// NUT's name for the bit in `process_boolean_info` (`online`, `dischrg` ...); the
    /// aliases [`StatusBit::Bypass`] and [`StatusBit::InternalFailure`] give the name of the
    /// bit they stand for (`bypassauto`, `commfault`).
    pub fn nut_name(self) -> &'static str {
        use StatusBit::*;
        match self {
            Online => "online",
            Offline => "offline",
            Discharging => "dischrg",
            Charging => "chrg",
            LowBatt => "lowbatt",
            Overload => "overload",
            ReplaceBatt => "replacebatt",
            ShutdownImminent => "shutdownimm",
            Trim => "trim",
            Boost => "boost",
            Bypass | BypassAuto => "bypassauto",
            BypassManual => "bypassman",
            EcoMode => "ecomode",
            EssMode => "essmode",
            Off => "off",
            Calibration => "cal",
            Overheat => "overheat",
            InternalFailure | CommFault => "commfault",
            Depleted => "depleted",
            TimeLimitExpired => "timelimitexp",
            FullyCharged => "fullycharged",
            NotFullyCharged => "notfullycharged",
            AwaitingPower => "awaitingpower",
            FanFailure => "fanfail",
            NoBattery => "nobattery",
            BattVoltLow => "battvoltlo",
            BattVoltHigh => "battvolthi",
            ChargerFail => "chargerfail",
            VoltageRange => "vrange",
            FrequencyRange => "frange",
            EmergencyStop => "emergencystop",
        }
    }

    /// The bit NUT's `process_boolean_info` knows by this name (case-insensitive, as NUT's
    /// `strcasecmp`); the aliases give the bit they stand for.
    pub fn from_nut_name(name: &str) -> Option<StatusBit> {
        use StatusBit::*;
        const BITS: [StatusBit; 29] = [
            Online,
            Offline,
            Discharging,
            Charging,
            LowBatt,
            Overload,
            ReplaceBatt,
            ShutdownImminent,
            Trim,
            Boost,
            BypassAuto,
            BypassManual,
            EcoMode,
            EssMode,
            Off,
            Calibration,
            Overheat,
            CommFault,
            Depleted,
            TimeLimitExpired,
            FullyCharged,
            NotFullyCharged,
            AwaitingPower,
            FanFailure,
            NoBattery,
            BattVoltLow,
            BattVoltHigh,
            ChargerFail,
            VoltageRange,
        ];
        BITS.into_iter().chain([FrequencyRange]).find(|b| b.nut_name().eq_ignore_ascii_case(name))
    }

    /// The bit NUT tracks for this one (the aliases map to the bit they stand for).
    pub fn canonical(self) -> StatusBit {
        match self {
            StatusBit::Bypass => StatusBit::BypassAuto,
            StatusBit::InternalFailure => StatusBit::CommFault,
            b => b,
        }
    }
}

/// Variable flags (NUT's `HU_FLAG_*` and `ST_FLAG_*`).
pub mod flag {
    /// Read once at startup.
    pub const STATIC: u8 = 1;
    /// Writable with SET VAR.
    pub const RW: u8 = 2;
    /// The value is the entry's default text, published when the path exists (not read).
    pub const ABSENT: u8 = 4;
    /// A string variable (for SET VAR type info).
    pub const STRING: u8 = 8;
    /// NUT's `HU_FLAG_SEMI_STATIC`: read at start and then only now and then.
    pub const SEMI_STATIC: u8 = 16;
    /// NUT's `HU_FLAG_QUICK_POLL`: read at every quick update (status-like values).
    pub const QUICK_POLL: u8 = 32;
    /// NUT's `HU_FLAG_ENUM`: the lookup table's words are the variable's enumerated values.
    pub const ENUM: u8 = 64;
}

/// One variable (or status bit) mapped from a HID path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarMap {
    /// NUT variable name (`battery.charge`), or `""` for a pure status bit.
    pub var: &'static str,
    /// HID path as NUT prints it.
    pub path: &'static str,
    /// printf-style format for numbers (`%.0f`, `%.1f`) or the default text for [`flag::ABSENT`].
    pub fmt: &'static str,
    /// How the value is converted.
    pub conv: Conv,
    /// [`flag`] bits.
    pub flags: u8,
    /// For a writable string variable, its maximum length (NUT's `info_len`); 0 = default.
    pub len: u16,
}

impl VarMap {
    /// The same entry with more [`flag`] bits.
    pub const fn with_flags(mut self, flags: u8) -> VarMap {
        self.flags |= flags;
        self
    }

    /// The same entry with a string length (NUT's `info_len`).
    pub const fn with_len(mut self, len: u16) -> VarMap {
        self.len = len;
        self
    }
}

/// One instant command: write `value` to `path`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CmdMap {
    /// NUT command name.
    pub cmd: &'static str,
    /// HID path to write.
    pub path: &'static str,
    /// Value to write (NUT's `dfl`), used when the command comes without a parameter;
    /// `offdelay`/`ondelay` mean the current `ups.delay.shutdown`/`ups.delay.start`; `""` is
    /// NUT's NULL (only a conversion's `nuf` can make a value of it).
    pub value: &'static str,
    /// NUT's `hid2info` of a command entry: a [`Conv::Lookup`] turns the value (a word) into
    /// the number written, a [`Conv::Fun`] with a `nuf` computes it. `None`: the value is a
    /// number.
    pub conv: Option<Conv>,
}

/// A subdriver: identification, usage names and its tables.
#[derive(Debug, Clone, Copy)]
pub struct Subdriver {
    /// NUT's name, published as `driver.version.data` with the version.
    pub name: &'static str,
    /// Vendor tables used to name usages.
    pub usages: &'static [UsageTable],
    /// Vendor-specific variables, looked up before [`common::VARS`].
    pub vars: &'static [VarMap],
    /// Vendor-specific commands, before [`common::CMDS`].
    pub cmds: &'static [CmdMap],
    /// Manufacturer to publish when the device has no manufacturer string (`""`: none, as
    /// NUT's Tripp Lite subdriver), with the default identity rules.
    pub mfr: &'static str,
    /// Whether [`common::VARS`] and [`common::CMDS`] follow this subdriver's own entries. A
    /// subdriver ported whole from NUT's `*-hid.c` has its complete table, as NUT's do, and
    /// sets this to false so that no variable NUT would not publish appears.
    pub common: bool,
    /// NUT's `fix_report_desc` for this vendor: corrects known defects of the parsed report
    /// descriptor (for example logical ranges a firmware gets wrong); returns how many fixes
    /// it made. Not called with `disable_fix_report_desc`.
    pub fix_report_desc: Option<fn(&crate::transport::DeviceInfo, &mut nut_hid::Descriptor) -> usize>,
    /// NUT's `format_mfr` / `format_model` / `format_serial` when they do more than the
    /// default ([`default_names`]: the USB strings, [`Subdriver::mfr`] when there is no
    /// manufacturer string). See [`Identity`].
    pub identity: Option<fn(&mut Identity<'_>) -> Names>,
    /// The state NUT's subdriver keeps in file-level variables between table entries (MGE's
    /// model family and ABM mode, Liebert's voltage multipliers ...): a factory called once
    /// per device. Its [`SubdriverState::convert`] / [`SubdriverState::convert_back`] see
    /// every [`Conv::Fun`] of the tables first.
    pub state: Option<fn() -> Box<dyn SubdriverState>>,
}

// ---------------------------------------------------------------------------------------------
// Hooks: identity and per-device state
// ---------------------------------------------------------------------------------------------

/// What a subdriver's conversion functions and identity rules may look at besides the value,
/// as NUT's functions do through `dstate_getinfo`, `ups_status`, `HIDGetItemValue`,
/// `HIDGetItemString` and `setvar`. The engine implements it.
pub trait DeviceView {
    /// Every variable published so far (NUT's `dstate_getinfo`).
    fn vars(&self) -> &std::collections::BTreeMap<String, String>;
    /// One variable published so far.
    fn var(&self, name: &str) -> Option<&str> {
        self.vars().get(name).map(String::as_str)
    }
    /// A status bit as collected so far in this walk (NUT's `ups_status_get`).
    fn status(&self, bit: StatusBit) -> bool;
    /// The physical value of the field a table path names (NUT's `HIDGetItemValue`).
    fn value_at(&mut self, path: &str) -> Option<f64>;
    /// The USB string the field at a table path points at (NUT's `HIDGetItemString`), as the
    /// device sent it (only a trailing newline removed).
    fn string_at(&mut self, path: &str) -> Option<String>;
    /// A Feature report as the device sends it now, starting with its report id (NUT's
    /// `HIDGetReport`-based workarounds read bytes no field describes).
    fn feature_report(&mut self, id: u8) -> Option<Vec<u8>>;
    /// NUT's `setvar()` from inside a conversion (MGE's ECO commands): true when done.
    fn setvar(&mut self, var: &str, value: &str) -> bool;
    /// NUT's `dstate_setinfo()` from inside a conversion: publish another variable.
    fn publish(&mut self, var: &str, value: &str);
    /// NUT's `buzzmode_set()`: a mode buzzword for `experimental.ups.mode.buzzwords` in this
    /// update (with the ones the status bits give).
    fn buzzword(&mut self, word: &'static str);
    /// The configured `offdelay` / `ondelay` (seconds, as text).
    fn delay(&self, which: Delay) -> String;
    /// The local time zone's offset from UTC, in seconds (NUT's `localtime`).
    fn utc_offset(&self) -> i64;
}

/// Which configured delay [`DeviceView::delay`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    /// `offdelay`.
    Off,
    /// `ondelay`.
    On,
}

/// What identity rules get: the USB ids and strings as the device sent them (only a trailing
/// newline removed; trailing spaces kept: the Eaton 5S's iModel is "1200 "), and the device
/// for the HID strings and values NUT's `format_*` functions read.
pub struct Identity<'a> {
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// iManufacturer.
    pub vendor: Option<&'a str>,
    /// iProduct.
    pub product: Option<&'a str>,
    /// iSerialNumber.
    pub serial: Option<&'a str>,
    /// The device.
    pub device: &'a mut dyn DeviceView,
}

/// What identity rules publish (`None`: the variable is not published, as NUT's
/// `dstate_delinfo` on a NULL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// `ups.mfr` (and `device.mfr`).
    pub mfr: Option<String>,
    /// `ups.model` (and `device.model`).
    pub model: Option<String>,
    /// `ups.serial` (and `device.serial`).
    pub serial: Option<String>,
    /// Other variables the rules set (APC's `ups.firmware`, `ups.firmware.aux`).
    pub extra: Vec<(&'static str, String)>,
    /// The model family the rules recognised, handed to the subdriver state (MGE's
    /// `models_type_t`); `None` when the subdriver has none.
    pub family: Option<u16>,
}

/// NUT's usual `format_*`: the USB strings, the manufacturer falling back to `mfr` (an empty
/// `mfr` is no fallback, as Tripp Lite's).
pub fn default_names(id: &Identity<'_>, mfr: &str) -> Names {
    let fallback = (!mfr.is_empty()).then(|| mfr.to_string());
    Names {
        mfr: id.vendor.map(str::to_string).or(fallback),
        model: id.product.map(str::to_string),
        serial: id.serial.map(str::to_string),
        ..Names::default()
    }
}

/// A subdriver's per-device state (see [`Subdriver::state`]).
pub trait SubdriverState: Send + std::fmt::Debug {
    /// The identity rules ran (MGE takes its model family from `names.family`).
    fn identified(&mut self, _names: &Names) {}
    /// NUT's conversion `f` of the HID value `v` with this state: `Some(text)` or `Some(None)`
    /// (nothing published: the variable keeps its last text) when the state handles `f`,
    /// `None` to use `f.fun`. On a status entry (no variable) the text is a status token
    /// (`chrg`, `!online`).
    fn convert(&mut self, f: &ConvFn, v: f64, dev: &mut dyn DeviceView) -> Option<Option<String>>;
    /// The way back for SET VAR and commands: `Some(Some(value))`, `Some(None)` (refused), or
    /// `None` to use `f.nuf`.
    fn convert_back(&mut self, _f: &ConvFn, _text: &str, _dev: &mut dyn DeviceView) -> Option<Option<f64>> {
        None
    }
}

impl Subdriver {
    /// Every variable entry: vendor first, then the common ones (when [`Subdriver::common`]).
    pub fn all_vars(&self) -> impl Iterator<Item = &'static VarMap> {
        let common: &'static [VarMap] = if self.common { common::VARS } else { &[] };
        self.vars.iter().chain(common.iter())
    }

    /// Every command entry: vendor first, then the common ones (when [`Subdriver::common`]).
    pub fn all_cmds(&self) -> impl Iterator<Item = &'static CmdMap> {
        let common: &'static [CmdMap] = if self.common { common::CMDS } else { &[] };
        self.cmds.iter().chain(common.iter())
    }
}

/// Shorthand for a numeric variable.
pub const fn num(var: &'static str, path: &'static str, fmt: &'static str) -> VarMap {
    VarMap { var, path, fmt, conv: Conv::Number, flags: 0, len: 0 }
}

/// Shorthand for a writable numeric variable.
pub const fn rw(var: &'static str, path: &'static str, fmt: &'static str) -> VarMap {
    VarMap { var, path, fmt, conv: Conv::Number, flags: flag::RW | flag::STRING, len: 0 }
}

/// Shorthand for a status bit.
pub const fn st(path: &'static str, bit: StatusBit) -> VarMap {
    VarMap { var: "", path, fmt: "", conv: Conv::Status(bit), flags: 0, len: 0 }
}

/// Shorthand for a status bit set by a zero value.
pub const fn st0(path: &'static str, bit: StatusBit) -> VarMap {
    VarMap { var: "", path, fmt: "", conv: Conv::StatusIfZero(bit), flags: 0, len: 0 }
}

/// Shorthand for a variable with a conversion.
pub const fn conv(var: &'static str, path: &'static str, conv: Conv) -> VarMap {
    VarMap { var, path, fmt: "%s", conv, flags: 0, len: 0 }
}

/// Shorthand for a default-valued writable variable published when the path exists.
pub const fn absent(var: &'static str, path: &'static str, dfl: &'static str) -> VarMap {
    VarMap { var, path, fmt: dfl, conv: Conv::Number, flags: flag::ABSENT | flag::RW | flag::STRING, len: 0 }
}

/// Shorthand for a NUT boolean lookup table entry setting status bits.
pub const fn stmap(path: &'static str, map: &'static [(i64, &'static [(StatusBit, bool)])]) -> VarMap {
    VarMap { var: "", path, fmt: "", conv: Conv::StatusMap(map), flags: 0, len: 0 }
}

/// Shorthand for a variable converted by a NUT conversion function.
pub const fn fun(var: &'static str, path: &'static str, f: ConvFn) -> VarMap {
    VarMap { var, path, fmt: "%s", conv: Conv::Fun(f), flags: 0, len: 0 }
}

/// Shorthand for a command.
pub const fn cmd(cmd: &'static str, path: &'static str, value: &'static str) -> CmdMap {
    CmdMap { cmd, path, value, conv: None }
}

/// Shorthand for a command whose value goes through a conversion (NUT's command entries with
/// a lookup table or `nuf` function, e.g. `eaton_input_eco_mode_auto_on_off_info`).
pub const fn cmd_conv(cmd: &'static str, path: &'static str, value: &'static str, conv: Conv) -> CmdMap {
    CmdMap { cmd, path, value, conv: Some(conv) }
}

/// All subdrivers: NUT 2.8.5's list in its order (`subdriver_list` of usbhid-ups.c, which
/// usbhid-ups's `device_table` matches in), then ours (generic last).
pub const ALL: &[&Subdriver] = &[
    &explore::SUBDRIVER,
    &mge::SUBDRIVER,
    &apc::SUBDRIVER,
    &arduino::SUBDRIVER,
    &belkin::SUBDRIVER,
    &cps::SUBDRIVER,
    &delta::SUBDRIVER,
    &ecoflow::SUBDRIVER,
    &ever::SUBDRIVER,
    &idowell::SUBDRIVER,
    &legrand::SUBDRIVER,
    &liebert::SUBDRIVER,
    &openups::SUBDRIVER,
    &powercom::SUBDRIVER,
    &powervar::SUBDRIVER,
    &salicru::SUBDRIVER,
    &tripplite::SUBDRIVER,
    &generic::SUBDRIVER,
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A device for the hooks: USB strings at paths, values at paths.
    #[derive(Default)]
    struct Fake {
        vars: BTreeMap<String, String>,
        strings: BTreeMap<&'static str, &'static str>,
        values: BTreeMap<&'static str, f64>,
        reads: Vec<String>,
        buzzwords: Vec<&'static str>,
    }

    impl DeviceView for Fake {
        fn vars(&self) -> &BTreeMap<String, String> {
            &self.vars
        }
        fn status(&self, _: StatusBit) -> bool {
            false
        }
        fn value_at(&mut self, path: &str) -> Option<f64> {
            self.reads.push(path.to_string());
            self.values.get(path).copied()
        }
        fn string_at(&mut self, path: &str) -> Option<String> {
            self.reads.push(path.to_string());
            self.strings.get(path).map(|s| s.to_string())
        }
        fn feature_report(&mut self, _: u8) -> Option<Vec<u8>> {
            None
        }
        fn setvar(&mut self, _: &str, _: &str) -> bool {
            false
        }
        fn publish(&mut self, var: &str, value: &str) {
            self.vars.insert(var.into(), value.into());
        }
        fn buzzword(&mut self, word: &'static str) {
            self.buzzwords.push(word);
        }
        fn delay(&self, _: Delay) -> String {
            String::new()
        }
        fn utc_offset(&self) -> i64 {
            0
        }
    }

    fn names(
        sub: &Subdriver,
        dev: &mut Fake,
        vendor: Option<&str>,
        product: Option<&str>,
        serial: Option<&str>,
    ) -> Names {
        let mut id = Identity { vendor_id: 0x0463, product_id: 0xffff, vendor, product, serial, device: dev };
        match sub.identity {
            Some(rules) => rules(&mut id),
            None => default_names(&id, sub.mfr),
        }
    }

    #[test]
    fn default_rules_and_the_empty_fallback() {
        let mut dev = Fake::default();
        let n = names(&cps::SUBDRIVER, &mut dev, None, Some("CP1500"), Some("X1 "));
        assert_eq!(
            (n.mfr.as_deref(), n.model.as_deref(), n.serial.as_deref()),
            (Some("CPS"), Some("CP1500"), Some("X1 "))
        );
        // NUT's tripplite_format_mfr has no fallback.
        let n = names(&tripplite::SUBDRIVER, &mut dev, None, None, None);
        assert_eq!(n, Names::default());
    }

    #[test]
    fn belkin_serial_from_the_hid_string_only_without_a_usb_serial() {
        let mut dev = Fake::default();
        dev.strings.insert("UPS.PowerSummary.iSerialNumber", "BK123");
        let n = names(&belkin::SUBDRIVER, &mut dev, Some("  Belkin "), Some(""), None);
        assert_eq!(n.mfr.as_deref(), Some("Belkin "), "leading spaces only");
        assert_eq!(n.model.as_deref(), Some("unknown"));
        assert_eq!(n.serial.as_deref(), Some("BK123"));
        let n = names(&belkin::SUBDRIVER, &mut dev, None, None, Some("USB9"));
        assert_eq!((n.mfr.as_deref(), n.serial.as_deref()), (Some("Belkin"), Some("USB9")));
        dev.strings.insert("UPS.PowerSummary.iSerialNumber", "");
        assert_eq!(names(&belkin::SUBDRIVER, &mut dev, None, None, None).serial, None);
    }

    #[test]
    fn delta_model_name_replaces_the_product_string() {
        let mut dev = Fake::default();
        assert_eq!(names(&delta::SUBDRIVER, &mut dev, None, Some("UPS"), None).model.as_deref(), Some("UPS"));
        assert_eq!(dev.reads, [delta::MODEL_PATH]);
        dev.strings.insert(delta::MODEL_PATH, "RT-1K");
        let n = names(&delta::SUBDRIVER, &mut dev, None, Some("UPS"), None);
        assert_eq!((n.mfr.as_deref(), n.model.as_deref()), (Some("Delta"), Some("RT-1K")));
    }

    #[test]
    fn mge_model_from_imodel_else_the_rated_power() {
        let mut dev = Fake::default();
        dev.strings.insert("UPS.PowerSummary.iModel", "1200 ");
        let n = names(&mge::SUBDRIVER, &mut dev, None, Some("Ellipse PRO"), None);
        assert_eq!((n.mfr.as_deref(), n.model.as_deref()), (Some("Eaton"), Some("Eaton 5S1200")));
        assert_eq!(n.family, Some(mge::ModelType::EATON_5P.0));
        assert!(!dev.reads.iter().any(|p| p.contains("ConfigApparentPower")), "iModel is enough");
        let mut dev = Fake::default();
        dev.values.insert("UPS.Flow.[4].ConfigApparentPower", 650.0);
        let n = names(&mge::SUBDRIVER, &mut dev, Some("EATON"), None, None);
        assert_eq!((n.model.as_deref(), n.family), (Some("unknown 650"), Some(mge::ModelType::DEFAULT.0)));
        let n = names(&mge::SUBDRIVER, &mut dev, Some("EATON"), Some("Protection Station"), None);
        assert_eq!(
            (n.model.as_deref(), n.family),
            (Some("Protection Station 650"), Some(mge::ModelType::PEGASUS.0))
        );
        let mut none = Fake::default();
        assert_eq!(names(&mge::SUBDRIVER, &mut none, None, None, None).model, None);
    }

    #[test]
    fn apc_firmware_from_the_product_string() {
        let mut dev = Fake::default();
        let n = names(&apc::SUBDRIVER, &mut dev, None, Some("Back-UPS 500 FW: 6.5.I USB FW: c1 "), None);
        assert_eq!((n.mfr.as_deref(), n.model.as_deref()), (Some("APC"), Some("Back-UPS 500")));
        assert_eq!(
            n.extra,
            [("ups.firmware.aux", " c1 ".to_string()), ("ups.firmware", " 6.5.I".to_string())]
        );
    }

    #[test]
    fn belkin_state_carries_the_liebert_factors() {
        let mut dev = Fake::default();
        let mut st = (belkin::SUBDRIVER.state.expect("state"))();
        let line = belkin::LIEBERT_LINE_VOLTAGE_INFO;
        assert_eq!(st.convert(&line, 0.001213, &mut dev), Some(Some("121.3".into())));
        // 0.5 matches no pattern: NUT keeps the factor it picked before.
        assert_eq!(st.convert(&line, 0.5, &mut dev), Some(Some("50000.0".into())));
        assert_eq!((line.fun)(0.5).as_deref(), Some("0.5"), "the stateless function starts afresh");
        assert_eq!(st.convert(&belkin::BELKIN_FIRMWARE_CONVERSION, 82.0, &mut dev), None, "not the state's");
    }

    #[test]
    fn status_names_round_trip() {
        for name in ["online", "OFFLINE", "chrg", "dischrg", "bypassauto", "commfault", "frange"] {
            let bit = StatusBit::from_nut_name(name).unwrap_or_else(|| panic!("{name}"));
            assert!(bit.nut_name().eq_ignore_ascii_case(name));
        }
        assert_eq!(StatusBit::from_nut_name("emergencystop"), None, "an alarm, not a status bit");
        assert_eq!(StatusBit::from_nut_name("dummy"), None);
    }

    /// NUT's side effects of MGE's ECO and bypass reports (mge-hid.c
    /// eaton_input_eco_mode_check_range, eaton_input_bypass_check_range): the mode buzzword,
    /// and `input.bypass.switch.off` shown "off" when the bypass input is out of limits.
    #[test]
    fn mge_eco_and_bypass_reports_have_nut_s_side_effects() {
        let mut state = (mge::SUBDRIVER.state.expect("mge keeps state"))();
        let mut dev = Fake::default();
        for (k, v) in [
            ("input.bypass.voltage", "230.0"),
            ("input.bypass.frequency", "50.0"),
            ("output.voltage.nominal", "230"),
            ("output.frequency.nominal", "50"),
        ] {
            dev.vars.insert(k.into(), v.into());
        }
        let eco = state.convert(&mge::EATON_INPUT_ECO_MODE_ON_OFF, 1.0, &mut dev);
        assert_eq!(eco, Some(Some("ECO".into())));
        assert_eq!(dev.buzzwords, ["vendor:mge-hid:ECO"]);
        let ess = state.convert(&mge::EATON_INPUT_ECO_MODE_ON_OFF, 2.0, &mut dev);
        assert_eq!(ess, Some(Some("ESS".into())));
        assert_eq!(dev.buzzwords, ["vendor:mge-hid:ECO", "vendor:mge-hid:ESS"]);
        dev.vars.insert("input.bypass.voltage".into(), "265.0".into());
        let on = state.convert(&mge::EATON_INPUT_BYPASS_MODE_ON, 1.0, &mut dev);
        assert_eq!(on, Some(None), "out of the transfer limits: not published");
        assert_eq!(dev.vars.get("input.bypass.switch.off").map(String::as_str), Some("off"));
    }
}
