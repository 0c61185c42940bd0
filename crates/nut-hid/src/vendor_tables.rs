// Vendor usage tables, included by `usage.rs`. Each name is one NUT printed for this usage in a
// recorded log of a device handled by that subdriver (see tests/data/SOURCES.md); usages NUT
// left unnamed in those logs are deliberately absent so that our paths print the same hex.

/// MGE/Eaton vendor page 0xFFFF (NUT's `mge-hid` subdriver, also used for Phoenixtec 06da).
pub const MGE: UsageTable = &[
    (0xffff_0010, "Phase"),
    (0xffff_0014, "Inverter"),
    (0xffff_0022, "OverallAlarm"),
    (0xffff_0041, "ConverterType"),
    (0xffff_0042, "FrequencyConverterMode"),
    (0xffff_0043, "AutomaticRestart"),
    (0xffff_0046, "EnergySaving"),
    (0xffff_0047, "StartOnBattery"),
    (0xffff_004a, "ShortCircuit"),
    (0xffff_004d, "RemainingCapacityLimitSetting"),
    (0xffff_004f, "FrequencyConverterModeSetting"),
    (0xffff_0054, "OverloadTransferEnable"),
    (0xffff_0057, "LowVoltageBypassTransfer"),
    (0xffff_0058, "HighVoltageBypassTransfer"),
    (0xffff_005a, "LowVoltageEcoTransfer"),
    (0xffff_005b, "HighVoltageEcoTransfer"),
    (0xffff_005e, "StartupTimer"),
    (0xffff_0072, "ControlStandby"),
    (0xffff_0074, "VoltageTooHigh"),
    (0xffff_0075, "VoltageTooLow"),
    (0xffff_0077, "FanFailure"),
    (0xffff_0078, "WiringFault"),
    (0xffff_0079, "Floating"),
    (0xffff_0090, "Count"),
    (0xffff_0094, "Mode"),
    (0xffff_0095, "Country"),
    (0xffff_0098, "Code"),
    (0xffff_00e9, "Status"),
    (0xffff_00f0, "iModel"),
    (0xffff_00f1, "iVersion"),
    (0xffff_00f2, "iTechnicalLevel"),
    (0xffff_00f4, "iReferenceNumber"),
];

/// APC vendor page 0xFF86 (NUT's `apc-hid` subdriver).
pub const APC: UsageTable = &[
    (0xff86_0005, "APCGeneralCollection"),
    (0xff86_0016, "APCBattReplaceDate"),
    (0xff86_0042, "APC_UPS_FirmwareRevision"),
    (0xff86_0052, "APCLineFailCause"),
    (0xff86_0060, "APCStatusFlag"),
    (0xff86_0061, "APCSensitivity"),
    (0xff86_0072, "APCPanelTest"),
    (0xff86_007c, "APCDelayBeforeReboot"),
    (0xff86_007d, "APCDelayBeforeShutdown"),
];

/// Powercom vendor usages (NUT's `powercom-hid` subdriver).
pub const POWERCOM: UsageTable = &[(0xff86_0080, "POWERCOM3")];

/// Delta/Minuteman vendor page 0xFFFF (NUT's `delta_ups-hid` subdriver).
pub const DELTA: UsageTable = &[
    (0xffff_0056, "DELTA4"),
    (0xffff_0075, "DeltaModelName"),
    (0xffff_0076, "DELTA19"),
    (0xffff_007c, "DeltaUPSType"),
    (0xffff_007d, "DELTA21"),
    (0xffff_0081, "DeltaConfigStartPowerRestoreDelay"),
    (0xffff_0091, "DeltaOutputSource"),
    (0xffff_0093, "DELTA25"),
    (0xffff_0095, "DELTA27"),
    (0xffff_0096, "DELTA28"),
    (0xffff_0098, "DELTA30"),
    (0xffff_0099, "DELTA31"),
    (0xffff_009a, "DELTA32"),
    (0xffff_009c, "DeltaConfigStartPowerRestore"),
];

/// The vendor tables NUT's subdriver for this USB vendor id uses (empty for vendors whose
/// subdrivers name nothing beyond the standard pages).
pub fn tables_for_vendor(vendor_id: u16) -> &'static [UsageTable] {
    match vendor_id {
        0x0463 | 0x06da => &[MGE],
        0x051d => &[APC],
        0x0d9f => &[POWERCOM],
        0x05dd => &[DELTA],
        _ => &[],
    }
}
