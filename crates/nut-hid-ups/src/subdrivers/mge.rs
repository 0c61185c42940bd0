//! MGE / Eaton (0463, and the Dell, Powerware, HP, AEG, Phoenixtec, IBM and KSTAR ids NUT lets
//! it claim): NUT 2.8.5's `mge-hid` subdriver ("MGE HID 1.58") as data.
//!
//! [`VARS`] and [`CMDS`] are NUT's `mge_hid2nut` table in NUT's order (variables, status bits,
//! alarms, then the instant commands; NUT's last entry, `input.eco.switchable`, ends
//! [`VARS`]). NUT's lookup tables are [`Conv::Lookup`] (value to text); its boolean tables
//! are [`Conv::Status`] / [`Conv::StatusIfZero`] for usbhid-ups.c's `<bit>_info` tables and
//! [`Conv::StatusMap`] for mge-hid's own (`"name"` sets a status bit, `"!name"` clears it); its
//! conversion functions are plain functions here.
//!
//! Several of NUT's functions read state the C driver keeps on the side: the model family that
//! `mge_format_model` found ([`ModelType`]), the country and the Advanced Battery Monitoring
//! mode that earlier table entries recorded ([`MgeState`]), variables already published
//! (`dstate_getinfo`) and the status bits collected so far. Each is written as a pure function
//! taking that state as arguments (`*_with` / [`MgeState`] methods). [`MgeState`] is the
//! subdriver's state ([`Subdriver::state`]): the engine hands it every conversion, with the
//! family from [`identity`]. The `fn(f64)` of each table entry is the same function with the
//! state NUT starts with ([`MgeState`]'s default), for callers without an engine.

use std::collections::BTreeMap;

use nut_hid::usage::MGE;

use super::flag::{ENUM, QUICK_POLL as QUICK, RW, SEMI_STATIC as SEMI, STATIC, STRING};
use super::nut_lookups::{BEEPER_INFO, ON_OFF_INFO, TEST_READ_INFO, YES_NO_INFO};
use super::StatusBit::{self, *};
use super::{
    absent, cmd, cmd_conv, conv, fun, num, rw, st, st0, stmap, CmdMap, Conv, ConvFn, DeviceView, Identity,
    Names, Subdriver, SubdriverState, VarMap,
};

use ModelType as T;

// ---------------------------------------------------------------------------------------------
// USB ids and claiming (NUT's mge_usb_device_table and mge_claim)
// ---------------------------------------------------------------------------------------------

/// Eaton (previously MGE Office Protection Systems, MGE UPS SYSTEMS).
pub const MGE_VENDORID: u16 = 0x0463;
/// Dell.
pub const DELL_VENDORID: u16 = 0x047c;
/// Powerware.
pub const POWERWARE_VENDORID: u16 = 0x0592;
/// Hewlett Packard.
pub const HP_VENDORID: u16 = 0x03f0;
/// AEG.
pub const AEG_VENDORID: u16 = 0x2b2d;
/// Phoenixtec Power Co., Ltd (AEG PROTECT NAS here; otherwise liebert-hid's).
pub const PHOENIXTEC_VENDORID: u16 = 0x06da;
/// IBM.
pub const IBM_VENDORID: u16 = 0x04b3;
/// KSTAR, under the Berkeley Varitronics Systems id.
pub const KSTAR_VENDORID: u16 = 0x09d6;

// ---------------------------------------------------------------------------------------------
// Model names (NUT's mge_model_names, get_model_name, mge_format_*)
// ---------------------------------------------------------------------------------------------

/// NUT's `models_type_t`: the model family (high byte) and model (low byte). Offline models
/// are below [`ModelType::DEFAULT`]; conversions look at the family only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelType(pub u16);

impl ModelType {
    /// Offline models (Ellipse, Protection Center, 3S 450/550).
    pub const DEFAULT_OFFLINE: ModelType = ModelType(0);
    /// Protection Station, Ellipse ECO: eco control.
    pub const PEGASUS: ModelType = ModelType(0x100);
    /// 3S 700/750 (eco control outside Europe).
    pub const S3: ModelType = ModelType(0x110);
    /// Line-interactive and online models; what NUT assumes until a model is recognised.
    pub const DEFAULT: ModelType = ModelType(0x200);
    /// MGE Evolution series.
    pub const EVOLUTION: ModelType = ModelType(0x300);
    /// Evolution 650.
    pub const EVOLUTION_650: ModelType = ModelType(0x301);
    /// Evolution 850.
    pub const EVOLUTION_850: ModelType = ModelType(0x302);
    /// Evolution 1150.
    pub const EVOLUTION_1150: ModelType = ModelType(0x303);
    /// Evolution S 1250.
    pub const EVOLUTION_S_1250: ModelType = ModelType(0x304);
    /// Evolution 1550.
    pub const EVOLUTION_1550: ModelType = ModelType(0x305);
    /// Evolution S 1750.
    pub const EVOLUTION_S_1750: ModelType = ModelType(0x306);
    /// Evolution 2000.
    pub const EVOLUTION_2000: ModelType = ModelType(0x307);
    /// Evolution S 2500.
    pub const EVOLUTION_S_2500: ModelType = ModelType(0x308);
    /// Evolution S 3000.
    pub const EVOLUTION_S_3000: ModelType = ModelType(0x309);
    /// MGE Pulsar M series.
    pub const PULSAR_M: ModelType = ModelType(0x400);
    /// Pulsar M 2200.
    pub const PULSAR_M_2200: ModelType = ModelType(0x401);
    /// Pulsar M 3000.
    pub const PULSAR_M_3000: ModelType = ModelType(0x402);
    /// Pulsar M 3000 XL.
    pub const PULSAR_M_3000_XL: ModelType = ModelType(0x403);
    /// Eaton 5P / 5PX / 5SC (and 5S).
    pub const EATON_5P: ModelType = ModelType(0x500);
    /// Eaton 9E / 9SX / 9PX.
    pub const EATON_9E: ModelType = ModelType(0x900);

    /// The family, without the model byte (NUT's `mge_type & 0xFF00`).
    pub const fn family(self) -> u16 {
        self.0 & 0xff00
    }

    /// Below [`ModelType::DEFAULT`]: an offline model.
    pub const fn is_offline(self) -> bool {
        self.family() < ModelType::DEFAULT.0
    }
}

/// One row of NUT's `mge_model_names`: USB iProduct and the iModel string (or the rated VA when
/// the UPS has no iModel), the family, and the name to publish (`None`: "iProduct iModel").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelName {
    /// iProduct.
    pub product: &'static str,
    /// iModel.
    pub model: &'static str,
    /// The model family.
    pub kind: ModelType,
    /// The name NUT publishes instead of "iProduct iModel".
    pub name: Option<&'static str>,
}

const fn m(
    product: &'static str,
    model: &'static str,
    kind: ModelType,
    name: Option<&'static str>,
) -> ModelName {
    ModelName { product, model, kind, name }
}

/// NUT's `mge_model_names`, in its order (the first match wins).
pub const MODEL_NAMES: &[ModelName] = &[
    // Ellipse models.
    m("ELLIPSE", "300", T::DEFAULT_OFFLINE, Some("ellipse 300")),
    m("ELLIPSE", "500", T::DEFAULT_OFFLINE, Some("ellipse 500")),
    m("ELLIPSE", "650", T::DEFAULT_OFFLINE, Some("ellipse 650")),
    m("ELLIPSE", "800", T::DEFAULT_OFFLINE, Some("ellipse 800")),
    m("ELLIPSE", "1200", T::DEFAULT_OFFLINE, Some("ellipse 1200")),
    // Ellipse Premium models.
    m("ellipse", "PR500", T::DEFAULT_OFFLINE, Some("ellipse premium 500")),
    m("ellipse", "PR650", T::DEFAULT_OFFLINE, Some("ellipse premium 650")),
    m("ellipse", "PR800", T::DEFAULT_OFFLINE, Some("ellipse premium 800")),
    m("ellipse", "PR1200", T::DEFAULT_OFFLINE, Some("ellipse premium 1200")),
    // Ellipse "Pro".
    m("ELLIPSE", "600", T::DEFAULT_OFFLINE, Some("Ellipse 600")),
    m("ELLIPSE", "750", T::DEFAULT_OFFLINE, Some("Ellipse 750")),
    m("ELLIPSE", "1000", T::DEFAULT_OFFLINE, Some("Ellipse 1000")),
    m("ELLIPSE", "1500", T::DEFAULT_OFFLINE, Some("Ellipse 1500")),
    // Ellipse MAX.
    m("Ellipse MAX", "600", T::DEFAULT_OFFLINE, None),
    m("Ellipse MAX", "850", T::DEFAULT_OFFLINE, None),
    m("Ellipse MAX", "1100", T::DEFAULT_OFFLINE, None),
    m("Ellipse MAX", "1500", T::DEFAULT_OFFLINE, None),
    // Protection Center.
    m("PROTECTIONCENTER", "420", T::DEFAULT_OFFLINE, Some("Protection Center 420")),
    m("PROTECTIONCENTER", "500", T::DEFAULT_OFFLINE, Some("Protection Center 500")),
    m("PROTECTIONCENTER", "675", T::DEFAULT_OFFLINE, Some("Protection Center 675")),
    // Protection Station, supports Eco control.
    m("Protection Station", "500", T::PEGASUS, None),
    m("Protection Station", "650", T::PEGASUS, None),
    m("Protection Station", "800", T::PEGASUS, None),
    // Ellipse ECO, also supports Eco control.
    m("Ellipse ECO", "650", T::PEGASUS, None),
    m("Ellipse ECO", "800", T::PEGASUS, None),
    m("Ellipse ECO", "1200", T::PEGASUS, None),
    m("Ellipse ECO", "1600", T::PEGASUS, None),
    // 3S, eco control on some models (AUS 700 and US 750).
    m("3S", "450", T::DEFAULT_OFFLINE, None),
    m("3S", "550", T::DEFAULT_OFFLINE, None),
    m("3S", "700", T::S3, None),
    m("3S", "750", T::S3, None),
    // Evolution models.
    m("Evolution", "500", T::DEFAULT, Some("Pulsar Evolution 500")),
    m("Evolution", "800", T::DEFAULT, Some("Pulsar Evolution 800")),
    m("Evolution", "1100", T::DEFAULT, Some("Pulsar Evolution 1100")),
    m("Evolution", "1500", T::DEFAULT, Some("Pulsar Evolution 1500")),
    m("Evolution", "2200", T::DEFAULT, Some("Pulsar Evolution 2200")),
    m("Evolution", "3000", T::DEFAULT, Some("Pulsar Evolution 3000")),
    m("Evolution", "3000XL", T::DEFAULT, Some("Pulsar Evolution 3000 XL")),
    // Newer Evolution models.
    m("Evolution", "650", T::EVOLUTION_650, None),
    m("Evolution", "850", T::EVOLUTION_850, None),
    m("Evolution", "1150", T::EVOLUTION_1150, None),
    m("Evolution", "S 1250", T::EVOLUTION_S_1250, None),
    m("Evolution", "1550", T::EVOLUTION_1550, None),
    m("Evolution", "S 1750", T::EVOLUTION_S_1750, None),
    m("Evolution", "2000", T::EVOLUTION_2000, None),
    m("Evolution", "S 2500", T::EVOLUTION_S_2500, None),
    m("Evolution", "S 3000", T::EVOLUTION_S_3000, None),
    // Eaton 5P.
    m("Eaton 5P", "650", T::EATON_5P, Some("5P 650")),
    m("Eaton 5P", "850", T::EATON_5P, Some("5P 850")),
    m("Eaton 5P", "1150", T::EATON_5P, Some("5P 1150")),
    m("Eaton 5P", "1550", T::EATON_5P, Some("5P 1550")),
    // Eaton 5PX.
    m("Eaton 5PX", "1500", T::EATON_5P, None),
    m("Eaton 5PX", "2200", T::EATON_5P, None),
    m("Eaton 5PX", "3000", T::EATON_5P, None),
    // Eaton 5SC.
    m("Eaton 5SC", "500", T::EATON_5P, None),
    m("Eaton 5SC", "750", T::EATON_5P, None),
    m("Eaton 5SC", "1000", T::EATON_5P, None),
    m("Eaton 5SC", "1500", T::EATON_5P, None),
    m("Eaton 5SC", "2200", T::EATON_5P, None),
    m("Eaton 5SC", "3000", T::EATON_5P, None),
    // Eaton 5S, which call themselves "Ellipse PRO" (the trailing space is the device's).
    m("Ellipse PRO", "1200 ", T::EATON_5P, Some("Eaton 5S1200")),
    m("Ellipse PRO", "1500 ", T::EATON_5P, Some("Eaton 5S1500")),
    m("Ellipse PRO", "1600 ", T::EATON_5P, Some("Eaton 5S1600")),
    // Eaton 9E.
    m("Eaton 9E", "1000", T::EATON_9E, Some("9E1000")),
    m("Eaton 9E", "1000i", T::EATON_9E, Some("9E1000i")),
    m("Eaton 9E", "1000iau", T::EATON_9E, Some("9E1000iau")),
    m("Eaton 9E", "1000ir", T::EATON_9E, Some("9E1000ir")),
    m("Eaton 9E", "2000", T::EATON_9E, Some("9E2000")),
    m("Eaton 9E", "2000i", T::EATON_9E, Some("9E2000i")),
    m("Eaton 9E", "2000iau", T::EATON_9E, Some("9E2000iau")),
    m("Eaton 9E", "2000ir", T::EATON_9E, Some("9E2000ir")),
    m("Eaton 9E", "3000", T::EATON_9E, Some("9E3000")),
    m("Eaton 9E", "3000i", T::EATON_9E, Some("9E3000i")),
    m("Eaton 9E", "3000iau", T::EATON_9E, Some("9E3000iau")),
    m("Eaton 9E", "3000ir", T::EATON_9E, Some("9E3000ir")),
    m("Eaton 9E", "3000ixl", T::EATON_9E, Some("9E3000ixl")),
    m("Eaton 9E", "3000ixlau", T::EATON_9E, Some("9E3000ixlau")),
    // No iManufacturer/iProduct/iSerialNumber, but UPS.Flow.[4].ConfigApparentPower.
    m("unknown", "1000", T::EATON_9E, Some("9E1000i (presumed)")),
    m("unknown", "2000", T::EATON_9E, Some("9E2000i (presumed)")),
    m("unknown", "3000", T::EATON_9E, Some("9E3000i (presumed)")),
    // Eaton 9SX.
    m("Eaton 9SX", "700i", T::EATON_9E, Some("9SX700i")),
    m("Eaton 9SX", "1000i", T::EATON_9E, Some("9SX1000i")),
    m("Eaton 9SX", "1000im", T::EATON_9E, Some("9SX1000im")),
    m("Eaton 9SX", "1500i", T::EATON_9E, Some("9SX1500i")),
    m("Eaton 9SX", "2000i", T::EATON_9E, Some("9SX2000i")),
    m("Eaton 9SX", "3000i", T::EATON_9E, Some("9SX3000i")),
    m("Eaton 9SX", "3000im", T::EATON_9E, Some("9SX3000im")),
    m("Eaton 9SX", "1000ir", T::EATON_9E, Some("9SX1000ir")),
    m("Eaton 9SX", "1500ir", T::EATON_9E, Some("9SX1500ir")),
    m("Eaton 9SX", "2000ir", T::EATON_9E, Some("9SX2000ir")),
    m("Eaton 9SX", "3000ir", T::EATON_9E, Some("9SX3000ir")),
    // Eaton 9PX.
    m("Eaton 9PX", "1000irt2u", T::EATON_9E, Some("9px1000irt2u")),
    m("Eaton 9PX", "1500irt2u", T::EATON_9E, Some("9px1500irt2u")),
    m("Eaton 9PX", "1500irtm", T::EATON_9E, Some("9px1500irtm")),
    m("Eaton 9PX", "2200irt2u", T::EATON_9E, Some("9px2200irt2u")),
    m("Eaton 9PX", "2200irt3u", T::EATON_9E, Some("9px2200irt3u")),
    m("Eaton 9PX", "3000irt2u", T::EATON_9E, Some("9px3000irt2u")),
    m("Eaton 9PX", "3000irt3u", T::EATON_9E, Some("9px3000irt3u")),
    m("Eaton 9PX", "3000irtm", T::EATON_9E, Some("9px3000irtm")),
    // Pulsar M models, and their Eaton names.
    m("PULSAR M", "2200", T::PULSAR_M_2200, None),
    m("PULSAR M", "3000", T::PULSAR_M_3000, None),
    m("PULSAR M", "3000 XL", T::PULSAR_M_3000_XL, None),
    m("EX", "2200", T::PULSAR_M_2200, None),
    m("EX", "3000", T::PULSAR_M_3000, None),
    m("EX", "3000 XL", T::PULSAR_M_3000, None),
    // Pulsar MX models.
    m("PULSAR", "MX4000", T::DEFAULT, Some("Pulsar MX 4000 RT")),
    m("PULSAR", "MX5000", T::DEFAULT, Some("Pulsar MX 5000 RT")),
    // NOVA models.
    m("NOVA AVR", "500", T::DEFAULT, Some("Nova 500 AVR")),
    m("NOVA AVR", "600", T::DEFAULT, Some("Nova 600 AVR")),
    m("NOVA AVR", "625", T::DEFAULT, Some("Nova 625 AVR")),
    m("NOVA AVR", "1100", T::DEFAULT, Some("Nova 1100 AVR")),
    m("NOVA AVR", "1250", T::DEFAULT, Some("Nova 1250 AVR")),
    // EXtreme C (EMEA).
    m("EXtreme", "700C", T::DEFAULT, Some("Pulsar EXtreme 700C")),
    m("EXtreme", "1000C", T::DEFAULT, Some("Pulsar EXtreme 1000C")),
    m("EXtreme", "1500C", T::DEFAULT, Some("Pulsar EXtreme 1500C")),
    m("EXtreme", "1500CCLA", T::DEFAULT, Some("Pulsar EXtreme 1500C CLA")),
    m("EXtreme", "2200C", T::DEFAULT, Some("Pulsar EXtreme 2200C")),
    m("EXtreme", "3200C", T::DEFAULT, Some("Pulsar EXtreme 3200C")),
    // EXtreme C (USA, aka "EX RT").
    m("EX", "700RT", T::DEFAULT, Some("Pulsar EX 700 RT")),
    m("EX", "1000RT", T::DEFAULT, Some("Pulsar EX 1000 RT")),
    m("EX", "1500RT", T::DEFAULT, Some("Pulsar EX 1500 RT")),
    m("EX", "2200RT", T::DEFAULT, Some("Pulsar EX 2200 RT")),
    m("EX", "3200RT", T::DEFAULT, Some("Pulsar EX 3200 RT")),
    // Comet EX RT, three phased.
    m("EX", "5RT31", T::DEFAULT, Some("EX 5 RT 3:1")),
    m("EX", "7RT31", T::DEFAULT, Some("EX 7 RT 3:1")),
    m("EX", "11RT31", T::DEFAULT, Some("EX 11 RT 3:1")),
    // Comet EX RT, mono phased.
    m("EX", "5RT", T::DEFAULT, Some("EX 5 RT")),
    m("EX", "7RT", T::DEFAULT, Some("EX 7 RT")),
    m("EX", "11RT", T::DEFAULT, Some("EX 11 RT")),
    // Galaxy 3000.
    m("GALAXY", "3000_10", T::DEFAULT, Some("Galaxy 3000 10 kVA")),
    m("GALAXY", "3000_15", T::DEFAULT, Some("Galaxy 3000 15 kVA")),
    m("GALAXY", "3000_20", T::DEFAULT, Some("Galaxy 3000 20 kVA")),
    m("GALAXY", "3000_30", T::DEFAULT, Some("Galaxy 3000 30 kVA")),
];

/// NUT's `get_model_name`: the name to publish for iProduct + iModel, and the model family
/// (`None` when no row matches: NUT then keeps the family it had, [`ModelType::DEFAULT`]).
pub fn model_name(product: &str, model: &str) -> (String, Option<ModelType>) {
    match MODEL_NAMES.iter().find(|r| r.product == product && r.model == model) {
        Some(r) => (r.name.map_or_else(|| format!("{product} {model}"), str::to_string), Some(r.kind)),
        None => (format!("{product} {model}"), None),
    }
}

/// NUT's `mge_format_model`: `ups.model` from the USB product string, the string that
/// `UPS.PowerSummary.iModel` points at (as the device sent it, trailing spaces included) and,
/// when that is empty or missing, `UPS.Flow.[4].ConfigApparentPower`. Returns the model (`None`
/// when the device gives nothing to build one from) and the family it selects.
pub fn format_model(
    vendor_id: u16,
    product: Option<&str>,
    imodel: Option<&str>,
    config_apparent_power: Option<f64>,
) -> (Option<String>, ModelType) {
    // Dell has a fully formatted name in iProduct already.
    if vendor_id == DELL_VENDORID {
        return (product.map(str::to_string), ModelType::DEFAULT);
    }
    let model = match (imodel.filter(|s| !s.is_empty()), config_apparent_power) {
        (Some(s), _) => s.to_string(),
        // C's (int) cast: toward zero.
        (None, Some(va)) if va.is_finite() => format!("{}", va.trunc() as i64),
        _ => String::new(),
    };
    if model.is_empty() {
        return (product.map(str::to_string), ModelType::DEFAULT);
    }
    let (name, kind) = model_name(product.unwrap_or("unknown"), &model);
    (Some(name), kind.unwrap_or(ModelType::DEFAULT))
}

/// NUT's `mge_format_mfr`: the USB manufacturer string, else "Eaton".
pub fn format_mfr(vendor: Option<&str>) -> &str {
    vendor.unwrap_or("Eaton")
}

/// NUT's `mge_format_serial`: the USB serial number string as it is.
pub fn format_serial(serial: Option<&str>) -> Option<&str> {
    serial
}

// ---------------------------------------------------------------------------------------------
// Device state NUT's conversion functions share
// ---------------------------------------------------------------------------------------------

/// NUT's `country_code_t` values of `UPS.PowerSummary.Country`.
pub mod country {
    /// Not reported.
    pub const UNKNOWN: i64 = -1;
    /// Europe.
    pub const EUROPE: i64 = 0;
    /// US.
    pub const US: i64 = 1;
    /// European models that also support 200 / 208 V.
    pub const EUROPE_208: i64 = 2;
    /// Worldwide.
    pub const WORLDWIDE: i64 = 3;
    /// Australia.
    pub const AUSTRALIA: i64 = 4;
}

/// Advanced Battery Monitoring, as `UPS.BatterySystem.Charger.ABMEnable` last said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Abm {
    /// Not reported (or a value other than 0 and 1).
    #[default]
    Unknown,
    /// ABMEnable = 0.
    Disabled,
    /// ABMEnable = 1.
    Enabled,
}

/// Which of the two ABM charger paths the UPS uses (they number the charger states
/// differently); the first one seen while ABM is enabled is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AbmPath {
    /// Not decided.
    #[default]
    Unknown,
    /// `UPS.BatterySystem.Charger.Status` (9 series and others).
    Status,
    /// `UPS.BatterySystem.Charger.Mode`.
    Mode,
}

/// What the C subdriver keeps in file-level variables between table entries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MgeState {
    /// The family `mge_format_model` found.
    pub model: ModelType,
    /// `UPS.PowerSummary.Country` ([`country`]).
    pub country: i64,
    /// ABM mode.
    pub abm: Abm,
    /// ABM path.
    pub abm_path: AbmPath,
    /// The first `UPS.Flow.[4].ConfigVoltage` seen (`nominal_output_voltage_fun`'s latch).
    pub nominal_output_voltage: Option<f64>,
}

impl Default for MgeState {
    fn default() -> Self {
        MgeState {
            model: ModelType::DEFAULT,
            country: country::UNKNOWN,
            abm: Abm::Unknown,
            abm_path: AbmPath::Unknown,
            nominal_output_voltage: None,
        }
    }
}

fn is(v: f64, n: f64) -> bool {
    (v - n).abs() < f64::EPSILON
}

/// C's `(int)value`, for values that are small integers on the wire.
fn int(v: f64) -> i64 {
    v as i64
}

impl MgeState {
    /// `eaton_check_country_fun`: remember the country (publishes nothing).
    pub fn set_country(&mut self, v: f64) {
        self.country = int(v);
    }

    /// `eaton_abm_enabled_fun`: remember whether ABM is enabled (publishes nothing).
    pub fn set_abm_enabled(&mut self, v: f64) {
        self.abm = match int(v) {
            0 => Abm::Disabled,
            1 => Abm::Enabled,
            _ => Abm::Unknown,
        };
    }

    /// `eaton_abm_path_mode_fun` / `eaton_abm_path_status_fun`: the path seen while ABM is
    /// enabled becomes the ABM path if none was chosen yet; with ABM not enabled the choice is
    /// reset, so that another path can be chosen when ABM is enabled again.
    pub fn see_abm_path(&mut self, path: AbmPath) {
        if self.abm != Abm::Enabled {
            self.abm_path = AbmPath::Unknown;
        } else if self.abm_path == AbmPath::Unknown {
            self.abm_path = path;
        }
    }

    /// `eaton_abm_status_fun`: `battery.charger.status` (`None`: not published; with ABM not
    /// enabled NUT also removes a previously published value).
    pub fn abm_status(&self, v: f64) -> Option<&'static str> {
        if self.abm != Abm::Enabled {
            return None;
        }
        match (self.abm_path, int(v)) {
            (_, 1) => Some("charging"),
            (AbmPath::Status, 2) | (AbmPath::Mode | AbmPath::Unknown, 3) => Some("floating"),
            (AbmPath::Status, 3) | (AbmPath::Mode | AbmPath::Unknown, 4) => Some("resting"),
            (AbmPath::Status, 4) | (AbmPath::Mode | AbmPath::Unknown, 2) => Some("discharging"),
            (_, 6) => Some("off"),
            _ => None,
        }
    }

    /// `eaton_abm_chrg_dischrg_fun`: the status token an ABM charger state gives (`chrg` while
    /// charging or floating, `dischrg` while discharging); `None` with ABM not enabled.
    pub fn abm_chrg_dischrg(&self, v: f64) -> Option<&'static str> {
        if self.abm != Abm::Enabled {
            return None;
        }
        match (self.abm_path, int(v)) {
            (_, 1) | (AbmPath::Status, 2) | (AbmPath::Mode | AbmPath::Unknown, 3) => Some("chrg"),
            (AbmPath::Status, 4) | (AbmPath::Mode | AbmPath::Unknown, 2) => Some("dischrg"),
            _ => None,
        }
    }

    /// `eaton_abm_check_chrg_fun`: PresentStatus.Charging sets CHRG only without ABM; with
    /// ABM enabled it clears it (the ABM charger state sets it instead).
    pub fn abm_check_chrg(&self, v: f64) -> &'static str {
        if self.abm != Abm::Enabled && is(v, 1.0) {
            "chrg"
        } else {
            "!chrg"
        }
    }

    /// `eaton_abm_check_dischrg_fun`: the same for PresentStatus.Discharging.
    pub fn abm_check_dischrg(&self, v: f64) -> &'static str {
        if self.abm != Abm::Enabled && is(v, 1.0) {
            "dischrg"
        } else {
            "!dischrg"
        }
    }

    /// `nominal_output_voltage_fun` with its latch: the first value seen is the reference
    /// for every later one (see [`nominal_output_voltage_with`]).
    pub fn nominal_output_voltage(&mut self, v: f64) -> Option<String> {
        let first = *self.nominal_output_voltage.get_or_insert(v);
        nominal_output_voltage_with(self, first, v)
    }

    /// Whether the model has NUT's "Pegasus" eco controls: Protection Station and Ellipse
    /// ECO. NUT means the 3S 700/750 outside Europe too, but tests the family (`type &
    /// 0xFF00`) and the 3S's 0x110 is in the Pegasus family 0x100: every 3S 700/750 has them,
    /// whatever the country, and so here.
    pub fn pegasus(&self) -> bool {
        self.model.family() == ModelType::PEGASUS.family()
    }
}

// ---------------------------------------------------------------------------------------------
// NUT's conversion functions, pure
// ---------------------------------------------------------------------------------------------

/// `mge_battery_voltage_nominal_fun`: `UPS.PowerSummary.ConfigVoltage` is the battery's
/// nominal voltage only on some series (the Evolution 650 reports it wrong: 12 V); `None`
/// for others.
pub fn battery_voltage_nominal_with(model: ModelType, v: f64) -> Option<String> {
    let v = match model.family() {
        0x300 if model == ModelType::EVOLUTION_650 => 12.0,
        0x300 | 0x400 | 0x500 | 0x900 => v,
        _ => return None,
    };
    Some(format!("{v:.0}"))
}

/// `mge_battery_voltage_fun`: `UPS.PowerSummary.Voltage` is the battery voltage only on the
/// Evolution, Pulsar M, 5P and 9E families.
pub fn battery_voltage_with(model: ModelType, v: f64) -> Option<String> {
    matches!(model.family(), 0x300 | 0x400 | 0x500 | 0x900).then(|| format!("{v:.1}"))
}

/// `mge_powerfactor_conversion_fun`: percent to a factor.
pub fn powerfactor(v: f64) -> Option<String> {
    Some(format!("{:.2}", v / 100.0))
}

/// `mge_battery_capacity_fun`: ampere-seconds to ampere-hours.
pub fn battery_capacity(v: f64) -> Option<String> {
    Some(format!("{:.2}", v / 3600.0))
}

/// `eaton_check_pegasus_fun` (`outlet.power` on the master outlet: the consumption threshold,
/// 10, 25 or 60 VA, below which the slave outlets are switched off).
pub fn pegasus_threshold_with(state: &MgeState, v: f64) -> Option<String> {
    state.pegasus().then(|| format!("{v:.0}"))
}

/// `pegasus_yes_no_info_fun`.
pub fn pegasus_yes_no_with(state: &MgeState, v: f64) -> Option<String> {
    state.pegasus().then(|| if is(v, 0.0) { "no" } else { "yes" }.to_string())
}

/// `pegasus_yes_no_info_nuf`: "yes..." is 1; anything else, and any value on a model without
/// the control, is 0 (NUT writes 0 rather than refusing).
pub fn pegasus_yes_no_back_with(state: &MgeState, s: &str) -> f64 {
    if state.pegasus() && s.starts_with("yes") {
        1.0
    } else {
        0.0
    }
}

/// `nominal_output_voltage_fun`: which nominal output voltages the UPS can be set to, given
/// the one it had when the driver started (`first`): low-voltage models keep to 100-127 V,
/// high-voltage ones to 200-240 V, and offline models to their own half of that (European
/// "208" models take both). `None`: not a possible setting.
pub fn nominal_output_voltage_with(state: &MgeState, first: f64, v: f64) -> Option<String> {
    let online = !state.model.is_offline();
    let ok = match int(first) {
        100 | 110 | 120 | 127 => matches!(int(v), 100 | 110 | 120 | 127),
        200 | 208 => match int(v) {
            200 | 208 => true,
            220 | 230 | 240 => online,
            _ => false,
        },
        220 | 230 | 240 => match int(v) {
            200 | 208 => online,
            220 | 230 | 240 => true,
            _ => false,
        },
        // NUT cannot tell which voltages are settable: it publishes the value as is.
        _ => true,
    };
    ok.then(|| format!("{v:.0}"))
}

/// `eaton_converter_online_fun`: `UPS.PowerConverter.Input.[1].PresentStatus.Used` says
/// online or not, but only while the UPS is not off (the OFF bit, from PresentStatus.Good,
/// comes earlier in the table).
pub fn converter_online_with(off: bool, v: f64) -> Option<&'static str> {
    (!off).then_some(if is(v, 0.0) { "!online" } else { "online" })
}

/// C's `atoi`: the leading integer of `s`, 0 when there is none.
fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    let n = digits[..end].parse::<i64>().unwrap_or(0);
    if neg {
        -n
    } else {
        n
    }
}

/// C's `atof` for the decimal numbers NUT publishes: the longest leading number, else 0.
fn atof(s: &str) -> f64 {
    let s = s.trim_start();
    (1..=s.len())
        .rev()
        .filter(|&i| s.is_char_boundary(i))
        .find_map(|i| s[..i].parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// `eaton_compute_realpower_fun`: without `UPS.PowerConverter.Output.ActivePower`,
/// `ups.realpower` is estimated as load × nominal apparent power × power factor (0.80 when
/// `output.powerfactor` is not published); `None` without `ups.load` or `ups.power.nominal`.
pub fn compute_realpower_with(vars: &BTreeMap<String, String>) -> Option<String> {
    let load = atoi(vars.get("ups.load")?);
    let nominal = atoi(vars.get("ups.power.nominal")?);
    // NUT keeps the factor in a C float.
    let pf = vars.get("output.powerfactor").map_or(0.80_f32, |s| atof(s) as f32);
    let realpower = (load as f64 * 0.01 * nominal as f64 * f64::from(pf)).round();
    Some(format!("{realpower:.0}"))
}

fn var(vars: &BTreeMap<String, String>, name: &str) -> Option<f64> {
    vars.get(name).map(|s| s.trim().parse::<f64>().unwrap_or(0.0))
}

/// The readings that decide whether the bypass (or ECO mode) input is usable: input.bypass.*
/// against the transfer limits, or NUT's defaults around the nominal output when the limits
/// are not published (`volt`: the default band below and above nominal, `freq`: the default
/// frequency band in percent).
fn bypass_in_range(
    vars: &BTreeMap<String, String>,
    low: &str,
    high: &str,
    range: &str,
    volt: (f64, f64),
    freq: f64,
) -> Option<bool> {
    let voltage = var(vars, "input.bypass.voltage")?;
    let frequency = var(vars, "input.bypass.frequency")?;
    let nominal_v = var(vars, "output.voltage.nominal")?;
    let nominal_f = var(vars, "output.frequency.nominal")?;
    let (low, high) = (var(vars, low).unwrap_or(0.0), var(vars, high).unwrap_or(0.0));
    let range = var(vars, range).unwrap_or(0.0);
    let pct = if range > 0.0 { range } else { freq };
    let (flo, fhi) = (nominal_f - nominal_f / 100.0 * pct, nominal_f + nominal_f / 100.0 * pct);
    let (vlo, vhi) =
        if low > 0.0 && high > 0.0 { (low, high) } else { (nominal_v * volt.0, nominal_v * volt.1) };
    Some((vlo..=vhi).contains(&voltage) && (flo..=fhi).contains(&frequency))
}

/// What `input.eco.switchable` shows and the mode buzzword it records
/// (`experimental.ups.mode.buzzwords`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcoReport {
    /// The value of `input.eco.switchable` (`None`: unchanged).
    pub value: Option<&'static str>,
    /// The buzzword NUT adds (`vendor:mge-hid:ECO` ...).
    pub buzzword: Option<&'static str>,
}

/// `eaton_input_buzzwordmode_report` (with `eaton_input_eco_mode_check_range` and
/// `eaton_input_ess_mode_report`): 0 is "normal", 2 "ESS", 1 "ECO" while the bypass input is
/// within the ECO transfer limits (or 95-105 % of nominal voltage and ±5 % of nominal
/// frequency when the limits are not published), else "normal" (NUT sets it directly).
pub fn eco_mode_report_with(vars: &BTreeMap<String, String>, v: f64) -> EcoReport {
    match v as i64 {
        0 => EcoReport { value: Some("normal"), buzzword: None },
        1 => match bypass_in_range(
            vars,
            "input.transfer.eco.low",
            "input.transfer.eco.high",
            "input.transfer.frequency.eco.range",
            (0.95, 1.05),
            5.0,
        ) {
            Some(true) => EcoReport { value: Some("ECO"), buzzword: Some("vendor:mge-hid:ECO") },
            Some(false) => EcoReport { value: Some("normal"), buzzword: Some("vendor:mge-hid:normal") },
            None => EcoReport { value: Some("normal"), buzzword: None },
        },
        2 => EcoReport { value: Some("ESS"), buzzword: Some("vendor:mge-hid:ESS") },
        _ => EcoReport { value: None, buzzword: None },
    }
}

/// `eaton_input_buzzwordmode_setvar_nuf`: the value for `input.eco.switchable`.
pub fn eco_mode_back(s: &str) -> Option<f64> {
    match s {
        "normal" | "vendor:mge-hid:normal" => Some(0.0),
        "ECO" | "vendor:mge-hid:ECO" => Some(1.0),
        "ESS" | "vendor:mge-hid:ESS" => Some(2.0),
        _ => None,
    }
}

/// What `input.bypass.switch.on` shows, and what `input.bypass.switch.off` is set to by the
/// way (NUT sets it to "off" when the bypass is not usable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BypassReport {
    /// `input.bypass.switch.on` (`None`: not published).
    pub value: Option<&'static str>,
    /// `input.bypass.switch.off`, when NUT sets it.
    pub switch_off: Option<&'static str>,
}

/// `eaton_input_bypass_check_range`: 0 is "disabled"; 1 is "on" while the bypass input is
/// within the bypass transfer limits (or 80-115 % of nominal voltage and ±10 % of nominal
/// frequency when they are not published), else nothing, and the switch-off control shows "off".
pub fn bypass_switch_on_with(vars: &BTreeMap<String, String>, v: f64) -> BypassReport {
    if is(v, 0.0) {
        return BypassReport { value: Some("disabled"), switch_off: None };
    }
    if !is(v, 1.0) {
        return BypassReport { value: None, switch_off: None };
    }
    match bypass_in_range(
        vars,
        "input.transfer.bypass.low",
        "input.transfer.bypass.high",
        "input.transfer.frequency.bypass.range",
        (0.8, 1.15),
        10.0,
    ) {
        Some(true) => BypassReport { value: Some("on"), switch_off: None },
        _ => BypassReport { value: None, switch_off: Some("off") },
    }
}

/// What `experimental.bypass.ecomode.start` / `.stop` do (NUT's
/// `eaton_input_eco_mode_auto_on_off_nuf`): the variables to set first, then the value to
/// write to `UPS.PowerConverter.Input.[5].Switchable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcoAutoPlan {
    /// SET VARs done before the write, in order.
    pub setvars: Vec<(&'static str, &'static str)>,
    /// The value written.
    pub value: i64,
}

/// `eaton_input_eco_mode_auto_on_off_nuf`: starting (`"1"`) needs the automatic bypass
/// switch-on control "disabled" and ECO mode "normal", and writes 1 (else 0); stopping needs
/// the switch-off control "disabled" (then switches the bypass off) and ECO mode "ECO" (then
/// sets it "normal"), and writes 0 (else 1).
pub fn eco_auto_with(vars: &BTreeMap<String, String>, arg: &str) -> EcoAutoPlan {
    let get = |k: &str| vars.get(k).map(String::as_str);
    let mut setvars = Vec::new();
    if arg == "1" {
        let ok = get("input.bypass.switch.on") == Some("disabled")
            && get("input.eco.switchable") == Some("normal");
        return EcoAutoPlan { setvars, value: i64::from(ok) };
    }
    if get("input.bypass.switch.off") != Some("disabled") {
        return EcoAutoPlan { setvars, value: 1 };
    }
    setvars.push(("input.bypass.switch.off", "off"));
    if get("input.eco.switchable") != Some("ECO") {
        return EcoAutoPlan { setvars, value: 1 };
    }
    setvars.push(("input.eco.switchable", "normal"));
    EcoAutoPlan { setvars, value: 0 }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (months and days may overflow, as
/// `mktime` allows).
fn days_from_civil(y: i64, mo: i64, d: i64) -> i64 {
    let (y, mo) = (y + (mo - 1).div_euclid(12), (mo - 1).rem_euclid(12) + 1);
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(mo <= 2), mo, d)
}

/// Unix time (C's `time_t` from the double, toward zero) in a zone `utc_offset` seconds ahead
/// of UTC: (year, month, day, hour, minute, second).
fn broken_down(unix: f64, utc_offset: i64) -> Option<(i64, i64, i64, i64, i64, i64)> {
    if !unix.is_finite() || unix.abs() > 1e15 {
        return None;
    }
    let t = unix.trunc() as i64 + utc_offset;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, mo, d) = civil_from_days(days);
    Some((y, mo, d, secs / 3600, secs / 60 % 60, secs % 60))
}

/// `mge_date_conversion_fun`: `UPS.PowerSummary.Time` (Unix time) as `YYYY/MM/DD` in the
/// zone `utc_offset` seconds ahead of UTC (NUT: local time); `None` when not 10 characters.
pub fn date_with(unix: f64, utc_offset: i64) -> Option<String> {
    let (y, mo, d, ..) = broken_down(unix, utc_offset)?;
    let s = format!("{y}/{mo:02}/{d:02}");
    (s.len() == 10).then_some(s)
}

/// `mge_time_conversion_fun`: the same time as `HH:MM:SS`.
pub fn time_with(unix: f64, utc_offset: i64) -> Option<String> {
    let (.., h, mi, s) = broken_down(unix, utc_offset)?;
    Some(format!("{h:02}:{mi:02}:{s:02}"))
}

/// Parse `strptime`'s `%Y/%m/%d %H:%M:%S`.
fn parse_date_time(s: &str) -> Option<[i64; 6]> {
    let (date, time) = s.trim().split_once(' ')?;
    let num = |p: &str, max_len: usize| {
        let p = p.trim_start();
        (!p.is_empty() && p.len() <= max_len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<i64>().ok())?
    };
    let d: Vec<&str> = date.split('/').collect();
    let t: Vec<&str> = time.trim().split(':').collect();
    let ([y, mo, da], [h, mi, se]) = (d.as_slice(), t.as_slice()) else { return None };
    let v = [num(y, 4)?, num(mo, 2)?, num(da, 2)?, num(h, 2)?, num(mi, 2)?, num(se, 2)?];
    let ok = (1..=12).contains(&v[1]) && (1..=31).contains(&v[2]) && v[3] <= 23 && v[4] <= 59 && v[5] <= 61;
    ok.then_some(v)
}

/// `mge_date_conversion_nuf` / `mge_time_conversion_nuf`: `YYYY/MM/DD` and `HH:MM:SS` (the
/// one given and the other as published) back to Unix time, read in the zone `utc_offset`
/// seconds ahead of UTC (NUT: `mktime`, local time). `None` when it does not parse (NUT then
/// writes 0).
pub fn date_time_back_with(date: &str, time: &str, utc_offset: i64) -> Option<f64> {
    let [y, mo, d, h, mi, s] = parse_date_time(&format!("{date} {time}"))?;
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - utc_offset) as f64)
}

// ---------------------------------------------------------------------------------------------
// All of NUT's conversions with the state, for an engine that keeps it
// ---------------------------------------------------------------------------------------------

/// What NUT's conversion functions read besides the value: the variables published so far
/// in this update (`dstate_getinfo`), whether the OFF status bit is set (`ups_status_get`),
/// and the local time zone (`localtime`/`mktime`) as seconds ahead of UTC.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Variables published so far.
    pub vars: &'a BTreeMap<String, String>,
    /// The OFF status bit.
    pub off: bool,
    /// The local time zone's offset from UTC, in seconds.
    pub utc_offset: i64,
}

impl MgeState {
    /// NUT's conversion `f` (one of this table's [`ConvFn`]s, found by name) of the HID value
    /// `v`, with this state, which it updates as NUT's functions update theirs: the text to
    /// publish, or for status entries the status token (`chrg`, `!online` ...); `None`:
    /// nothing. NUT's other side effects (the buzzwords of [`eco_mode_report_with`], the
    /// `input.bypass.switch.off` value of [`bypass_switch_on_with`]) are applied by the
    /// engine-facing [`SubdriverState`] implementation below, which sees the device.
    pub fn convert(&mut self, f: &ConvFn, v: f64, ctx: &Context<'_>) -> Option<String> {
        let text = |s: Option<&str>| s.map(str::to_string);
        match f.name {
            "eaton_check_country_info" => {
                self.set_country(v);
                None
            }
            "eaton_abm_enabled_info" => {
                self.set_abm_enabled(v);
                None
            }
            "eaton_abm_path_mode_info" => {
                self.see_abm_path(AbmPath::Mode);
                None
            }
            "eaton_abm_path_status_info" => {
                self.see_abm_path(AbmPath::Status);
                None
            }
            "eaton_abm_status_info" => text(self.abm_status(v)),
            "eaton_abm_chrg_dischrg_info" => text(self.abm_chrg_dischrg(v)),
            "eaton_discharging_info" => text(Some(self.abm_check_dischrg(v))),
            "eaton_charging_info" => text(Some(self.abm_check_chrg(v))),
            "mge_date_conversion" => date_with(v, ctx.utc_offset),
            "mge_time_conversion" => time_with(v, ctx.utc_offset),
            "mge_battery_voltage_nominal" => battery_voltage_nominal_with(self.model, v),
            "mge_battery_voltage" => battery_voltage_with(self.model, v),
            "pegasus_threshold_info" => pegasus_threshold_with(self, v),
            "pegasus_yes_no_info" => pegasus_yes_no_with(self, v),
            "eaton_input_eco_mode_on_off_info" => text(eco_mode_report_with(ctx.vars, v).value),
            "eaton_input_bypass_mode_on_info" => text(bypass_switch_on_with(ctx.vars, v).value),
            "eaton_compute_realpower_info" => compute_realpower_with(ctx.vars),
            "nominal_output_voltage_info" => self.nominal_output_voltage(v),
            "eaton_converter_online_info" => text(converter_online_with(ctx.off, v)),
            _ => (f.fun)(v),
        }
    }

    /// NUT's way back for SET VAR and commands through `f`: the HID value for the text `s`
    /// (`None`: refused). For `experimental.bypass.ecomode.*` this is only the value written;
    /// [`eco_auto_with`] also lists the SET VARs NUT does first.
    pub fn convert_back(&self, f: &ConvFn, s: &str, ctx: &Context<'_>) -> Option<f64> {
        let var = |k: &str| ctx.vars.get(k).map(String::as_str).unwrap_or("");
        match f.name {
            "mge_date_conversion" => date_time_back_with(s, var("ups.time"), ctx.utc_offset),
            "mge_time_conversion" => date_time_back_with(var("ups.date"), s, ctx.utc_offset),
            "pegasus_yes_no_info" => Some(pegasus_yes_no_back_with(self, s)),
            "eaton_input_eco_mode_auto_on_off_info" => Some(eco_auto_with(ctx.vars, s).value as f64),
            _ => f.nuf.and_then(|nuf| nuf(s)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Conversion functions as table entries (with NUT's initial state, see the module notes)
// ---------------------------------------------------------------------------------------------

fn no_value(_: f64) -> Option<String> {
    None
}

fn abm_status_fun(v: f64) -> Option<String> {
    MgeState::default().abm_status(v).map(str::to_string)
}

fn abm_chrg_dischrg_fun(v: f64) -> Option<String> {
    MgeState::default().abm_chrg_dischrg(v).map(str::to_string)
}

fn abm_check_chrg_fun(v: f64) -> Option<String> {
    Some(MgeState::default().abm_check_chrg(v).to_string())
}

fn abm_check_dischrg_fun(v: f64) -> Option<String> {
    Some(MgeState::default().abm_check_dischrg(v).to_string())
}

fn battery_voltage_nominal_fun(v: f64) -> Option<String> {
    battery_voltage_nominal_with(MgeState::default().model, v)
}

fn battery_voltage_fun(v: f64) -> Option<String> {
    battery_voltage_with(MgeState::default().model, v)
}

fn pegasus_threshold_fun(v: f64) -> Option<String> {
    pegasus_threshold_with(&MgeState::default(), v)
}

fn pegasus_threshold_nuf(s: &str) -> Option<f64> {
    rows_back(PEGASUS_THRESHOLD_ROWS, s)
}

fn pegasus_yes_no_fun(v: f64) -> Option<String> {
    pegasus_yes_no_with(&MgeState::default(), v)
}

fn pegasus_yes_no_nuf(s: &str) -> Option<f64> {
    Some(pegasus_yes_no_back_with(&MgeState::default(), s))
}

fn nominal_output_voltage_fun(v: f64) -> Option<String> {
    // Without the latch of the first value, each value is its own reference: the same result
    // as NUT's as long as the setting does not change while the driver runs.
    nominal_output_voltage_with(&MgeState::default(), v, v)
}

fn nominal_output_voltage_nuf(s: &str) -> Option<f64> {
    rows_back(NOMINAL_OUTPUT_VOLTAGE_ROWS, s)
}

fn converter_online_fun(v: f64) -> Option<String> {
    converter_online_with(false, v).map(str::to_string)
}

fn compute_realpower_fun(_: f64) -> Option<String> {
    compute_realpower_with(&BTreeMap::new())
}

fn eco_mode_fun(v: f64) -> Option<String> {
    eco_mode_report_with(&BTreeMap::new(), v).value.map(str::to_string)
}

fn bypass_switch_on_fun(v: f64) -> Option<String> {
    bypass_switch_on_with(&BTreeMap::new(), v).value.map(str::to_string)
}

fn bypass_switch_on_nuf(s: &str) -> Option<f64> {
    rows_back(BYPASS_SWITCH_ON_ROWS, s)
}

fn eco_auto_nuf(s: &str) -> Option<f64> {
    Some(eco_auto_with(&BTreeMap::new(), s).value as f64)
}

fn date_fun(v: f64) -> Option<String> {
    date_with(v, 0)
}

fn time_fun(v: f64) -> Option<String> {
    time_with(v, 0)
}

fn date_nuf(_: &str) -> Option<f64> {
    // Needs the published ups.time (NUT: dstate_getinfo); without it NUT's strptime fails.
    None
}

fn time_nuf(_: &str) -> Option<f64> {
    None
}

/// NUT's way back for a lookup table with a conversion function but no `nuf`: the row with
/// this text.
fn rows_back(rows: &[(i64, &str)], s: &str) -> Option<f64> {
    rows.iter().find(|(_, t)| *t == s).map(|&(v, _)| v as f64)
}

const fn f(name: &'static str, fun: fn(f64) -> Option<String>) -> ConvFn {
    ConvFn { name, fun, nuf: None, rows: &[] }
}

const fn fb(name: &'static str, fun: fn(f64) -> Option<String>, nuf: fn(&str) -> Option<f64>) -> ConvFn {
    ConvFn { name, fun, nuf: Some(nuf), rows: &[] }
}

/// `eaton_check_country_info` (records the country, publishes nothing).
pub const EATON_CHECK_COUNTRY: ConvFn = f("eaton_check_country_info", no_value);
/// `eaton_abm_enabled_info` (records the ABM mode, publishes nothing).
pub const EATON_ABM_ENABLED: ConvFn = f("eaton_abm_enabled_info", no_value);
/// `eaton_abm_path_mode_info` (records the ABM path, publishes nothing).
pub const EATON_ABM_PATH_MODE: ConvFn = f("eaton_abm_path_mode_info", no_value);
/// `eaton_abm_path_status_info` (records the ABM path, publishes nothing).
pub const EATON_ABM_PATH_STATUS: ConvFn = f("eaton_abm_path_status_info", no_value);
/// `eaton_abm_status_info`.
pub const EATON_ABM_STATUS: ConvFn = f("eaton_abm_status_info", abm_status_fun);
/// `eaton_abm_chrg_dischrg_info` (a status token).
pub const EATON_ABM_CHRG_DISCHRG: ConvFn = f("eaton_abm_chrg_dischrg_info", abm_chrg_dischrg_fun);
/// `eaton_discharging_info` (a status token).
pub const EATON_DISCHARGING: ConvFn = f("eaton_discharging_info", abm_check_dischrg_fun);
/// `eaton_charging_info` (a status token).
pub const EATON_CHARGING: ConvFn = f("eaton_charging_info", abm_check_chrg_fun);
/// `mge_date_conversion`.
pub const MGE_DATE_CONVERSION: ConvFn = fb("mge_date_conversion", date_fun, date_nuf);
/// `mge_time_conversion`.
pub const MGE_TIME_CONVERSION: ConvFn = fb("mge_time_conversion", time_fun, time_nuf);
/// `mge_battery_voltage_nominal`.
pub const MGE_BATTERY_VOLTAGE_NOMINAL: ConvFn = f("mge_battery_voltage_nominal", battery_voltage_nominal_fun);
/// `mge_battery_voltage`.
pub const MGE_BATTERY_VOLTAGE: ConvFn = f("mge_battery_voltage", battery_voltage_fun);
/// `mge_powerfactor_conversion`.
pub const MGE_POWERFACTOR_CONVERSION: ConvFn = f("mge_powerfactor_conversion", powerfactor);
/// `mge_battery_capacity`.
pub const MGE_BATTERY_CAPACITY: ConvFn = f("mge_battery_capacity", battery_capacity);
/// `pegasus_threshold_info` (enumerated: [`PEGASUS_THRESHOLD_ROWS`]).
pub const PEGASUS_THRESHOLD: ConvFn =
    fb("pegasus_threshold_info", pegasus_threshold_fun, pegasus_threshold_nuf)
        .with_rows(PEGASUS_THRESHOLD_ROWS);
/// `pegasus_yes_no_info`.
pub const PEGASUS_YES_NO: ConvFn = fb("pegasus_yes_no_info", pegasus_yes_no_fun, pegasus_yes_no_nuf);
/// `eaton_input_eco_mode_on_off_info`.
pub const EATON_INPUT_ECO_MODE_ON_OFF: ConvFn =
    fb("eaton_input_eco_mode_on_off_info", eco_mode_fun, eco_mode_back);
/// `eaton_input_bypass_mode_on_info` (rows: [`BYPASS_SWITCH_ON_ROWS`]).
pub const EATON_INPUT_BYPASS_MODE_ON: ConvFn =
    fb("eaton_input_bypass_mode_on_info", bypass_switch_on_fun, bypass_switch_on_nuf);
/// `eaton_input_eco_mode_auto_on_off_info` (for the commands: the value to write).
pub const EATON_INPUT_ECO_MODE_AUTO_ON_OFF: ConvFn =
    fb("eaton_input_eco_mode_auto_on_off_info", no_value, eco_auto_nuf);
/// `eaton_compute_realpower_info`.
pub const EATON_COMPUTE_REALPOWER: ConvFn = f("eaton_compute_realpower_info", compute_realpower_fun);
/// `nominal_output_voltage_info` (enumerated: [`NOMINAL_OUTPUT_VOLTAGE_ROWS`]).
pub const NOMINAL_OUTPUT_VOLTAGE: ConvFn =
    fb("nominal_output_voltage_info", nominal_output_voltage_fun, nominal_output_voltage_nuf)
        .with_rows(NOMINAL_OUTPUT_VOLTAGE_ROWS);
/// `eaton_converter_online_info` (a status token).
pub const EATON_CONVERTER_ONLINE: ConvFn = f("eaton_converter_online_info", converter_online_fun);

/// The rows of `pegasus_threshold_info` (its enumerated values).
pub const PEGASUS_THRESHOLD_ROWS: &[(i64, &str)] = &[(10, "10"), (25, "25"), (60, "60")];
/// The rows of `nominal_output_voltage_info` (its enumerated values), in NUT's order.
pub const NOMINAL_OUTPUT_VOLTAGE_ROWS: &[(i64, &str)] = &[
    (200, "200"),
    (208, "208"),
    (220, "220"),
    (230, "230"),
    (240, "240"),
    (100, "100"),
    (110, "110"),
    (120, "120"),
    (127, "127"),
];
/// The rows of `eaton_input_bypass_mode_on_info`.
pub const BYPASS_SWITCH_ON_ROWS: &[(i64, &str)] = &[(0, "disabled"), (1, "on")];

// ---------------------------------------------------------------------------------------------
// Lookup tables
// ---------------------------------------------------------------------------------------------

/// `eaton_charger_type_info`.
pub const EATON_CHARGER_TYPE_INFO: &[(i64, &str)] = &[
    (0, "None"),
    (1, "Extended (CLA)"),
    (2, "Large extension"),
    (3, "Extra large extension (XL)"),
    (4, "ABM"),
    (5, "Constant Charge (CC)"),
];
/// `eaton_enable_disable_info`.
pub const EATON_ENABLE_DISABLE_INFO: &[(i64, &str)] = &[(0, "disabled"), (1, "enabled")];
/// `mge_upstype_conversion`.
pub const MGE_UPSTYPE_CONVERSION: &[(i64, &str)] = &[
    (1, "offline / line interactive"),
    (2, "online"),
    (3, "online - unitary/parallel"),
    (4, "online - parallel with hot standy"),
    (5, "online - hot standby redundancy"),
];
/// `mge_sensitivity_info`.
pub const MGE_SENSITIVITY_INFO: &[(i64, &str)] = &[(0, "normal"), (1, "high"), (2, "low")];
/// `mge_emergency_stop`.
pub const MGE_EMERGENCY_STOP: &[(i64, &str)] = &[(1, "Emergency stop!")];
/// `mge_wiring_fault`.
pub const MGE_WIRING_FAULT: &[(i64, &str)] = &[(1, "Wiring fault!")];
/// `mge_config_failure`.
pub const MGE_CONFIG_FAILURE: &[(i64, &str)] = &[(1, "Fatal EEPROM fault!")];
/// `mge_inverter_volthi`.
pub const MGE_INVERTER_VOLTHI: &[(i64, &str)] = &[(1, "Inverter AC voltage too high!")];
/// `mge_inverter_voltlo`.
pub const MGE_INVERTER_VOLTLO: &[(i64, &str)] = &[(1, "Inverter AC voltage too low!")];
/// `mge_short_circuit`.
pub const MGE_SHORT_CIRCUIT: &[(i64, &str)] = &[(1, "Output short circuit!")];
/// `outlet_eco_yes_no_info`.
pub const OUTLET_ECO_YES_NO_INFO: &[(i64, &str)] =
    &[(0, "The outlet is not ECO controlled"), (1, "The outlet is ECO controlled")];
/// `eaton_input_bypass_mode_off_info`.
pub const EATON_INPUT_BYPASS_MODE_OFF_INFO: &[(i64, &str)] = &[(0, "disabled"), (1, "off")];
/// `eaton_outlet_protection_status_info`.
pub const EATON_OUTLET_PROTECTION_STATUS_INFO: &[(i64, &str)] =
    &[(0, "not powered"), (1, "not protected"), (2, "protected")];

type BoolTable = &'static [(i64, &'static [(StatusBit, bool)])];

/// `mge_onbatt_info`: 1 is "!online", 0 "online" (which also clears "offline").
pub const MGE_ONBATT_INFO: BoolTable = &[(1, &[(Online, false)]), (0, &[(Online, true), (Offline, false)])];
/// `eaton_converter_online_info` while the UPS is not off (see [`converter_online_with`]).
pub const CONVERTER_ONLINE_INFO: BoolTable =
    &[(0, &[(Online, false)]), (1, &[(Online, true), (Offline, false)])];
/// `eco_mode_info`: 1 "ecomode", 2 "essmode"; 0 is "normal", which is no status bit (so it
/// clears nothing).
pub const ECO_MODE_INFO: BoolTable = &[(1, &[(EcoMode, true)]), (2, &[(EssMode, true)])];

// ---------------------------------------------------------------------------------------------
// The table (NUT's mge_hid2nut)
// ---------------------------------------------------------------------------------------------

/// A numeric variable with NUT's flags.
const fn n(var: &'static str, path: &'static str, fmt: &'static str, flags: u8) -> VarMap {
    num(var, path, fmt).with_flags(flags)
}

/// A writable numeric setting (`%.0f`) of at most `len` characters.
const fn set(var: &'static str, path: &'static str, len: u16, flags: u8) -> VarMap {
    rw(var, path, "%.0f").with_len(len).with_flags(flags)
}

/// A variable through a lookup table.
const fn lk(
    var: &'static str,
    path: &'static str,
    table: &'static [(i64, &'static str)],
    flags: u8,
) -> VarMap {
    conv(var, path, Conv::Lookup(table)).with_flags(flags)
}

/// A writable variable through a lookup table, of at most `len` characters.
const fn lkrw(
    var: &'static str,
    path: &'static str,
    len: u16,
    table: &'static [(i64, &'static str)],
    flags: u8,
) -> VarMap {
    lk(var, path, table, flags | RW | STRING).with_len(len)
}

/// A variable through a conversion function.
const fn fv(var: &'static str, path: &'static str, f: ConvFn, flags: u8) -> VarMap {
    fun(var, path, f).with_flags(flags)
}

/// A status entry (NUT's "BOOL").
const fn b(path: &'static str, table: BoolTable, flags: u8) -> VarMap {
    stmap(path, table).with_flags(flags)
}

/// A status entry whose conversion function returns the status token.
const fn bf(path: &'static str, f: ConvFn, flags: u8) -> VarMap {
    fun("", path, f).with_flags(flags)
}

/// A vendor `ups.alarm` text.
const fn alarm(path: &'static str, table: &'static [(i64, &'static str)]) -> VarMap {
    conv("ups.alarm", path, Conv::Lookup(table))
}

/// A string (USB string descriptor index) variable.
const fn sid(var: &'static str, path: &'static str, flags: u8) -> VarMap {
    conv(var, path, Conv::StringId).with_flags(flags)
}

/// NUT's `mge_hid2nut` variables, status bits and alarms, in NUT's order.
pub const VARS: &[VarMap] = &[
    // Device collection (the country is only recorded, for the conversions below).
    fv("device.country", "UPS.PowerSummary.Country", EATON_CHECK_COUNTRY, STATIC)
        .with_flags(STRING)
        .with_len(20),
    sid("device.usb.version", "UPS.System.USB.iVersion", STATIC | STRING).with_len(20),
    // Battery page.
    n("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f", 0),
    set("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimitSetting", 5, SEMI),
    n("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f", STATIC),
    set("battery.charge.restart", "UPS.PowerSummary.RestartLevel", 3, SEMI),
    fv("battery.capacity", "UPS.BatterySystem.Battery.DesignCapacity", MGE_BATTERY_CAPACITY, STATIC),
    n("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f", 0),
    set("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", 10, 0),
    n("battery.runtime.elapsed", "UPS.StatisticSystem.Input.[1].Statistic.[1].Time", "%.0f", QUICK),
    set("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", 10, 0),
    conv("battery.temperature", "UPS.BatterySystem.Battery.Temperature", Conv::KelvinToCelsius),
    sid("battery.type", "UPS.PowerSummary.iDeviceChemistry", STATIC),
    n("battery.voltage", "UPS.BatterySystem.Voltage", "%.1f", 0),
    fv("battery.voltage", "UPS.PowerSummary.Voltage", MGE_BATTERY_VOLTAGE, 0),
    n("battery.voltage.nominal", "UPS.BatterySystem.ConfigVoltage", "%.0f", STATIC),
    fv("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", MGE_BATTERY_VOLTAGE_NOMINAL, STATIC),
    lkrw("battery.protection", "UPS.BatterySystem.Battery.DeepDischargeProtection", 5, YES_NO_INFO, SEMI),
    lkrw("battery.energysave", "UPS.PowerConverter.Input.[3].EnergySaving", 5, YES_NO_INFO, SEMI),
    set("battery.energysave.load", "UPS.PowerConverter.Input.[3].ConfigPercentLoad", 5, SEMI),
    // Current implementation, then the newer one.
    set("battery.energysave.delay", "UPS.PowerConverter.Input.[3].EnergySaving.ShutdownTimer", 5, SEMI),
    set("battery.energysave.delay", "UPS.PowerConverter.Input.[3].ShutdownTimer", 5, SEMI),
    set("battery.energysave.realpower", "UPS.PowerConverter.Input.[3].ConfigActivePower", 5, SEMI),
    // ABM (Advanced Battery Monitoring), before the status entries: whether it is enabled and
    // which charger path it uses are recorded, not published.
    fv("battery.charger.abm.status", "UPS.BatterySystem.Charger.ABMEnable", EATON_ABM_ENABLED, QUICK),
    fv("battery.charger.mode.status", "UPS.BatterySystem.Charger.Mode", EATON_ABM_PATH_MODE, QUICK),
    fv("battery.charger.type.status", "UPS.BatterySystem.Charger.Status", EATON_ABM_PATH_STATUS, QUICK),
    fv("battery.charger.status", "UPS.BatterySystem.Charger.Mode", EATON_ABM_STATUS, QUICK),
    fv("battery.charger.status", "UPS.BatterySystem.Charger.Status", EATON_ABM_STATUS, QUICK),
    lk("battery.charger.type", "UPS.BatterySystem.Charger.ChargerType", EATON_CHARGER_TYPE_INFO, QUICK),
    // UPS page.
    n("ups.efficiency", "UPS.PowerConverter.Output.Efficiency", "%.0f", 0),
    sid("ups.firmware", "UPS.PowerSummary.iVersion", STATIC),
    n("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f", 0),
    set("ups.load.high", "UPS.Flow.[4].ConfigPercentLoad", 5, SEMI),
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "ondelay").with_len(10),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay").with_len(10),
    n("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f", QUICK),
    n("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f", QUICK),
    n("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f", QUICK),
    lk("ups.test.result", "UPS.BatterySystem.Battery.Test", TEST_READ_INFO, 0),
    set("ups.test.interval", "UPS.BatterySystem.Battery.TestPeriod", 8, SEMI),
    // The same data on other paths for some units (3S; Masterpower MF-UPS650VA): the first
    // one present is used.
    lk("ups.beeper.status", "UPS.BatterySystem.Battery.AudibleAlarmControl", BEEPER_INFO, SEMI),
    lk("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", BEEPER_INFO, SEMI),
    lk("ups.beeper.status", "UPS.AudibleAlarmControl", BEEPER_INFO, SEMI),
    conv("ups.temperature", "UPS.PowerSummary.Temperature", Conv::KelvinToCelsius),
    n("ups.power", "UPS.PowerConverter.Output.ApparentPower", "%.0f", 0),
    n("ups.L1.power", "UPS.PowerConverter.Output.Phase.[1].ApparentPower", "%.0f", 0),
    n("ups.L2.power", "UPS.PowerConverter.Output.Phase.[2].ApparentPower", "%.0f", 0),
    n("ups.L3.power", "UPS.PowerConverter.Output.Phase.[3].ApparentPower", "%.0f", 0),
    n("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f", STATIC),
    n("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f", 0),
    // Without ActivePower, an estimate from other data (mapped on a path that exists).
    fv("ups.realpower", "UPS.Flow.[4].ConfigApparentPower", EATON_COMPUTE_REALPOWER, 0),
    n("ups.L1.realpower", "UPS.PowerConverter.Output.Phase.[1].ActivePower", "%.0f", 0),
    n("ups.L2.realpower", "UPS.PowerConverter.Output.Phase.[2].ActivePower", "%.0f", 0),
    n("ups.L3.realpower", "UPS.PowerConverter.Output.Phase.[3].ActivePower", "%.0f", 0),
    n("ups.realpower.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f", STATIC),
    lkrw("ups.start.auto", "UPS.PowerConverter.Input.[1].AutomaticRestart", 5, YES_NO_INFO, SEMI),
    lkrw("ups.start.battery", "UPS.PowerConverter.Input.[3].StartOnBattery", 5, YES_NO_INFO, SEMI),
    lkrw("ups.start.reboot", "UPS.PowerConverter.Output.ForcedReboot", 5, YES_NO_INFO, SEMI),
    lkrw(
        "ups.shutdown",
        "UPS.PowerSummary.PresentStatus.Switchable",
        10,
        EATON_ENABLE_DISABLE_INFO,
        SEMI | ENUM,
    ),
    fv("ups.date", "UPS.PowerSummary.Time", MGE_DATE_CONVERSION, RW | STRING).with_len(10),
    fv("ups.time", "UPS.PowerSummary.Time", MGE_TIME_CONVERSION, RW | STRING).with_len(10),
    lk("ups.type", "UPS.PowerConverter.ConverterType", MGE_UPSTYPE_CONVERSION, STATIC),
    // Status bits (NUT's "BOOL" entries).
    st("UPS.PowerSummary.PresentStatus.ACPresent", Online).with_flags(QUICK),
    b("UPS.PowerConverter.Input.[3].PresentStatus.Used", MGE_ONBATT_INFO, 0),
    // Used while ABM is not enabled (see MgeState::abm_check_dischrg / abm_check_chrg).
    bf("UPS.PowerSummary.PresentStatus.Discharging", EATON_DISCHARGING, QUICK),
    bf("UPS.PowerSummary.PresentStatus.Charging", EATON_CHARGING, QUICK),
    // And these while ABM is enabled.
    bf("UPS.BatterySystem.Charger.Mode", EATON_ABM_CHRG_DISCHRG, QUICK),
    bf("UPS.BatterySystem.Charger.Status", EATON_ABM_CHRG_DISCHRG, QUICK),
    st("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LowBatt).with_flags(QUICK),
    // Output overload, levels 1, 2 and 3.
    st("UPS.PowerConverter.Output.Overload.[1].PresentStatus.OverThreshold", Overload),
    st("UPS.PowerConverter.Output.Overload.[2].PresentStatus.OverThreshold", Overload),
    st("UPS.PowerSummary.PresentStatus.Overload", Overload),
    st("UPS.PowerSummary.PresentStatus.NeedReplacement", ReplaceBatt),
    st("UPS.LCMSystem.LCMAlarm.[2].PresentStatus.TimerExpired", ReplaceBatt),
    st("UPS.PowerConverter.Input.[1].PresentStatus.Buck", Trim),
    st("UPS.PowerConverter.Input.[1].PresentStatus.Boost", Boost),
    st("UPS.PowerConverter.Input.[1].PresentStatus.VoltageOutOfRange", VoltageRange),
    st("UPS.PowerConverter.Input.[1].PresentStatus.FrequencyOutOfRange", FrequencyRange),
    st0("UPS.PowerSummary.PresentStatus.Good", Off),
    // Only while not off: after PresentStatus.Good (see converter_online_with).
    bf("UPS.PowerConverter.Input.[1].PresentStatus.Used", EATON_CONVERTER_ONLINE, 0),
    st("UPS.PowerConverter.Input.[2].PresentStatus.Used", BypassAuto),
    st("UPS.PowerConverter.Input.[4].PresentStatus.Used", BypassManual),
    b("UPS.PowerConverter.Input.[5].PresentStatus.Used", ECO_MODE_INFO, 0),
    st("UPS.PowerSummary.PresentStatus.FanFailure", FanFailure),
    st0("UPS.BatterySystem.Battery.PresentStatus.Present", NoBattery),
    st("UPS.BatterySystem.Charger.PresentStatus.InternalFailure", ChargerFail),
    st("UPS.BatterySystem.Charger.PresentStatus.VoltageTooHigh", BattVoltHigh),
    st("UPS.PowerConverter.Input.[1].PresentStatus.VoltageTooHigh", BattVoltHigh),
    st("UPS.BatterySystem.Battery.PresentStatus.VoltageTooHigh", BattVoltHigh),
    st("UPS.BatterySystem.Charger.PresentStatus.VoltageTooLow", BattVoltLow),
    b("UPS.PowerConverter.Input.[1].PresentStatus.VoltageTooLow", MGE_ONBATT_INFO, 0),
    st("UPS.PowerSummary.PresentStatus.InternalFailure", CommFault),
    st("UPS.PowerSummary.PresentStatus.OverTemperature", Overheat),
    st("UPS.PowerSummary.PresentStatus.ShutdownImminent", ShutdownImminent),
    // Vendor alarms.
    alarm("UPS.PowerSummary.PresentStatus.EmergencyStop", MGE_EMERGENCY_STOP),
    alarm("UPS.PowerConverter.Input.[1].PresentStatus.WiringFault", MGE_WIRING_FAULT),
    alarm("UPS.PowerSummary.PresentStatus.ConfigurationFailure", MGE_CONFIG_FAILURE),
    alarm("UPS.PowerConverter.Inverter.PresentStatus.VoltageTooHigh", MGE_INVERTER_VOLTHI),
    alarm("UPS.PowerConverter.Inverter.PresentStatus.VoltageTooLow", MGE_INVERTER_VOLTLO),
    alarm("UPS.PowerConverter.Output.PresentStatus.ShortCircuit", MGE_SHORT_CIRCUIT),
    // Input page.
    n("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f", 0),
    n("input.L1-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[1].Voltage", "%.1f", 0),
    n("input.L2-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[2].Voltage", "%.1f", 0),
    n("input.L3-N.voltage", "UPS.PowerConverter.Input.[1].Phase.[3].Voltage", "%.1f", 0),
    n("input.L1-L2.voltage", "UPS.PowerConverter.Input.[1].Phase.[12].Voltage", "%.1f", 0),
    n("input.L2-L3.voltage", "UPS.PowerConverter.Input.[1].Phase.[23].Voltage", "%.1f", 0),
    n("input.L3-L1.voltage", "UPS.PowerConverter.Input.[1].Phase.[31].Voltage", "%.1f", 0),
    n("input.voltage.nominal", "UPS.Flow.[1].ConfigVoltage", "%.0f", STATIC),
    n("input.current", "UPS.PowerConverter.Input.[1].Current", "%.2f", 0),
    n("input.L1.current", "UPS.PowerConverter.Input.[1].Phase.[1].Current", "%.1f", 0),
    n("input.L2.current", "UPS.PowerConverter.Input.[1].Phase.[2].Current", "%.1f", 0),
    n("input.L3.current", "UPS.PowerConverter.Input.[1].Phase.[3].Current", "%.1f", 0),
    n("input.current.nominal", "UPS.Flow.[1].ConfigCurrent", "%.2f", STATIC),
    n("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.1f", 0),
    n("input.frequency.nominal", "UPS.Flow.[1].ConfigFrequency", "%.0f", STATIC),
    // input.transfer.low is also input.transfer.boost.low; input.transfer.high is also
    // input.transfer.trim.high.
    set("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", 5, SEMI),
    set("input.transfer.eco.low", "UPS.PowerConverter.Output.LowVoltageEcoTransfer", 5, SEMI),
    set("input.transfer.bypass.low", "UPS.PowerConverter.Output.LowVoltageBypassTransfer", 5, SEMI),
    set("input.transfer.boost.low", "UPS.PowerConverter.Output.LowVoltageBoostTransfer", 5, SEMI),
    set("input.transfer.boost.high", "UPS.PowerConverter.Output.HighVoltageBoostTransfer", 5, SEMI),
    set("input.transfer.trim.low", "UPS.PowerConverter.Output.LowVoltageBuckTransfer", 5, SEMI),
    set("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", 5, SEMI),
    set("input.transfer.eco.high", "UPS.PowerConverter.Output.HighVoltageEcoTransfer", 5, SEMI),
    set("input.transfer.bypass.high", "UPS.PowerConverter.Output.HighVoltageBypassTransfer", 5, SEMI),
    set(
        "input.transfer.frequency.bypass.range",
        "UPS.PowerConverter.Output.FrequencyRangeBypassTransfer",
        5,
        SEMI,
    ),
    set("input.transfer.frequency.eco.range", "UPS.PowerConverter.Output.FrequencyRangeEcoTransfer", 5, SEMI),
    set("input.transfer.hysteresis", "UPS.PowerConverter.Output.HysteresisVoltageTransfer", 5, SEMI),
    lkrw(
        "input.transfer.bypass.forced",
        "UPS.PowerConverter.Input.[2].ForcedTransferEnable",
        8,
        EATON_ENABLE_DISABLE_INFO,
        SEMI,
    ),
    lkrw(
        "input.transfer.bypass.overload",
        "UPS.PowerConverter.Input.[2].OverloadTransferEnable",
        8,
        EATON_ENABLE_DISABLE_INFO,
        SEMI,
    ),
    lkrw(
        "input.transfer.bypass.outlimits",
        "UPS.PowerConverter.Input.[2].OutOfToleranceTransferEnable",
        8,
        EATON_ENABLE_DISABLE_INFO,
        SEMI,
    ),
    set("input.transfer.trim.high", "UPS.PowerConverter.Output.HighVoltageBuckTransfer", 5, SEMI),
    lkrw("input.sensitivity", "UPS.PowerConverter.Output.SensitivityMode", 10, MGE_SENSITIVITY_INFO, SEMI),
    lkrw("input.voltage.extended", "UPS.PowerConverter.Output.ExtendedVoltageMode", 5, YES_NO_INFO, SEMI),
    lkrw("input.frequency.extended", "UPS.PowerConverter.Output.ExtendedFrequencyMode", 5, YES_NO_INFO, SEMI),
    // Bypass page.
    n("input.bypass.voltage", "UPS.PowerConverter.Input.[2].Voltage", "%.1f", QUICK),
    n("input.bypass.L1-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[1].Voltage", "%.1f", 0),
    n("input.bypass.L2-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[2].Voltage", "%.1f", 0),
    n("input.bypass.L3-N.voltage", "UPS.PowerConverter.Input.[2].Phase.[3].Voltage", "%.1f", 0),
    n("input.bypass.L1-L2.voltage", "UPS.PowerConverter.Input.[2].Phase.[12].Voltage", "%.1f", 0),
    n("input.bypass.L2-L3.voltage", "UPS.PowerConverter.Input.[2].Phase.[23].Voltage", "%.1f", 0),
    n("input.bypass.L3-L1.voltage", "UPS.PowerConverter.Input.[2].Phase.[31].Voltage", "%.1f", 0),
    n("input.bypass.voltage.nominal", "UPS.Flow.[2].ConfigVoltage", "%.0f", STATIC),
    n("input.bypass.current", "UPS.PowerConverter.Input.[2].Current", "%.2f", 0),
    n("input.bypass.L1.current", "UPS.PowerConverter.Input.[2].Phase.[1].Current", "%.1f", 0),
    n("input.bypass.L2.current", "UPS.PowerConverter.Input.[2].Phase.[2].Current", "%.1f", 0),
    n("input.bypass.L3.current", "UPS.PowerConverter.Input.[2].Phase.[3].Current", "%.1f", 0),
    n("input.bypass.current.nominal", "UPS.Flow.[2].ConfigCurrent", "%.2f", STATIC),
    n("input.bypass.frequency", "UPS.PowerConverter.Input.[2].Frequency", "%.1f", QUICK),
    n("input.bypass.frequency.nominal", "UPS.Flow.[2].ConfigFrequency", "%.0f", STATIC),
    // Automatic bypass mode on/off, for use with input.transfer.bypass.forced enabled.
    fv(
        "input.bypass.switch.on",
        "UPS.PowerConverter.Input.[2].SwitchOnControl",
        EATON_INPUT_BYPASS_MODE_ON,
        QUICK,
    )
    .with_flags(RW | STRING)
    .with_len(8),
    lkrw(
        "input.bypass.switch.off",
        "UPS.PowerConverter.Input.[2].SwitchOffControl",
        12,
        EATON_INPUT_BYPASS_MODE_OFF_INFO,
        QUICK,
    ),
    // Transfer to the automatic bypass by the .overload and .outlimits rules.
    lkrw(
        "input.bypass.switchable",
        "UPS.PowerConverter.Input.[2].Switchable",
        8,
        EATON_ENABLE_DISABLE_INFO,
        SEMI,
    ),
    // Output page.
    n("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f", 0),
    n("output.L1-N.voltage", "UPS.PowerConverter.Output.Phase.[1].Voltage", "%.1f", 0),
    n("output.L2-N.voltage", "UPS.PowerConverter.Output.Phase.[2].Voltage", "%.1f", 0),
    n("output.L3-N.voltage", "UPS.PowerConverter.Output.Phase.[3].Voltage", "%.1f", 0),
    n("output.L1-L2.voltage", "UPS.PowerConverter.Output.Phase.[12].Voltage", "%.1f", 0),
    n("output.L2-L3.voltage", "UPS.PowerConverter.Output.Phase.[23].Voltage", "%.1f", 0),
    n("output.L3-L1.voltage", "UPS.PowerConverter.Output.Phase.[31].Voltage", "%.1f", 0),
    fv(
        "output.voltage.nominal",
        "UPS.Flow.[4].ConfigVoltage",
        NOMINAL_OUTPUT_VOLTAGE,
        RW | STRING | SEMI | ENUM,
    )
    .with_len(3),
    n("output.current", "UPS.PowerConverter.Output.Current", "%.2f", 0),
    n("output.L1.current", "UPS.PowerConverter.Output.Phase.[1].Current", "%.1f", 0),
    n("output.L2.current", "UPS.PowerConverter.Output.Phase.[2].Current", "%.1f", 0),
    n("output.L3.current", "UPS.PowerConverter.Output.Phase.[3].Current", "%.1f", 0),
    n("output.current.nominal", "UPS.Flow.[4].ConfigCurrent", "%.2f", 0),
    n("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f", 0),
    n("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f", STATIC),
    fv("output.powerfactor", "UPS.PowerConverter.Output.PowerFactor", MGE_POWERFACTOR_CONVERSION, 0),
    // Outlets (MGE PowerShare): [1] is the main (or only) outlet group.
    n("outlet.id", "UPS.OutletSystem.Outlet.[1].OutletID", "%.0f", STATIC),
    absent("outlet.desc", "UPS.OutletSystem.Outlet.[1].OutletID", "Main Outlet").with_len(20),
    lk("outlet.switchable", "UPS.OutletSystem.Outlet.[1].PresentStatus.Switchable", YES_NO_INFO, STATIC),
    // Protection Station: the master outlet's consumption below which the slave outlets are
    // switched off (10, 25 or 60 VA).
    fv(
        "outlet.power",
        "UPS.OutletSystem.Outlet.[1].ConfigApparentPower",
        PEGASUS_THRESHOLD,
        RW | STRING | SEMI | ENUM,
    )
    .with_len(6),
    n("outlet.power", "UPS.OutletSystem.Outlet.[1].ApparentPower", "%.0f", 0),
    n("outlet.realpower", "UPS.OutletSystem.Outlet.[1].ActivePower", "%.0f", 0),
    n("outlet.current", "UPS.OutletSystem.Outlet.[1].Current", "%.2f", 0),
    n("outlet.powerfactor", "UPS.OutletSystem.Outlet.[1].PowerFactor", "%.2f", 0),
    // First outlet group [2].
    n("outlet.1.id", "UPS.OutletSystem.Outlet.[2].OutletID", "%.0f", STATIC),
    absent("outlet.1.desc", "UPS.OutletSystem.Outlet.[2].OutletID", "PowerShare Outlet 1").with_len(20),
    lk("outlet.1.switchable", "UPS.OutletSystem.Outlet.[2].PresentStatus.Switchable", YES_NO_INFO, STATIC),
    lk("outlet.1.status", "UPS.OutletSystem.Outlet.[2].PresentStatus.SwitchOn/Off", ON_OFF_INFO, 0),
    lk(
        "outlet.1.protect.status",
        "UPS.OutletSystem.Outlet.[2].Status",
        EATON_OUTLET_PROTECTION_STATUS_INFO,
        0,
    ),
    sid("outlet.1.designator", "UPS.OutletSystem.Outlet.[2].iDesignator", STATIC),
    // Low end models with one outlet that is not on the battery.
    lk("outlet.1.status", "UPS.PowerSummary.PresentStatus.ACPresent", ON_OFF_INFO, 0),
    set("outlet.1.autoswitch.charge.low", "UPS.OutletSystem.Outlet.[2].RemainingCapacityLimit", 3, SEMI),
    set("outlet.1.delay.shutdown", "UPS.OutletSystem.Outlet.[2].ShutdownTimer", 5, SEMI),
    set("outlet.1.delay.start", "UPS.OutletSystem.Outlet.[2].StartupTimer", 5, SEMI),
    n("outlet.1.power", "UPS.OutletSystem.Outlet.[2].ApparentPower", "%.0f", 0),
    n("outlet.1.realpower", "UPS.OutletSystem.Outlet.[2].ActivePower", "%.0f", 0),
    n("outlet.1.current", "UPS.OutletSystem.Outlet.[2].Current", "%.2f", 0),
    n("outlet.1.powerfactor", "UPS.OutletSystem.Outlet.[2].PowerFactor", "%.2f", 0),
    lk("outlet.1.ecocontrol", "UPS.OutletSystem.Outlet.[2].ECOControl", OUTLET_ECO_YES_NO_INFO, SEMI),
    // Second outlet group [3]; Pegasus models can switch it (master/slave mode).
    n("outlet.2.id", "UPS.OutletSystem.Outlet.[3].OutletID", "%.0f", STATIC),
    absent("outlet.2.desc", "UPS.OutletSystem.Outlet.[3].OutletID", "PowerShare Outlet 2").with_len(20),
    fv(
        "outlet.2.switchable",
        "UPS.OutletSystem.Outlet.[3].PresentStatus.Switchable",
        PEGASUS_YES_NO,
        RW | STRING | SEMI,
    )
    .with_len(3),
    lk("outlet.2.switchable", "UPS.OutletSystem.Outlet.[3].PresentStatus.Switchable", YES_NO_INFO, 0),
    lk("outlet.2.status", "UPS.OutletSystem.Outlet.[3].PresentStatus.SwitchOn/Off", ON_OFF_INFO, 0),
    lk(
        "outlet.2.protect.status",
        "UPS.OutletSystem.Outlet.[3].Status",
        EATON_OUTLET_PROTECTION_STATUS_INFO,
        0,
    ),
    set("outlet.2.autoswitch.charge.low", "UPS.OutletSystem.Outlet.[3].RemainingCapacityLimit", 3, SEMI),
    set("outlet.2.delay.shutdown", "UPS.OutletSystem.Outlet.[3].ShutdownTimer", 5, SEMI),
    set("outlet.2.delay.start", "UPS.OutletSystem.Outlet.[3].StartupTimer", 5, SEMI),
    n("outlet.2.power", "UPS.OutletSystem.Outlet.[3].ApparentPower", "%.0f", 0),
    n("outlet.2.realpower", "UPS.OutletSystem.Outlet.[3].ActivePower", "%.0f", 0),
    n("outlet.2.current", "UPS.OutletSystem.Outlet.[3].Current", "%.2f", 0),
    n("outlet.2.powerfactor", "UPS.OutletSystem.Outlet.[3].PowerFactor", "%.2f", 0),
    lk("outlet.2.ecocontrol", "UPS.OutletSystem.Outlet.[3].ECOControl", OUTLET_ECO_YES_NO_INFO, SEMI),
    // Third outlet group [4] (NUT names its default description "PowerShare Outlet 2" too).
    n("outlet.3.id", "UPS.OutletSystem.Outlet.[4].OutletID", "%.0f", STATIC),
    absent("outlet.3.desc", "UPS.OutletSystem.Outlet.[4].OutletID", "PowerShare Outlet 2").with_len(20),
    fv(
        "outlet.3.switchable",
        "UPS.OutletSystem.Outlet.[4].PresentStatus.Switchable",
        PEGASUS_YES_NO,
        RW | STRING | SEMI,
    )
    .with_len(3),
    lk("outlet.3.switchable", "UPS.OutletSystem.Outlet.[4].PresentStatus.Switchable", YES_NO_INFO, 0),
    lk("outlet.3.status", "UPS.OutletSystem.Outlet.[4].PresentStatus.SwitchOn/Off", ON_OFF_INFO, 0),
    lk(
        "outlet.3.protect.status",
        "UPS.OutletSystem.Outlet.[4].Status",
        EATON_OUTLET_PROTECTION_STATUS_INFO,
        0,
    ),
    set("outlet.3.autoswitch.charge.low", "UPS.OutletSystem.Outlet.[4].RemainingCapacityLimit", 3, SEMI),
    set("outlet.3.delay.shutdown", "UPS.OutletSystem.Outlet.[4].ShutdownTimer", 5, SEMI),
    set("outlet.3.delay.start", "UPS.OutletSystem.Outlet.[4].StartupTimer", 5, SEMI),
    n("outlet.3.power", "UPS.OutletSystem.Outlet.[4].ApparentPower", "%.0f", 0),
    n("outlet.3.realpower", "UPS.OutletSystem.Outlet.[4].ActivePower", "%.0f", 0),
    n("outlet.3.current", "UPS.OutletSystem.Outlet.[4].Current", "%.2f", 0),
    n("outlet.3.powerfactor", "UPS.OutletSystem.Outlet.[4].PowerFactor", "%.2f", 0),
    lk("outlet.3.ecocontrol", "UPS.OutletSystem.Outlet.[4].ECOControl", OUTLET_ECO_YES_NO_INFO, SEMI),
    // NUT's last entry (after its commands): the ECO / ESS mode switch, for use with
    // input.bypass.switch.on "on"; it reads variables published above.
    fv("input.eco.switchable", "UPS.PowerConverter.Input.[5].Switchable", EATON_INPUT_ECO_MODE_ON_OFF, QUICK)
        .with_flags(RW | STRING)
        .with_len(8),
];

/// NUT's `mge_hid2nut` instant commands, in NUT's order (for the same command, the first
/// path the UPS has is used).
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10"),
    cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    // The same commands on other paths for some units (3S; Masterpower MF-UPS650VA).
    cmd("beeper.mute", "UPS.BatterySystem.Battery.AudibleAlarmControl", "3"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    cmd("beeper.disable", "UPS.BatterySystem.Battery.AudibleAlarmControl", "1"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.enable", "UPS.BatterySystem.Battery.AudibleAlarmControl", "2"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.AudibleAlarmControl", "1"),
    cmd("beeper.enable", "UPS.AudibleAlarmControl", "2"),
    // Outlet groups.
    cmd("outlet.1.load.off", "UPS.OutletSystem.Outlet.[2].DelayBeforeShutdown", "0"),
    cmd("outlet.1.load.on", "UPS.OutletSystem.Outlet.[2].DelayBeforeStartup", "0"),
    cmd("outlet.2.load.off", "UPS.OutletSystem.Outlet.[3].DelayBeforeShutdown", "0"),
    cmd("outlet.2.load.on", "UPS.OutletSystem.Outlet.[3].DelayBeforeStartup", "0"),
    cmd("outlet.3.load.off", "UPS.OutletSystem.Outlet.[4].DelayBeforeShutdown", "0"),
    cmd("outlet.3.load.on", "UPS.OutletSystem.Outlet.[4].DelayBeforeStartup", "0"),
    // ECO (HE) and ESS modes.
    cmd("experimental.ecomode.stop", "UPS.PowerConverter.Input.[5].Switchable", "0"),
    cmd("experimental.ecomode.start", "UPS.PowerConverter.Input.[5].Switchable", "1"),
    cmd("experimental.essmode.start", "UPS.PowerConverter.Input.[5].Switchable", "2"),
    cmd("experimental.essmode.stop", "UPS.PowerConverter.Input.[5].Switchable", "0"),
    // ECO mode with the automatic bypass switched first (NUT passes these values through
    // EATON_INPUT_ECO_MODE_AUTO_ON_OFF, see eco_auto_with).
    cmd_conv(
        "experimental.bypass.ecomode.start",
        "UPS.PowerConverter.Input.[5].Switchable",
        "1",
        Conv::Fun(EATON_INPUT_ECO_MODE_AUTO_ON_OFF),
    ),
    cmd_conv(
        "experimental.bypass.ecomode.stop",
        "UPS.PowerConverter.Input.[5].Switchable",
        "0",
        Conv::Fun(EATON_INPUT_ECO_MODE_AUTO_ON_OFF),
    ),
    // Automatic bypass mode on/off.
    cmd("bypass.start", "UPS.PowerConverter.Input.[2].SwitchOnControl", "1"),
    cmd("bypass.stop", "UPS.PowerConverter.Input.[2].SwitchOffControl", "1"),
];

/// NUT's `mge_fix_report_desc`: MGE uses NUT's default, which changes nothing.
pub const FIX_REPORT_DESC: Option<fn(&crate::transport::DeviceInfo, &mut nut_hid::Descriptor) -> usize> =
    None;

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "MGE HID 1.58",
    usages: &[MGE],
    vars: VARS,
    cmds: CMDS,
    mfr: "Eaton",
    common: false,
    fix_report_desc: FIX_REPORT_DESC,
    identity: Some(identity),
    state: Some(new_state),
};

/// NUT's `mge_format_mfr`, `mge_format_model` (which also selects the model family the
/// conversions read) and `mge_format_serial`.
pub fn identity(id: &mut Identity<'_>) -> Names {
    let imodel = id.device.string_at("UPS.PowerSummary.iModel");
    let va = match imodel.as_deref() {
        Some(s) if !s.is_empty() => None,
        _ => id.device.value_at("UPS.Flow.[4].ConfigApparentPower"),
    };
    let (model, family) = format_model(id.vendor_id, id.product, imodel.as_deref(), va);
    Names {
        mfr: Some(format_mfr(id.vendor).to_string()),
        model,
        serial: format_serial(id.serial).map(str::to_string),
        extra: Vec::new(),
        family: Some(family.0),
    }
}

fn new_state() -> Box<dyn SubdriverState> {
    Box::new(MgeState::default())
}

impl SubdriverState for MgeState {
    fn identified(&mut self, names: &Names) {
        if let Some(family) = names.family {
            self.model = ModelType(family);
        }
    }

    fn convert(&mut self, f: &ConvFn, v: f64, dev: &mut dyn DeviceView) -> Option<Option<String>> {
        // NUT's side effects of the ECO and bypass reports: the mode buzzword, and the
        // bypass switch shown "off" when the input is outside the transfer limits.
        if f.name == EATON_INPUT_ECO_MODE_ON_OFF.name {
            let r = eco_mode_report_with(dev.vars(), v);
            if let Some(w) = r.buzzword {
                dev.buzzword(w);
            }
            return Some(r.value.map(str::to_string));
        }
        if f.name == EATON_INPUT_BYPASS_MODE_ON.name {
            let r = bypass_switch_on_with(dev.vars(), v);
            if let Some(off) = r.switch_off {
                dev.publish("input.bypass.switch.off", off);
            }
            return Some(r.value.map(str::to_string));
        }
        let ctx = Context { vars: dev.vars(), off: dev.status(Off), utc_offset: dev.utc_offset() };
        Some(MgeState::convert(self, f, v, &ctx))
    }

    fn convert_back(&mut self, f: &ConvFn, text: &str, dev: &mut dyn DeviceView) -> Option<Option<f64>> {
        if f.name == EATON_INPUT_ECO_MODE_AUTO_ON_OFF.name {
            // NUT's nuf switches the bypass off and ECO mode to normal first (setvar).
            let plan = eco_auto_with(dev.vars(), text);
            for (var, value) in &plan.setvars {
                if !dev.setvar(var, value) {
                    nut_driver::debug!("experimental.bypass.ecomode: setting {var} to {value} failed");
                }
            }
            return Some(Some(plan.value as f64));
        }
        let ctx = Context { vars: dev.vars(), off: dev.status(Off), utc_offset: dev.utc_offset() };
        Some(MgeState::convert_back(self, f, text, &ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The functions [`MgeState::convert`] gives state to.
    const CONTEXT_FUNCTIONS: &[&str] = &[
        "eaton_check_country_info",
        "eaton_abm_enabled_info",
        "eaton_abm_path_mode_info",
        "eaton_abm_path_status_info",
        "eaton_abm_status_info",
        "eaton_abm_chrg_dischrg_info",
        "eaton_discharging_info",
        "eaton_charging_info",
        "mge_date_conversion",
        "mge_time_conversion",
        "mge_battery_voltage_nominal",
        "mge_battery_voltage",
        "pegasus_threshold_info",
        "pegasus_yes_no_info",
        "eaton_input_eco_mode_on_off_info",
        "eaton_input_bypass_mode_on_info",
        "eaton_compute_realpower_info",
        "nominal_output_voltage_info",
        "eaton_converter_online_info",
    ];

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn model_names_as_the_nut_ddl_dumps_show_them() {
        // ups.model of nut-ddl Eaton/MGE usbhid-ups dumps, from iProduct + iModel.
        for (product, model, want, kind) in [
            ("Eaton 5P", "650", "5P 650", ModelType::EATON_5P),
            ("Protection Station", "650", "Protection Station 650", ModelType::PEGASUS),
            ("Ellipse ECO", "1600", "Ellipse ECO 1600", ModelType::PEGASUS),
            ("Evolution", "3000", "Pulsar Evolution 3000", ModelType::DEFAULT),
            ("ellipse", "PR800", "ellipse premium 800", ModelType::DEFAULT_OFFLINE),
            ("PROTECTIONCENTER", "675", "Protection Center 675", ModelType::DEFAULT_OFFLINE),
            // Not in the table: concatenated, the family stays the default; the device's
            // trailing space is kept ("Ellipse PRO 650 ").
            ("Eaton 3S", "550", "Eaton 3S 550", ModelType::DEFAULT),
            ("Ellipse PRO", "650 ", "Ellipse PRO 650 ", ModelType::DEFAULT),
            ("Eaton 5PX", "2000", "Eaton 5PX 2000", ModelType::DEFAULT),
        ] {
            let (name, k) = format_model(MGE_VENDORID, Some(product), Some(model), None);
            assert_eq!(name.as_deref(), Some(want), "{product} {model}");
            assert_eq!(k, kind, "{product} {model}");
        }
        // "1200 " with its space is the 5S; without it, nothing matches.
        assert_eq!(model_name("Ellipse PRO", "1200 "), ("Eaton 5S1200".into(), Some(ModelType::EATON_5P)));
        assert_eq!(model_name("Ellipse PRO", "1200"), ("Ellipse PRO 1200".into(), None));
        // The first matching row wins: NUT lists "EX" "3000 XL" as a Pulsar M 3000.
        assert_eq!(model_name("EX", "3000 XL").1, Some(ModelType::PULSAR_M_3000));
    }

    #[test]
    fn model_falls_back_to_the_rated_power_and_to_the_product() {
        // No iModel: the rated VA (C's int cast) stands in, "unknown" the missing product.
        assert_eq!(
            format_model(MGE_VENDORID, None, None, Some(2000.0)),
            (Some("9E2000i (presumed)".into()), ModelType::EATON_9E)
        );
        assert_eq!(
            format_model(MGE_VENDORID, Some("Eaton 9E"), Some(""), Some(3000.7)).0.as_deref(),
            Some("9E3000")
        );
        // Nothing to build a model from: the product string as it is (or none).
        assert_eq!(
            format_model(MGE_VENDORID, Some("Eaton 3S"), None, None),
            (Some("Eaton 3S".into()), ModelType::DEFAULT)
        );
        assert_eq!(format_model(MGE_VENDORID, None, None, None), (None, ModelType::DEFAULT));
        // Dell's iProduct is complete.
        assert_eq!(
            format_model(DELL_VENDORID, Some("Dell UPS Tower 1000W"), Some("1000"), None).0.as_deref(),
            Some("Dell UPS Tower 1000W")
        );
        assert_eq!(format_mfr(None), "Eaton");
        assert_eq!(format_mfr(Some("EATON")), "EATON");
        assert_eq!(format_serial(Some("000000000   ")), Some("000000000   "));
    }

    #[test]
    fn battery_voltages_only_for_the_families_that_report_them() {
        // nut-ddl Eaton 5P 650: battery.voltage 13.5; the Ellipse/3S/Protection Station dumps
        // have none.
        assert_eq!(battery_voltage_with(ModelType::EATON_5P, 13.5).as_deref(), Some("13.5"));
        assert_eq!(battery_voltage_with(ModelType::PULSAR_M_2200, 81.0).as_deref(), Some("81.0"));
        assert_eq!(battery_voltage_with(ModelType::DEFAULT, 27.0), None);
        assert_eq!(battery_voltage_with(ModelType::PEGASUS, 13.0), None);
        assert_eq!(battery_voltage_nominal_with(ModelType::EATON_9E, 48.0).as_deref(), Some("48"));
        // The Evolution 650 reports its nominal voltage wrong: 12 V.
        assert_eq!(battery_voltage_nominal_with(ModelType::EVOLUTION_650, 24.0).as_deref(), Some("12"));
        assert_eq!(battery_voltage_nominal_with(ModelType::EVOLUTION_850, 24.0).as_deref(), Some("24"));
        assert_eq!(battery_voltage_nominal_with(ModelType::DEFAULT, 48.0), None);
        assert_eq!(battery_voltage_fun(27.0), None, "NUT's initial family publishes nothing");
    }

    #[test]
    fn plain_conversions() {
        assert_eq!(powerfactor(85.0).as_deref(), Some("0.85"));
        assert_eq!(battery_capacity(32400.0).as_deref(), Some("9.00"));
        assert_eq!(battery_capacity(25200.0).as_deref(), Some("7.00"));
    }

    #[test]
    fn abm_state_machine() {
        let mut s = MgeState::default();
        // Unknown ABM: PresentStatus.Charging/Discharging decide, no charger status.
        assert_eq!(s.abm_check_chrg(1.0), "chrg");
        assert_eq!(s.abm_check_chrg(0.0), "!chrg");
        assert_eq!(s.abm_check_dischrg(1.0), "dischrg");
        assert_eq!(s.abm_status(1.0), None);
        assert_eq!(s.abm_chrg_dischrg(1.0), None);
        // Enabled: the first path seen is kept; the charger state sets CHRG/DISCHRG and the
        // PresentStatus bits only clear them.
        s.set_abm_enabled(1.0);
        s.see_abm_path(AbmPath::Status);
        s.see_abm_path(AbmPath::Mode);
        assert_eq!(s.abm_path, AbmPath::Status);
        assert_eq!(s.abm_check_chrg(1.0), "!chrg");
        assert_eq!(s.abm_check_dischrg(1.0), "!dischrg");
        let on_status: Vec<_> = (0..8).map(|v| s.abm_status(f64::from(v))).collect();
        assert_eq!(
            on_status,
            [
                None,
                Some("charging"),
                Some("floating"),
                Some("resting"),
                Some("discharging"),
                None,
                Some("off"),
                None
            ]
        );
        let flags: Vec<_> = (0..8).map(|v| s.abm_chrg_dischrg(f64::from(v))).collect();
        assert_eq!(flags, [None, Some("chrg"), Some("chrg"), None, Some("dischrg"), None, None, None]);
        // Disabled resets the path; on the Mode path the numbers differ.
        s.set_abm_enabled(0.0);
        s.see_abm_path(AbmPath::Mode);
        assert_eq!(s.abm_path, AbmPath::Unknown);
        s.set_abm_enabled(1.0);
        s.see_abm_path(AbmPath::Mode);
        let on_mode: Vec<_> = (0..8).map(|v| s.abm_status(f64::from(v))).collect();
        assert_eq!(
            on_mode,
            [
                None,
                Some("charging"),
                Some("discharging"),
                Some("floating"),
                Some("resting"),
                None,
                Some("off"),
                None
            ]
        );
        let flags: Vec<_> = (0..8).map(|v| s.abm_chrg_dischrg(f64::from(v))).collect();
        assert_eq!(flags, [None, Some("chrg"), Some("dischrg"), Some("chrg"), None, None, None, None]);
        s.set_abm_enabled(7.0);
        assert_eq!(s.abm, Abm::Unknown);
    }

    #[test]
    fn pegasus_controls() {
        let mut s = MgeState { model: ModelType::PEGASUS, ..MgeState::default() };
        // nut-ddl Protection Station 650: outlet.power 25, outlet.2.switchable no.
        assert_eq!(pegasus_threshold_with(&s, 25.0).as_deref(), Some("25"));
        assert_eq!(pegasus_yes_no_with(&s, 0.0).as_deref(), Some("no"));
        assert_eq!(pegasus_yes_no_with(&s, 1.0).as_deref(), Some("yes"));
        assert_eq!(pegasus_yes_no_back_with(&s, "yes"), 1.0);
        assert_eq!(pegasus_yes_no_back_with(&s, "no"), 0.0);
        // The 3S 700/750 are in the family whatever the country (see MgeState::pegasus).
        s.model = ModelType::S3;
        s.set_country(0.0);
        assert!(s.pegasus());
        for model in [ModelType::DEFAULT, ModelType::DEFAULT_OFFLINE, ModelType::EATON_5P] {
            s.model = model;
            assert_eq!(pegasus_threshold_with(&s, 25.0), None);
            assert_eq!(pegasus_yes_no_with(&s, 1.0), None);
            assert_eq!(pegasus_yes_no_back_with(&s, "yes"), 0.0);
        }
        assert_eq!(PEGASUS_THRESHOLD.nuf.map(|f| f("60")), Some(Some(60.0)));
        assert_eq!(PEGASUS_THRESHOLD.nuf.map(|f| f("30")), Some(None));
    }

    /// The enumerated values NUT publishes: each row whose value the function accepts.
    fn enumerate(state: &MgeState, first: f64) -> Vec<&'static str> {
        NOMINAL_OUTPUT_VOLTAGE_ROWS
            .iter()
            .filter(|&&(v, _)| nominal_output_voltage_with(state, first, v as f64).is_some())
            .map(|&(_, t)| t)
            .collect()
    }

    #[test]
    fn nominal_output_voltage_choices_as_the_ddl_dumps_list_them() {
        // nut-ddl PowerWalker VI 1200 SHL (no model recognised, 230 V): 200 208 220 230 240.
        let online = MgeState::default();
        assert_eq!(enumerate(&online, 230.0), ["200", "208", "220", "230", "240"]);
        // nut-ddl Eaton Protection Station 650 (offline, 230 V): 220 230 240.
        let pegasus = MgeState { model: ModelType::PEGASUS, ..MgeState::default() };
        assert_eq!(enumerate(&pegasus, 230.0), ["220", "230", "240"]);
        assert_eq!(enumerate(&pegasus, 208.0), ["200", "208"]);
        assert_eq!(enumerate(&online, 208.0), ["200", "208", "220", "230", "240"]);
        assert_eq!(enumerate(&online, 120.0), ["100", "110", "120", "127"]);
        // An unexpected nominal voltage (3S 550 US: 115) is published as it is.
        assert_eq!(nominal_output_voltage_with(&online, 115.0, 115.0).as_deref(), Some("115"));
        // The latch: the first value is the reference.
        let mut s = pegasus;
        assert_eq!(s.nominal_output_voltage(230.0).as_deref(), Some("230"));
        assert_eq!(s.nominal_output_voltage(208.0), None);
        assert_eq!(NOMINAL_OUTPUT_VOLTAGE.nuf.map(|f| f("208")), Some(Some(208.0)));
        assert_eq!(NOMINAL_OUTPUT_VOLTAGE.nuf.map(|f| f("115")), Some(None));
    }

    #[test]
    fn converter_online_only_when_not_off() {
        assert_eq!(converter_online_with(false, 1.0), Some("online"));
        assert_eq!(converter_online_with(false, 0.0), Some("!online"));
        assert_eq!(converter_online_with(true, 0.0), None);
    }

    #[test]
    fn realpower_estimate() {
        // 16 % of 650 VA at the default 0.8: 83.2 W.
        let v = vars(&[("ups.load", "16"), ("ups.power.nominal", "650")]);
        assert_eq!(compute_realpower_with(&v).as_deref(), Some("83"));
        let v = vars(&[("ups.load", "50"), ("ups.power.nominal", "2000"), ("output.powerfactor", "0.90")]);
        assert_eq!(compute_realpower_with(&v).as_deref(), Some("900"));
        // round() is half away from zero: 5 % of 30 VA at 1.0 is 1.5 W -> 2.
        let v = vars(&[("ups.load", "5"), ("ups.power.nominal", "30"), ("output.powerfactor", "1")]);
        assert_eq!(compute_realpower_with(&v).as_deref(), Some("2"));
        assert_eq!(compute_realpower_with(&vars(&[("ups.load", "5")])), None);
        assert_eq!(atoi(" 42abc"), 42);
        assert_eq!(atoi("-7"), -7);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atof("0.85 "), 0.85);
        assert_eq!(atof("junk"), 0.0);
    }

    fn bypass_vars(voltage: &str, frequency: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut v = vars(&[
            ("input.bypass.voltage", voltage),
            ("input.bypass.frequency", frequency),
            ("output.voltage.nominal", "230"),
            ("output.frequency.nominal", "50"),
        ]);
        v.extend(vars(extra));
        v
    }

    #[test]
    fn eco_mode_within_the_transfer_limits() {
        let none = BTreeMap::new();
        assert_eq!(eco_mode_report_with(&none, 0.0).value, Some("normal"));
        assert_eq!(
            eco_mode_report_with(&none, 2.0),
            EcoReport { value: Some("ESS"), buzzword: Some("vendor:mge-hid:ESS") }
        );
        assert_eq!(eco_mode_report_with(&none, 3.0).value, None);
        // Missing readings: NUT sets "normal" itself.
        assert_eq!(eco_mode_report_with(&none, 1.0), EcoReport { value: Some("normal"), buzzword: None });
        // Defaults: 95-105 % of 230 V (218.5-241.5), ±5 % of 50 Hz.
        let eco = EcoReport { value: Some("ECO"), buzzword: Some("vendor:mge-hid:ECO") };
        let normal = EcoReport { value: Some("normal"), buzzword: Some("vendor:mge-hid:normal") };
        assert_eq!(eco_mode_report_with(&bypass_vars("230.0", "50.0", &[]), 1.0), eco);
        assert_eq!(eco_mode_report_with(&bypass_vars("218.5", "52.5", &[]), 1.0), eco);
        assert_eq!(eco_mode_report_with(&bypass_vars("218.4", "50.0", &[]), 1.0), normal);
        assert_eq!(eco_mode_report_with(&bypass_vars("230.0", "52.6", &[]), 1.0), normal);
        // Published limits replace the defaults.
        let limits = [
            ("input.transfer.eco.low", "200"),
            ("input.transfer.eco.high", "250"),
            ("input.transfer.frequency.eco.range", "10"),
        ];
        assert_eq!(eco_mode_report_with(&bypass_vars("205.0", "54.0", &limits), 1.0), eco);
        assert_eq!(eco_mode_back("ECO"), Some(1.0));
        assert_eq!(eco_mode_back("vendor:mge-hid:ESS"), Some(2.0));
        assert_eq!(eco_mode_back("normal"), Some(0.0));
        assert_eq!(eco_mode_back("eco"), None);
    }

    #[test]
    fn bypass_switch_within_the_transfer_limits() {
        let none = BTreeMap::new();
        assert_eq!(bypass_switch_on_with(&none, 0.0).value, Some("disabled"));
        assert_eq!(bypass_switch_on_with(&none, 2.0), BypassReport { value: None, switch_off: None });
        let off = BypassReport { value: None, switch_off: Some("off") };
        assert_eq!(bypass_switch_on_with(&none, 1.0), off);
        // Defaults: 80-115 % of 230 V (184-264.5), ±10 % of 50 Hz.
        assert_eq!(bypass_switch_on_with(&bypass_vars("184", "45", &[]), 1.0).value, Some("on"));
        assert_eq!(bypass_switch_on_with(&bypass_vars("265", "50", &[]), 1.0), off);
        let limits = [("input.transfer.bypass.low", "184"), ("input.transfer.bypass.high", "264")];
        assert_eq!(bypass_switch_on_with(&bypass_vars("264.5", "50", &limits), 1.0), off);
        assert_eq!(EATON_INPUT_BYPASS_MODE_ON.nuf.map(|f| f("on")), Some(Some(1.0)));
    }

    #[test]
    fn eco_mode_with_the_bypass_commands() {
        let ready = vars(&[("input.bypass.switch.on", "disabled"), ("input.eco.switchable", "normal")]);
        assert_eq!(eco_auto_with(&ready, "1"), EcoAutoPlan { setvars: vec![], value: 1 });
        assert_eq!(eco_auto_with(&BTreeMap::new(), "1").value, 0);
        let in_eco = vars(&[("input.bypass.switch.off", "disabled"), ("input.eco.switchable", "ECO")]);
        assert_eq!(
            eco_auto_with(&in_eco, "0"),
            EcoAutoPlan {
                setvars: vec![("input.bypass.switch.off", "off"), ("input.eco.switchable", "normal")],
                value: 0
            }
        );
        let not_eco = vars(&[("input.bypass.switch.off", "disabled"), ("input.eco.switchable", "normal")]);
        assert_eq!(
            eco_auto_with(&not_eco, "0"),
            EcoAutoPlan { setvars: vec![("input.bypass.switch.off", "off")], value: 1 }
        );
        assert_eq!(eco_auto_with(&BTreeMap::new(), "0"), EcoAutoPlan { setvars: vec![], value: 1 });
    }

    #[test]
    fn date_and_time_both_ways() {
        // 2024-02-29 13:05:09 UTC.
        let t = 1_709_211_909.0;
        assert_eq!(date_with(t, 0).as_deref(), Some("2024/02/29"));
        assert_eq!(time_with(t, 0).as_deref(), Some("13:05:09"));
        // In a zone 11 hours ahead it is already March.
        assert_eq!(date_with(t, 11 * 3600).as_deref(), Some("2024/03/01"));
        assert_eq!(time_with(t, 11 * 3600).as_deref(), Some("00:05:09"));
        assert_eq!(date_with(0.0, 0).as_deref(), Some("1970/01/01"));
        assert_eq!(date_with(-1.0, 0).as_deref(), Some("1969/12/31"));
        assert_eq!(time_with(-1.0, 0).as_deref(), Some("23:59:59"));
        assert_eq!(date_with(f64::NAN, 0), None);
        assert_eq!(date_time_back_with("2024/02/29", "13:05:09", 0), Some(t));
        assert_eq!(date_time_back_with("2024/03/01", "00:05:09", 11 * 3600), Some(t));
        // mktime normalises a day past the month's end.
        assert_eq!(
            date_time_back_with("2023/02/29", "00:00:00", 0),
            date_time_back_with("2023/03/01", "00:00:00", 0)
        );
        for (d, h) in
            [("2024-02-29", "13:05:09"), ("2024/13/01", "00:00:00"), ("2024/02/29", "25:00:00"), ("", "")]
        {
            assert_eq!(date_time_back_with(d, h, 0), None, "{d} {h}");
        }
        for days in [-800_000, -1, 0, 59, 60, 365, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn table_entries_keep_nut_s_shapes() {
        let var = |name: &str| VARS.iter().filter(|m| m.var == name).collect::<Vec<_>>();
        // Writable settings with NUT's string lengths.
        let low = var("battery.charge.low");
        assert_eq!((low[0].flags & RW != 0, low[0].len), (true, 5));
        assert_eq!(low[1].flags & (RW | STATIC), STATIC, "RemainingCapacityLimit is read only");
        let nominal = var("output.voltage.nominal")[0];
        assert_eq!(nominal.flags & (RW | ENUM | SEMI), RW | ENUM | SEMI);
        assert_eq!(nominal.conv, Conv::Fun(NOMINAL_OUTPUT_VOLTAGE));
        assert_eq!(var("ups.shutdown")[0].conv, Conv::Lookup(EATON_ENABLE_DISABLE_INFO));
        // The ABM bookkeeping entries publish nothing.
        for v in ["battery.charger.abm.status", "battery.charger.mode.status", "battery.charger.type.status"]
        {
            let Conv::Fun(f) = var(v)[0].conv else { panic!("{v}") };
            assert_eq!((f.fun)(1.0), None, "{v}");
        }
        // Every writable entry is also a string of a known length, except the ABSENT ones'
        // server-side texts.
        for m in VARS.iter().filter(|m| m.flags & RW != 0) {
            assert!(m.flags & STRING != 0 && m.len > 0, "{}", m.var);
        }
        // Commands: each has a numeric value or a configured delay.
        for c in CMDS {
            assert!(
                c.value.parse::<i64>().is_ok() || ["offdelay", "ondelay"].contains(&c.value),
                "{}",
                c.cmd
            );
        }
    }

    #[test]
    fn the_state_carries_from_entry_to_entry_as_in_nut() {
        let none = BTreeMap::new();
        let ctx = Context { vars: &none, off: false, utc_offset: 0 };
        let funs: Vec<ConvFn> =
            VARS.iter().filter_map(|m| if let Conv::Fun(f) = m.conv { Some(f) } else { None }).collect();
        let by =
            |name: &str| *funs.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name} in VARS"));
        // The UPS says ABM is enabled, on the Charger.Status path, charger "floating" (2).
        let mut s = MgeState::default();
        assert_eq!(s.convert(&by("eaton_abm_enabled_info"), 1.0, &ctx), None);
        assert_eq!(s.convert(&by("eaton_abm_path_status_info"), 2.0, &ctx), None);
        assert_eq!(s.convert(&by("eaton_abm_status_info"), 2.0, &ctx).as_deref(), Some("floating"));
        assert_eq!(s.convert(&by("eaton_abm_chrg_dischrg_info"), 2.0, &ctx).as_deref(), Some("chrg"));
        assert_eq!(s.convert(&EATON_CHARGING, 1.0, &ctx).as_deref(), Some("!chrg"));
        // The model family decides what PowerSummary.Voltage and the Pegasus entries give.
        s.model = ModelType::PEGASUS;
        assert_eq!(s.convert(&by("pegasus_threshold_info"), 25.0, &ctx).as_deref(), Some("25"));
        assert_eq!(s.convert(&by("mge_battery_voltage"), 13.6, &ctx), None);
        s.model = ModelType::EATON_5P;
        assert_eq!(s.convert(&by("mge_battery_voltage"), 13.6, &ctx).as_deref(), Some("13.6"));
        // The nominal output voltage keeps the first value as its reference.
        assert_eq!(s.convert(&NOMINAL_OUTPUT_VOLTAGE, 120.0, &ctx).as_deref(), Some("120"));
        assert_eq!(s.convert(&NOMINAL_OUTPUT_VOLTAGE, 230.0, &ctx), None);
        // Other variables and the OFF bit.
        let published = vars(&[("ups.load", "16"), ("ups.power.nominal", "650"), ("ups.time", "13:05:09")]);
        let ctx = Context { vars: &published, off: true, utc_offset: 0 };
        assert_eq!(s.convert(&by("eaton_compute_realpower_info"), 650.0, &ctx).as_deref(), Some("83"));
        assert_eq!(s.convert(&EATON_CONVERTER_ONLINE, 0.0, &ctx), None);
        assert_eq!(s.convert_back(&MGE_DATE_CONVERSION, "2024/02/29", &ctx), Some(1_709_211_909.0));
        // Plain functions go through as they are.
        assert_eq!(s.convert(&MGE_POWERFACTOR_CONVERSION, 85.0, &ctx).as_deref(), Some("0.85"));
        assert_eq!(s.convert_back(&EATON_INPUT_ECO_MODE_ON_OFF, "ESS", &ctx), Some(2.0));
        // Every function of the table is one convert() knows or a plain one.
        let plain = ["mge_battery_capacity", "mge_powerfactor_conversion"];
        for f in &funs {
            let named = CONTEXT_FUNCTIONS.contains(&f.name) || plain.contains(&f.name);
            assert!(named, "{}", f.name);
        }
    }
}
