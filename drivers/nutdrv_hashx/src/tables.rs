//! nutdrv_hashx's data: the instant commands (NUT 2.8.5's `hashx_cmd[]`) and the meaning of
//! the status bytes of the `B` line (NUT's `upsdrv_updateinfo`, from the samples listed
//! there: on AC 80 84 d0 80 80 c0, discharging c0 83 8c 80 80 c0, ...).

/// (instant command, what is sent). Every one is answered by a status value, `#0` = done.
pub const INSTCMDS: [(&str, &str); 9] = [
    ("beeper.enable", "K60:1"),
    ("beeper.disable", "K60:0"),
    ("experimental.test.beeper.start", "AU"),
    ("experimental.test.beeper.stop", "KA"),
    ("test.battery.start.deep", "AH"),
    ("test.battery.start.quick", "A"),
    ("test.battery.stop", "KA"),
    ("calibrate.start", "AH"),
    ("calibrate.stop", "KA"),
];

/// The status bytes, decoded (each byte's top bit is dropped first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// `ups.status` tokens in NUT's order: `CAL`, `OB`/`OL`, `LB`/`HB`, `OFF`.
    pub tokens: Vec<&'static str>,
    /// `battery.charger.status`.
    pub charger: &'static str,
    /// `ups.alarm` text, if any.
    pub alarm: Option<&'static str>,
}

/// Byte 0, 0x08: a calibration (battery test) runs.
pub const B0_CALIBRATING: u8 = 0x08;
/// Byte 0, 0x20: battery critically low.
pub const B0_CRITICAL: u8 = 0x20;
/// Byte 1, 0x04: on AC (clear: on battery).
pub const B1_ON_AC: u8 = 0x04;
/// Byte 2, both 0x50: on AC and the battery is resting (else charging).
pub const B2_RESTING: u8 = 0x50;
/// Byte 4, 0x20: battery low.
pub const B4_LOW: u8 = 0x20;
/// Byte 4, 0x40: the outlets are off.
pub const B4_OFF: u8 = 0x40;

/// Decode at least five status bytes (`None` with fewer: NUT logs "Status bytes are not
/// enough" and leaves the status alone).
pub fn decode(raw: &[u8]) -> Option<Decoded> {
    if raw.len() < 5 {
        return None;
    }
    let b: Vec<u8> = raw.iter().map(|x| x & 0x7f).collect();
    let mut tokens = Vec::new();
    if b[0] & B0_CALIBRATING != 0 {
        tokens.push("CAL");
    }
    let charger = if b[1] & B1_ON_AC == 0 {
        tokens.push("OB");
        "discharging"
    } else if b[2] & B2_RESTING == B2_RESTING {
        tokens.push("OL");
        "resting"
    } else {
        tokens.push("OL");
        "charging"
    };
    tokens.push(if b[4] & B4_LOW != 0 { "LB" } else { "HB" });
    let alarm = (b[0] & B0_CRITICAL != 0).then_some(if b[0] & B0_CALIBRATING != 0 {
        "TEST MODE: Battery is critically low!"
    } else {
        "Battery is critically low, UPS is about to turn off!"
    });
    if b[4] & B4_OFF != 0 {
        tokens.push("OFF");
    }
    Some(Decoded { tokens, charger, alarm })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// NUT's table of observed status bytes (nutdrv_hashx.c, upsdrv_updateinfo) and what its
    /// code makes of each.
    #[test]
    fn nuts_observed_status_bytes() {
        let cases: [(&[u8], &str, &str, Option<&str>); 9] = [
            (b"\x80\x84\xd0\x80\x80\xc0", "OL HB", "resting", None), // on AC, fully charged
            (b"\x80\x84\x90\x80\x80\xc0", "OL HB", "charging", None), // high battery, charging
            (b"\x88\x80\x88\x88\x80\xc0", "CAL OB HB", "discharging", None), // testing battery
            (b"\x80\x84\x94\x80\x80\xc0", "OL HB", "charging", None), // battery low charging
            (b"\x80\x84\x94\x88\xa0\xc0", "OL LB", "charging", None), // very low, charging
            (b"\xc0\x83\x88\x88\x80\xc0", "OB HB", "discharging", None), // discharging from full
            (b"\xc0\x83\x8c\x80\xa0\xc0", "OB LB", "discharging", None), // discharging, very low
            (
                b"\xe0\x83\x8c\x80\xa0\xc0",
                "OB LB",
                "discharging",
                Some("Battery is critically low, UPS is about to turn off!"),
            ), // discharging, battery alarm
            (b"\x80\x84\x94\x80\xc0\xc0", "OL HB OFF", "charging", None), // output off, charging
        ];
        for (raw, tokens, charger, alarm) in cases {
            let d = decode(raw).unwrap();
            assert_eq!(d.tokens.join(" "), tokens, "{raw:x?}");
            assert_eq!(d.charger, charger, "{raw:x?}");
            assert_eq!(d.alarm, alarm, "{raw:x?}");
        }
        assert_eq!(
            decode(b"\xa8\x80\x88\x88\xa0").unwrap().alarm,
            Some("TEST MODE: Battery is critically low!")
        );
        assert_eq!(decode(b"\x80\x84\xd0\x80"), None);
    }
}
