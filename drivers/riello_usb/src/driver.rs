//! The nut-driver glue of riello_usb: NUT 2.8.5's `upsdrv_initups` (open the device the
//! options select, publish `ups.vendorid`/`ups.productid`), `upsdrv_initinfo` (the bridge's
//! feature report, GPSER identification and nominal values), `upsdrv_updateinfo` (status and
//! extended measures), the instant commands and the shutdown sequence. Protocol, decoding and
//! publishing are `nut-riello`'s, as riello_ser's GPSER path.
//!
//! Deliberate differences from NUT 2.8.5 (docs/man/riello_usb.8): a poll whose answer does not
//! come, or comes damaged or refused, makes the data stale at once (NUT waits for ten failed
//! polls); an answer is awaited 3 s in all (NUT: up to 300 reads of 1 s); a device that went
//! away is reopened with nut-transport's backoff, counting `reconnect_max_tries`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use nut_driver::reconnect::{Reconnect, Trying};
use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, Flags, OptKind, OptSpec, State};
use nut_riello::parse::{self, RielloData};
use nut_riello::protocol::{self, Answer, Deframer, Kind};
use nut_riello::publish::{self, Battery};
use nut_transport::recover::{Recovery, Step};
use nut_transport::usb::DeviceInfo;

use crate::framing;
use crate::usb::{self, Pipe, PipeError};

/// How long an answer may take in all.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);
/// NUT's pause after each bulk-out packet (USB_WRITE_DELAY, 200 ms).
pub const WRITE_DELAY: Duration = Duration::from_millis(200);
/// NUT's pause between bulk-in packets.
const READ_PAUSE: Duration = Duration::from_millis(10);
/// Shutdown attempts (NUT's MAXTRIES).
const MAXTRIES: u32 = 3;

/// Opens the device: a real one ([`usb::open`]) or a simulated one in tests.
pub type Opener = Box<dyn FnMut(&Context) -> Result<(Box<dyn Pipe + Send>, DeviceInfo), DriverError>>;

/// Run the driver (NUT's `main` for `riello_usb`).
pub fn main(args: Vec<String>) -> ExitCode {
    nut_driver::run(args, RielloUsb::new(Box::new(usb::open)))
}

/// How an exchange ended without a usable answer.
#[derive(Debug)]
pub enum Failure {
    /// Nothing framed within the time.
    Timeout,
    /// The answer's check is wrong.
    BadCheck,
    /// GPSER's NAK: the command is not supported.
    Nak,
    /// The device went away: reopen it.
    Gone(String),
    /// Another driver took the device.
    Busy,
    /// A stall or another transfer error.
    Transfer(String),
}

/// The driver.
pub struct RielloUsb {
    opener: Opener,
    pipe: Option<Box<dyn Pipe + Send>>,
    write_delay: Duration,
    crc: bool,
    data: RielloData,
    local: Option<Battery>,
    localcalculation: bool,
    recovery: Recovery,
    reconnect: Reconnect,
    upsname: String,
    failing: bool,
}

impl std::fmt::Debug for RielloUsb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RielloUsb").field("crc", &self.crc).field("failing", &self.failing).finish()
    }
}

/// NUT's `atoi`/`strtod` of a variable's value: the leading number, else 0.
fn strtod(s: &str) -> f64 {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0))
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    t[..end].parse().unwrap_or(0.0)
}

impl RielloUsb {
    /// A driver that opens its device with `opener`.
    pub fn new(opener: Opener) -> RielloUsb {
        RielloUsb {
            opener,
            pipe: None,
            write_delay: WRITE_DELAY,
            crc: false,
            data: RielloData::default(),
            local: None,
            localcalculation: false,
            recovery: Recovery::default(),
            reconnect: Reconnect::default(),
            upsname: String::new(),
            failing: false,
        }
    }

    /// The pause after each bulk-out packet (NUT's 200 ms; a simulated device needs none).
    pub fn with_write_delay(mut self, d: Duration) -> RielloUsb {
        self.write_delay = d;
        self
    }

    /// Send `req` in bulk packets, then read packets until the deframer completes an answer
    /// (NUT's `cypress_command`).
    pub fn exchange(&mut self, req: &[u8], timeout: Duration) -> Result<Answer, Failure> {
        let crc = self.crc;
        let delay = self.write_delay;
        let pipe = self.pipe.as_mut().ok_or_else(|| Failure::Gone("not open".into()))?;
        let deadline = Instant::now() + timeout;
        for p in framing::packets(req) {
            pipe.bulk_out(&p, usb::TRANSFER_TIMEOUT).map_err(failure)?;
            if !delay.is_zero() {
                std::thread::sleep(delay);
            }
        }
        let mut d = Deframer::new(Kind::Gpser, crc);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Failure::Timeout);
            }
            let packet = match pipe.bulk_in(framing::PACKET, left.min(usb::TRANSFER_TIMEOUT)) {
                Ok(p) => p,
                Err(PipeError::Other(e)) => {
                    // NUT: a stall on 0x81 is cleared and the command fails this time.
                    pipe.clear_halt();
                    return Err(Failure::Transfer(e));
                }
                Err(e) => return Err(failure(e)),
            };
            let bytes = framing::payload(&packet);
            nut_driver::trace!("read: {packet:02X?}");
            if let Some(a) = d.feed(bytes) {
                return if a.nak {
                    Err(Failure::Nak)
                } else if a.bad_check {
                    Err(Failure::BadCheck)
                } else {
                    Ok(a)
                };
            }
            if bytes.is_empty() {
                std::thread::sleep(READ_PAUSE);
            }
        }
    }

    /// NUT's `start_ups_comm` and the identification and nominal reads of `upsdrv_initinfo`;
    /// publishes the start-up variables.
    fn start(&mut self, state: &mut State) -> Result<(), DriverError> {
        if let Some(p) = self.pipe.as_mut() {
            let (rt, r, v, i, data) = usb::SET_FEATURES;
            match p.control_out((rt, r, v, i), &data, usb::TRANSFER_TIMEOUT) {
                Ok(()) => nut_driver::trace!("send: features report ok"),
                Err(e) => nut_driver::trace!("send: features report: {e:?}"),
            }
        }
        self.crc = false;
        let ident = match self.exchange(&protocol::gi(), ANSWER_TIMEOUT) {
            Ok(a) => a,
            Err(Failure::BadCheck | Failure::Nak) => {
                return Err(DriverError::Device("Bad checksum or NACK".into()))
            }
            Err(e) => {
                nut_driver::debug!("Get identif err: {e:?}");
                return Err(DriverError::Device("No communication with UPS".into()));
            }
        };
        nut_driver::debug!("Communication with UPS established");
        parse::parse_gi(&ident.buf, &mut self.data);
        self.crc = self.data.gpser_crc();
        let user = |v: &str| state.get_info(v).map(strtod);
        let (user_nominal, user_low, user_high) =
            (user("battery.voltage.nominal"), user("battery.voltage.low"), user("battery.voltage.high"));
        let nominal = match self.exchange(&protocol::gn(self.crc), ANSWER_TIMEOUT) {
            Ok(a) => {
                parse::parse_gn(&a.buf, &mut self.data);
                true
            }
            Err(e) => {
                nut_driver::debug!("Get nominal Ko: {e:?}");
                false
            }
        };
        let (mut vars, battery) = publish::init_vars(
            &self.data,
            nominal,
            Kind::Gpser,
            self.localcalculation,
            user_nominal,
            user_low,
            user_high,
        );
        // riello_usb (unlike riello_ser's GPSER path) publishes the built-in 12 V nominal when
        // GN fails and the configuration sets none.
        if !nominal && user_nominal.is_none() {
            let at = vars.iter().position(|(k, _)| k == "battery.voltage.low").unwrap_or(vars.len());
            vars.insert(at, ("battery.voltage.nominal".into(), format!("{:.1}", battery.nominal)));
        }
        for (k, v) in &vars {
            state.set_info(k, v);
        }
        for var in ["ups.delay.shutdown", "ups.delay.reboot"] {
            state.set_flags(var, Flags { rw: true, string: true, number: false });
            state.set_aux(var, 3);
        }
        for c in publish::commands(Kind::Gpser) {
            state.add_cmd(c);
        }
        self.local = self.localcalculation.then_some(battery);
        Ok(())
    }

    /// One poll's exchanges (`get_ups_status`, `get_ups_extended`): `Ok(extended)`.
    fn read(&mut self) -> Result<bool, Failure> {
        let numread = if self.data.input_monophase() {
            42
        } else if self.data.output_monophase() {
            48
        } else {
            64
        };
        let a = self.exchange(&protocol::rs(self.crc), ANSWER_TIMEOUT)?;
        parse::parse_rs(&a.buf, &mut self.data, numread);
        match self.exchange(&protocol::re(self.crc), ANSWER_TIMEOUT) {
            Ok(a) => {
                parse::parse_re(&a.buf, &mut self.data);
                Ok(true)
            }
            // Optional: a refusal keeps (and publishes) the previous values, as NUT.
            Err(Failure::Nak) => Ok(true),
            Err(e @ (Failure::Gone(_) | Failure::Busy)) => Err(e),
            Err(_) => Ok(false),
        }
    }

    /// Send a command and judge the answer as NUT does: a refusal, a bad check or a failed
    /// transfer fails it; no answer in time counts as done.
    fn command(&mut self, req: &[u8]) -> CmdResult {
        match self.exchange(req, ANSWER_TIMEOUT) {
            Ok(_) | Err(Failure::Timeout) => CmdResult::Handled,
            Err(Failure::Nak) => {
                nut_driver::debug!("command not supported by the UPS");
                CmdResult::Failed
            }
            Err(Failure::BadCheck) => {
                nut_driver::debug!("command answer: bad CRC or checksum");
                CmdResult::Failed
            }
            Err(e) => {
                nut_driver::warn!("command: {e:?}");
                CmdResult::Failed
            }
        }
    }

    fn reopen(&mut self, state: &mut State) -> Result<(), String> {
        match self.pipe.as_mut() {
            Some(p) => p.reconnect()?,
            None => return Err("no device".into()),
        }
        // NUT's riello_command runs upsdrv_initinfo again after reopening.
        self.start(state).map_err(|e| e.to_string())
    }
}

fn failure(e: PipeError) -> Failure {
    match e {
        PipeError::Timeout => Failure::Timeout,
        PipeError::Gone(s) => Failure::Gone(s),
        PipeError::Busy => Failure::Busy,
        PipeError::Other(s) => Failure::Transfer(s),
    }
}

impl Driver for RielloUsb {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Riello USB driver", version: "0.17" }
    }

    fn experimental(&self) -> bool {
        // NUT 2.8.5's riello_usb is DRV_EXPERIMENTAL.
        true
    }

    fn options(&self) -> Vec<OptSpec> {
        let mut v: Vec<OptSpec> =
            usb::USB_VARS.iter().map(|&(name, help, kind)| OptSpec { name, kind, help }).collect();
        v.push(OptSpec {
            name: "localcalculation",
            kind: OptKind::Flag,
            help: "Calculate battery charge and runtime locally",
        });
        v
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        self.upsname = ctx.upsname.clone();
        self.reconnect = Reconnect::from_context(ctx);
        self.localcalculation = ctx.flag("localcalculation");
        for (k, v) in &ctx.defaults {
            state.set_default(k, v);
        }
        for (k, v) in &ctx.overrides {
            state.set_override(k, v);
        }
        let (pipe, info) = (self.opener)(ctx)?;
        self.pipe = Some(pipe);
        state.set_info("ups.vendorid", &format!("{:04x}", info.vendor_id));
        state.set_info("ups.productid", &format!("{:04x}", info.product_id));
        if self.localcalculation {
            nut_driver::debug!(
                "Will guesstimate battery charge and runtime instead of trusting device readings (if any); \
                 consider also setting default.battery.voltage.low and default.battery.voltage.high for this device"
            );
        }
        self.start(state)
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let now = Instant::now();
        match self.recovery.step(now) {
            Step::Read => {}
            Step::Wait => {
                state.data_stale();
                return Ok(());
            }
            Step::Reconnect => {
                if let Trying::GiveUp(why) = self.reconnect.trying(&self.upsname) {
                    return Err(DriverError::GiveUp(why));
                }
                match self.reopen(state) {
                    Ok(()) => {
                        self.recovery.reconnected();
                        self.reconnect.success(&self.upsname);
                        nut_driver::info!("Communication with UPS is re-established! (device reopened)");
                    }
                    Err(e) => {
                        let wait = self.recovery.attempt_failed(now);
                        nut_driver::debug!("reopening the USB device failed: {e}; next try in {wait:?}");
                        state.data_stale();
                        return Ok(());
                    }
                }
            }
        }
        match self.read() {
            Ok(extended) => {
                if self.failing {
                    nut_driver::info!("Communication with UPS is re-established!");
                    self.failing = false;
                }
                let (vars, status) = publish::update_vars(&self.data, extended, self.local.as_ref());
                for (k, v) in &vars {
                    state.set_info(k, v);
                }
                state.status_init();
                for t in status {
                    state.status_set(t);
                }
                state.status_commit();
                state.data_ok();
            }
            Err(Failure::Busy) => {
                return Err(DriverError::Device("Got disconnected by another driver".into()));
            }
            Err(Failure::Gone(e)) => {
                if self.recovery.failed(now) {
                    nut_driver::warn!("Communication with UPS is lost: {e}");
                }
                self.failing = true;
                state.data_stale();
            }
            Err(f) => {
                if !self.failing {
                    nut_driver::warn!("Communication with UPS is lost: status read failed! ({f:?})");
                }
                self.failing = true;
                state.data_stale();
            }
        }
        Ok(())
    }

    fn instcmd(&mut self, cmd: &str, _param: Option<&str>, state: &mut State) -> CmdResult {
        let crc = self.crc;
        if cmd.starts_with("load.") || cmd.starts_with("shutdown.") {
            nut_driver::info!(
                "Processing command '{cmd}' while ups.status is '{}'",
                state.get_info("ups.status").unwrap_or("(null)")
            );
        }
        let delay = |var: &str| u16::try_from(strtod(state.get_info(var).unwrap_or("0")) as i64).ok();
        let r = match cmd {
            "load.off" | "load.off.delay" | "shutdown.return" => {
                let d = if cmd == "load.off" { Some(0) } else { delay("ups.delay.shutdown") };
                let Some(d) = d else { return CmdResult::Failed };
                self.command(&protocol::cs(crc, d))
            }
            "load.on" | "load.on.delay" => {
                let d = if cmd == "load.on" { Some(0) } else { delay("ups.delay.reboot") };
                let Some(d) = d else { return CmdResult::Failed };
                self.command(&protocol::cr(crc, d))
            }
            "shutdown.stop" => self.command(&protocol::cd(crc)),
            "test.panel.start" => self.command(&protocol::tp(crc)),
            "test.battery.start" => self.command(&protocol::tb(crc)),
            _ => {
                nut_driver::info!("instcmd: unknown command [{cmd}]");
                return CmdResult::Unknown;
            }
        };
        nut_driver::debug!("Command {cmd}: {r:?}");
        r
    }

    fn shutdown(&mut self, state: &mut State) -> Result<(), DriverError> {
        for _ in 0..MAXTRIES {
            if self.instcmd("shutdown.stop", None, state) != CmdResult::Handled {
                continue;
            }
            if self.instcmd("shutdown.return", None, state) != CmdResult::Handled {
                continue;
            }
            nut_driver::error!("Shutting down");
            return Ok(());
        }
        Err(DriverError::Device("Shutdown failed!".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A device that answers from a script of bulk-in results and records what it gets.
    #[derive(Default)]
    struct Script {
        reads: Vec<Result<Vec<u8>, PipeError>>,
        sent: Vec<Vec<u8>>,
        halts: usize,
    }

    struct Scripted(Arc<Mutex<Script>>);

    impl Pipe for Scripted {
        fn control_out(&mut self, _r: (u8, u8, u16, u16), _d: &[u8], _t: Duration) -> Result<(), PipeError> {
            Ok(())
        }
        fn bulk_out(&mut self, p: &[u8], _t: Duration) -> Result<(), PipeError> {
            self.0.lock().map_err(|_| PipeError::Gone("poisoned".into()))?.sent.push(p.to_vec());
            Ok(())
        }
        fn bulk_in(&mut self, _len: usize, _t: Duration) -> Result<Vec<u8>, PipeError> {
            let mut s = self.0.lock().map_err(|_| PipeError::Gone("poisoned".into()))?;
            if s.reads.is_empty() {
                Err(PipeError::Timeout)
            } else {
                s.reads.remove(0)
            }
        }
        fn clear_halt(&mut self) {
            if let Ok(mut s) = self.0.lock() {
                s.halts += 1;
            }
        }
        fn reconnect(&mut self) -> Result<(), String> {
            Ok(())
        }
    }

    fn driver(script: &Arc<Mutex<Script>>) -> RielloUsb {
        let mut d = RielloUsb::new(Box::new(|_: &Context| Err(DriverError::Device("unused".into()))))
            .with_write_delay(Duration::ZERO);
        d.pipe = Some(Box::new(Scripted(Arc::clone(script))));
        d
    }

    fn packetize(bytes: &[u8]) -> Vec<Result<Vec<u8>, PipeError>> {
        bytes
            .chunks(7)
            .flat_map(|c| {
                let mut p = vec![0x30 + c.len() as u8];
                p.extend_from_slice(c);
                p.resize(8, 0);
                // An empty packet between data packets, as an idle bridge returns.
                [Ok(vec![0x30, 0, 0, 0, 0, 0, 0, 0]), Ok(p)]
            })
            .collect()
    }

    #[test]
    fn an_answer_spread_over_packets_is_read() {
        let answer = protocol::gpser_answer(b"\x22\x20RS0012345678", false);
        let script = Arc::new(Mutex::new(Script { reads: packetize(&answer), ..Script::default() }));
        let mut d = driver(&script);
        let a = d.exchange(&protocol::rs(false), ANSWER_TIMEOUT).map_err(|e| format!("{e:?}"));
        assert_eq!(a.map(|a| a.buf[..a.len].to_vec()), Ok(answer));
        let s = script.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert_eq!(
            s.sent,
            framing::packets(&protocol::rs(false)).iter().map(|p| p.to_vec()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn without_nominal_values_the_built_in_12_v_is_published() {
        // NUT 2.8.5's riello_usb (unlike riello_ser's GPSER path) publishes
        // battery.voltage.nominal 12.0 when GN goes unanswered and nothing configures it.
        let mut body = b"\x22\x20GI60".to_vec();
        body.extend_from_slice(&[b' '; 16]);
        body.extend_from_slice(b"ULC2            SWM039-01-0310000002    ");
        let gi = protocol::gpser_answer(&body, false);
        let script = Arc::new(Mutex::new(Script { reads: packetize(&gi), ..Script::default() }));
        let mut pipe = Some(Scripted(Arc::clone(&script)));
        let mut d = RielloUsb::new(Box::new(move |_: &Context| {
            let p = pipe.take().ok_or_else(|| DriverError::Device("opened twice".into()))?;
            Ok((
                Box::new(p) as Box<dyn Pipe + Send>,
                DeviceInfo { vendor_id: 0x04b4, product_id: 0x5500, ..DeviceInfo::default() },
            ))
        }))
        .with_write_delay(Duration::ZERO);
        let mut st = State::new();
        d.init(&Context::default(), &mut st).map_err(|e| e.to_string()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(st.get_info("ups.model"), Some("ULC2           "));
        assert_eq!(st.get_info("battery.voltage.nominal"), Some("12.0"));
        assert_eq!(st.get_info("battery.voltage.low"), Some("10.4"));
        assert_eq!(st.get_info("ups.power.nominal"), None, "no GN answer");
        assert_eq!(st.get_info("ups.vendorid"), Some("04b4"));
    }

    #[test]
    fn transfer_failures_are_told_apart() {
        let script = Arc::new(Mutex::new(Script::default()));
        let mut d = driver(&script);
        assert!(matches!(d.exchange(&protocol::rs(false), ANSWER_TIMEOUT), Err(Failure::Timeout)));
        script.lock().unwrap_or_else(std::sync::PoisonError::into_inner).reads =
            vec![Err(PipeError::Other("stall".into()))];
        assert!(matches!(d.exchange(&protocol::rs(false), ANSWER_TIMEOUT), Err(Failure::Transfer(_))));
        assert_eq!(script.lock().unwrap_or_else(std::sync::PoisonError::into_inner).halts, 1, "halt cleared");
        let nak = protocol::gpser_answer(b"\x22\x15\x15", false);
        script.lock().unwrap_or_else(std::sync::PoisonError::into_inner).reads = packetize(&nak);
        assert!(matches!(d.exchange(&protocol::rs(false), ANSWER_TIMEOUT), Err(Failure::Nak)));
        // Another driver took the device: NUT stops ("Got disconnected by another driver").
        script.lock().unwrap_or_else(std::sync::PoisonError::into_inner).reads = vec![Err(PipeError::Busy)];
        let mut st = State::new();
        assert!(d.update(&mut st).is_err());
    }

    #[test]
    fn strtod_takes_the_leading_number() {
        assert_eq!(strtod("24"), 24.0);
        assert_eq!(strtod(" 12.5V"), 12.5);
        assert_eq!(strtod("x"), 0.0);
    }
}
