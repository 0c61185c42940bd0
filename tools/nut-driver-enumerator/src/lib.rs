//! `nut-driver-enumerator`: NUT's `nut-driver-enumerator.sh` for systemd, installed under
//! the same path (`/usr/libexec/nut-driver-enumerator.sh` on Debian) so NUT's units and
//! `upsdrvsvcctl` find it. Each `[section]` of ups.conf becomes a `nut-driver@<instance>`
//! unit: without arguments it enables and starts the instances of new sections, stops and
//! disables those of removed sections, restarts those whose lines changed, then reloads
//! upsd (`nut-server`). The other commands query the mapping (`--get-device-for-service`
//! is what `nut-driver@.service` runs). Exit codes as NUT documents them: 0 nothing to do,
//! 42 changes applied (0 with `REPORT_RESTART_42=no`), 13 still not matching, 1 bad input
//! (a ups.conf error, printed as file:line; nothing is changed then), 2 no ups.conf.
//!
//! Environment as NUT's script: `NUT_CONFPATH`, `UPSCONF`, `SYSTEMD_CONFPATH` (drop-in
//! directory, default `/etc/systemd/system`), `AUTO_START=no` (register only),
//! `REPORT_RESTART_42=no`, `DEBUG` / `NUT_DEBUG_LEVEL` (log every systemctl call).
//! `systemctl` is taken from `PATH`. The decisions are in [`plan`]; this file does the I/O.

pub mod md5;
pub mod plan;

use plan::{Device, Registered};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

const DROPIN_DEVICE: &str = "nut-driver-enumerator-generated-devicename.conf";
const DROPIN_CHECKSUM: &str = "nut-driver-enumerator-generated-checksum.conf";
const DROPIN_DOCLINK: &str = "nut-driver-enumerator-generated-doclink.conf";

const USAGE: &str = "\
Usage: nut-driver-enumerator.sh [COMMAND]
(no args)
        Update wrapping of devices into services
--daemon(=freq)
        Update wrapping of devices into services in an infinite loop
        Default freq is 60 sec
--daemon-after(=freq)
        Same, but the first run's failure ends the program (the loop runs in the
        foreground here: let the service manager keep it)
--reconfigure
        Stop and un-register all service instances and recreate them
--get-service-framework
        Print the detected service management framework in this OS
--list-devices
        Print list of devices in NUT config
--list-services
        Print list of service instances which wrap registered
        NUT devices (full name of service unit)
--list-instances
        Print list of service instances which wrap registered
        NUT devices (just instance suffix)
--get-service-for-device DEV
        Print the full name of service unit which wraps a NUT
        device named \"DEV\"
--get-device-for-service SVC
        Print the NUT device name for full or instance-suffix name of
        a service unit which wraps it
--list-services-for-devices
        Print a TAB-separated list of service units and corresponding
        NUT device names which each such unit wraps
--show-configs|--show-all-configs
        Show the device configuration blocks of ups.conf
--show-config DEV | --show-device-config DEV
        Show configuration block of the specified NUT device
--show-device-config-value DEV KEY [KEY...]
        Show the value of each KEY of the specified NUT device, one per line
        (a flag shows its name); any missing value gives a non-zero exit code

See also: man nut-driver-enumerator, ups.conf(5), upsdrvsvcctl(8)
";

/// A failure with NUT's exit code.
#[derive(Debug)]
struct Fail(u8, String);

struct Env {
    upsconf: PathBuf,
    systemd_conf: PathBuf,
    auto_start: bool,
    report_42: bool,
    debug: bool,
}

impl Env {
    fn from_process() -> Env {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let upsconf = var("UPSCONF")
            .map(PathBuf::from)
            .unwrap_or_else(|| nut_core::paths::conf_path().join("ups.conf"));
        Env {
            upsconf,
            systemd_conf: var("SYSTEMD_CONFPATH")
                .map_or_else(|| PathBuf::from("/etc/systemd/system"), PathBuf::from),
            auto_start: var("AUTO_START").as_deref() != Some("no"),
            report_42: var("REPORT_RESTART_42").as_deref() != Some("no"),
            debug: var("DEBUG").is_some()
                || var("NUT_DEBUG_LEVEL").and_then(|v| v.parse::<u32>().ok()).unwrap_or(0) > 0,
        }
    }
}

fn info(msg: &str) {
    eprintln!("[INFO] {msg}");
}

fn warn(msg: &str) {
    eprintln!("[WARNING] {msg}");
}

/// ups.conf as the enumerator needs it.
struct Conf {
    conf: nut_conf::ups_conf::UpsConf,
    devices: Vec<Device>,
    global: String,
    parts: Vec<Vec<String>>,
}

fn read_conf(env: &Env) -> Result<Conf, Fail> {
    let shown = env.upsconf.display().to_string();
    let bytes = std::fs::read(&env.upsconf)
        .map_err(|e| Fail(2, format!("The '{shown}' file does not exist or is not readable: {e}")))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let conf = match nut_conf::ups_conf::parse(&text, &shown) {
        Ok((c, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            c
        }
        Err(diags) => {
            eprint!("{}", nut_conf::render(&diags));
            return Err(Fail(
                1,
                format!(
                    "Fatal error in parsing {shown}: fix the lines above; no service instance was changed"
                ),
            ));
        }
    };
    let starts: Vec<usize> = conf.sections.iter().map(|s| s.line).collect();
    let parts = plan::split_parts(&text, &starts);
    let devices = conf
        .sections
        .iter()
        .zip(parts.iter().skip(1))
        .map(|(s, lines)| Device {
            name: s.name.clone(),
            driver: s.driver.clone(),
            checksum: plan::fingerprint(lines),
        })
        .collect();
    let global = plan::fingerprint(&parts[0]);
    if conf.sections.is_empty() {
        warn(&format!("No devices detected in '{shown}'"));
    }
    Ok(Conf { conf, devices, global, parts })
}

/// Run `systemctl ARGS`; stdout when it succeeds.
fn systemctl(env: &Env, args: &[&str]) -> Result<String, String> {
    if env.debug {
        eprintln!("[DEBUG] systemctl {}", args.join(" "));
    }
    let out = Command::new("systemctl")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run systemctl: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("systemctl {} failed ({})", args.join(" "), out.status))
    }
}

fn dropin_dir(env: &Env, instance: &str) -> PathBuf {
    env.systemd_conf.join(format!("{}.d", plan::unit_name(instance)))
}

fn read_dropin(dir: &Path, file: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file)).ok().and_then(|t| plan::dropin_value(&t, key))
}

/// Every instance systemd knows (`systemctl show --all 'nut-driver@*'`) or that has our
/// drop-ins, with what the drop-ins saved; sorted.
fn registered(env: &Env) -> Vec<Registered> {
    let mut names: Vec<String> = Vec::new();
    match systemctl(env, &["show", "--all", "nut-driver@*", "-p", "Id"]) {
        Ok(out) => {
            for l in out.lines() {
                if let Some(unit) = l.trim().strip_prefix("Id=") {
                    let inst = plan::instance_of(unit);
                    if unit.starts_with("nut-driver@") && !inst.is_empty() {
                        names.push(inst.to_string());
                    }
                }
            }
        }
        Err(e) => warn(&format!("Could not list the service instances: {e}")),
    }
    if let Ok(rd) = std::fs::read_dir(&env.systemd_conf) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if let Some(inst) = n.strip_prefix("nut-driver@").and_then(|r| r.strip_suffix(".service.d")) {
                if !inst.is_empty() && e.path().join(DROPIN_DEVICE).exists() {
                    names.push(inst.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|instance| {
            let dir = dropin_dir(env, &instance);
            Registered {
                device: read_dropin(&dir, DROPIN_DEVICE, "DEVICE"),
                checksum: read_dropin(&dir, DROPIN_CHECKSUM, "SECTION_CHECKSUM"),
                instance,
            }
        })
        .collect()
}

fn write_file(path: &Path, text: &str) -> Result<(), Fail> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Fail(1, format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(path, text).map_err(|e| Fail(1, format!("cannot write {}: {e}", path.display())))
}

fn save_checksum(env: &Env, instance: &str, key: &str, sum: &str) -> Result<(), Fail> {
    write_file(
        &dropin_dir(env, instance).join(DROPIN_CHECKSUM),
        &format!("[Service]\nEnvironment='{key}={sum}'\n"),
    )
}

fn register(env: &Env, instance: &str, device: &Device) -> Result<(), Fail> {
    let unit = plan::unit_name(instance);
    info(&format!("Adding new systemd service instance for power device [{}]...", device.name));
    if let Err(e) = systemctl(env, &["enable", &unit]) {
        if systemctl(env, &["is-enabled", &unit]).is_ok_and(|s| s.trim() == "masked") {
            warn(&format!("SKIP: Unit '{unit}' seems deliberately masked"));
            return Ok(());
        }
        return Err(Fail(13, e));
    }
    let dir = dropin_dir(env, instance);
    write_file(&dir.join(DROPIN_DEVICE), &plan::device_dropin(&device.name))?;
    save_checksum(env, instance, "SECTION_CHECKSUM", &device.checksum)?;
    write_file(
        &dir.join(DROPIN_DOCLINK),
        &format!("[Unit]\nDocumentation=man:{}(8)\nDocumentation=https://www.networkupstools.org/docs/man/{}.html\n", device.driver, device.driver),
    )
}

fn unregister(env: &Env, instance: &str) {
    let unit = plan::unit_name(instance);
    info(&format!("Dropping old systemd service instance {unit} which is no longer in config file..."));
    if let Err(e) = systemctl(env, &["stop", &unit]) {
        warn(&e);
    }
    if let Err(e) = systemctl(env, &["disable", &unit]) {
        warn(&e);
    }
    let _ = systemctl(env, &["reset-failed", &unit]);
    let dir = dropin_dir(env, instance);
    for f in [DROPIN_DEVICE, DROPIN_CHECKSUM, DROPIN_DOCLINK] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    // Only when empty: a drop-in the administrator wrote stays.
    let _ = std::fs::remove_dir(&dir);
}

fn restart_if_active(env: &Env, unit: &str) {
    if systemctl(env, &["is-active", unit]).is_ok_and(|s| s.trim() == "active") {
        info(&format!("Restarting {unit} to make sure it knows the new configuration..."));
        if let Err(e) = systemctl(env, &["reload-or-restart", unit]) {
            warn(&e);
            let _ = systemctl(env, &["restart", unit]);
        }
    }
}

/// The default action: make the instances match ups.conf.
fn sync(env: &Env, reconfigure: bool) -> Result<u8, Fail> {
    let conf = read_conf(env)?;
    let before = registered(env);
    let plan = if reconfigure {
        let mut p = plan::reconcile(&conf.devices, &conf.global, &[], None);
        p.remove = before.iter().map(|r| r.instance.clone()).collect();
        p
    } else {
        let saved_global = read_dropin(&dropin_dir(env, ""), DROPIN_CHECKSUM, "SECTION_CHECKSUM_GLOBAL");
        plan::reconcile(&conf.devices, &conf.global, &before, saved_global.as_deref())
    };
    let upsconf = env.upsconf.display();
    if plan.is_empty() {
        info(&format!("OK: No changes to reconcile between systemd service instances and device configurations in '{upsconf}'"));
        return Ok(0);
    }
    for inst in &plan.remove {
        unregister(env, inst);
    }
    for (inst, name) in &plan.changed {
        info(&format!("Section [{name}] changed in '{upsconf}': restarting its driver instance"));
        if let Some(d) = conf.devices.iter().find(|d| d.name == *name) {
            save_checksum(env, inst, "SECTION_CHECKSUM", &d.checksum)?;
        }
        if env.auto_start {
            let unit = plan::unit_name(inst);
            if let Err(e) = systemctl(env, &["try-restart", &unit]) {
                warn(&e);
            }
        }
    }
    if plan.global_changed {
        if !plan.restart_all.is_empty() {
            info(&format!("Detected changes in global section of '{upsconf}', will restart all drivers"));
        }
        if env.auto_start {
            for inst in &plan.restart_all {
                restart_if_active(env, &plan::unit_name(inst));
            }
        }
        save_checksum(env, "", "SECTION_CHECKSUM_GLOBAL", &conf.global)?;
    }
    let mut failed = None;
    for (inst, name) in &plan.add {
        if let Some(d) = conf.devices.iter().find(|d| d.name == *name) {
            if let Err(e) = register(env, inst, d) {
                eprintln!("[ERROR] {}", e.1);
                failed = Some(e);
            }
        }
    }
    if let Err(e) = systemctl(env, &["daemon-reload"]) {
        warn(&e);
    }
    if env.auto_start {
        for (inst, _) in &plan.add {
            if let Err(e) = systemctl(env, &["start", "--no-block", &plan::unit_name(inst)]) {
                warn(&e);
            }
        }
        restart_if_active(env, "nut-server");
    }
    let after = registered(env);
    let mut have: Vec<&str> = after.iter().map(|r| r.instance.as_str()).collect();
    let mut want: Vec<String> = conf.devices.iter().map(|d| plan::instance_name(&d.name)).collect();
    have.sort_unstable();
    want.sort();
    info("The currently defined service instances are:");
    for h in &have {
        eprintln!("{h}");
    }
    if failed.is_some() || have != want.iter().map(String::as_str).collect::<Vec<_>>() {
        eprintln!(
            "[ERROR] systemd service instances still differ from the device configurations in '{upsconf}'"
        );
        return Ok(13);
    }
    info(&format!("OK: No more changes to reconcile between systemd service instances and device configurations in '{upsconf}'"));
    Ok(if env.report_42 { 42 } else { 0 })
}

fn list_services_for_devices(env: &Env, conf: &Conf) -> Vec<(String, String)> {
    let reg = registered(env);
    conf.devices
        .iter()
        .filter_map(|d| {
            let inst = plan::instance_name(&d.name);
            let found =
                reg.iter().find(|r| r.instance == inst || r.device.as_deref() == Some(d.name.as_str()))?;
            Some((plan::unit_name(&found.instance), d.name.clone()))
        })
        .collect()
}

fn section_lines<'a>(conf: &'a Conf, dev: &str) -> Option<&'a [String]> {
    if dev.is_empty() {
        return conf.parts.first().map(Vec::as_slice);
    }
    let i = conf.conf.sections.iter().position(|s| s.name == dev)?;
    conf.parts.get(i + 1).map(Vec::as_slice)
}

/// `KEY = value` / flag lookup in a section's lines (the last occurrence wins, as in NUT).
fn section_value(lines: &[String], key: &str) -> Option<String> {
    lines.iter().rev().find_map(|l| {
        let words = nut_proto::words::split(l).ok()?;
        match words.as_slice() {
            [k] if k == key => Some(k.clone()),
            [k, eq, v] if k == key && eq == "=" => Some(v.clone()),
            [kv] => kv.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v.to_string()),
            _ => {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
            }
        }
    })
}

fn run(args: &[String]) -> Result<u8, Fail> {
    let env = Env::from_process();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(1) {
        None => sync(&env, false),
        Some("-h" | "--help" | "-help") => {
            print!("{USAGE}");
            Ok(0)
        }
        Some("--get-service-framework") => {
            println!("systemd");
            Ok(0)
        }
        Some("--reconfigure") => sync(&env, true),
        Some(a) if a.starts_with("--daemon") => {
            let freq = a.split_once('=').map_or(Ok(60), |(_, f)| f.parse::<u64>());
            let freq = freq.map_err(|_| Fail(1, format!("Bad frequency in {a}: want seconds")))?;
            let first = sync(&env, false)?;
            if a.starts_with("--daemon-after") && !matches!(first, 0 | 42) {
                return Ok(first);
            }
            loop {
                std::thread::sleep(std::time::Duration::from_secs(freq.max(1)));
                match sync(&env, false) {
                    Ok(0 | 42) => {}
                    Ok(code) => return Ok(code),
                    Err(e) => return Err(e),
                }
            }
        }
        Some("--list-devices") => {
            let conf = read_conf(&env)?;
            if conf.devices.is_empty() {
                return Ok(1);
            }
            let mut names: Vec<&str> = conf.devices.iter().map(|d| d.name.as_str()).collect();
            names.sort_unstable();
            for n in names {
                println!("{n}");
            }
            Ok(0)
        }
        Some(c @ ("--list-services" | "--list-instances")) => {
            let reg = registered(&env);
            if reg.is_empty() {
                warn("No service units detected");
                return Ok(1);
            }
            for r in reg {
                if c == "--list-services" {
                    println!("{}", plan::unit_name(&r.instance));
                } else {
                    println!("{}", r.instance);
                }
            }
            Ok(0)
        }
        Some("--get-device-for-service") => {
            let svc = arg(2)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| Fail(1, "Service (instance) name argument required".into()))?;
            let inst = plan::instance_of(svc);
            let saved = read_dropin(&dropin_dir(&env, inst), DROPIN_DEVICE, "DEVICE");
            let conf = if saved.is_some() { None } else { Some(read_conf(&env)?) };
            let devices = conf.as_ref().map_or(&[][..], |c| c.devices.as_slice());
            match plan::device_for_instance(inst, saved.as_deref(), devices) {
                Some(d) => {
                    println!("{d}");
                    Ok(0)
                }
                None => Err(Fail(
                    1,
                    format!("No device section in '{}' for service instance '{inst}'", env.upsconf.display()),
                )),
            }
        }
        Some("--get-service-for-device") => {
            let dev = arg(2)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| Fail(1, "Device name argument required".into()))?;
            let reg = registered(&env);
            let inst = plan::instance_name(dev);
            match reg.iter().find(|r| r.device.as_deref() == Some(dev) || r.instance == inst) {
                Some(r) => {
                    println!("{}", plan::unit_name(&r.instance));
                    Ok(0)
                }
                None => Err(Fail(1, format!("No service instance wraps device '{dev}'"))),
            }
        }
        Some("--list-services-for-devices") => {
            let conf = read_conf(&env)?;
            let list = list_services_for_devices(&env, &conf);
            for (unit, dev) in &list {
                println!("{unit}\t{dev}");
            }
            Ok(if list.is_empty() { 1 } else { 0 })
        }
        Some(
            "--show-configs" | "--show-device-configs" | "--show-all-configs" | "--show-all-device-configs",
        ) => {
            let conf = read_conf(&env)?;
            for part in &conf.parts {
                for l in part {
                    println!("{l}");
                }
            }
            Ok(if conf.devices.is_empty() { 1 } else { 0 })
        }
        Some("--show-config" | "--show-device-config") => {
            let conf = read_conf(&env)?;
            let dev = arg(2).unwrap_or("");
            let lines = section_lines(&conf, dev)
                .ok_or_else(|| Fail(1, format!("No section [{dev}] in '{}'", env.upsconf.display())))?;
            for l in lines {
                println!("{l}");
            }
            Ok(0)
        }
        Some("--show-config-value" | "--show-device-config-value") => {
            if args.len() < 4 {
                return Err(Fail(1, "At least one configuration key name argument is required".into()));
            }
            let conf = read_conf(&env)?;
            let dev = &args[2];
            let lines = section_lines(&conf, dev)
                .ok_or_else(|| Fail(1, format!("No section [{dev}] in '{}'", env.upsconf.display())))?;
            let mut code = 0;
            for key in &args[3..] {
                match section_value(lines, key) {
                    Some(v) => println!("{v}"),
                    None => {
                        println!();
                        code = 1;
                    }
                }
            }
            Ok(code)
        }
        Some(other) => Err(Fail(1, format!("Unrecognized argument: {other}"))),
    }
}

/// The program.
pub fn main(args: Vec<String>) -> ExitCode {
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(Fail(code, msg)) => {
            eprintln!("[ERROR] {msg}");
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::section_value;

    #[test]
    fn values_and_flags_of_a_section() {
        let lines: Vec<String> =
            ["[ups]", "driver = usbhid-ups", "port=auto", "desc = \"two words\"", "nolock"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        assert_eq!(section_value(&lines, "driver").as_deref(), Some("usbhid-ups"));
        assert_eq!(section_value(&lines, "port").as_deref(), Some("auto"));
        assert_eq!(section_value(&lines, "desc").as_deref(), Some("two words"));
        assert_eq!(section_value(&lines, "nolock").as_deref(), Some("nolock"));
        assert_eq!(section_value(&lines, "vendorid"), None);
    }
}
