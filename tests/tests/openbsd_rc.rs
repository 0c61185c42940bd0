//! The OpenBSD rc.d scripts in `packaging/openbsd/rc.d/` (upsd, upsmon, upsdrvctl): they parse
//! (`sh -n`), follow rc.subr(8) (`daemon`, `daemon_flags`, `. /etc/rc.d/rc.subr`, `rc_cmd $1`,
//! `rc_pre`/`rc_start`/`rc_stop`/`rc_reload`/`rc_configtest` where they differ from rc.subr's
//! defaults), and, run under a stand-in rc.subr that executes what they ask, start, stop,
//! reload and check the right program with OpenBSD's NUT settings (`-u _ups`,
//! `/etc/nut`, `/var/db/nut`). A real OpenBSD (its ksh, rc.subr, rcctl, su -l) cannot run
//! on this Linux test machine: that part is skipped, visibly.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use nut_testkit::{skip, workspace_root, Prereq};

const SCRIPTS: &[(&str, &str)] = &[
    ("upsd", "/usr/local/sbin/upsd"),
    ("upsmon", "/usr/local/sbin/upsmon"),
    ("upsdrvctl", "/usr/local/sbin/upsdrvctl"),
];

fn script(name: &str) -> String {
    fs::read_to_string(workspace_root().join("packaging/openbsd/rc.d").join(name)).expect("read rc.d script")
}

fn write_exec(path: &Path, text: &str) {
    fs::write(path, text).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn scripts_parse_and_follow_rc_subr() {
    for (name, daemon) in SCRIPTS {
        let path = workspace_root().join("packaging/openbsd/rc.d").join(name);
        let ok = Command::new("sh").arg("-n").arg(&path).status().expect("sh -n");
        assert!(ok.success(), "{name}: sh -n failed");
        let mode = fs::metadata(&path).expect("stat").permissions().mode();
        assert!(mode & 0o111 != 0, "{name} is not executable ({mode:o})");
        let text = script(name);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&"#!/bin/ksh"), "{name}: rc.d scripts are ksh scripts");
        let pos =
            |l: &str| lines.iter().position(|x| *x == l).unwrap_or_else(|| panic!("{name} lacks `{l}`"));
        let d = pos(&format!("daemon=\"{daemon}\""));
        let f = pos("daemon_flags=\"-u _ups\"");
        let subr = pos(". /etc/rc.d/rc.subr");
        // rc.subr reads daemon/daemon_flags as set before it is sourced; functions after it
        // replace its defaults; rc_cmd comes last.
        assert!(d < subr && f < subr, "{name}: daemon and daemon_flags must come before rc.subr");
        assert_eq!(lines.iter().rev().find(|l| !l.trim().is_empty()), Some(&"rc_cmd $1"), "{name}");
        for func in ["rc_pre", "rc_start", "rc_stop", "rc_reload", "rc_configtest"] {
            let at = pos(&format!("{func}() {{"));
            assert!(at > subr, "{name}: {func} must be defined after sourcing rc.subr");
        }
    }
    skip(
        "openbsd_rc::scripts_parse_and_follow_rc_subr",
        "a real OpenBSD (ksh, rc.subr, rcctl) cannot run on this Linux machine: the scripts are checked with sh -n and a stand-in rc.subr only",
        Prereq::Machine,
    );
}

/// Run `name ACTION` with a stand-in rc.subr, fake programs that log their argv and
/// NUT_STATEPATH, and a fake `install`. Returns the log lines and the exit status.
fn run(name: &str, action: &str, status_table: &str) -> (Vec<String>, bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("log");
    let bindir = dir.path().join("bin");
    fs::create_dir_all(&bindir).expect("mkdir");
    let subr = dir.path().join("rc.subr");
    // The interface of rc.subr(8) the scripts use: rc_exec runs a command line as the
    // daemon user would (su -l: a fresh environment), rc_cmd dispatches the action.
    fs::write(
        &subr,
        format!(
            r#"rc_exec() {{ echo "rc_exec $*" >> "{log}"; env -i PATH="$PATH" sh -c "$*"; }}
rc_cmd() {{
    case "$1" in
    start) rc_pre && rc_start ;;
    stop) rc_stop ;;
    reload) rc_reload ;;
    check) rc_check ;;
    configtest) rc_configtest ;;
    esac
}}
"#,
            log = log.display()
        ),
    )
    .expect("write rc.subr");
    let prog = |p: &str| {
        format!(
            "#!/bin/sh\necho \"{p} $* [STATEPATH=$NUT_STATEPATH CONFPATH=$NUT_CONFPATH]\" >> \"{}\"\n\
             if [ \"$1\" = status ]; then printf '%s' \"$STATUS_TABLE\"; fi\nexit 0\n",
            log.display()
        )
    };
    let mut text = script(name).replace(". /etc/rc.d/rc.subr", &format!(". {}", subr.display()));
    for (n, daemon) in SCRIPTS {
        let fake = bindir.join(n);
        write_exec(&fake, &prog(n));
        text = text.replace(daemon, &fake.display().to_string());
    }
    write_exec(
        &bindir.join("install"),
        &format!("#!/bin/sh\necho \"install $*\" >> \"{}\"\n", log.display()),
    );
    let path: PathBuf = dir.path().join(name);
    fs::write(&path, text).expect("write script copy");
    let ok = Command::new("sh")
        .arg(&path)
        .arg(action)
        .env("PATH", format!("{}:/usr/bin:/bin", bindir.display()))
        .env("STATUS_TABLE", status_table)
        .env_remove("NUT_STATEPATH")
        .env_remove("NUT_CONFPATH")
        .status()
        .expect("run script")
        .success();
    let lines = fs::read_to_string(&log).unwrap_or_default().lines().map(str::to_string).collect();
    (lines, ok)
}

const ENV: &str = "[STATEPATH=/var/db/nut CONFPATH=/etc/nut]";

#[test]
fn scripts_run_the_right_commands() {
    for (name, start, stop, reload, test) in [
        ("upsd", "upsd -u _ups", "upsd -c stop", "upsd -c reload", "upsd -t"),
        ("upsmon", "upsmon -u _ups", "upsmon -c stop", "upsmon -c reload", "upsmon --check-config"),
        (
            "upsdrvctl",
            "upsdrvctl -u _ups start",
            "upsdrvctl stop",
            "upsdrvctl -c reload",
            "upsdrvctl -t start",
        ),
    ] {
        let (log, ok) = run(name, "start", "");
        assert!(ok, "{name} start: {log:?}");
        assert_eq!(
            log.first().map(String::as_str),
            Some("install -d -o _ups -g _ups -m 0770 /var/db/nut"),
            "{name}"
        );
        assert!(log.iter().any(|l| l.starts_with("rc_exec ")), "{name} starts through rc_exec: {log:?}");
        assert_eq!(log.last(), Some(&format!("{start} {ENV}")), "{name} start");
        for (action, want) in [("stop", stop), ("reload", reload), ("configtest", test)] {
            let (log, ok) = run(name, action, "");
            assert!(ok, "{name} {action}: {log:?}");
            assert_eq!(log, vec![format!("{want} {ENV}")], "{name} {action}");
        }
    }
    // The drivers count as running when every one answers on its socket.
    let up = "UPSNAME    \t     UPSDRV\tRUNNING\tPF_PID\tS_RESPONSIVE\tS_PID\tS_STATUS\n\
              u1         \t  dummy-ups\tRUNNING\t42\tRESPONSIVE\t42\t\"OL\"\n";
    let down = "UPSNAME    \t     UPSDRV\tRUNNING\tPF_PID\tS_RESPONSIVE\tS_PID\tS_STATUS\n\
                u1         \t  dummy-ups\tRUNNING\t42\tRESPONSIVE\t42\t\"OL\"\n\
                u2         \t  dummy-ups\tN/A\t-3\tNOT_RESPONSIVE\tN/A\t\n";
    assert!(run("upsdrvctl", "check", up).1);
    assert!(!run("upsdrvctl", "check", down).1);
    assert!(!run("upsdrvctl", "check", "").1);
}
