//! Acceptance test 1: every real device dump of the NUT Devices Dumps Library, served by
//! dummy-ups under upsd, looks byte for byte the same to Debian's clients whether the stack is
//! Debian's NUT 2.8.0 or ours.
//!
//! For each `.dev` file under `shared/testdata/nut-ddl` (or `$NUT_DDL_DIR`) we compare, between
//! the reference stack (Debian upsd + Debian dummy-ups) and the candidate stack (our upsd + our
//! dummy-ups), the exit code, stdout and stderr of Debian's `upsc <ups>` (whole list),
//! `upsrw -l <ups>` (no login needed: it only lists), `upscmd -l <ups>`, `upsc <ups> <var>` for
//! single variables and `upsc <ups> <unknown var>`.
//!
//! Single variables: every variable of every dump is checked with its own `upsc` run (about
//! 22,000 runs per stack; 171 s for the whole file on the 2-core machine, against 112 s when
//! only every 3rd dump gets single-variable runs). `NUT_DDL_SINGLE_EVERY=N` checks the single
//! variables of every Nth dump only (files 0, N, 2N... in sorted path order), for quick runs.
//! `NUT_DDL_LIMIT=N` uses only the first N files (quick local runs);
//! `NUT_COMPAT_CANDIDATE=debian` runs Debian-vs-Debian to check the harness itself.
//!
//! One value depends on timing in Debian's dummy-ups: `driver.parameter.synchronous` turns from
//! `auto` to `yes` when a write to a busy upsd would block (seen with 400-line PDU dumps), so
//! `auto` and `yes` compare equal there (`nut_tests::normalize_volatile`).
//!
//! Equal output is not enough (`nut_tests::judge`): the reference run must show a real result
//! (the list exits 0 with at least one variable, `upsrw -l`, `upscmd -l` and single variables
//! exit 0, the unknown variable gets NUT's `Error: Variable not supported by UPS`), so an empty
//! dump or the same failure on both sides fails the test. A panic in a worker thread fails it
//! too (`nut_tests::par_map`).
//!
//! The stacks hold 100 UPSes each (`NUT_DDL_BATCH`), both stacks of a batch run at once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nut_testkit::{require_debian_nut, skip, Impl, Output, Prereq, Stack};
use nut_tests::{candidate, ddl_dir, dev_files, judge, normalize_volatile, par_map, require_ours, Expect};

const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Case {
    name: String,
    dev: PathBuf,
    singles: bool,
}

struct Mismatch {
    ups: String,
    dev: String,
    what: String,
    diff: String,
}

fn upsc() -> &'static Path {
    Path::new("/usr/bin/upsc")
}

#[allow(clippy::too_many_arguments)]
fn compare(
    reference: &Stack,
    cand: &Stack,
    case: &Case,
    rel: &str,
    prog: &Path,
    args: &[&str],
    expect: Expect,
    out: &mut Vec<Mismatch>,
) -> Option<Output> {
    let run = |s: &Stack| {
        let mut full: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        // The UPS target is the argument after the flags; fill in the stack's port.
        for a in &mut full {
            if a == "@UPS" {
                *a = s.target(&case.name);
            }
        }
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        let single = if prog == upsc() && full.len() == 2 { Some(full[1]) } else { None };
        s.run(prog, &full, CLIENT_TIMEOUT).map(|o| normalize_volatile(&o, single))
    };
    let a = run(reference);
    let b = run(cand);
    if let Some(diff) = judge(expect, &a, &b) {
        let what = format!(
            "{} {}",
            prog.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            args.join(" ").replace("@UPS", &case.name)
        );
        out.push(Mismatch { ups: case.name.clone(), dev: rel.to_string(), what, diff });
    }
    a.ok()
}

fn check_case(reference: &Stack, cand: &Stack, case: &Case, root: &Path) -> (Vec<Mismatch>, usize) {
    let rel = case.dev.strip_prefix(root).unwrap_or(&case.dev).display().to_string();
    let mut mm = Vec::new();
    let mut runs = 0;
    let list = compare(reference, cand, case, &rel, upsc(), &["@UPS"], Expect::List, &mut mm);
    let (upsrw, upscmd) = (Path::new("/usr/bin/upsrw"), Path::new("/usr/bin/upscmd"));
    compare(reference, cand, case, &rel, upsrw, &["-l", "@UPS"], Expect::Success, &mut mm);
    compare(reference, cand, case, &rel, upscmd, &["-l", "@UPS"], Expect::Success, &mut mm);
    let unknown = ["@UPS", "no.such.variable"];
    compare(reference, cand, case, &rel, upsc(), &unknown, Expect::UnknownVariable, &mut mm);
    runs += 4;
    if case.singles {
        let vars: Vec<String> = list
            .map(|o| o.out().lines().filter_map(|l| l.split_once(": ").map(|(k, _)| k.to_string())).collect())
            .unwrap_or_default();
        for v in &vars {
            compare(reference, cand, case, &rel, upsc(), &["@UPS", v], Expect::Success, &mut mm);
            runs += 1;
        }
    }
    (mm, runs)
}

#[test]
fn ddl_dumps_look_the_same_through_debian_clients() {
    if !require_debian_nut("ddl_compat") {
        return;
    }
    let Some(root) = ddl_dir() else {
        skip("ddl_compat", "no nut-ddl directory", Prereq::NutDdl);
        return;
    };
    let cand = candidate();
    require_ours(cand, &["upsd", "dummy-ups"]);
    let mut files = dev_files(&root);
    files.truncate(env_usize("NUT_DDL_LIMIT", usize::MAX));
    assert!(!files.is_empty(), "no .dev files under {}", root.display());
    let every = env_usize("NUT_DDL_SINGLE_EVERY", 1).max(1);
    let batch = env_usize("NUT_DDL_BATCH", 100).max(1);
    let threads = env_usize("NUT_DDL_THREADS", 4);
    let cases: Vec<Case> = files
        .iter()
        .enumerate()
        .map(|(i, f)| Case { name: format!("ddl{i:03}"), dev: f.clone(), singles: i % every == 0 })
        .collect();

    let t0 = Instant::now();
    let mut mismatches = Vec::new();
    let mut runs = 0;
    for chunk in cases.chunks(batch) {
        let build = |drv: Impl, upsd: Impl| {
            let mut b = Stack::builder().upsd(upsd);
            for c in chunk {
                b = b.dummy(&c.name, &c.dev, drv);
            }
            b.start()
        };
        let (reference, cand_stack) = std::thread::scope(|s| {
            let r = s.spawn(|| build(Impl::Debian, Impl::Debian));
            let c = s.spawn(|| build(cand, cand));
            (r.join().expect("reference stack thread"), c.join().expect("candidate stack thread"))
        });
        let reference = reference.unwrap_or_else(|e| panic!("reference (Debian) stack failed to start: {e}"));
        let cand_stack =
            cand_stack.unwrap_or_else(|e| panic!("candidate ({}) stack failed to start: {e}", cand.label()));
        for (mm, n) in par_map(chunk, threads, |c| check_case(&reference, &cand_stack, c, &root)) {
            mismatches.extend(mm);
            runs += n;
        }
        eprintln!(
            "ddl_compat: {} UPSes done, {} client runs per stack, {} mismatches, {:.1?}",
            chunk.last().map(|c| c.name.clone()).unwrap_or_default(),
            runs,
            mismatches.len(),
            t0.elapsed()
        );
    }
    eprintln!(
        "ddl_compat: {} files, {} client runs per stack, single variables for 1 in {} files, {:.1?}",
        cases.len(),
        runs,
        every,
        t0.elapsed()
    );
    if !mismatches.is_empty() {
        let mut ups_bad: Vec<&str> = mismatches.iter().map(|m| m.ups.as_str()).collect();
        ups_bad.dedup();
        let mut msg = format!(
            "{} mismatching client runs on {} of {} UPSes (reference: Debian, candidate: {}). First ones:\n",
            mismatches.len(),
            ups_bad.len(),
            cases.len(),
            cand.label()
        );
        for m in mismatches.iter().take(5) {
            msg.push_str(&format!("== {} ({}): {}\n{}", m.ups, m.dev, m.what, m.diff));
        }
        panic!("{msg}");
    }
}

/// The socket-level corpus comparison of dummy-ups (`drivers/dummy-ups/tests/compare_dumps.py`,
/// run by dummy-ups' `compare_with_debian_on_corpus`) applies the same rules to DUMPALL
/// answers: its `--self-test` checks that an empty dump, a dump without DUMPDONE and the same
/// error on both sides fail.
#[test]
fn dummy_ups_dump_comparison_fails_empty_cut_and_equally_failed_dumps() {
    let script = nut_tests::repo_root().join("drivers/dummy-ups/tests/compare_dumps.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg("--self-test")
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} --self-test failed:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
