//! The CGI programs' files: `hosts.conf` (`MONITOR ups@host "desc"`, `CUSTOM_TEMPLATE_LIST`,
//! `CUSTOM_TEMPLATE_SINGLE`) and `upsset.conf` (`I_HAVE_SECURED_MY_CGI_DIRECTORY`).

use crate::diag::{Parsed, Sink};
use crate::lexer::lex;

/// `hosts.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostsConf {
    /// `MONITOR ups@host "description"` lines in order: (system, description, line).
    pub monitors: Vec<(String, String, usize)>,
    /// `CUSTOM_TEMPLATE_LIST` (2.8.5): template for the list page.
    pub custom_template_list: Option<String>,
    /// `CUSTOM_TEMPLATE_SINGLE` (2.8.5): template for the single-UPS page.
    pub custom_template_single: Option<String>,
}

/// Every directive hosts.conf knows.
pub const HOSTS_KEYWORDS: &[&str] = &["MONITOR", "CUSTOM_TEMPLATE_LIST", "CUSTOM_TEMPLATE_SINGLE"];

/// Every directive upsset.conf knows.
pub const UPSSET_KEYWORDS: &[&str] = &["I_HAVE_SECURED_MY_CGI_DIRECTORY"];

/// Parse `hosts.conf` text; `file` names it in diagnostics.
pub fn parse_hosts(text: &str, file: &str) -> Parsed<HostsConf> {
    let (lines, diags) = lex(text, file);
    let mut sink = Sink::new(file, diags);
    let mut c = HostsConf::default();
    for line in &lines {
        let n = line.line;
        let w = &line.words;
        match w[0].as_str() {
            "MONITOR" => {
                if w.len() < 3 {
                    sink.error(
                        n,
                        "MONITOR needs a UPS and a description; write: MONITOR ups@localhost \"My UPS\"",
                    );
                    continue;
                }
                if let Err(e) = crate::upsmon_conf::split_system(&w[1]) {
                    sink.error(n, e);
                    continue;
                }
                if w.len() > 3 {
                    sink.warn(
                        n,
                        format!(
                            "extra words are ignored; quote a description with spaces: MONITOR {} \"{}\"",
                            w[1],
                            w[2..].join(" ")
                        ),
                    );
                }
                c.monitors.push((w[1].clone(), w[2].clone(), n));
            }
            k @ ("CUSTOM_TEMPLATE_LIST" | "CUSTOM_TEMPLATE_SINGLE") => {
                if w.len() < 2 {
                    sink.error(n, format!("{k} needs a file name; write: {k} upsstats.html"));
                    continue;
                }
                let v = Some(w[1].clone());
                if k == "CUSTOM_TEMPLATE_LIST" {
                    c.custom_template_list = v;
                } else {
                    c.custom_template_single = v;
                }
            }
            k => sink.unknown(n, "directive", k, HOSTS_KEYWORDS, "the line is ignored"),
        }
    }
    sink.finish(c)
}

/// `upsset.conf`: only whether the administrator declared the CGI directory secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpssetConf {
    /// `I_HAVE_SECURED_MY_CGI_DIRECTORY` is present; without it upsset.cgi refuses to run.
    pub secured: bool,
}

/// Parse `upsset.conf` text; `file` names it in diagnostics. A file without the directive is
/// valid, with a warning saying what upsset.cgi will do.
pub fn parse_upsset(text: &str, file: &str) -> Parsed<UpssetConf> {
    let (lines, diags) = lex(text, file);
    let mut sink = Sink::new(file, diags);
    let mut c = UpssetConf::default();
    for line in &lines {
        match line.words[0].as_str() {
            "I_HAVE_SECURED_MY_CGI_DIRECTORY" => c.secured = true,
            k => sink.unknown(line.line, "directive", k, UPSSET_KEYWORDS, "the line is ignored"),
        }
    }
    if !c.secured {
        sink.warn(0, "upsset.cgi will refuse to run: protect its directory with a password in the web server, then add the line I_HAVE_SECURED_MY_CGI_DIRECTORY");
    }
    sink.finish(c)
}

/// Every diagnostic for `hosts.conf`.
pub fn check_hosts(text: &str, file: &str) -> Vec<crate::Diagnostic> {
    match parse_hosts(text, file) {
        Ok((_, d)) | Err(d) => d,
    }
}

/// Every diagnostic for `upsset.conf`.
pub fn check_upsset(text: &str, file: &str) -> Vec<crate::Diagnostic> {
    match parse_upsset(text, file) {
        Ok((_, d)) | Err(d) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let Ok((c, w)) = parse_hosts(
            "MONITOR ups@localhost \"Local UPS\"\nMONITOR qnapups@192.168.1.2 \"QNAP\"\n\
             CUSTOM_TEMPLATE_LIST mylist.html\nCUSTOM_TEMPLATE_SINGLE my.html\n",
            "hosts.conf",
        ) else {
            panic!("errors")
        };
        assert!(w.is_empty());
        assert_eq!(c.monitors[1], ("qnapups@192.168.1.2".to_string(), "QNAP".to_string(), 2));
        assert_eq!(c.custom_template_list.as_deref(), Some("mylist.html"));
        assert_eq!(c.custom_template_single.as_deref(), Some("my.html"));
        let Err(e) = parse_hosts("MONITOR ups@localhost\nMONITR x y\n", "hosts.conf") else { panic!() };
        assert!(e[0].to_string().starts_with("hosts.conf:1: error: MONITOR needs"), "{e:?}");
        assert!(e[1].to_string().contains("did you mean \"MONITOR\"?"), "{e:?}");
    }

    #[test]
    fn upsset() {
        let Ok((c, w)) = parse_upsset("# secured\nI_HAVE_SECURED_MY_CGI_DIRECTORY\n", "upsset.conf") else {
            panic!()
        };
        assert!(c.secured && w.is_empty());
        let Ok((c, w)) = parse_upsset("", "upsset.conf") else { panic!() };
        assert!(!c.secured);
        assert!(w[0].to_string().starts_with("upsset.conf: warning: upsset.cgi will refuse to run"));
    }
}
