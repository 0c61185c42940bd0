//! Driver for USB HID Power Device UPSes (NUT's `usbhid-ups`).
//!
//! Layers: [`transport`] (libusb or a replayed recording), [`hidups`] (the engine that reads
//! reports and interprets the [`subdrivers`] tables), [`session`] (stale marking and
//! reconnects) and the `nut-driver` glue below. [`device_table`] is the list of supported
//! devices, shared with nut-scanner.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, OptKind, OptSpec, State};

pub mod device_table;
pub mod options;
pub mod record;
pub mod transport;

// The engine, the status policy, the session and the subdriver tables are nut-hid-ups's
// (shared with mge-shut); re-exported under the paths this crate has always had.
pub use nut_hid_ups::{hidups, policy, session, subdrivers};

use device_table::{Claimed, Effects};
use hidups::{ActionError, HidUps};
pub use options::{settings, Settings, UsbOpts};
use session::{Poll, Session};
use subdrivers::Subdriver;
use transport::libusb::{Accept, Matcher, Usb};
use transport::replay::Replay;
use transport::{DeviceInfo, Transport};

/// Version published as `driver.version.internal` (NUT 2.8.5's usbhid-ups).
pub const VERSION: &str = "0.71";

/// USB matching options, as NUT names them.
pub const MATCH_OPTIONS: &[&str] =
    &["vendorid", "productid", "vendor", "product", "serial", "bus", "device", "busport"];

/// True when `port` names a recording to replay rather than a USB device.
pub fn is_recording(port: &str) -> bool {
    port.ends_with(".hex")
}

/// Which subdriver takes the device: the one `subdriver =` names (for any device, with no
/// claim side effects, as in NUT), else NUT's claims in NUT's order. `Err` has NUT's notes.
pub fn choose(info: &DeviceInfo, set: &Settings) -> Result<Claimed, Vec<String>> {
    match set.subdriver {
        Some(n) => Ok(Claimed { nut: n, subdriver: n.subdriver, effects: Effects::default() }),
        None => device_table::claim(info, &set.matching),
    }
}

/// The USB settings for a claimed device: the configured ones, else the claim's defaults.
pub fn usb_for(usb: &UsbOpts, fx: &Effects) -> UsbOpts {
    UsbOpts {
        interface: usb.interface.or(fx.hid_rep_index),
        ep_in: usb.ep_in.or(fx.hid_ep_in),
        ep_out: usb.ep_out.or(fx.hid_ep_out),
        interrupt_size: usb.interrupt_size.or(fx.interrupt_size),
        ..usb.clone()
    }
}

/// Open the device `port` names (a recording `*.hex`, or the first USB device that the
/// matching options select and a subdriver claims) and say which subdriver takes it.
pub fn open_device(
    port: &str,
    opts: &[(&'static str, String)],
    set: &Settings,
) -> Result<(Box<dyn Transport>, Claimed), String> {
    let t: Box<dyn Transport> = if is_recording(port) {
        Box::new(Replay::open(Path::new(port)).map_err(|e| e.to_string())?)
    } else {
        let m = Matcher::new(opts)?;
        let (forced, matching) = (set.subdriver.is_some(), set.matching.clone());
        let (set_dev, usb) = (set.clone(), set.usb.clone());
        let accept = Accept {
            ids: Arc::new(move |vid, _| forced || device_table::may_claim(vid, &matching)),
            device: Arc::new(move |info| match choose(info, &set_dev) {
                Ok(c) => Some(usb_for(&usb, &c.effects)),
                Err(notes) => {
                    for n in notes {
                        nut_driver::warn!("{n}");
                    }
                    None
                }
            }),
        };
        Box::new(Usb::open(m, accept, set.allow_duplicates).map_err(|e| e.to_string())?)
    };
    let mut t = t;
    let info = t.info();
    match choose(&info, set) {
        Ok(c) => {
            // `interruptsize`, configured or from the claim (Powercom 0d9f:0001 reads 8 bytes).
            t.set_interrupt_size(usb_for(&set.usb, &c.effects).interrupt_size);
            Ok((t, c))
        }
        Err(notes) => Err(format!(
            "No matching HID UPS found: no subdriver claims {:04x}:{:04x}{}",
            info.vendor_id,
            info.product_id,
            notes.iter().map(|n| format!("\n{n}")).collect::<String>()
        )),
    }
}

/// Open a UPS with the subdriver NUT's claims select (default options), or the generic tables
/// for a device no subdriver claims. For tests and tools; the driver uses [`open_device`].
pub fn open_ups(transport: Box<dyn Transport>) -> Result<HidUps, String> {
    open_ups_with(transport, hidups::EngineOpts::default())
}

/// [`open_ups`] with the engine options (`interruptonly`, `pollonly`, `maxreport`,
/// `disable_fix_report_desc`).
pub fn open_ups_with(transport: Box<dyn Transport>, opts: hidups::EngineOpts) -> Result<HidUps, String> {
    let info = transport.info();
    let sub: &'static Subdriver = device_table::claim(&info, &device_table::MatchOpts::default())
        .map_or(&subdrivers::generic::SUBDRIVER, |c| c.subdriver);
    HidUps::open(transport, sub, opts)
}

/// The polling options of one instance as NUT decides them at start: the configured ones,
/// then the claim's (an entry that disables the interrupt pipe, Powercom's interrupt-only
/// reading) and CyberPower's `pollfreq` default of 12 s.
pub fn poll_for(set: &Settings, claimed: &Claimed) -> session::PollOpts {
    let fx = &claimed.effects;
    let mut poll = set.poll.clone();
    if fx.disable_interrupt_pipe && !poll.pollonly {
        nut_driver::info!(
            "interrupt pipe disabled (add 'pollonly' flag to 'ups.conf' to get rid of this message)"
        );
        poll.pollonly = true;
        poll.interruptonly = false;
    }
    if fx.interrupt_only && !poll.pollonly {
        poll.interruptonly = true;
    }
    if is_cps(claimed) && !set.pollfreq_given {
        nut_driver::info!("Defaulting 'pollfreq' to 12 for CPS devices");
        poll.pollfreq = Duration::from_secs(12);
    }
    poll
}

/// The engine options of one instance: how the device is polled (as [`poll_for`] decided),
/// `maxreport` (or the claim's APC Back-UPS check) and `disable_fix_report_desc`.
pub fn engine_opts(set: &Settings, poll: &session::PollOpts, fx: &Effects) -> hidups::EngineOpts {
    hidups::EngineOpts {
        interrupt_only: poll.interruptonly,
        use_interrupts: !poll.pollonly,
        disable_fix_report_desc: set.disable_fix_report_desc,
        maxreport: set.maxreport || fx.max_report,
    }
}

/// NUT's `HIDDumpTree` (debug level 1 and up): every item of the report descriptor with its
/// value, as `Path: ..., Type: ..., ReportID: 0x.., Offset: n, Size: n[, Value: v]`. Reports
/// 254/255 of Eaton/MGE and Dell and report 0x54 of Tripp Lite 09ae:1330 are not read, as in
/// NUT (firmware that misbehaves on them).
pub fn dump_tree(ups: &mut HidUps) -> Vec<String> {
    let info = ups.transport().info();
    let skip = |id: u8| match (info.vendor_id, info.product_id) {
        (0x0463 | 0x047c, _) => id >= 254,
        (0x09ae, 0x1330) => id == 0x54,
        _ => false,
    };
    let mut cache: std::collections::HashMap<(nut_hid::ReportType, u8), Option<Vec<u8>>> =
        std::collections::HashMap::new();
    let mut out = vec![format!("{} HID objects found", ups.descriptor.fields.len())];
    for f in ups.descriptor.fields.clone() {
        if skip(f.report_id) {
            continue;
        }
        let key = (f.report_type, f.report_id);
        let data = if f.report_type == nut_hid::ReportType::Output {
            None
        } else {
            cache.entry(key).or_insert_with(|| ups.read_report(key.0, key.1).ok()).clone()
        };
        let mut line = format!(
            "Path: {}, Type: {}, ReportID: 0x{:02x}, Offset: {}, Size: {}",
            nut_hid::path_to_string(&f.path, ups.tables),
            f.report_type.name(),
            f.report_id,
            f.offset,
            f.size
        );
        if let Some(v) = data.and_then(|d| f.value(&d).ok()) {
            line.push_str(&format!(", Value: {}", nut_hid::value::format_g(v)));
        }
        out.push(line);
    }
    out
}

#[derive(Default)]
struct UsbHid {
    session: Option<Session>,
}

/// Publish a snapshot (nut-hid-ups's, shared with mge-shut).
pub use nut_hid_ups::publish;

fn result(r: Result<(), ActionError>) -> CmdResult {
    match r {
        Ok(()) => CmdResult::Handled,
        Err(ActionError::Unknown) => CmdResult::Unknown,
        Err(ActionError::Invalid) => CmdResult::Invalid,
        Err(ActionError::Transport(_)) => CmdResult::Failed,
    }
}

/// The driver's options, in NUT 2.8.5's order and with its descriptions (`-h`, `-L`).
pub fn option_specs() -> Vec<OptSpec> {
    let v = |name, help| OptSpec { name, kind: OptKind::Value, help };
    let f = |name, help| OptSpec { name, kind: OptKind::Flag, help };
    vec![
        v("lowbatt", "Set low battery level, in % (default=30)"),
        v("offdelay", "Set shutdown delay, in seconds (default=20, or 60 for CPS devices)"),
        v("ondelay", "Set startup delay, in seconds (default=30, or 120 for CPS devices)"),
        v("pollfreq", "Set polling frequency, in seconds, to reduce data flow (default=30, or 12 for CPS devices)"),
        f("pollonly", "Don't use interrupt pipe, only use polling (recommended for CPS devices)"),
        v("interrupt_pipe_no_events_tolerance", "How many times in a row do we tolerate \"Got 0 HID objects\" from USB interrupts?"),
        f("onlinedischarge", "Set to treat discharging while online as being offline/on-battery (DEPRECATED, use onlinedischarge_onbattery)"),
        f("onlinedischarge_onbattery", "Set to treat discharging while online as being offline/on-battery"),
        f("onlinedischarge_calibration", "Set to treat discharging while online as doing calibration"),
        v("onlinedischarge_log_throttle_sec", "Set to throttle log messages about discharging while online (only so often)"),
        v("onlinedischarge_log_throttle_hovercharge", "Set to throttle log messages about discharging while online (only if battery.charge is under this value)"),
        v("lbrb_log_delay_sec", "Set to delay status-setting (and log messages) about device in LB or LB+RB state"),
        f("lbrb_log_delay_without_calibrating", "Set to apply lbrb_log_delay_sec even if device is not calibrating"),
        f("disable_fix_report_desc", "Set to disable fix-ups for broken USB encoding, etc. which we apply by default on certain vendors/products"),
        f("powercom_sdcmd_byte_order_fallback", "Set to use legacy byte order for Powercom HID shutdown commands. Either it was wrong forever, or some older devices/firmwares had it the other way around"),
        f("powercom_sdcmd_discrete_delay", "Set to use discrete timing table for Powercom HID shutdown commands (Raptor and Smart KING Pro series)"),
        v("subdriver", "Explicit USB HID subdriver selection"),
        f("winhid", "Use the experimental native Windows HID backend instead of libusb (WIN32 only)"),
        v("vendor", "Regular expression to match UPS Manufacturer string"),
        v("product", "Regular expression to match UPS Product string"),
        v("serial", "Regular expression to match UPS Serial number"),
        v("vendorid", "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)"),
        v("productid", "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)"),
        v("bus", "Regular expression to match USB bus name"),
        v("device", "Regular expression to match USB device name"),
        v("busport", "Regular expression to match USB bus port name"),
        f("allow_duplicates", "If you have several UPS devices which may not be uniquely identified by options above, allow each driver instance with this option to take the first match if available, or try another"),
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
        f("explore", "Diagnostic matching of unsupported UPS"),
        f("maxreport", "Activate tweak for buggy APC Back-UPS firmware"),
        f("interruptonly", "Don't use polling, only use interrupt pipe"),
        v("interruptsize", "Number of bytes to read from interrupt pipe"),
        v("waitbeforereconnect", "Seconds to wait before trying to reconnect"),
        v("record", "Record the device to <dir or stem>.hex/.values.tsv/.strings.txt and exit (command line only)"),
    ]
}

/// Everything `--check-config` and the start-up check without touching the device.
fn checked_settings(ctx: &Context) -> Result<Settings, String> {
    let set = settings(|k| ctx.value(k).map(str::to_string), |k| ctx.flag(k), |k| ctx.location(k))?;
    if !is_recording(&ctx.port) {
        options::usb_requirements(&set, |k| ctx.value(k).is_some())?;
    }
    Ok(set)
}

fn is_cps(c: &Claimed) -> bool {
    c.nut.file == "cps-hid.c"
}

impl Driver for UsbHid {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Generic HID driver", version: VERSION }
    }

    fn options(&self) -> Vec<OptSpec> {
        option_specs()
    }

    fn help(&self) -> Option<String> {
        Some(device_table::help())
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        let opts: Vec<(&'static str, String)> =
            MATCH_OPTIONS.iter().filter_map(|k| ctx.value(k).map(|v| (*k, v.to_string()))).collect();
        let set = checked_settings(ctx).map_err(DriverError::Config)?;
        if set.winhid {
            nut_driver::warn!("winhid is only supported on WIN32 builds; ignoring option");
        }
        if ctx.flag("pollonly") && ctx.flag("interruptonly") {
            nut_driver::warn!(
                "pollonly and interruptonly exclude each other (together nothing would read the UPS after \
                 start-up): polling, as pollonly says; remove one of them ({} and {})",
                ctx.location("pollonly"),
                ctx.location("interruptonly")
            );
        }
        let (t, claimed) = open_device(&ctx.port, &opts, &set).map_err(DriverError::Device)?;
        let info = t.info();
        warn_if_not_reopenable(ctx, &info);
        nut_driver::debug!(
            "Detected a UPS: {}/{}",
            info.vendor.as_deref().unwrap_or("unknown"),
            info.product.as_deref().unwrap_or("unknown")
        );
        nut_driver::info!("Using subdriver: {}", claimed.subdriver.name);
        let fx = &claimed.effects;
        for n in &fx.notes {
            nut_driver::warn!("{n}");
        }
        if claimed.nut.file == "powercom-hid.c" {
            options::set_powercom(set.powercom);
        }
        let poll = poll_for(&set, &claimed);
        let mut ups =
            HidUps::open(t, claimed.subdriver, engine_opts(&set, &poll, fx)).map_err(DriverError::Device)?;
        if nut_daemon::log::debug_level() >= 1 {
            for l in dump_tree(&mut ups) {
                nut_driver::debug!("{l}");
            }
        }
        ups.policy = set.policy.clone();
        let cps = is_cps(&claimed);
        if cps && !poll.pollonly {
            nut_driver::warn!("You may want to set 'pollonly' flag on CPS devices");
        }
        // NUT's defaults, 60/120 for CyberPower, whose firmware counts whole minutes.
        let (off_dflt, on_dflt) = if cps { (60, 120) } else { (20, 30) };
        // lowbatt is published as battery.charge.low (the engine's policy) and raises LB; as in
        // NUT, the UPS's own setting is not written.
        if let Some(d) = set.ondelay {
            if cps && (d < 60 || d % 60 != 0) {
                nut_driver::warn!(
                    "CPS devices tend to round delays by 60 sec down (ondelay=120 is the suggested minimum; see more in the man page)"
                );
            }
        }
        if let Some(d) = set.offdelay {
            if cps && d > 0 && (d < 60 || d % 60 != 0) {
                nut_driver::warn!(
                    "CPS devices tend to round delays by 60 sec down (offdelay=60 is the suggested minimum; see more in the man page)"
                );
            }
        }
        ups.set_delays(set.offdelay, set.ondelay, (off_dflt, on_dflt));
        if ups.policy.lbrb_log_delay_sec.is_none() {
            if let Some(n) = policy::lbrb_default_for(info.vendor.as_deref(), info.product.as_deref()) {
                nut_driver::info!(
                    "Defaulting lbrb_log_delay_sec={n} for {} model {}; consider also setting the \
                     lbrb_log_delay_without_calibrating and/or onlinedischarge_calibration and/or \
                     onlinedischarge_log_throttle_sec flag(s) in your configuration",
                    info.vendor.as_deref().unwrap_or(""),
                    info.product.as_deref().unwrap_or("")
                );
                ups.policy.lbrb_log_delay_sec = Some(n);
            }
        }
        // NUT publishes the full-update period and the interrupt tolerance even as defaults.
        state.set_info("driver.parameter.pollfreq", &poll.pollfreq.as_secs().to_string());
        state.set_info(
            "driver.parameter.interrupt_pipe_no_events_tolerance",
            &set.no_events_tolerance.to_string(),
        );
        let cmds = ups.commands();
        let mut session = Session::with_opts(ups, poll, set.throttle_sec);
        session.reconnect = nut_driver::reconnect::Reconnect::from_context(ctx);
        session.upsname = ctx.upsname.clone();
        match session.poll(Instant::now()) {
            Poll::Data(s) => publish(state, &s),
            Poll::Stale | Poll::GiveUp(_) => {
                return Err(DriverError::Device("Can't initialize data from HID UPS".into()))
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
        let now = Instant::now();
        match s.poll(now) {
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
        match checked_settings(ctx) {
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
                nut_driver::info!("Shutdown successful with '{c}'");
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

/// `-x record=<dir or stem> [-x record_seconds=N]` (command line only, no ups.conf): write
/// the device as a recording (see [`record`]: `.hex`, `.reports.txt`, `.values.tsv`,
/// `.strings.txt`, `.interrupts.txt`) for bug reports and tests, then exit. The other `-x`
/// options select the device as they do for the driver (`port`, the matching options,
/// `subdriver`, `explore`, `productid`, the `usb_*` options).
fn cli_tools(args: &[String]) -> Option<ExitCode> {
    let p = nut_core::getopt::parse(&args[1..], "a:s:x:DFBqkhVLu:c:i:d:r:g:");
    let xs = p.values('x');
    let record = xs.iter().find_map(|x| x.strip_prefix("record=")).map(str::to_string)?;
    // Warnings (report quirks, descriptor fixes) on stderr; -D for debug lines.
    let dashd =
        args[1..].iter().filter(|a| a.starts_with("-D")).map(|a| a.matches('D').count()).sum::<usize>();
    nut_daemon::log::init("usbhid-ups", u8::try_from(dashd).unwrap_or(u8::MAX));
    let kv = |k: &str| {
        xs.iter().rev().find_map(|x| match x.split_once('=') {
            Some((n, v)) if n == k => Some(v.to_string()),
            _ => None,
        })
    };
    let has = |k: &str| xs.iter().any(|x| x.split_once('=').map_or(*x, |(n, _)| n) == k);
    let port = kv("port").unwrap_or_else(|| "auto".into());
    let opts: Vec<(&'static str, String)> =
        MATCH_OPTIONS.iter().filter_map(|m| kv(m).map(|v| (*m, v))).collect();
    let listen = match record::listen_time(kv("record_seconds").as_deref()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("usbhid-ups: {e}");
            return Some(ExitCode::FAILURE);
        }
    };
    let res = settings(kv, has, |k| format!("-x {k}"))
        .and_then(|set| {
            if !is_recording(&port) {
                options::usb_requirements(&set, |k| kv(k).is_some())?;
            }
            let (t, c) = open_device(&port, &opts, &set)?;
            let poll = poll_for(&set, &c);
            HidUps::open(t, c.subdriver, engine_opts(&set, &poll, &c.effects))
        })
        .and_then(|mut ups| {
            let info = ups.transport().info();
            let arg = Path::new(&record);
            let stem =
                record::stem(arg, arg.is_dir(), info.vendor_id, info.product_id, info.product.as_deref());
            if !listen.is_zero() {
                println!(
                    "Listening to the interrupt pipe for {} s (-x record_seconds=N to change)",
                    listen.as_secs()
                );
            }
            let files = record::capture_listening(&mut ups, &port, (!listen.is_zero()).then_some(listen))
                .map_err(|e| format!("can't read the device: {e}"))?;
            record::write(&stem, &files).map_err(|e| format!("can't write {}.*: {e}", stem.display()))
        });
    Some(match res {
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
    })
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
        nut_driver::warn!("{d}");
    }
}
