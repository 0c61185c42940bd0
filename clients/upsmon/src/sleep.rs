//! Knowing when the OS goes to sleep and wakes up, as NUT 2.8.5's upsmon learns it from
//! systemd-logind: the `PrepareForSleep(b)` signal of `org.freedesktop.login1.Manager` on the
//! system D-Bus, and a "delay" inhibitor lock (`Inhibit("sleep", ...)`) that holds the sleep
//! back until upsmon has sent its SUSPEND_STARTING notification.
//!
//! This is a minimal D-Bus client over the bus socket (`DBUS_SYSTEM_BUS_ADDRESS`, else
//! `/run/dbus/system_bus_socket`): EXTERNAL authentication, Unix descriptor passing, and just
//! the message types and values these calls use. Where there is no system bus or no logind
//! (containers, non-systemd systems) upsmon goes on without it, as NUT built without systemd
//! does; a wake-up is then still noticed from the clocks ([`crate::runner::jumped`]).

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

/// D-Bus message types.
pub mod kind {
    /// A method call.
    pub const CALL: u8 = 1;
    /// A method's reply.
    pub const RETURN: u8 = 2;
    /// An error reply.
    pub const ERROR: u8 = 3;
    /// A signal.
    pub const SIGNAL: u8 = 4;
}

/// A value in a message body (only the types used here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `b`
    Bool(bool),
    /// `u`
    U32(u32),
    /// `s`
    Str(String),
    /// `o`
    Path(String),
    /// `h`: an index into the descriptors sent with the message.
    Fd(u32),
}

impl Value {
    fn code(&self) -> char {
        match self {
            Value::Bool(_) => 'b',
            Value::U32(_) => 'u',
            Value::Str(_) => 's',
            Value::Path(_) => 'o',
            Value::Fd(_) => 'h',
        }
    }
}

/// One D-Bus message.
#[derive(Debug, Default)]
pub struct Message {
    /// [`kind`].
    pub kind: u8,
    /// Its serial number.
    pub serial: u32,
    /// `PATH`.
    pub path: Option<String>,
    /// `INTERFACE`.
    pub interface: Option<String>,
    /// `MEMBER`.
    pub member: Option<String>,
    /// `ERROR_NAME`.
    pub error_name: Option<String>,
    /// `REPLY_SERIAL`.
    pub reply_serial: Option<u32>,
    /// `DESTINATION`.
    pub destination: Option<String>,
    /// `SENDER`.
    pub sender: Option<String>,
    /// `UNIX_FDS`: how many descriptors came with the message.
    pub unix_fds: u32,
    /// The body's values.
    pub body: Vec<Value>,
    /// Descriptors that came with it.
    pub fds: Vec<OwnedFd>,
}

impl Message {
    /// A method call.
    pub fn call(dest: &str, path: &str, interface: &str, member: &str, body: Vec<Value>) -> Message {
        Message {
            kind: kind::CALL,
            destination: Some(dest.into()),
            path: Some(path.into()),
            interface: Some(interface.into()),
            member: Some(member.into()),
            body,
            ..Message::default()
        }
    }

    /// A signal.
    pub fn signal(path: &str, interface: &str, member: &str, body: Vec<Value>) -> Message {
        Message {
            kind: kind::SIGNAL,
            path: Some(path.into()),
            interface: Some(interface.into()),
            member: Some(member.into()),
            body,
            ..Message::default()
        }
    }

    /// A reply to `to`.
    pub fn reply(to: &Message, body: Vec<Value>) -> Message {
        Message {
            kind: kind::RETURN,
            reply_serial: Some(to.serial),
            destination: to.sender.clone(),
            body,
            ..Message::default()
        }
    }

    /// The body's signature.
    pub fn signature(&self) -> String {
        self.body.iter().map(Value::code).collect()
    }
}

/// Little-endian marshalling with D-Bus alignment (relative to the message start).
struct Writer {
    b: Vec<u8>,
}

impl Writer {
    fn pad(&mut self, align: usize) {
        while !self.b.len().is_multiple_of(align) {
            self.b.push(0);
        }
    }

    fn u32(&mut self, v: u32) {
        self.pad(4);
        self.b.extend_from_slice(&v.to_le_bytes());
    }

    fn string(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.b.extend_from_slice(s.as_bytes());
        self.b.push(0);
    }

    fn sig(&mut self, s: &str) {
        self.b.push(s.len() as u8);
        self.b.extend_from_slice(s.as_bytes());
        self.b.push(0);
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Bool(b) => self.u32(u32::from(*b)),
            Value::U32(u) | Value::Fd(u) => self.u32(*u),
            Value::Str(s) | Value::Path(s) => self.string(s),
        }
    }
}

/// Serializes `m` with serial `serial`.
pub fn encode(m: &Message, serial: u32) -> Vec<u8> {
    let mut body = Writer { b: Vec::new() };
    for v in &m.body {
        body.value(v);
    }
    let mut w = Writer { b: vec![b'l', m.kind, 0, 1] };
    w.u32(body.b.len() as u32);
    w.u32(serial);
    let len_at = w.b.len();
    w.u32(0);
    w.pad(8);
    let start = w.b.len();
    let field = |w: &mut Writer, code: u8, sig: &str, v: Value| {
        w.pad(8);
        w.b.push(code);
        w.sig(sig);
        w.value(&v);
    };
    if let Some(p) = &m.path {
        field(&mut w, 1, "o", Value::Path(p.clone()));
    }
    if let Some(i) = &m.interface {
        field(&mut w, 2, "s", Value::Str(i.clone()));
    }
    if let Some(x) = &m.member {
        field(&mut w, 3, "s", Value::Str(x.clone()));
    }
    if let Some(e) = &m.error_name {
        field(&mut w, 4, "s", Value::Str(e.clone()));
    }
    if let Some(r) = m.reply_serial {
        field(&mut w, 5, "u", Value::U32(r));
    }
    if let Some(d) = &m.destination {
        field(&mut w, 6, "s", Value::Str(d.clone()));
    }
    let sig = m.signature();
    if !sig.is_empty() {
        w.pad(8);
        w.b.push(8);
        w.sig("g");
        w.sig(&sig);
    }
    let nfds = m.body.iter().filter(|v| matches!(v, Value::Fd(_))).count();
    if nfds > 0 {
        field(&mut w, 9, "u", Value::U32(nfds as u32));
    }
    let fields_len = (w.b.len() - start) as u32;
    w.b[len_at..len_at + 4].copy_from_slice(&fields_len.to_le_bytes());
    w.pad(8);
    w.b.extend_from_slice(&body.b);
    w.b
}

/// Reads values from a message in either byte order.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    little: bool,
}

impl Reader<'_> {
    fn bad() -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, "malformed D-Bus message")
    }

    fn align(&mut self, a: usize) {
        self.pos = self.pos.div_ceil(a) * a;
    }

    fn u8(&mut self) -> io::Result<u8> {
        let v = *self.b.get(self.pos).ok_or_else(Self::bad)?;
        self.pos += 1;
        Ok(v)
    }

    fn u32(&mut self) -> io::Result<u32> {
        self.align(4);
        let s = self.b.get(self.pos..self.pos + 4).ok_or_else(Self::bad)?;
        let a = [s[0], s[1], s[2], s[3]];
        self.pos += 4;
        Ok(if self.little { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }

    fn bytes(&mut self, n: usize) -> io::Result<String> {
        let s = self.b.get(self.pos..self.pos + n).ok_or_else(Self::bad)?;
        self.pos += n + 1;
        String::from_utf8(s.to_vec()).map_err(|_| Self::bad())
    }

    fn string(&mut self) -> io::Result<String> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    fn sig(&mut self) -> io::Result<String> {
        let n = usize::from(self.u8()?);
        self.bytes(n)
    }

    /// One value of single-character type `c`; `None` for a type this client skips.
    fn value(&mut self, c: char) -> io::Result<Option<Value>> {
        Ok(Some(match c {
            'b' => Value::Bool(self.u32()? != 0),
            'u' => Value::U32(self.u32()?),
            'h' => Value::Fd(self.u32()?),
            's' => Value::Str(self.string()?),
            'o' => Value::Path(self.string()?),
            'g' => Value::Str(self.sig()?),
            _ => return Ok(None),
        }))
    }
}

/// Largest message this client takes in whole. What the bus daemon and logind send it is a
/// few hundred bytes; a larger message (any local program may send one to upsmon's
/// connection) is skipped as it arrives, without being buffered, and its descriptors closed.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// How long a bus gets for each step: the authentication, a method's reply, a write.
pub const BUS_TIMEOUT: Duration = Duration::from_secs(5);

/// Most messages kept aside while waiting for a method's reply ([`Bus::call`]); more are
/// dropped (only a flood of unsolicited messages gets there).
const MAX_QUEUED: usize = 64;

/// Most descriptors kept waiting for their message: those of one `recvmsg` ([`MAX_FDS`])
/// and of the message they came after.
const MAX_PENDING_FDS: usize = 2 * MAX_FDS;

/// The size of the message at the start of `b`, once its fixed header (16 bytes) is there:
/// `(header, total)`, the header padded to 8 with its fields, and the whole message. Lengths
/// beyond the D-Bus limits (128 MiB body, 64 MiB fields) are an error.
pub fn message_len(b: &[u8]) -> io::Result<Option<(usize, usize)>> {
    if b.len() < 16 {
        return Ok(None);
    }
    let little = match b[0] {
        b'l' => true,
        b'B' => false,
        _ => return Err(Reader::bad()),
    };
    let rd = |o: usize| {
        let a = [b[o], b[o + 1], b[o + 2], b[o + 3]];
        if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let (body, fields) = (rd(4) as usize, rd(12) as usize);
    if body > 1 << 27 || fields > 1 << 26 {
        return Err(Reader::bad());
    }
    let header = (16 + fields).div_ceil(8) * 8;
    Ok(Some((header, header + body)))
}

/// Parses a message's header (fixed part and fields) at the start of `b`: the message
/// without its body, the body's signature and where the body starts.
fn decode_header(b: &[u8]) -> io::Result<(Message, String, usize)> {
    let little = match b.first() {
        Some(b'l') => true,
        Some(b'B') => false,
        _ => return Err(Reader::bad()),
    };
    let mut r = Reader { b, pos: 1, little };
    let mut m = Message { kind: r.u8()?, ..Message::default() };
    r.pos = 4;
    let _body_len = r.u32()?;
    m.serial = r.u32()?;
    let fields_len = r.u32()? as usize;
    let fields_end = 16 + fields_len;
    let mut signature = String::new();
    while r.pos < fields_end {
        r.align(8);
        if r.pos >= fields_end {
            break;
        }
        let code = r.u8()?;
        let sig = r.sig()?;
        let c = sig.chars().next().ok_or_else(Reader::bad)?;
        let v = r.value(c)?.ok_or_else(Reader::bad)?;
        match (code, v) {
            (1, Value::Path(p)) => m.path = Some(p),
            (2, Value::Str(s)) => m.interface = Some(s),
            (3, Value::Str(s)) => m.member = Some(s),
            (4, Value::Str(s)) => m.error_name = Some(s),
            (5, Value::U32(u)) => m.reply_serial = Some(u),
            (6, Value::Str(s)) => m.destination = Some(s),
            (7, Value::Str(s)) => m.sender = Some(s),
            (8, Value::Str(s)) => signature = s,
            (9, Value::U32(u)) => m.unix_fds = u,
            _ => {}
        }
    }
    if r.pos > fields_end {
        return Err(Reader::bad()); // the last field runs past the fields' length
    }
    Ok((m, signature, fields_end.div_ceil(8) * 8))
}

/// Parses one complete message (the body's values up to the first type this client skips).
pub fn decode(b: &[u8]) -> io::Result<Message> {
    let (mut m, signature, body_start) = decode_header(b)?;
    let little = b.first() == Some(&b'l');
    let body_len = Reader { b, pos: 4, little }.u32()? as usize;
    let mut r = Reader { b, pos: body_start, little };
    let body_end = body_start + body_len;
    for c in signature.chars() {
        if r.pos >= body_end {
            break;
        }
        match r.value(c)? {
            Some(v) => m.body.push(v),
            None => break,
        }
    }
    Ok(m)
}

/// The receiving half of a connection, without I/O: bytes and descriptors go in as they come
/// off the socket, whole messages come out, each with the descriptors its `UNIX_FDS` field
/// claims (they travel ahead of or with the message's first bytes, in order).
#[derive(Debug, Default)]
pub struct Inbox {
    buf: Vec<u8>,
    fds: std::collections::VecDeque<OwnedFd>,
    /// Bytes of an oversized message still to be thrown away as they arrive.
    skip: usize,
}

impl Inbox {
    /// Takes what one read brought. More descriptors waiting than messages can claim is an
    /// error (a peer that sends them without saying so).
    pub fn push(&mut self, bytes: &[u8], fds: Vec<OwnedFd>) -> io::Result<()> {
        self.fds.extend(fds);
        if self.fds.len() > MAX_PENDING_FDS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the bus sent more than {MAX_PENDING_FDS} descriptors that no message claims"),
            ));
        }
        let k = self.skip.min(bytes.len());
        self.skip -= k;
        self.buf.extend_from_slice(&bytes[k..]);
        Ok(())
    }

    /// The next whole message, or `None` until more bytes come. Never holds more than
    /// [`MAX_MESSAGE`] bytes plus the last read: a larger message is dropped as it comes.
    pub fn pop(&mut self) -> io::Result<Option<Message>> {
        loop {
            let Some((header, total)) = message_len(&self.buf)? else { return Ok(None) };
            if total <= MAX_MESSAGE {
                if self.buf.len() < total {
                    return Ok(None);
                }
                let data: Vec<u8> = self.buf.drain(..total).collect();
                let mut m = decode(&data)?;
                m.fds = self.take_fds(m.unix_fds)?;
                return Ok(Some(m));
            }
            // Too large to keep: read its header for the descriptors it carries, then let
            // the rest go by.
            if header > MAX_MESSAGE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the bus sent a message with {header} bytes of header fields"),
                ));
            }
            if self.buf.len() < header {
                return Ok(None);
            }
            let (m, _, _) = decode_header(&self.buf[..header])?;
            drop(self.take_fds(m.unix_fds)?);
            let k = total.min(self.buf.len());
            self.buf.drain(..k);
            self.skip = total - k;
        }
    }

    /// Bytes held for messages not complete yet.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The `n` descriptors of the message just read.
    fn take_fds(&mut self, n: u32) -> io::Result<Vec<OwnedFd>> {
        let n = n as usize;
        if n > self.fds.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a message from the bus announced {n} descriptors, {} came", self.fds.len()),
            ));
        }
        Ok(self.fds.drain(..n).collect())
    }
}

/// A connection to a bus.
pub struct Bus {
    stream: UnixStream,
    serial: u32,
    inbox: Inbox,
    /// Messages read while waiting for a reply, handed out by [`Bus::next_message`] (at most
    /// [`MAX_QUEUED`]).
    queued: std::collections::VecDeque<Message>,
}

/// The system bus socket: `DBUS_SYSTEM_BUS_ADDRESS` (its first `unix:path=` entry), else
/// the standard path.
pub fn system_bus_path() -> Option<PathBuf> {
    bus_path(std::env::var("DBUS_SYSTEM_BUS_ADDRESS").ok().as_deref())
}

/// The socket of a D-Bus address (`None`: the variable is unset, so the standard path).
pub fn bus_path(address: Option<&str>) -> Option<PathBuf> {
    match address {
        Some(addr) => addr.split(';').find_map(|a| {
            let rest = a.strip_prefix("unix:")?;
            rest.split(',').find_map(|kv| kv.strip_prefix("path=")).map(PathBuf::from)
        }),
        None => Some(PathBuf::from("/run/dbus/system_bus_socket")),
    }
}

impl Bus {
    /// Connects, authenticates as this user (EXTERNAL) with descriptor passing, and says
    /// Hello; each step, and every write later, gets at most [`BUS_TIMEOUT`].
    pub fn connect(path: &std::path::Path) -> io::Result<Bus> {
        Self::connect_within(path, BUS_TIMEOUT)
    }

    fn connect_within(path: &std::path::Path, limit: Duration) -> io::Result<Bus> {
        let mut stream = UnixStream::connect(path)?;
        stream.set_write_timeout(Some(limit))?;
        // The whole authentication, however the bus dribbles its answers.
        let deadline = Instant::now() + limit;
        // SAFETY: getuid never fails.
        let uid = unsafe { libc::getuid() };
        let hex: String = uid.to_string().bytes().map(|b| format!("{b:02x}")).collect();
        stream.write_all(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes())?;
        let line = read_line(&mut stream, deadline)?;
        if !line.starts_with("OK ") {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, format!("bus refused us: {line}")));
        }
        stream.write_all(b"NEGOTIATE_UNIX_FD\r\n")?;
        let fd_ok = read_line(&mut stream, deadline)?.starts_with("AGREE_UNIX_FD");
        stream.write_all(b"BEGIN\r\n")?;
        if !fd_ok {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "the bus does not pass descriptors"));
        }
        let mut bus = Bus { stream, serial: 0, inbox: Inbox::default(), queued: Default::default() };
        bus.call(Message::call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "Hello",
            Vec::new(),
        ))?;
        Ok(bus)
    }

    /// Sends `m` (with `fds` for its `h` values); returns its serial.
    pub fn send(&mut self, m: &Message, fds: &[RawFd]) -> io::Result<u32> {
        // Serials are never 0; after u32::MAX they start over (a long-lived watcher asks
        // GetNameOwner for every signal that does not come from logind).
        self.serial = self.serial.checked_add(1).unwrap_or(1);
        let data = encode(m, self.serial);
        send_with_fds(self.stream.as_raw_fd(), &data, fds)?;
        Ok(self.serial)
    }

    /// Calls a method and waits (up to [`BUS_TIMEOUT`]) for its reply; an error reply is an
    /// error.
    pub fn call(&mut self, m: Message) -> io::Result<Message> {
        let serial = self.send(&m, &[])?;
        let deadline = Instant::now() + BUS_TIMEOUT;
        loop {
            let r = self.read_message(Some(deadline)).map_err(|e| match e.kind() {
                io::ErrorKind::TimedOut => io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "no reply from the bus to {} within {} s",
                        m.member.as_deref().unwrap_or("a call"),
                        BUS_TIMEOUT.as_secs()
                    ),
                ),
                _ => e,
            })?;
            if r.reply_serial == Some(serial) && matches!(r.kind, kind::RETURN | kind::ERROR) {
                if r.kind == kind::ERROR {
                    let what = r.error_name.clone().unwrap_or_default();
                    let text = match r.body.first() {
                        Some(Value::Str(s)) => format!("{what}: {s}"),
                        _ => what,
                    };
                    return Err(io::Error::other(text));
                }
                return Ok(r);
            }
            if self.queued.len() < MAX_QUEUED {
                self.queued.push_back(r);
            }
        }
    }

    /// The next message (signals, calls to us), waiting as long as it takes.
    pub fn next_message(&mut self) -> io::Result<Message> {
        if let Some(m) = self.queued.pop_front() {
            return Ok(m);
        }
        self.read_message(None)
    }

    /// [`Bus::next_message`] waiting at most `wait`: `None` when nothing came.
    pub fn next_within(&mut self, wait: Duration) -> io::Result<Option<Message>> {
        if let Some(m) = self.queued.pop_front() {
            return Ok(Some(m));
        }
        match self.read_message(Some(Instant::now() + wait)) {
            Ok(m) => Ok(Some(m)),
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn read_message(&mut self, deadline: Option<Instant>) -> io::Result<Message> {
        loop {
            if let Some(m) = self.inbox.pop()? {
                return Ok(m);
            }
            let timeout = match deadline {
                Some(d) => Some(d.checked_duration_since(Instant::now()).ok_or(io::ErrorKind::TimedOut)?),
                None => None,
            };
            self.stream.set_read_timeout(timeout.map(|t| t.max(Duration::from_millis(1))))?;
            let mut chunk = [0u8; 4096];
            let mut fds = Vec::new();
            let n = match recv_with_fds(self.stream.as_raw_fd(), &mut chunk, &mut fds) {
                Ok(n) => n,
                // A signal to the process (a socket with a timeout is not restarted).
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if deadline.is_some() && e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(io::ErrorKind::TimedOut.into())
                }
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the bus closed the connection"));
            }
            self.inbox.push(&chunk[..n], fds)?;
        }
    }
}

/// One line of the authentication exchange, by `deadline`.
fn read_line(s: &mut UnixStream, deadline: Instant) -> io::Result<String> {
    let late =
        || io::Error::new(io::ErrorKind::TimedOut, "the bus did not answer our authentication in time");
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        let left =
            deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()).ok_or_else(late)?;
        s.set_read_timeout(Some(left))?;
        match s.read(&mut b) {
            Ok(0) => {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the bus closed the connection"))
            }
            Ok(_) => line.push(b[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                return Err(late())
            }
            Err(e) => return Err(e),
        }
        if line.len() > 4096 {
            return Err(Reader::bad());
        }
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

/// The most descriptors one `sendmsg` can carry on Linux (`SCM_MAX_FD`).
const MAX_FDS: usize = 253;

/// A control-message buffer with room for [`MAX_FDS`] descriptors, aligned for `cmsghdr` as
/// the CMSG macros and the reads through their pointers require.
#[repr(C, align(8))]
struct CmsgBuf([u8; 1040]);

impl CmsgBuf {
    fn new() -> CmsgBuf {
        CmsgBuf([0; 1040])
    }
}

fn send_with_fds(sock: RawFd, data: &[u8], fds: &[RawFd]) -> io::Result<()> {
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    let mut cbuf = CmsgBuf::new();
    let len = std::mem::size_of_val(fds);
    // SAFETY: CMSG_SPACE only computes a size.
    if fds.len() > MAX_FDS || unsafe { libc::CMSG_SPACE(len as u32) } as usize > cbuf.0.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} descriptors are more than one message can carry ({MAX_FDS})", fds.len()),
        ));
    }
    // SAFETY: msghdr points at live buffers for the duration of the call; the control
    // buffer is aligned for cmsghdr, large enough for the descriptors (checked above) and
    // filled through the CMSG macros.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            msg.msg_control = cbuf.0.as_mut_ptr() as *mut libc::c_void;
            msg.msg_controllen = libc::CMSG_SPACE(len as u32) as _;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(len as u32) as _;
            std::ptr::copy_nonoverlapping(fds.as_ptr() as *const u8, libc::CMSG_DATA(c), len);
        }
        let n = libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if n as usize != data.len() {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "short write to the bus"));
        }
    }
    Ok(())
}

/// One `recvmsg`: the bytes go to `buf` (their count is returned), the descriptors that came
/// with them to `fds`.
fn recv_with_fds(sock: RawFd, buf: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr() as *mut libc::c_void, iov_len: buf.len() };
    let mut cbuf = CmsgBuf::new();
    // SAFETY: as in send_with_fds; the kernel fills the control buffer, whose headers are
    // walked with the CMSG macros; each descriptor received is taken over as OwnedFd exactly
    // once.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.0.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = cbuf.0.len() as _;
        let n = libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c);
                let count = ((*c).cmsg_len as usize).saturating_sub(libc::CMSG_LEN(0) as usize)
                    / std::mem::size_of::<RawFd>();
                for i in 0..count {
                    let mut fd: RawFd = 0;
                    std::ptr::copy_nonoverlapping(
                        data.add(i * std::mem::size_of::<RawFd>()),
                        &mut fd as *mut RawFd as *mut u8,
                        std::mem::size_of::<RawFd>(),
                    );
                    fds.push(OwnedFd::from_raw_fd(fd));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
        if msg.msg_flags & libc::MSG_CTRUNC != 0 {
            // The kernel closed the descriptors that did not fit: which message they belonged
            // to can no longer be told.
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the bus sent more descriptors than fit"));
        }
        Ok(n as usize)
    }
}

const LOGIN1: &str = "org.freedesktop.login1";
const LOGIN1_PATH: &str = "/org/freedesktop/login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";

/// What the sleep watcher tells the runner.
#[derive(Debug)]
pub enum SleepMsg {
    /// Watching works (`inhibitor`: whether the delay lock was granted too).
    Ready {
        /// The delay lock was granted.
        inhibitor: bool,
    },
    /// No system bus or no logind: nothing to watch.
    Unavailable(String),
    /// The lock could not be had (warned once, as NUT does).
    NoInhibitor(String),
    /// The OS is about to sleep; send the reply once SUSPEND_STARTING is out (the lock is then
    /// released and the sleep goes ahead).
    Preparing(mpsc::Sender<()>),
    /// The OS woke up; `wall` ms passed on the wall clock since it announced the sleep.
    Finished {
        /// Milliseconds since [`SleepMsg::Preparing`].
        wall: i64,
    },
}

/// Starts watching logind in a thread; its news come on the returned channel.
pub fn watch() -> mpsc::Receiver<SleepMsg> {
    match system_bus_path() {
        Some(path) => watch_at(path),
        None => {
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(SleepMsg::Unavailable("DBUS_SYSTEM_BUS_ADDRESS has no unix:path".into()));
            rx
        }
    }
}

/// [`watch`] on the bus at `path`.
pub fn watch_at(path: PathBuf) -> mpsc::Receiver<SleepMsg> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut warned = false;
        loop {
            let err = match watch_once(&path, &tx, &mut warned) {
                Ok(()) => return,
                Err(e) => e,
            };
            if tx.send(SleepMsg::Unavailable(format!("{}: {err}", path.display()))).is_err() {
                return; // the runner is gone
            }
            // The bus or logind may come back (restarted): look again later.
            std::thread::sleep(Duration::from_secs(60));
        }
    });
    rx
}

/// The unique connection name that owns the well-known `name` now, if any.
fn name_owner(bus: &mut Bus, name: &str) -> Option<String> {
    let r = bus
        .call(Message::call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetNameOwner",
            vec![Value::Str(name.into())],
        ))
        .ok()?;
    match r.body.into_iter().next() {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    }
}

/// Whether `m` was sent by logind's own connection. Any local program may send a signal to
/// upsmon's connection (the system bus lets everybody send signals, and the daemon delivers
/// one addressed to us whatever our match rules say); only the owner of
/// `org.freedesktop.login1` speaks for the OS. `owner` caches that owner and is asked again
/// when a sender does not match (logind restarted and got a new connection).
fn from_logind(bus: &mut Bus, m: &Message, owner: &mut Option<String>) -> bool {
    let Some(sender) = m.sender.as_deref() else { return false };
    if owner.as_deref() == Some(sender) {
        return true;
    }
    *owner = name_owner(bus, LOGIN1);
    owner.as_deref() == Some(sender)
}

fn inhibit(bus: &mut Bus) -> io::Result<OwnedFd> {
    let r = bus.call(Message::call(
        LOGIN1,
        LOGIN1_PATH,
        MANAGER,
        "Inhibit",
        vec![
            Value::Str("sleep".into()),
            Value::Str("upsmon".into()),
            Value::Str("Careful handling of OS sleep with regard to power device monitoring".into()),
            Value::Str("delay".into()),
        ],
    ))?;
    r.fds.into_iter().next().ok_or_else(|| io::Error::other("Inhibit returned no descriptor"))
}

/// Watches one bus connection until it fails (`Err`) or the runner is gone (`Ok`).
fn watch_once(path: &std::path::Path, tx: &mpsc::Sender<SleepMsg>, warned: &mut bool) -> io::Result<()> {
    let mut bus = Bus::connect(path)?;
    let rule = format!(
        "type='signal',sender='{LOGIN1}',path='{LOGIN1_PATH}',interface='{MANAGER}',member='PrepareForSleep'"
    );
    bus.call(Message::call(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "AddMatch",
        vec![Value::Str(rule)],
    ))?;
    let mut logind = name_owner(&mut bus, LOGIN1);
    let mut lock = take_lock(&mut bus, tx, warned);
    if tx.send(SleepMsg::Ready { inhibitor: lock.is_some() }).is_err() {
        return Ok(());
    }
    let mut since = SystemTime::now();
    loop {
        let m = bus.next_message()?;
        let is_ours = m.kind == kind::SIGNAL
            && m.member.as_deref() == Some("PrepareForSleep")
            && m.interface.as_deref() == Some(MANAGER)
            && m.path.as_deref() == Some(LOGIN1_PATH)
            && from_logind(&mut bus, &m, &mut logind);
        match m.body.first() {
            Some(Value::Bool(true)) if is_ours => {
                since = SystemTime::now();
                let (ack, done) = mpsc::channel();
                if tx.send(SleepMsg::Preparing(ack)).is_err() {
                    return Ok(());
                }
                // Hold the sleep back until SUSPEND_STARTING is out (logind waits at most
                // InhibitDelayMaxSec anyway).
                let _ = done.recv_timeout(Duration::from_secs(4));
                lock = None;
            }
            Some(Value::Bool(false)) if is_ours => {
                let wall = match SystemTime::now().duration_since(since) {
                    Ok(d) => d.as_millis() as i64,
                    Err(e) => -(e.duration().as_millis() as i64),
                };
                if tx.send(SleepMsg::Finished { wall }).is_err() {
                    return Ok(());
                }
                if lock.is_none() {
                    lock = take_lock(&mut bus, tx, warned);
                }
            }
            _ => {}
        }
    }
}

fn take_lock(bus: &mut Bus, tx: &mpsc::Sender<SleepMsg>, warned: &mut bool) -> Option<OwnedFd> {
    match inhibit(bus) {
        Ok(fd) => Some(fd),
        Err(e) => {
            if !*warned {
                *warned = true;
                let _ = tx.send(SleepMsg::NoInhibitor(e.to_string()));
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let mut m = Message::call(
            LOGIN1,
            LOGIN1_PATH,
            MANAGER,
            "Inhibit",
            vec![Value::Str("sleep".into()), Value::Bool(true), Value::U32(7), Value::Fd(0)],
        );
        m.sender = None;
        let data = encode(&m, 42);
        assert_eq!(message_len(&data).ok().flatten().map(|(_, total)| total), Some(data.len()));
        let back = decode(&data).expect("decode");
        assert_eq!((back.kind, back.serial), (kind::CALL, 42));
        assert_eq!(back.member.as_deref(), Some("Inhibit"));
        assert_eq!(back.destination.as_deref(), Some(LOGIN1));
        assert_eq!(back.path.as_deref(), Some(LOGIN1_PATH));
        assert_eq!(back.body, m.body);
        // Truncated or foreign input is an error or "need more", never a panic.
        for n in 0..data.len() {
            let _ = message_len(&data[..n]);
            let _ = decode(&data[..n]);
        }
        assert!(message_len(b"xxxxxxxxxxxxxxxxxxxx").is_err());
        assert!(decode(b"xxxxxxxxxxxxxxxxxxxx").is_err());
    }

    #[test]
    fn descriptors_pass_and_too_many_are_refused() {
        let (a, b) = UnixStream::pair().expect("socketpair");
        let three = [a.as_raw_fd(); 3];
        send_with_fds(a.as_raw_fd(), b"x", &three).expect("three descriptors go");
        let mut fds = Vec::new();
        let mut buf = [0u8; 8];
        assert_eq!(recv_with_fds(b.as_raw_fd(), &mut buf, &mut fds).expect("recv"), 1);
        assert_eq!(fds.len(), 3);
        // More than the kernel passes in one message: refused before anything is written
        // (the control buffer is sized for MAX_FDS).
        let many = vec![a.as_raw_fd(); MAX_FDS + 1];
        let e = send_with_fds(a.as_raw_fd(), b"y", &many).expect_err("too many descriptors");
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    /// A descriptor to pass around in tests.
    fn some_fd() -> OwnedFd {
        OwnedFd::from(UnixStream::pair().expect("socketpair").0)
    }

    fn signal(body: Vec<Value>) -> Message {
        Message::signal(LOGIN1_PATH, MANAGER, "PrepareForSleep", body)
    }

    #[test]
    fn inbox_splits_a_stream_into_messages_with_their_descriptors() {
        let one = encode(&signal(vec![Value::Bool(true)]), 1);
        let two =
            encode(&Message::call(LOGIN1, LOGIN1_PATH, MANAGER, "X", vec![Value::Fd(0), Value::Fd(1)]), 2);
        let three = encode(&signal(vec![Value::Bool(false)]), 3);
        let two_starts = one.len();
        let stream: Vec<u8> = [one, two, three].concat();
        let mut inbox = Inbox::default();
        let mut got = Vec::new();
        // A byte at a time; the two descriptors come with the first byte of message two.
        for (i, b) in stream.iter().enumerate() {
            let fds = if i == two_starts { vec![some_fd(), some_fd()] } else { Vec::new() };
            inbox.push(&[*b], fds).expect("push");
            while let Some(m) = inbox.pop().expect("pop") {
                got.push(m);
            }
        }
        let serials: Vec<u32> = got.iter().map(|m| m.serial).collect();
        assert_eq!(serials, [1, 2, 3]);
        let fds: Vec<usize> = got.iter().map(|m| m.fds.len()).collect();
        assert_eq!(fds, [0, 2, 0]);
        assert_eq!(got[2].body, [Value::Bool(false)]);
    }

    #[test]
    fn inbox_skips_an_oversized_message_without_buffering_it() {
        let big = encode(&signal(vec![Value::Str("x".repeat(MAX_MESSAGE * 3)), Value::Fd(0)]), 7);
        let small = encode(&signal(vec![Value::Bool(true)]), 8);
        let mut inbox = Inbox::default();
        let mut got = Vec::new();
        let mut most = 0;
        for (i, chunk) in [big, small].concat().chunks(4096).enumerate() {
            inbox.push(chunk, if i == 0 { vec![some_fd()] } else { Vec::new() }).expect("push");
            while let Some(m) = inbox.pop().expect("pop") {
                got.push(m);
            }
            most = most.max(inbox.buf.len());
        }
        assert_eq!(got.iter().map(|m| m.serial).collect::<Vec<_>>(), [8], "only the small one");
        assert!(most <= MAX_MESSAGE, "buffered {most} bytes");
        assert!(inbox.fds.is_empty(), "the big message's descriptor was closed");
    }

    #[test]
    fn inbox_refuses_descriptors_that_do_not_add_up() {
        // Announced but never sent.
        let m = encode(&signal(vec![Value::Fd(0)]), 1);
        let mut inbox = Inbox::default();
        inbox.push(&m, Vec::new()).expect("push");
        assert_eq!(inbox.pop().expect_err("one descriptor missing").kind(), io::ErrorKind::InvalidData);
        // Sent but never claimed, more than a message can carry.
        let mut inbox = Inbox::default();
        let fd = some_fd();
        let many: Vec<OwnedFd> = (0..=MAX_PENDING_FDS).map(|_| fd.try_clone().expect("dup")).collect();
        assert!(inbox.push(b"l", many).is_err());
    }

    #[test]
    fn a_bus_that_dribbles_its_authentication_answer_times_out() {
        let dir = std::env::temp_dir().join(format!("upsmon-bus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let sock = dir.join("bus");
        let _ = std::fs::remove_file(&sock);
        let listener = std::os::unix::net::UnixListener::bind(&sock).expect("bind");
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let (mut c, _) = listener.accept().expect("accept");
            // One byte of "OK <guid>" every 100 ms, never the end of the line.
            while stop_rx.recv_timeout(Duration::from_millis(100)).is_err() {
                if c.write_all(b"O").is_err() {
                    return;
                }
            }
        });
        let e = Bus::connect_within(&sock, Duration::from_millis(500)).err().expect("no bus");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        stop_tx.send(()).expect("server");
        server.join().expect("server thread");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn serials_start_over_after_the_last_one() {
        let (a, mut b) = UnixStream::pair().expect("socketpair");
        let mut bus =
            Bus { stream: a, serial: u32::MAX - 1, inbox: Inbox::default(), queued: Default::default() };
        let serials: Vec<u32> = (0..3).map(|_| bus.send(&signal(Vec::new()), &[]).expect("send")).collect();
        assert_eq!(serials, [u32::MAX, 1, 2]);
        let mut inbox = Inbox::default();
        let mut buf = [0u8; 1024];
        let n = b.read(&mut buf).expect("read");
        inbox.push(&buf[..n], Vec::new()).expect("push");
        assert_eq!(inbox.pop().expect("pop").map(|m| m.serial), Some(u32::MAX));
    }

    #[test]
    fn bus_addresses() {
        let addr = "unix:abstract=/tmp/x,guid=1;unix:path=/run/test/bus,guid=2";
        assert_eq!(bus_path(Some(addr)), Some(PathBuf::from("/run/test/bus")));
        assert_eq!(bus_path(Some("tcp:host=x")), None);
        assert_eq!(bus_path(None), Some(PathBuf::from("/run/dbus/system_bus_socket")));
    }
}
