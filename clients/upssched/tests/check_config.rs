//! `upssched --check-config` finds what would only fail at the first power event: a CMDSCRIPT
//! that cannot run, timer files in a missing directory, syntax errors with file:line.

use std::process::Command;

use nut_testkit::TempDir;

const OURS: &str = env!("CARGO_BIN_EXE_upssched");

fn check(conf: &str) -> (bool, String) {
    let dir = TempDir::new().expect("temp dir");
    std::fs::write(dir.path().join("upssched.conf"), conf.replace("DIR", &dir.path().display().to_string()))
        .expect("write conf");
    let out = Command::new(OURS)
        .arg("--check-config")
        .env("NUT_CONFPATH", dir.path())
        .output()
        .expect("run upssched");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text.replace(&dir.path().display().to_string(), "DIR"))
}

#[test]
fn a_good_file_passes() {
    let (ok, text) = check("CMDSCRIPT /bin/true\nPIPEFN DIR/p\nLOCKFN DIR/l\nAT ONBATT * START-TIMER x 10\n");
    assert!(ok, "{text}");
    assert!(text.contains("no problems found"), "{text}");
}

#[test]
fn a_script_that_cannot_run_and_a_missing_directory_are_errors() {
    let (ok, text) = check(
        "CMDSCRIPT DIR/upssched.conf\nPIPEFN /nonexistent-dir/p\nLOCKFN DIR/l\nAT ONBATT * EXECUTE x\n",
    );
    assert!(!ok, "{text}");
    assert!(text.contains("is not executable: chmod +x DIR/upssched.conf"), "{text}");
    assert!(text.contains("directory /nonexistent-dir does not exist"), "{text}");
}

#[test]
fn syntax_errors_name_file_and_line() {
    let (ok, text) = check("CMDSCRIPT /bin/true\nPIPEFN DIR/p\nLOCKFN DIR/l\nAT ONBAT * EXECUTE x\n");
    assert!(!ok, "{text}");
    assert!(
        text.contains("DIR/upssched.conf:4: error: unknown notify type \"ONBAT\"; did you mean \"ONBATT\"?"),
        "{text}"
    );
}
