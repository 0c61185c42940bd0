//! `dummy-ups --check-config` (the framework's check mode, with dummy-ups' own file checks):
//! every ups.conf problem with file:line, unknown driver options, a missing or malformed
//! definition file, and success when all is well. It never creates the socket.

use std::process::Command;

use nut_testkit::TempDir;

const OURS: &str = env!("CARGO_BIN_EXE_dummy-ups");

fn check(ups_conf: &str, dev: Option<&str>) -> (bool, String, TempDir) {
    let dir = TempDir::new().expect("temp dir");
    std::fs::write(dir.path().join("ups.conf"), ups_conf).expect("ups.conf");
    if let Some(d) = dev {
        std::fs::write(dir.path().join("x.dev"), d).expect("x.dev");
    }
    let me = nut_daemon::privs::user_name(nut_daemon::privs::euid());
    let out = Command::new(OURS)
        .args(["-a", "ups1", "-u", &me, "--check-config"])
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_STATEPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path())
        .output()
        .expect("run dummy-ups");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
        .replace(&dir.path().display().to_string(), "DIR");
    (out.status.success(), text, dir)
}

#[test]
fn good_configuration_passes_without_creating_the_socket() {
    let (ok, text, dir) = check("[ups1]\n driver = dummy-ups\n port = x.dev\n", Some("ups.status: OL\n"));
    assert!(ok, "{text}");
    assert!(text.contains("configuration of UPS [ups1] checked: no errors"), "{text}");
    assert!(!dir.path().join("dummy-ups-ups1").exists(), "check mode must not create the socket");
}

#[test]
fn config_errors_name_file_and_line() {
    let (ok, text, _d) =
        check("maxretry = abc\n[ups1]\n driver = dummy-ups\n port = x.dev\n", Some("ups.status: OL\n"));
    assert!(!ok, "{text}");
    assert!(text.contains("DIR/ups.conf:1: error: \"maxretry\" needs a whole number"), "{text}");
}

#[test]
fn unknown_driver_option_is_refused() {
    let (ok, text, _d) =
        check("[ups1]\n driver = dummy-ups\n port = x.dev\n pollintervl = 3\n", Some("ups.status: OL\n"));
    assert!(!ok, "{text}");
    assert!(text.contains("'pollintervl' is not a valid variable for this driver"), "{text}");
}

#[test]
fn missing_or_malformed_definition_file() {
    let (ok, text, _d) = check("[ups1]\n driver = dummy-ups\n port = x.dev\n", None);
    assert!(!ok, "{text}");
    assert!(text.contains("can't read dummy-ups definition file DIR/x.dev"), "{text}");
    let (ok, text, _d) =
        check("[ups1]\n driver = dummy-ups\n port = x.dev\n", Some("ups.status: OL\nups.mfr: \"a # b\"\n"));
    assert!(!ok, "{text}");
    assert!(text.contains("DIR/x.dev:2: Unbalanced word due to unescaped # in quotes"), "{text}");
}
