//! Records the golden protocol transcripts: runs every scenario `tests/transcripts/*.req` (or
//! the ones named on the command line) against Debian's NUT 2.8.0 (upsd and dummy-ups) and
//! writes the replies into `tests/transcripts/<name>.txt`. See `tests/README.md`.
//!
//! Usage: `cargo build -p nut-tests --bins && target/debug/record-transcripts [name...]`.

use std::path::PathBuf;
use std::process::ExitCode;

use nut_testkit::Impl;
use nut_tests::transcript::{run, Setup};

fn main() -> ExitCode {
    if !nut_testkit::debian_nut_available() {
        eprintln!("record-transcripts: Debian's NUT is not installed: apt-get install nut-server nut-client");
        return ExitCode::from(1);
    }
    let root = nut_tests::repo_root();
    let dir = root.join("tests/transcripts");
    let devices = root.join("tests/devices");
    let fake_driver = nut_testkit::bin_dir().join("fake-driver");
    let fake_driver = if fake_driver.exists() {
        fake_driver
    } else {
        std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|p| p.join("fake-driver")))
            .unwrap_or_default()
    };
    let setup = Setup { upsd: Impl::Debian, dummy: Impl::Debian, fake_driver };
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let mut reqs: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => {
            rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "req")).collect()
        }
        Err(e) => {
            eprintln!("record-transcripts: cannot read {}: {e}", dir.display());
            return ExitCode::from(1);
        }
    };
    reqs.sort();
    let mut failed = false;
    for req in reqs {
        let name = req.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if !wanted.is_empty() && !wanted.contains(&name) {
            continue;
        }
        let text = match std::fs::read_to_string(&req) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", req.display());
                failed = true;
                continue;
            }
        };
        let t0 = std::time::Instant::now();
        match run(&text, &devices, &dir, &setup) {
            Ok(out) => {
                let path = dir.join(format!("{name}.txt"));
                if let Err(e) = std::fs::write(&path, out) {
                    eprintln!("{}: {e}", path.display());
                    failed = true;
                } else {
                    eprintln!("recorded {} in {:.1?}", path.display(), t0.elapsed());
                }
            }
            Err(e) => {
                eprintln!("{name}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
