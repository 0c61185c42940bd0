//! The device description format: a pure parser (text in, [`Desc`] out, errors with line
//! numbers). The format is documented in the crate's README.md.

use std::collections::HashMap;
use std::time::Duration;

use thiserror::Error;

use crate::escape::{parse_quoted, EscapeError};

/// A description error at a 1-based line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {msg}")]
pub struct DescError {
    pub line: usize,
    pub msg: String,
}

/// What the UPS does with a command it has no reply for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// No answer at all (the driver times out).
    Silent,
    /// Send the command back, as many Megatec units do.
    Echo,
    /// A fixed answer (e.g. `"(NAK\r"`).
    Reply(Vec<u8>),
}

/// One command of a state: the exact command bytes (terminator included), the answer
/// (`None`: no answer), and the state to switch to after answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub cmd: Vec<u8>,
    pub reply: Option<Vec<u8>>,
    pub then: Option<usize>,
}

/// A named reply set. `rules` and `every` already hold what the state inherits (`like`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub name: String,
    pub rules: Vec<Rule>,
    /// `every DURATION "BYTES"`: sent unsolicited, every DURATION, while in this state.
    pub every: Vec<(Duration, Vec<u8>)>,
}

impl State {
    /// The rule for `cmd`, if any.
    pub fn rule(&self, cmd: &[u8]) -> Option<&Rule> {
        self.rules.iter().find(|r| r.cmd == cmd)
    }
}

/// How the simulator cuts the driver's bytes into commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// A command ends with these bytes (`terminator "\r"`, the default).
    Terminator(Vec<u8>),
    /// `framing prefix`: commands are matched as the bytes arrive, against the current state's
    /// command strings (single-letter and binary protocols).
    Prefix,
}

/// How many replies (or commands) a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Times(u32),
    Always,
}

/// Something that happens on the timeline or on a control line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Switch to the named reply set.
    State(String),
    /// Send these bytes before each of the next replies.
    Garbage(Vec<u8>, Count),
    /// Send only the first `n` bytes of the next replies.
    Cut(usize, Count),
    /// Send the next replies in pieces of `size` bytes, `gap` apart.
    Chunks(usize, Duration, Count),
    /// Do not answer the next commands.
    Timeout(Count),
    /// Flip every bit of the last byte of the next replies (a checksum error).
    Corrupt(Count),
    /// Write these bytes now, unsolicited.
    Send(Vec<u8>),
    /// Drop every pending fault.
    Clear,
    /// Close the pty (the driver's port goes away); with a pause, plug back in after it.
    Unplug(Option<Duration>),
    /// Make a new pty at the same link.
    Replug,
    /// Stop the simulator (control lines only).
    Quit,
}

/// A driver the description is meant for (harness hint): `driver nutdrv_qx protocol=megatec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverHint {
    pub driver: String,
    /// `-x` options: `name=value`, or a bare flag (`None`).
    pub options: Vec<(String, Option<String>)>,
}

/// A parsed device description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desc {
    pub name: String,
    pub sources: Vec<String>,
    pub added: Vec<String>,
    pub framing: Framing,
    pub unknown: Unknown,
    pub drivers: Vec<DriverHint>,
    /// `refuse DRIVER reason`: the driver is expected to refuse this device.
    pub refusals: Vec<(String, String)>,
    /// `expect NAME VALUE`: what a driver must publish in the start state, as the sources
    /// decode the replies.
    pub expects: Vec<(String, String)>,
    pub states: Vec<State>,
    pub start: usize,
    /// Actions at offsets from the start, in time order.
    pub timeline: Vec<(Duration, Action)>,
}

impl Desc {
    /// Index of the state called `name`.
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    /// The hint for `driver`, if the description names it.
    pub fn driver(&self, driver: &str) -> Option<&DriverHint> {
        self.drivers.iter().find(|d| d.driver == driver)
    }

    /// Why `driver` is expected to refuse this device, if it is.
    pub fn refusal(&self, driver: &str) -> Option<&str> {
        self.refusals.iter().find(|(d, _)| d == driver).map(|(_, r)| r.as_str())
    }
}

/// Parse a duration: `5s`, `1.5s`, `250ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        return Err(format!("duration {s:?} needs a unit (s or ms)"));
    };
    let v: f64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    if !(0.0..=1e6).contains(&v) {
        return Err(format!("duration {s:?} out of range"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

fn parse_count(s: Option<&str>) -> Result<Count, String> {
    match s {
        None => Ok(Count::Times(1)),
        Some("*") => Ok(Count::Always),
        Some(n) => match n.parse::<u32>() {
            Ok(v) if v > 0 => Ok(Count::Times(v)),
            _ => Err(format!("count {n:?} must be a positive number or *")),
        },
    }
}

fn esc(e: EscapeError) -> String {
    e.to_string()
}

/// Parse one action (`state onbattery`, `cut 10 2`, `chunks 4 20ms *`, `timeout 3`,
/// `silent`, `garbage "\x00\xff" 1`, `corrupt 2`, `send "!"`, `clear`, `unplug 2s`, `replug`,
/// `quit`).
pub fn parse_action(line: &str) -> Result<Action, String> {
    let line = line.trim();
    let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let words: Vec<&str> = rest.split_whitespace().collect();
    let at_most = |n: usize| {
        if words.len() > n {
            Err(format!("too many arguments to {verb}"))
        } else {
            Ok(())
        }
    };
    match verb {
        "state" => {
            at_most(1)?;
            let name = words.first().ok_or("state needs a name")?;
            Ok(Action::State((*name).to_string()))
        }
        "garbage" => {
            let (bytes, after) = parse_quoted(rest).map_err(esc)?;
            let after: Vec<&str> = after.split_whitespace().collect();
            if after.len() > 1 {
                return Err("too many arguments to garbage".into());
            }
            Ok(Action::Garbage(bytes, parse_count(after.first().copied())?))
        }
        "cut" => {
            at_most(2)?;
            let n = words.first().ok_or("cut needs a length")?;
            let n: usize = n.parse().map_err(|_| format!("bad length {n:?}"))?;
            Ok(Action::Cut(n, parse_count(words.get(1).copied())?))
        }
        "chunks" => {
            at_most(3)?;
            let size = words.first().ok_or("chunks needs a size and a gap")?;
            let size: usize = size.parse().map_err(|_| format!("bad chunk size {size:?}"))?;
            if size == 0 {
                return Err("chunk size must be at least 1".into());
            }
            let gap = parse_duration(words.get(1).ok_or("chunks needs a gap (e.g. 20ms)")?)?;
            Ok(Action::Chunks(size, gap, parse_count(words.get(2).copied())?))
        }
        "timeout" => {
            at_most(1)?;
            Ok(Action::Timeout(parse_count(words.first().copied())?))
        }
        "corrupt" => {
            at_most(1)?;
            Ok(Action::Corrupt(parse_count(words.first().copied())?))
        }
        "send" => {
            let (bytes, after) = parse_quoted(rest).map_err(esc)?;
            if bytes.is_empty() || !after.trim().is_empty() {
                return Err("send takes one non-empty quoted string".into());
            }
            Ok(Action::Send(bytes))
        }
        "silent" => {
            at_most(0)?;
            Ok(Action::Timeout(Count::Always))
        }
        "clear" => {
            at_most(0)?;
            Ok(Action::Clear)
        }
        "unplug" => {
            at_most(1)?;
            Ok(Action::Unplug(words.first().map(|d| parse_duration(d)).transpose()?))
        }
        "replug" => {
            at_most(0)?;
            Ok(Action::Replug)
        }
        "quit" => {
            at_most(0)?;
            Ok(Action::Quit)
        }
        "" => Err("empty action".into()),
        other => Err(format!("unknown action {other:?}")),
    }
}

/// A state name and the line that names it.
type NameAt = (String, usize);

/// A reply line before states are resolved: command, reply, `then` target.
type RawRule = (Vec<u8>, Option<Vec<u8>>, Option<NameAt>);

struct RawState {
    name: String,
    like: Option<NameAt>,
    rules: Vec<RawRule>,
    every: Vec<(Duration, Vec<u8>)>,
}

/// Parse a whole description.
pub fn parse(text: &str) -> Result<Desc, DescError> {
    let err = |line: usize, msg: String| DescError { line, msg };
    let mut name = None;
    let mut sources = Vec::new();
    let mut added = Vec::new();
    let mut framing = Framing::Terminator(b"\r".to_vec());
    let mut unknown = Unknown::Silent;
    let mut drivers = Vec::new();
    let mut refusals = Vec::new();
    let mut expects = Vec::new();
    let mut start: Option<(String, usize)> = None;
    let mut raw: Vec<RawState> = Vec::new();
    let mut timeline: Vec<(Duration, Action, usize)> = Vec::new();

    for (idx, full) in text.lines().enumerate() {
        let n = idx + 1;
        let line = full.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('"') {
            let st = raw.last_mut().ok_or_else(|| err(n, "a reply line before any `state`".into()))?;
            let (cmd, rest) = parse_quoted(line).map_err(|e| err(n, e.to_string()))?;
            if cmd.is_empty() {
                return Err(err(n, "empty command".into()));
            }
            let rest = rest.trim_start();
            let rest = rest
                .strip_prefix("->")
                .ok_or_else(|| err(n, "expected `->` after the command".into()))?
                .trim_start();
            let (reply, rest) = if let Some(r) = rest.strip_prefix("none") {
                (None, r)
            } else {
                let (b, r) = parse_quoted(rest).map_err(|e| err(n, e.to_string()))?;
                (Some(b), r)
            };
            let words: Vec<&str> = rest.split_whitespace().collect();
            let then = match words.as_slice() {
                [] => None,
                ["then", s] => Some(((*s).to_string(), n)),
                _ => return Err(err(n, format!("unexpected {:?} after the reply", rest.trim()))),
            };
            if st.rules.iter().any(|r| r.0 == cmd) {
                return Err(err(
                    n,
                    format!("command {} given twice in state {}", crate::escape::quote(&cmd), st.name),
                ));
            }
            st.rules.push((cmd, reply, then));
            continue;
        }
        let (key, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        match key {
            "device" => {
                if rest.is_empty() {
                    return Err(err(n, "device needs a name".into()));
                }
                if name.is_some() {
                    return Err(err(n, "device given twice".into()));
                }
                name = Some(rest.to_string());
            }
            "source" => sources.push(rest.to_string()),
            "added" => added.push(rest.to_string()),
            "terminator" => {
                let (b, r) = parse_quoted(rest).map_err(|e| err(n, e.to_string()))?;
                if b.is_empty() || !r.trim().is_empty() {
                    return Err(err(n, "terminator takes one non-empty quoted string".into()));
                }
                framing = Framing::Terminator(b);
            }
            "framing" => {
                framing = match rest {
                    "prefix" => Framing::Prefix,
                    _ => return Err(err(n, "framing takes `prefix` (or use `terminator \"...\"`)".into())),
                };
            }
            "every" => {
                let st = raw.last_mut().ok_or_else(|| err(n, "`every` before any `state`".into()))?;
                let (when, bytes) = rest
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| err(n, "expected `every DURATION \"BYTES\"`".into()))?;
                let when = parse_duration(when).map_err(|m| err(n, m))?;
                if when < Duration::from_millis(10) {
                    return Err(err(n, "every needs at least 10ms".into()));
                }
                let (b, r) = parse_quoted(bytes.trim_start()).map_err(|e| err(n, e.to_string()))?;
                if b.is_empty() || !r.trim().is_empty() {
                    return Err(err(n, "every takes a duration and one non-empty quoted string".into()));
                }
                st.every.push((when, b));
            }
            "unknown" => {
                unknown = match rest {
                    "silent" => Unknown::Silent,
                    "echo" => Unknown::Echo,
                    _ => {
                        let r = rest
                            .strip_prefix("reply")
                            .ok_or_else(|| err(n, "unknown takes silent, echo or reply \"...\"".into()))?;
                        let (b, r) = parse_quoted(r).map_err(|e| err(n, e.to_string()))?;
                        if !r.trim().is_empty() {
                            return Err(err(n, format!("unexpected {:?}", r.trim())));
                        }
                        Unknown::Reply(b)
                    }
                }
            }
            "driver" => {
                let mut words = rest.split_whitespace();
                let driver = words.next().ok_or_else(|| err(n, "driver needs a name".into()))?;
                let options = words
                    .map(|w| match w.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (w.to_string(), None),
                    })
                    .collect();
                drivers.push(DriverHint { driver: driver.to_string(), options });
            }
            "refuse" => {
                let (d, why) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                if d.is_empty() || why.trim().is_empty() {
                    return Err(err(n, "refuse needs a driver and a reason".into()));
                }
                refusals.push((d.to_string(), why.trim().to_string()));
            }
            "expect" => {
                let (var, value) = rest
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| err(n, "expect needs a variable and a value".into()))?;
                expects.push((var.to_string(), value.trim().to_string()));
            }
            "start" => {
                if rest.is_empty() || rest.contains(char::is_whitespace) {
                    return Err(err(n, "start needs one state name".into()));
                }
                start = Some((rest.to_string(), n));
            }
            "state" => {
                let words: Vec<&str> = rest.split_whitespace().collect();
                let (sname, like) = match words.as_slice() {
                    [s] => (*s, None),
                    [s, "like", l] => (*s, Some(((*l).to_string(), n))),
                    _ => return Err(err(n, "expected `state NAME` or `state NAME like OTHER`".into())),
                };
                if raw.iter().any(|s| s.name == sname) {
                    return Err(err(n, format!("state {sname} defined twice")));
                }
                if let Some((l, _)) = &like {
                    if !raw.iter().any(|s| &s.name == l) {
                        return Err(err(n, format!("state {l} must be defined before {sname} copies it")));
                    }
                }
                raw.push(RawState { name: sname.to_string(), like, rules: Vec::new(), every: Vec::new() });
            }
            "at" => {
                let (when, action) = rest
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| err(n, "expected `at TIME ACTION`".into()))?;
                let when = parse_duration(when).map_err(|m| err(n, m))?;
                let action = parse_action(action).map_err(|m| err(n, m))?;
                if action == Action::Quit {
                    return Err(err(n, "quit is for control lines, not the timeline".into()));
                }
                timeline.push((when, action, n));
            }
            other => return Err(err(n, format!("unknown directive {other:?}"))),
        }
    }

    let name = name.ok_or_else(|| err(1, "missing `device NAME`".into()))?;
    if raw.is_empty() {
        return Err(err(1, "no `state` defined".into()));
    }
    let index: HashMap<String, usize> = raw.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();
    let lookup = |(s, line): &(String, usize)| {
        index.get(s).copied().ok_or_else(|| err(*line, format!("no state called {s}")))
    };
    let mut states: Vec<State> = Vec::with_capacity(raw.len());
    for rs in &raw {
        let (mut rules, mut every): (Vec<Rule>, Vec<(Duration, Vec<u8>)>) = match &rs.like {
            Some(l) => {
                let base = &states[lookup(l)?];
                (base.rules.clone(), base.every.clone())
            }
            None => (Vec::new(), Vec::new()),
        };
        // A state's own `every` lines replace what it copied.
        if !rs.every.is_empty() {
            every = rs.every.clone();
        }
        for (cmd, reply, then) in &rs.rules {
            let then = then.as_ref().map(lookup).transpose()?;
            let rule = Rule { cmd: cmd.clone(), reply: reply.clone(), then };
            match rules.iter_mut().find(|r| r.cmd == *cmd) {
                Some(r) => *r = rule,
                None => rules.push(rule),
            }
        }
        states.push(State { name: rs.name.clone(), rules, every });
    }
    let start = start.as_ref().map(lookup).transpose()?.unwrap_or(0);
    for (_, a, line) in &timeline {
        if let Action::State(s) = a {
            lookup(&(s.clone(), *line))?;
        }
    }
    timeline.sort_by_key(|(t, _, _)| *t);
    let timeline = timeline.into_iter().map(|(t, a, _)| (t, a)).collect();
    Ok(Desc { name, sources, added, framing, unknown, drivers, refusals, expects, states, start, timeline })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const BASE: &str = "device t\nsource s\nunknown echo\n\nstate online\n  \"Q1\\r\" -> \"(1\\r\"\n  \"T\\r\" -> none then test\nstate test like online\n  \"Q1\\r\" -> \"(2\\r\"\n  \"CT\\r\" -> none then online\nat 2s state test\nat 500ms cut 3 *\n";

    #[test]
    fn states_inherit_and_override() {
        let d = parse(BASE).unwrap();
        assert_eq!(d.unknown, Unknown::Echo);
        assert_eq!(d.start, 0);
        let test = &d.states[1];
        assert_eq!(test.rule(b"Q1\r").unwrap().reply.as_deref(), Some(&b"(2\r"[..]));
        assert_eq!(test.rule(b"T\r").unwrap().then, Some(1));
        assert_eq!(test.rule(b"CT\r").unwrap().then, Some(0));
        assert!(d.states[0].rule(b"CT\r").is_none());
        // The timeline is in time order.
        assert_eq!(d.timeline[0], (Duration::from_millis(500), Action::Cut(3, Count::Always)));
        assert_eq!(d.timeline[1], (Duration::from_secs(2), Action::State("test".into())));
    }

    #[test]
    fn framing_and_every() {
        let d = parse("device t\nframing prefix\nstate a\n  every 1s \"S\"\n  \"Y\" -> \"SM\\r\\n\"\nstate b like a\nstate c like a\n  every 250ms \"T\"\n").unwrap();
        assert_eq!(d.framing, Framing::Prefix);
        assert_eq!(d.states[0].every, [(Duration::from_secs(1), b"S".to_vec())]);
        assert_eq!(d.states[1].every, d.states[0].every);
        assert_eq!(d.states[2].every, [(Duration::from_millis(250), b"T".to_vec())]);
        let d = parse("device t\nstate a\n").unwrap();
        assert_eq!(d.framing, Framing::Terminator(b"\r".to_vec()));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("device t\nstate a\n  \"Q1\\r\" -> \"x\" then nowhere\n", 3, "no state called nowhere"),
            ("device t\n  \"Q1\\r\" -> \"x\"\n", 2, "before any `state`"),
            ("device t\nstate a\n  \"Q1\\r\" \"x\"\n", 3, "expected `->`"),
            ("device t\nstate a\nstate a\n", 3, "defined twice"),
            ("device t\nstate b like a\n", 2, "must be defined before"),
            ("device t\nstate a\nat soon state a\n", 3, "needs a unit"),
            ("device t\nstate a\nat 1s quit\n", 3, "control lines"),
            ("device t\nfrob x\n", 2, "unknown directive"),
            ("device t\nstate a\n  \"Q1\\r\" -> \"x\"\n  \"Q1\\r\" -> none\n", 4, "given twice"),
            ("device t\nstate a\n  \"Q1\\q\" -> none\n", 3, "unknown escape"),
            ("state a\n", 1, "missing `device"),
            ("device t\nterminator \"\"\nstate a\n", 2, "non-empty"),
            ("device t\nframing lines\nstate a\n", 2, "framing takes"),
            ("device t\nevery 1s \"x\"\n", 2, "before any `state`"),
            ("device t\nstate a\nevery 1ms \"x\"\n", 3, "at least 10ms"),
            ("device t\nstate a\nevery 1s x\n", 3, "quote"),
        ];
        for (text, line, msg) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.msg.contains(msg), "{text:?}: {e}");
        }
    }

    #[test]
    fn actions() {
        assert_eq!(parse_action("silent"), Ok(Action::Timeout(Count::Always)));
        assert_eq!(parse_action("timeout 3"), Ok(Action::Timeout(Count::Times(3))));
        assert_eq!(
            parse_action("chunks 4 20ms 2"),
            Ok(Action::Chunks(4, Duration::from_millis(20), Count::Times(2)))
        );
        assert_eq!(parse_action("garbage \"\\xff\" *"), Ok(Action::Garbage(vec![0xff], Count::Always)));
        assert_eq!(parse_action("unplug 1.5s"), Ok(Action::Unplug(Some(Duration::from_millis(1500)))));
        assert_eq!(parse_action("unplug"), Ok(Action::Unplug(None)));
        assert_eq!(parse_action("corrupt *"), Ok(Action::Corrupt(Count::Always)));
        assert_eq!(parse_action("send \"!\""), Ok(Action::Send(b"!".to_vec())));
        for bad in [
            "",
            "cut",
            "cut 3 0",
            "chunks 0 1ms",
            "chunks 4",
            "state",
            "state a b",
            "timeout -1",
            "unplug x",
            "nope",
            "send",
            "send \"\"",
            "corrupt 0",
        ] {
            assert!(parse_action(bad).is_err(), "{bad:?}");
        }
    }
}
