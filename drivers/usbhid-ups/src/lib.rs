//! Driver for USB HID Power Device UPSes (NUT's `usbhid-ups`).
//!
//! Layers: [`transport`] (libusb or a replayed recording), [`hidups`] (the engine that reads
//! reports and interprets the [`subdrivers`] tables), [`session`] (stale marking and
//! reconnects) and the `nut-driver` glue below. [`device_table`] is the list of supported
//! devices, shared with nut-scanner.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, Flags, OptKind, OptSpec, State};

pub mod device_table;
pub mod hidups;
pub mod policy;
pub mod record;
pub mod session;
pub mod subdrivers;
pub mod transport;

use hidups::{ActionError, HidUps};
use policy::Policy;
use session::{Poll, PollOpts, Session};
use transport::libusb::{Matcher, Usb};
use transport::replay::Replay;
use transport::Transport;

/// Version published as `driver.version.internal`.
pub const VERSION: &str = "0.53";

/// USB matching options, as NUT names them.
pub const MATCH_OPTIONS: &[&str] =
    &["vendorid", "productid", "vendor", "product", "serial", "bus", "device", "busport"];

/// The reading and status options of one instance, from ups.conf / `-x`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `pollfreq`, `pollonly`, `interruptonly`.
    pub poll: PollOpts,
    /// `lowbatt`, `onlinedischarge*`.
    pub policy: Policy,
    /// `onlinedischarge_log_throttle_sec`.
    pub throttle_sec: Option<i64>,
    /// `allow_duplicates`.
    pub allow_duplicates: bool,
    /// The `usb_*` options of nut_usb_addvars.
    pub usb: UsbOpts,
}

/// NUT's `usb_*` tuning options (nut_usb_addvars(8)): which configuration, interface, report
/// descriptor index and interrupt endpoint to use instead of what the device describes, and an
/// explicit alternate setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsbOpts {
    /// `usb_config_index` (hex): the configuration descriptor read (default: the active one).
    pub config_index: Option<u8>,
    /// `usb_hid_rep_index` (hex): the interface claimed and addressed by the HID requests
    /// (default: the last HID interface of the configuration).
    pub interface: Option<u8>,
    /// `usb_hid_desc_index` (hex): the index of the report descriptor asked for (default 0).
    pub desc_index: Option<u8>,
    /// `usb_hid_ep_in` (hex): the interrupt-in endpoint number (default: the interface's own).
    pub ep_in: Option<u8>,
    /// `usb_set_altinterface[=n]`: call set-alternate-setting after claiming (value decimal,
    /// default 0).
    pub altinterface: Option<u8>,
}

/// Build [`Settings`] from option lookups (`value(name)` for `name = value` options,
/// `flag(name)` for flags, `at(name)` says where it was set: `ups.conf:12` or `-x name`);
/// errors name the option, where it was set and the accepted values.
pub fn settings(
    value: impl Fn(&str) -> Option<String>,
    flag: impl Fn(&str) -> bool,
    at: impl Fn(&str) -> String,
) -> Result<Settings, String> {
    let mut s = Settings::default();
    let hex = |name: &str, max: u32| -> Result<Option<u8>, String> {
        let Some(v) = value(name) else { return Ok(None) };
        let t = v.trim();
        let digits = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
        match u32::from_str_radix(digits, 16) {
            Ok(n) if n <= max => Ok(Some(n as u8)),
            _ => Err(format!(
                "{}: could not parse {name} = \"{v}\": give a hexadecimal number from 0 to {max:x}",
                at(name)
            )),
        }
    };
    s.usb.config_index = hex("usb_config_index", 0xff)?;
    s.usb.interface = hex("usb_hid_rep_index", 0xff)?;
    s.usb.desc_index = hex("usb_hid_desc_index", 0xff)?;
    s.usb.ep_in = hex("usb_hid_ep_in", 0x7f)?;
    if flag("usb_hid_ep_out") {
        return Err(format!(
            "{}: usb_hid_ep_out has no effect in usbhid-ups: it sends reports over the control \
             endpoint (as NUT's usbhid-ups does, which accepts the setting and ignores it); remove \
             the line",
            at("usb_hid_ep_out")
        ));
    }
    if flag("usb_set_altinterface") {
        s.usb.altinterface = Some(match value("usb_set_altinterface") {
            None => 0,
            Some(v) => v.trim().parse::<u8>().map_err(|_| {
                format!(
                    "{}: usb_set_altinterface = \"{v}\" is not a valid bAlternateSetting: give a number \
                     from 0 to 255, or the flag alone for 0",
                    at("usb_set_altinterface")
                )
            })?,
        });
    }
    if let Some(v) = value("pollfreq") {
        let n: u64 = v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            format!("invalid pollfreq = \"{v}\": give the full-update period in seconds (> 0)")
        })?;
        s.poll.pollfreq = std::time::Duration::from_secs(n);
    }
    s.poll.pollonly = flag("pollonly");
    s.poll.interruptonly = flag("interruptonly");
    if s.poll.pollonly && s.poll.interruptonly {
        return Err("pollonly and interruptonly exclude each other: keep one of them in ups.conf".into());
    }
    if let Some(v) = value("lowbatt") {
        let n: f64 =
            v.trim().trim_end_matches('%').parse().ok().filter(|n| (0.0..=100.0).contains(n)).ok_or_else(
                || format!("invalid lowbatt = \"{v}\": give a battery charge in percent (0-100)"),
            )?;
        s.policy.lowbatt = Some(n);
    }
    s.policy.onlinedischarge = flag("onlinedischarge");
    s.policy.onlinedischarge_calibration = flag("onlinedischarge_calibration");
    if let Some(v) = value("onlinedischarge_log_throttle_sec") {
        let n: i64 = v.trim().parse().map_err(|_| {
            format!(
                "invalid onlinedischarge_log_throttle_sec = \"{v}\": give seconds (0 = log every time, \
                 negative = log once)"
            )
        })?;
        s.throttle_sec = Some(n);
    }
    s.allow_duplicates = flag("allow_duplicates");
    Ok(s)
}

/// Open the transport `port` names: a recording (`*.hex`) or a USB device (`auto`).
pub fn open_transport(port: &str, opts: &[(&'static str, String)]) -> Result<Box<dyn Transport>, String> {
    open_transport_with(port, opts, false, &UsbOpts::default())
}

/// [`open_transport`] with `allow_duplicates` and the `usb_*` options.
pub fn open_transport_with(
    port: &str,
    opts: &[(&'static str, String)],
    allow_duplicates: bool,
    usb: &UsbOpts,
) -> Result<Box<dyn Transport>, String> {
    if port.ends_with(".hex") {
        return Replay::open(Path::new(port))
            .map(|r| Box::new(r) as Box<dyn Transport>)
            .map_err(|e| e.to_string());
    }
    let m = Matcher::new(opts)?;
    Usb::open(m, |v, p| device_table::lookup(v, p).is_some(), allow_duplicates, usb.clone())
        .map(|u| Box::new(u) as Box<dyn Transport>)
        .map_err(|e| e.to_string())
}

/// Open a UPS with the subdriver its ids select.
pub fn open_ups(transport: Box<dyn Transport>) -> Result<HidUps, String> {
    open_ups_with(transport, hidups::EngineOpts::default())
}

/// [`open_ups`] with the engine options (`interruptonly`, `pollonly`, `maxreport`,
/// `disable_fix_report_desc`).
pub fn open_ups_with(transport: Box<dyn Transport>, opts: hidups::EngineOpts) -> Result<HidUps, String> {
    let info = transport.info();
    HidUps::open(transport, device_table::subdriver_for(info.vendor_id, info.product_id), opts)
}

/// The engine options of one instance.
pub fn engine_opts(set: &Settings, flag: impl Fn(&str) -> bool) -> hidups::EngineOpts {
    hidups::EngineOpts {
        interrupt_only: set.poll.interruptonly,
        use_interrupts: !set.poll.pollonly,
        disable_fix_report_desc: flag("disable_fix_report_desc"),
        maxreport: flag("maxreport"),
    }
}

fn policy_level(l: f64) -> String {
    nut_hid::value::format_g(l)
}

#[derive(Default)]
struct UsbHid {
    session: Option<Session>,
}

/// Publish a snapshot: the variables with their flags, lengths and enumerated values, then
/// `ups.alarm` and `ups.status` through the framework's status helpers.
pub fn publish(state: &mut State, s: &hidups::Snapshot) {
    for (k, v) in &s.vars {
        state.set_info(k, v);
    }
    for g in &s.gone {
        state.del_info(g);
    }
    for (k, m) in &s.meta {
        if state.get_info(k).is_none() {
            continue;
        }
        state.set_flags(k, Flags { rw: m.rw, string: m.string, number: false });
        if let Some(aux) = m.aux {
            state.set_aux(k, aux);
        }
        for e in &m.enums {
            state.add_enum(k, e);
        }
    }
    // Through the framework's helpers, as NUT's usbhid-ups: alarms first, then the status
    // (which gets ALARM while an alarm is set, and ignorelb / the CHRG-DISCHRG fallback).
    state.alarm_init();
    if !s.alarm.is_empty() {
        state.alarm_set(&s.alarm);
    }
    state.alarm_commit();
    state.status_init();
    state.status_set(&s.status);
    state.status_commit();
}

fn result(r: Result<(), ActionError>) -> CmdResult {
    match r {
        Ok(()) => CmdResult::Handled,
        Err(ActionError::Unknown) => CmdResult::Unknown,
        Err(ActionError::Invalid) => CmdResult::Invalid,
        Err(ActionError::Transport(_)) => CmdResult::Failed,
    }
}

impl Driver for UsbHid {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Generic HID driver", version: VERSION }
    }

    fn options(&self) -> Vec<OptSpec> {
        let v = |name, help| OptSpec { name, kind: OptKind::Value, help };
        let f = |name, help| OptSpec { name, kind: OptKind::Flag, help };
        vec![
            v("vendorid", "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)"),
            v("productid", "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)"),
            v("vendor", "Regular expression to match UPS Manufacturer string"),
            v("product", "Regular expression to match UPS Product string"),
            v("serial", "Regular expression to match UPS Serial number"),
            v("bus", "Regular expression to match USB bus name"),
            v("device", "Regular expression to match USB device name"),
            v("busport", "Regular expression to match USB bus port name"),
            f("allow_duplicates", "If you have several UPS devices which may not be uniquely identified by options above, allow each driver instance with this option to take the first match if available, or try another"),
            v("offdelay", "Delay before UPS shutdown (seconds)"),
            v("ondelay", "Delay before UPS startup (seconds)"),
            v("pollfreq", "Frequency of full updates (seconds)"),
            f("pollonly", "Don't use interrupt pipe, only use polling"),
            f("interruptonly", "Don't use polling, only use interrupt pipe"),
            v("interruptsize", "Number of bytes to read from interrupt pipe"),
            v("lowbatt", "Set low battery level, in % (default=30)"),
            f("onlinedischarge", "Set to treat discharging while online as being offline"),
            f("onlinedischarge_calibration", "Set to treat discharging while online as doing calibration"),
            v("onlinedischarge_log_throttle_sec", "Set to throttle log messages about discharging while online (seconds; 0 = every time, negative = once)"),
            f("disable_fix_report_desc", "Set to disable fix-ups for broken report descriptors"),
            OptSpec {
                name: "usb_set_altinterface",
                kind: OptKind::OptionalValue,
                help: "Force redundant call to usb_set_altinterface() (value=bAlternateSetting; default=0)",
            },
            v("usb_config_index", "Deeper tuning of USB communications for complex devices"),
            v("usb_hid_rep_index", "Deeper tuning of USB communications for complex devices"),
            v("usb_hid_desc_index", "Deeper tuning of USB communications for complex devices"),
            v("usb_hid_ep_in", "Deeper tuning of USB communications for complex devices"),
            v("usb_hid_ep_out", "Deeper tuning of USB communications for complex devices"),
            v("subdriver", "Explicit USB HID subdriver selection"),
            f("explore", "Enable the exploration mode: print every HID path of the device and exit"),
            v("record", "Record the device to <dir or stem>.hex/.values.tsv/.strings.txt and exit (command line only)"),
        ]
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        let opts: Vec<(&'static str, String)> =
            MATCH_OPTIONS.iter().filter_map(|k| ctx.value(k).map(|v| (*k, v.to_string()))).collect();
        let set = settings(|k| ctx.value(k).map(str::to_string), |k| ctx.flag(k), |k| ctx.location(k))
            .map_err(DriverError::Config)?;
        let t = open_transport_with(&ctx.port, &opts, set.allow_duplicates, &set.usb)
            .map_err(DriverError::Device)?;
        warn_if_not_reopenable(ctx, &t.info());
        let mut ups = open_ups_with(t, engine_opts(&set, |k| ctx.flag(k))).map_err(DriverError::Device)?;
        ups.policy = set.policy.clone();
        if let Some(l) = set.policy.lowbatt {
            // Tell the UPS too when it lets us; the driver raises LB itself either way.
            if let Err(e) = ups.setvar("battery.charge.low", &policy_level(l)) {
                tracing::debug!(
                    "lowbatt: the UPS does not take battery.charge.low ({e}); LB comes from the driver"
                );
            }
        }
        if let Some(d) = ctx.value("offdelay") {
            ups.offdelay = d.to_string();
        }
        if let Some(d) = ctx.value("ondelay") {
            ups.ondelay = d.to_string();
        }
        // NUT publishes the full-update period even when it is the default.
        let pollfreq = ctx.value("pollfreq").unwrap_or("30");
        state.set_info("driver.parameter.pollfreq", pollfreq);
        let cmds = ups.commands();
        let mut session = Session::with_opts(ups, set.poll.clone(), set.throttle_sec);
        session.reconnect = nut_driver::reconnect::Reconnect::from_context(ctx);
        session.upsname = ctx.upsname.clone();
        match session.poll(Instant::now()) {
            Poll::Data(s) => publish(state, &s),
            Poll::Stale | Poll::GiveUp(_) => {
                return Err(DriverError::Device("the UPS did not answer the first read".into()))
            }
        }
        for c in cmds {
            state.add_cmd(c);
        }
        state.data_ok();
        self.session = Some(session);
        Ok(())
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let Some(s) = self.session.as_mut() else { return Err(DriverError::Device("not connected".into())) };
        match s.poll(Instant::now()) {
            Poll::Data(snap) => {
                publish(state, &snap);
                state.data_ok();
                Ok(())
            }
            Poll::Stale => {
                state.data_stale();
                Err(DriverError::Device("UPS not answering (reconnecting)".into()))
            }
            Poll::GiveUp(why) => Err(DriverError::GiveUp(why)),
        }
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        // The option values, with where they were set, without touching the device.
        match settings(|k| ctx.value(k).map(str::to_string), |k| ctx.flag(k), |k| ctx.location(k)) {
            Ok(_) => Vec::new(),
            Err(e) => vec![e],
        }
    }

    fn instcmd(&mut self, cmd: &str, param: Option<&str>, _state: &mut State) -> CmdResult {
        match self.session.as_mut() {
            Some(s) => result(s.ups.instcmd_with(cmd, param)),
            None => CmdResult::Failed,
        }
    }

    fn set_var(&mut self, var: &str, value: &str, state: &mut State) -> CmdResult {
        let Some(s) = self.session.as_mut() else { return CmdResult::Failed };
        let r = result(s.ups.setvar(var, value));
        if r == CmdResult::Handled {
            state.set_info(var, value);
        }
        r
    }

    fn shutdown(&mut self, _state: &mut State) -> Result<(), DriverError> {
        let s = self.session.as_mut().ok_or_else(|| DriverError::Device("not connected".into()))?;
        // NUT 2.8.5's default: shutdown.return, shutdown.reboot, load.off.delay, shutdown.stayoff.
        for c in ["shutdown.return", "shutdown.reboot", "load.off.delay", "shutdown.stayoff"] {
            if s.ups.instcmd(c).is_ok() {
                tracing::info!("Shutdown successful with '{c}'");
                return Ok(());
            }
        }
        Err(DriverError::Device(
            "Shutdown failed! The UPS accepts none of shutdown.return, shutdown.reboot, load.off.delay, \
             shutdown.stayoff"
                .into(),
        ))
    }
}

/// Command-line-only modes (no ups.conf, as NUT's explore): `-s NAME -x port=<recording.hex
/// or auto> -x explore` prints every decoded path; `-x record=<dir or stem>
/// [-x record_seconds=N]` writes the device as a recording (see [`record`]) for bug reports.
fn cli_tools(args: &[String]) -> Option<ExitCode> {
    let p = nut_core::getopt::parse(&args[1..], "a:s:x:DFBqkhVLu:c:i:d:");
    let xs = p.values('x');
    let record = xs.iter().find_map(|x| x.strip_prefix("record=")).map(str::to_string);
    if !xs.contains(&"explore") && record.is_none() {
        return None;
    }
    // Warnings (report quirks, descriptor fixes) on stderr; -D for debug lines.
    let dashd =
        args[1..].iter().filter(|a| a.starts_with("-D")).map(|a| a.matches('D').count()).sum::<usize>();
    nut_daemon::log::init("usbhid-ups", u8::try_from(dashd).unwrap_or(u8::MAX));
    let mut port = "auto".to_string();
    let mut opts: Vec<(&'static str, String)> = Vec::new();
    let mut allow_duplicates = false;
    for x in &xs {
        if let Some((k, v)) = x.split_once('=') {
            if k == "port" {
                port = v.to_string();
            } else if let Some(m) = MATCH_OPTIONS.iter().find(|m| **m == k) {
                opts.push((m, v.to_string()));
            }
        } else if *x == "allow_duplicates" {
            allow_duplicates = true;
        }
    }
    let t = open_transport_with(&port, &opts, allow_duplicates, &UsbOpts::default());
    let mut ups = match t.and_then(open_ups) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("usbhid-ups: {e}");
            return Some(ExitCode::FAILURE);
        }
    };
    if let Some(arg) = record {
        let info = ups.transport().info();
        let arg = Path::new(&arg);
        let stem = record::stem(arg, arg.is_dir(), info.vendor_id, info.product_id, info.product.as_deref());
        let seconds = xs.iter().find_map(|x| x.strip_prefix("record_seconds="));
        let listen = match record::listen_time(seconds) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("usbhid-ups: {e}");
                return Some(ExitCode::FAILURE);
            }
        };
        if !listen.is_zero() {
            println!(
                "Listening to the interrupt pipe for {} s (-x record_seconds=N to change)",
                listen.as_secs()
            );
        }
        let res = record::capture_listening(&mut ups, &port, (!listen.is_zero()).then_some(listen))
            .map_err(|e| format!("can't read the device: {e}"))
            .and_then(|f| {
                record::write(&stem, &f).map_err(|e| format!("can't write {}.*: {e}", stem.display()))
            });
        return Some(match res {
            Ok(hex) => {
                println!(
                    "Recorded to {} (+ .reports.txt, .values.tsv, .strings.txt, .interrupts.txt); replay with port = {}",
                    hex.display(),
                    hex.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("usbhid-ups: {e}");
                ExitCode::FAILURE
            }
        });
    }
    println!("path\ttype\treport_id\toffset\tsize\tvalue");
    for l in ups.explore() {
        println!("{l}");
    }
    Some(ExitCode::SUCCESS)
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    if let Some(code) = cli_tools(&args) {
        return code;
    }
    nut_driver::run(args, UsbHid::default())
}

/// The device was opened as root; after a reconnect the driver opens it again as the account
/// it dropped to. Say now, with the fix, if that account could not (NUT needs its udev rules
/// for the same reason).
fn warn_if_not_reopenable(ctx: &Context, info: &transport::DeviceInfo) {
    if info.bus.is_empty() || info.device.is_empty() {
        return;
    }
    let Some(user) = nut_daemon::privs::run_as(ctx.user.as_deref()) else { return };
    let Ok(reader) = nut_daemon::privs::reader_for(Some(&user)) else { return };
    let node = std::path::PathBuf::from(format!("/dev/bus/usb/{}/{}", info.bus, info.device));
    if let Some(d) = nut_daemon::files::check_device(&node, &reader, &ctx.progname) {
        tracing::warn!("{d}");
    }
}
