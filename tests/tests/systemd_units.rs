//! The systemd integration in `packaging/systemd/`: the units pass `systemd-analyze verify`
//! and run our binaries; nut.conf MODE decides which units start (their ExecCondition lines,
//! run by /bin/sh as systemd runs them); the enumerator maps ups.conf sections to
//! `nut-driver@` instances (three sections → three instances, one added, one removed, a
//! broken ups.conf changes nothing) through a fake `systemctl` on PATH that records its
//! calls; the shutdown hook commands the UPS only when upsmon's POWERDOWNFLAG is set and
//! MODE is not none, and honours POWEROFF_WAIT.
//!
//! How `systemd-analyze verify` is made to work here: it checks that every Exec*= program
//! exists and is executable, and it loads unit files given by path. The test copies the
//! units into a temporary directory, rewrites the install paths (`/sbin/upsd`,
//! `/usr/libexec/nut-driver-enumerator.sh`, ...) to our built binaries, instantiates
//! `nut-driver@ups1.service`, and runs `systemd-analyze verify --man=no` on the copies (no
//! running systemd needed, no root). Any line it prints (unknown directive, bad value,
//! missing program) fails the test. A real systemd cannot be booted in this test
//! environment (no container runtime with systemd as PID 1): the units are not started.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nut_testkit::{bin, skip, workspace_root, Prereq};

fn units_dir() -> PathBuf {
    workspace_root().join("packaging/systemd")
}

const UNITS: &[&str] = &[
    "nut-server.service",
    "nut-monitor.service",
    "nut-driver@.service",
    "nut-driver.target",
    "nut.target",
    "nut-driver-enumerator.service",
    "nut-driver-enumerator.path",
];

fn read_unit(name: &str) -> String {
    fs::read_to_string(units_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `Key=value` lines of a unit (no sections), in order.
fn directives(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .map(str::to_string)
        .collect()
}

fn write_exec(path: &Path, text: &str) {
    fs::write(path, text).expect("write script");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn on_path(prog: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(prog).is_file()))
}

#[test]
fn units_pass_systemd_analyze_verify() {
    let test = "systemd_units::units_pass_systemd_analyze_verify";
    if !on_path("systemd-analyze") {
        skip(test, "systemd-analyze is not installed (apt-get install systemd)", Prereq::Machine);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let map = [
        ("/sbin/upsd", bin("upsd")),
        ("/sbin/upsmon", bin("upsmon")),
        ("/sbin/upsdrvctl", bin("upsdrvctl")),
        ("/usr/libexec/nut-driver-enumerator.sh", bin("nut-driver-enumerator")),
    ];
    let mut paths = Vec::new();
    for name in UNITS {
        let mut text = read_unit(name);
        for (from, to) in &map {
            text = text.replace(from, &to.display().to_string());
        }
        let p = dir.path().join(name);
        fs::write(&p, &text).expect("write unit");
        paths.push(p);
        if *name == "nut-driver@.service" {
            let inst = dir.path().join("nut-driver@ups1.service");
            fs::write(&inst, &text).expect("write instance");
            paths.push(inst);
        }
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg("--man=no")
        .args(&paths)
        .current_dir(dir.path())
        .output()
        .expect("run systemd-analyze");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify:\n{said}");

    // The same check does catch a broken unit (so the pass above means something).
    let bad = dir.path().join("nut-server.service");
    let text = fs::read_to_string(&bad).expect("read").replace("Type=notify", "Type=notifyy");
    fs::write(&bad, text).expect("write");
    let out = Command::new("systemd-analyze").arg("verify").arg("--man=no").arg(&bad).output().expect("run");
    assert!(!out.stderr.is_empty(), "systemd-analyze did not notice Type=notifyy");
}

#[test]
fn units_use_install_paths_and_notify() {
    for (unit, prog) in [
        ("nut-server.service", "/sbin/upsd -FF"),
        ("nut-monitor.service", "/sbin/upsmon -F"),
        ("nut-driver@.service", "/sbin/upsdrvctl -FF start"),
    ] {
        let text = read_unit(unit);
        assert_eq!(directives(&text, "Type"), vec!["notify"], "{unit}");
        assert_eq!(directives(&text, "NotifyAccess").len(), 1, "{unit}");
        assert!(directives(&text, "ExecStart").iter().any(|l| l.contains(prog)), "{unit} runs {prog}");
        assert!(directives(&text, "EnvironmentFile").contains(&"-/etc/nut/nut.conf".to_string()), "{unit}");
        assert!(
            directives(&text, "ExecStartPre").iter().any(|l| l.contains("nut-common-tmpfiles.conf")),
            "{unit} creates /run/nut"
        );
    }
    let path = read_unit("nut-driver-enumerator.path");
    assert_eq!(directives(&path, "PathModified"), vec!["/etc/nut/ups.conf", "/etc/nut/nut.conf"]);
    let tmp = fs::read_to_string(units_dir().join("nut-common-tmpfiles.conf")).expect("tmpfiles");
    assert!(tmp.lines().any(
        |l| l.split_whitespace().collect::<Vec<_>>() == ["d", "/run/nut", "0770", "nut", "nut", "-", "-"]
    ));
}

/// Run a unit's ExecCondition with nut.conf's MODE as systemd passes it (environment from
/// EnvironmentFile; unset when nut.conf has no MODE).
fn condition_passes(unit: &str, mode: Option<&str>) -> bool {
    let text = read_unit(unit);
    let cond = directives(&text, "ExecCondition");
    assert_eq!(cond.len(), 1, "{unit} has one ExecCondition");
    let script = cond[0]
        .strip_prefix("/bin/sh -c '")
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or_else(|| panic!("{unit}: ExecCondition is not /bin/sh -c '...'"));
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(script).env_remove("MODE");
    if let Some(m) = mode {
        cmd.env("MODE", m);
    }
    cmd.status().expect("sh").success()
}

#[test]
fn nut_conf_mode_decides_which_units_start() {
    // NUT's nut.conf(5): the drivers and upsd run in standalone and netserver; upsmon runs in
    // every mode but none; with no MODE the units start (and report what is missing).
    let server_units = ["nut-server.service", "nut-driver@.service", "nut-driver-enumerator.service"];
    for mode in [None, Some("standalone"), Some("netserver"), Some("netclient"), Some("none")] {
        let serves = !matches!(mode, Some("netclient" | "none"));
        for u in server_units {
            assert_eq!(condition_passes(u, mode), serves, "{u} with MODE={mode:?}");
        }
        assert_eq!(
            condition_passes("nut-monitor.service", mode),
            mode != Some("none"),
            "upsmon with MODE={mode:?}"
        );
    }
}

/// A fake `systemctl` that records its arguments and keeps the enabled instances in a file.
struct FakeSystemd {
    dir: tempfile::TempDir,
}

impl FakeSystemd {
    fn new() -> FakeSystemd {
        let dir = tempfile::tempdir().expect("tempdir");
        let bindir = dir.path().join("bin");
        fs::create_dir_all(&bindir).expect("mkdir");
        fs::create_dir_all(dir.path().join("etc/nut")).expect("mkdir");
        fs::create_dir_all(dir.path().join("systemd")).expect("mkdir");
        fs::write(dir.path().join("enabled"), "").expect("write");
        let script = format!(
            r#"#!/bin/sh
STATE="{state}"
echo "$*" >> "$STATE/calls"
case "$1" in
  enable) grep -qx "$2" "$STATE/enabled" || echo "$2" >> "$STATE/enabled" ;;
  disable) grep -vx "$2" "$STATE/enabled" > "$STATE/enabled.new"; mv "$STATE/enabled.new" "$STATE/enabled" ;;
  show) while read -r u; do echo "Id=$u"; echo; done < "$STATE/enabled" ;;
  is-active) echo inactive; exit 3 ;;
  is-enabled) echo disabled; exit 1 ;;
esac
exit 0
"#,
            state = dir.path().display()
        );
        write_exec(&bindir.join("systemctl"), &script);
        FakeSystemd { dir }
    }

    fn write_ups_conf(&self, text: &str) {
        fs::write(self.dir.path().join("etc/nut/ups.conf"), text).expect("write ups.conf");
    }

    /// Run the enumerator with these arguments; clears the call log first.
    fn run(&self, args: &[&str]) -> Output {
        let _ = fs::remove_file(self.dir.path().join("calls"));
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new(bin("nut-driver-enumerator"))
            .args(args)
            .env("PATH", path)
            .env("NUT_CONFPATH", self.dir.path().join("etc/nut"))
            .env("SYSTEMD_CONFPATH", self.dir.path().join("systemd"))
            .env_remove("UPSCONF")
            .env_remove("AUTO_START")
            .env_remove("REPORT_RESTART_42")
            .output()
            .expect("run nut-driver-enumerator")
    }

    fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn enabled(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_to_string(self.dir.path().join("enabled"))
            .expect("read")
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    }

    fn calls_with(&self, verb: &str) -> Vec<String> {
        self.calls().into_iter().filter(|c| c.split_whitespace().next() == Some(verb)).collect()
    }
}

fn section(name: &str) -> String {
    format!("[{name}]\n\tdriver = dummy-ups\n\tport = {name}.dev\n")
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn enumerator_follows_ups_conf() {
    let sd = FakeSystemd::new();
    sd.write_ups_conf(&format!("maxretry = 3\n{}{}{}", section("ups1"), section("ups2"), section("ups+1")));

    // Three sections: three instances enabled and started, upsd asked about.
    let o = sd.run(&[]);
    assert_eq!(o.status.code(), Some(42), "{}", text(&o));
    let enabled = sd.enabled();
    assert_eq!(enabled.len(), 3, "{enabled:?}\n{}", text(&o));
    assert!(enabled.contains(&"nut-driver@ups1.service".to_string()));
    assert!(enabled.contains(&"nut-driver@ups2.service".to_string()));
    let hashed =
        enabled.iter().find(|u| u.starts_with("nut-driver@MD5_")).expect("\"ups+1\" gets NUT's MD5_ name");
    // NUT names it MD5_ + `echo "$name" | md5sum`.
    let sum = Command::new("sh").arg("-c").arg("printf 'ups+1\\n' | md5sum").output().expect("md5sum");
    let sum = String::from_utf8_lossy(&sum.stdout).split_whitespace().next().unwrap_or_default().to_string();
    assert_eq!(*hashed, format!("nut-driver@MD5_{sum}.service"));
    assert_eq!(sd.calls_with("start").len(), 3, "{:?}", sd.calls());
    assert_eq!(sd.calls_with("daemon-reload").len(), 1);
    assert!(sd.calls().contains(&"is-active nut-server".to_string()), "{:?}", sd.calls());

    // Each instance maps back to its section (what nut-driver@.service runs).
    for (unit, dev) in [("nut-driver@ups1.service", "ups1"), (hashed.as_str(), "ups+1")] {
        let o = sd.run(&["--get-device-for-service", unit]);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout), format!("{dev}\n"));
    }
    let o = sd.run(&["--get-service-for-device", "ups+1"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), hashed);
    let o = sd.run(&["--list-devices"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "ups+1\nups1\nups2\n");

    // Nothing changed: nothing done, exit 0.
    let o = sd.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(sd.calls_with("enable").is_empty() && sd.calls_with("disable").is_empty());

    // A fourth section: exactly one instance added and started.
    sd.write_ups_conf(&format!(
        "maxretry = 3\n{}{}{}{}",
        section("ups1"),
        section("ups2"),
        section("ups+1"),
        section("ups4")
    ));
    let o = sd.run(&[]);
    assert_eq!(o.status.code(), Some(42), "{}", text(&o));
    assert_eq!(sd.calls_with("enable"), vec!["enable nut-driver@ups4.service"]);
    assert_eq!(sd.calls_with("start"), vec!["start --no-block nut-driver@ups4.service"]);
    assert!(sd.calls_with("disable").is_empty());
    assert_eq!(sd.enabled().len(), 4);

    // ups2 removed: exactly that instance stopped and disabled, its drop-ins gone.
    sd.write_ups_conf(&format!("maxretry = 3\n{}{}{}", section("ups1"), section("ups+1"), section("ups4")));
    let o = sd.run(&[]);
    assert_eq!(o.status.code(), Some(42), "{}", text(&o));
    assert_eq!(sd.calls_with("stop"), vec!["stop nut-driver@ups2.service"]);
    assert_eq!(sd.calls_with("disable"), vec!["disable nut-driver@ups2.service"]);
    assert!(sd.calls_with("enable").is_empty());
    assert!(!sd.enabled().contains(&"nut-driver@ups2.service".to_string()));
    assert!(!sd.dir.path().join("systemd/nut-driver@ups2.service.d").exists());

    // A changed section restarts only its instance.
    sd.write_ups_conf(&format!(
        "maxretry = 3\n{}{}{}\tpollinterval = 5\n",
        section("ups1"),
        section("ups+1"),
        section("ups4")
    ));
    let o = sd.run(&[]);
    assert_eq!(o.status.code(), Some(42), "{}", text(&o));
    assert_eq!(sd.calls_with("try-restart"), vec!["try-restart nut-driver@ups4.service"]);

    // A broken ups.conf: file:line, exit 1, and no instance touched.
    sd.write_ups_conf(&format!("{}[broken]\n\tport = x\n", section("ups1")));
    let before = sd.enabled();
    let o = sd.run(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(err.contains("ups.conf:4: error:"), "no file:line in:\n{err}");
    assert!(sd.calls_with("stop").is_empty() && sd.calls_with("disable").is_empty(), "{:?}", sd.calls());
    assert_eq!(sd.enabled(), before);

    // No ups.conf at all: NUT's exit code 2, nothing touched.
    fs::remove_file(sd.dir.path().join("etc/nut/ups.conf")).expect("rm");
    let o = sd.run(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(sd.enabled(), before);
}

#[test]
fn enumerator_report_restart_42_and_auto_start() {
    let sd = FakeSystemd::new();
    sd.write_ups_conf(&section("ups1"));
    let path =
        format!("{}:{}", sd.dir.path().join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let o = Command::new(bin("nut-driver-enumerator"))
        .env("PATH", path)
        .env("NUT_CONFPATH", sd.dir.path().join("etc/nut"))
        .env("SYSTEMD_CONFPATH", sd.dir.path().join("systemd"))
        .env("REPORT_RESTART_42", "no")
        .env("AUTO_START", "no")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(sd.enabled(), vec!["nut-driver@ups1.service"]);
    assert!(sd.calls_with("start").is_empty(), "AUTO_START=no starts nothing: {:?}", sd.calls());
}

/// The shutdown hook with fake upsmon/upsdrvctl/sleep/systemctl that log their calls.
fn run_hook(nut_conf: Option<&str>, flag_set: bool) -> (Output, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("calls");
    let sbin = dir.path().join("sbin");
    let bindir = dir.path().join("bin");
    fs::create_dir_all(&sbin).expect("mkdir");
    fs::create_dir_all(&bindir).expect("mkdir");
    let rec =
        |name: &str, rc: i32| format!("#!/bin/sh\necho \"{name} $*\" >> \"{}\"\nexit {rc}\n", log.display());
    write_exec(&sbin.join("upsmon"), &rec("upsmon", if flag_set { 0 } else { 1 }));
    write_exec(&sbin.join("upsdrvctl"), &rec("upsdrvctl", 0));
    write_exec(&bindir.join("sleep"), &rec("sleep", 0));
    write_exec(&bindir.join("systemctl"), &rec("systemctl", 0));
    if let Some(c) = nut_conf {
        fs::write(dir.path().join("nut.conf"), c).expect("nut.conf");
    }
    let out = Command::new("/bin/sh")
        .arg(units_dir().join("nutshutdown"))
        .arg("poweroff")
        .env("PATH", format!("{}:/usr/bin:/bin", bindir.display()))
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_SBINDIR", &sbin)
        .output()
        .expect("run nutshutdown");
    let calls = fs::read_to_string(&log).unwrap_or_default().lines().map(str::to_string).collect();
    (out, calls)
}

#[test]
fn shutdown_hook_commands_the_ups_only_for_a_power_failure() {
    // POWERDOWNFLAG set, standalone: the UPS is told to shut down, then the usual power-off.
    let (o, calls) = run_hook(Some("MODE=standalone\n"), true);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(calls, vec!["upsmon -K", "upsdrvctl shutdown"]);

    // No flag: an ordinary shutdown, the UPS is left alone.
    let (o, calls) = run_hook(Some("MODE=standalone\n"), false);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(calls, vec!["upsmon -K"]);

    // MODE=none: a stale flag must not power the UPS off.
    let (o, calls) = run_hook(Some("MODE=none\n"), true);
    assert!(o.status.success(), "{}", text(&o));
    assert!(calls.is_empty(), "{calls:?}");

    // POWEROFF_WAIT: wait that long after commanding the UPS, then reboot.
    let (o, calls) = run_hook(Some("MODE=netserver\nPOWEROFF_WAIT=\"1m 30s\"\n"), true);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        calls,
        vec!["upsmon -K", "upsdrvctl shutdown", "sleep 1m 30s", "systemctl reboot --force --force"]
    );

    // POWEROFF_QUIET=true: nothing printed.
    let (o, _) = run_hook(Some("MODE=standalone\nPOWEROFF_QUIET=true\n"), false);
    assert!(o.stderr.is_empty(), "{}", text(&o));
    let sh = Command::new("sh").arg("-n").arg(units_dir().join("nutshutdown")).status().expect("sh -n");
    assert!(sh.success());
}

#[test]
fn upsdrvsvcctl_drives_the_instances() {
    let sd = FakeSystemd::new();
    sd.write_ups_conf(&format!("{}{}", section("ups1"), section("ups+1")));
    assert_eq!(sd.run(&[]).status.code(), Some(42));
    let hashed = sd.enabled().into_iter().find(|u| u.contains("MD5_")).expect("hashed instance");
    let svcctl = |args: &[&str]| {
        let _ = fs::remove_file(sd.dir.path().join("calls"));
        let path =
            format!("{}:{}", sd.dir.path().join("bin").display(), std::env::var("PATH").unwrap_or_default());
        Command::new("/bin/sh")
            .arg(units_dir().join("upsdrvsvcctl"))
            .args(args)
            .env("PATH", path)
            .env("NUT_CONFPATH", sd.dir.path().join("etc/nut"))
            .env("SYSTEMD_CONFPATH", sd.dir.path().join("systemd"))
            .env("NUT_DRIVER_ENUMERATOR", bin("nut-driver-enumerator"))
            .output()
            .expect("run upsdrvsvcctl")
    };
    let o = svcctl(&["start", "ups+1"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(sd.calls_with("start"), vec![format!("start {hashed}")]);
    let o = svcctl(&["stop"]);
    assert!(o.status.success(), "{}", text(&o));
    let mut stops = sd.calls_with("stop");
    stops.sort();
    assert_eq!(stops, vec![format!("stop {hashed}"), "stop nut-driver@ups1.service".to_string()]);
    let o = svcctl(&["list"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().any(|l| l == format!("{hashed}\tups+1")), "{out}");
    assert!(out.lines().any(|l| l == "nut-driver@ups1.service\tups1"), "{out}");
    let o = svcctl(&["start", "nosuchups"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(sd.calls_with("start").is_empty());
}

#[test]
fn install_list_covers_every_file() {
    let list = fs::read_to_string(units_dir().join("install.list")).expect("install.list");
    let entries: Vec<Vec<&str>> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    for e in &entries {
        assert_eq!(e.len(), 3, "source destination mode: {e:?}");
        assert!(e[1].starts_with('/'), "{e:?}");
        if !e[0].starts_with("target/") {
            assert!(workspace_root().join(e[0]).is_file(), "{} is listed but missing", e[0]);
        }
    }
    for f in fs::read_dir(units_dir()).expect("read_dir").flatten() {
        let name = format!("packaging/systemd/{}", f.file_name().to_string_lossy());
        if name.ends_with("install.list") {
            continue;
        }
        assert!(entries.iter().any(|e| e[0] == name), "{name} is not in install.list");
    }
    // The units run the enumerator where the list installs it.
    let dest =
        entries.iter().find(|e| e[0] == "target/release/nut-driver-enumerator").expect("enumerator listed")
            [1];
    assert!(read_unit("nut-driver@.service").contains(dest));
    assert!(read_unit("nut-driver-enumerator.service").contains(&format!("ExecStart={dest}")));
}

#[test]
fn tmpfiles_make_run_nut_for_the_nut_user() {
    let test = "systemd_units::tmpfiles_make_run_nut_for_the_nut_user";
    if !on_path("systemd-tmpfiles") {
        skip(test, "systemd-tmpfiles is not installed (apt-get install systemd)", Prereq::Machine);
        return;
    }
    if !nut_testkit::require(test, Prereq::Root) {
        return;
    }
    // A throw-away root whose own passwd/group define nut (systemd-tmpfiles --root reads
    // them there), so the host's accounts do not matter.
    use std::os::unix::fs::MetadataExt;
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(root.path().join("etc")).expect("mkdir");
    fs::write(root.path().join("etc/passwd"), "nut:x:4242:4243::/var/lib/nut:/usr/sbin/nologin\n")
        .expect("passwd");
    fs::write(root.path().join("etc/group"), "nut:x:4243:\n").expect("group");
    let out = Command::new("systemd-tmpfiles")
        .arg(format!("--root={}", root.path().display()))
        .arg("--create")
        .arg(units_dir().join("nut-common-tmpfiles.conf"))
        .output()
        .expect("systemd-tmpfiles");
    assert!(out.status.success(), "{}", text(&out));
    for d in ["run/nut", "run/nut/upssched"] {
        let m = fs::metadata(root.path().join(d)).unwrap_or_else(|e| panic!("{d}: {e}"));
        assert!(m.is_dir(), "{d}");
        assert_eq!(
            (m.uid(), m.gid(), m.mode() & 0o7777),
            (4242, 4243, 0o770),
            "{d}: owner nut:nut, mode 0770 as NUT"
        );
    }
}

/// The `/bin/sh -c '...'` of an Exec line of nut-driver@.service, for instance `inst`, with
/// the install paths pointing at our binaries.
fn driver_unit_command(key: &str, inst: &str) -> String {
    let text = read_unit("nut-driver@.service");
    let line = directives(&text, key).into_iter().next().unwrap_or_else(|| panic!("no {key}"));
    let script = line
        .strip_prefix("/bin/sh -c '")
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or_else(|| panic!("{key} is not /bin/sh -c '...'"));
    script
        .replace("%i", inst)
        .replace("/usr/libexec/nut-driver-enumerator.sh", &bin("nut-driver-enumerator").display().to_string())
        .replace("/sbin/upsdrvctl", &bin("upsdrvctl").display().to_string())
}

#[test]
fn driver_unit_starts_and_stops_the_sections_driver() {
    use nut_testkit::{wait_until, Proc};
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("etc");
    let state = dir.path().join("run");
    fs::create_dir_all(&conf).expect("mkdir");
    fs::create_dir_all(&state).expect("mkdir");
    // As root, the driver would switch to the compiled-in user; keep root for the test.
    let user = if nut_testkit::is_root() { "user = root\n" } else { "" };
    fs::write(conf.join("ups.conf"), format!("{user}[ups+1]\n\tdriver = dummy-ups\n\tport = ups.dev\n"))
        .expect("ups.conf");
    fs::write(conf.join("ups.dev"), "ups.status: OL\nbattery.charge: 100\n").expect("ups.dev");
    let envs = |c: &mut Command| {
        c.env("NUT_CONFPATH", &conf)
            .env("NUT_STATEPATH", &state)
            .env("SYSTEMD_CONFPATH", dir.path().join("systemd"))
            .env("NUT_IGNORE_NOWAIT", "true")
            .env_remove("NOTIFY_SOCKET");
    };
    // systemd passes the escaped instance; for a section systemd cannot name, the
    // enumerator's MD5_ form (no drop-in here: the enumerator finds the section by hash).
    let sum = Command::new("sh").arg("-c").arg("printf 'ups+1\\n' | md5sum").output().expect("md5sum");
    let inst =
        format!("MD5_{}", String::from_utf8_lossy(&sum.stdout).split_whitespace().next().unwrap_or_default());
    let mut start = Command::new("/bin/sh");
    start.arg("-c").arg(driver_unit_command("ExecStart", &inst));
    envs(&mut start);
    let mut p = Proc::spawn(start);
    let sock = state.join("dummy-ups-ups+1");
    assert!(
        wait_until(Duration::from_secs(20), || sock.exists()),
        "the driver's socket {} did not appear",
        sock.display()
    );
    assert!(p.is_running(), "upsdrvctl -FF stays in the foreground for systemd");

    let mut stop = Command::new("/bin/sh");
    stop.arg("-c").arg(driver_unit_command("ExecStop", &inst));
    envs(&mut stop);
    let out = stop.output().expect("ExecStop");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        wait_until(Duration::from_secs(20), || !p.is_running()),
        "the unit's main process did not end after ExecStop"
    );

    // An instance with no section fails with NUT's message.
    let mut bad = Command::new("/bin/sh");
    bad.arg("-c").arg(driver_unit_command("ExecStart", "nosuch"));
    envs(&mut bad);
    let out = bad.output().expect("ExecStart");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("FATAL: Could not find a NUT device section for service unit nosuch"));
}
