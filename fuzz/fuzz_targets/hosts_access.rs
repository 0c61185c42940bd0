//! tcp-wrappers files (`hosts.allow`/`hosts.deny`, `nut_conf::hosts_access`): parsing any text
//! never panics, diagnostics name the file and a line within the text, and evaluating the
//! parsed tables for a few clients never panics, asks at most for a host name once one is
//! given, a denial names its cause (never "no rule matches"), and tables that `allows_all`
//! says allow everybody do.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use nut_conf::hosts_access::{allows_all, check, parse, Endpoint, Outcome, Reason, Request};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The same text as hosts.allow and, split at the first NUL, the rest as hosts.deny.
    let (a, d) = text.split_once('\0').unwrap_or((text, ""));
    let allow = parse(a, "hosts.allow", "upsd", false);
    let deny = parse(d, "hosts.deny", "upsd", true);
    for (t, src) in [(&allow, a), (&deny, d)] {
        let lines = src.lines().count().max(1);
        for diag in t.diagnostics() {
            assert!(diag.line <= lines + 1, "line {} beyond {lines}: {diag}", diag.line);
        }
    }
    let server: IpAddr = "127.0.0.1".parse().expect("addr");
    for client in ["127.0.0.1", "192.0.2.7", "::1", "2001:db8::1"] {
        let addr: IpAddr = client.parse().expect("addr");
        for user in ["mon", "unknown"] {
            let mut req = Request {
                daemon: "upsd",
                user,
                client: Endpoint { addr, name: None },
                server: Endpoint { addr: server, name: None },
            };
            // Answer every name request once; a second request for the same name is a bug.
            for _ in 0..3 {
                match check(&allow, &deny, &req) {
                    Outcome::Decided(d) => {
                        assert!(d.allowed || d.reason != Reason::NoMatch, "denied for no reason: {d:?}");
                        assert!(d.allowed || !allows_all(&allow, &deny), "allows_all, yet {d}");
                        break;
                    }
                    Outcome::NeedName(w) => {
                        let ep = match w {
                            nut_conf::hosts_access::Which::Client => &mut req.client,
                            nut_conf::hosts_access::Which::Server => &mut req.server,
                        };
                        assert!(ep.name.is_none(), "asked twice for the {w:?} name");
                        ep.name = Some("host.example");
                    }
                }
            }
        }
    }
});
