//! APC (051d): NUT 2.8.5's `apc-hid` subdriver ("APC HID 0.101") as data: its usage names,
//! its whole `apc_hid2nut` table in NUT's order, its lookup tables and conversion functions,
//! the model/firmware split of `apc_format_model` and `apc_fix_report_desc`.

use nut_hid::{Descriptor, UsageTable};

use super::nut_lookups::BEEPER_INFO;
use super::nut_lookups::{
    BoolInfo, CHARGING_INFO, DISCHARGING_INFO, LOWBATT_INFO, NOBATTERY_INFO, ONLINE_INFO, OVERLOAD_INFO,
    REPLACEBATT_INFO, SHUTDOWNIMM_INFO, TEST_READ_INFO, TIMELIMITEXPIRED_INFO,
};
use super::StatusBit::{FrequencyRange, Off, VoltageRange};
use super::{cmd, conv, flag, fun, num, stmap, CmdMap, Conv, ConvFn, Identity, Names, Subdriver, VarMap};
use crate::transport::DeviceInfo;

/// NUT's usage names for this vendor (`nut_hid::usage::APC`, from NUT's `*_usage_lkp`).
pub const USAGES: UsageTable = nut_hid::usage::APC;

/// NUT's `apc_date_conversion`: APC writes dates as hexadecimal digits read as decimal,
/// 0xMMDDYY (0x102202 = 2002/10/22); years before 70 are 20xx. 0 is "not set".
pub fn apc_date(value: f64) -> Option<String> {
    let v = value as i64;
    if v == 0 {
        return Some("not set".into());
    }
    let digit = |shift: u32| (v >> shift) & 0xf;
    let mut year = digit(0) + 10 * digit(4);
    let month = digit(16) + 10 * digit(20);
    let day = digit(8) + 10 * digit(12);
    year += if year >= 70 { 1900 } else { 2000 };
    Some(format!("{year:04}/{month:02}/{day:02}"))
}

/// The inverse of [`apc_date`] (`apc_date_conversion_reverse`): `YYYY/MM/DD` to 0xMMDDYY.
/// As in NUT, a year from 2070, a month above 12 or a day above 31 gives 0; text that is not
/// a date is refused.
pub fn apc_date_reverse(text: &str) -> Option<f64> {
    let mut parts = text.trim().splitn(3, '/').map(|p| p.trim().parse::<i64>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(day))) = (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if year >= 2070 || month > 12 || day > 31 {
        return Some(0.0);
    }
    let year = year % 100;
    let bcd = |n: i64| (((n / 10) & 0x0f) << 4) + n % 10;
    Some(((bcd(month) << 16) + (bcd(day) << 8) + bcd(year)) as f64)
}

/// NUT's `apc_date_conversion` lookup table.
pub const APC_DATE_CONVERSION: ConvFn =
    ConvFn { name: "apc_date_conversion", fun: apc_date, nuf: Some(apc_date_reverse), rows: &[] };

/// NUT's `apcstatusflag_info` (seen on a Back-UPS LS 500): 8 and 16 mean running, 0 off.
pub const APCSTATUSFLAG_INFO: BoolInfo = &[(8, &[(Off, false)]), (16, &[(Off, false)]), (0, &[(Off, true)])];

/// NUT's `apc_linefailcause_vrange_info`: the last transfer was for the input voltage.
pub const APC_LINEFAILCAUSE_VRANGE_INFO: BoolInfo = &[
    (1, &[(VoltageRange, true)]),
    (2, &[(VoltageRange, true)]),
    (4, &[(VoltageRange, true)]),
    (8, &[(VoltageRange, true)]),
    (9, &[(VoltageRange, true)]),
    (0, &[(VoltageRange, false)]),
];

/// NUT's `apc_linefailcause_frange_info`: the last transfer was for the input frequency.
pub const APC_LINEFAILCAUSE_FRANGE_INFO: BoolInfo =
    &[(7, &[(FrequencyRange, true)]), (0, &[(FrequencyRange, false)])];

/// NUT's `apc_sensitivity_info`.
pub const APC_SENSITIVITY_INFO: &[(i64, &str)] = &[(0, "low"), (1, "medium"), (2, "high")];

const QUICK: u8 = flag::QUICK_POLL;
const SEMI: u8 = flag::SEMI_STATIC;
const RW_STRING: u8 = flag::RW | flag::STRING;

/// A writable string variable of NUT's table (`ST_FLAG_RW | ST_FLAG_STRING`, length 10).
const fn rw10(var: &'static str, path: &'static str, fmt: &'static str) -> VarMap {
    num(var, path, fmt).with_flags(RW_STRING | SEMI).with_len(10)
}

/// `HU_FLAG_ABSENT` delays: published with the configured default when the path exists.
const fn delay(var: &'static str, path: &'static str, which: &'static str) -> VarMap {
    super::absent(var, path, which).with_len(10)
}

/// NUT's `apc_hid2nut`, variables and status entries in NUT's order.
pub const VARS: &[VarMap] = &[
    // Battery page
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    rw10("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    num("battery.runtime", "UPS.Battery.RunTimeToEmpty", "%.0f"),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    rw10("battery.runtime.low", "UPS.Battery.RemainingTimeLimit", "%.0f"),
    rw10("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f"),
    num("battery.voltage", "UPS.Battery.Voltage", "%.1f"),
    num("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    num("battery.voltage.nominal", "UPS.Battery.ConfigVoltage", "%.1f"),
    num("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f"),
    conv("battery.temperature", "UPS.Battery.Temperature", Conv::KelvinToCelsius),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId),
    conv("battery.mfr.date", "UPS.Battery.ManufacturerDate", Conv::Date)
        .with_flags(RW_STRING | SEMI)
        .with_len(10),
    fun("battery.mfr.date", "UPS.PowerSummary.APCBattReplaceDate", APC_DATE_CONVERSION),
    fun("battery.date", "UPS.Battery.APCBattReplaceDate", APC_DATE_CONVERSION),
    // UPS page
    num("ups.load", "UPS.Output.PercentLoad", "%.1f"),
    num("ups.load", "UPS.PowerConverter.PercentLoad", "%.0f"),
    delay("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    delay("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    num("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f").with_flags(QUICK),
    num("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").with_flags(QUICK),
    num("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f").with_flags(QUICK),
    // used by APC SmartUPS RM
    delay("ups.delay.start", "UPS.Output.DelayBeforeStartup", "ondelay"),
    delay("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", "offdelay"),
    num("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f").with_flags(QUICK),
    num("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f").with_flags(QUICK),
    num("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f").with_flags(QUICK),
    // used by APC BackUPS ES
    delay("ups.delay.start", "UPS.APCGeneralCollection.APCDelayBeforeStartup", "ondelay"),
    delay("ups.delay.shutdown", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "offdelay"),
    num("ups.timer.start", "UPS.APCGeneralCollection.APCDelayBeforeStartup", "%.0f").with_flags(QUICK),
    num("ups.timer.shutdown", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "%.0f").with_flags(QUICK),
    num("ups.timer.reboot", "UPS.APCGeneralCollection.APCDelayBeforeReboot", "%.0f").with_flags(QUICK),
    conv("ups.test.result", "UPS.Battery.Test", Conv::Lookup(TEST_READ_INFO)),
    conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO)),
    conv("ups.mfr.date", "UPS.ManufacturerDate", Conv::Date),
    conv("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", Conv::Date),
    num("ups.realpower.nominal", "UPS.PowerConverter.ConfigActivePower", "%.0f"),
    num("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    // ups.status and ups.alarm
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO),
    stmap("UPS.PowerSummary.PresentStatus.BatteryPresent", NOBATTERY_INFO),
    stmap("UPS.PowerSummary.Charging", CHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.Discharging", DISCHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.ACPresent", ONLINE_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.ShutdownImminent", SHUTDOWNIMM_INFO),
    stmap("UPS.PowerSummary.APCStatusFlag", APCSTATUSFLAG_INFO).with_flags(QUICK),
    // input.transfer.reason: the same usage twice, to clear both vrange and frange
    stmap("UPS.Input.APCLineFailCause", APC_LINEFAILCAUSE_VRANGE_INFO),
    stmap("UPS.Input.APCLineFailCause", APC_LINEFAILCAUSE_FRANGE_INFO),
    // Input page
    num("input.voltage", "UPS.Input.Voltage", "%.1f"),
    num("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    rw10("input.transfer.low", "UPS.Output.LowVoltageTransfer", "%.0f"),
    rw10("input.transfer.high", "UPS.Output.HighVoltageTransfer", "%.0f"),
    // used by APC BackUPS RS
    rw10("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f"),
    rw10("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f"),
    conv("input.sensitivity", "UPS.Input.APCSensitivity", Conv::Lookup(APC_SENSITIVITY_INFO))
        .with_flags(RW_STRING | SEMI)
        .with_len(10),
    // Output page
    num("output.voltage", "UPS.Output.Voltage", "%.1f"),
    num("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.1f"),
    num("output.current", "UPS.Output.Current", "%.2f"),
    num("output.frequency", "UPS.Output.Frequency", "%.1f"),
    // Environmental page
    conv("ambient.temperature", "UPS.APCEnvironment.APCProbe1.Temperature", Conv::KelvinToCelsius),
    num("ambient.humidity", "UPS.APCEnvironment.APCProbe1.Humidity", "%.1f"),
];

/// The instant commands of `apc_hid2nut`, in NUT's order. `beeper.on`/`beeper.off` are
/// NUT's old names, which it runs as `beeper.enable`/`beeper.disable`.
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("test.battery.start.quick", "UPS.Battery.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    cmd("test.battery.start.deep", "UPS.Battery.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    cmd("test.battery.stop", "UPS.Battery.Test", "3"),
    cmd("test.panel.start", "UPS.APCPanelTest", "1"),
    cmd("test.panel.stop", "UPS.APCPanelTest", "0"),
    cmd("test.panel.start", "UPS.PowerSummary.APCPanelTest", "1"),
    cmd("test.panel.stop", "UPS.PowerSummary.APCPanelTest", "0"),
    // USB HID PDC defaults
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "20"),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "30"),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10"),
    // used by APC SmartUPS RM
    cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", "20"),
    cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", "30"),
    cmd("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10"),
    // used by APC BackUPS ES
    cmd("load.off.delay", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "20"),
    cmd("load.on.delay", "UPS.APCGeneralCollection.APCDelayBeforeStartup", "30"),
    cmd("shutdown.stop", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.APCGeneralCollection.APCDelayBeforeReboot", "10"),
    // used by APC BackUPS CS
    cmd("shutdown.return", "UPS.Output.APCDelayBeforeReboot", "1"),
    cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

/// What `apc_format_model` makes of the USB product string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApcModel {
    /// `ups.model`.
    pub model: String,
    /// `ups.firmware`: the text after "FW:" (up to " USB FW:").
    pub firmware: Option<String>,
    /// `ups.firmware.aux`: the text after "USB FW:".
    pub firmware_aux: Option<String>,
}

/// NUT's `apc_format_model`: APC products read "Back-UPS 500 FW: 6.5.I USB FW: c1 "; the model
/// is what comes before " FW:", the firmware versions follow (spaces kept, as NUT publishes
/// them). NUT works on a 64-byte copy, so only the first 63 bytes count; no product string is
/// "unknown".
pub fn format_model(product: Option<&str>) -> ApcModel {
    let mut s = product.unwrap_or("unknown").to_string();
    if s.len() > 63 {
        let mut cut = 63;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    // NUT cuts the character before each marker (normally a space).
    let before = |t: &str, at: usize| {
        let mut head = t[..at].to_string();
        head.pop();
        head
    };
    let Some(fw) = s.find("FW:") else {
        return ApcModel { model: s, firmware: None, firmware_aux: None };
    };
    let model = before(&s, fw);
    let rest = &s[fw + 3..];
    let (firmware, firmware_aux) = match rest.find("USB FW:") {
        Some(usb) => (before(rest, usb), Some(rest[usb + 7..].to_string())),
        None => (rest.to_string(), None),
    };
    ApcModel { model, firmware: Some(firmware), firmware_aux }
}

const USAGE_POW_VOLTAGE: u32 = 0x0084_0030;
const USAGE_POW_CONFIG_VOLTAGE: u32 = 0x0084_0040;
const USAGE_POW_HIGH_VOLTAGE_TRANSFER: u32 = 0x0084_0054;

/// NUT's `FindObject_with_ID_Node`: the first field (any report type) with this report id
/// whose own usage is `usage`.
pub(crate) fn find_field(d: &mut Descriptor, id: u8, usage: u32) -> Option<&mut nut_hid::Field> {
    d.fields.iter_mut().find(|f| f.report_id == id && f.usage() == usage)
}

/// NUT's `apc_fix_report_desc`, for 051d:0002 only: the Back-UPS XS 1400U (and kin) in the
/// 220-240 V region declare input voltage ranges below their own high transfer voltage. When
/// the high transfer voltage (report 0x33) can exceed the input voltage maximum (report 0x31),
/// the input voltage range becomes 0..2*that maximum; when it exceeds the nominal input
/// voltage maximum (report 0x30), that maximum becomes 255. Returns the number of fixes.
pub fn fix_report_desc(dev: &DeviceInfo, d: &mut Descriptor) -> usize {
    if dev.vendor_id != 0x051d || dev.product_id != 0x0002 {
        return 0;
    }
    let Some(hvt_max) = find_field(d, 0x33, USAGE_POW_HIGH_VOLTAGE_TRANSFER).map(|f| f.logical_max) else {
        return 0;
    };
    let mut fixes = 0;
    if let Some(v) = find_field(d, 0x31, USAGE_POW_VOLTAGE) {
        if hvt_max > v.logical_max {
            v.logical_min = 0;
            v.logical_max = hvt_max * 2;
            fixes += 1;
        }
    }
    if let Some(c) = find_field(d, 0x30, USAGE_POW_CONFIG_VOLTAGE) {
        if hvt_max > c.logical_max {
            c.logical_max = 255;
            fixes += 1;
        }
    }
    fixes
}

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "APC HID 0.101",
    usages: &[USAGES],
    vars: VARS,
    cmds: CMDS,
    mfr: "APC",
    common: false,
    fix_report_desc: Some(fix_report_desc),
    identity: Some(identity),
    state: None,
};

/// NUT's `apc_format_mfr` (the USB manufacturer string, else "APC"), `apc_format_model`
/// ([`format_model`]: the model, and `ups.firmware` / `ups.firmware.aux` split off the
/// product string) and `apc_format_serial` (the USB serial string).
pub fn identity(id: &mut Identity<'_>) -> Names {
    let m = format_model(id.product);
    let mut extra = Vec::new();
    if let Some(aux) = m.firmware_aux {
        extra.push(("ups.firmware.aux", aux));
    }
    if let Some(fw) = m.firmware {
        extra.push(("ups.firmware", fw));
    }
    Names {
        mfr: Some(id.vendor.unwrap_or("APC").to_string()),
        model: Some(m.model),
        serial: id.serial.map(str::to_string),
        extra,
        family: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apc_dates() {
        // Back-UPS CS 500 (nut-ddl APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev):
        // APCBattReplaceDate 459524 = 0x070304 is battery.mfr.date 2004/07/03.
        assert_eq!(apc_date(459524.0).as_deref(), Some("2004/07/03"));
        // NUT's own example: 0x102202 = 2002/10/22; years from 70 are 19xx.
        assert_eq!(apc_date(f64::from(0x102202)).as_deref(), Some("2002/10/22"));
        assert_eq!(apc_date(f64::from(0x123199)).as_deref(), Some("1999/12/31"));
        assert_eq!(apc_date(0.0).as_deref(), Some("not set"));
        assert_eq!(apc_date_reverse("2004/07/03"), Some(459524.0));
        assert_eq!(apc_date_reverse("2002/10/22"), Some(f64::from(0x102202)));
        assert_eq!(apc_date_reverse("2070/01/01"), Some(0.0));
        assert_eq!(apc_date_reverse("2004/13/01"), Some(0.0));
        assert_eq!(apc_date_reverse("soon"), None);
        for d in ["2004/07/03", "1999/12/31", "2069/01/31"] {
            assert_eq!(apc_date(apc_date_reverse(d).expect("date")).as_deref(), Some(d));
        }
    }

    #[test]
    fn model_and_firmware_from_the_product_string() {
        // nut-ddl APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev: product
        // "Back-UPS 500 FW: 6.5.I USB FW: c1 " gives these three variables.
        assert_eq!(
            format_model(Some("Back-UPS 500 FW: 6.5.I USB FW: c1 ")),
            ApcModel {
                model: "Back-UPS 500".into(),
                firmware: Some(" 6.5.I".into()),
                firmware_aux: Some(" c1 ".into())
            }
        );
        assert_eq!(
            format_model(Some("Smart-UPS X 750")),
            ApcModel { model: "Smart-UPS X 750".into(), firmware: None, firmware_aux: None }
        );
        assert_eq!(format_model(Some("X FW:1")).firmware.as_deref(), Some("1"));
        assert_eq!(format_model(Some("FW:1")).model, "");
        assert_eq!(format_model(None).model, "unknown");
        assert_eq!(format_model(Some(&"é".repeat(40))).model.len(), 62);
    }

    #[test]
    fn sensitivity_and_status_tables_are_nuts() {
        assert_eq!(
            APC_SENSITIVITY_INFO.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
            ["low", "medium", "high"]
        );
        let vr: Vec<i64> =
            APC_LINEFAILCAUSE_VRANGE_INFO.iter().filter(|(_, b)| b[0].1).map(|(v, _)| *v).collect();
        assert_eq!(vr, [1, 2, 4, 8, 9]);
    }
}
