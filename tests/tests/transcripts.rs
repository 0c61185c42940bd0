//! Acceptance test 3 (replay): every golden transcript in `tests/transcripts/*.txt`, recorded
//! against Debian's NUT 2.8.0 by `record-transcripts`, is replayed against our upsd (with our
//! dummy-ups, or the scripted fake driver where the scenario says `fake=`) and the replies must
//! be byte for byte the same, after the normalisation documented in `nut_tests::transcript`
//! (tracking UUIDs).
//!
//! `NUT_TRANSCRIPT_DRIVER=debian` serves the dummy-ups sections with Debian's dummy-ups (tests
//! upsd alone); `NUT_COMPAT_CANDIDATE=debian` replays against Debian itself (checks that the
//! recordings are deterministic). With our programs only, it runs without Debian's NUT.

use std::path::PathBuf;

use nut_testkit::{require_debian_nut, Impl};
use nut_tests::transcript::{run, Setup};
use nut_tests::{candidate, repo_root, require_ours, short_diff};

fn transcripts() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/transcripts");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn every_scenario_has_a_recording_of_the_same_requests() {
    let dir = repo_root().join("tests/transcripts");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("tests/transcripts").flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "req") {
            continue;
        }
        n += 1;
        let txt = p.with_extension("txt");
        let req = std::fs::read_to_string(&p).expect("read .req");
        let rec = std::fs::read_to_string(&txt).unwrap_or_else(|_| {
            panic!("{} has no recording: run target/debug/record-transcripts", p.display())
        });
        let strip = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| {
                    !(l.starts_with("S:")
                        || l.starts_with("S~")
                        || l.starts_with("S!")
                        || l.starts_with("@drain"))
                })
                .map(String::from)
                .collect()
        };
        assert_eq!(strip(&req), strip(&rec), "{} is out of date: re-record it", txt.display());
    }
    assert!(n >= 7, "expected the transcript scenarios in {}", dir.display());
}

#[test]
fn our_upsd_replays_debian_transcripts() {
    let cand = candidate();
    let dummy = match std::env::var("NUT_TRANSCRIPT_DRIVER").as_deref() {
        Ok("debian") => Impl::Debian,
        _ => cand,
    };
    // The recordings are committed: replaying them against our programs needs no Debian NUT.
    if (cand == Impl::Debian || dummy == Impl::Debian) && !require_debian_nut("transcripts") {
        return;
    }
    require_ours(cand, &["upsd", "dummy-ups"]);
    let setup = Setup { upsd: cand, dummy, fake_driver: PathBuf::from(env!("CARGO_BIN_EXE_fake-driver")) };
    let root = repo_root();
    let files = transcripts();
    assert!(!files.is_empty(), "no transcripts recorded in tests/transcripts");
    let results = nut_tests::par_map(&files, 2, |f| {
        let t0 = std::time::Instant::now();
        let want = std::fs::read_to_string(f).expect("read transcript");
        let got = run(&want, &root.join("tests/devices"), &root.join("tests/transcripts"), &setup);
        (f.clone(), want, got, t0.elapsed())
    });
    let mut bad = Vec::new();
    for (f, want, got, took) in results {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        eprintln!("transcript {name}: {took:.1?}");
        match got {
            // Our drivers publish NUT 2.8.5's framework variables and commands; the recordings
            // come from Debian's 2.8.0.
            Ok(got)
                if got == want
                    || (dummy == Impl::Ours && nut_tests::without_driver_2_8_5_additions(&got) == want) => {}
            Ok(got) if dummy == Impl::Ours => bad.push(format!(
                "== {name} (- Debian, + {}):\n{}",
                cand.label(),
                short_diff(&want, &nut_tests::without_driver_2_8_5_additions(&got), 20)
            )),
            Ok(got) => bad.push(format!(
                "== {name} (- Debian, + {}):\n{}",
                cand.label(),
                short_diff(&want, &got, 20)
            )),
            Err(e) => bad.push(format!("== {name}: could not run: {e}")),
        }
    }
    assert!(bad.is_empty(), "{} of {} transcripts differ:\n{}", bad.len(), files.len(), bad.join("\n"));
}
