//! Issue 10, item 4 (USB variant): the Q1-family simulator behind simulated USB-to-serial
//! converters, so the USB path of nutdrv_qx (its bridges, `BridgePort`, the engine) is tested
//! against the same device descriptions as the serial path.
//!
//! The converters are the device side of two of NUT's USB subdrivers (NUT 2.8.5
//! drivers/nutdrv_qx.c, `cypress_command` and `krauler_command`):
//!
//! - cypress: the host writes the command as zero-padded 8-byte HID SET_REPORT transfers
//!   (request type 0x21, request 0x09, value 0x200, index 0); the converter passes the bytes
//!   before the padding on to the UPS's serial side, and hands what the UPS answers back as
//!   8-byte interrupt-IN reports on endpoint 0x81 (the last one zero padded). With nothing to
//!   send, the interrupt read times out (libusb's LIBUSB_ERROR_TIMEOUT).
//! - krauler: no serial data at all; each Megatec command the converter knows is a string
//!   descriptor index (0x03 Q1, 0x0c I, 0x0d F, 0x04 T, 0x05 TL, 0x07 Q, 0x0b C). Reading that
//!   descriptor (GET_DESCRIPTOR, request type 0x80, value 0x03NN, in the language descriptor 0
//!   lists) makes the converter send the command and answer the UPS's line as a UTF-16LE
//!   string descriptor without its CR; a command with no answer reads "UPS No Ack" (as the
//!   device of NUT issue 2208 does). An index it does not know stalls (LIBUSB_ERROR_PIPE).
//!
//! Behind either converter is the `ups-sim` engine (pure: bytes in, replies out). The driver is
//! our nutdrv_qx's `Qx` run in-process (`init` then `update`, what `-d 1` does) over
//! `BridgePort<converter>`; the serial path is our built `nutdrv_qx -a q -u root -d 1` on a
//! `ups-sim` pty (nut_testkit::sim). The variables must be the same, apart from the `driver.*`
//! ones the serial run's framework adds (port, poll settings, version); `driver.version.data`
//! (the protocol in use) is compared.
//!
//! `cargo build --workspace --bins` first: the serial path runs the built binaries.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nut_driver::{Context, Driver, DriverError, State};
use nut_testkit::sim::{devices_dir, run_dump, UpsSim};
use nut_testkit::{bin, Impl};
use nut_tests::qx::load_desc;
use nut_tests::require_ours;
use nutdrv_qx::bridges::port::{BridgePort, UsbDevice};
use nutdrv_qx::bridges::{
    Bridge, BridgeKind, BridgeOptions, UsbControl, UsbError, DT_STRING, EP_IN_1, REQTYPE_CLASS_OUT_IFACE,
    REQTYPE_STANDARD_IN_DEVICE, REQ_GET_DESCRIPTOR, REQ_SET_REPORT,
};
use nutdrv_qx::driver::{Flavor, Qx};
use nutdrv_qx::port::QxPort;
use ups_sim::{Engine, Output};

const DUMP_TIMEOUT: Duration = Duration::from_secs(90);

/// The simulated UPS behind a converter: the engine, the event lines it reported, and the
/// bytes of its answers not yet handed to the host.
struct Ups {
    engine: Engine,
    events: Vec<String>,
    pending: VecDeque<u8>,
}

impl Ups {
    /// The UPS's serial side receives `bytes`; returns what it wrote back.
    fn serial_in(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut reply = Vec::new();
        for o in self.engine.on_input(bytes) {
            match o {
                Output::Write { bytes, .. } => reply.extend_from_slice(&bytes),
                Output::Event(e) => self.events.push(e),
                other => self.events.push(format!("{other:?}")),
            }
        }
        reply
    }
}

type SharedUps = Arc<Mutex<Ups>>;

fn lock(ups: &SharedUps) -> std::sync::MutexGuard<'_, Ups> {
    ups.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Cypress,
    Krauler,
}

impl Framing {
    fn bridge(self) -> BridgeKind {
        match self {
            Framing::Cypress => BridgeKind::Cypress,
            Framing::Krauler => BridgeKind::Krauler,
        }
    }
}

/// The krauler converter's string indexes (NUT 2.8.5 nutdrv_qx.c krauler_command's table,
/// seen from the device: 0x0b is both C and CT there, the converter sends C).
const KRAULER_INDEXES: &[(u8, &[u8])] = &[
    (0x03, b"Q1\r"),
    (0x0d, b"F\r"),
    (0x0c, b"I\r"),
    (0x04, b"T\r"),
    (0x05, b"TL\r"),
    (0x07, b"Q\r"),
    (0x0b, b"C\r"),
];

/// The language the converter's descriptor 0 lists.
const LANGID: u16 = 0x0409;

/// A string descriptor (bLength, bDescriptorType, UTF-16LE), at most 255 bytes long.
fn string_descriptor(text: &[u8]) -> Vec<u8> {
    let mut d = vec![0, DT_STRING];
    for &b in text.iter().take(126) {
        d.extend_from_slice(&u16::from(b).to_le_bytes());
    }
    d[0] = d.len() as u8;
    d
}

/// A simulated USB-to-serial converter with the UPS behind it.
struct Converter {
    framing: Framing,
    ups: SharedUps,
    open: bool,
}

impl Converter {
    fn check_open(&self) -> Result<(), UsbError> {
        if self.open {
            Ok(())
        } else {
            Err(UsbError::NoDevice)
        }
    }
}

impl UsbControl for Converter {
    fn control_out(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.check_open()?;
        let set_report =
            (request_type, request, value, index) == (REQTYPE_CLASS_OUT_IFACE, REQ_SET_REPORT, 0x200, 0);
        if self.framing != Framing::Cypress || !set_report || data.len() != 8 {
            return Err(UsbError::Pipe);
        }
        let payload = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
        let mut ups = lock(&self.ups);
        let reply = ups.serial_in(payload);
        ups.pending.extend(reply);
        Ok(data.len())
    }

    fn control_in(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        langid: u16,
        len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        self.check_open()?;
        let get_string = request_type == REQTYPE_STANDARD_IN_DEVICE
            && request == REQ_GET_DESCRIPTOR
            && (value >> 8) as u8 == DT_STRING;
        if self.framing != Framing::Krauler || !get_string {
            return Err(UsbError::Pipe);
        }
        let index = (value & 0xff) as u8;
        let mut d = if index == 0 {
            let l = LANGID.to_le_bytes();
            vec![4, DT_STRING, l[0], l[1]]
        } else {
            if langid != LANGID {
                return Err(UsbError::Pipe);
            }
            let Some(&(_, cmd)) = KRAULER_INDEXES.iter().find(|(i, _)| *i == index) else {
                return Err(UsbError::Pipe);
            };
            let reply = lock(&self.ups).serial_in(cmd);
            let line = &reply[..reply.iter().position(|&b| b == b'\r').unwrap_or(reply.len())];
            if line.is_empty() {
                string_descriptor(b"UPS No Ack")
            } else {
                string_descriptor(line)
            }
        };
        d.truncate(len);
        Ok(d)
    }

    fn interrupt_in(&mut self, endpoint: u8, len: usize, _timeout: Duration) -> Result<Vec<u8>, UsbError> {
        self.check_open()?;
        if self.framing != Framing::Cypress || endpoint != EP_IN_1 {
            return Err(UsbError::Pipe);
        }
        let mut ups = lock(&self.ups);
        if ups.pending.is_empty() {
            return Err(UsbError::Timeout);
        }
        let n = ups.pending.len().min(8);
        let mut report: Vec<u8> = ups.pending.drain(..n).collect();
        report.resize(8, 0);
        report.truncate(len);
        Ok(report)
    }

    fn interrupt_out(&mut self, _endpoint: u8, _data: &[u8], _timeout: Duration) -> Result<usize, UsbError> {
        Err(UsbError::Pipe)
    }

    fn clear_halt(&mut self, _endpoint: u8) -> Result<(), UsbError> {
        self.check_open()
    }

    fn pause(&mut self, _duration: Duration) {}
}

impl UsbDevice for Converter {
    fn reset(&mut self) -> Result<(), UsbError> {
        Ok(())
    }

    fn close(&mut self) {
        self.open = false;
    }

    fn reopen(&mut self) -> Result<(), UsbError> {
        self.open = true;
        Ok(())
    }
}

thread_local! {
    /// The port the next driver on this thread opens (the driver's opener is a plain fn).
    static NEXT_PORT: RefCell<Option<Box<dyn QxPort + Send>>> = const { RefCell::new(None) };
}

fn take_port(_ctx: &Context) -> Result<Box<dyn QxPort + Send>, DriverError> {
    NEXT_PORT
        .with(|p| p.borrow_mut().take())
        .ok_or_else(|| DriverError::Device("no simulated converter prepared".into()))
}

fn desc_path(name: &str) -> PathBuf {
    devices_dir("qx").join(format!("{name}.qx"))
}

fn nutdrv_qx_options(name: &str) -> Vec<(String, Option<String>)> {
    let desc = load_desc(&desc_path(name));
    desc.driver("nutdrv_qx").unwrap_or_else(|| panic!("{name}: no nutdrv_qx line")).options.clone()
}

/// Our nutdrv_qx in-process over a converter with the description's UPS behind it.
struct UsbRun {
    driver: Qx,
    state: State,
    ups: SharedUps,
}

impl UsbRun {
    /// `init` then one `update`, as the `-d 1` dump does; Err is the driver's start-up error.
    fn start(name: &str, framing: Framing) -> Result<UsbRun, (DriverError, Vec<String>)> {
        let desc = load_desc(&desc_path(name));
        let ups = Arc::new(Mutex::new(Ups {
            engine: Engine::new(desc),
            events: Vec::new(),
            pending: VecDeque::new(),
        }));
        UsbRun::start_on(name, framing, ups)
    }

    /// The same, on a UPS already running (in whatever state it is in).
    fn start_on(name: &str, framing: Framing, ups: SharedUps) -> Result<UsbRun, (DriverError, Vec<String>)> {
        let bridge = Bridge::new(framing.bridge(), BridgeOptions::default()).expect("bridge");
        let conv = Converter { framing, ups: Arc::clone(&ups), open: true };
        NEXT_PORT.with(|p| *p.borrow_mut() = Some(Box::new(BridgePort::new(conv, bridge))));
        let ctx = Context {
            progname: "nutdrv_qx".into(),
            upsname: "q".into(),
            port: "auto".into(),
            options: nutdrv_qx_options(name),
            pollinterval: 2,
            ..Context::default()
        };
        let mut driver = Qx::new(Flavor::Qx, take_port);
        let mut state = State::new();
        // What the framework publishes before the driver's own data (NUT's main.c).
        state.set_info("device.type", "ups");
        let res = driver.init(&ctx, &mut state).and_then(|()| {
            // After the driver's init, the framework copies ups.mfr/model/serial to device.*
            // (NUT's main.c does the same).
            for f in ["mfr", "model", "serial"] {
                if let Some(v) = state.get_info(&format!("ups.{f}")).map(str::to_string) {
                    state.set_info(&format!("device.{f}"), &v);
                }
            }
            driver.update(&mut state)
        });
        if let Err(e) = res {
            let events = lock(&ups).events.clone();
            return Err((e, events));
        }
        Ok(UsbRun { driver, state, ups })
    }

    fn vars(&self) -> BTreeMap<String, String> {
        self.state.vars().map(|v| (v.name.clone(), v.value.clone())).collect()
    }

    fn events(&self) -> Vec<String> {
        lock(&self.ups).events.clone()
    }

    /// Switch the simulated UPS to another reply set (as ups-sim's `state NAME` line does).
    fn switch(&mut self, state: &str) {
        let action = ups_sim::parse_action(&format!("state {state}")).expect("action");
        lock(&self.ups).engine.apply(&action).expect("state exists");
    }
}

/// The variables both paths must agree on: all but the `driver.*` ones the serial run's
/// framework publishes about itself; `driver.version.data` names the protocol and is kept.
fn comparable(vars: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    vars.iter()
        .filter(|(k, _)| !k.starts_with("driver.") || *k == "driver.version.data")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn differences(serial: &BTreeMap<String, String>, usb: &BTreeMap<String, String>) -> Vec<String> {
    let (s, u) = (comparable(serial), comparable(usb));
    let mut out = Vec::new();
    for k in s.keys().chain(u.keys().filter(|k| !s.contains_key(*k))) {
        if s.get(k) != u.get(k) {
            out.push(format!("{k}: serial {:?}, usb {:?}", s.get(k), u.get(k)));
        }
    }
    out
}

/// The serial path: our nutdrv_qx's dump on a ups-sim pty, in the start state, then (if
/// `then_state` is given) again after switching the simulator to it.
fn serial_dumps(name: &str, then_state: Option<&str>) -> Vec<BTreeMap<String, String>> {
    let opts = nutdrv_qx_options(name);
    let mut sim = UpsSim::start(&desc_path(name));
    let mut out = Vec::new();
    let one = |sim: &UpsSim| {
        let d = run_dump(&bin("nutdrv_qx"), sim.port(), &opts, DUMP_TIMEOUT);
        assert!(d.ok(), "{name}: our serial nutdrv_qx gave no dump: {:?}\n{}", d.status, d.stderr);
        d.vars
    };
    out.push(one(&sim));
    if let Some(st) = then_state {
        sim.control(&format!("state {st}"));
        out.push(one(&sim));
    }
    out
}

fn same_as_serial(framing: Framing, names: &[&str]) {
    require_ours(Impl::Ours, &["nutdrv_qx", "ups-sim"]);
    let mut failures = Vec::new();
    for name in names {
        let serial = serial_dumps(name, None).remove(0);
        let usb = match UsbRun::start(name, framing) {
            Ok(r) => r,
            Err((e, ev)) => {
                failures.push(format!(
                    "{name}: the driver did not start over {framing:?}: {e}; sim events {ev:?}"
                ));
                continue;
            }
        };
        let usb_vars = usb.vars();
        let diffs = differences(&serial, &usb_vars);
        if diffs.is_empty() {
            eprintln!(
                "{name} over {framing:?}: {} variables as on the serial path",
                comparable(&usb_vars).len()
            );
        } else {
            failures.push(format!("{name} over {framing:?}:\n    {}", diffs.join("\n    ")));
        }
        // The converter really carried the commands: the UPS saw the status query.
        assert!(usb.events().iter().any(|e| e.starts_with("rx \"Q")), "{name}: {:?}", usb.events());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn cypress_converter_publishes_what_the_serial_path_publishes() {
    same_as_serial(Framing::Cypress, &["megatec", "q1", "voltronic-qs"]);
}

#[test]
fn krauler_converter_publishes_what_the_serial_path_publishes() {
    same_as_serial(Framing::Krauler, &["megatec", "q1"]);
}

/// NUT's krauler subdriver knows only the Megatec commands of its table; any other command
/// (voltronic-qs's QS, M, QI) is echoed back without reaching the device, so no protocol
/// that needs them can claim the UPS.
#[test]
fn krauler_converter_cannot_carry_voltronic_qs_as_in_nut() {
    match UsbRun::start("voltronic-qs", Framing::Krauler) {
        Ok(r) => panic!("voltronic-qs claimed over krauler: {:?}", r.vars()),
        Err((e, events)) => {
            assert!(e.to_string().contains("Device not supported"), "{e}");
            assert!(
                !events.iter().any(|l| l.starts_with("rx \"QS") || l.starts_with("rx \"QI")),
                "{events:?}"
            );
        }
    }
}

/// A running driver on a converter notices the UPS going on battery, and publishes what the
/// serial driver publishes for that state.
#[test]
fn on_battery_shows_through_both_converters() {
    require_ours(Impl::Ours, &["nutdrv_qx", "ups-sim"]);
    for name in ["megatec", "q1"] {
        let serial = serial_dumps(name, Some("onbattery"));
        assert!(serial[0]["ups.status"].split(' ').any(|t| t == "OL"), "{name}: {:?}", serial[0]);
        assert!(serial[1]["ups.status"].split(' ').any(|t| t == "OB"), "{name}: {:?}", serial[1]);
        for framing in [Framing::Cypress, Framing::Krauler] {
            let mut usb = UsbRun::start(name, framing)
                .unwrap_or_else(|(e, ev)| panic!("{name} {framing:?}: {e} {ev:?}"));
            assert_eq!(usb.state.get_info("ups.status"), Some("OL"), "{name} {framing:?}");
            usb.switch("onbattery");
            // The next (quick) poll reads the status bits: the running driver says OB, as
            // the serial driver started on battery does.
            usb.driver.update(&mut usb.state).expect("update");
            assert_eq!(
                usb.state.get_info("ups.status"),
                Some(serial[1]["ups.status"].as_str()),
                "{name} {framing:?}"
            );
            // A driver started now on the same UPS publishes what the serial one does.
            let again = UsbRun::start_on(name, framing, Arc::clone(&usb.ups))
                .unwrap_or_else(|(e, ev)| panic!("{name} {framing:?} restart: {e} {ev:?}"));
            assert_ne!(
                again.state.get_info("input.voltage"),
                serial[0].get("input.voltage").map(String::as_str)
            );
            let diffs = differences(&serial[1], &again.vars());
            assert!(diffs.is_empty(), "{name} over {framing:?} on battery:\n    {}", diffs.join("\n    "));
        }
    }
}
