//! What the decoded answers become (NUT 2.8.5's riello_ser: `upsdrv_initinfo`,
//! `upsdrv_updateinfo`, `parse_ups_status`), as pure functions.

use crate::parse::RielloData;
use crate::protocol::Kind;

/// `ups.mfr` / `device.mfr`.
pub const MANUFACTURER: &str = "RPS S.p.a.";
/// `ups.delay.shutdown` and `ups.delay.reboot` (seconds).
pub const DEFAULT_DELAY: u32 = 5;

/// What the start-up publishes besides the device's own answers: the battery voltage range
/// used by `localcalculation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Battery {
    pub nominal: f64,
    pub low: f64,
    pub high: f64,
}

/// The variables of the start-up (identification, nominal values, battery range), in NUT's
/// order. `nominal`: the GN (GPSER) or second SENTR answer arrived; `user_*`: the
/// `battery.voltage.*` values already set by `default.*`/`override.*`.
pub fn init_vars(
    d: &RielloData,
    nominal: bool,
    kind: Kind,
    localcalculation: bool,
    user_nominal: Option<f64>,
    user_low: Option<f64>,
    user_high: Option<f64>,
) -> (Vec<(String, String)>, Battery) {
    let mut v: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, val: String| v.push((k.to_string(), val));
    set("driver.parameter.localcalculation", (localcalculation as u8).to_string());
    if !d.input_monophase() {
        set("input.phases", "3".into());
        set("input.bypass.phases", "3".into());
    }
    if !d.output_monophase() {
        set("output.phases", "3".into());
    }
    set("device.mfr", MANUFACTURER.into());
    set("device.model", d.model_str.clone());
    set("device.serial", d.identification.clone());
    set("device.type", "ups".into());
    set("ups.mfr", MANUFACTURER.into());
    set("ups.model", d.model_str.clone());
    set("ups.serial", d.identification.clone());
    set("ups.firmware", d.version.clone());
    let mut nom = user_nominal.unwrap_or(12.0);
    if nominal {
        set("ups.realpower.nominal", d.nom_power_kw.to_string());
        set("ups.power.nominal", d.nom_power_kva.to_string());
        set("output.voltage.nominal", d.nominal_uout.to_string());
        set("output.frequency.nominal", format!("{:.1}", d.nom_fout as f64 / 10.0));
        if user_nominal.is_none() {
            set("battery.voltage.nominal", d.nom_ubat.to_string());
            nom = d.nom_ubat as f64;
        }
        set("battery.capacity", d.nom_bat_cap.to_string());
    } else if kind == Kind::Sentr && user_nominal.is_none() {
        set("battery.voltage.nominal", format!("{nom:.1}"));
    }
    let (mut low, mut high) = (10.4, 13.0);
    let times12 = (nom / 12.0) as i64;
    if times12 > 1 {
        low *= times12 as f64;
        high *= times12 as f64;
    }
    if let Some(l) = user_low {
        low = l;
    }
    if let Some(h) = user_high {
        high = h;
    }
    set("battery.voltage.low", format!("{low:.1}"));
    set("battery.voltage.high", format!("{high:.1}"));
    set("ups.delay.shutdown", DEFAULT_DELAY.to_string());
    set("ups.delay.reboot", DEFAULT_DELAY.to_string());
    (v, Battery { nominal: nom, low, high })
}

/// The instant commands (NUT's order); `test.panel.start` only in GPSER.
pub fn commands(kind: Kind) -> Vec<&'static str> {
    let mut c = vec![
        "load.off",
        "load.on",
        "load.off.delay",
        "load.on.delay",
        "shutdown.return",
        "shutdown.stop",
        "test.battery.start",
    ];
    if kind == Kind::Gpser {
        c.push("test.panel.start");
    }
    c
}

/// `ups.status` tokens from the status code (NUT's `parse_ups_status`).
pub fn status(d: &RielloData) -> Vec<&'static str> {
    let mut s = vec![if d.status_bit(1) { "OB" } else { "OL" }];
    for (on, t) in [
        (d.status_bit(1) && d.status_bit(0), "LB"),
        (!d.status_bit(3), "OFF"),
        (d.status_bit(8 + 3), "BYPASS"),
        (d.status_bit(32 + 2), "OVER"),
        (d.status_bit(8), "TRIM"),
        (d.status_bit(8 + 1), "BOOST"),
        (d.status_bit(16), "RB"),
        (d.status_bit(16 + 2), "CHRG"),
    ] {
        if on {
            s.push(t);
        }
    }
    s
}

/// C's `%.0f` of a float, with inf/nan as glibc prints them.
fn f0(x: f64) -> String {
    if x.is_nan() {
        if x.is_sign_negative() { "-nan" } else { "nan" }.into()
    } else if x.is_infinite() {
        if x < 0.0 { "-inf" } else { "inf" }.into()
    } else {
        format!("{x:.0}")
    }
}

/// The variables of one poll (NUT's `upsdrv_updateinfo`), in NUT's order, and the status.
/// `extended`: publish the RE values (GPSER RE answered or refused; always for SENTR).
pub fn update_vars(
    d: &RielloData,
    extended: bool,
    localcalculation: Option<&Battery>,
) -> (Vec<(String, String)>, Vec<&'static str>) {
    let mut v: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, val: String| v.push((k.to_string(), val));
    set("input.frequency", format!("{:.2}", d.finp as f64 / 10.0));
    set("input.bypass.frequency", format!("{:.2}", d.fbypass as f64 / 10.0));
    set("output.frequency", format!("{:.2}", d.fout as f64 / 10.0));
    set("battery.voltage", format!("{:.1}", d.ubat as f64 / 10.0));
    match localcalculation {
        Some(b) => {
            let low = (b.low * 10.0) as u16 as i64;
            let high = (b.high * 10.0) as u16 as i64;
            let ubat = d.ubat as i64;
            let charge: i64 = if ubat <= high && ubat >= low {
                if high > low {
                    ((ubat - low) * 100) / (high - low)
                } else {
                    100
                }
            } else if ubat < low {
                0
            } else {
                100
            };
            let charge = charge as u32;
            let cap = (d.nom_bat_cap as i32).wrapping_mul(d.nom_ubat as i32) as f64;
            let runtime = ((cap * 3600.0 / d.nom_power_kw as f64) * (charge as f64 / 100.0)) as f32;
            let factor: f32 = if d.pout[0] > 0 { (d.pout[0] as f64 / 100.0) as f32 } else { 1.0 };
            set("battery.charge", charge.to_string());
            set("battery.runtime", f0((runtime / factor) as f64));
        }
        None => {
            if d.bat_cap < 0xFFFF && d.bat_time < 0xFFFF {
                set("battery.charge", d.bat_cap.to_string());
                set("battery.runtime", (d.bat_time as u32 * 60).to_string());
            }
        }
    }
    if d.tsystem < 0xFF {
        set("ups.temperature", d.tsystem.to_string());
    }
    if d.input_monophase() {
        set("input.voltage", d.uinp[0].to_string());
        set("input.bypass.voltage", d.ubypass[0].to_string());
    } else {
        for i in 0..3 {
            set(&format!("input.L{}-N.voltage", i + 1), d.uinp[i].to_string());
        }
        for i in 0..3 {
            set(&format!("input.bypass.L{}-N.voltage", i + 1), d.ubypass[i].to_string());
        }
    }
    if d.output_monophase() {
        set("output.voltage", d.uout[0].to_string());
        set("output.power.percent", d.pout[0].to_string());
        set("ups.load", d.pout[0].to_string());
    } else {
        for i in 0..3 {
            set(&format!("output.L{}-N.voltage", i + 1), d.uout[i].to_string());
        }
        for i in 0..3 {
            set(&format!("output.L{}.power.percent", i + 1), d.pout[i].to_string());
        }
        let sum = d.pout[0] as u32 + d.pout[1] as u32 + d.pout[2] as u32;
        set("ups.load", (sum / 3).to_string());
    }
    if extended {
        for i in 0..3 {
            set(&format!("output.L{}.power", i + 1), d.pout_va[i].to_string());
        }
        for i in 0..3 {
            set(&format!("output.L{}.realpower", i + 1), d.pout_w[i].to_string());
        }
        for i in 0..3 {
            set(&format!("output.L{}.current", i + 1), d.iout[i].to_string());
        }
    }
    (v, status(d))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn mono() -> RielloData {
        let mut d = RielloData::default();
        d.identif_bytes[0] = b'1';
        d.status_code[0] = b'8';
        d.status_code[2] = b'4';
        d.ubat = 273;
        d.bat_cap = 100;
        d.bat_time = 320;
        d.tsystem = 31;
        d.finp = 501;
        d
    }

    fn get<'a>(v: &'a [(String, String)], k: &str) -> Option<&'a str> {
        v.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn status_bits() {
        let mut d = mono();
        assert_eq!(status(&d), ["OL", "CHRG"]);
        d.status_code[0] = b'8' | 0x03;
        d.status_code[2] = b'0';
        assert_eq!(status(&d), ["OB", "LB"]);
        d.status_code[0] = 0x02;
        d.status_code[1] = 0x0b;
        d.status_code[4] = 0x04;
        d.status_code[2] = 0x01;
        assert_eq!(status(&d), ["OB", "OFF", "BYPASS", "OVER", "TRIM", "BOOST", "RB"]);
    }

    #[test]
    fn update_single_phase() {
        let (v, st) = update_vars(&mono(), true, None);
        assert_eq!(st, ["OL", "CHRG"]);
        assert_eq!(get(&v, "input.frequency"), Some("50.10"));
        assert_eq!(get(&v, "battery.voltage"), Some("27.3"));
        assert_eq!(get(&v, "battery.runtime"), Some("19200"));
        assert_eq!(get(&v, "ups.temperature"), Some("31"));
        assert_eq!(get(&v, "output.L3.current"), Some("0"));
        assert!(get(&v, "input.L1-N.voltage").is_none());
    }

    #[test]
    fn init_battery_range_follows_the_nominal() {
        let mut d = mono();
        d.nom_ubat = 24;
        let (v, b) = init_vars(&d, true, Kind::Gpser, false, None, None, None);
        assert_eq!(get(&v, "battery.voltage.nominal"), Some("24"));
        assert_eq!(get(&v, "battery.voltage.low"), Some("20.8"));
        assert_eq!(get(&v, "battery.voltage.high"), Some("26.0"));
        assert_eq!(b.nominal, 24.0);
        let (v, _) = init_vars(&d, false, Kind::Sentr, false, None, None, None);
        assert_eq!(get(&v, "battery.voltage.nominal"), Some("12.0"));
        let (v, _) = init_vars(&d, true, Kind::Gpser, false, Some(48.0), Some(40.0), None);
        assert_eq!(get(&v, "battery.voltage.nominal"), None);
        assert_eq!(get(&v, "battery.voltage.low"), Some("40.0"));
        assert_eq!(get(&v, "battery.voltage.high"), Some("52.0"));
    }

    #[test]
    fn localcalculation() {
        let mut d = mono();
        d.nom_bat_cap = 7;
        d.nom_ubat = 24;
        d.nom_power_kw = 640;
        d.pout[0] = 50;
        d.ubat = 250; // 25.0 V in 20.8 .. 26.0
        let b = Battery { nominal: 24.0, low: 20.8, high: 26.0 };
        let (v, _) = update_vars(&d, false, Some(&b));
        // (250 - 208) * 100 / (260 - 208) = 80 %; 7 * 24 * 3600 / 640 * 0.8 / 0.5
        assert_eq!(get(&v, "battery.charge"), Some("80"));
        assert_eq!(get(&v, "battery.runtime"), Some("1512"));
    }
}
