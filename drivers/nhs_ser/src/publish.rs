//! What the packets become as NUT variables: NUT 2.8.5's nhs_ser `interpret_pkt_hwinfo` and
//! `interpret_pkt_data` (drivers/nhs_ser.c), as pure functions. The arithmetic is done in the
//! same types as there (C `float` where NUT keeps a `float`), so the published text is the
//! same, digit for digit.
//!
//! Deliberate differences from NUT 2.8.5's code, each a plain bug there (see docs/man/nhs_ser.8):
//! - `numbatteries` overrides the battery count, as the man page says (2.8.5's code reads an
//!   option named `numbat`, which the driver does not accept, so the setting has no effect);
//! - `input.voltage.minimum` is the lowest input voltage of the packet (bytes 8-9) and
//!   `input.voltage.maximum` the highest (bytes 10-11); 2.8.5 publishes them swapped.

use crate::models;
use crate::protocol::{DataPacket, HwInfo};

/// The driver's settings (ups.conf), with NUT's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// `vbat`: one battery's voltage (default 12; read with `atoi`, so whole volts).
    pub vbat: u32,
    /// `ah`: battery capacity in Ah (required).
    pub ah: u32,
    /// `pf`: power factor (default 0.90).
    pub pf: f32,
    /// `va`: nominal VA, used when the model code is not in the table.
    pub va: Option<u32>,
    /// `numbatteries`: battery count, instead of the UPS's.
    pub numbatteries: Option<u32>,
    /// `vin_low_warn_perc`, `vin_low_crit_perc`, `vin_high_warn_perc`, `vin_high_crit_perc`
    /// (default 2.00 each).
    pub vin_low_warn_perc: f32,
    pub vin_low_crit_perc: f32,
    pub vin_high_warn_perc: f32,
    pub vin_high_crit_perc: f32,
    /// `debug_pkt_data`: publish the decoded data packet as `experimental.nhs.data.*`.
    pub debug_pkt_data: bool,
    /// `debug_pkt_hwinfo`: publish the hardware information as `experimental.nhs.hw.*`.
    pub debug_pkt_hwinfo: bool,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            vbat: 12,
            ah: 0,
            pf: 0.9,
            va: None,
            numbatteries: None,
            vin_low_warn_perc: 2.0,
            vin_low_crit_perc: 2.0,
            vin_high_warn_perc: 2.0,
            vin_high_crit_perc: 2.0,
            debug_pkt_data: false,
            debug_pkt_hwinfo: false,
        }
    }
}

/// What NUT keeps between packets: the largest and smallest power seen (the smallest starts
/// at 0 and so stays 0, as in NUT) and the undervoltage used to tell mains from battery.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    pub maxpower: f32,
    pub minpower: f32,
    pub maxpowerperc: u32,
    pub minpowerperc: u32,
    pub min_input_power: u32,
}

/// The result of one data packet: status tokens, alarm texts, variables (in NUT's order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    pub status: Vec<&'static str>,
    pub alarms: Vec<&'static str>,
    pub vars: Vec<(String, String)>,
}

/// Why a packet cannot be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishError {
    /// The model code is not in the table and `va` is not set (NUT exits with this text).
    NeedVa(u8),
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublishError::NeedVa(code) => write!(
                f,
                "Please set VA (Volt Ampere) nominal capacity value to your equipment in ups.conf \
                 (model code {code} is not in the driver's table)."
            ),
        }
    }
}

/// C's `printf("%0.2f")`, including inf and nan as glibc prints them.
pub fn f2(x: f64) -> String {
    if x.is_nan() {
        if x.is_sign_negative() { "-nan" } else { "nan" }.to_string()
    } else if x.is_infinite() {
        if x < 0.0 { "-inf" } else { "inf" }.to_string()
    } else {
        format!("{x:.2}")
    }
}

/// C's `lrint(round(x))` printed with `%ld` (x86-64 gives i64::MIN for what does not fit).
pub fn lround(x: f64) -> String {
    let r = x.round();
    if r.is_finite() && r >= i64::MIN as f64 && r < i64::MAX as f64 {
        (r as i64).to_string()
    } else {
        i64::MIN.to_string()
    }
}

/// C's conversion of a `float` to `unsigned int` for finite values in range (x86-64 takes
/// the low 32 bits of the 64-bit conversion otherwise).
fn to_u32(x: f32) -> u32 {
    if (0.0..4_294_967_296.0).contains(&x) {
        x as u32
    } else if x.is_finite() && x.abs() < 9.2e18 {
        (x as i64) as u32
    } else {
        0
    }
}

fn tf(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// NUT's nominal VA for a model: the table's, else `va`.
pub fn nominal_va(model: u8, params: &Params) -> Result<u32, PublishError> {
    match models::lookup(model).1 {
        0 => params.va.filter(|&v| v > 0).ok_or(PublishError::NeedVa(model)),
        va => Ok(va),
    }
}

/// The variables from a hardware information packet (NUT's `interpret_pkt_hwinfo`).
pub fn hwinfo_vars(hw: &HwInfo, params: &Params) -> Vec<(String, String)> {
    let (model, _) = models::lookup(hw.model);
    let mfr = crate::driver::MANUFACTURER;
    let mut v: Vec<(String, String)> = [
        ("device.model", model.to_string()),
        ("device.mfr", mfr.to_string()),
        ("device.serial", hw.serial.clone()),
        ("device.type", "ups".to_string()),
        ("ups.model", model.to_string()),
        ("ups.mfr", mfr.to_string()),
        ("ups.serial", hw.serial.clone()),
        ("ups.firmware", hw.software_version.to_string()),
        ("ups.firmware.aux", hw.hardware_version.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if params.debug_pkt_hwinfo {
        let p = "experimental.nhs.hw.";
        let mut d = |k: &str, val: String| v.push((format!("{p}{k}"), val));
        d("header", "255".into());
        d("size", hw.size.to_string());
        d("type", (hw.packet_type as char).to_string());
        d("model", hw.model.to_string());
        d("hardwareversion", hw.hardware_version.to_string());
        d("softwareversion", hw.software_version.to_string());
        d("configuration", hw.configuration.to_string());
        for (i, b) in hw.configuration_array().iter().enumerate() {
            d(&format!("configuration_array_p{i}"), b.to_string());
        }
        d("c_oem_mode", tf(hw.oem_mode()).into());
        d("c_buzzer_disable", tf(hw.buzzer_disable()).into());
        d("c_potmin_disable", tf(hw.potmin_disable()).into());
        d("c_rearm_enable", tf(hw.rearm_enable()).into());
        d("c_bootloader_enable", tf(hw.bootloader_enable()).into());
        d("numbatteries", hw.numbatteries.to_string());
        d("undervoltagein120V", hw.undervoltage_in_120.to_string());
        d("overvoltagein120V", hw.overvoltage_in_120.to_string());
        d("undervoltagein220V", hw.undervoltage_in_220.to_string());
        d("overvoltagein220V", hw.overvoltage_in_220.to_string());
        d("tensionout120V", hw.tension_out_120.to_string());
        d("tensionout220V", hw.tension_out_220.to_string());
        d("statusval", hw.statusval.to_string());
        for (i, b) in hw.status_array().iter().enumerate() {
            d(&format!("status_p{i}"), b.to_string());
        }
        d("s_220V_in", tf(hw.in_220()).into());
        d("s_220V_out", tf(hw.out_220()).into());
        d("s_sealed_battery", tf(hw.sealed_battery()).into());
        d("s_show_out_tension", tf(hw.show_out_tension()).into());
        d("s_show_temperature", tf(hw.show_temperature()).into());
        d("s_show_charger_current", tf(hw.show_charger_current()).into());
        d("chargercurrent", hw.chargercurrent.to_string());
        d("checksum", hw.checksum.to_string());
        d("checksum_calc", hw.checksum_calc.to_string());
        d("checksum_ok", tf(hw.checksum_ok()).into());
        d("serial", hw.serial.clone());
        d("year", hw.year.to_string());
        d("month", hw.month.to_string());
        d("wday", hw.wday.to_string());
        d("hour", hw.hour.to_string());
        d("minute", hw.minute.to_string());
        d("second", hw.second.to_string());
        d("alarmyear", hw.alarmyear.to_string());
        d("alarmmonth", hw.alarmmonth.to_string());
        // NUT never fills the alarm weekday.
        d("alarmwday", "0".into());
        d("alarmday", hw.alarmday.to_string());
        d("alarmhour", hw.alarmhour.to_string());
        d("alarmminute", hw.alarmminute.to_string());
        d("alarmsecond", hw.alarmsecond.to_string());
        d("end_marker", "254".into());
    }
    v
}

/// The status tokens for a data packet (NUT's decision chain in `interpret_pkt_data`), with
/// `min_input_power` the undervoltage of the input in use.
pub fn status(d: &DataPacket, min_input_power: u32) -> Vec<&'static str> {
    let min = min_input_power as f32;
    if d.battery_mode() {
        if d.battery_low() {
            vec!["OB", "LB"]
        } else {
            vec!["OB"]
        }
    } else if d.vacinrms <= min || d.network_failure() {
        vec!["DISCHRG"]
    } else if d.charger_on() {
        vec!["CHRG"]
    } else if d.fast_network_failure() {
        vec!["OB"]
    } else {
        vec!["OL"]
    }
}

/// The alarm texts for a data packet.
pub fn alarms(d: &DataPacket) -> Vec<&'static str> {
    let mut a = Vec::new();
    for (on, text) in [
        (d.battery_low(), "[LOW BATTERY]"),
        (d.bypass_on(), "[ON BYPASS]"),
        (d.network_failure(), "[NETWORK FAILURE]"),
        (d.fast_network_failure(), "[FAST NETWORK FAILURE]"),
        (d.in_220(), "[220V IN]"),
        (d.out_220(), "[220V OUT]"),
    ] {
        if on {
            a.push(text);
        }
    }
    a
}

/// Everything a good data packet publishes (NUT's `interpret_pkt_data`), given the hardware
/// information if it arrived.
pub fn data_update(
    d: &DataPacket,
    hw: Option<&HwInfo>,
    params: &Params,
    mem: &mut Memory,
) -> Result<Update, PublishError> {
    if let Some(h) = hw {
        mem.min_input_power = h.transfer().0 as u32;
    } else if mem.min_input_power == 0 {
        mem.min_input_power = 96;
    }
    let status = status(d, mem.min_input_power);
    let vbat = params.vbat;
    let ah = params.ah;
    let pf = params.pf;
    let va = match hw {
        Some(h) => nominal_va(h.model, params)?,
        None => 0,
    };
    let numbat = params.numbatteries.filter(|&n| n > 0).or(hw.map(|h| h.numbatteries as u32)).unwrap_or(0);

    let mut v: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, val: String| v.push((k.to_string(), val));
    set("ups.temperature", f2(d.tempmed as f64));
    set("ups.load", d.potrms.to_string());
    set("ups.efficiency", f2((d.vacoutrms * d.vacinrms) as f64 / 100.0));

    let mut vpower: f32 = 0.0;
    let mut abat: f32 = 0.0;
    if va > 0 && pf > 0.0 {
        vpower = (((va as f32 * pf) as f64) * (d.potrms as f64 / 100.0)) as f32;
        abat = (vpower / d.vdcmed_real) / numbat as f32;
        if vpower > mem.maxpower {
            mem.maxpower = vpower;
        }
        if vpower < mem.minpower {
            mem.minpower = vpower;
        }
        set("ups.power", f2(vpower as f64));
        set("ups.realpower", lround(vpower as f64));
        set("ups.power.nominal", va.to_string());
        set("ups.realpower.nominal", lround(va as f64 * pf as f64));
        set("output.realpower", lround(va as f64 * (d.potrms as f64 / 100.0)));
        set("output.power", f2(vpower as f64));
        set("output.power.maximum", f2(mem.maxpower as f64));
        set("output.power.minimum", f2(mem.minpower as f64));
        set("output.power.percent", d.potrms.to_string());
        let p = d.potrms as u32;
        if p > mem.maxpowerperc {
            mem.maxpowerperc = p;
        }
        if p < mem.minpowerperc {
            mem.minpowerperc = p;
        }
        set("output.power.maximum.percent", mem.maxpowerperc.to_string());
        set("output.power.minimum.percent", mem.minpowerperc.to_string());
    }

    set("output.voltage", f2(d.vacoutrms as f64));
    set("input.voltage", f2(d.vacinrms as f64));
    set("input.voltage.maximum", f2(d.vacinrmsmax as f64));
    set("input.voltage.minimum", f2(d.vacinrmsmin as f64));

    if let Some(h) = hw {
        set("ups.beeper.status", (!h.buzzer_disable() as u8).to_string());
        let (under, over) = h.transfer();
        let (under, over) = (under as u32, over as u32);
        let perc: u32 =
            if (params.vin_low_warn_perc - params.vin_low_crit_perc).abs() <= f32::EPSILON { 2 } else { 1 };
        let level = |base: u32, pct: f32, times: u32| -> f32 {
            (base as f64 + base as f64 * ((pct * times as f32) as f64 / 100.0)) as f32
        };
        set("input.voltage.low.warning", f2(level(under, params.vin_low_warn_perc, perc) as f64));
        set("input.voltage.low.critical", f2(level(under, params.vin_low_crit_perc, 1) as f64));
        set("input.voltage.high.warning", f2(level(over, params.vin_high_warn_perc, perc) as f64));
        set("input.voltage.high.critical", f2(level(over, params.vin_high_crit_perc, 1) as f64));
        set("input.transfer.low", under.to_string());
        set("input.transfer.high", over.to_string());
        let vin = if h.in_220() { h.tension_out_220 } else { h.tension_out_120 };
        set("input.voltage.nominal", vin.to_string());
        let vout = if h.out_220() { h.tension_out_220 } else { h.tension_out_120 };
        set("output.voltage.nominal", vout.to_string());
    }

    let bcharge = lround(((d.vdcmed_real * 100.0) / vbat as f32) as f64);
    let bcharge = match bcharge.parse::<i64>() {
        Ok(c) if c > 100 => "100".to_string(),
        _ => bcharge,
    };
    set("battery.charge", bcharge);
    set("battery.voltage", f2(d.vdcmed_real as f64));
    set("battery.current", f2(abat as f64));
    set("battery.current.total", f2((abat * numbat as f32) as f64));
    set("battery.temperature", lround(d.tempmed as f64));
    set("battery.packs", numbat.to_string());
    set("battery.voltage.nominal", vbat.to_string());
    set("battery.capacity", ah.to_string());
    set("battery.capacity.nominal", f2((ah as f32 * pf) as f64));
    set("battery.runtime.low", "30".to_string());
    if vpower > 0.0 {
        let actual_current = vpower / vbat as f32;
        set("battery.runtime", to_u32((ah as f32 / actual_current) * 3600.0).to_string());
    }
    let charger = if d.charger_on() {
        "CHARGING"
    } else if d.battery_mode() {
        "DISCHARGING"
    } else {
        "RESTING"
    };
    set("battery.charger.status", charger.to_string());

    if params.debug_pkt_data {
        let p = "experimental.nhs.data.";
        let battery_tension = hw.map(|h| h.numbatteries as f32 * d.vdcmed_real).unwrap_or(0.0);
        let nominaltension = hw.map(|h| vbat.wrapping_mul(h.numbatteries as u32)).unwrap_or(0);
        let perc_output = if nominaltension > 0 {
            to_u32((battery_tension * 100.0) / nominaltension as f32).min(100)
        } else {
            0
        };
        let mut dd = |k: &str, val: String| set(&format!("{p}{k}"), val);
        dd("header", "255".into());
        dd("length", d.length.to_string());
        dd("packet_type", (d.packet_type as char).to_string());
        let r = &d.raw;
        dd("vacinrms_high", r[3].to_string());
        dd("vacinrms_low", r[4].to_string());
        dd("vacinrms", f2(d.vacinrms as f64));
        dd("vdcmed_high", r[5].to_string());
        dd("vdcmed_low", r[6].to_string());
        dd("vdcmed", f2(d.vdcmed as f64));
        dd("vdcmed_real", f2(d.vdcmed_real as f64));
        dd("potrms", d.potrms.to_string());
        dd("vacinrmsmin_high", r[8].to_string());
        dd("vacinrmsmin_low", r[9].to_string());
        dd("vacinrmsmin", f2(d.vacinrmsmin as f64));
        dd("vacinrmsmax_high", r[10].to_string());
        dd("vacinrmsmax_low", r[11].to_string());
        dd("vacinrmsmax", f2(d.vacinrmsmax as f64));
        dd("vacoutrms_high", r[12].to_string());
        dd("vacoutrms_low", r[13].to_string());
        dd("vacoutrms", f2(d.vacoutrms as f64));
        dd("tempmed_high", r[14].to_string());
        dd("tempmed_low", r[15].to_string());
        dd("tempmed", f2(d.tempmed as f64));
        dd("tempmed_real", f2(d.tempmed as f64));
        dd("icarregrms", d.icarregrms.to_string());
        dd("icarregrms_real", (d.icarregrms as u32 * 30).to_string());
        dd("battery_tension", f2(battery_tension as f64));
        dd("perc_output", perc_output.to_string());
        dd("statusval", d.statusval.to_string());
        for (i, b) in d.status_array().iter().enumerate() {
            dd(&format!("status_p{i}"), b.to_string());
        }
        dd("nominaltension", nominaltension.to_string());
        dd("timeremain", "0.00".into());
        dd("s_battery_mode", tf(d.battery_mode()).into());
        dd("s_battery_low", tf(d.battery_low()).into());
        dd("s_network_failure", tf(d.network_failure()).into());
        dd("s_fast_network_failure", tf(d.fast_network_failure()).into());
        dd("s_220_in", tf(d.in_220()).into());
        dd("s_220_out", tf(d.out_220()).into());
        dd("s_bypass_on", tf(d.bypass_on()).into());
        dd("s_charger_on", tf(d.charger_on()).into());
        dd("checksum", d.checksum.to_string());
        dd("checksum_ok", tf(d.checksum_ok()).into());
        dd("checksum_calc", d.checksum_calc.to_string());
        dd("end_marker", "254".into());
        let pp = "experimental.nhs.param.";
        let mut pa = |k: &str, val: String| set(&format!("{pp}{k}"), val);
        pa("va", va.to_string());
        pa("pf", f2(pf as f64));
        pa("ah", ah.to_string());
        pa("vin_low_warn_perc", f2(params.vin_low_warn_perc as f64));
        pa("vin_low_crit_perc", f2(params.vin_low_crit_perc as f64));
        pa("vin_high_warn_perc", f2(params.vin_high_warn_perc as f64));
        pa("vin_high_crit_perc", f2(params.vin_high_crit_perc as f64));
    }

    Ok(Update { status, alarms: alarms(d), vars: v })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::protocol::{build, checksum, parse_data, parse_hwinfo};

    fn data(status: u8) -> DataPacket {
        // 127.5 V in, battery 27.2 V (27, 2), load 23 %, min 110, max 130, out 120.0 V, 31.0 °C.
        parse_data(&build(&[0x14, b'D', 127, 5, 27, 2, 23, 110, 0, 130, 0, 120, 0, 31, 0, 10, status, 0]))
            .unwrap()
    }

    fn hw() -> HwInfo {
        // Model 41 (PREMIUM 1500VA), 2 batteries, 120 V input: transfer 96/140, nominal 115.
        let mut s = vec![0xFF, 18, b'S', 41, 3, 12, 0x00, 2, 96, 140, 176, 250, 115, 220, 0x00, 10];
        let c = checksum(&s, 1, 15);
        s.extend([c, 0xFE]);
        parse_hwinfo(&s).unwrap()
    }

    fn params() -> Params {
        Params { ah: 7, ..Params::default() }
    }

    fn get<'a>(u: &'a Update, k: &str) -> Option<&'a str> {
        u.vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn on_line_with_hwinfo() {
        let mut m = Memory::default();
        let u = data_update(&data(0), Some(&hw()), &params(), &mut m).unwrap();
        assert_eq!(u.status, ["OL"]);
        assert!(u.alarms.is_empty());
        // vpower = 1500 * 0.9 * 0.23 = 310.5 W.
        assert_eq!(get(&u, "ups.power"), Some("310.50"));
        assert_eq!(get(&u, "ups.realpower"), Some("311"));
        assert_eq!(get(&u, "ups.power.nominal"), Some("1500"));
        assert_eq!(get(&u, "ups.realpower.nominal"), Some("1350"));
        assert_eq!(get(&u, "output.realpower"), Some("345"));
        assert_eq!(get(&u, "output.power.minimum"), Some("0.00"));
        assert_eq!(get(&u, "input.voltage"), Some("127.50"));
        assert_eq!(get(&u, "input.voltage.minimum"), Some("110.00"));
        assert_eq!(get(&u, "input.voltage.maximum"), Some("130.00"));
        assert_eq!(get(&u, "input.transfer.low"), Some("96"));
        // perc doubles the warning margin when the warning and critical percentages are equal.
        assert_eq!(get(&u, "input.voltage.low.warning"), Some("99.84"));
        assert_eq!(get(&u, "input.voltage.low.critical"), Some("97.92"));
        assert_eq!(get(&u, "input.voltage.high.warning"), Some("145.60"));
        assert_eq!(get(&u, "input.voltage.nominal"), Some("115"));
        assert_eq!(get(&u, "ups.beeper.status"), Some("1"));
        // 27.2 V over a 12 V battery: capped at 100.
        assert_eq!(get(&u, "battery.charge"), Some("100"));
        assert_eq!(get(&u, "battery.packs"), Some("2"));
        assert_eq!(get(&u, "battery.capacity.nominal"), Some("6.30"));
        // 7 Ah / (310.5 W / 12 V) h.
        assert_eq!(get(&u, "battery.runtime"), Some("973"));
        assert_eq!(get(&u, "battery.charger.status"), Some("RESTING"));
        assert_eq!(get(&u, "ups.efficiency"), Some("153.00"));
    }

    #[test]
    fn without_hwinfo_no_power_figures() {
        let mut m = Memory::default();
        let u = data_update(&data(0), None, &params(), &mut m).unwrap();
        assert_eq!(m.min_input_power, 96);
        assert!(get(&u, "ups.power").is_none());
        assert!(get(&u, "battery.runtime").is_none());
        assert_eq!(get(&u, "battery.current"), Some("0.00"));
        assert_eq!(get(&u, "battery.packs"), Some("0"));
    }

    #[test]
    fn status_chain() {
        let h = hw();
        let p = params();
        let st = |bits: u8| data_update(&data(bits), Some(&h), &p, &mut Memory::default()).unwrap();
        assert_eq!(st(0x01).status, ["OB"]);
        assert_eq!(st(0x03).status, ["OB", "LB"]);
        assert_eq!(st(0x03).alarms, ["[LOW BATTERY]"]);
        assert_eq!(st(0x04).status, ["DISCHRG"]);
        assert_eq!(st(0x80).status, ["CHRG"]);
        assert_eq!(st(0x08).status, ["OB"]);
        assert_eq!(st(0x30).alarms, ["[220V IN]", "[220V OUT]"]);
        assert_eq!(get(&st(0x81), "battery.charger.status"), Some("CHARGING"));
        assert_eq!(get(&st(0x01), "battery.charger.status"), Some("DISCHARGING"));
        // Input at or below the undervoltage: the mains are gone.
        let mut low = data(0);
        low.vacinrms = 96.0;
        assert_eq!(status(&low, 96), ["DISCHRG"]);
    }

    #[test]
    fn unknown_model_needs_va() {
        let mut h = hw();
        h.model = 14;
        let e = data_update(&data(0), Some(&h), &params(), &mut Memory::default()).unwrap_err();
        assert_eq!(e, PublishError::NeedVa(14));
        let p = Params { va: Some(800), ..params() };
        let u = data_update(&data(0), Some(&h), &p, &mut Memory::default()).unwrap();
        assert_eq!(get(&u, "ups.power.nominal"), Some("800"));
    }

    #[test]
    fn numbatteries_overrides_the_device() {
        let p = Params { numbatteries: Some(4), ..params() };
        let u = data_update(&data(0), Some(&hw()), &p, &mut Memory::default()).unwrap();
        assert_eq!(get(&u, "battery.packs"), Some("4"));
    }

    #[test]
    fn c_number_formats() {
        assert_eq!(f2(f64::INFINITY), "inf");
        assert_eq!(f2(-f64::NAN), "-nan");
        assert_eq!(f2(0.125), "0.12");
        assert_eq!(lround(2.5), "3");
        assert_eq!(lround(-2.5), "-3");
    }

    #[test]
    fn debug_variables() {
        let p = Params { debug_pkt_data: true, debug_pkt_hwinfo: true, ..params() };
        let u = data_update(&data(0x81), Some(&hw()), &p, &mut Memory::default()).unwrap();
        assert_eq!(get(&u, "experimental.nhs.data.statusval"), Some("129"));
        assert_eq!(get(&u, "experimental.nhs.data.status_p0"), Some("1"));
        assert_eq!(get(&u, "experimental.nhs.data.s_battery_mode"), Some("true"));
        assert_eq!(get(&u, "experimental.nhs.param.ah"), Some("7"));
        let h = hwinfo_vars(&hw(), &p);
        assert!(h.iter().any(|(k, v)| k == "experimental.nhs.hw.model" && v == "41"));
        assert!(h.iter().any(|(k, v)| k == "ups.model" && v == "PREMIUM 1500VA"));
    }
}
