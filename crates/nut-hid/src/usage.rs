//! Usage names: the standard Power Device (0x84) and Battery System (0x85) pages with the
//! names NUT uses, and the vendor tables of NUT's subdrivers.
//!
//! NUT looks a usage up in the subdriver's vendor table first, then in the standard table, and
//! prints an unknown usage as 8 lower-case hex digits (`ffff00e2`). Index nodes `0x00FF00nn`
//! print as `[nn]`. The vendor names here are the ones NUT prints in the recorded logs.

/// A usage name table: (32-bit usage, name).
pub type UsageTable = &'static [(u32, &'static str)];

/// Power Device page (0x84) and Battery System page (0x85), NUT's names.
pub const STANDARD: UsageTable = &[
    // Power Device page.
    (0x0084_0000, "Undefined"),
    (0x0084_0001, "iName"),
    (0x0084_0002, "PresentStatus"),
    (0x0084_0003, "ChangedStatus"),
    (0x0084_0004, "UPS"),
    (0x0084_0005, "PowerSupply"),
    (0x0084_0010, "BatterySystem"),
    (0x0084_0011, "BatterySystemID"),
    (0x0084_0012, "Battery"),
    (0x0084_0013, "BatteryID"),
    (0x0084_0014, "Charger"),
    (0x0084_0015, "ChargerID"),
    (0x0084_0016, "PowerConverter"),
    (0x0084_0017, "PowerConverterID"),
    (0x0084_0018, "OutletSystem"),
    (0x0084_0019, "OutletSystemID"),
    (0x0084_001a, "Input"),
    (0x0084_001b, "InputID"),
    (0x0084_001c, "Output"),
    (0x0084_001d, "OutputID"),
    (0x0084_001e, "Flow"),
    (0x0084_001f, "FlowID"),
    (0x0084_0020, "Outlet"),
    (0x0084_0021, "OutletID"),
    (0x0084_0022, "Gang"),
    (0x0084_0023, "GangID"),
    (0x0084_0024, "PowerSummary"),
    (0x0084_0025, "PowerSummaryID"),
    (0x0084_0030, "Voltage"),
    (0x0084_0031, "Current"),
    (0x0084_0032, "Frequency"),
    (0x0084_0033, "ApparentPower"),
    (0x0084_0034, "ActivePower"),
    (0x0084_0035, "PercentLoad"),
    (0x0084_0036, "Temperature"),
    (0x0084_0037, "Humidity"),
    (0x0084_0038, "BadCount"),
    (0x0084_0040, "ConfigVoltage"),
    (0x0084_0041, "ConfigCurrent"),
    (0x0084_0042, "ConfigFrequency"),
    (0x0084_0043, "ConfigApparentPower"),
    (0x0084_0044, "ConfigActivePower"),
    (0x0084_0045, "ConfigPercentLoad"),
    (0x0084_0046, "ConfigTemperature"),
    (0x0084_0047, "ConfigHumidity"),
    (0x0084_0050, "SwitchOnControl"),
    (0x0084_0051, "SwitchOffControl"),
    (0x0084_0052, "ToggleControl"),
    (0x0084_0053, "LowVoltageTransfer"),
    (0x0084_0054, "HighVoltageTransfer"),
    (0x0084_0055, "DelayBeforeReboot"),
    (0x0084_0056, "DelayBeforeStartup"),
    (0x0084_0057, "DelayBeforeShutdown"),
    (0x0084_0058, "Test"),
    (0x0084_0059, "ModuleReset"),
    (0x0084_005a, "AudibleAlarmControl"),
    (0x0084_0060, "Present"),
    (0x0084_0061, "Good"),
    (0x0084_0062, "InternalFailure"),
    (0x0084_0063, "VoltageOutOfRange"),
    (0x0084_0064, "FrequencyOutOfRange"),
    (0x0084_0065, "Overload"),
    (0x0084_0066, "OverCharged"),
    (0x0084_0067, "OverTemperature"),
    (0x0084_0068, "ShutdownRequested"),
    (0x0084_0069, "ShutdownImminent"),
    (0x0084_006b, "SwitchOn/Off"),
    (0x0084_006c, "Switchable"),
    (0x0084_006d, "Used"),
    (0x0084_006e, "Boost"),
    (0x0084_006f, "Buck"),
    (0x0084_0070, "Initialized"),
    (0x0084_0071, "Tested"),
    (0x0084_0072, "AwaitingPower"),
    (0x0084_0073, "CommunicationLost"),
    (0x0084_00fd, "iManufacturer"),
    (0x0084_00fe, "iProduct"),
    (0x0084_00ff, "iSerialNumber"),
    // Battery System page.
    (0x0085_0000, "Undefined"),
    (0x0085_0001, "SMBBatteryMode"),
    (0x0085_0002, "SMBBatteryStatus"),
    (0x0085_0003, "SMBAlarmWarning"),
    (0x0085_0004, "SMBChargerMode"),
    (0x0085_0005, "SMBChargerStatus"),
    (0x0085_0006, "SMBChargerSpecInfo"),
    (0x0085_0007, "SMBSelectorState"),
    (0x0085_0008, "SMBSelectorPresets"),
    (0x0085_0009, "SMBSelectorInfo"),
    (0x0085_0010, "OptionalMfgFunction1"),
    (0x0085_0011, "OptionalMfgFunction2"),
    (0x0085_0012, "OptionalMfgFunction3"),
    (0x0085_0013, "OptionalMfgFunction4"),
    (0x0085_0014, "OptionalMfgFunction5"),
    (0x0085_0015, "ConnectionToSMBus"),
    (0x0085_0016, "OutputConnection"),
    (0x0085_0017, "ChargerConnection"),
    (0x0085_0018, "BatteryInsertion"),
    (0x0085_0019, "Usenext"),
    (0x0085_001a, "OKToUse"),
    (0x0085_001b, "BatterySupported"),
    (0x0085_001c, "SelectorRevision"),
    (0x0085_001d, "ChargingIndicator"),
    (0x0085_0028, "ManufacturerAccess"),
    (0x0085_0029, "RemainingCapacityLimit"),
    (0x0085_002a, "RemainingTimeLimit"),
    (0x0085_002b, "AtRate"),
    (0x0085_002c, "CapacityMode"),
    (0x0085_002d, "BroadcastToCharger"),
    (0x0085_002e, "PrimaryBattery"),
    (0x0085_002f, "ChargeController"),
    (0x0085_0040, "TerminateCharge"),
    (0x0085_0041, "TerminateDischarge"),
    (0x0085_0042, "BelowRemainingCapacityLimit"),
    (0x0085_0043, "RemainingTimeLimitExpired"),
    (0x0085_0044, "Charging"),
    (0x0085_0045, "Discharging"),
    (0x0085_0046, "FullyCharged"),
    (0x0085_0047, "FullyDischarged"),
    (0x0085_0048, "ConditioningFlag"),
    (0x0085_0049, "AtRateOK"),
    (0x0085_004a, "SMBErrorCode"),
    (0x0085_004b, "NeedReplacement"),
    (0x0085_0060, "AtRateTimeToFull"),
    (0x0085_0061, "AtRateTimeToEmpty"),
    (0x0085_0062, "AverageCurrent"),
    (0x0085_0063, "Maxerror"),
    (0x0085_0064, "RelativeStateOfCharge"),
    (0x0085_0065, "AbsoluteStateOfCharge"),
    (0x0085_0066, "RemainingCapacity"),
    (0x0085_0067, "FullChargeCapacity"),
    (0x0085_0068, "RunTimeToEmpty"),
    (0x0085_0069, "AverageTimeToEmpty"),
    (0x0085_006a, "AverageTimeToFull"),
    (0x0085_006b, "CycleCount"),
    (0x0085_0080, "BattPackModelLevel"),
    (0x0085_0081, "InternalChargeController"),
    (0x0085_0082, "PrimaryBatterySupport"),
    (0x0085_0083, "DesignCapacity"),
    (0x0085_0084, "SpecificationInfo"),
    (0x0085_0085, "ManufacturerDate"),
    (0x0085_0086, "SerialNumber"),
    (0x0085_0087, "iManufacturerName"),
    (0x0085_0088, "iDevicename"),
    (0x0085_0089, "iDeviceChemistry"),
    (0x0085_008a, "ManufacturerData"),
    (0x0085_008b, "Rechargeable"),
    (0x0085_008c, "WarningCapacityLimit"),
    (0x0085_008d, "CapacityGranularity1"),
    (0x0085_008e, "CapacityGranularity2"),
    (0x0085_008f, "iOEMInformation"),
    (0x0085_00c0, "InhibitCharge"),
    (0x0085_00c1, "EnablePolling"),
    (0x0085_00c2, "ResetToZero"),
    (0x0085_00d0, "ACPresent"),
    (0x0085_00d1, "BatteryPresent"),
    (0x0085_00d2, "PowerFail"),
    (0x0085_00d3, "AlarmInhibited"),
    (0x0085_00d4, "ThermistorUnderRange"),
    (0x0085_00d5, "ThermistorHot"),
    (0x0085_00d6, "ThermistorCold"),
    (0x0085_00d7, "ThermistorOverRange"),
    (0x0085_00d8, "VoltageOutOfRange"),
    (0x0085_00d9, "CurrentOutOfRange"),
    (0x0085_00da, "CurrentNotRegulated"),
    (0x0085_00db, "VoltageNotRegulated"),
    (0x0085_00dc, "MasterMode"),
    (0x0085_00f0, "ChargerSelectorSupport"),
    (0x0085_00f1, "ChargerSpec"),
    (0x0085_00f2, "Level2"),
    (0x0085_00f3, "Level3"),
];

include!("vendor_tables.rs");

/// Look a usage up in `tables` (first match wins), then in [`STANDARD`].
pub fn name(usage: u32, tables: &[UsageTable]) -> Option<&'static str> {
    tables
        .iter()
        .chain(std::iter::once(&STANDARD))
        .find_map(|t| t.iter().find(|(u, _)| *u == usage).map(|(_, n)| *n))
}

/// Find a usage by name (the inverse of [`name`]), for subdriver tables written as paths. As
/// NUT's `string_to_path`: a name known to the tables first (compared without regard to case),
/// else a string of hex digits (`ffff00e2`, `ff86`) is the usage itself.
pub fn by_name(name: &str, tables: &[UsageTable]) -> Option<u32> {
    let known = tables
        .iter()
        .chain(std::iter::once(&STANDARD))
        .find_map(|t| t.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(u, _)| *u));
    if known.is_some() {
        return known;
    }
    if !name.is_empty() && name.len() <= 8 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return u32::from_str_radix(name, 16).ok();
    }
    None
}

/// NUT's path string: names joined by dots (a table name first, even for an index node),
/// `[n]` for index nodes, `%08x` for unknown usages.
pub fn path_to_string(path: &[u32], tables: &[UsageTable]) -> String {
    let mut out = String::new();
    for (i, &node) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if let Some(n) = name(node, tables) {
            out.push_str(n);
        } else if node & 0xFFFF_0000 == 0x00FF_0000 {
            out.push_str(&format!("[{}]", node & 0xFFFF));
        } else {
            out.push_str(&format!("{node:08x}"));
        }
    }
    out
}

/// Parse a path string back to nodes; `None` if a part is neither a known name, nor hex
/// digits, nor an index `[n]`.
pub fn string_to_path(s: &str, tables: &[UsageTable]) -> Option<Vec<u32>> {
    s.split('.')
        .map(|part| {
            if let Some(u) = by_name(part, tables) {
                Some(u)
            } else if let Some(n) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
                n.parse::<u16>().ok().map(|n| 0x00FF_0000 | u32::from(n))
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_indexes_and_unknowns() {
        let p = [0x0084_0004, 0x0084_001e, 0x00ff_0004, 0x0084_0040];
        assert_eq!(path_to_string(&p, &[]), "UPS.Flow.[4].ConfigVoltage");
        assert_eq!(path_to_string(&[0x0084_0004, 0xffff_00e2], &[]), "UPS.ffff00e2");
        assert_eq!(string_to_path("UPS.Flow.[4].ConfigVoltage", &[]), Some(p.to_vec()));
        assert_eq!(string_to_path("UPS.ffff00e2", &[]), Some(vec![0x0084_0004, 0xffff_00e2]));
        // Names are matched without regard to case, as NUT's strcasecmp; short hex is a usage.
        assert_eq!(
            string_to_path("ups.powersummary.ff86", &[]),
            Some(vec![0x0084_0004, 0x0084_0024, 0xff86])
        );
        assert_eq!(string_to_path("UPS.NoSuchName", &[]), None);
    }

    #[test]
    fn vendor_tables_come_first() {
        // Tripp Lite names page 0x84 usages that the standard table names differently.
        assert_eq!(name(0x0084_0044, &[TRIPPLITE]), Some("TLCharging"));
        assert_eq!(name(0x0084_0044, &[]), Some("ConfigActivePower"));
        assert_eq!(by_name("TLACPresent", &[TRIPPLITE]), Some(0x0084_00d0));
        assert_eq!(by_name("TLACPresent", &[]), None);
        assert_eq!(by_name("APCPanelTest", &[APC]), Some(0xff86_0072));
        // Every subdriver table is listed once by NUT's name.
        assert_eq!(BY_SUBDRIVER.len(), 16);
        assert!(BY_SUBDRIVER.iter().all(|(n, _)| !n.is_empty()));
    }
}
