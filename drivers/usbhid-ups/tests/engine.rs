//! The engine's rules, one test per rule of NUT 2.8.5's usbhid-ups.c, on a small synthetic
//! device (a descriptor built here and an in-memory transport that records every request).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nut_hid::ReportType;
use usbhid_ups::hidups::{ActionError, EngineOpts, HidUps, Quirk, Walk};
use usbhid_ups::subdrivers::flag::{ENUM, QUICK_POLL, RW, SEMI_STATIC, STATIC, STRING};
use usbhid_ups::subdrivers::nut_lookups::BEEPER_INFO;
use usbhid_ups::subdrivers::StatusBit::*;
use usbhid_ups::subdrivers::{
    absent, cmd, cmd_conv, conv, fun, num, st, st0, stmap, CmdMap, Conv, ConvFn, DeviceView, StatusBit,
    Subdriver, SubdriverState, VarMap,
};
use usbhid_ups::transport::{DeviceInfo, Transport, TransportError};

/// (report id, usage page, usage, bits, logical min, logical max, constant).
type Spec = (u8, u16, u8, u8, i32, i32, bool);

/// Feature fields under UPS.PowerSummary, each in the given report; report 1 also exists as
/// an Input report (the interrupt pipe's copy).
const FIELDS: &[Spec] = &[
    (1, 0x85, 0xd0, 8, 0, 1, false),       // ACPresent
    (1, 0x85, 0x45, 8, 0, 1, false),       // Discharging
    (1, 0x85, 0x44, 8, 0, 1, false),       // Charging
    (1, 0x84, 0x65, 8, 0, 1, false),       // Overload
    (2, 0x85, 0x66, 8, 0, 100, false),     // RemainingCapacity
    (2, 0x84, 0x5a, 8, 1, 3, false),       // AudibleAlarmControl
    (3, 0x84, 0x57, 16, -1, 32767, false), // DelayBeforeShutdown
    (3, 0x84, 0x56, 16, -1, 32767, false), // DelayBeforeStartup
    (4, 0x85, 0x89, 8, 0, 255, false),     // iDeviceChemistry
    (5, 0x85, 0x29, 8, 0, 100, false),     // RemainingCapacityLimit
    (6, 0x84, 0x30, 16, 0, 500, false),    // Voltage
    (7, 0x84, 0x68, 8, 0, 1, true),        // ShutdownRequested (constant)
    (8, 0x84, 0x6c, 8, 0, 1, false),       // Switchable
    (8, 0x84, 0x6d, 8, 0, 1, false),       // Used
];

fn descriptor() -> Vec<u8> {
    let mut d = vec![0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, 0x09, 0x24, 0xa1, 0x00];
    let field = |d: &mut Vec<u8>, (id, page, usage, bits, lmin, lmax, constant): Spec, main: u8| {
        d.extend_from_slice(&[0x85, id, 0x05, page as u8, 0x09, usage, 0x75, bits, 0x95, 0x01]);
        d.extend_from_slice(&[0x17]);
        d.extend_from_slice(&lmin.to_le_bytes());
        d.extend_from_slice(&[0x27]);
        d.extend_from_slice(&lmax.to_le_bytes());
        d.extend_from_slice(&[main, if constant { 0x03 } else { 0x02 }]);
    };
    for f in FIELDS {
        field(&mut d, *f, 0xb1);
    }
    for f in FIELDS.iter().filter(|f| f.0 == 1) {
        field(&mut d, *f, 0x81);
    }
    d.extend_from_slice(&[0xc0, 0xc0]);
    d
}

/// What the device answers, and what it was asked.
#[derive(Default)]
struct DevState {
    reports: HashMap<u8, Vec<u8>>,
    stall: Vec<u8>,
    reads: Vec<u8>,
    writes: Vec<(u8, Vec<u8>)>,
    events: Vec<Vec<u8>>,
    reconnects: u32,
}

#[derive(Clone, Default)]
struct Dev(Arc<Mutex<DevState>>);

impl Dev {
    fn new() -> Dev {
        let d = Dev::default();
        for (id, r) in [
            (1u8, vec![1u8, 1, 0, 1, 0]),
            (2, vec![2, 80, 2]),
            (3, vec![3, 0xff, 0xff, 0xff, 0xff]),
            (4, vec![4, 5]),
            (5, vec![5, 20]),
            (6, vec![6, 0xe6, 0x00]),
            (7, vec![7, 0]),
            (8, vec![8, 1, 0]),
        ] {
            d.set(id, r);
        }
        d
    }
    fn set(&self, id: u8, r: Vec<u8>) {
        self.0.lock().expect("lock").reports.insert(id, r);
    }
    fn byte(&self, id: u8, i: usize, v: u8) {
        self.0.lock().expect("lock").reports.get_mut(&id).expect("report")[i] = v;
    }
    fn reads(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.lock().expect("lock").reads)
    }
    fn writes(&self) -> Vec<(u8, Vec<u8>)> {
        std::mem::take(&mut self.0.lock().expect("lock").writes)
    }
}

impl Transport for Dev {
    fn info(&self) -> DeviceInfo {
        DeviceInfo { vendor_id: 0x1234, product_id: 0x5678, ..DeviceInfo::default() }
    }
    fn descriptor(&mut self) -> Result<Vec<u8>, TransportError> {
        Ok(descriptor())
    }
    fn get_report(&mut self, _: ReportType, id: u8, _: usize) -> Result<Vec<u8>, TransportError> {
        let mut s = self.0.lock().expect("lock");
        s.reads.push(id);
        if s.stall.contains(&id) {
            return Err(TransportError::NotSupported);
        }
        s.reports.get(&id).cloned().ok_or(TransportError::NotSupported)
    }
    fn set_report(&mut self, _: ReportType, id: u8, data: &[u8]) -> Result<(), TransportError> {
        let mut s = self.0.lock().expect("lock");
        s.writes.push((id, data.to_vec()));
        s.reports.insert(id, data.to_vec());
        Ok(())
    }
    fn interrupt(&mut self, _: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        let mut s = self.0.lock().expect("lock");
        Ok(if s.events.is_empty() { None } else { Some(s.events.remove(0)) })
    }
    fn string(&mut self, index: u8) -> Result<String, TransportError> {
        if index == 5 {
            Ok("PbAc\n".into())
        } else {
            Err(TransportError::NotSupported)
        }
    }
    fn reconnect(&mut self) -> Result<(), TransportError> {
        self.0.lock().expect("lock").reconnects += 1;
        Ok(())
    }
}

const ONLINE: &[(i64, &[(StatusBit, bool)])] = &[(1, &[(Online, true)]), (0, &[(Offline, true)])];
const NOT_ONLINE: &[(i64, &[(StatusBit, bool)])] = &[(1, &[(Online, false)])];
const OVERLOAD_ALARM: &[(i64, &str)] = &[(1, "Output overload!")];

fn double(v: f64) -> Option<String> {
    Some(format!("{:.0}", v * 2.0))
}
fn half(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().map(|v| v / 2.0)
}
const DOUBLE: ConvFn = ConvFn { name: "double", fun: double, nuf: Some(half), rows: &[] };

fn sub(vars: &'static [VarMap], cmds: &'static [CmdMap]) -> &'static Subdriver {
    Box::leak(Box::new(Subdriver {
        name: "Test HID 1.0",
        usages: &[],
        vars,
        cmds,
        mfr: "Test",
        common: false,
        fix_report_desc: None,
        identity: None,
        state: None,
    }))
}

fn open(vars: &'static [VarMap], cmds: &'static [CmdMap], opts: EngineOpts) -> (HidUps, Dev) {
    let dev = Dev::new();
    let ups = HidUps::open(Box::new(dev.clone()), sub(vars, cmds), opts).expect("opens");
    (ups, dev)
}

const BASIC: &[VarMap] = &[
    stmap("UPS.PowerSummary.ACPresent", ONLINE).with_flags(QUICK_POLL),
    st("UPS.PowerSummary.Discharging", Discharging).with_flags(QUICK_POLL),
    st("UPS.PowerSummary.Charging", Charging).with_flags(QUICK_POLL),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
];

#[test]
fn first_entry_with_a_value_wins_at_init() {
    const VARS: &[VarMap] = &[
        // The device has no such path: the next entry for the variable is used.
        num("battery.charge", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
        num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
        num("battery.charge", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
        // The first entry's report STALLs: it yields nothing, so the second is kept too.
        num("battery.voltage", "UPS.PowerSummary.ShutdownRequested", "%.0f"),
        num("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    ];
    let dev = Dev::new();
    dev.0.lock().expect("lock").stall.push(7);
    let mut ups = HidUps::open(Box::new(dev.clone()), sub(VARS, &[]), EngineOpts::default()).expect("opens");
    let snap = ups.snapshot();
    assert_eq!(snap.vars["battery.charge"], "80", "RemainingCapacity, not the limit (20)");
    assert_eq!(snap.vars["battery.voltage"], "230.0");
    // Once the STALLed report answers, both kept entries are read; the later one is written
    // last and wins, as in NUT.
    dev.0.lock().expect("lock").stall.clear();
    dev.set(7, vec![7, 1]);
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(ups.snapshot().vars["battery.voltage"], "230.0");
    assert_eq!(ups.quirks(), &[Quirk::Stall { report_type: ReportType::Feature, id: 7 }]);
}

#[test]
fn a_table_path_names_the_first_field_it_prefixes() {
    const VARS: &[VarMap] = &[num("ups.test", "UPS.PowerSummary", "%.0f")];
    let (mut ups, _) = open(VARS, &[], EngineOpts::default());
    assert_eq!(ups.snapshot().vars["ups.test"], "1", "the first Feature field: ACPresent");
    let f = ups.field("ups.PowerSummary.remainingcapacity").expect("names are case-insensitive");
    assert_eq!(f.report_id, 2);
}

#[test]
fn status_bits_last_writer_wins_and_persist() {
    const VARS: &[VarMap] = &[
        stmap("UPS.PowerSummary.ACPresent", ONLINE).with_flags(QUICK_POLL),
        // Written after ACPresent: "!online" when Switchable is 1.
        stmap("UPS.PowerSummary.Switchable", NOT_ONLINE).with_flags(QUICK_POLL),
        st("UPS.PowerSummary.Discharging", Discharging).with_flags(QUICK_POLL),
    ];
    let (mut ups, dev) = open(VARS, &[], EngineOpts::default());
    assert_eq!(ups.snapshot().status, "", "online cleared by the later entry, offline never set");
    dev.byte(8, 1, 0);
    ups.refresh(Walk::Quick).expect("walk");
    assert_eq!(ups.snapshot().status, "OL");
    // A report that can no longer be read keeps its bits.
    dev.0.lock().expect("lock").stall.push(8);
    dev.byte(1, 1, 0);
    ups.refresh(Walk::Quick).expect("walk");
    assert_eq!(ups.snapshot().status, "OB", "offline from ACPresent=0; Switchable kept its 0");
    assert_eq!(ups.status_bits().get(&Online), Some(&false));
}

#[test]
fn status_and_status_if_zero_follow_nuts_tables() {
    const VARS: &[VarMap] = &[
        st("UPS.PowerSummary.ACPresent", Online),
        st0("UPS.PowerSummary.Switchable", NoBattery),
        st("UPS.PowerSummary.Charging", FullyCharged),
        // Reads 20: values other than 0 and 1 are not in NUT's tables and change nothing.
        st("UPS.PowerSummary.RemainingCapacityLimit", Overload),
    ];
    let (mut ups, dev) = open(VARS, &[], EngineOpts::default());
    assert_eq!(ups.status_bits().get(&Overload), None);
    assert_eq!(ups.status_bits().get(&FullyCharged), Some(&true));
    // Charging=0 through fullycharged_info is "notfullycharged".
    dev.byte(1, 3, 0);
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(ups.status_bits().get(&NotFullyCharged), Some(&true));
    assert_eq!(ups.status_bits().get(&FullyCharged), Some(&false));
    assert_eq!(ups.snapshot().status, "OL");
    dev.byte(1, 1, 0);
    dev.byte(8, 1, 0);
    ups.refresh(Walk::Full).expect("walk");
    let snap = ups.snapshot();
    assert_eq!(snap.status, "OB RB", "online_info 0 is offline; BatteryPresent-style 0 is nobattery");
    assert_eq!(snap.alarm, "No battery installed!");
}

#[test]
fn lookups_enums_lengths_and_reverse_lookup_for_set_var() {
    const VARS: &[VarMap] = &[
        conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO))
            .with_flags(RW | STRING | ENUM)
            .with_len(12),
        num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").with_flags(RW),
    ];
    let (mut ups, dev) = open(VARS, &[], EngineOpts::default());
    let snap = ups.snapshot();
    assert_eq!(snap.vars["ups.beeper.status"], "enabled");
    let m = &snap.meta["ups.beeper.status"];
    assert!(m.rw && m.string);
    assert_eq!(m.aux, Some(12));
    assert_eq!(m.enums, ["disabled", "enabled", "muted"]);
    let n = &snap.meta["battery.charge.low"];
    assert!(n.rw && !n.string && n.aux.is_none() && n.enums.is_empty(), "{n:?}");
    ups.setvar("ups.beeper.status", "muted").expect("a word of the table");
    assert_eq!(dev.writes(), [(2, vec![2, 80, 3])]);
    assert_eq!(ups.setvar("ups.beeper.status", "loud"), Err(ActionError::Invalid));
    // Numbers are read as C's atol: "25.7" writes 25.
    ups.setvar("battery.charge.low", "25.7").expect("number");
    assert_eq!(dev.writes(), [(5, vec![5, 25])]);
    assert_eq!(ups.setvar("battery.charge.low", "low"), Err(ActionError::Invalid));
    assert_eq!(ups.setvar("battery.charge", "1"), Err(ActionError::Unknown));
}

#[test]
fn conversion_functions_read_and_write() {
    const VARS: &[VarMap] =
        &[fun("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", DOUBLE)
            .with_flags(RW | STRING)];
    let (mut ups, dev) = open(VARS, &[], EngineOpts::default());
    assert_eq!(ups.snapshot().vars["battery.charge.low"], "40", "fun: 20 * 2");
    ups.setvar("battery.charge.low", "30").expect("nuf");
    assert_eq!(dev.writes(), [(5, vec![5, 15])], "nuf: 30 / 2");
    assert_eq!(ups.setvar("battery.charge.low", "x"), Err(ActionError::Invalid), "nuf refused it");
}

#[test]
fn strings_dates_and_formats() {
    const VARS: &[VarMap] = &[
        conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId),
        num("input.voltage", "UPS.PowerSummary.Voltage", "%05.1f"),
        // A format NUT refuses for a number: the variable is not published.
        num("output.voltage", "UPS.PowerSummary.Voltage", "%s"),
        conv("battery.mfr.date", "UPS.PowerSummary.Switchable", Conv::Date),
    ];
    let (mut ups, _) = open(VARS, &[], EngineOpts::default());
    let snap = ups.snapshot();
    assert_eq!(snap.vars["battery.type"], "PbAc", "the string, its trailing newline removed");
    assert_eq!(snap.vars["input.voltage"], "230.0");
    assert!(!snap.vars.contains_key("output.voltage"));
    assert_eq!(snap.vars["battery.mfr.date"], "1980/00/01");
}

#[test]
fn quick_walks_read_quick_poll_entries_only() {
    let (mut ups, dev) = open(BASIC, &[], EngineOpts::default());
    dev.reads();
    dev.byte(2, 1, 55);
    dev.byte(1, 2, 1);
    ups.refresh(Walk::Quick).expect("walk");
    assert_eq!(dev.reads(), [1], "only the status report");
    let snap = ups.snapshot();
    assert_eq!((snap.vars["battery.charge"].as_str(), snap.status.as_str()), ("80", "OL DISCHRG CHRG"));
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(dev.reads(), [1, 2], "each report once per walk");
    assert_eq!(ups.snapshot().vars["battery.charge"], "55");
}

#[test]
fn static_and_semi_static_entries() {
    const VARS: &[VarMap] = &[
        num("battery.voltage.nominal", "UPS.PowerSummary.Voltage", "%.0f").with_flags(STATIC),
        num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f")
            .with_flags(RW | SEMI_STATIC),
        num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    ];
    let (mut ups, dev) = open(VARS, &[], EngineOpts::default());
    dev.reads();
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(dev.reads(), [2], "with the interrupt pipe, STATIC and SEMI_STATIC are not re-read");
    ups.setvar("battery.charge.low", "30").expect("set");
    dev.reads();
    assert!(ups.needs_full());
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(dev.reads(), [5, 2], "after a change SEMI_STATIC is read back");
    assert!(!ups.needs_full());
    assert_eq!(ups.snapshot().vars["battery.charge.low"], "30");
    // pollonly: everything is read at every full walk (a dead device must show).
    let (mut ups, dev) = open(VARS, &[], EngineOpts { use_interrupts: false, ..EngineOpts::default() });
    dev.reads();
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(dev.reads(), [6, 5, 2]);
}

#[test]
fn alarms_from_entries_then_bits_at_full_walks() {
    const VARS: &[VarMap] = &[
        stmap("UPS.PowerSummary.ACPresent", ONLINE).with_flags(QUICK_POLL),
        conv("ups.alarm", "UPS.PowerSummary.Overload", Conv::Lookup(OVERLOAD_ALARM)),
        st("UPS.PowerSummary.Used", BypassManual).with_flags(QUICK_POLL),
        st("UPS.PowerSummary.Switchable", EmergencyStop),
    ];
    let (mut ups, dev) = open(VARS, &[], EngineOpts::default());
    assert_eq!(ups.snapshot().alarm, "Emergency stop!");
    dev.byte(1, 4, 1);
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(ups.snapshot().alarm, "Output overload! Emergency stop!", "entries in table order, then bits");
    dev.byte(8, 2, 1);
    ups.refresh(Walk::Quick).expect("walk");
    let snap = ups.snapshot();
    assert_eq!(snap.status, "OL BYPASS", "the status follows at once");
    assert_eq!(snap.alarm, "Output overload! Emergency stop!", "alarms wait for a full walk");
    dev.byte(1, 4, 0);
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(ups.snapshot().alarm, "Emergency stop! Manual bypass mode!");
}

#[test]
fn absent_entries_and_the_delays() {
    const VARS: &[VarMap] = &[
        absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
        absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
        num("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f"),
        num("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f"),
        conv("ups.start.auto", "UPS.PowerSummary.Switchable", Conv::Lookup(&[(0, "no"), (1, "yes")]))
            .with_flags(RW | STRING),
    ];
    const CMDS: &[CmdMap] = &[
        cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
        cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    ];
    let (mut ups, dev) = open(VARS, CMDS, EngineOpts::default());
    ups.offdelay = "60".into();
    let snap = ups.snapshot();
    assert_eq!(snap.vars["ups.delay.shutdown"], "60", "the ABSENT entry came first");
    assert_eq!(snap.vars["ups.timer.shutdown"], "-1");
    assert!(snap.meta["ups.delay.shutdown"].rw);
    let mut cmds = ups.commands();
    cmds.sort_unstable();
    assert_eq!(
        cmds,
        ["load.off", "load.off.delay", "load.on", "load.on.delay", "shutdown.return", "shutdown.stayoff"]
    );
    ups.setvar("ups.delay.start", "-1").expect("ondelay = -1 is documented");
    assert_eq!(ups.setvar("ups.delay.start", "soon"), Err(ActionError::Invalid));
    // NUT's composite commands: ups.start.auto, then the start delay, then the stop delay.
    ups.instcmd("shutdown.return").expect("composed");
    assert_eq!(
        dev.writes(),
        [(8, vec![8, 1, 0]), (3, vec![3, 0xff, 0xff, 0xff, 0xff]), (3, vec![3, 60, 0, 0xff, 0xff])]
    );
    ups.instcmd("load.off").expect("load.off.delay with 0");
    assert_eq!(dev.writes(), [(3, vec![3, 0, 0, 0xff, 0xff])]);
    ups.instcmd_with("load.on.delay", Some("120")).expect("a parameter wins over the default");
    assert_eq!(dev.writes(), [(3, vec![3, 0, 0, 120, 0])]);
    assert_eq!(ups.instcmd("no.such.command"), Err(ActionError::Unknown));
}

#[test]
fn commands_with_conversions_aliases_and_constant_fields() {
    const CMDS: &[CmdMap] = &[
        cmd_conv(
            "beeper.enable",
            "UPS.PowerSummary.AudibleAlarmControl",
            "enabled",
            Conv::Lookup(BEEPER_INFO),
        ),
        cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
        cmd("shutdown.stop", "UPS.PowerSummary.ShutdownRequested", "1"),
    ];
    let (mut ups, dev) = open(BASIC, CMDS, EngineOpts::default());
    ups.instcmd("beeper.on").expect("old name of beeper.enable");
    assert_eq!(dev.writes(), [(2, vec![2, 80, 2])]);
    ups.instcmd("beeper.off").expect("old name of beeper.disable");
    assert_eq!(dev.writes(), [(2, vec![2, 80, 1])]);
    assert!(matches!(ups.instcmd("shutdown.stop"), Err(ActionError::Transport(_))), "constant field");
    assert!(dev.writes().is_empty());
}

#[test]
fn commands_are_offered_only_when_their_report_reads() {
    const CMDS: &[CmdMap] = &[
        cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
        cmd("test.battery.start.quick", "UPS.PowerSummary.Test", "1"),
        cmd("shutdown.stop", "UPS.PowerSummary.ShutdownRequested", "1"),
    ];
    let dev = Dev::new();
    dev.0.lock().expect("lock").stall.push(7);
    let ups = HidUps::open(Box::new(dev), sub(BASIC, CMDS), EngineOpts::default()).expect("opens");
    assert_eq!(ups.commands(), ["beeper.enable"]);
}

#[test]
fn events_set_the_entries_of_their_paths() {
    let (mut ups, dev) = open(BASIC, &[], EngineOpts::default());
    // Input report 1 says on battery, discharging; the Feature report still says on line.
    assert_eq!(ups.apply_event(&[1, 0, 1, 0, 0]), Ok(3));
    assert_eq!(ups.snapshot().status, "OB DISCHRG");
    // A quick walk reads the Feature report again: the device's answer wins.
    ups.refresh(Walk::Quick).expect("walk");
    assert_eq!(ups.snapshot().status, "OL CHRG");
    // An event with a report id the descriptor lacks changes nothing.
    assert!(ups.apply_event(&[9, 1]).is_err());
    let _ = dev;
}

#[test]
fn a_walk_that_reads_nothing_means_the_device_is_gone() {
    let (mut ups, dev) = open(BASIC, &[], EngineOpts::default());
    dev.0.lock().expect("lock").stall.extend([1, 2]);
    assert!(ups.refresh(Walk::Quick).is_err());
    assert!(ups.refresh(Walk::Full).is_err());
    dev.0.lock().expect("lock").stall.retain(|&id| id != 2);
    ups.refresh(Walk::Full).expect("one report still answers: data is served");
}

#[test]
fn lbrb_delay_applies_through_the_engine() {
    const VARS: &[VarMap] = &[
        stmap("UPS.PowerSummary.ACPresent", ONLINE).with_flags(QUICK_POLL),
        st("UPS.PowerSummary.Overload", Calibration).with_flags(QUICK_POLL),
        st("UPS.PowerSummary.Used", LowBatt).with_flags(QUICK_POLL),
    ];
    let (mut ups, dev) = open(VARS, &[], EngineOpts::default());
    ups.policy.lbrb_log_delay_sec = Some(5);
    dev.byte(1, 4, 1);
    dev.byte(8, 2, 1);
    ups.refresh(Walk::Quick).expect("walk");
    let t0 = Instant::now();
    assert_eq!(ups.snapshot_at(t0).status, "CAL OL");
    assert_eq!(ups.snapshot_at(t0 + Duration::from_secs(6)).status, "CAL OL LB");
}

#[test]
fn published_flags_lengths_enums_and_transient_variables() {
    const VARS: &[VarMap] = &[
        stmap("UPS.PowerSummary.ACPresent", ONLINE).with_flags(QUICK_POLL),
        st("UPS.PowerSummary.Overload", VoltageRange).with_flags(QUICK_POLL),
        st("UPS.PowerSummary.Used", EcoMode).with_flags(QUICK_POLL),
        conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO))
            .with_flags(RW | STRING | ENUM)
            .with_len(12),
        num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").with_flags(RW),
    ];
    let (mut ups, dev) = open(VARS, &[], EngineOpts::default());
    dev.byte(1, 4, 1);
    dev.byte(8, 2, 1);
    ups.refresh(Walk::Full).expect("walk");
    let mut state = nut_driver::State::new();
    usbhid_ups::publish(&mut state, &ups.snapshot());
    let beeper = state.var("ups.beeper.status").expect("published");
    assert_eq!((beeper.flags.rw, beeper.flags.string, beeper.aux), (true, true, 12));
    assert_eq!(beeper.enums, ["disabled", "enabled", "muted"]);
    let low = state.var("battery.charge.low").expect("published");
    assert!(low.flags.rw && !low.flags.string && low.enums.is_empty());
    assert_eq!(state.get_info("input.transfer.reason"), Some("input voltage out of range"));
    assert_eq!(state.get_info("experimental.ups.mode.buzzwords"), Some("vendor:default:ECO"));
    // Back to normal: both are removed, as NUT's dstate_delinfo / buzzmode_commit do.
    dev.byte(1, 4, 0);
    dev.byte(8, 2, 0);
    ups.refresh(Walk::Quick).expect("walk");
    usbhid_ups::publish(&mut state, &ups.snapshot());
    assert_eq!(state.get_info("input.transfer.reason"), None);
    assert_eq!(state.get_info("experimental.ups.mode.buzzwords"), None);
    assert_eq!(state.get_info("ups.status"), Some("OL"));
}

#[test]
fn a_silent_interrupt_pipe_beyond_its_tolerance_reopens_the_device() {
    use usbhid_ups::session::{Poll, PollOpts, Session};
    let (ups, dev) = open(BASIC, &[], EngineOpts::default());
    let opts = PollOpts {
        interrupt_wait: Duration::from_millis(1),
        no_events_tolerance: Some(2),
        ..PollOpts::default()
    };
    let mut s = Session::with_opts(ups, opts, None);
    let t0 = Instant::now();
    assert!(matches!(s.poll(t0), Poll::Data(_)));
    assert!(matches!(s.poll(t0), Poll::Data(_)), "2 silent polls: tolerated");
    assert_eq!(s.poll(t0), Poll::Stale, "the third is one too many");
    assert!(matches!(s.poll(t0), Poll::Data(_)), "reopened at the next poll");
    assert_eq!(dev.0.lock().expect("lock").reconnects, 1);
    // A pipe that talks is never held against the device.
    for _ in 0..5 {
        dev.0.lock().expect("lock").events.push(vec![2, 70, 2]);
        assert!(matches!(s.poll(t0), Poll::Data(_)));
    }
    // Without the option (NUT's -1) silence is fine forever.
    let (ups, _) = open(BASIC, &[], EngineOpts::default());
    let mut s = Session::with_opts(
        ups,
        PollOpts { interrupt_wait: Duration::from_millis(1), ..PollOpts::default() },
        None,
    );
    for _ in 0..5 {
        assert!(matches!(s.poll(t0), Poll::Data(_)));
    }
}

#[test]
fn waitbeforereconnect_delays_reopening_the_device() {
    use usbhid_ups::session::{Poll, PollOpts, Session};
    let (ups, dev) = open(BASIC, &[], EngineOpts::default());
    let opts =
        PollOpts { pollonly: true, wait_before_reconnect: Duration::from_secs(30), ..PollOpts::default() };
    let mut s = Session::with_opts(ups, opts, None);
    let t0 = Instant::now();
    assert!(matches!(s.poll(t0), Poll::Data(_)));
    dev.0.lock().expect("lock").stall.extend([1, 2]);
    assert_eq!(s.poll(t0 + Duration::from_secs(1)), Poll::Stale);
    dev.0.lock().expect("lock").stall.clear();
    assert_eq!(s.poll(t0 + Duration::from_secs(20)), Poll::Stale, "still waiting");
    assert_eq!(dev.0.lock().expect("lock").reconnects, 0);
    assert!(matches!(s.poll(t0 + Duration::from_secs(31)), Poll::Data(_)));
    assert_eq!(dev.0.lock().expect("lock").reconnects, 1);
}

/// A subdriver state as NUT's file-level variables: it remembers the highest voltage seen,
/// reads a published variable for a status token, and has its own way back.
#[derive(Debug, Default)]
struct Peak {
    max: f64,
}

impl SubdriverState for Peak {
    fn convert(&mut self, f: &ConvFn, v: f64, dev: &mut dyn DeviceView) -> Option<Option<String>> {
        match f.name {
            "peak" => {
                self.max = self.max.max(v);
                Some(Some(format!("{:.0}", self.max)))
            }
            "charging_below_full" => {
                let charge = dev.var("battery.charge").and_then(|c| c.parse::<f64>().ok());
                Some(Some(if charge.is_some_and(|c| c < 100.0) { "chrg" } else { "!CHRG" }.to_string()))
            }
            _ => None,
        }
    }

    fn convert_back(&mut self, f: &ConvFn, text: &str, _: &mut dyn DeviceView) -> Option<Option<f64>> {
        (f.name == "peak").then(|| text.parse::<f64>().ok().map(|v| v + 1.0))
    }
}

fn plain(v: f64) -> Option<String> {
    Some(format!("plain {v}"))
}
fn plain_back(s: &str) -> Option<f64> {
    s.parse().ok()
}
fn no_token(_: f64) -> Option<String> {
    None
}
const PEAK: ConvFn = ConvFn { name: "peak", fun: plain, nuf: Some(plain_back), rows: &[] };
const CHG: ConvFn = ConvFn { name: "charging_below_full", fun: no_token, nuf: None, rows: &[] };

fn new_peak() -> Box<dyn SubdriverState> {
    Box::<Peak>::default()
}

#[test]
fn the_subdriver_state_sees_conversions_first_and_keeps_its_memory() {
    const VARS: &[VarMap] = &[
        num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
        fun("battery.voltage", "UPS.PowerSummary.Voltage", PEAK).with_flags(RW | STRING),
        // A status entry whose function names the bit (MGE's ABM charger state).
        fun("", "UPS.PowerSummary.Used", CHG),
    ];
    let with_state = |state| {
        let dev = Dev::new();
        let s = Box::leak(Box::new(Subdriver { state, ..*sub(VARS, &[]) }));
        (HidUps::open(Box::new(dev.clone()), s, EngineOpts::default()).expect("opens"), dev)
    };
    let (mut plain_ups, _) = with_state(None);
    assert_eq!(plain_ups.snapshot().vars["battery.voltage"], "plain 230");
    assert_eq!(plain_ups.status_bits().get(&Charging), None, "no state: the entry gives no token");

    let (mut ups, dev) = with_state(Some(new_peak));
    assert_eq!(ups.snapshot().vars["battery.voltage"], "230");
    assert_eq!(ups.status_bits().get(&Charging), Some(&true));
    // Lower readings: the state remembers the peak, as a C static would.
    dev.set(6, vec![6, 200, 0]);
    dev.byte(2, 1, 100);
    ups.refresh(Walk::Full).expect("walk");
    assert_eq!(ups.snapshot().vars["battery.voltage"], "230");
    assert_eq!(ups.status_bits().get(&Charging), Some(&false), "'!CHRG': the name is case-insensitive");
    // SET VAR goes through the state's way back.
    ups.setvar("battery.voltage", "240").expect("writable");
    assert_eq!(dev.writes(), [(6, vec![6, 241, 0])]);
}
