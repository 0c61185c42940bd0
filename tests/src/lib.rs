//! Helpers shared by the end-to-end tests in `tests/tests/`: which implementation is under
//! test, where the device data is, a small line diff for mismatch reports, and the transcript
//! format (see `tests/README.md`).

pub mod transcript;

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

/// What Debian's clients print for one UPS: `upsc` (list), `upsrw -l`, `upscmd -l`, `upsc` of an
/// unknown variable, and `upsc` of each variable named in `singles` (or of every variable in
/// the list when `singles` is `None`). Each entry is (command line, output or error).
pub fn client_views(
    stack: &nut_testkit::Stack,
    ups: &str,
    singles: Option<&[&str]>,
) -> Vec<(String, Result<nut_testkit::Output, String>)> {
    let t = std::time::Duration::from_secs(30);
    let target = stack.target(ups);
    let mut out = Vec::new();
    let mut run = |prog: &str, args: &[&str]| {
        let single = if prog.ends_with("upsc") && args.len() == 2 { Some(args[1]) } else { None };
        let r = stack.run(Path::new(prog), args, t).map(|o| normalize_volatile(&o, single));
        let shown = args.iter().map(|a| if *a == target { ups } else { a }).collect::<Vec<_>>().join(" ");
        out.push((format!("{prog} {shown}"), r.clone()));
        r
    };
    let list = run("/usr/bin/upsc", &[&target]);
    let _ = run("/usr/bin/upsrw", &["-l", &target]);
    let _ = run("/usr/bin/upscmd", &["-l", &target]);
    let _ = run("/usr/bin/upsc", &[&target, "no.such.variable"]);
    let vars: Vec<String> = match singles {
        Some(v) => v.iter().map(|s| s.to_string()).collect(),
        None => list
            .map(|o| o.out().lines().filter_map(|l| l.split_once(": ").map(|(k, _)| k.to_string())).collect())
            .unwrap_or_default(),
    };
    for v in &vars {
        let _ = run("/usr/bin/upsc", &[&target, v]);
    }
    out
}

/// Debian's dummy-ups switches `driver.parameter.synchronous` from `auto` to `yes` when a write
/// to upsd would block (large dumps under a busy upsd), so that one value depends on timing:
/// this maps both spellings to `auto|yes` in client output before comparing. `single` is the
/// variable name when the output is from `upsc <ups> <var>`.
pub fn normalize_volatile(out: &nut_testkit::Output, single: Option<&str>) -> nut_testkit::Output {
    let mut o = out.clone();
    let text = o.out();
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

/// Render a client result for diffs.
pub fn show_output(o: &Result<nut_testkit::Output, String>) -> String {
    match o {
        Ok(o) => format!("exit {}\n--- stdout\n{}--- stderr\n{}", o.code, o.out(), o.err()),
        Err(e) => format!("client failed: {e}\n"),
    }
}

/// Compare two sets of [`client_views`]; returns a report of the differing runs (empty if equal).
pub fn compare_views(
    reference: &[(String, Result<nut_testkit::Output, String>)],
    candidate: &[(String, Result<nut_testkit::Output, String>)],
) -> Vec<String> {
    let mut bad = Vec::new();
    for ((cmd, a), (_, b)) in reference.iter().zip(candidate) {
        if a != b {
            bad.push(format!("{cmd}\n{}", short_diff(&show_output(a), &show_output(b), 12)));
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
}
