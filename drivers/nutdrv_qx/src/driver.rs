//! The driver on the `nut-driver` framework: options, opening the device, choosing the
//! protocol, the start-up walk, polling (quick polls every `pollinterval`, full ones every
//! `pollfreq`), battery estimation, instant commands, writes and the shutdown sequence.
//!
//! The same code runs as `nutdrv_qx` and, with [`Flavor::Blazer`], as `blazer_ser` /
//! `blazer_usb` (their option set, their protocol list and `ondelay` in minutes).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, OptKind, OptSpec, Reload, State};

use crate::battery::{self, Battery};
use crate::engine;
use crate::format::{parse_leading_f64, parse_leading_i64};
use crate::model::{qxflags as qf, status, Ctx, Runtime, Subdriver, WalkMode};
use crate::port::QxPort;
use crate::protocols;

/// Which program this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// nutdrv_qx (serial and USB).
    Qx,
    /// blazer_ser.
    BlazerSer,
    /// blazer_usb.
    BlazerUsb,
}

/// Default `pollfreq` (s).
pub const DEFAULT_POLLFREQ: u64 = 30;
/// Tries per protocol and per command in the shutdown sequence.
use crate::link::{Action, Link, Outcome, MAXTRIES};

/// USB matching options (NUT's `nut_usb_addvars`).
const USB_VARS: &[(&str, &str)] = &[
    ("vendor", "Regular expression to match UPS Manufacturer string"),
    ("product", "Regular expression to match UPS Product string"),
    ("serial", "Regular expression to match UPS Serial number"),
    ("vendorid", "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)"),
    ("productid", "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)"),
    ("bus", "Regular expression to match USB bus name"),
    ("device", "Regular expression to match USB device name"),
    ("busport", "Regular expression to match USB bus port name"),
];

/// Makes a port from the context (serial path, or a USB device through a bridge).
pub type PortOpener = fn(&Context) -> Result<Box<dyn QxPort + Send>, DriverError>;

/// The driver.
pub struct Qx {
    flavor: Flavor,
    opener: PortOpener,
    port: Option<Box<dyn QxPort + Send>>,
    rt: Runtime,
    sub: Option<&'static Subdriver>,
    batt: Battery,
    pollfreq: Duration,
    lastpoll: Instant,
    link: Link,
    reconnect: nut_driver::reconnect::Reconnect,
    upsname: String,
    epoch: Instant,
    /// blazer_ser / blazer_usb: the rating and vendor queries they read themselves.
    legacy: protocols::blazer::LegacyQueries,
}

impl std::fmt::Debug for Qx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Qx").field("flavor", &self.flavor).field("sub", &self.sub).finish_non_exhaustive()
    }
}

/// Entry point for one of the programs.
pub fn main(args: Vec<String>, flavor: Flavor) -> ExitCode {
    let opener: PortOpener = match flavor {
        Flavor::Qx => crate::open::nutdrv_qx,
        Flavor::BlazerSer => crate::open::blazer_ser,
        Flavor::BlazerUsb => crate::open::blazer_usb,
    };
    nut_driver::run(args, Qx::new(flavor, opener))
}

impl Qx {
    /// A driver that opens its device with `opener`.
    pub fn new(flavor: Flavor, opener: PortOpener) -> Self {
        Qx {
            flavor,
            opener,
            port: None,
            rt: Runtime::new(&[], BTreeMap::new()),
            sub: None,
            batt: Battery::default(),
            pollfreq: Duration::from_secs(DEFAULT_POLLFREQ),
            lastpoll: Instant::now(),
            link: Link::default(),
            reconnect: nut_driver::reconnect::Reconnect::default(),
            upsname: String::new(),
            epoch: Instant::now(),
            legacy: protocols::blazer::LegacyQueries::default(),
        }
    }

    /// The protocols this program may use.
    fn protocols(&self) -> Vec<&'static Subdriver> {
        match self.flavor {
            Flavor::Qx => protocols::all(),
            // NUT's blazer drivers know these four.
            _ => ["megatec", "mustek", "megatec/old", "zinto"]
                .iter()
                .filter_map(|n| protocols::by_name(n))
                .collect(),
        }
    }

    /// The subdriver in use (after init).
    pub fn subdriver(&self) -> Option<&'static Subdriver> {
        self.sub
    }

    fn now(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    fn with_ctx<R>(&mut self, state: &mut State, f: impl FnOnce(&mut Ctx<'_>) -> R) -> Option<R> {
        let port = self.port.as_mut()?;
        let mut ctx = Ctx { rt: &mut self.rt, state, port: &mut **port };
        Some(f(&mut ctx))
    }

    fn sub_ar(&self) -> (Option<&'static str>, Option<&'static str>) {
        self.sub.map_or((None, None), |s| (s.accepted, s.rejected))
    }

    /// Choose the protocol (NUT's `subdriver_matcher`): the one named by `protocol`, or the
    /// first whose claim succeeds, three tries each. blazer_ser / blazer_usb recognise the
    /// device by its status answer alone (NUT's `blazer_initinfo`).
    fn match_subdriver(&mut self, state: &mut State) -> Result<&'static Subdriver, DriverError> {
        let wanted = self.rt.options.get("protocol").cloned();
        let list = self.protocols();
        let legacy = self.flavor != Flavor::Qx;
        if let Some(w) = &wanted {
            if !list.iter().any(|s| s.name.eq_ignore_ascii_case(w)) {
                let names: Vec<String> = list.iter().map(|s| s.name.to_ascii_lowercase()).collect();
                return Err(DriverError::Config(format!(
                    "protocol = {w}: not a protocol of this driver (one of: {})",
                    names.join(", ")
                )));
            }
        }
        for sub in list {
            if wanted.as_ref().is_some_and(|w| !sub.name.eq_ignore_ascii_case(w)) {
                continue;
            }
            for _ in 0..MAXTRIES {
                self.rt.items = sub.table.to_vec();
                nut_driver::debug!("Trying protocol {} {}...", sub.name, sub.version);
                let claim = if legacy { crate::legacy::claim } else { sub.claim };
                if self.with_ctx(state, claim) == Some(true) {
                    nut_driver::info!("Using protocol: {} {}", sub.name, sub.version);
                    return Ok(sub);
                }
            }
        }
        Err(DriverError::Device(
            "Device not supported! (no protocol answered: check the cable and port, or set protocol= in ups.conf)"
                .into(),
        ))
    }

    /// NUT's `qx_initbattery`.
    fn init_battery(&mut self, state: &mut State) -> Result<(), DriverError> {
        let get = |s: &State, n: &str| battery::num(s.get_info(n));
        if let Some(v) = get(state, "battery.voltage.high") {
            self.batt.volt_high = v;
        }
        if let Some(v) = get(state, "battery.voltage.low") {
            self.batt.volt_low = v;
        }
        if let Some(v) = get(state, "battery.voltage.nominal") {
            self.batt.volt_nom = v;
        }
        // NUT's blazer drivers compare the nominal with 1, not with their "unknown" (-1): without
        // a rating they publish the guesstimation of a -1 V battery (-0.87/-1.08), and so do we.
        let unknown_nom = if self.flavor == Flavor::Qx { -1.0 } else { 1.0 };
        if self.batt.volt_nom != unknown_nom && (self.batt.volt_low == -1.0 || self.batt.volt_high == -1.0) {
            nut_driver::info!("No values for battery high/low voltages");
            self.batt.volt_low = 104.0 * self.batt.volt_nom / 120.0;
            self.batt.volt_high = 130.0 * self.batt.volt_nom / 120.0;
            state.set_info("battery.voltage.low", &format!("{:.2}", self.batt.volt_low));
            state.set_info("battery.voltage.high", &format!("{:.2}", self.batt.volt_high));
            nut_driver::info!(
                "Using 'guesstimation' (low: {:.6}, high: {:.6})!",
                self.batt.volt_low,
                self.batt.volt_high
            );
        }
        if let Some(p) = state.get_info("battery.packs") {
            if p.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.') {
                self.batt.packs = parse_leading_f64(p);
                self.batt.packs_known = true;
            }
        }
        self.rt.batt_packs = self.batt.packs;
        if self.rt.options.contains_key("battery_voltage_reports_one_pack") {
            self.rt.batt_one_pack = true;
            if self.rt.battvolt_considered && self.batt.packs_known && self.batt.packs > 1.0 {
                if let Some(v) = get(state, "battery.voltage") {
                    state.set_info("battery.voltage", &format!("{:.2}", v * self.batt.packs));
                }
            }
        }
        if state.get_info("battery.charge").is_some() && state.get_info("battery.runtime").is_some() {
            return Ok(());
        }
        if !self.batt.packs_known {
            let act = get(state, "battery.voltage");
            match act {
                Some(act) if self.batt.volt_nom != -1.0 => {
                    match Battery::autodetect_packs(self.batt.volt_nom, act) {
                        Some(p) => {
                            self.batt.packs = p;
                            nut_driver::info!(
                                "Autodetected {p:.0} as number of battery packs [{:.0}/{act:.2}]",
                                self.batt.volt_nom
                            );
                        }
                        None => nut_driver::info!(
                            "Can't autodetect number of battery packs [{:.0}/{act:.2}]",
                            self.batt.volt_nom
                        ),
                    }
                }
                _ => nut_driver::info!(
                    "Can't autodetect number of battery packs [{:.0}/{:.2}]",
                    self.batt.volt_nom,
                    act.unwrap_or(-1.0)
                ),
            }
            self.rt.batt_packs = self.batt.packs;
        }
        self.charge_from_voltage(state);
        let Some(cal) = self.rt.options.get("runtimecal").cloned() else {
            nut_driver::info!("Battery runtime will not be calculated (runtimecal not set)");
            return Ok(());
        };
        let (nom, exp) = battery::parse_runtimecal(&cal).map_err(|e| DriverError::Config(e.0))?;
        self.batt.runt_nom = nom;
        self.batt.runt_exp = exp;
        self.batt.runtimecal = true;
        self.batt.lastpoll = self.now();
        if state.get_info("battery.charge").is_none() && self.batt.volt_nom != -1.0 {
            self.batt.volt_low = self.batt.volt_nom;
            self.batt.volt_high = 1.15 * self.batt.volt_nom;
            self.charge_from_voltage(state);
        }
        let Some(charge) = get(state, "battery.charge") else {
            return Err(DriverError::Device("Initial battery charge undetermined".into()));
        };
        self.batt.runt_est = nom * charge / 100.0;
        match self.rt.options.get("chargetime") {
            Some(v) => {
                let t = parse_leading_i64(v);
                if t <= 0 {
                    return Err(DriverError::Config(format!(
                        "chargetime = {v}: Charge time out of range [1..s]"
                    )));
                }
                self.batt.chrg_time = t as f64;
            }
            None => nut_driver::info!(
                "No charge time specified, using built in default [{:.0} seconds]",
                self.batt.chrg_time
            ),
        }
        match self.rt.options.get("idleload") {
            Some(v) => {
                let l = parse_leading_f64(v) / 100.0;
                if l <= 0.0 || l > 1.0 {
                    return Err(DriverError::Config(format!(
                        "idleload = {v}: Idle load out of range [0..100]"
                    )));
                }
                self.batt.load_low = l;
            }
            None => nut_driver::info!(
                "No idle load specified, using built in default [{:.1} %]",
                100.0 * self.batt.load_low
            ),
        }
        Ok(())
    }

    /// NUT's `qx_battery`: charge from the voltage when the device gives none.
    fn charge_from_voltage(&mut self, state: &mut State) -> Option<f64> {
        let mut v = battery::num(state.get_info("battery.voltage"))?;
        if !self.rt.battvolt_considered {
            v *= self.batt.packs;
        }
        if !self.rt.charge_read {
            if let Some(c) = self.batt.charge_from_voltage(v) {
                state.set_info("battery.charge", &format!("{c:.0}"));
            }
        }
        Some(v)
    }
}

impl Qx {
    /// After a full walk: battery charge/runtime estimates (NUT's end of `qx_ups_walk`).
    fn estimate(&mut self, state: &mut State) {
        if self.rt.charge_read && self.rt.runtime_read {
            return;
        }
        if !self.batt.runtimecal {
            self.charge_from_voltage(state);
            return;
        }
        let now = self.now();
        let online = self.rt.status & status::OL != 0;
        let load = battery::num(state.get_info("ups.load"));
        let load_eff = load.map_or(1.0, |l| self.batt.effective_load(l));
        let mut volt = battery::num(state.get_info("battery.voltage"));
        if !self.rt.battvolt_considered {
            volt = volt.map(|v| v * self.batt.packs);
        }
        self.batt.step(now, online, load_eff, volt);
        if !self.rt.charge_read && self.batt.runt_nom > 0.0 {
            state.set_info(
                "battery.charge",
                &format!("{:.0}", 100.0 * self.batt.runt_est / self.batt.runt_nom),
            );
        }
        if !self.rt.runtime_read && load.is_some() {
            state.set_info("battery.runtime", &format!("{:.0}", self.batt.runt_est / load_eff));
        }
    }

    fn commit_status(&mut self, state: &mut State) {
        state.status_init();
        for t in &self.rt.raw_status {
            state.status_set(t);
        }
        for t in engine::status_tokens(self.rt.status) {
            state.status_set(t);
        }
        state.status_commit();
    }

    fn commit_alarms(&mut self, state: &mut State) {
        state.alarm_init();
        let mut alarms = std::mem::take(&mut self.rt.alarms);
        alarms.extend(engine::status_alarms(self.rt.status).iter().map(|s| s.to_string()));
        for a in &alarms {
            state.alarm_set(a);
        }
        state.alarm_commit();
    }

    /// Option values as the engine sees them (flags as "").
    fn options_of(ctx: &Context) -> BTreeMap<String, String> {
        ctx.options.iter().map(|(k, v)| (k.clone(), v.clone().unwrap_or_default())).collect()
    }

    /// A setvar through the engine.
    fn setvar_inner(&mut self, state: &mut State, var: &str, value: &str) -> CmdResult {
        let acc = self.sub_ar().0;
        self.with_ctx(state, |c| engine::setvar(c, var, Some(value), acc)).unwrap_or(CmdResult::Failed)
    }
}

/// Check options that have a fixed set of values (file:line comes from the framework's
/// location of the key).
fn check_options(ctx: &Context, flavor: Flavor) -> Result<(), DriverError> {
    let bad = |key: &str, why: String| DriverError::Config(format!("{}: {why}", ctx.location(key)));
    if let Some(v) = ctx.value("cablepower") {
        if !["normal", "reverse", "both", "none"].iter().any(|c| c.eq_ignore_ascii_case(v)) {
            return Err(bad(
                "cablepower",
                format!("Value '{v}' not valid for 'cablepower' (normal, reverse, both or none)"),
            ));
        }
    }
    for key in ["pollfreq", "ondelay", "offdelay", "chargetime"] {
        if let Some(v) = ctx.value(key) {
            if v.trim().parse::<i64>().is_err() {
                return Err(bad(key, format!("{key} = {v}: not a whole number")));
            }
        }
    }
    if let Some(v) = ctx.value("pollfreq") {
        if parse_leading_i64(v) <= 0 {
            return Err(bad("pollfreq", format!("pollfreq = {v}: must be at least 1 second")));
        }
    }
    if let Some(v) = ctx.value("runtimecal") {
        battery::parse_runtimecal(v).map_err(|e| bad("runtimecal", e.0))?;
    }
    if ctx.value("subdriver").is_some()
        && (ctx.value("vendorid").is_none() || ctx.value("productid").is_none())
    {
        return Err(bad(
            "subdriver",
            "When specifying a USB 'subdriver', 'vendorid' and 'productid' are mandatory.".into(),
        ));
    }
    let _ = flavor;
    Ok(())
}

impl Driver for Qx {
    fn info(&self) -> DriverInfo {
        match self.flavor {
            Flavor::Qx => DriverInfo { description: "Generic Q* USB/Serial driver", version: "0.49" },
            Flavor::BlazerSer => {
                DriverInfo { description: "Megatec/Q1 protocol serial driver", version: "1.65" }
            }
            Flavor::BlazerUsb => {
                DriverInfo { description: "Megatec/Q1 protocol USB driver", version: "0.24" }
            }
        }
    }

    fn options(&self) -> Vec<OptSpec> {
        let v = |name, help| OptSpec { name, kind: OptKind::Value, help };
        let f = |name, help| OptSpec { name, kind: OptKind::Flag, help };
        let mut o = match self.flavor {
            Flavor::Qx => vec![
                v("offdelay", "Set shutdown delay, in seconds (default=30)"),
                v("ondelay", "Set startup delay, in seconds (default=180)"),
                f("stayoff", "If invoked the UPS won't return after a shutdown when FSD arises"),
                v("pollfreq", "Set polling frequency, in seconds, to reduce data flow (default=30)"),
                v("protocol", "Preselect communication protocol (skip autodetection)"),
                v("runtimecal", "Parameters used for runtime calculation"),
                v("chargetime", "Nominal charge time for UPS battery"),
                v("idleload", "Minimum load to be used for runtime calculation"),
                f(
                    "battery_voltage_reports_one_pack",
                    "If your device natively reports battery.voltage of a single cell/pack, multiply that into \
                     voltage of the whole battery assembly. You may need an override.battery.packs=N setting also.",
                ),
                v("subdriver", "Serial-over-USB subdriver selection"),
                v("langid_fix", "Apply the language ID workaround to the krauler subdriver (0x409 or 0x4095)"),
                f("noscanlangid", "Don't autoscan valid range for langid"),
                v("cablepower", "Set cable power for serial interface"),
            ],
            _ => vec![
                v("ondelay", "Delay before UPS startup (minutes)"),
                v("offdelay", "Delay before UPS shutdown (seconds)"),
                v("runtimecal", "Parameters used for runtime calculation"),
                v("chargetime", "Nominal charge time for UPS battery"),
                v("idleload", "Minimum load to be used for runtime calculation"),
                f("norating", "Skip reading rating information from UPS"),
                f("novendor", "Skip reading vendor information from UPS"),
                v("protocol", "Preselect communication protocol (skip autodetection)"),
            ],
        };
        match self.flavor {
            Flavor::BlazerSer => o.push(v("cablepower", "Set cable power for serial interface")),
            Flavor::BlazerUsb => {
                o.push(v("subdriver", "Serial-over-USB subdriver selection"));
                o.push(v(
                    "langid_fix",
                    "Apply the language ID workaround to the krauler subdriver (0x409 or 0x4095)",
                ));
                o.push(f("noscanlangid", "Don't autoscan valid range for langid"));
            }
            Flavor::Qx => {}
        }
        if self.flavor != Flavor::BlazerSer {
            for (name, help) in USB_VARS {
                o.push(v(name, help));
            }
        }
        if self.flavor == Flavor::Qx {
            for sub in protocols::all() {
                for so in sub.options {
                    if !o.iter().any(|x| x.name == so.name) {
                        o.push(OptSpec {
                            name: so.name,
                            kind: if so.value { OptKind::Value } else { OptKind::Flag },
                            help: so.help,
                        });
                    }
                }
            }
        }
        o
    }

    fn help(&self) -> Option<String> {
        let mut s = String::from("\nAcceptable values for 'protocol' via -x or ups.conf in this driver:\n");
        let names: Vec<String> = self.protocols().iter().map(|p| p.name.to_ascii_lowercase()).collect();
        let w = names.iter().map(String::len).max().unwrap_or(0);
        for n in names {
            s.push_str(&format!("  {n:>w$}\n"));
        }
        Some(s)
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        match check_options(ctx, self.flavor) {
            Ok(()) => Vec::new(),
            Err(e) => vec![e.to_string()],
        }
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        check_options(ctx, self.flavor)?;
        self.rt.options = Self::options_of(ctx);
        self.reconnect = nut_driver::reconnect::Reconnect::from_context(ctx);
        self.upsname = ctx.upsname.clone();
        if self.flavor != Flavor::Qx {
            // blazer's ondelay is in minutes.
            if let Some(v) = self.rt.options.get("ondelay").cloned() {
                self.rt.options.insert("ondelay".into(), (parse_leading_i64(&v) * 60).to_string());
            }
        }
        // NUT stores default.*/override.* before the driver reads the device, so that
        // e.g. override.battery.packs and default.battery.voltage.high feed the estimates.
        for (k, v) in &ctx.defaults {
            state.set_default(k, v);
        }
        for (k, v) in &ctx.overrides {
            state.set_override(k, v);
        }
        self.port = Some((self.opener)(ctx)?);
        let sub = self.match_subdriver(state)?;
        self.sub = Some(sub);
        if self.flavor != Flavor::Qx {
            self.legacy = protocols::blazer::legacy_items(&mut self.rt.items);
            for v in ["device.mfr", "device.model", "ups.serial", "battery.runtime"] {
                state.del_info(v);
            }
        }
        if let Some(h) = sub.initups {
            self.with_ctx(state, h).transpose().map_err(|e| DriverError::Device(e.0))?;
        }
        state.set_info("driver.version.data", &format!("{} {}", sub.name, sub.version));
        let rejected = sub.rejected;
        if self.with_ctx(state, |c| engine::walk(c, WalkMode::Init, rejected)) != Some(true) {
            return Err(DriverError::Device("Can't initialise data from the UPS".into()));
        }
        if self.flavor != Flavor::Qx {
            let q = self.legacy;
            if let Some(cmd) = q.rating.filter(|_| !self.rt.options.contains_key("norating")) {
                self.with_ctx(state, |c| crate::legacy::read_rating(c, cmd));
            }
            if let Some(cmd) = q.vendor.filter(|_| !self.rt.options.contains_key("novendor")) {
                self.with_ctx(state, |c| crate::legacy::read_vendor(c, cmd));
            }
        }
        self.init_battery(state)?;
        for (var, key, what) in
            [("ups.delay.start", "ondelay", "Start"), ("ups.delay.shutdown", "offdelay", "Shutdown")]
        {
            if state.get_info(var).is_some() {
                if let Some(v) = self.rt.options.get(key).cloned() {
                    if self.setvar_inner(state, var, &v) != CmdResult::Handled {
                        return Err(DriverError::Config(format!(
                            "{}: {what} delay '{v}' out of range",
                            ctx.location(key)
                        )));
                    }
                }
            }
        }
        for (plain, delayed) in [("load.off", "load.off.delay"), ("load.on", "load.on.delay")] {
            if self.rt.find(plain, qf::CMD, qf::SKIP).is_none()
                && self.rt.find(delayed, qf::CMD, qf::SKIP).is_some()
            {
                state.add_cmd(plain);
            }
        }
        if let Some(v) = self.rt.options.get("pollfreq") {
            self.pollfreq = Duration::from_secs(parse_leading_i64(v).max(1) as u64);
        }
        if self.flavor == Flavor::Qx {
            state.set_info("driver.parameter.pollfreq", &self.pollfreq.as_secs().to_string());
        }
        self.lastpoll = Instant::now();
        if let Some(h) = sub.initinfo {
            self.with_ctx(state, h).transpose().map_err(|e| DriverError::Device(e.0))?;
        }
        // The framework's first update follows (a quick poll, as in NUT: the start-up walk
        // has just read everything).
        self.rt.data_has_changed = false;
        Ok(())
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let now = Instant::now();
        match self.link.next(now) {
            Action::Poll => {}
            Action::Wait => {
                state.data_stale();
                return Ok(());
            }
            Action::Reopen => {
                if let nut_driver::reconnect::Trying::GiveUp(why) = self.reconnect.trying(&self.upsname) {
                    return Err(DriverError::GiveUp(why));
                }
                let res = match self.port.as_mut() {
                    Some(p) => p.reconnect().map_err(|e| e.to_string()),
                    None => Err("no port".to_string()),
                };
                match res {
                    Ok(()) => {
                        self.link.reopened();
                        self.reconnect.success(&self.upsname);
                        // Everything may have changed while the device was away.
                        self.rt.data_has_changed = true;
                    }
                    Err(e) => {
                        let wait = self.link.reopen_failed(now);
                        nut_driver::debug!("reopening the port failed: {e}; next try in {wait:?}");
                        state.data_stale();
                        return Ok(());
                    }
                }
            }
        }
        let rejected = self.sub.and_then(|s| s.rejected);
        // blazer_ser / blazer_usb read the whole status answer (values, status and alarms) at
        // every poll: what is left of their table after start-up is that answer's items.
        let full =
            self.flavor != Flavor::Qx || self.lastpoll.elapsed() >= self.pollfreq || self.rt.data_has_changed;
        self.rt.port_failed = false;
        self.rt.raw_status.clear();
        let ok = if full {
            self.rt.status = 0;
            self.rt.alarms.clear();
            self.with_ctx(state, |c| engine::walk(c, WalkMode::FullUpdate, rejected)) == Some(true)
        } else {
            self.with_ctx(state, |c| engine::walk(c, WalkMode::QuickUpdate, rejected)) == Some(true)
        };
        if !ok {
            let port_failed = self.rt.port_failed;
            match self.link.poll_failed(port_failed, now) {
                Outcome::Retry => nut_driver::debug!("Communications with the UPS lost: status read failed!"),
                Outcome::Stale => {
                    if port_failed {
                        nut_driver::warn!("UPS communication lost: data marked stale, reopening the port");
                    }
                    state.data_stale();
                }
            }
            return Ok(());
        }
        if full {
            self.estimate(state);
            self.lastpoll = Instant::now();
            self.rt.data_has_changed = false;
            self.commit_alarms(state);
        }
        self.commit_status(state);
        if self.link.poll_ok() {
            nut_driver::info!("Communications with the UPS re-established");
        }
        state.data_ok();
        Ok(())
    }

    fn instcmd(&mut self, cmd: &str, param: Option<&str>, state: &mut State) -> CmdResult {
        let ar = self.sub_ar();
        self.with_ctx(state, |c| engine::instcmd(c, ar, cmd, param)).unwrap_or(CmdResult::Failed)
    }

    fn set_var(&mut self, var: &str, value: &str, state: &mut State) -> CmdResult {
        self.setvar_inner(state, var, value)
    }

    fn shutdown(&mut self, state: &mut State) -> Result<(), DriverError> {
        for (var, key, what) in
            [("ups.delay.start", "ondelay", "Start"), ("ups.delay.shutdown", "offdelay", "Shutdown")]
        {
            let Some(idx) = self.rt.find(var, 0, qf::SKIP) else {
                return Err(DriverError::Device(format!(
                    "Unable to set {} delay",
                    what.to_ascii_lowercase()
                )));
            };
            let item = self.rt.items[idx];
            state.set_info(var, item.dfl.unwrap_or(""));
            self.with_ctx(state, |c| engine::set_var_info(c, &item));
            if let Some(v) = self.rt.options.get(key).cloned() {
                if self.setvar_inner(state, var, &v) != CmdResult::Handled {
                    return Err(DriverError::Config(format!("{what} delay '{v}' out of range")));
                }
            }
        }
        if self.rt.find("shutdown.stop", qf::CMD, qf::SKIP).is_some()
            && !(0..MAXTRIES).any(|_| self.instcmd("shutdown.stop", None, state) == CmdResult::Handled)
        {
            nut_driver::info!("No shutdown pending");
        }
        let cmd =
            if self.rt.options.contains_key("stayoff") { "shutdown.stayoff" } else { "shutdown.return" };
        for _ in 0..MAXTRIES {
            if self.instcmd(cmd, None, state) == CmdResult::Handled {
                nut_driver::error!(
                    "Shutting down in {} seconds",
                    state.get_info("ups.delay.shutdown").unwrap_or("?")
                );
                return Ok(());
            }
        }
        Err(DriverError::Device("Shutdown failed!".into()))
    }

    fn reload(&mut self, key: &str, new: &Context, _state: &mut State) -> Reload {
        match key {
            "pollfreq" => match new.value("pollfreq").map(parse_leading_i64) {
                Some(v) if v > 0 => {
                    self.pollfreq = Duration::from_secs(v as u64);
                    Reload::Applied
                }
                _ => Reload::Failed("pollfreq must be a whole number of seconds, at least 1".into()),
            },
            _ => Reload::NeedsRestart,
        }
    }
}
