//! Helpers shared by the end-to-end tests in `tests/tests/`: which implementation is under
//! test, where the device data is, a small line diff for mismatch reports, and the transcript
//! format (see `tests/README.md`).

pub mod faults;
pub mod hcl;
pub mod qx;
pub mod serial;
pub mod transcript;
pub mod upsmon;

use std::path::{Path, PathBuf};

use nut_testkit::Impl;

/// The implementation compared against Debian's NUT. `NUT_COMPAT_CANDIDATE=debian` runs the
/// suites Debian-vs-Debian, which proves the harness itself is sound; the default is ours.
pub fn candidate() -> Impl {
    match std::env::var("NUT_COMPAT_CANDIDATE").as_deref() {
        Ok("debian") => Impl::Debian,
        _ => Impl::Ours,
    }
}

/// Check that our binaries exist when they are the candidate; with a clear message naming the
/// build command, instead of a failure deep inside a stack.
pub fn require_ours(candidate: Impl, names: &[&str]) {
    if candidate != Impl::Ours {
        return;
    }
    for n in names {
        let p = nut_testkit::bin_dir().join(n);
        assert!(p.exists(), "our {n} is not built at {}: run `cargo build -p {n}` first", p.display());
    }
}

/// Directory of the NUT Devices Dumps Library copy (`/work/shared/testdata/nut-ddl`, or
/// `$NUT_DDL_DIR`), if present.
pub fn ddl_dir() -> Option<PathBuf> {
    let p = std::env::var_os("NUT_DDL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/testdata/nut-ddl"));
    p.is_dir().then_some(p)
}

/// The repository root (parent of `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Every `.dev` file under `dir`, sorted by relative path so runs are deterministic.
pub fn dev_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "dev") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A short unified-style diff of two texts (`-` expected, `+` actual), at most `max` lines of
/// changes, with one line of context.
pub fn short_diff(expected: &str, actual: &str, max: usize) -> String {
    let a: Vec<&str> = expected.split_inclusive('\n').collect();
    let b: Vec<&str> = actual.split_inclusive('\n').collect();
    // Longest common subsequence table; outputs are small (a few hundred lines at most).
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out = String::new();
    let (mut i, mut j, mut shown) = (0, 0, 0);
    let show = |s: &str| s.trim_end_matches('\n').escape_debug().to_string();
    while (i < n || j < m) && shown < max {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("-{}\n", show(a[i])));
            i += 1;
            shown += 1;
        } else {
            out.push_str(&format!("+{}\n", show(b[j])));
            j += 1;
            shown += 1;
        }
    }
    if shown >= max {
        out.push_str("  ...\n");
    }
    if out.is_empty() && expected != actual {
        out.push_str("  (texts differ only in the final newline)\n");
    }
    out
}

/// Run `f` over `items` on `threads` threads, keeping the results in item order.
///
/// A panic in `f` (a failed assertion in a worker) fails the caller: the other workers stop
/// taking items, and `par_map` panics naming the item and the worker's message, so a test never
/// passes on the results of the workers that happened to survive.
pub fn par_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let threads = threads.max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let worker = || {
        let mut done = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= items.len() {
                break;
            }
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&items[i]))) {
                Ok(r) => done.push((i, r)),
                Err(payload) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err((i, panic_message(payload.as_ref())));
                }
            }
        }
        Ok(done)
    };
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| Err((usize::MAX, panic_message(p.as_ref())))))
            .collect()
    });
    let mut results = Vec::with_capacity(items.len());
    let mut panics = Vec::new();
    for o in outcomes {
        match o {
            Ok(done) => results.extend(done),
            Err(p) => panics.push(p),
        }
    }
    if !panics.is_empty() {
        panics.sort_by_key(|(i, _)| *i);
        let list: Vec<String> = panics.iter().map(|(i, m)| format!("item {i}: {m}")).collect();
        panic!("par_map: {} worker(s) panicked, results are incomplete; {}", panics.len(), list.join("; "));
    }
    results.sort_by_key(|(i, _)| *i);
    assert_eq!(results.len(), items.len(), "par_map: every item has a result");
    results.into_iter().map(|(_, r)| r).collect()
}

/// The text of a panic payload (`panic!` with a literal or a formatted message).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text panic payload)".to_string())
}

/// One client run of [`client_views`]: command line, expectation, output or error.
pub type View = (String, Expect, Result<nut_testkit::Output, String>);

/// What Debian's clients print for one UPS: `upsc` (list), `upsrw -l`, `upscmd -l`, `upsc` of an
/// unknown variable, and `upsc` of each variable named in `singles` (or of every variable in
/// the list when `singles` is `None`). Each entry is (command line, what the run must show, output
/// or error); [`compare_views`] judges them.
pub fn client_views(stack: &nut_testkit::Stack, ups: &str, singles: Option<&[&str]>) -> Vec<View> {
    let t = std::time::Duration::from_secs(30);
    let target = stack.target(ups);
    let mut out = Vec::new();
    let mut run = |prog: &str, args: &[&str], expect: Expect| {
        let single = if prog.ends_with("upsc") && args.len() == 2 { Some(args[1]) } else { None };
        let r = stack.run(Path::new(prog), args, t).map(|o| normalize_volatile(&o, single));
        let shown = args.iter().map(|a| if *a == target { ups } else { a }).collect::<Vec<_>>().join(" ");
        out.push((format!("{prog} {shown}"), expect, r.clone()));
        r
    };
    let list = run("/usr/bin/upsc", &[&target], Expect::List);
    let _ = run("/usr/bin/upsrw", &["-l", &target], Expect::Success);
    let _ = run("/usr/bin/upscmd", &["-l", &target], Expect::Success);
    let _ = run("/usr/bin/upsc", &[&target, "no.such.variable"], Expect::UnknownVariable);
    let vars: Vec<String> = match singles {
        Some(v) => v.iter().map(|s| s.to_string()).collect(),
        None => list
            .map(|o| o.out().lines().filter_map(|l| l.split_once(": ").map(|(k, _)| k.to_string())).collect())
            .unwrap_or_default(),
    };
    for v in &vars {
        let _ = run("/usr/bin/upsc", &[&target, v], Expect::Success);
    }
    out
}

/// Debian's dummy-ups switches `driver.parameter.synchronous` from `auto` to `yes` when a write
/// to upsd would block (large dumps under a busy upsd), so that one value depends on timing:
/// this maps both spellings to `auto|yes` in client output before comparing. `single` is the
/// variable name when the output is from `upsc <ups> <var>`.
pub fn normalize_volatile(out: &nut_testkit::Output, single: Option<&str>) -> nut_testkit::Output {
    let mut o = out.clone();
    // Our NUT 2.8.5 version strings read as Debian's 2.8.0 (`nut_testkit::compat::as_debian`),
    // and what 2.8.5's driver framework adds to every UPS is set aside.
    let deb = nut_testkit::compat::debian_version();
    let mut text = without_driver_2_8_5_additions(&nut_testkit::compat::as_debian(&o.out(), deb));
    if single == Some("driver.version") && text == format!("{}\n", nut_core::NUT_VERSION) {
        text = format!("{deb}\n");
    }
    let fixed = if single == Some("driver.parameter.synchronous") {
        match text.as_str() {
            "yes\n" | "auto\n" => "auto|yes\n".to_string(),
            _ => text,
        }
    } else {
        text.replace("driver.parameter.synchronous: yes\n", "driver.parameter.synchronous: auto|yes\n")
            .replace("driver.parameter.synchronous: auto\n", "driver.parameter.synchronous: auto|yes\n")
    };
    o.stdout = fixed.into_bytes();
    o
}

/// The variables NUT 2.8.1-2.8.5's driver framework adds to every UPS.
pub const DRIVER_2_8_5_VARS: &[&str] = &["driver.debug", "driver.flag.allow_killpower", "driver.state"];
/// The instant commands it adds.
pub const DRIVER_2_8_5_CMDS: &[&str] = &[
    "driver.killpower",
    "driver.reload",
    "driver.reload-or-error",
    "driver.reload-or-exit",
    "shutdown.default",
];

/// Client output without what NUT 2.8.5's driver framework adds to every UPS (our drivers
/// follow 2.8.5; Debian's 2.8.0 reference has none of it; the drivers' own tests check these):
/// `upsc` lines of [`DRIVER_2_8_5_VARS`], their `upsrw -l` blocks, `upscmd -l` lines of
/// [`DRIVER_2_8_5_CMDS`], and protocol lines (`VAR`/`RW`/`CMD <ups> <name>`) of transcripts.
pub fn without_driver_2_8_5_additions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skip_block = false;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches('\n');
        if skip_block {
            skip_block = !l.is_empty();
            continue;
        }
        let is_var = |n: &str| DRIVER_2_8_5_VARS.contains(&n);
        let is_cmd = |n: &str| DRIVER_2_8_5_CMDS.contains(&n);
        let upsc = l.split_once(": ").is_some_and(|(k, _)| is_var(k));
        let upscmd = l.split_once(" - ").is_some_and(|(k, _)| is_cmd(k));
        let block = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')).is_some_and(is_var);
        let words: Vec<&str> = l.split(' ').collect();
        let proto = matches!(words.as_slice(), ["S:", "VAR" | "RW", _, n, ..] if is_var(n))
            || matches!(words.as_slice(), ["S:", "CMD", _, n] if is_cmd(n));
        if block {
            skip_block = true;
        } else if !(upsc || upscmd || proto) {
            out.push_str(line);
        }
    }
    out
}

/// What a client run must show on the reference side for the comparison to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `upsc <ups>`: exit 0 and at least one `name: value` line (a dump that arrived).
    List,
    /// `upsc -l`/`-L <host>`: exit 0 and at least one non-blank line.
    Lines,
    /// `upsrw -l`, `upscmd -l`, `upsc <ups> <var>`: exit 0.
    Success,
    /// `upsc <ups> no.such.variable`: NUT's refusal, `Error: Variable not supported by UPS`.
    UnknownVariable,
}

/// Judge one pair of runs: `None` when the candidate matches a reference run that shows what
/// `expect` says; otherwise what is wrong. Equal outputs are not enough: a dump that never
/// arrived (empty list) or a failure on both sides (both drivers dead, both clients timing out)
/// would compare equal while checking nothing.
pub fn judge(
    expect: Expect,
    reference: &Result<nut_testkit::Output, String>,
    cand: &Result<nut_testkit::Output, String>,
) -> Option<String> {
    let same = reference == cand;
    let both = |what: String| {
        Some(if same {
            format!("both sides failed the same way ({what}); equal failures are not a pass")
        } else {
            format!("the reference run failed ({what}), so nothing was compared")
        })
    };
    let r = match reference {
        Err(e) => return both(format!("client failed: {e}")),
        Ok(r) => r,
    };
    let first_err = || r.err().lines().next().unwrap_or("no stderr").to_string();
    match expect {
        Expect::List | Expect::Lines | Expect::Success if r.code != 0 => {
            return both(format!("exit {}: {}", r.code, first_err()));
        }
        Expect::List if !r.out().lines().any(|l| l.contains(": ")) => {
            return both("empty dump: upsc listed no variable".to_string());
        }
        Expect::Lines if r.out().trim().is_empty() => {
            return both("empty output".to_string());
        }
        Expect::UnknownVariable
            if r.code == 0 || !r.err().contains("Error: Variable not supported by UPS") =>
        {
            return both(format!(
                "expected NUT's refusal of the unknown variable, got exit {}: {}",
                r.code,
                first_err()
            ));
        }
        _ => {}
    }
    (!same).then(|| short_diff(&show_output(reference), &show_output(cand), 12))
}

/// Render a client result for diffs.
pub fn show_output(o: &Result<nut_testkit::Output, String>) -> String {
    match o {
        Ok(o) => format!("exit {}\n--- stdout\n{}--- stderr\n{}", o.code, o.out(), o.err()),
        Err(e) => format!("client failed: {e}\n"),
    }
}

/// Compare two sets of [`client_views`] with [`judge`]; returns a report of the runs that do
/// not pass (empty if all do): differences, and reference runs that show nothing to compare.
pub fn compare_views(reference: &[View], candidate: &[View]) -> Vec<String> {
    let mut bad = Vec::new();
    for ((cmd, expect, a), (_, _, b)) in reference.iter().zip(candidate) {
        if let Some(why) = judge(*expect, a, b) {
            bad.push(format!("{cmd}\n{why}"));
        }
    }
    if reference.len() != candidate.len() {
        bad.push(format!("{} runs vs {} runs", reference.len(), candidate.len()));
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_2_8_5_additions_are_set_aside() {
        let t = "battery.charge: 9\ndriver.debug: 0\ndriver.state: quiet\nups.status: OL\n";
        assert_eq!(without_driver_2_8_5_additions(t), "battery.charge: 9\nups.status: OL\n");
        let rw = "[driver.debug]\nDescription unavailable\nType: NUMBER\nValue: 0\n\n[ups.id]\nx\n";
        assert_eq!(without_driver_2_8_5_additions(rw), "[ups.id]\nx\n");
        let cmd = "driver.killpower - Description unavailable\nload.off - Turn off the load immediately\n";
        assert_eq!(without_driver_2_8_5_additions(cmd), "load.off - Turn off the load immediately\n");
        let tr = "S: VAR u driver.state \\\"quiet\\\"\nS: CMD u shutdown.default\nS: CMD u load.off\n";
        assert_eq!(without_driver_2_8_5_additions(tr), "S: CMD u load.off\n");
    }

    #[test]
    fn diff_shows_changed_lines() {
        let d = short_diff("a\nb\nc\n", "a\nB\nc\n", 10);
        assert_eq!(d, "-b\n+B\n");
        assert_eq!(short_diff("x\n", "x\n", 5), "");
    }

    #[test]
    fn par_map_keeps_order() {
        let v: Vec<u32> = (0..100).collect();
        assert_eq!(par_map(&v, 3, |x| x * 2), v.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(par_map(&v, 0, |x| x + 1).len(), 100);
        assert!(par_map(&[] as &[u32], 4, |x| *x).is_empty());
    }

    #[test]
    fn par_map_fails_when_a_worker_panics() {
        let v: Vec<u32> = (0..50).collect();
        for threads in [1, 4] {
            let r = std::panic::catch_unwind(|| {
                par_map(&v, threads, |x| {
                    assert!(*x != 17, "device {x} differs");
                    *x
                })
            });
            let msg = panic_message(r.expect_err("a panicking worker fails par_map").as_ref());
            assert!(msg.contains("item 17: device 17 differs"), "{threads} threads: {msg}");
            assert!(msg.contains("results are incomplete"), "{msg}");
        }
    }

    fn out(code: i32, stdout: &str, stderr: &str) -> Result<nut_testkit::Output, String> {
        Ok(nut_testkit::Output { code, stdout: stdout.into(), stderr: stderr.into() })
    }

    #[test]
    fn judge_passes_equal_successful_runs_and_reports_differences() {
        let list = out(0, "battery.charge: 100\nups.status: OL\n", "");
        assert_eq!(judge(Expect::List, &list, &list.clone()), None);
        let other = out(0, "battery.charge: 99\nups.status: OL\n", "");
        let d = judge(Expect::List, &list, &other).expect("a difference is reported");
        assert!(d.contains("-battery.charge: 100") && d.contains("+battery.charge: 99"), "{d}");
        let refused = out(1, "", "Error: Variable not supported by UPS\n");
        assert_eq!(judge(Expect::UnknownVariable, &refused, &refused.clone()), None);
        assert_eq!(judge(Expect::Success, &out(0, "\n", ""), &out(0, "\n", "")), None);
    }

    #[test]
    fn judge_fails_an_empty_dump_on_both_sides() {
        let empty = out(0, "", "");
        let why = judge(Expect::List, &empty, &empty.clone()).expect("an empty list is no pass");
        assert!(why.contains("empty dump") && why.contains("both sides"), "{why}");
        let blank = out(0, "\n", "");
        assert!(judge(Expect::List, &blank, &blank.clone()).is_some());
    }

    #[test]
    fn judge_fails_equal_failures() {
        let dead = out(1, "", "Error: Driver not connected\n");
        for expect in [Expect::List, Expect::Success] {
            let why = judge(expect, &dead, &dead.clone()).expect("equal failures are no pass");
            assert!(
                why.contains("both sides failed the same way") && why.contains("Driver not connected"),
                "{why}"
            );
        }
        // Both clients timing out.
        let hung: Result<nut_testkit::Output, String> = Err("upsc did not finish within 30s (killed)".into());
        let why = judge(Expect::List, &hung, &hung.clone()).expect("equal client failures are no pass");
        assert!(why.contains("both sides failed the same way") && why.contains("did not finish"), "{why}");
        // The unknown-variable run must show NUT's own refusal, not another error on both sides.
        let stale = out(1, "", "Error: Data stale\n");
        assert!(judge(Expect::UnknownVariable, &stale, &stale.clone()).is_some());
        assert!(judge(Expect::UnknownVariable, &out(0, "x\n", ""), &out(0, "x\n", "")).is_some());
        // A failing reference with a different candidate is reported as such.
        let why = judge(Expect::Success, &dead, &out(0, "ok\n", "")).expect("reference failure");
        assert!(why.contains("the reference run failed"), "{why}");
    }

    #[test]
    fn judge_needs_lines_for_host_listings() {
        let l = out(0, "dev00\n", "");
        assert_eq!(judge(Expect::Lines, &l, &l.clone()), None);
        assert!(judge(Expect::Lines, &out(0, "\n", ""), &out(0, "\n", "")).is_some());
    }

    #[test]
    fn compare_views_reports_equal_failures() {
        let dead = out(1, "", "Error: Driver not connected\n");
        let views: Vec<View> = vec![("upsc u".into(), Expect::List, dead.clone())];
        let bad = compare_views(&views, &views.clone());
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].starts_with("upsc u\nboth sides failed the same way"), "{bad:?}");
    }
}
