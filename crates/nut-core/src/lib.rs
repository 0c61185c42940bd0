//! Shared vocabulary of the NUT suite: the version we are compatible with, where configuration
//! and state live, variable and command descriptions (`cmdvartab`), `ups.status` tokens, a
//! POSIX `getopt` that parses flags exactly as NUT's C programs do, and C's `atoi`.
//!
//! This crate does no I/O: the only outside input it reads is the process environment.
//! Text formats are split with `nut_proto::words`, the one implementation of NUT's lexer rules.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cmdvartab;
pub mod getopt;
pub mod num;
pub mod paths;
pub mod status;

/// The NUT release whose behaviour (flags, output, protocol) we reproduce, reported as NUT
/// 2.8.5 reports itself: in banners ([`banner`]), `VER` and `server.version` ([`server_info`]),
/// and `driver.version`.
///
/// Why 2.8.5 and not 2.8.0: scripts and setup tools read the version to know which flags and
/// behaviours to expect (`upsc -j`, `upsdrvctl -FF`, `driver.killpower`...), and we implement
/// 2.8.5's. The wire protocol is the same (`NETVER` 1.3); nothing that NUT 2.8.0 clients parse
/// depends on the number. The compatibility tests compare with Debian's 2.8.0 after mapping our
/// version strings to 2.8.0's (`nut_testkit::compat::as_debian_2_8_0`).
pub const NUT_VERSION: &str = "2.8.5";

/// The version as NUT 2.8.5 release builds describe themselves in banners.
pub const NUT_VERSION_DESCRIPTION: &str = "2.8.5 release";

/// The web address a NUT 2.8.5 release build names in `VER` and `server.info`.
pub const NUT_WEBSITE: &str = "https://www.networkupstools.org/historic/v2.8.5/index.html";

/// The network protocol version answered to `NETVER` and `PROTVER`.
pub const PROTOCOL_VERSION: &str = "1.3";

/// Version of this implementation, for `-V` output next to the NUT version.
pub const IMPL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The default TCP port of upsd.
pub const DEFAULT_PORT: u16 = 3493;

/// The banner every program prints first, as NUT 2.8.5 does (`Network UPS Tools upsc 2.8.5
/// release`).
pub fn banner(program: &str) -> String {
    format!("Network UPS Tools {program} {NUT_VERSION_DESCRIPTION}")
}

/// upsd's answer to `VER` and the value of `server.info` (`Network UPS Tools upsd 2.8.5 -
/// https://...`).
pub fn server_info() -> String {
    format!("Network UPS Tools upsd {NUT_VERSION} - {NUT_WEBSITE}")
}

/// The banner of a driver (`Network UPS Tools 2.8.5 release - Generic HID driver 0.52`): NUT
/// adds " driver" unless the description already says so.
pub fn driver_banner(description: &str, version: &str) -> String {
    let driver = if description.contains("river") { "" } else { " driver" };
    format!("Network UPS Tools {NUT_VERSION_DESCRIPTION} - {description}{driver} {version}")
}

/// Whether `NUT_QUIET_INIT_BANNER` (its value, when set) hides the banner. NUT 2.8.5's man
/// pages say: when it is empty or true. Its code hides the banner for every value except
/// exactly `1`; we hide it for every value except a false word (`false`, `no`, `off`, `0`), so
/// `1` hides it as the documentation says.
pub fn banner_disabled(value: Option<&str>) -> bool {
    match value {
        None => false,
        Some(v) => !matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "off" | "0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_strings_are_nut_2_8_5_release_builds() {
        // As NUT 2.8.5 prints them (common-nut_version.c, netmisc.c, drivers/main.c).
        assert_eq!(banner("upsc"), "Network UPS Tools upsc 2.8.5 release");
        assert_eq!(
            server_info(),
            "Network UPS Tools upsd 2.8.5 - https://www.networkupstools.org/historic/v2.8.5/index.html"
        );
        assert_eq!(
            driver_banner("Device simulation and repeater", "0.20"),
            "Network UPS Tools 2.8.5 release - Device simulation and repeater driver 0.20"
        );
        assert_eq!(
            driver_banner("Generic HID driver", "0.52"),
            "Network UPS Tools 2.8.5 release - Generic HID driver 0.52"
        );
    }

    #[test]
    fn quiet_banner_values() {
        assert!(!banner_disabled(None));
        for v in ["", "true", "TRUE", "1", "yes", "whatever"] {
            assert!(banner_disabled(Some(v)), "{v:?}");
        }
        for v in ["false", "no", "off", "0"] {
            assert!(!banner_disabled(Some(v)), "{v:?}");
        }
    }
}
