//! The man pages in `docs/man/` (issue 11, acceptance 5):
//!
//! - every page passes `mandoc -T lint -W style`, mandoc's strictest level (style notes
//!   included, not only errors); skipped with the reason when mandoc is absent; and renders
//!   through man-db and groff without warnings (what lintian's groff-message tag checks);
//! - every shipped program and every configuration file has its page, each page has the
//!   sections a reader looks for, and every page it refers to exists (here or in a short list
//!   of system pages); every program built in `target/` is either shipped (and so needs a page)
//!   or listed below as a test or build tool;
//! - every flag a program prints in its `-h` output appears in its page, and so does every
//!   `-x` option and `protocol` value a driver lists there;
//! - every directive a configuration parser of `nut-conf` accepts appears in that file's page,
//!   and every upsmon notification type in upsmon(8).
//!
//! Page text is compared after undoing roff's escapes (`\-` is `-`, font changes dropped), so a
//! flag counts only where the page spells it out as a word.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::Prereq;
use nut_tests::repo_root;

/// Programs the package installs: (binary, page, crate directory that builds it).
const SHIPPED: &[(&str, &str, &str)] = &[
    ("upsd", "upsd.8", "server/upsd"),
    ("upsmon", "upsmon.8", "clients/upsmon"),
    ("upssched", "upssched.8", "clients/upssched"),
    ("upsc", "upsc.8", "clients/upsc"),
    ("upscmd", "upscmd.8", "clients/upscmd"),
    ("upsrw", "upsrw.8", "clients/upsrw"),
    ("upslog", "upslog.8", "clients/upslog"),
    ("upsdrvctl", "upsdrvctl.8", "drivers/upsdrvctl"),
    ("dummy-ups", "dummy-ups.8", "drivers/dummy-ups"),
    ("usbhid-ups", "usbhid-ups.8", "drivers/usbhid-ups"),
    ("nutdrv_qx", "nutdrv_qx.8", "drivers/nutdrv_qx"),
    ("metasys", "metasys.8", "drivers/metasys"),
    ("powerpanel", "powerpanel.8", "drivers/powerpanel"),
    ("mge-shut", "mge-shut.8", "drivers/mge-shut"),
    ("genericups", "genericups.8", "drivers/genericups"),
    ("nutdrv_hashx", "nutdrv_hashx.8", "drivers/nutdrv_hashx"),
    ("bcmxcp", "bcmxcp.8", "drivers/bcmxcp"),
    ("bcmxcp_usb", "bcmxcp_usb.8", "drivers/bcmxcp"),
    ("blazer_ser", "blazer_ser.8", "drivers/nutdrv_qx"),
    ("blazer_usb", "blazer_usb.8", "drivers/nutdrv_qx"),
    ("apcsmart", "apcsmart.8", "drivers/apcsmart"),
    ("nhs_ser", "nhs_ser.8", "drivers/nhs_ser"),
    ("riello_ser", "riello_ser.8", "drivers/riello_ser"),
    ("riello_usb", "riello_usb.8", "drivers/riello_usb"),
    ("nut-scanner", "nut-scanner.8", "tools/nut-scanner"),
    ("nut-tls-setup", "nut-tls-setup.8", "crates/nut-tls"),
    ("nut-driver-enumerator", "nut-driver-enumerator.8", "tools/nut-driver-enumerator"),
];

/// Shell scripts the package installs in a program directory: (script in the repository, page).
const SHIPPED_SCRIPTS: &[(&str, &str)] = &[("packaging/systemd/upsdrvsvcctl", "upsdrvsvcctl.8")];

/// Programs built in the workspace that are not installed, so need no page.
const NOT_SHIPPED: &[(&str, &str)] = &[
    ("ups-sim", "test tool: a serial UPS on a pty"),
    ("nut-bench", "benchmark tool"),
    ("record-transcripts", "test tool: records the golden transcripts"),
    ("fake-driver", "test helper of nut-driver"),
    ("nut-udev-rules", "build tool: writes packaging/udev/62-nut-usbups.rules"),
];

/// Pages that are not about one program: the drivers' common page and the configuration files.
const OTHER_PAGES: &[&str] = &[
    "nutupsdrv.8",
    "ups.conf.5",
    "upsd.conf.5",
    "upsd.users.5",
    "upsmon.conf.5",
    "upssched.conf.5",
    "nut.conf.5",
    "hosts.conf.5",
    "upsset.conf.5",
];

/// System pages our pages may refer to.
const EXTERNAL_REFS: &[&str] = &[
    "chroot(2)",
    "wall(1)",
    "sleep(1)",
    "hosts_access(5)",
    "certutil(1)",
    "pk12util(1)",
    "openssl(1)",
    "systemctl(1)",
    "timeout(1)",
];

fn man_dir() -> PathBuf {
    repo_root().join("docs/man")
}

fn all_pages() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(man_dir())
        .expect("docs/man exists")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn read_page(name: &str) -> String {
    let p = man_dir().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The page's text with roff's escapes undone: `\-` is `-`, `\(dq` `"`, `\(aq` `'`, font
/// changes and zero-width marks dropped.
fn plain(roff: &str) -> String {
    let mut s = roff.replace("\\-", "-").replace("\\(dq", "\"").replace("\\(aq", "'").replace("\\&", "");
    for f in ["\\fB", "\\fI", "\\fR", "\\fP"] {
        s = s.replace(f, "");
    }
    s
}

/// Whether `word` occurs in `text` as a whole word: not inside a longer flag, option or name.
fn has_word(text: &str, word: &str) -> bool {
    let inner = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(|c| inner(c) || c == '.') && !after.is_some_and(inner)
    })
}

/// `.SH` titles of a page.
fn sections(roff: &str) -> Vec<String> {
    roff.lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .map(|t| t.trim().trim_matches('"').to_string())
        .collect()
}

/// Run `bin -h` and return stdout and stderr together; panics if it does not end in 10 s.
fn help_output(bin: &Path) -> String {
    let mut child = Command::new(bin)
        .arg("-h")
        .env("NUT_CONFPATH", "/nonexistent")
        .env("NUT_STATEPATH", "/nonexistent")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let done = nut_testkit::wait_until(Duration::from_secs(10), || matches!(child.try_wait(), Ok(Some(_))));
    if !done {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{} -h did not exit within 10 s", bin.display());
    }
    let out = child.wait_with_output().expect("output");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The flags a help text mentions: `-x`, `-FF`, `--check-config` ..., where they start a word
/// (after a blank, a bracket, `|`, `,` or a quote).
fn help_flags(help: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?:^|[ \t\n\[(|,'"`])(--?[A-Za-z0-9][A-Za-z0-9_-]*)"#).expect("regex");
    let mut v: Vec<String> = re.captures_iter(help).map(|c| c[1].to_string()).collect();
    v.sort();
    v.dedup();
    v
}

/// The driver options of a driver's help table (`description : -x name[=<value>]`).
fn help_driver_options(help: &str) -> Vec<String> {
    let re = regex::Regex::new(r" : -x ([A-Za-z0-9_.]+)").expect("regex");
    re.captures_iter(help).map(|c| c[1].to_string()).collect()
}

/// The values listed under "Acceptable values for 'protocol'" in a driver's help.
fn help_protocols(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Acceptable values for 'protocol'"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn every_page_passes_mandoc_lint_at_style_level() {
    if !nut_testkit::require("man_pages::mandoc_lint", Prereq::Mandoc) {
        return;
    }
    let pages = all_pages();
    assert!(!pages.is_empty(), "no pages in docs/man");
    let out = Command::new("mandoc")
        .args(["-T", "lint", "-W", "style"])
        .args(pages.iter().map(|p| man_dir().join(p)))
        .output()
        .expect("run mandoc");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && report.trim().is_empty(), "mandoc -T lint -W style:\n{report}");
}

/// lintian's `groff-message` check: each page rendered by man-db with groff's warnings on.
#[test]
fn every_page_renders_without_groff_warnings() {
    let on_path = |p: &str| {
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(p).is_file()))
    };
    if !(on_path("man") && on_path("groff")) {
        nut_testkit::skip(
            "man_pages::groff_warnings",
            "man (man-db) or groff is not installed (apt-get install man-db groff-base)",
            Prereq::Machine,
        );
        return;
    }
    let mut problems = String::new();
    for p in all_pages() {
        let out = Command::new("man")
            .args(["--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z"])
            .arg(man_dir().join(&p))
            .env("LC_ALL", "C.UTF-8")
            .env("MANROFFSEQ", "")
            .env("MANWIDTH", "80")
            .stdout(Stdio::null())
            .output()
            .expect("run man");
        let err = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || !err.trim().is_empty() {
            problems.push_str(&format!("{p}: {err}\n"));
        }
    }
    assert!(problems.is_empty(), "groff warnings (lintian's groff-message):\n{problems}");
}

#[test]
fn every_program_and_file_has_a_complete_page() {
    let pages = all_pages();
    let expected: Vec<&str> = SHIPPED
        .iter()
        .map(|s| s.1)
        .chain(SHIPPED_SCRIPTS.iter().map(|s| s.1))
        .chain(OTHER_PAGES.iter().copied())
        .collect();
    for want in &expected {
        assert!(pages.iter().any(|p| p == want), "docs/man/{want} is missing");
    }
    for p in &pages {
        assert!(expected.contains(&p.as_str()), "docs/man/{p}: not a page of a shipped program or file");
        let roff = read_page(p);
        let (name, section) = p.rsplit_once('.').expect("name.section");
        let th = roff.lines().find(|l| l.starts_with(".TH ")).unwrap_or_else(|| panic!("{p}: no .TH line"));
        let th_name = plain(th).split_whitespace().nth(1).unwrap_or_default().to_string();
        assert!(th_name.eq_ignore_ascii_case(name), "{p}: .TH names {th_name}");
        assert!(plain(th).split_whitespace().nth(2) == Some(section), "{p}: .TH section is not {section}");
        let secs = sections(&roff);
        let need: &[&[&str]] = if section == "8" {
            &[
                &["NAME"],
                &["SYNOPSIS"],
                &["DESCRIPTION"],
                &["OPTIONS", "COMMON OPTIONS", "COMMANDS"],
                &["SEE ALSO"],
            ]
        } else {
            &[
                &["NAME"],
                &["DESCRIPTION"],
                &["DIRECTIVES", "GLOBAL DIRECTIVES", "VARIABLES"],
                &["FILES"],
                &["SEE ALSO"],
            ]
        };
        for alts in need {
            assert!(
                secs.iter().any(|s| alts.contains(&s.as_str())),
                "{p}: no {} section (has {secs:?})",
                alts[0]
            );
        }
        // NAME is "name \- what it is".
        let after_name = roff.split(".SH NAME\n").nth(1).and_then(|r| r.lines().next()).unwrap_or_default();
        assert!(
            plain(after_name).contains(" - "),
            "{p}: NAME line {after_name:?} lacks \"name \\- summary\""
        );
    }
}

#[test]
fn every_page_reference_resolves() {
    let pages = all_pages();
    let re = regex::Regex::new(r"(?m)^\.BR ([A-Za-z0-9_.\\-]+) \(([1-8])\)").expect("regex");
    for p in &pages {
        for c in re.captures_iter(&read_page(p)) {
            let name = c[1].replace("\\-", "-");
            let target = format!("{name}.{}", &c[2]);
            let ext = format!("{name}({})", &c[2]);
            assert!(
                pages.contains(&target) || EXTERNAL_REFS.contains(&ext.as_str()),
                "{p}: refers to {ext}, which is neither in docs/man nor a known system page"
            );
        }
    }
}

#[test]
fn every_built_program_is_shipped_with_a_page_or_listed_as_a_tool() {
    let dir = nut_testkit::bin_dir();
    let Ok(rd) = std::fs::read_dir(&dir) else { panic!("{}: cannot list", dir.display()) };
    for e in rd.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let executable = {
            use std::os::unix::fs::PermissionsExt;
            path.is_file() && path.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
        };
        if !executable || name.contains('.') {
            continue;
        }
        assert!(
            SHIPPED.iter().any(|s| s.0 == name) || NOT_SHIPPED.iter().any(|s| s.0 == name),
            "{} is built but is neither a shipped program (add its page to docs/man and to SHIPPED) nor \
             a listed test or build tool (NOT_SHIPPED)",
            path.display()
        );
    }
}

#[test]
fn every_help_flag_and_driver_option_appears_in_the_page() {
    let mut checked = 0;
    for (prog, page, crate_dir) in SHIPPED {
        if !repo_root().join(crate_dir).is_dir() {
            eprintln!("NOTE {prog}: {crate_dir} is not in this tree; its -h is not checked here");
            continue;
        }
        let help = help_output(&nut_testkit::bin(prog));
        let text = plain(&read_page(page));
        assert_flags_in_page(prog, page, &help, &text);
        let missing: Vec<String> =
            help_driver_options(&help).into_iter().filter(|o| !has_word(&text, o)).collect();
        assert!(missing.is_empty(), "{page}: driver options of {prog} -h missing from the page: {missing:?}");
        let missing: Vec<String> =
            help_protocols(&help).into_iter().filter(|o| !has_word(&text, o)).collect();
        assert!(missing.is_empty(), "{page}: protocols of {prog} -h missing from the page: {missing:?}");
        checked += 1;
    }
    assert!(checked >= SHIPPED.len() - 1, "only {checked} programs checked");
    for (script, page) in SHIPPED_SCRIPTS {
        let help = help_output(&repo_root().join(script));
        assert_flags_in_page(script, page, &help, &plain(&read_page(page)));
    }
}

/// Every flag `prog -h` printed (`help`) is a word of the page's plain `text`.
fn assert_flags_in_page(prog: &str, page: &str, help: &str, text: &str) {
    let flags = help_flags(help);
    assert!(!flags.is_empty(), "{prog} -h printed no flags:\n{help}");
    let missing: Vec<&String> = flags.iter().filter(|f| !has_word(text, f)).collect();
    assert!(missing.is_empty(), "{page}: flags {prog} -h prints but the page does not mention: {missing:?}");
}

#[test]
fn the_help_parsers_see_what_the_helps_print() {
    // Guards the scanners above against reading nothing (a test that could not fail).
    let flags = help_flags("usage: upsd [OPTIONS]\n  -c <command>\tsend\n  -FF\t\tstay\n(-a <id>|-s <id>) '-d 1'\n  --check-config\n re-read sub-strings 1-9");
    assert_eq!(flags, ["--check-config", "-FF", "-a", "-c", "-d", "-s"]);
    let opts = help_driver_options(
        "- example: -x cable=940-0095B\nSet delay : -x offdelay=<value>\nFlag : -x pollonly\n",
    );
    assert_eq!(opts, ["offdelay", "pollonly"]);
    let protos = help_protocols("x\nAcceptable values for 'protocol' via -x or ups.conf in this driver:\n   megatec\n  megatec/old\n\n");
    assert_eq!(protos, ["megatec", "megatec/old"]);
    assert!(has_word("\\fB-F\\fR and -FF", "-FF") && !has_word("-FF only", "-F"));
    assert!(has_word(&plain(".B \\-\\-check\\-config"), "--check-config"));
    assert!(!has_word("battery.charge.low", "charge") && !has_word("ondelay_x", "ondelay"));
}

#[test]
fn every_config_directive_appears_in_its_page() {
    use ::nut_conf::nut_conf as nutconf;
    use ::nut_conf::{cgi_conf, notify, ups_conf, upsd_conf, upsd_users, upsmon_conf, upssched_conf};
    let ups: Vec<&str> = ups_conf::GLOBAL_KEYS
        .iter()
        .chain(ups_conf::SECTION_KEYS)
        .chain(ups_conf::USB_KEYS)
        .copied()
        .collect();
    let sched: Vec<&str> = upssched_conf::KEYWORDS.iter().chain(upssched_conf::ACTIONS).copied().collect();
    let files: &[(&str, &[&str])] = &[
        ("ups.conf.5", &ups),
        ("upsd.conf.5", upsd_conf::KEYWORDS),
        ("upsd.users.5", upsd_users::KEYS),
        ("upsmon.conf.5", upsmon_conf::KEYWORDS),
        ("upssched.conf.5", &sched),
        ("nut.conf.5", nutconf::KEYS),
        ("hosts.conf.5", cgi_conf::HOSTS_KEYWORDS),
        ("upsset.conf.5", cgi_conf::UPSSET_KEYWORDS),
    ];
    for (page, keys) in files {
        assert!(!keys.is_empty(), "{page}: the parser lists no directives");
        let text = plain(&read_page(page));
        let missing: Vec<&&str> = keys.iter().filter(|k| !has_word(&text, k)).collect();
        assert!(
            missing.is_empty(),
            "{page}: directives the parser accepts but the page does not document: {missing:?}"
        );
    }
    let upsmon = plain(&read_page("upsmon.8"));
    let missing: Vec<&str> =
        notify::NOTIFY_TYPES.iter().map(|t| t.0).filter(|t| !has_word(&upsmon, t)).collect();
    assert!(missing.is_empty(), "upsmon.8: notify types missing from NOTIFY EVENTS: {missing:?}");
}
