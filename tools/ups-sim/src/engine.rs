//! The simulated UPS as a state machine with no I/O: bytes from the driver go in, the writes to
//! make (with their delays) and the event lines to report come out.

use std::time::Duration;

use crate::desc::{Action, Count, Desc, Unknown};
use crate::escape::quote;

/// Longest command kept while waiting for its terminator; longer input is dropped.
pub const MAX_COMMAND: usize = 4096;

/// What the engine asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write `bytes` to the port `after` this long from the start of the reply.
    Write { after: Duration, bytes: Vec<u8> },
    /// Report an event line (`rx "Q1\r"`, `noreply "Q\r" unknown`, `state onbattery`).
    Event(String),
    /// Close the port; plug back in after the pause, if one is given.
    Unplug(Option<Duration>),
    /// Open a new port at the same link.
    Replug,
    /// Stop.
    Quit,
}

#[derive(Debug, Clone, Default)]
struct Faults {
    garbage: Option<(Vec<u8>, Count)>,
    cut: Option<(usize, Count)>,
    chunks: Option<(usize, Duration, Count)>,
    timeout: Option<Count>,
}

/// Use one unit of a fault's count; returns whether the fault applied, and clears it when used up.
fn take<T>(slot: &mut Option<T>, count: impl Fn(&mut T) -> &mut Count) -> Option<T>
where
    T: Clone,
{
    let v = slot.as_mut()?;
    let out = v.clone();
    let c = count(v);
    match c {
        Count::Always => {}
        Count::Times(n) if *n > 1 => *n -= 1,
        Count::Times(_) => *slot = None,
    }
    Some(out)
}

/// The simulated UPS.
#[derive(Debug, Clone)]
pub struct Engine {
    desc: Desc,
    state: usize,
    input: Vec<u8>,
    faults: Faults,
}

impl Engine {
    pub fn new(desc: Desc) -> Engine {
        let state = desc.start;
        Engine { desc, state, input: Vec::new(), faults: Faults::default() }
    }

    pub fn desc(&self) -> &Desc {
        &self.desc
    }

    /// Name of the current reply set.
    pub fn state(&self) -> &str {
        &self.desc.states[self.state].name
    }

    /// Forget a partly received command (the port was closed).
    pub fn reset_input(&mut self) {
        self.input.clear();
    }

    /// Bytes the driver wrote.
    pub fn on_input(&mut self, bytes: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        self.input.extend_from_slice(bytes);
        let term = self.desc.terminator.clone();
        while let Some(pos) = find(&self.input, &term) {
            let cmd: Vec<u8> = self.input.drain(..pos + term.len()).collect();
            self.command(&cmd, &mut out);
        }
        if self.input.len() > MAX_COMMAND {
            out.push(Output::Event(format!("discard {} bytes without terminator", self.input.len())));
            self.input.clear();
        }
        out
    }

    fn command(&mut self, cmd: &[u8], out: &mut Vec<Output>) {
        out.push(Output::Event(format!("rx {}", quote(cmd))));
        if take(&mut self.faults.timeout, |c| c).is_some() {
            out.push(Output::Event(format!("noreply {} timeout", quote(cmd))));
            return;
        }
        let st = &self.desc.states[self.state];
        let (reply, then, why) = match st.rule(cmd) {
            Some(r) => (r.reply.clone(), r.then, "none"),
            None => match &self.desc.unknown {
                Unknown::Silent => (None, None, "unknown"),
                Unknown::Echo => (Some(cmd.to_vec()), None, "unknown"),
                Unknown::Reply(b) => (Some(b.clone()), None, "unknown"),
            },
        };
        match reply {
            Some(r) if !r.is_empty() => self.reply(r, out),
            _ => out.push(Output::Event(format!("noreply {} {why}", quote(cmd)))),
        }
        if let Some(t) = then {
            self.set_state(t, out);
        }
    }

    fn reply(&mut self, mut bytes: Vec<u8>, out: &mut Vec<Output>) {
        if let Some((g, _)) = take(&mut self.faults.garbage, |g| &mut g.1) {
            let mut v = g;
            v.extend_from_slice(&bytes);
            bytes = v;
        }
        if let Some((n, _)) = take(&mut self.faults.cut, |c| &mut c.1) {
            bytes.truncate(n);
        }
        if bytes.is_empty() {
            out.push(Output::Event("noreply cut to nothing".into()));
            return;
        }
        match take(&mut self.faults.chunks, |c| &mut c.2) {
            Some((size, gap, _)) => {
                for (i, piece) in bytes.chunks(size).enumerate() {
                    out.push(Output::Write { after: gap * i as u32, bytes: piece.to_vec() });
                }
            }
            None => out.push(Output::Write { after: Duration::ZERO, bytes }),
        }
    }

    fn set_state(&mut self, idx: usize, out: &mut Vec<Output>) {
        self.state = idx;
        out.push(Output::Event(format!("state {}", self.desc.states[idx].name)));
    }

    /// Apply a timeline or control action.
    pub fn apply(&mut self, action: &Action) -> Result<Vec<Output>, String> {
        let mut out = Vec::new();
        match action {
            Action::State(name) => {
                let idx = self.desc.state_index(name).ok_or_else(|| format!("no state called {name}"))?;
                self.set_state(idx, &mut out);
            }
            Action::Garbage(b, c) => self.faults.garbage = Some((b.clone(), *c)),
            Action::Cut(n, c) => self.faults.cut = Some((*n, *c)),
            Action::Chunks(s, g, c) => self.faults.chunks = Some((*s, *g, *c)),
            Action::Timeout(c) => self.faults.timeout = Some(*c),
            Action::Clear => self.faults = Faults::default(),
            Action::Unplug(p) => {
                self.reset_input();
                out.push(Output::Unplug(*p));
            }
            Action::Replug => out.push(Output::Replug),
            Action::Quit => out.push(Output::Quit),
        }
        Ok(out)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::desc::parse;

    fn engine(unknown: &str) -> Engine {
        let text = format!(
            "device t\nsource s\nunknown {unknown}\nstate a\n  \"Q1\\r\" -> \"(1\\r\"\n  \"T\\r\" -> none then b\nstate b like a\n  \"Q1\\r\" -> \"(2\\r\"\n"
        );
        Engine::new(parse(&text).unwrap())
    }

    fn writes(out: &[Output]) -> Vec<u8> {
        out.iter()
            .filter_map(|o| match o {
                Output::Write { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn commands_split_at_the_terminator_even_across_reads() {
        let mut e = engine("silent");
        assert!(writes(&e.on_input(b"Q")).is_empty());
        assert_eq!(writes(&e.on_input(b"1\rQ1\r")), b"(1\r(1\r");
        let out = e.on_input(b"T\r");
        assert!(out.contains(&Output::Event("state b".into())));
        assert_eq!(writes(&e.on_input(b"Q1\r")), b"(2\r");
    }

    #[test]
    fn unknown_commands() {
        assert!(writes(&engine("silent").on_input(b"X\r")).is_empty());
        assert_eq!(writes(&engine("echo").on_input(b"X\r")), b"X\r");
        assert_eq!(writes(&engine("reply \"(NAK\\r\"").on_input(b"X\r")), b"(NAK\r");
    }

    #[test]
    fn faults_apply_to_the_counted_replies_only() {
        let mut e = engine("silent");
        e.apply(&Action::Cut(2, Count::Times(2))).unwrap();
        assert_eq!(writes(&e.on_input(b"Q1\r")), b"(1");
        assert_eq!(writes(&e.on_input(b"Q1\r")), b"(1");
        assert_eq!(writes(&e.on_input(b"Q1\r")), b"(1\r");
        e.apply(&Action::Chunks(1, Duration::from_millis(5), Count::Times(1))).unwrap();
        let out = e.on_input(b"Q1\r");
        let after: Vec<Duration> = out
            .iter()
            .filter_map(|o| match o {
                Output::Write { after, .. } => Some(*after),
                _ => None,
            })
            .collect();
        assert_eq!(after, [0, 5, 10].map(Duration::from_millis));
        e.apply(&Action::Timeout(Count::Always)).unwrap();
        assert!(writes(&e.on_input(b"Q1\r")).is_empty());
        e.apply(&Action::Clear).unwrap();
        assert_eq!(writes(&e.on_input(b"Q1\r")), b"(1\r");
    }

    #[test]
    fn overlong_input_is_dropped() {
        let mut e = engine("silent");
        let out = e.on_input(&vec![b'x'; MAX_COMMAND + 1]);
        assert!(matches!(&out[..], [Output::Event(m)] if m.starts_with("discard")));
        assert_eq!(writes(&e.on_input(b"Q1\r")), b"(1\r");
    }
}
