//! USB-to-serial bridges: how a Megatec/Q1 command travels over the USB
//! converters NUT's nutdrv_qx and blazer_usb support (NUT's `subdriver =`
//! option), as pure functions over a small USB trait.
//!
//! Every bridge takes the command bytes exactly as they would be written to a
//! serial line (e.g. `b"Q1\r"`) and returns the bytes NUT's subdriver leaves in
//! its answer buffer, with NUT's length: `Ok(bytes)` (empty = NUT's "0", i.e.
//! no answer / timeout) or `Err(UsbError)` (NUT's negative libusb codes, which
//! drive the reconnect logic, see [`UsbError::recovery`]). Some bridges
//! (cypress, phoenix, gtec) return the whole last USB chunk, so bytes may
//! follow the CR as they do in NUT; callers look at the answer up to the first
//! NUL/CR and use the length only for NUT's "short reply" check.
//!
//! The facts (request types, indexes, chunk sizes, timeouts, retries) are NUT
//! 2.8.5's `drivers/nutdrv_qx.c` and `drivers/blazer_usb.c`; the code is ours.

use std::time::Duration;

mod ablerex;
mod armac;
mod cypress;
mod fabula;
mod fuji;
mod gtec;
mod hunnox;
mod ippon;
mod krauler;
mod phoenix;
mod phoenixtec;
pub mod port;
mod sgs;
mod snr;

#[cfg(test)]
mod fake;

/// NUT's answer buffer sizes: nutdrv_qx reads into `item->answer` minus one
/// byte (SMALLBUF - 1), blazer_usb into a SMALLBUF buffer.
pub const QX_BUFLEN: usize = 511;
/// See [`QX_BUFLEN`].
pub const BLAZER_BUFLEN: usize = 512;

/// Class request, host to device, to the interface (USB_ENDPOINT_OUT +
/// USB_TYPE_CLASS + USB_RECIP_INTERFACE): HID SET_REPORT carriers.
pub const REQTYPE_CLASS_OUT_IFACE: u8 = 0x21;
/// Class request, device to host, from the interface (HID GET_REPORT).
pub const REQTYPE_CLASS_IN_IFACE: u8 = 0xa1;
/// Vendor request, host to device, to an endpoint (phoenixtec).
pub const REQTYPE_VENDOR_OUT_ENDPOINT: u8 = 0x42;
/// Standard request, device to host, to the device (GET_DESCRIPTOR).
pub const REQTYPE_STANDARD_IN_DEVICE: u8 = 0x80;
/// HID SET_REPORT.
pub const REQ_SET_REPORT: u8 = 0x09;
/// HID GET_REPORT.
pub const REQ_GET_REPORT: u8 = 0x01;
/// Standard GET_DESCRIPTOR.
pub const REQ_GET_DESCRIPTOR: u8 = 0x06;
/// Descriptor type STRING (high byte of wValue).
pub const DT_STRING: u8 = 0x03;
/// The interrupt IN endpoint most converters answer on.
pub const EP_IN_1: u8 = 0x81;

/// libusb's default timeout for string descriptor requests.
pub const STRING_TIMEOUT: Duration = Duration::from_millis(1000);

/// The libusb errors the bridges and NUT's recovery logic distinguish.
/// Messages are libusb's `libusb_strerror` texts, as NUT logs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsbError {
    #[error("Input/Output Error")]
    Io,
    #[error("Invalid parameter")]
    InvalidParam,
    #[error("Access denied (insufficient permissions)")]
    Access,
    #[error("No such device (it may have been disconnected)")]
    NoDevice,
    #[error("Entity not found")]
    NotFound,
    #[error("Resource busy")]
    Busy,
    #[error("Operation timed out")]
    Timeout,
    #[error("Overflow")]
    Overflow,
    #[error("Pipe error")]
    Pipe,
    #[error("Other error")]
    Other,
}

/// What NUT's `qx_command`/`blazer_command` do after a bridge error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// "Got disconnected by another driver": the driver exits.
    Fatal,
    /// Clear the halt on endpoint 0x81; if that fails, reset the device and
    /// reconnect.
    ClearHaltOrReset,
    /// Close the device and reopen it (driver.state reconnect.trying).
    Reconnect,
    /// Keep the handle, the command just failed.
    None,
}

impl UsbError {
    /// NUT's reaction to this error (nutdrv_qx.c qx_command, blazer_usb.c
    /// blazer_command, libusb-1.0 build).
    pub fn recovery(self) -> Recovery {
        match self {
            UsbError::Busy => Recovery::Fatal,
            UsbError::Pipe => Recovery::ClearHaltOrReset,
            UsbError::NoDevice | UsbError::Access | UsbError::Io | UsbError::NotFound => Recovery::Reconnect,
            _ => Recovery::None,
        }
    }
}

/// One endpoint descriptor of the claimed interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointDesc {
    pub address: u8,
    pub attributes: u8,
    pub max_packet_size: u16,
}

/// The shape of the active configuration, as the armac bridge looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceLayout {
    /// bNumInterfaces of the active configuration.
    pub interfaces: u8,
    /// num_altsetting of interface 0.
    pub altsettings: u8,
    /// Endpoints of interface 0, altsetting 0.
    pub endpoints: Vec<EndpointDesc>,
}

/// The USB operations the bridges need. The transport's libusb handle
/// implements it; tests use a scripted fake.
pub trait UsbControl {
    /// Control transfer host to device; returns the bytes accepted.
    fn control_out(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;

    /// Control transfer device to host of at most `len` bytes.
    fn control_in(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError>;

    /// Interrupt transfer in of at most `len` bytes. An empty vector is a
    /// zero-length packet.
    fn interrupt_in(&mut self, endpoint: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError>;

    /// Interrupt transfer out; returns the bytes sent.
    fn interrupt_out(&mut self, endpoint: u8, data: &[u8], timeout: Duration) -> Result<usize, UsbError>;

    /// Clear a halt/stall on an endpoint.
    fn clear_halt(&mut self, endpoint: u8) -> Result<(), UsbError>;

    /// Raw string descriptor `index` in language `langid` (bLength,
    /// bDescriptorType, UTF-16LE text), at most `len` bytes.
    fn string_descriptor(&mut self, index: u8, langid: u16, len: usize) -> Result<Vec<u8>, UsbError> {
        self.control_in(
            REQTYPE_STANDARD_IN_DEVICE,
            REQ_GET_DESCRIPTOR,
            (u16::from(DT_STRING) << 8) | u16::from(index),
            langid,
            len,
            STRING_TIMEOUT,
        )
    }

    /// The active configuration's shape, if known (armac uses it to choose
    /// between its control and interrupt framings).
    fn interface_layout(&mut self) -> Option<InterfaceLayout> {
        None
    }

    /// Wait, as NUT's bridges do between some transfers.
    fn pause(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// NUT's USB subdrivers (`subdriver =` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BridgeKind {
    Cypress,
    Phoenixtec,
    Phoenix,
    Ippon,
    Krauler,
    Fabula,
    Hunnox,
    Fuji,
    Sgs,
    Snr,
    Ablerex,
    Armac,
    Gtec,
}

impl BridgeKind {
    /// nutdrv_qx's list, in NUT's order (as `--help` prints it).
    pub const NUTDRV_QX: &'static [BridgeKind] = &[
        BridgeKind::Cypress,
        BridgeKind::Phoenixtec,
        BridgeKind::Phoenix,
        BridgeKind::Ippon,
        BridgeKind::Krauler,
        BridgeKind::Fabula,
        BridgeKind::Hunnox,
        BridgeKind::Fuji,
        BridgeKind::Sgs,
        BridgeKind::Snr,
        BridgeKind::Ablerex,
        BridgeKind::Armac,
        BridgeKind::Gtec,
    ];

    /// blazer_usb's list, in NUT's order.
    pub const BLAZER_USB: &'static [BridgeKind] =
        &[BridgeKind::Cypress, BridgeKind::Phoenix, BridgeKind::Ippon, BridgeKind::Krauler];

    /// The `subdriver =` value.
    pub fn name(self) -> &'static str {
        match self {
            BridgeKind::Cypress => "cypress",
            BridgeKind::Phoenixtec => "phoenixtec",
            BridgeKind::Phoenix => "phoenix",
            BridgeKind::Ippon => "ippon",
            BridgeKind::Krauler => "krauler",
            BridgeKind::Fabula => "fabula",
            BridgeKind::Hunnox => "hunnox",
            BridgeKind::Fuji => "fuji",
            BridgeKind::Sgs => "sgs",
            BridgeKind::Snr => "snr",
            BridgeKind::Ablerex => "ablerex",
            BridgeKind::Armac => "armac",
            BridgeKind::Gtec => "gtec",
        }
    }

    /// Look a `subdriver =` value up in a driver's list (case-insensitive,
    /// as NUT compares).
    pub fn lookup(list: &[BridgeKind], name: &str) -> Option<BridgeKind> {
        list.iter().copied().find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// Which driver's variant of a bridge to run: blazer_usb's cypress, phoenix,
/// ippon and krauler differ from nutdrv_qx's in small ways (end-of-answer
/// detection, the CR nutdrv_qx adds to answers that lack one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    NutdrvQx,
    BlazerUsb,
}

/// Errors choosing or configuring a bridge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BridgeError {
    #[error("Subdriver '{0}' not found!")]
    UnknownSubdriver(String),
    #[error("langid_fix '{0}': expected a hexadecimal language ID such as 0x409 or 0x4095")]
    BadLangid(String),
    #[error("subdriver 'snr' needs the 'langid_fix' option (NUT cannot talk to it without one)")]
    SnrNeedsLangid,
}

/// Parse `langid_fix`: NUT skips the first two characters (the "0x") and
/// reads a hexadecimal number; the value must fit a USB language ID.
pub fn parse_langid_fix(value: &str) -> Result<u16, BridgeError> {
    let bad = || BridgeError::BadLangid(value.to_string());
    let rest = value.get(2..).ok_or_else(bad)?;
    let rest = rest.trim_start();
    let digits: &str = &rest[..rest.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(rest.len())];
    if digits.is_empty() {
        return Err(bad());
    }
    u32::from_str_radix(digits, 16).ok().and_then(|v| u16::try_from(v).ok()).ok_or_else(bad)
}

/// Options of the USB bridges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BridgeOptions {
    /// `langid_fix`: read string descriptors raw in this language.
    pub langid_fix: Option<u16>,
    /// `novendor`: hunnox then skips its vendor string request.
    pub novendor: bool,
    pub flavor: Flavor,
}

impl Default for BridgeOptions {
    fn default() -> Self {
        BridgeOptions { langid_fix: None, novendor: false, flavor: Flavor::NutdrvQx }
    }
}

/// A USB bridge with its per-connection state (hunnox's lock-step counter,
/// armac's endpoint cache).
#[derive(Debug, Clone)]
pub struct Bridge {
    kind: BridgeKind,
    opts: BridgeOptions,
    hunnox_step: u8,
    armac_endpoints: Option<Option<armac::Endpoints>>,
}

impl Bridge {
    pub fn new(kind: BridgeKind, opts: BridgeOptions) -> Result<Bridge, BridgeError> {
        if kind == BridgeKind::Snr && opts.langid_fix.is_none() {
            return Err(BridgeError::SnrNeedsLangid);
        }
        Ok(Bridge { kind, opts, hunnox_step: 0, armac_endpoints: None })
    }

    pub fn kind(&self) -> BridgeKind {
        self.kind
    }

    pub fn options(&self) -> BridgeOptions {
        self.opts
    }

    /// The driver's answer buffer size.
    pub fn buflen(&self) -> usize {
        match self.opts.flavor {
            Flavor::NutdrvQx => QX_BUFLEN,
            Flavor::BlazerUsb => BLAZER_BUFLEN,
        }
    }

    /// Forget connection state after a reconnect (armac re-reads the
    /// endpoint layout of the new handle only if it never read it: NUT keeps
    /// its cache for the life of the process, and so do we).
    pub fn reset(&mut self) {
        self.hunnox_step = 0;
    }

    /// Send one command and read its answer.
    pub fn command(&mut self, dev: &mut dyn UsbControl, cmd: &[u8]) -> Result<Vec<u8>, UsbError> {
        let buflen = self.buflen();
        let blazer = self.opts.flavor == Flavor::BlazerUsb;
        let answer = match self.kind {
            BridgeKind::Cypress => cypress::command(dev, cmd, buflen, blazer),
            BridgeKind::Phoenix => phoenix::command(dev, cmd, buflen, blazer),
            BridgeKind::Ippon => ippon::command(dev, cmd, buflen, blazer),
            BridgeKind::Krauler => krauler::command(dev, cmd, buflen, self.opts.langid_fix, blazer),
            BridgeKind::Phoenixtec => phoenixtec::command(dev, cmd, buflen),
            BridgeKind::Fabula => fabula::command(dev, cmd, buflen),
            BridgeKind::Hunnox => hunnox::command(
                dev,
                cmd,
                buflen,
                self.opts.langid_fix,
                self.opts.novendor,
                &mut self.hunnox_step,
            ),
            BridgeKind::Fuji => fuji::command(dev, cmd, buflen),
            BridgeKind::Sgs => sgs::command(dev, cmd, buflen),
            BridgeKind::Snr => {
                // new() refuses snr without langid_fix.
                let langid = self.opts.langid_fix.unwrap_or(0x0409);
                snr::command(dev, cmd, buflen, langid)
            }
            BridgeKind::Ablerex => ablerex::command(dev, cmd, buflen),
            BridgeKind::Armac => {
                let eps = *self.armac_endpoints.get_or_insert_with(|| armac::Endpoints::load(dev));
                armac::command(dev, cmd, buflen, eps)
            }
            BridgeKind::Gtec => gtec::command(dev, cmd, buflen),
        }?;
        nut_driver::trace!("read: {}", String::from_utf8_lossy(&answer[..line_len(&answer)]));
        Ok(answer)
    }
}

/// NUT's language-ID probe at start-up when `langid_fix` is set and
/// `noscanlangid` is not: string descriptor 0 (language 0) lists the
/// supported language IDs; NUT logs the first one. Returns it.
pub fn probe_langid(dev: &mut dyn UsbControl) -> Option<u16> {
    let d = dev.string_descriptor(0, 0, 255).ok()?;
    if d.len() >= 4 {
        let langid = u16::from_le_bytes([d[2], d[3]]);
        nut_driver::debug!(
            "First supported language ID: 0x{:x} (please report to the NUT maintainer!)",
            langid
        );
        Some(langid)
    } else {
        None
    }
}

// ---- helpers shared by the bridges -------------------------------------

/// Length of a C string in `buf` (up to the first NUL).
pub(crate) fn c_len(buf: &[u8]) -> usize {
    buf.iter().position(|&b| b == 0).unwrap_or(buf.len())
}

/// NUT's `strcspn(buf, "\r")`: up to the first CR or NUL.
pub(crate) fn line_len(buf: &[u8]) -> usize {
    buf.iter().position(|&b| b == 0 || b == b'\r').unwrap_or(buf.len())
}

/// C `strncmp(a, b, n) == 0` over byte strings that end at a NUL or at
/// their slice end.
pub(crate) fn c_strneq(a: &[u8], b: &[u8], n: usize) -> bool {
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        if x != y {
            return false;
        }
        if x == 0 {
            return true;
        }
    }
    true
}

/// C `strcmp(a, b) == 0`.
pub(crate) fn c_streq(a: &[u8], b: &[u8]) -> bool {
    a[..c_len(a)] == b[..c_len(b)]
}

/// `snprintf(buf, buflen, "%s", cmd)`: echo an unsupported command back, as
/// a Megatec UPS does. Returns the buffer (truncated) and NUT's length
/// (snprintf's would-be length).
pub(crate) fn echo(cmd: &[u8], buflen: usize) -> Vec<u8> {
    let n = c_len(cmd);
    let mut out = cmd[..n.min(buflen.saturating_sub(1))].to_vec();
    // NUT returns snprintf's length even if it truncated; the buffer never
    // holds more than buflen - 1 bytes, so pad to keep our length NUT's.
    out.resize(n, 0);
    out
}

/// nutdrv_qx adds the CR the serial line would have carried when the
/// converter dropped it (if there is room).
pub(crate) fn add_missing_cr(buf: &mut Vec<u8>, buflen: usize) {
    if !buf.is_empty() && !buf.contains(&b'\r') && buf.len() < buflen.saturating_sub(1) {
        nut_driver::trace!("the reply lacks the expected terminating CR: adding it");
        buf.push(b'\r');
    }
}

/// "UPS No Ack" (any case) as the whole line: the string-descriptor
/// converters' way to say "done, nothing to report".
pub(crate) fn is_no_ack(buf: &[u8]) -> bool {
    line_len(buf) == 10 && buf[..10].eq_ignore_ascii_case(b"UPS No Ack")
}

/// NUT's in-place UTF-16LE to ASCII conversion of a raw string descriptor
/// read with `langid_fix` (any character with a high byte becomes '?').
pub(crate) fn raw_descriptor_to_ascii(desc: &[u8], buflen: usize) -> Vec<u8> {
    let size = desc.first().copied().unwrap_or(0) as usize;
    let mut out = Vec::new();
    let mut si = 2;
    while si < size {
        if out.len() >= buflen.saturating_sub(1) {
            break;
        }
        let lo = desc.get(si).copied().unwrap_or(0);
        let hi = desc.get(si + 1).copied().unwrap_or(0);
        out.push(if hi != 0 { b'?' } else { lo });
        si += 2;
    }
    out
}

/// libusb's `libusb_get_string_descriptor_ascii` (NUT's
/// `usb_get_string_simple`): the first language of descriptor 0, then the
/// string in that language, non-ASCII characters as '?', at most
/// `buflen - 1` characters.
pub(crate) fn string_ascii(dev: &mut dyn UsbControl, index: u8, buflen: usize) -> Result<Vec<u8>, UsbError> {
    if index == 0 {
        return Err(UsbError::InvalidParam);
    }
    let langs = dev.string_descriptor(0, 0, 4)?;
    if langs.len() != 4 || langs[0] < 4 || langs[1] != DT_STRING {
        return Err(UsbError::Io);
    }
    let langid = u16::from_le_bytes([langs[2], langs[3]]);
    let d = dev.string_descriptor(index, langid, 255)?;
    if d.len() < 2 || d[0] as usize > d.len() || d[1] != DT_STRING {
        return Err(UsbError::Io);
    }
    let size = d[0] as usize;
    let mut out = Vec::new();
    let mut si = 2;
    while si < size {
        if out.len() >= buflen.saturating_sub(1) {
            break;
        }
        let lo = d[si];
        let hi = d.get(si + 1).copied().unwrap_or(0);
        out.push(if lo & 0x80 != 0 || hi != 0 { b'?' } else { lo });
        si += 2;
    }
    Ok(out)
}

/// C `sscanf` `%lf` prefix: returns the number and the rest.
fn scan_double(s: &[u8]) -> Option<(f64, &[u8])> {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let f = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - f;
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let e = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j > e {
            i = j;
        }
    }
    let text = std::str::from_utf8(&s[start..i]).ok()?;
    let text = text.strip_suffix('.').unwrap_or(text);
    let v: f64 = text.parse().ok()?;
    Some((v, &s[i..]))
}

/// C `sscanf` `%d` prefix.
fn scan_int(s: &[u8]) -> Option<i64> {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let d = i;
    while i < s.len() && s[i].is_ascii_digit() && i - d < 18 {
        i += 1;
    }
    if i == d {
        return None;
    }
    std::str::from_utf8(&s[start..i]).ok()?.parse().ok()
}

/// A Megatec shutdown command `S<n>R<m>` / `S<n>`: (n, Some(m)) or (n, None)
/// (NUT's sscanf patterns `S%lfR%d\r` then `S%lf\r`).
pub(crate) fn parse_shutdown(cmd: &[u8]) -> Option<(f64, Option<i64>)> {
    let rest = cmd.strip_prefix(b"S")?;
    let (n, rest) = scan_double(rest)?;
    let m = rest.strip_prefix(b"R").and_then(scan_int);
    Some((n, m))
}

/// fabula/hunnox: the string index that carries a Megatec shutdown:
/// 0x(1..F)0 stays off, 0x(1..F)8 returns; the high nibble is the delay
/// (.5 to .9 minutes, then 1 to 10 minutes).
/// Without `R<m>` NUT's m keeps its initial -1: the shutdown returns.
pub(crate) fn shutdown_index(n: f64, m: Option<i64>) -> i32 {
    // NaN stays NaN (and ends as index 0 or 8), as in NUT.
    let delay = if n.is_nan() { n } else { n.clamp(0.5, 10.0) };
    let mut index = if delay < 1.0 {
        (16.0 + ((delay - 0.5) * 10.0).round() * 16.0) as i32
    } else {
        (96.0 + (delay - 1.0) * 16.0) as i32
    };
    if m != Some(0) {
        index += 8;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn langid_fix_is_read_as_nut_reads_it() {
        assert_eq!(parse_langid_fix("0x409"), Ok(0x409));
        assert_eq!(parse_langid_fix("0x4095"), Ok(0x4095));
        assert_eq!(parse_langid_fix("0X0409"), Ok(0x409));
        // NUT skips two characters whatever they are.
        assert_eq!(parse_langid_fix("409"), Ok(0x9));
        assert!(parse_langid_fix("0x").is_err());
        assert!(parse_langid_fix("0xZZ").is_err());
        assert!(parse_langid_fix("x").is_err());
        assert!(parse_langid_fix("0x10000").is_err());
    }

    #[test]
    fn subdriver_names_follow_nut_lists() {
        let names: Vec<_> = BridgeKind::NUTDRV_QX.iter().map(|k| k.name()).collect();
        assert_eq!(
            names,
            [
                "cypress",
                "phoenixtec",
                "phoenix",
                "ippon",
                "krauler",
                "fabula",
                "hunnox",
                "fuji",
                "sgs",
                "snr",
                "ablerex",
                "armac",
                "gtec"
            ]
        );
        assert_eq!(BridgeKind::lookup(BridgeKind::NUTDRV_QX, "Krauler"), Some(BridgeKind::Krauler));
        assert_eq!(BridgeKind::lookup(BridgeKind::BLAZER_USB, "fabula"), None);
        assert_eq!(BridgeKind::lookup(BridgeKind::BLAZER_USB, "PHOENIX"), Some(BridgeKind::Phoenix));
    }

    #[test]
    fn snr_without_langid_fix_is_refused() {
        assert_eq!(
            Bridge::new(BridgeKind::Snr, BridgeOptions::default()).err(),
            Some(BridgeError::SnrNeedsLangid)
        );
    }

    #[test]
    fn shutdown_commands_map_to_fabula_indexes() {
        // S.5 (30 s) stay off: 0x10; S.5R0001 returns: 0x18; S01R0000: 0x60;
        // S10: 0xF0 + 8; below .5 clamps to .5, above 10 to 10.
        let idx = |c: &[u8]| {
            let (n, m) = parse_shutdown(c).expect("parsed");
            shutdown_index(n, m)
        };
        assert_eq!(idx(b"S.5R0000\r"), 0x10);
        assert_eq!(idx(b"S.5R0001\r"), 0x18);
        assert_eq!(idx(b"S.9R0000\r"), 0x50);
        assert_eq!(idx(b"S01R0000\r"), 0x60);
        assert_eq!(idx(b"S02R0003\r"), 0x78);
        assert_eq!(idx(b"S10\r"), 0xf8);
        assert_eq!(idx(b"S.2R0000\r"), 0x10);
        assert_eq!(idx(b"S99R0000\r"), 0xf0);
        assert_eq!(parse_shutdown(b"SX\r"), None);
        assert_eq!(parse_shutdown(b"Q1\r"), None);
    }

    #[test]
    fn errors_drive_nut_recovery() {
        assert_eq!(UsbError::Busy.recovery(), Recovery::Fatal);
        assert_eq!(UsbError::Pipe.recovery(), Recovery::ClearHaltOrReset);
        assert_eq!(UsbError::NoDevice.recovery(), Recovery::Reconnect);
        assert_eq!(UsbError::Io.recovery(), Recovery::Reconnect);
        assert_eq!(UsbError::Timeout.recovery(), Recovery::None);
        assert_eq!(UsbError::Timeout.to_string(), "Operation timed out");
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use std::time::Duration;

    /// A device answering every request with random bytes, lengths and errors.
    struct Chaos(u64);

    impl Chaos {
        fn next(&mut self) -> u64 {
            // xorshift64
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn bytes(&mut self, max: usize) -> Result<Vec<u8>, UsbError> {
            match self.next() % 10 {
                0 => Err(UsbError::Timeout),
                1 => Err([UsbError::Pipe, UsbError::Io, UsbError::NoDevice, UsbError::Overflow]
                    [(self.next() % 4) as usize]),
                _ => {
                    let n = (self.next() as usize) % (max + 1);
                    let special = [b'\r', 0, b'(', b'#', b' ', b'0', b'1'];
                    Ok((0..n)
                        .map(|_| {
                            let r = self.next();
                            if r.is_multiple_of(3) {
                                special[(r as usize / 3) % special.len()]
                            } else {
                                r as u8
                            }
                        })
                        .collect())
                }
            }
        }
    }

    impl UsbControl for Chaos {
        fn control_out(
            &mut self,
            _: u8,
            _: u8,
            _: u16,
            _: u16,
            d: &[u8],
            _: Duration,
        ) -> Result<usize, UsbError> {
            match self.next() % 8 {
                0 => Err(UsbError::Timeout),
                1 => Ok(0),
                2 => Ok((self.next() as usize) % (d.len() + 1)),
                _ => Ok(d.len()),
            }
        }
        fn control_in(
            &mut self,
            _: u8,
            _: u8,
            _: u16,
            _: u16,
            len: usize,
            _: Duration,
        ) -> Result<Vec<u8>, UsbError> {
            self.bytes(len)
        }
        fn interrupt_in(&mut self, _: u8, len: usize, _: Duration) -> Result<Vec<u8>, UsbError> {
            self.bytes(len)
        }
        fn interrupt_out(&mut self, _: u8, d: &[u8], _: Duration) -> Result<usize, UsbError> {
            Ok(d.len())
        }
        fn clear_halt(&mut self, _: u8) -> Result<(), UsbError> {
            Ok(())
        }
        fn interface_layout(&mut self) -> Option<InterfaceLayout> {
            self.next().is_multiple_of(2).then(|| InterfaceLayout {
                interfaces: 1,
                altsettings: 1,
                endpoints: vec![
                    EndpointDesc { address: 0x82, attributes: 3, max_packet_size: 64 },
                    EndpointDesc { address: 0x02, attributes: 3, max_packet_size: 64 },
                ],
            })
        }
        fn pause(&mut self, _: Duration) {}
    }

    #[test]
    fn no_bridge_panics_or_hangs_on_random_devices() {
        let cmds: &[&[u8]] = &[
            b"Q1\r",
            b"F\r",
            b"I\r",
            b"Q\r",
            b"T\r",
            b"C\r",
            b"CT\r",
            b"TL\r",
            b"QGS\r",
            b"QPI\r",
            b"QS\r",
            b"M\r",
            b"S.5R0001\r",
            b"S10R0000\r",
            b"Snan\r",
            b"S-3R-1\r",
            b"BL\r",
            b"Q5\r",
            b"",
            b"\0\r",
            b"PSDV120.0 with a rather long parameter list to cross the 64 byte limit of some bridges\r",
        ];
        let mut chaos = Chaos(0x9e37_79b9_7f4a_7c15);
        for &kind in BridgeKind::NUTDRV_QX {
            for flavor in [Flavor::NutdrvQx, Flavor::BlazerUsb] {
                for langid_fix in [None, Some(0x0409)] {
                    let opts = BridgeOptions { langid_fix, novendor: false, flavor };
                    let Ok(mut b) = Bridge::new(kind, opts) else { continue };
                    for i in 0..300 {
                        let cmd = cmds[i % cmds.len()];
                        if let Ok(a) = b.command(&mut chaos, cmd) {
                            assert!(a.len() <= b.buflen() + 1, "{kind:?}: {} bytes", a.len());
                        }
                    }
                }
            }
        }
    }
}
