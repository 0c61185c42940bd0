//! Every sample file shipped in `conf/` parses without errors.

use nut_conf::{cgi_conf, ups_conf, upsd_conf, upsd_users, upsmon_conf, upssched_conf};

fn sample(name: &str) -> (String, String) {
    let path = format!("{}/../../conf/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (text, name.to_string())
}

fn no_errors<T>(r: nut_conf::Parsed<T>) -> (T, Vec<nut_conf::Diagnostic>) {
    r.unwrap_or_else(|d| panic!("errors in a sample:\n{}", nut_conf::render(&d)))
}

#[test]
fn every_sample_parses() {
    let (t, f) = sample("ups.conf.sample");
    let (c, w) = no_errors(ups_conf::parse(&t, &f));
    assert!(c.sections.is_empty() && w.is_empty(), "{w:?}");

    let (t, f) = sample("upsd.conf.sample");
    let (c, w) = no_errors(upsd_conf::parse(&t, &f));
    assert_eq!((c.maxage, w.len()), (15, 0));

    let (t, f) = sample("upsd.users.sample");
    let (c, w) = no_errors(upsd_users::parse(&t, &f));
    assert!(c.users.is_empty() && w.is_empty());

    // Like NUT's, the sample has every line commented out; upsmon (ours and NUT's) refuses to
    // run until a MONITOR line is added, so the test adds the one a user would write.
    let (t, f) = sample("upsmon.conf.sample");
    assert!(upsmon_conf::parse(&t, &f).is_err(), "no MONITOR: insufficient power");
    let t = format!("{t}MONITOR myups@localhost 1 monuser secret primary\n");
    let (c, w) = no_errors(upsmon_conf::parse(&t, &f));
    assert_eq!((c.pollfreq, w.len()), (5, 0));

    let (t, f) = sample("upssched.conf.sample");
    let (c, w) = no_errors(upssched_conf::parse(&t, &f));
    assert!(c.ats.is_empty() && w.is_empty());

    let (t, f) = sample("nut.conf.sample");
    let (c, w) = no_errors(nut_conf::nut_conf::parse(&t, &f));
    assert_eq!((c.mode, w.len()), (nut_conf::nut_conf::Mode::None, 0));

    let (t, f) = sample("hosts.conf.sample");
    let (c, w) = no_errors(cgi_conf::parse_hosts(&t, &f));
    assert!(c.monitors.is_empty() && w.is_empty());

    let (t, f) = sample("upsset.conf.sample");
    let (c, w) = no_errors(cgi_conf::parse_upsset(&t, &f));
    assert!(!c.secured);
    assert_eq!(w.len(), 1, "the not-secured warning");
}

/// The examples in the ups.conf and upssched.conf samples' comments are valid too: uncommenting them (dropping the
/// leading "# " of lines that look like settings) must not produce errors.
#[test]
fn commented_examples_parse_when_uncommented() {
    fn uncomment(text: &str, keep: impl Fn(&str) -> bool) -> String {
        let mut out = String::new();
        for line in text.lines() {
            let body = line.trim_start().strip_prefix("# ").unwrap_or("");
            if keep(body) {
                out.push_str(body);
                out.push('\n');
            }
        }
        out
    }
    let upper = |b: &str| {
        let w = b.split_whitespace().next().unwrap_or("");
        !b.contains('<') && w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    };

    let (t, f) = sample("upssched.conf.sample");
    let (c, _) = no_errors(upssched_conf::parse(&uncomment(&t, upper), &f));
    assert_eq!(c.ats.len(), 3);

    let (t, f) = sample("ups.conf.sample");
    let examples = t.split_once("# Examples:").map_or("", |(_, e)| e);
    let section = uncomment(examples, |b| {
        let b = b.trim_start();
        b.starts_with('[') || b.starts_with("driver =") || b.starts_with("port =") || b.starts_with("desc =")
    });
    let (c, _) = no_errors(ups_conf::parse(&section, &f));
    assert_eq!(c.sections.len(), 2);
}
