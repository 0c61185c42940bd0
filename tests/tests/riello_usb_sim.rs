//! riello_usb against a simulated Riello USB device: the GPSER descriptions of riello_ser
//! (tests/devices/riello_ser/gpser-*.sim) behind the USB transfers of NUT 2.8.5's
//! riello_usb.c.
//!
//! The device (Cypress 04b4:5500): requests arrive as 8-byte bulk-out packets on endpoint
//! 0x02 (byte 0 `0x30 + n` data bytes, `0x37` for seven), their bytes go to the `ups-sim`
//! engine, and what it answers comes back as 8-byte bulk-in packets on endpoint 0x81 with the
//! count in byte 0's low bits; with nothing to send, a packet with a count of 0 (the driver
//! keeps reading until its answer deadline). The feature report NUT sends first (class
//! SET_REPORT 0x21/0x09, value 0x0300, `B0 04 00 00 03`) is checked; another control transfer
//! is refused (a stall). "Unplugged", every transfer fails as a gone device, and reopening
//! fails until "replugged".
//!
//! Debian's riello_usb needs a real USB device, so the reference is the serial path: our
//! `riello_ser -d 1` on a `ups-sim` pty with the same description and state, which
//! tests/tests/riello_ser.rs shows publishes what Debian's riello_ser publishes. NUT builds
//! both from riello.c with the same variables for GPSER; riello_usb adds `ups.vendorid` and
//! `ups.productid`.
//!
//! `cargo build -p riello_ser -p ups-sim` first: the serial path runs the built binaries.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nut_driver::{CmdResult, Context, Driver, DriverError, State};
use nut_testkit::sim::{descriptions, devices_dir, run_dump, UpsSim};
use nut_testkit::{bin, Impl};
use nut_tests::require_ours;
use riello_usb::driver::RielloUsb;
use riello_usb::framing;
use riello_usb::usb::{DeviceInfo, Pipe, PipeError, SET_FEATURES};
use ups_sim::{Engine, Output};

/// The simulated device: the engine, its events, the bytes not yet read, what was seen.
struct Device {
    engine: Engine,
    events: Vec<String>,
    pending: VecDeque<u8>,
    features: usize,
    refused: usize,
    bad_packets: usize,
    unplugged: bool,
    opens: usize,
}

type Shared = Arc<Mutex<Device>>;

fn lock(d: &Shared) -> std::sync::MutexGuard<'_, Device> {
    d.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct FakePipe(Shared);

impl Pipe for FakePipe {
    fn control_out(&mut self, r: (u8, u8, u16, u16), data: &[u8], _t: Duration) -> Result<(), PipeError> {
        let mut d = lock(&self.0);
        if d.unplugged {
            return Err(PipeError::Gone("unplugged".into()));
        }
        let (rt, rq, v, i, want) = SET_FEATURES;
        if r != (rt, rq, v, i) || data != want {
            d.refused += 1;
            return Err(PipeError::Other("stall".into()));
        }
        d.features += 1;
        Ok(())
    }
    fn bulk_out(&mut self, packet: &[u8], _t: Duration) -> Result<(), PipeError> {
        let mut d = lock(&self.0);
        if d.unplugged {
            return Err(PipeError::Gone("unplugged".into()));
        }
        if packet.len() != framing::PACKET || framing::unpack(packet).is_empty() {
            d.bad_packets += 1;
        }
        let bytes = framing::unpack(packet).to_vec();
        for o in d.engine.on_input(&bytes) {
            match o {
                Output::Write { bytes, .. } => d.pending.extend(bytes),
                Output::Event(e) => d.events.push(e),
                other => d.events.push(format!("{other:?}")),
            }
        }
        Ok(())
    }
    fn bulk_in(&mut self, len: usize, _t: Duration) -> Result<Vec<u8>, PipeError> {
        let mut d = lock(&self.0);
        if d.unplugged {
            return Err(PipeError::Gone("unplugged".into()));
        }
        assert_eq!(len, framing::PACKET, "NUT reads 8-byte packets");
        let n = d.pending.len().min(framing::CHUNK);
        let mut p = vec![0u8; framing::PACKET];
        p[0] = 0x30 + n as u8;
        for (i, b) in d.pending.drain(..n).enumerate() {
            p[1 + i] = b;
        }
        Ok(p)
    }
    fn reconnect(&mut self) -> Result<(), String> {
        let mut d = lock(&self.0);
        if d.unplugged {
            return Err("no such device".into());
        }
        d.opens += 1;
        d.pending.clear();
        Ok(())
    }
}

fn device(desc: &Path, state: &str) -> Shared {
    let text = std::fs::read_to_string(desc).expect("description");
    let mut engine = Engine::new(ups_sim::desc::parse(&text).expect("description parses"));
    if state != "online" {
        let a = ups_sim::desc::parse_action(&format!("state {state}")).expect("action");
        engine.apply(&a).expect("state");
    }
    Arc::new(Mutex::new(Device {
        engine,
        events: Vec::new(),
        pending: VecDeque::new(),
        features: 0,
        refused: 0,
        bad_packets: 0,
        unplugged: false,
        opens: 0,
    }))
}

fn act(dev: &Shared, line: &str) {
    let a = ups_sim::desc::parse_action(line).expect("action");
    lock(dev).engine.apply(&a).expect("action applies");
}

fn usb_driver(dev: &Shared) -> RielloUsb {
    let mut pipe = Some(FakePipe(Arc::clone(dev)));
    RielloUsb::new(Box::new(move |_: &Context| {
        let p = pipe.take().ok_or_else(|| DriverError::Device("opened twice".into()))?;
        let info = DeviceInfo { vendor_id: 0x04b4, product_id: 0x5500, ..DeviceInfo::default() };
        Ok((Box::new(p) as Box<dyn Pipe + Send>, info))
    }))
    .with_write_delay(Duration::ZERO)
}

fn ctx(options: &[(String, Option<String>)]) -> Context {
    Context {
        progname: "riello_usb".into(),
        upsname: "r".into(),
        port: "auto".into(),
        options: options.to_vec(),
        ..Context::default()
    }
}

fn vars(st: &State) -> BTreeMap<String, String> {
    st.vars().filter(|v| !v.name.starts_with("driver.")).map(|v| (v.name.clone(), v.value.clone())).collect()
}

fn gpser_descriptions() -> Vec<PathBuf> {
    let v: Vec<PathBuf> = descriptions("riello_ser")
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("gpser")))
        .collect();
    assert!(!v.is_empty(), "no GPSER descriptions in tests/devices/riello_ser");
    v
}

fn desc_options(path: &Path) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(path).expect("description");
    let desc = ups_sim::desc::parse(&text).expect("description parses");
    desc.driver("riello_ser").map(|d| d.options.clone()).unwrap_or_default()
}

#[test]
fn the_usb_form_publishes_what_the_serial_form_publishes() {
    require_ours(Impl::Ours, &["riello_ser", "ups-sim"]);
    for path in gpser_descriptions() {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let options = desc_options(&path);
        for state in ["online", "onbattery", "lowbatt"] {
            let mut sim = UpsSim::start(&path);
            if state != "online" {
                sim.control(&format!("state {state}"));
            }
            let serial = run_dump(&bin("riello_ser"), sim.port(), &options, Duration::from_secs(60));
            assert!(serial.ok(), "serial riello_ser on {name} {state}: {}", serial.stderr);
            let want: BTreeMap<String, String> = serial
                .vars
                .iter()
                // `-d 1` also prints NUT's "Warning: This is an experimental driver." line,
                // which the dump reader takes for a variable.
                .filter(|(k, _)| !k.starts_with("driver.") && k.as_str() != "Warning")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let dev = device(&path, state);
            let mut d = usb_driver(&dev);
            let mut st = State::new();
            d.init(&ctx(&options), &mut st).expect("riello_usb init");
            d.update(&mut st).expect("riello_usb update");
            assert!(!st.is_stale(), "{name} {state}: data ok after a good poll");
            let mut got = vars(&st);
            assert_eq!(got.remove("ups.vendorid").as_deref(), Some("04b4"), "{name}");
            assert_eq!(got.remove("ups.productid").as_deref(), Some("5500"), "{name}");
            assert_eq!(got, want, "{name} {state}: USB vs serial");
            let cmds: Vec<&str> = st.cmds().collect();
            for c in [
                "load.off",
                "load.on",
                "load.off.delay",
                "load.on.delay",
                "shutdown.return",
                "shutdown.stop",
                "test.battery.start",
                "test.panel.start",
            ] {
                assert!(cmds.contains(&c), "{name}: {c} in {cmds:?}");
            }
            let dv = lock(&dev);
            assert_eq!(dv.features, 1, "{name}: the feature report once, before the first request");
            assert_eq!((dv.refused, dv.bad_packets), (0, 0), "{name}: transfers of NUT's shape only");
            let first = dv.events.iter().find(|e| e.starts_with("rx ")).cloned().unwrap_or_default();
            assert!(first.contains("GI"), "{name}: the identification first, got {first}");
            eprintln!("riello_usb {name} {state}: {} variables as riello_ser's", want.len());
        }
    }
}

#[test]
fn commands_reach_the_ups() {
    let path = devices_dir("riello_ser").join("gpser-vst800.sim");
    let dev = device(&path, "online");
    let mut d = usb_driver(&dev);
    let mut st = State::new();
    d.init(&ctx(&[]), &mut st).expect("init");
    d.update(&mut st).expect("update");
    let rx = |dev: &Shared, frame: &str| lock(dev).events.iter().filter(|e| e.contains(frame)).count();
    // TB with NUT's "005" (5 minutes), answered with ACK.
    assert_eq!(d.instcmd("test.battery.start", None, &mut st), CmdResult::Handled);
    assert_eq!(rx(&dev, "TB03005"), 1, "{:?}", lock(&dev).events);
    // shutdown.return: CS with ups.delay.shutdown (5 s).
    assert_eq!(d.instcmd("shutdown.return", None, &mut st), CmdResult::Handled);
    assert_eq!(rx(&dev, "CS040005"), 1);
    assert_eq!(d.instcmd("load.off", None, &mut st), CmdResult::Handled);
    assert_eq!(rx(&dev, "CS040000"), 1);
    assert_eq!(d.instcmd("beeper.toggle", None, &mut st), CmdResult::Unknown);
    // The shutdown sequence: CD then CS.
    d.shutdown(&mut st).expect("shutdown");
    assert_eq!(rx(&dev, "CD00"), 1);
    assert_eq!(rx(&dev, "CS040005"), 2);
}

#[test]
fn silence_makes_data_stale_and_answers_bring_it_back() {
    let path = devices_dir("riello_ser").join("gpser-vst800.sim");
    let dev = device(&path, "online");
    let mut d = usb_driver(&dev);
    let mut st = State::new();
    d.init(&ctx(&[]), &mut st).expect("init");
    d.update(&mut st).expect("update");
    assert!(!st.is_stale());
    assert!(st.get_info("ups.status").unwrap_or_default().starts_with("OL"));
    let ol = st.get_info("ups.status").map(str::to_string);
    // The UPS stops answering: stale after this one poll, no values refreshed.
    act(&dev, "timeout *");
    act(&dev, "state onbattery");
    d.update(&mut st).expect("a silent poll is not fatal");
    assert!(st.is_stale(), "stale within one poll of silence");
    assert_eq!(st.get_info("ups.status").map(str::to_string), ol, "no new status without an answer");
    // It answers again (now on battery): fresh data without a restart.
    lock(&dev).engine.apply(&ups_sim::desc::Action::Clear).expect("clear");
    d.update(&mut st).expect("update");
    assert!(!st.is_stale(), "recovered");
    assert!(
        st.get_info("ups.status").unwrap_or_default().starts_with("OB"),
        "{:?}",
        st.get_info("ups.status")
    );
    // Garbage before the answer: the deframer finds the answer after it.
    act(&dev, "garbage \"\\x03zz\\x02\" 1");
    d.update(&mut st).expect("update");
    assert!(!st.is_stale(), "an answer after garbage is read");
    // A damaged answer (its ETX flipped): never taken, stale.
    act(&dev, "corrupt 1");
    d.update(&mut st).expect("update");
    assert!(st.is_stale(), "a damaged answer is not data");
    d.update(&mut st).expect("update");
    assert!(!st.is_stale(), "the next good answer is");
}

#[test]
fn unplug_and_replug_recover_without_restart() {
    let path = devices_dir("riello_ser").join("gpser-mpt-crc.sim");
    let dev = device(&path, "online");
    let mut d = usb_driver(&dev);
    let mut st = State::new();
    d.init(&ctx(&[]), &mut st).expect("init");
    d.update(&mut st).expect("update");
    assert!(!st.is_stale());
    lock(&dev).unplugged = true;
    d.update(&mut st).expect("unplugged: not fatal");
    assert!(st.is_stale(), "stale once the device is gone");
    // Reopening fails while it is away: still stale.
    d.update(&mut st).expect("still away");
    assert!(st.is_stale());
    lock(&dev).unplugged = false;
    // The backoff after a failed reopen is short (nut-transport's first step): poll until the
    // reopen happens.
    let ok = nut_testkit::wait_until(Duration::from_secs(10), || d.update(&mut st).is_ok() && !st.is_stale());
    assert!(ok, "recovered after the replug");
    let dv = lock(&dev);
    assert_eq!(dv.opens, 1, "reopened once");
    // NUT's riello_command runs upsdrv_initinfo again after reopening: identification again,
    // and the feature report before it.
    assert_eq!(dv.features, 2);
    assert_eq!(dv.events.iter().filter(|e| e.contains("GI00")).count(), 2);
}
