//! The simulated UPS as a state machine with no I/O: bytes from the driver go in, the writes to
//! make (with their delays) and the event lines to report come out.

use std::time::Duration;

use crate::desc::{Action, Count, Desc, Framing, Unknown};
use crate::escape::quote;

/// Longest command kept while waiting for its terminator; longer input is dropped.
pub const MAX_COMMAND: usize = 4096;

/// With `framing prefix`, a partial command older than this is settled by
/// [`Engine::input_idle`] (the runtime calls it when no byte came for this long).
pub const PARTIAL_IDLE: Duration = Duration::from_millis(500);

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
    corrupt: Option<Count>,
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

    /// Index of the current reply set in `desc().states` (changes on every switch).
    pub fn state_index(&self) -> usize {
        self.state
    }

    /// True while part of a command is buffered.
    pub fn has_partial(&self) -> bool {
        !self.input.is_empty()
    }

    /// Forget a partly received command (the port was closed).
    pub fn reset_input(&mut self) {
        self.input.clear();
    }

    /// Bytes the driver wrote.
    pub fn on_input(&mut self, bytes: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        self.input.extend_from_slice(bytes);
        match self.desc.framing.clone() {
            Framing::Terminator(term) => {
                while let Some(pos) = find(&self.input, &term) {
                    let cmd: Vec<u8> = self.input.drain(..pos + term.len()).collect();
                    self.command(&cmd, &mut out);
                }
            }
            Framing::Prefix => self.match_prefixes(false, &mut out),
        }
        if self.input.len() > MAX_COMMAND {
            out.push(Output::Event(format!("discard {} bytes without terminator", self.input.len())));
            self.input.clear();
        }
        out
    }

    /// No byte came for [`PARTIAL_IDLE`]: with `framing prefix`, a buffered command that
    /// could still grow into a longer one is taken as it stands (or dropped as unknown).
    pub fn input_idle(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        if self.desc.framing == Framing::Prefix {
            self.match_prefixes(true, &mut out);
        } else if !self.input.is_empty() {
            out.push(Output::Event(format!("partial {} waiting for the terminator", quote(&self.input))));
        }
        out
    }

    /// `framing prefix`: fire every command the buffer starts with. A command fires once no
    /// longer command of the state could still match (or at once when `idle`); bytes that
    /// cannot start any command are dropped one at a time, as unknown commands.
    fn match_prefixes(&mut self, idle: bool, out: &mut Vec<Output>) {
        while !self.input.is_empty() {
            let st = &self.desc.states[self.state];
            let exact = st.rules.iter().filter(|r| self.input.starts_with(&r.cmd)).map(|r| r.cmd.len()).max();
            let longer =
                st.rules.iter().any(|r| r.cmd.len() > self.input.len() && r.cmd.starts_with(&self.input));
            let take = match (exact, longer) {
                (_, true) if !idle => return,
                (Some(n), _) => n,
                (None, true) => {
                    // Idle with only the start of a longer command: a partial frame.
                    let cmd: Vec<u8> = std::mem::take(&mut self.input);
                    out.push(Output::Event(format!("rx {}", quote(&cmd))));
                    out.push(Output::Event(format!("noreply {} partial", quote(&cmd))));
                    return;
                }
                (None, false) => 1,
            };
            let cmd: Vec<u8> = self.input.drain(..take).collect();
            self.command(&cmd, out);
        }
    }

    /// The unsolicited transmission `every[i]` of the current state is due.
    pub fn periodic(&mut self, i: usize) -> Vec<Output> {
        let mut out = Vec::new();
        let Some((_, bytes)) = self.desc.states[self.state].every.get(i).cloned() else {
            return out;
        };
        if self.faults.timeout == Some(Count::Always) {
            out.push(Output::Event(format!("noreply {} silent", quote(&bytes))));
            return out;
        }
        self.reply(bytes, &mut out);
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
        if take(&mut self.faults.corrupt, |c| c).is_some() {
            if let Some(last) = bytes.last_mut() {
                *last ^= 0xff;
            }
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
            Action::Corrupt(c) => self.faults.corrupt = Some(*c),
            Action::Send(b) => out.push(Output::Write { after: Duration::ZERO, bytes: b.clone() }),
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

    fn prefix_engine() -> Engine {
        let text = "device t\nframing prefix\nunknown reply \"NA\\r\\n\"\nstate a\n  \"Y\" -> \"SM\\r\\n\"\n  \"\\x01\" -> \"Smart-UPS\\r\\n\"\n  \"\\xab\\x01\\x02\" -> \"\\xab\\x10\"\n  \"\\xab\\x01\" -> \"short\"\n  \"U\" -> none then b\n  every 1s \"S\"\nstate b like a\n  \"Y\" -> \"OB\\r\\n\"\n";
        Engine::new(parse(text).unwrap())
    }

    #[test]
    fn prefix_framing_fires_commands_as_they_arrive() {
        let mut e = prefix_engine();
        // Single letters, back to back, with no terminator.
        assert_eq!(writes(&e.on_input(b"Y\x01Y")), b"SM\r\nSmart-UPS\r\nSM\r\n");
        // An unknown byte is answered as unknown, then matching goes on.
        assert_eq!(writes(&e.on_input(b"zY")), b"NA\r\nSM\r\n");
        // A binary frame split across reads: nothing until it is complete.
        assert!(writes(&e.on_input(b"\xab")).is_empty());
        assert!(e.has_partial());
        assert_eq!(writes(&e.on_input(b"\x01\x02")), b"\xab\x10");
        // A shorter command that is also the start of a longer one waits for the idle gap.
        assert!(writes(&e.on_input(b"\xab\x01")).is_empty());
        assert_eq!(writes(&e.input_idle()), b"short");
        // A lone start of a frame is dropped as partial when idle.
        assert!(writes(&e.on_input(b"\xab")).is_empty());
        let out = e.input_idle();
        assert!(out.contains(&Output::Event("noreply \"\\xAB\" partial".into())), "{out:?}");
        assert!(!e.has_partial());
        // `then` switches the reply set for the bytes that follow in the same read.
        assert_eq!(writes(&e.on_input(b"UY")), b"OB\r\n");
    }

    #[test]
    fn periodic_sends_corrupt_and_send() {
        let mut e = prefix_engine();
        assert_eq!(writes(&e.periodic(0)), b"S");
        assert!(writes(&e.periodic(1)).is_empty());
        e.apply(&Action::Corrupt(Count::Times(1))).unwrap();
        assert_eq!(writes(&e.on_input(b"Y")), b"SM\r\xf5");
        assert_eq!(writes(&e.on_input(b"Y")), b"SM\r\n");
        assert_eq!(writes(&e.apply(&Action::Send(b"!".to_vec())).unwrap()), b"!");
        e.apply(&Action::Timeout(Count::Always)).unwrap();
        assert!(writes(&e.periodic(0)).is_empty());
    }

    #[test]
    fn overlong_input_is_dropped() {
        let mut e = engine("silent");
        let out = e.on_input(&vec![b'x'; MAX_COMMAND + 1]);
        assert!(matches!(&out[..], [Output::Event(m)] if m.starts_with("discard")));
        assert_eq!(writes(&e.on_input(b"Q1\r")), b"(1\r");
    }
}
