//! upsd's request reader: arbitrary bytes through `LineLexer`, then `Verb::parse` and
//! `Request::parse` on every line.
//!
//! Properties: never panics; words respect the limits (at most `MAX_ARGS` words of at most
//! `MAX_WORD_LEN` bytes, each in 0x20..=0x7f as NUT keeps them); the lexer is idle after each
//! line; quoting the words and lexing them again gives the same words; a request that parses,
//! written back as words, parses to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_proto::net::request::{MAX_ARGS, MAX_WORD_LEN};
use nut_proto::net::{LexEvent, LineLexer, Request, Verb};
use nut_proto::words::quote;

/// Lex `bytes`, which must hold exactly one line ending in its last byte.
fn lex_one_line(bytes: &[u8]) -> Vec<String> {
    let mut lx = LineLexer::new();
    let mut got = None;
    for (i, &b) in bytes.iter().enumerate() {
        match lx.feed(b) {
            LexEvent::Pending => {}
            LexEvent::Line => {
                assert_eq!(i, bytes.len() - 1, "quoted line {bytes:?} ended early");
                got = Some(lx.words().to_vec());
            }
            LexEvent::Error(e) => panic!("quoted line {bytes:?} failed: {e}"),
        }
    }
    got.expect("quoted line did not end")
}

/// The words a client would send for `req` (the inverse of `Verb::parse` + `Request::parse`).
fn request_words(req: &Request) -> Vec<String> {
    let w: Vec<&str> = match *req {
        Request::Fsd(u) => vec!["FSD", u],
        Request::GetCmdDesc(u, c) => vec!["GET", "CMDDESC", u, c],
        Request::GetDesc(u, v) => vec!["GET", "DESC", u, v],
        Request::GetNumLogins(u) => vec!["GET", "NUMLOGINS", u],
        Request::GetTracking(None) => vec!["GET", "TRACKING"],
        Request::GetTracking(Some(id)) => vec!["GET", "TRACKING", id],
        Request::GetType(u, v) => vec!["GET", "TYPE", u, v],
        Request::GetUpsDesc(u) => vec!["GET", "UPSDESC", u],
        Request::GetVar(u, v) => vec!["GET", "VAR", u, v],
        Request::Help => vec!["HELP"],
        Request::Instcmd(u, c, None) => vec!["INSTCMD", u, c],
        Request::Instcmd(u, c, Some(p)) => vec!["INSTCMD", u, c, p],
        Request::ListClient(u) => vec!["LIST", "CLIENT", u],
        Request::ListCmd(u) => vec!["LIST", "CMD", u],
        Request::ListEnum(u, v) => vec!["LIST", "ENUM", u, v],
        Request::ListRange(u, v) => vec!["LIST", "RANGE", u, v],
        Request::ListRw(u) => vec!["LIST", "RW", u],
        Request::ListUps => vec!["LIST", "UPS"],
        Request::ListVar(u) => vec!["LIST", "VAR", u],
        Request::Login(u) => vec!["LOGIN", u],
        Request::Logout => vec!["LOGOUT"],
        Request::Netver => vec!["NETVER"],
        Request::Password(p) => vec!["PASSWORD", p],
        Request::Primary(u, false) => vec!["PRIMARY", u],
        Request::Primary(u, true) => vec!["MASTER", u],
        Request::SetTracking(on) => vec!["SET", "TRACKING", if on { "ON" } else { "OFF" }],
        Request::SetVar(u, v, x) => vec!["SET", "VAR", u, v, x],
        Request::Starttls => vec!["STARTTLS"],
        Request::Username(u) => vec!["USERNAME", u],
        Request::Ver => vec!["VER"],
        Request::Watch(u) => vec!["WATCH", u],
    };
    w.into_iter().map(String::from).collect()
}

fn check_line(words: &[String]) {
    assert!(words.len() <= MAX_ARGS, "{} words", words.len());
    for w in words {
        assert!(w.len() <= MAX_WORD_LEN, "word of {} bytes", w.len());
        assert!(w.bytes().all(|b| (0x20..=0x7f).contains(&b)), "byte outside 0x20..=0x7f kept in {w:?}");
    }

    // What a client writes (every word quoted) must come back as the same words.
    let mut line = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
    line.push('\n');
    assert_eq!(lex_one_line(line.as_bytes()), words, "quoted line {line:?}");

    let Some(first) = words.first() else { return };
    let Some(verb) = Verb::parse(first) else { return };
    if let Ok(req) = Request::parse(verb, &words[1..]) {
        let again_words = request_words(&req);
        let verb2 = Verb::parse(&again_words[0]).expect("verb written back must parse");
        assert_eq!(verb.needs_credentials(), verb2.needs_credentials());
        let again = Request::parse(verb2, &again_words[1..]).expect("request written back must parse");
        assert_eq!(req, again);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut lx = LineLexer::new();
    // upsd drops the rest of a read after a parse error (`restart`); the first byte picks
    // that mode or the plain discard-to-newline one, so both paths are covered.
    let restart_on_error = data.first().is_some_and(|b| b & 1 == 1);
    for &b in data {
        match lx.feed(b) {
            LexEvent::Pending => {}
            LexEvent::Error(_) => {
                if restart_on_error {
                    lx.restart();
                    assert!(lx.is_idle(), "lexer not idle after restart");
                }
            }
            LexEvent::Line => {
                let words = lx.words().to_vec();
                lx.clear_line();
                assert!(lx.is_idle(), "lexer not idle after clear_line");
                check_line(&words);
            }
        }
    }
});
