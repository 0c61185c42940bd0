//! `ups.conf`: global driver settings, then one `[name]` section per UPS.
//!
//! Every line is `key = value`, `key=value` or a bare flag (`nolock`). Keys before the first
//! section are globals; keys inside a section belong to that UPS. Besides the options common to
//! all drivers (typed fields of [`UpsSection`]), a section may hold any driver-specific option
//! (`vendorid`, `pollonly`, `offdelay`...): those are kept in file order in
//! [`UpsSection::options`] as `(key, Option<value>, line)`, and the driver validates them.
//!
//! Where we deliberately differ from NUT 2.8.0 (which silently ignores these lines or starts
//! anyway):
//! - A section without `driver` or `port` is an error at the section's line (upsd only logs
//!   "ignoring incomplete configuration", and the driver can't start).
//! - A duplicate section name is an error (NUT merges the two silently).
//! - A numeric setting that isn't a number is an error (NUT uses `atoi` and gets 0).
//! - `key value` without `=` and `key = a b` with extra words are warnings telling how to
//!   write the line (NUT ignores the line, or keeps only the first word).

use crate::diag::{Parsed, Sink};
use crate::lexer::{lex, Line};

/// Default `maxstartdelay` (seconds upsdrvctl waits for a driver to start).
pub const DEFAULT_MAXSTARTDELAY: u32 = 75;
/// Default `maxretry` (attempts upsdrvctl makes to start a driver).
pub const DEFAULT_MAXRETRY: u32 = 1;
/// Default `retrydelay` (seconds between those attempts).
pub const DEFAULT_RETRYDELAY: u32 = 5;
/// Default `pollinterval` (seconds between driver updates).
pub const DEFAULT_POLLINTERVAL: u32 = 2;

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsConf {
    /// Settings before the first section.
    pub globals: Globals,
    /// One entry per `[name]`, in file order.
    pub sections: Vec<UpsSection>,
}

impl UpsConf {
    /// The section for UPS `name` (exact, case-sensitive as in NUT).
    pub fn section(&self, name: &str) -> Option<&UpsSection> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// `maxstartdelay` for a UPS: its own, else the global one, else 75.
    pub fn maxstartdelay(&self, ups: &UpsSection) -> u32 {
        ups.maxstartdelay.or(self.globals.maxstartdelay).unwrap_or(DEFAULT_MAXSTARTDELAY)
    }

    /// `maxretry` for a UPS: its own, else the global one, else 1.
    pub fn maxretry(&self, ups: &UpsSection) -> u32 {
        ups.maxretry.or(self.globals.maxretry).unwrap_or(DEFAULT_MAXRETRY)
    }

    /// `retrydelay` for a UPS: its own, else the global one, else 5.
    pub fn retrydelay(&self, ups: &UpsSection) -> u32 {
        ups.retrydelay.or(self.globals.retrydelay).unwrap_or(DEFAULT_RETRYDELAY)
    }

    /// `synchronous` for a UPS: its own, else the global one, else `auto`.
    pub fn synchronous(&self, ups: &UpsSection) -> Synchronous {
        ups.synchronous.or(self.globals.synchronous).unwrap_or(Synchronous::Auto)
    }

    /// `debug_min` for a UPS: its own, else the global one.
    pub fn debug_min(&self, ups: &UpsSection) -> Option<u32> {
        ups.debug_min.or(self.globals.debug_min)
    }

    /// `LIBUSB_DEBUG` for a UPS: its own, else the global one.
    pub fn libusb_debug(&self, ups: &UpsSection) -> Option<u32> {
        ups.libusb_debug.or(self.globals.libusb_debug)
    }

    /// `reconnect_max_tries` for a UPS: its own, else the global one (planned NUT 2.8.6).
    pub fn reconnect_max_tries(&self, ups: &UpsSection) -> Option<i32> {
        ups.reconnect_max_tries.or(self.globals.reconnect_max_tries)
    }

    /// `reconnect_report_freq` for a UPS: its own, else the global one (planned NUT 2.8.6).
    pub fn reconnect_report_freq(&self, ups: &UpsSection) -> Option<i32> {
        ups.reconnect_report_freq.or(self.globals.reconnect_report_freq)
    }

    /// `user` for a UPS: its own, else the global one.
    pub fn user<'a>(&'a self, ups: &'a UpsSection) -> Option<&'a str> {
        ups.user.as_deref().or(self.globals.user.as_deref())
    }

    /// `group` for a UPS: its own, else the global one.
    pub fn group<'a>(&'a self, ups: &'a UpsSection) -> Option<&'a str> {
        ups.group.as_deref().or(self.globals.group.as_deref())
    }
}

/// Settings before the first section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Globals {
    /// `chroot`: directory the drivers chroot into.
    pub chroot: Option<String>,
    /// `driverpath`: where upsdrvctl finds the driver programs.
    pub driverpath: Option<String>,
    /// `statepath`: where the drivers create their sockets.
    pub statepath: Option<String>,
    /// `maxstartdelay` (default 75).
    pub maxstartdelay: Option<u32>,
    /// `maxretry` (default 1).
    pub maxretry: Option<u32>,
    /// `retrydelay` (default 5).
    pub retrydelay: Option<u32>,
    /// `nowait`: upsdrvctl doesn't wait for the drivers to finish starting.
    pub nowait: bool,
    /// `pollinterval` (default 2).
    pub pollinterval: Option<u32>,
    /// `synchronous` (default auto).
    pub synchronous: Option<Synchronous>,
    /// `user`: the account drivers run as.
    pub user: Option<String>,
    /// `group`: the group of the driver sockets.
    pub group: Option<String>,
    /// `debug_min` (any case, as NUT reads it): minimum debug level for all drivers.
    pub debug_min: Option<u32>,
    /// `LIBUSB_DEBUG`: libusb's own debug level, exported to the drivers' environment.
    pub libusb_debug: Option<u32>,
    /// `reconnect_max_tries` (planned 2.8.6): reconnection attempts before a driver exits;
    /// negative: forever (the default), 0: exit as soon as the device is lost.
    pub reconnect_max_tries: Option<i32>,
    /// `reconnect_report_freq` (planned 2.8.6): log progress every N attempts (<= 0: never).
    pub reconnect_report_freq: Option<i32>,
}

/// `synchronous = yes|no|auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// Always wait for upsd to read each update.
    Yes,
    /// Never wait.
    No,
    /// Wait only once the socket buffer is full (NUT's default).
    Auto,
}

impl Synchronous {
    /// The word NUT publishes as `driver.parameter.synchronous`: `yes`, `no` or `auto`.
    pub fn as_str(self) -> &'static str {
        match self {
            Synchronous::Yes => "yes",
            Synchronous::No => "no",
            Synchronous::Auto => "auto",
        }
    }
}

/// A driver-specific option (or any option the typed fields don't cover), in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverOption {
    /// The option name as written.
    pub key: String,
    /// `None` for a flag such as `pollonly`.
    pub value: Option<String>,
    /// The line it was set on.
    pub line: usize,
}

/// One `[name]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsSection {
    /// The UPS name (what clients write before `@host`).
    pub name: String,
    /// Line of the `[name]` header.
    pub line: usize,
    /// `driver` (required).
    pub driver: String,
    /// `port` (required; `auto` for USB).
    pub port: String,
    /// `desc`: shown by `LIST UPS`.
    pub desc: Option<String>,
    /// `user`: overrides the global one for this driver.
    pub user: Option<String>,
    /// `group`: overrides the global one for this driver.
    pub group: Option<String>,
    /// `sdorder`: shutdown order for `upsdrvctl shutdown` (-1 means never).
    pub sdorder: Option<i32>,
    /// `sdcommands`: instant commands tried, in order, to shut the UPS down (2.8.3).
    pub sdcommands: Option<String>,
    /// `allow_killpower`: allow the `driver.killpower` instant command.
    pub allow_killpower: bool,
    /// `nolock`: don't lock the serial port.
    pub nolock: bool,
    /// `ignorelb`: ignore the UPS's own LB flag and use the thresholds instead.
    pub ignorelb: bool,
    /// `maxstartdelay` for this UPS.
    pub maxstartdelay: Option<u32>,
    /// `maxretry` for this UPS.
    pub maxretry: Option<u32>,
    /// `retrydelay` for this UPS.
    pub retrydelay: Option<u32>,
    /// `synchronous` for this UPS.
    pub synchronous: Option<Synchronous>,
    /// `debug_min` for this UPS (overrides the global one).
    pub debug_min: Option<u32>,
    /// `LIBUSB_DEBUG` for this UPS (overrides the global one).
    pub libusb_debug: Option<u32>,
    /// `reconnect_max_tries` for this UPS (planned 2.8.6).
    pub reconnect_max_tries: Option<i32>,
    /// `reconnect_report_freq` for this UPS (planned 2.8.6).
    pub reconnect_report_freq: Option<i32>,
    /// Line of each common setting of this section (`port`, `sdcommands`...), for messages.
    pub lines: Vec<(String, usize)>,
    /// `default.<var> = value`: initial values the device may change, in file order.
    pub defaults: Vec<(String, String)>,
    /// `override.<var> = value`: values that replace the device's, in file order.
    pub overrides: Vec<(String, String)>,
    /// Every other option (usb_* and driver-specific ones), in file order.
    pub options: Vec<DriverOption>,
}

impl UpsSection {
    /// The last value of a driver-specific option (`Some(None)` for a flag).
    pub fn option(&self, key: &str) -> Option<Option<&str>> {
        self.options.iter().rev().find(|o| o.key == key).map(|o| o.value.as_deref())
    }

    /// True when a driver-specific option is present (flag or value).
    pub fn has(&self, key: &str) -> bool {
        self.options.iter().any(|o| o.key == key)
    }
}

/// Global keys, for "did you mean" suggestions.
pub const GLOBAL_KEYS: &[&str] = &[
    "chroot",
    "driverpath",
    "statepath",
    "maxstartdelay",
    "maxretry",
    "retrydelay",
    "nowait",
    "pollinterval",
    "synchronous",
    "user",
    "group",
    "debug_min",
    "LIBUSB_DEBUG",
    "reconnect_max_tries",
    "reconnect_report_freq",
];

/// Per-UPS keys common to every driver (handled by the driver framework, upsdrvctl or upsd),
/// for "did you mean" suggestions and repeat warnings. Everything else in a section is a
/// driver option that the driver itself accepts or refuses (the `usb_*` options of
/// nut_usb_addvars belong to the USB drivers).
pub const SECTION_KEYS: &[&str] = &[
    "driver",
    "port",
    "desc",
    "user",
    "group",
    "sdorder",
    "sdcommands",
    "allow_killpower",
    "nolock",
    "ignorelb",
    "maxstartdelay",
    "maxretry",
    "retrydelay",
    "synchronous",
    "debug_min",
    "pollinterval",
    "LIBUSB_DEBUG",
    "reconnect_max_tries",
    "reconnect_report_freq",
];

/// The options NUT's USB drivers add to their own (nut_usb_addvars), besides the matching
/// ones: a driver without USB refuses them.
pub const USB_KEYS: &[&str] = &[
    "usb_set_altinterface",
    "usb_config_index",
    "usb_hid_rep_index",
    "usb_hid_desc_index",
    "usb_hid_ep_in",
    "usb_hid_ep_out",
];

/// Parse `ups.conf` text; `file` names it in diagnostics.
pub fn parse(text: &str, file: &str) -> Parsed<UpsConf> {
    let (lines, diags) = lex(text, file);
    let mut sink = Sink::new(file, diags);
    let mut conf = UpsConf::default();
    let mut cur: Option<UpsSection> = None;
    // Where each core key was set in the current section, to warn about repeats.
    let mut seen: Vec<(String, usize)> = Vec::new();

    for line in &lines {
        if let Some(name) = line.section() {
            if line.words.len() > 1 {
                sink.warn(
                    line.line,
                    format!(
                        "text after [{name}] on the same line is ignored; put each setting on \
                         its own line"
                    ),
                );
            }
            if let Some(done) = cur.take() {
                finish_section(&mut sink, &mut conf, done);
            }
            seen.clear();
            if name.trim().is_empty() {
                sink.error(line.line, "empty section name \"[]\"; write the UPS name, e.g. [myups]");
            }
            cur = Some(UpsSection { name: name.to_string(), line: line.line, ..Default::default() });
            continue;
        }
        if line.words[0].starts_with('[') {
            sink.error(
                line.line,
                format!(
                    "\"{}\" is not a section header; write the UPS name alone in brackets, \
                     without spaces, e.g. [myups]",
                    line.words.join(" ")
                ),
            );
            continue;
        }
        let Some((key, value)) = key_value(&mut sink, line) else { continue };
        match cur.as_mut() {
            None => global(&mut sink, &mut conf.globals, line.line, key, value),
            Some(sec) => {
                if SECTION_KEYS.contains(&key) || USB_KEYS.contains(&key) {
                    if let Some((_, first)) = seen.iter().find(|(k, _)| k == key) {
                        sink.warn(
                            line.line,
                            format!(
                                "\"{key}\" is set again for [{}] (first on line {first}); the \
                                 last value wins, remove one of them",
                                sec.name
                            ),
                        );
                    } else {
                        seen.push((key.to_string(), line.line));
                    }
                }
                section_key(&mut sink, sec, line.line, key, value)
            }
        }
    }
    if let Some(done) = cur.take() {
        finish_section(&mut sink, &mut conf, done);
    }
    sink.finish(conf)
}

/// Every diagnostic for `ups.conf` (what `upsdrvctl`/`upsd` check modes print).
pub fn check(text: &str, file: &str) -> Vec<crate::Diagnostic> {
    match parse(text, file) {
        Ok((_, d)) | Err(d) => d,
    }
}

/// Split a line into a key and an optional value, warning about forms NUT ignores.
fn key_value<'l>(sink: &mut Sink, line: &'l Line) -> Option<(&'l str, Option<&'l str>)> {
    let w = &line.words;
    if let Some((key, rest)) = line.assignment() {
        if key.is_empty() {
            sink.error(line.line, "a setting has no name before \"=\"; write key = value");
            return None;
        }
        match rest.len() {
            0 => {
                sink.warn(
                    line.line,
                    format!("\"{key} =\" has no value; write {key} = <value>, or remove the line"),
                );
                Some((key, Some("")))
            }
            1 => Some((key, Some(rest[0].as_str()))),
            _ if is_secret_key(key) => {
                // Never echo a password or SNMP community: diagnostics end up in logs.
                sink.warn(
                    line.line,
                    format!(
                        "only the first word of the value of {key} is used; quote a value with \
                         spaces: {key} = \"...\""
                    ),
                );
                Some((key, Some(rest[0].as_str())))
            }
            _ => {
                sink.warn(
                    line.line,
                    format!(
                        "only the first word of the value is used (\"{}\"); quote a value with \
                         spaces: {key} = \"{}\"",
                        rest[0],
                        rest.join(" ")
                    ),
                );
                Some((key, Some(rest[0].as_str())))
            }
        }
    } else if w.len() == 1 {
        if w[0] == "=" {
            sink.error(line.line, "a lone \"=\"; write key = value");
            return None;
        }
        Some((&w[0], None))
    } else {
        sink.warn(
            line.line,
            format!(
                "\"{}\" is ignored: a setting is written {} = {}",
                w.join(" "),
                w[0],
                crate::quote_if_needed(&w[1..].join(" "))
            ),
        );
        None
    }
}

fn need_value<'v>(sink: &mut Sink, line: usize, key: &str, value: Option<&'v str>) -> Option<&'v str> {
    match value {
        Some(v) => Some(v),
        None => {
            sink.error(line, format!("\"{key}\" needs a value; write {key} = <value>"));
            None
        }
    }
}

fn number(sink: &mut Sink, line: usize, key: &str, value: Option<&str>) -> Option<u32> {
    let v = need_value(sink, line, key, value)?;
    match v.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            sink.error(line, format!("\"{key}\" needs a whole number of 0 or more, not \"{v}\""));
            None
        }
    }
}

fn signed(sink: &mut Sink, line: usize, key: &str, value: Option<&str>) -> Option<i32> {
    let v = need_value(sink, line, key, value)?;
    match v.parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            sink.error(line, format!("\"{key}\" needs a whole number (negative allowed), not \"{v}\""));
            None
        }
    }
}

fn synchronous(sink: &mut Sink, line: usize, value: Option<&str>) -> Option<Synchronous> {
    let v = need_value(sink, line, "synchronous", value)?;
    match v.to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" => Some(Synchronous::Yes),
        "no" | "off" | "false" | "0" => Some(Synchronous::No),
        "auto" => Some(Synchronous::Auto),
        _ => {
            sink.error(line, format!("synchronous must be yes, no or auto, not \"{v}\""));
            None
        }
    }
}

/// A flag that may also be written `key = yes/no`.
fn flag(sink: &mut Sink, line: usize, key: &str, value: Option<&str>) -> bool {
    match value {
        None => true,
        Some(v) => match crate::diag::parse_bool(v) {
            Some(b) => b,
            None => {
                sink.error(
                    line,
                    format!("\"{key}\" is a flag: write it alone on its line, or {key} = yes/no"),
                );
                false
            }
        },
    }
}

fn text(sink: &mut Sink, line: usize, key: &str, value: Option<&str>) -> Option<String> {
    need_value(sink, line, key, value).map(str::to_string)
}

fn global(sink: &mut Sink, g: &mut Globals, line: usize, key: &str, value: Option<&str>) {
    match key {
        "chroot" => g.chroot = text(sink, line, key, value),
        "driverpath" => g.driverpath = text(sink, line, key, value),
        // Any case, as NUT reads it (upsd.conf spells it STATEPATH).
        k if k.eq_ignore_ascii_case("statepath") => g.statepath = text(sink, line, key, value),
        "maxstartdelay" => g.maxstartdelay = number(sink, line, key, value),
        "maxretry" => g.maxretry = number(sink, line, key, value),
        "retrydelay" => g.retrydelay = number(sink, line, key, value),
        "nowait" => g.nowait = flag(sink, line, key, value),
        "pollinterval" => g.pollinterval = number(sink, line, key, value),
        "synchronous" => g.synchronous = synchronous(sink, line, value),
        "user" => g.user = text(sink, line, key, value),
        "group" => g.group = text(sink, line, key, value),
        k if k.eq_ignore_ascii_case("debug_min") => g.debug_min = number(sink, line, key, value),
        "LIBUSB_DEBUG" => g.libusb_debug = number(sink, line, key, value),
        "reconnect_max_tries" => g.reconnect_max_tries = signed(sink, line, key, value),
        "reconnect_report_freq" => g.reconnect_report_freq = signed(sink, line, key, value),
        "driver" | "port" | "desc" => sink.error(
            line,
            format!(
                "\"{key}\" appears before any [section]; start the UPS with a line like \
                 [myups] above it"
            ),
        ),
        _ => sink.unknown(
            line,
            "global setting",
            key,
            GLOBAL_KEYS,
            "it is ignored (driver options belong inside a [ups] section)",
        ),
    }
}

fn section_key(sink: &mut Sink, s: &mut UpsSection, line: usize, key: &str, value: Option<&str>) {
    if SECTION_KEYS.contains(&key) || key.eq_ignore_ascii_case("debug_min") {
        s.lines.retain(|(k, _)| k != key);
        s.lines.push((key.to_string(), line));
    }
    match key {
        "driver" => s.driver = text(sink, line, key, value).unwrap_or_default(),
        "port" => s.port = text(sink, line, key, value).unwrap_or_default(),
        "desc" => s.desc = text(sink, line, key, value),
        "user" => s.user = text(sink, line, key, value),
        "group" => s.group = text(sink, line, key, value),
        "sdorder" => {
            if let Some(v) = need_value(sink, line, key, value) {
                match v.parse::<i32>() {
                    Ok(n) => s.sdorder = Some(n),
                    Err(_) => sink.error(
                        line,
                        format!("sdorder needs a whole number (-1 means never shut down), not \"{v}\""),
                    ),
                }
            }
        }
        "sdcommands" => s.sdcommands = text(sink, line, key, value),
        "allow_killpower" => s.allow_killpower = flag(sink, line, key, value),
        "nolock" => s.nolock = flag(sink, line, key, value),
        "ignorelb" => s.ignorelb = flag(sink, line, key, value),
        "maxstartdelay" => s.maxstartdelay = number(sink, line, key, value),
        "maxretry" => s.maxretry = number(sink, line, key, value),
        "retrydelay" => s.retrydelay = number(sink, line, key, value),
        "synchronous" => s.synchronous = synchronous(sink, line, value),
        k if k.eq_ignore_ascii_case("debug_min") => s.debug_min = number(sink, line, key, value),
        "LIBUSB_DEBUG" => s.libusb_debug = number(sink, line, key, value),
        "reconnect_max_tries" => s.reconnect_max_tries = signed(sink, line, key, value),
        "reconnect_report_freq" => s.reconnect_report_freq = signed(sink, line, key, value),
        "sddelay" => sink.warn(
            line,
            "sddelay is obsolete and has no effect (NUT only logs it too); remove the line, and set \
             the UPS's shutdown delay with the driver's own option (offdelay for usbhid-ups)",
        ),
        _ => {
            for (prefix, list) in [("default.", &mut s.defaults), ("override.", &mut s.overrides)] {
                if let Some(var) = key.strip_prefix(prefix) {
                    if var.is_empty() {
                        sink.error(
                            line,
                            format!("\"{key}\" names no variable; write {prefix}<variable> = <value>"),
                        );
                    } else if let Some(v) = need_value(sink, line, key, value) {
                        list.push((var.to_string(), v.to_string()));
                    }
                    return;
                }
            }
            if let Some(g) = ["chroot", "driverpath", "statepath", "nowait"].iter().find(|g| **g == key) {
                sink.warn(
                    line,
                    format!(
                        "\"{g}\" is a global setting but appears inside [{}]; move it above the \
                         first [section]",
                        s.name
                    ),
                );
            }
            s.options.push(DriverOption { key: key.to_string(), value: value.map(str::to_string), line });
        }
    }
}

fn finish_section(sink: &mut Sink, conf: &mut UpsConf, s: UpsSection) {
    if let Some(first) = conf.sections.iter().find(|o| o.name == s.name) {
        sink.error(
            s.line,
            format!(
                "UPS [{}] is defined twice (first on line {}); rename or merge one of them",
                s.name, first.line
            ),
        );
    }
    if s.driver.is_empty() {
        sink.error(
            s.line,
            format!(
                "[{}] has no driver; add a line like: driver = usbhid-ups (see `man nutupsdrv` \
                 for the list)",
                s.name
            ),
        );
    }
    if s.port.is_empty() {
        sink.error(
            s.line,
            format!(
                "[{}] has no port; add a line like: port = auto (USB) or port = /dev/ttyS0 (serial)",
                s.name
            ),
        );
    }
    conf.sections.push(s);
}

/// Driver options that hold secrets (SNMP `community`, `authPassword`, `privPassword`, a
/// `password` or `secret` of network drivers): their values are never shown in diagnostics.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("pass") || k.contains("community") || k.contains("secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (UpsConf, Vec<crate::Diagnostic>) {
        match parse(text, "ups.conf") {
            Ok(v) => v,
            Err(d) => panic!("unexpected errors:\n{}", crate::render(&d)),
        }
    }

    fn errs(text: &str) -> Vec<String> {
        crate::testutil::errs(parse(text, "ups.conf"), false)
    }

    #[test]
    fn minimal_section_and_defaults() {
        let (c, w) = ok("[ups]\n\tdriver = usbhid-ups\n\tport = auto\n");
        assert!(w.is_empty());
        let s = c.section("ups").expect("section");
        assert_eq!((s.driver.as_str(), s.port.as_str(), s.line), ("usbhid-ups", "auto", 1));
        assert_eq!(c.maxstartdelay(s), 75);
        assert_eq!(c.maxretry(s), 1);
        assert_eq!(c.retrydelay(s), 5);
        assert_eq!(c.synchronous(s), Synchronous::Auto);
        assert!(c.section("UPS").is_none());
    }

    #[test]
    fn every_global() {
        let (c, w) = ok("chroot = /c\ndriverpath = /lib/nut\nstatepath = /run/nut\n\
             maxstartdelay = 45\nmaxretry = 3\nretrydelay = 10\nnowait\npollinterval = 4\n\
             synchronous = yes\nuser = nut\ngroup = nut\ndebug_min = 2\nLIBUSB_DEBUG = 3\n\
             reconnect_max_tries = 7\nreconnect_report_freq = 8\n");
        assert!(w.is_empty(), "{w:?}");
        let g = &c.globals;
        assert_eq!(g.chroot.as_deref(), Some("/c"));
        assert_eq!(g.driverpath.as_deref(), Some("/lib/nut"));
        assert_eq!(g.statepath.as_deref(), Some("/run/nut"));
        // NUT's drivers take STATEPATH in any case (upsd.conf's spelling).
        let (upper, w) = ok("STATEPATH = /st\n");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(upper.globals.statepath.as_deref(), Some("/st"));
        assert_eq!((g.maxstartdelay, g.maxretry, g.retrydelay), (Some(45), Some(3), Some(10)));
        assert!(g.nowait);
        assert_eq!(g.pollinterval, Some(4));
        assert_eq!(g.synchronous, Some(Synchronous::Yes));
        assert_eq!((g.user.as_deref(), g.group.as_deref()), (Some("nut"), Some("nut")));
        assert_eq!((g.debug_min, g.libusb_debug), (Some(2), Some(3)));
        assert_eq!((g.reconnect_max_tries, g.reconnect_report_freq), (Some(7), Some(8)));
        assert!(c.sections.is_empty());
    }

    #[test]
    fn every_section_key_and_driver_options_in_order() {
        let text = "maxretry = 2\nuser=nut\n[eaton]\n driver=usbhid-ups\n port=auto\n \
                    desc = \"Eaton Ellipse ECO\"\n user = root\n group = dialout\n sdorder = -1\n \
                    sdcommands = shutdown.return,load.off\n allow_killpower\n nolock\n ignorelb\n \
                    maxstartdelay = 30\n retrydelay = 9\n synchronous = no\n debug_min = 1\n \
                    vendorid = 0463\n pollonly\n usb_set_altinterface = 0\n \
                    default.battery.charge.low = 20\n override.battery.runtime.low = 300\n \
                    offdelay = 60\n";
        let (c, w) = ok(text);
        assert!(w.is_empty(), "{w:?}");
        let s = &c.sections[0];
        assert_eq!(s.desc.as_deref(), Some("Eaton Ellipse ECO"));
        assert_eq!((s.user.as_deref(), s.group.as_deref()), (Some("root"), Some("dialout")));
        assert_eq!(s.sdorder, Some(-1));
        assert_eq!(s.sdcommands.as_deref(), Some("shutdown.return,load.off"));
        assert!(s.allow_killpower && s.nolock && s.ignorelb);
        assert_eq!(c.maxstartdelay(s), 30);
        assert_eq!(c.maxretry(s), 2, "global applies");
        assert_eq!(c.retrydelay(s), 9);
        assert_eq!(c.synchronous(s), Synchronous::No);
        assert_eq!(c.debug_min(s), Some(1));
        assert_eq!(c.user(s), Some("root"));
        assert_eq!(s.defaults, vec![("battery.charge.low".to_string(), "20".to_string())]);
        assert_eq!(s.overrides, vec![("battery.runtime.low".to_string(), "300".to_string())]);
        let keys: Vec<(&str, Option<&str>, usize)> =
            s.options.iter().map(|o| (o.key.as_str(), o.value.as_deref(), o.line)).collect();
        assert_eq!(
            keys,
            vec![
                ("vendorid", Some("0463"), 18),
                ("pollonly", None, 19),
                ("usb_set_altinterface", Some("0"), 20),
                ("offdelay", Some("60"), 23),
            ]
        );
        assert_eq!(s.option("pollonly"), Some(None));
        assert_eq!(s.option("vendorid"), Some(Some("0463")));
        assert!(s.has("offdelay") && !s.has("bus"));
    }

    #[test]
    fn missing_driver_and_port_are_errors_at_the_section_line() {
        let e = errs("[a]\n driver = dummy-ups\n port = a.dev\n\n[b]\n desc = x\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("ups.conf:5: error: [b] has no driver"), "{}", e[0]);
        assert!(e[1].starts_with("ups.conf:5: error: [b] has no port"), "{}", e[1]);
    }

    #[test]
    fn duplicate_sections_are_an_error() {
        let e = errs("[a]\ndriver=x\nport=y\n[a]\ndriver=x\nport=z\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("ups.conf:4: error: UPS [a] is defined twice (first on line 1)"), "{}", e[0]);
    }

    #[test]
    fn all_problems_are_reported_not_just_the_first() {
        let e = errs("maxretry = x\nbogus = 1\n[a]\nport = 1\nsynchronous = maybe\n[b]\ndriver = d\n");
        let joined = e.join("\n");
        assert!(joined.contains("ups.conf:1: error: \"maxretry\" needs a whole number"), "{joined}");
        assert!(joined.contains("ups.conf:2: warning: unknown global setting \"bogus\""), "{joined}");
        assert!(joined.contains("ups.conf:3: error: [a] has no driver"), "{joined}");
        assert!(joined.contains("ups.conf:5: error: synchronous must be yes, no or auto"), "{joined}");
        assert!(joined.contains("ups.conf:6: error: [b] has no port"), "{joined}");
    }

    #[test]
    fn forms_nut_ignores_are_warnings_that_say_how_to_write_them() {
        let (c, w) = ok("[a] driver = x\ndriver = d\nport = p\ndesc one\ndesc = two words\nkey =\n");
        let w: Vec<String> = w.iter().map(ToString::to_string).collect();
        assert!(w[0].starts_with("ups.conf:1: warning: text after [a]"), "{w:?}");
        assert!(
            w[1].contains("ups.conf:4: warning: \"desc one\" is ignored: a setting is written desc = one"),
            "{w:?}"
        );
        assert!(w[2].contains("ups.conf:5: warning: only the first word"), "{w:?}");
        assert!(w[2].contains("desc = \"two words\""), "{w:?}");
        assert!(w[3].contains("ups.conf:6: warning: \"key =\" has no value"), "{w:?}");
        assert_eq!(c.sections[0].desc.as_deref(), Some("two"));
    }

    #[test]
    fn global_typo_gets_a_suggestion_and_section_options_before_a_section_are_errors() {
        let (_, w) = ok("maxretries = 3\nPollInterval = 2\n");
        assert!(w[0].message.contains("did you mean \"maxretry\"?"), "{}", w[0]);
        assert!(w[1].message.contains("did you mean \"pollinterval\"?"), "{}", w[1]);
        let e = errs("driver = usbhid-ups\n");
        assert!(e[0].contains("before any [section]"), "{}", e[0]);
    }

    #[test]
    fn repeated_key_warns_and_last_wins() {
        let (c, w) = ok("[a]\ndriver = x\nport = 1\nport = 2\n");
        assert_eq!(c.sections[0].port, "2");
        assert!(w[0]
            .to_string()
            .contains("ups.conf:4: warning: \"port\" is set again for [a] (first on line 3)"));
    }

    #[test]
    fn bad_section_headers() {
        let e = errs("[a b]\n[]\ndriver = x\nport = y\n");
        assert!(e[0].starts_with("ups.conf:1: error: \"[a b]\" is not a section header"), "{e:?}");
        assert!(e[1].starts_with("ups.conf:2: error: empty section name"), "{e:?}");
    }

    #[test]
    fn empty_file_is_valid() {
        let (c, w) = ok("# nothing\n\n");
        assert!(c.sections.is_empty() && w.is_empty());
    }

    #[test]
    fn secret_option_values_are_never_echoed() {
        let text = "[u]\n driver = snmp-ups\n port = h\n authPassword = Zq9 secret\n community = Zq9 x\n";
        let d = check(text, "ups.conf");
        assert_eq!(d.len(), 2, "{d:?}");
        for x in &d {
            assert!(!x.to_string().contains("Zq9"), "{x}");
            assert!(x.message.contains("only the first word"), "{x}");
        }
    }

    #[test]
    fn nut_2_8_5_driver_settings_in_sections() {
        let text = "DEBUG_MIN = 1\nreconnect_max_tries = -1\nLIBUSB_DEBUG = 2\n[u]\n driver = usbhid-ups\n \
                    port = auto\n LIBUSB_DEBUG = 4\n Debug_Min = 3\n reconnect_max_tries = 5\n \
                    reconnect_report_freq = 2\n sdcommands = beeper.off,shutdown.default\n \
                    usb_hid_ep_in = 2\n[v]\n driver = dummy-ups\n port = v.dev\n";
        let (c, w) = ok(text);
        assert!(w.is_empty(), "{w:?}");
        let (u, v) = (&c.sections[0], &c.sections[1]);
        assert_eq!((c.debug_min(u), c.debug_min(v)), (Some(3), Some(1)), "per-driver overrides global");
        assert_eq!((c.libusb_debug(u), c.libusb_debug(v)), (Some(4), Some(2)));
        assert_eq!((c.reconnect_max_tries(u), c.reconnect_max_tries(v)), (Some(5), Some(-1)));
        assert_eq!((c.reconnect_report_freq(u), c.reconnect_report_freq(v)), (Some(2), None));
        assert_eq!(u.option("usb_hid_ep_in"), Some(Some("2")), "USB options are the driver's");
        assert!(!u.has("LIBUSB_DEBUG"), "handled by the framework, not passed as a driver option");
        assert!(u.lines.contains(&("sdcommands".to_string(), 11)), "{:?}", u.lines);
        let e = errs("[u]\n driver = d\n port = p\n reconnect_max_tries = x\n LIBUSB_DEBUG = -1\n");
        assert!(e[0].contains("ups.conf:4: error: \"reconnect_max_tries\" needs a whole number"), "{e:?}");
        assert!(
            e[1].contains("ups.conf:5: error: \"LIBUSB_DEBUG\" needs a whole number of 0 or more"),
            "{e:?}"
        );
    }

    #[test]
    fn obsolete_sddelay_is_reported_not_passed_on() {
        let (c, w) = ok("[u]\n driver = d\n port = p\n sddelay = 30\n");
        assert!(w[0].to_string().starts_with("ups.conf:4: warning: sddelay is obsolete"), "{w:?}");
        assert!(!c.sections[0].has("sddelay"));
    }
}
