//! Golden protocol transcripts: a scenario file (`tests/transcripts/*.req`) lists setup
//! directives, actions and requests; running it against a stack produces the transcript text
//! (`*.txt`) with every server reply under its request. Recording runs it against Debian's
//! NUT; replay runs the same scenario against our upsd and requires the identical text.
//!
//! Format (one item per line; see `tests/README.md`):
//! - `# ...` comments, kept verbatim.
//! - Setup, before the first request: `@ups NAME dev=FILE [desc=TEXT]` (dummy-ups reading
//!   `tests/devices/FILE`, copied into the stack directory so `driver.parameter.port` is the
//!   bare file name), `@ups NAME fake=FILE` (the scripted `fake-driver` with
//!   `tests/transcripts/FILE`), `@maxage N`, `@normalize uuid` (documents the rule below).
//! - Actions: `@conn N` (switch to connection N, opened on first use), `@close` (drain the
//!   current connection for 300 ms, record what came, then close it), `@signal UPS STOP|CONT|KILL`
//!   (to the UPS's driver), `@await REQUEST => REPLY` (repeat REQUEST on the current connection,
//!   unrecorded, until the one-line reply is REPLY; 30 s limit).
//! - `C: text` sends `text\n`; `C~ text` sends the bytes of `text` with `\r`, `\n`, `\t`, `\\`
//!   and `\xNN` escapes and nothing appended.
//! - Replies: `S: line` (a reply line), `S~ line` (a reply line with escapes, when it holds
//!   control or non-UTF-8 bytes), `S! none` (nothing within 500 ms), `S! EOF` (server closed).
//!   A reply is one line, or `BEGIN ...` up to its `END ...` line.
//!
//! Normalisation: every UUID in a reply (`OK TRACKING <id>`) is written as `<UUID>`, and
//! `<UUID>` in a request stands for the last UUID the server sent on that connection. Nothing
//! else varies between runs on loopback (LIST CLIENT shows 127.0.0.1).

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nut_testkit::{Driver, Impl, Stack, UpsSpec};
use regex::Regex;

/// How long a request may stay unanswered before it counts as `S! none`.
const NO_REPLY: Duration = Duration::from_millis(500);

/// Which programs serve a scenario.
#[derive(Debug, Clone)]
pub struct Setup {
    /// upsd implementation.
    pub upsd: Impl,
    /// dummy-ups implementation (scenarios with `fake=` drivers use the fake driver anyway).
    pub dummy: Impl,
    /// Path of our `fake-driver` binary.
    pub fake_driver: PathBuf,
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    closed: bool,
    last_uuid: Option<String>,
}

enum Line {
    Text(Vec<u8>),
    Eof,
    Timeout,
}

impl Conn {
    fn open(port: u16) -> io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_nodelay(true)?;
        let writer = s.try_clone()?;
        Ok(Conn { reader: BufReader::new(s), writer, closed: false, last_uuid: None })
    }

    fn read_line(&mut self, timeout: Duration) -> io::Result<Line> {
        self.writer.set_read_timeout(Some(timeout))?;
        let mut v = Vec::new();
        match self.reader.read_until(b'\n', &mut v) {
            Ok(0) => {
                self.closed = true;
                Ok(Line::Eof)
            }
            Ok(_) => {
                if v.last() == Some(&b'\n') {
                    v.pop();
                    Ok(Line::Text(v))
                } else {
                    // A partial line followed by EOF.
                    self.closed = true;
                    Ok(Line::Text(v))
                }
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                if v.is_empty() {
                    Ok(Line::Timeout)
                } else {
                    Ok(Line::Text(v))
                }
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                self.closed = true;
                Ok(Line::Eof)
            }
            Err(e) => Err(e),
        }
    }
}

/// Escape bytes for `C~`/`S~` lines.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

/// Undo [`escape`].
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(b'r') => out.push(b'\r'),
                Some(b'n') => out.push(b'\n'),
                Some(b't') => out.push(b'\t'),
                Some(b'\\') => out.push(b'\\'),
                Some(b'x') => {
                    let h = text.get(i + 2..i + 4).ok_or("short \\x escape")?;
                    out.push(u8::from_str_radix(h, 16).map_err(|_| format!("bad \\x escape {h}"))?);
                    i += 2;
                }
                _ => return Err(format!("bad escape in {text:?}")),
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn uuid_re() -> Regex {
    Regex::new("[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
        .expect("uuid regex")
}

/// Render one reply line: `S: text`, or `S~ escaped` when it is not plain printable text.
fn reply_line(conn: &mut Conn, raw: &[u8], re: &Regex) -> String {
    let plain = raw.iter().all(|&b| (0x20..0x7f).contains(&b));
    if plain {
        // Our NUT 2.8.5 version strings (VER, server.info, *.version) read as the recording's.
        let text = nut_testkit::compat::as_debian(
            &String::from_utf8_lossy(raw),
            nut_testkit::compat::debian_version(),
        );
        if let Some(m) = re.find_iter(&text).last() {
            conn.last_uuid = Some(m.as_str().to_string());
        }
        format!("S: {}", re.replace_all(&text, "<UUID>"))
    } else {
        format!("S~ {}", escape(raw))
    }
}

/// Read one reply (a line, or a BEGIN..END list) and render it.
fn read_reply(conn: &mut Conn, out: &mut Vec<String>, re: &Regex) -> Result<(), String> {
    if conn.closed {
        out.push("S! EOF".into());
        return Ok(());
    }
    let first = match conn.read_line(NO_REPLY).map_err(|e| format!("read: {e}"))? {
        Line::Timeout => {
            out.push("S! none".into());
            return Ok(());
        }
        Line::Eof => {
            out.push("S! EOF".into());
            return Ok(());
        }
        Line::Text(t) => t,
    };
    let is_list = first.starts_with(b"BEGIN ");
    out.push(reply_line(conn, &first, re));
    if is_list {
        loop {
            match conn.read_line(Duration::from_secs(10)).map_err(|e| format!("read: {e}"))? {
                Line::Text(t) => {
                    let end = t.starts_with(b"END ");
                    out.push(reply_line(conn, &t, re));
                    if end {
                        break;
                    }
                }
                Line::Eof => {
                    out.push("S! EOF".into());
                    break;
                }
                Line::Timeout => {
                    out.push("S! none".into());
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Record whatever arrives within 300 ms (extra lines, EOF).
fn drain(conn: &mut Conn, out: &mut Vec<String>, re: &Regex) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_millis(300);
    while !conn.closed {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match conn.read_line(left).map_err(|e| format!("read: {e}"))? {
            Line::Text(t) => out.push(reply_line(conn, &t, re)),
            Line::Eof => out.push("S! EOF".into()),
            Line::Timeout => break,
        }
    }
    Ok(())
}

fn parse_setup(
    text: &str,
    devices: &Path,
    scripts: &Path,
    setup: &Setup,
) -> Result<(Vec<UpsSpec>, Option<u32>), String> {
    let mut upses = Vec::new();
    let mut maxage = None;
    for line in text.lines() {
        if line.starts_with("C:") || line.starts_with("C~") {
            break;
        }
        if let Some(rest) = line.strip_prefix("@ups ") {
            let (name, rest) = rest.split_once(' ').ok_or_else(|| format!("bad @ups line: {line}"))?;
            let (src, desc) = match rest.split_once(" desc=") {
                Some((s, d)) => (s, Some(d.to_string())),
                None => (rest, None),
            };
            let (port, driver) = if let Some(f) = src.strip_prefix("dev=") {
                (devices.join(f).to_string_lossy().into_owned(), Driver::DummyUps(setup.dummy))
            } else if let Some(f) = src.strip_prefix("fake=") {
                let prog = setup.fake_driver.clone();
                (
                    "fake".to_string(),
                    Driver::External(prog, vec![scripts.join(f).to_string_lossy().into_owned()]),
                )
            } else {
                return Err(format!("@ups needs dev= or fake=: {line}"));
            };
            upses.push(UpsSpec { name: name.to_string(), port, desc, extra: Vec::new(), driver });
        } else if let Some(n) = line.strip_prefix("@maxage ") {
            maxage = Some(n.trim().parse().map_err(|_| format!("bad @maxage: {line}"))?);
        }
    }
    Ok((upses, maxage))
}

/// Run the scenario `text` (a `.req` or a recorded `.txt`: old replies are ignored) against a
/// fresh stack and return the transcript text.
pub fn run(text: &str, devices: &Path, scripts: &Path, setup: &Setup) -> Result<String, String> {
    let (upses, maxage) = parse_setup(text, devices, scripts, setup)?;
    // dummy-ups reads a relative `port` from NUT_CONFPATH: stage the files first, through a
    // stack that is not started yet, by building it with upsd deferred.
    let mut b = Stack::builder().upsd(setup.upsd).start_upsd(false);
    if let Some(m) = maxage {
        b = b.maxage(m);
    }
    let mut staged = Vec::new();
    for mut u in upses {
        if let Driver::DummyUps(_) = u.driver {
            let src = PathBuf::from(&u.port);
            let base = src.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            staged.push((src, base.clone()));
            u.port = base;
        }
        b = b.ups(u);
    }
    for (src, base) in &staged {
        b = b.file(
            base,
            &std::fs::read(src).map_err(|e| format!("cannot read device file {}: {e}", src.display()))?,
        );
    }
    let mut stack = b.start()?;
    stack.start_upsd()?;
    stack.wait_data()?;

    let re = uuid_re();
    let mut conns: BTreeMap<u32, Conn> = BTreeMap::new();
    let mut cur = 1u32;
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("S:")
            || line.starts_with("S~")
            || line.starts_with("S!")
            || line.starts_with("@drain")
        {
            continue;
        }
        out.push(line.to_string());
        if let Some(n) = line.strip_prefix("@conn ") {
            cur = n.trim().parse().map_err(|_| format!("bad @conn: {line}"))?;
            continue;
        }
        let conn = match conns.entry(cur) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(Conn::open(stack.port()).map_err(|e| format!("connect to upsd: {e}"))?)
            }
        };
        if line == "@close" {
            drain(conn, &mut out, &re)?;
            conns.remove(&cur);
        } else if let Some(rest) = line.strip_prefix("@signal ") {
            let mut w = rest.split_whitespace();
            let (ups, sig) = (w.next().unwrap_or(""), w.next().unwrap_or(""));
            let ok = match sig {
                "STOP" => stack.signal_driver(ups, libc::SIGSTOP),
                "CONT" => stack.signal_driver(ups, libc::SIGCONT),
                "KILL" => stack.kill_driver(ups),
                _ => return Err(format!("bad signal in {line}")),
            };
            if !ok {
                return Err(format!("{line}: no driver for that UPS"));
            }
        } else if let Some(rest) = line.strip_prefix("@await ") {
            let (req, want) = rest.split_once(" => ").ok_or_else(|| format!("bad @await: {line}"))?;
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let req = subst(req, conn);
                conn.writer.write_all(format!("{req}\n").as_bytes()).map_err(|e| format!("{line}: {e}"))?;
                let mut got = Vec::new();
                read_reply(conn, &mut got, &re)?;
                if got.len() == 1 && got[0].strip_prefix("S: ") == Some(want) {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(format!("{line}: still {got:?} after 30 s"));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        } else if let Some(t) = line.strip_prefix("C: ").or_else(|| line.strip_prefix("C:")) {
            let mut bytes = subst(t, conn).into_bytes();
            bytes.push(b'\n');
            send(conn, &bytes, &mut out, &re)?;
        } else if let Some(t) = line.strip_prefix("C~ ") {
            let bytes = unescape(&subst(t, conn))?;
            send(conn, &bytes, &mut out, &re)?;
        } else if line.starts_with('@') && !is_setup(line) {
            return Err(format!("unknown directive: {line}"));
        }
    }
    for (n, conn) in conns.iter_mut() {
        let mut extra = Vec::new();
        drain(conn, &mut extra, &re)?;
        if !extra.is_empty() {
            out.push(format!("@drain {n}"));
            out.extend(extra);
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    Ok(s)
}

fn is_setup(line: &str) -> bool {
    ["@ups ", "@maxage ", "@normalize ", "@title "].iter().any(|p| line.starts_with(p))
}

fn subst(text: &str, conn: &Conn) -> String {
    match &conn.last_uuid {
        Some(u) => text.replace("<UUID>", u),
        None => text.to_string(),
    }
}

fn send(conn: &mut Conn, bytes: &[u8], out: &mut Vec<String>, re: &Regex) -> Result<(), String> {
    if conn.closed || conn.writer.write_all(bytes).is_err() {
        conn.closed = true;
        out.push("S! EOF".into());
        return Ok(());
    }
    read_reply(conn, out, re)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let raw = b"VER\r\n\x00\xff\\x";
        assert_eq!(unescape(&escape(raw)).unwrap(), raw.to_vec());
        assert_eq!(escape(b"GET VAR a b\r"), "GET VAR a b\\r");
    }
}
