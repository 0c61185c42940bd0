//! The facts of the protocol as data: models, status and fault codes, instant commands,
//! battery test results, and the variables published before the first poll. Facts from the
//! Meta System UPS Protocol Rev.1.12 as NUT 2.8.5's metasys driver uses it.

use crate::proto::cmd;

/// Models by code (model type x 10 + version, from the INFO answer): name and nominal
/// power in watts (what `ups.load` is a percentage of). An unknown code is refused.
pub const MODELS: &[(u16, &str, u32)] = &[
    (11, "HF Line (1 board)", 630),
    (12, "HF Line (2 boards)", 1260),
    (13, "HF Line (3 boards)", 1890),
    (14, "HF Line (4 boards)", 2520),
    (21, "ECO Network 750/1000", 500),
    (22, "ECO Network 1050/1500", 700),
    (23, "ECO Network 1500/2000", 1000),
    (24, "ECO Network 1800/2500", 1200),
    (25, "ECO Network 2100/3000", 1400),
    (31, "ECO 308", 500),
    (32, "ECO 311", 700),
    (44, "HF Line (4 boards)/2", 2520),
    (45, "HF Line (5 boards)/2", 3150),
    (46, "HF Line (6 boards)/2", 3780),
    (47, "HF Line (7 boards)/2", 4410),
    (48, "HF Line (8 boards)/2", 5040),
    (51, "HF Millennium 810", 700),
    (52, "HF Millennium 820", 1400),
    (61, "HF TOP Line 910", 700),
    (62, "HF TOP Line 920", 1400),
    (63, "HF TOP Line 930", 2100),
    (64, "HF TOP Line 940", 2800),
    (74, "HF TOP Line 940/2", 2800),
    (75, "HF TOP Line 950/2", 3500),
    (76, "HF TOP Line 960/2", 4200),
    (77, "HF TOP Line 970/2", 4900),
    (78, "HF TOP Line 980/2", 5600),
    (81, "ECO 508", 500),
    (82, "ECO 511", 700),
    (83, "ECO 516", 1000),
    (84, "ECO 519", 1200),
    (85, "ECO 522", 1400),
    (91, "ECO 305 / Harviot 530 SX", 330),
    (92, "ORDINATORE 2", 330),
    (93, "Harviot 730 SX", 430),
    (101, "ECO 308 SX / SX Interactive / Ordinatore", 500),
    (102, "ECO 311 SX / SX Interactive", 700),
    (111, "ally HF 800 / BI-TWICE 800", 560),
    (112, "ally HF 1600", 1120),
    (121, "ally HF 1000 / BI-TWICE 1000", 700),
    (122, "ally HF 2000", 1400),
    (131, "ally HF 1250 / BI-TWICE 1250", 875),
    (132, "ally HF 2500", 1750),
    (141, "Megaline 1250", 875),
    (142, "Megaline 2500", 1750),
    (143, "Megaline 3750", 2625),
    (144, "Megaline 5000", 3500),
    (154, "Megaline 5000 / 2", 3500),
    (155, "Megaline 6250 / 2", 4375),
    (156, "Megaline 7500 / 2", 5250),
    (157, "Megaline 8750 / 2", 6125),
    (158, "Megaline 10000 / 2", 7000),
];

/// The model with `code`: (name, nominal power).
pub fn model(code: u16) -> Option<(&'static str, u32)> {
    MODELS.iter().find(|m| m.0 == code).map(|m| (m.1, m.2))
}

/// Status codes (STATUS byte 1) and the `ups.status` token each gives. Battery reserve is
/// `LB` alone, and the two bypass modes are `BY`, as NUT publishes them; other codes give
/// no token.
pub const STATUS: &[(u8, &str)] = &[
    (0x00, "OL"), // on mains
    (0x01, "OB"), // on battery
    (0x02, "LB"), // battery reserve
    (0x03, "BY"), // bypass
    (0x04, "BY"), // manual bypass
];

/// Fault codes (STATUS byte 2): the token, if the fault has one (overheat 0x02, hardware
/// fault 0x03 and charger failure 0x04 have none in NUT's driver).
pub const FAULTS: &[(u8, Option<&str>)] =
    &[(0x00, None), (0x01, Some("OVER")), (0x02, None), (0x03, None), (0x04, None), (0x05, Some("RB"))];

/// Known status code?
pub fn status_token(code: u8) -> Option<Option<&'static str>> {
    STATUS.iter().find(|s| s.0 == code).map(|s| Some(s.1))
}

/// Known fault code?
pub fn fault_token(code: u8) -> Option<Option<&'static str>> {
    FAULTS.iter().find(|f| f.0 == code).map(|f| f.1)
}

/// Variables published at start-up, before the first poll, with NUT's flags: all writable
/// numbers showing -1 (nothing reads a write to them: NUT marks them RW without a SET
/// handler), and `ups.test.result` a writable string of 20.
pub const INITIAL: &[(&str, &str)] = &[
    ("output.voltage", "-1"),
    ("output.current", "-1"),
    ("input.voltage", "-1"),
    ("battery.voltage", "-1"),
    ("ups.load", "-1"),
    ("ups.delay.shutdown", "-1"),
    ("ups.delay.start", "-1"),
    ("ups.temperature", "-1"),
];

/// The string variable of [`INITIAL`]'s kind: name, first value, maximum length.
pub const TEST_RESULT: (&str, &str, i64) = ("ups.test.result", "not yet done...", 20);

/// What an instant command sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Write frames with these data parts, in order; the first is skipped when the UPS
    /// already restarts by itself (the auto-restart flag).
    Write {
        /// Sent only when the UPS does not restart by itself.
        unless_autorestart: Option<&'static [u8]>,
        /// Always sent.
        data: &'static [u8],
    },
    /// The battery test: write, then the answer comes once the test is over.
    BatteryTest(&'static [u8]),
    /// Another name for a command (NUT's compatibility names), with the warning NUT logs.
    Alias(&'static str, &'static str),
}

/// Enable auto-restart after a full discharge and when the power returns (no limits on the
/// times on battery).
pub const AUTORESTART_ON: &[u8] = &[cmd::SET_TIMES_ON_BATTERY, 0x00, 0x00, 0x00, 0x00, 0x01];

/// Instant commands, in the order NUT adds them.
pub const COMMANDS: &[(&str, Action)] = &[
    (
        "shutdown.return",
        // Off in 30 s, back on 1 s after the power returns (1, not 0: some firmware needs it).
        Action::Write {
            unless_autorestart: Some(AUTORESTART_ON),
            data: &[cmd::SET_SCHEDULING, 0x1e, 0, 0, 0, 0x01, 0, 0, 0],
        },
    ),
    (
        "shutdown.stayoff",
        // Off in 30 s, no restart (-1).
        Action::Write {
            unless_autorestart: None,
            data: &[cmd::SET_SCHEDULING, 0x1e, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        },
    ),
    (
        "shutdown.stop",
        // No shutdown, no restart.
        Action::Write {
            unless_autorestart: None,
            data: &[cmd::SET_SCHEDULING, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        },
    ),
    ("test.failure.start", Action::Write { unless_autorestart: None, data: &[cmd::SET_BATTERY_TEST, 0x01] }),
    ("test.failure.stop", Action::Write { unless_autorestart: None, data: &[cmd::SET_BATTERY_TEST, 0x02] }),
    ("test.battery.start", Action::BatteryTest(&[cmd::SET_BATTERY_TEST, 0x00])),
    ("beeper.enable", Action::Write { unless_autorestart: None, data: &[cmd::SET_BUZZER_MUTE, 0x00] }),
    ("beeper.mute", Action::Write { unless_autorestart: None, data: &[cmd::SET_BUZZER_MUTE, 0x01] }),
    (
        "beeper.on",
        Action::Alias("beeper.enable", "The 'beeper.on' command has been renamed to 'beeper.enable'"),
    ),
    (
        "beeper.off",
        Action::Alias(
            "beeper.mute",
            "The 'beeper.off' command has been renamed to 'beeper.mute' for this driver",
        ),
    ),
];

/// `shutdown.default` (`-k`): off in 150 s, back on 1 s after the power returns, with
/// auto-restart enabled first unless the UPS has it.
pub const SHUTDOWN_DEFAULT: Action = Action::Write {
    unless_autorestart: Some(AUTORESTART_ON),
    data: &[cmd::SET_SCHEDULING, 0x96, 0, 0, 0, 0x01, 0, 0, 0],
};

/// The command named `name` (case-insensitive, as NUT compares).
pub fn command(name: &str) -> Option<Action> {
    COMMANDS.iter().find(|c| c.0.eq_ignore_ascii_case(name)).map(|c| c.1)
}

/// The battery test's answer (data byte 1) as `ups.test.result`.
pub const TEST_RESULTS: &[(u8, &str)] = &[
    (0x00, "OK"),
    (0x01, "Battery charge: 20%"),
    (0x02, "Battery charge: 40%"),
    (0x03, "Battery charge: 60%"),
    (0x04, "Battery charge: 80%"),
    (0x05, "Battery charge: 100%"),
    (0xfe, "Bad battery pack: replace"),
];

/// `ups.test.result` for an answer byte (or no answer).
pub fn test_result(code: Option<u8>) -> &'static str {
    code.and_then(|c| TEST_RESULTS.iter().find(|r| r.0 == c)).map_or("Impossible to test", |r| r.1)
}

impl Action {
    /// The warning of an alias (empty for other actions).
    pub fn alias_warning(&self) -> &'static str {
        match self {
            Action::Alias(_, w) => w,
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_of_nut_is_here_once() {
        assert_eq!(MODELS.len(), 52);
        for (i, m) in MODELS.iter().enumerate() {
            assert!(MODELS[..i].iter().all(|o| o.0 != m.0), "code {} twice", m.0);
        }
        assert_eq!(model(121), Some(("ally HF 1000 / BI-TWICE 1000", 700)));
        assert_eq!(model(52), Some(("HF Millennium 820", 1400)));
        assert_eq!(model(10), None);
    }

    #[test]
    fn commands_are_framed_as_the_protocol_says() {
        let Some(Action::Write { data, .. }) = command("SHUTDOWN.STOP") else { panic!("shutdown.stop") };
        assert_eq!(data.len(), 9);
        assert_eq!(command("beeper.off"), Some(Action::Alias("beeper.mute", COMMANDS[9].1.alias_warning())));
        assert_eq!(command("load.off"), None);
        assert_eq!(test_result(Some(3)), "Battery charge: 60%");
        assert_eq!(test_result(Some(0x99)), "Impossible to test");
        assert_eq!(test_result(None), "Impossible to test");
        assert_eq!(status_token(2), Some(Some("LB")));
        assert_eq!(status_token(9), None);
        assert_eq!(fault_token(2), Some(None));
        assert_eq!(fault_token(5), Some(Some("RB")));
    }
}
