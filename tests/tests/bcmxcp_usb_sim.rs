//! bcmxcp_usb against a simulated XCP USB device: the same device descriptions as the serial
//! driver (tests/devices/bcmxcp/), behind the USB transfers of NUT 2.8.5's bcmxcp_usb.c.
//!
//! The device: commands arrive as control transfers (Powerware 0592:0002: SET_DESCRIPTOR,
//! request type 0x00, request 0x07, value 0x0304, index 0; Phoenixtec 06da:0002 and HP
//! 03f0:1f01/1f02: vendor request 0x42/0x0d), their bytes go to the `ups-sim` engine, and
//! what it answers comes back as interrupt-in transfers on endpoint 0x81, 64 bytes at most
//! each (so a reply spans transfers, as on a real full-speed device); with nothing to send,
//! the read times out. A control transfer of another shape is refused (a stall).
//!
//! Debian's bcmxcp_usb needs a real USB device, so the reference is the serial path: our
//! `bcmxcp -d 1` on a `ups-sim` pty with the same description and state, which
//! tests/tests/bcmxcp.rs shows publishes what Debian's bcmxcp publishes. NUT builds both
//! programs from the same bcmxcp.c: their variables must be the same (driver.* aside).
//!
//! `cargo build -p bcmxcp` first: the serial path runs the built binary.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bcmxcp::driver::{Bcmxcp, Link, Mode};
use bcmxcp::usb::{Pipe, PipeError, Setter, UsbLink};
use nut_driver::{CmdResult, Context, Driver, State};
use nut_testkit::sim::{descriptions, run_dump, UpsSim};
use nut_testkit::{bin, Impl};
use nut_tests::require_ours;
use ups_sim::{Engine, Output};

/// The simulated device: the engine, its events, the bytes not yet read, the transfers seen.
struct Device {
    engine: Engine,
    setter: Setter,
    events: Vec<String>,
    pending: VecDeque<u8>,
    refused: usize,
}

type Shared = Arc<Mutex<Device>>;

fn lock(d: &Shared) -> std::sync::MutexGuard<'_, Device> {
    d.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct FakePipe(Shared);

impl Pipe for FakePipe {
    fn control_out(&mut self, r: (u8, u8, u16, u16), data: &[u8], _t: Duration) -> Result<(), PipeError> {
        let mut d = lock(&self.0);
        if r != d.setter.request() {
            d.refused += 1;
            return Err(PipeError::Other("stall".into()));
        }
        for o in d.engine.on_input(data) {
            match o {
                Output::Write { bytes, .. } => d.pending.extend(bytes),
                Output::Event(e) => d.events.push(e),
                other => d.events.push(format!("{other:?}")),
            }
        }
        Ok(())
    }
    fn interrupt_in(&mut self, len: usize, _t: Duration) -> Result<Vec<u8>, PipeError> {
        let mut d = lock(&self.0);
        if d.pending.is_empty() {
            return Err(PipeError::Timeout);
        }
        let n = len.min(64).min(d.pending.len());
        Ok(d.pending.drain(..n).collect())
    }
    fn reconnect(&mut self) -> Result<(), String> {
        Ok(())
    }
}

fn device(desc: &Path, state: &str, setter: Setter) -> Shared {
    let text = std::fs::read_to_string(desc).expect("description");
    let mut engine = Engine::new(ups_sim::desc::parse(&text).expect("description parses"));
    if state != "online" {
        let a = ups_sim::desc::parse_action(&format!("state {state}")).expect("action");
        engine.apply(&a).expect("state");
    }
    Arc::new(Mutex::new(Device { engine, setter, events: Vec::new(), pending: VecDeque::new(), refused: 0 }))
}

fn usb_driver(dev: &Shared) -> Bcmxcp {
    let mut pipe = Some(FakePipe(Arc::clone(dev)));
    let setter = lock(dev).setter;
    Bcmxcp::with_mode(Mode::Usb, move |_, _| {
        let p = pipe.take().ok_or_else(|| nut_driver::DriverError::Device("opened twice".into()))?;
        Ok(Box::new(UsbLink::new(p, setter)) as Box<dyn Link>)
    })
}

fn ctx() -> Context {
    Context { progname: "bcmxcp_usb".into(), upsname: "q".into(), port: "auto".into(), ..Context::default() }
}

/// Init and one update, as `-d 1`; the variables without driver.*.
fn usb_vars(dev: &Shared) -> (BTreeMap<String, String>, Bcmxcp, State) {
    let mut d = usb_driver(dev);
    let mut st = State::new();
    d.init(&ctx(), &mut st).expect("bcmxcp_usb init");
    d.update(&mut st).expect("bcmxcp_usb update");
    let vars = st
        .vars()
        .filter(|v| !v.name.starts_with("driver."))
        .map(|v| (v.name.clone(), v.value.clone()))
        .collect();
    (vars, d, st)
}

#[test]
fn the_usb_form_publishes_what_the_serial_form_publishes() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim"]);
    for path in descriptions("bcmxcp") {
        for (state, setter) in
            [("online", Setter::Powerware), ("onbattery", Setter::Phoenixtec), ("lowbatt", Setter::Powerware)]
        {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let mut sim = UpsSim::start(&path);
            if state != "online" {
                sim.control(&format!("state {state}"));
            }
            let serial = run_dump(&bin("bcmxcp"), sim.port(), &[], Duration::from_secs(60));
            assert!(serial.ok(), "serial bcmxcp on {name} {state}: {}", serial.stderr);
            let want: BTreeMap<String, String> = serial
                .vars
                .iter()
                .filter(|(k, _)| !k.starts_with("driver."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let dev = device(&path, state, setter);
            let (mut got, _, _) = usb_vars(&dev);
            // The framework copies ups.mfr/model/serial to device.* after init (the serial
            // run's framework did it); device.type too.
            for f in ["mfr", "model", "serial"] {
                if let Some(v) = got.get(&format!("ups.{f}")).cloned() {
                    got.insert(format!("device.{f}"), v);
                }
            }
            got.insert("device.type".into(), "ups".into());
            assert_eq!(got, want, "{name} {state}: USB vs serial");
            let d = lock(&dev);
            assert_eq!(d.refused, 0, "a control transfer of the wrong shape");
            // No ESC, no autobaud: the first command is the ID block (NUT's USB initups only opens).
            let first = d.events.iter().find(|e| e.starts_with("rx ")).cloned();
            assert_eq!(first.as_deref(), Some("rx \"\\xAB\\x011#\""), "{name}");
            eprintln!("bcmxcp_usb {name} {state}: {} variables as the serial driver", want.len());
        }
    }
}

#[test]
fn usb_commands_and_sets_reach_the_ups() {
    let path = nut_testkit::sim::devices_dir("bcmxcp").join("pw5125.sim");
    let dev = device(&path, "online", Setter::Powerware);
    let (_, mut d, mut st) = usb_vars(&dev);
    let sent = |dev: &Shared, frame: &str| lock(dev).events.iter().any(|e| e == frame);
    assert_eq!(d.instcmd("test.battery.start", None, &mut st), CmdResult::Handled);
    assert!(sent(&dev, "rx \"\\xAB\\x03\\xB1\\n\\x1Ey\""));
    assert_eq!(d.set_var("output.voltage.nominal", "230", &mut st), CmdResult::Invalid, "out of range (35)");
    assert_eq!(d.set_var("battery.packs", "2", &mut st), CmdResult::Failed, "busy (33)");
    assert_eq!(d.set_var("battery.packs", "9", &mut st), CmdResult::Invalid, "outside NUT's 0..5");
    assert_eq!(d.instcmd("shutdown.return", None, &mut st), CmdResult::Handled);
    assert_eq!(lock(&dev).engine.state(), "off");
    d.update(&mut st).expect("update");
    assert_eq!(st.get_info("ups.status"), Some("OFF"));
    // A device that stops answering: the poll fails after five tries (stale), and reads again
    // once it answers.
    let a = ups_sim::desc::parse_action("timeout *").expect("action");
    lock(&dev).engine.apply(&a).expect("timeout");
    assert!(d.update(&mut st).is_err());
    lock(&dev).engine.apply(&ups_sim::desc::Action::Clear).expect("clear");
    d.update(&mut st).expect("answers again");
}
