//! What the NUT 2.8.5 options added in issue 9 do, on the replay transport:
//! `interrupt_pipe_no_events_tolerance` reconnects after that many polls without an interrupt
//! report, `waitbeforereconnect` holds reconnection attempts back, `maxreport` asks for whole
//! buffers, and the device table's claim side effects reach the session.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nut_hid::ReportType;
use usbhid_ups::hidups::{EngineOpts, HidUps, MAX_REPORT_REQUEST};
use usbhid_ups::session::{Poll, PollOpts, Session};
use usbhid_ups::transport::replay::{Fault, FaultInjector, Replay};
use usbhid_ups::transport::{DeviceInfo, Transport, TransportError};

fn recording(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data").join(name)
}

fn eaton() -> (Session, FaultInjector) {
    let r = Replay::open(&recording("0463-ffff-eaton-3s-700.hex")).unwrap();
    let f = r.faults();
    let ups = usbhid_ups::open_ups(Box::new(r)).unwrap();
    let opts = PollOpts { interrupt_wait: Duration::from_millis(1), ..PollOpts::default() };
    (Session::with_opts(ups, opts, None), f)
}

fn is_data(p: &Poll) -> bool {
    matches!(p, Poll::Data(_))
}

#[test]
fn no_events_tolerance_reconnects_after_that_many_quiet_polls() {
    let (mut s, faults) = eaton();
    s.opts.no_events_tolerance = Some(2);
    let t0 = Instant::now();
    let at = |n: u64| t0 + Duration::from_secs(n);
    // An event now and then keeps the count at zero.
    for n in 0..5 {
        faults.push_event(vec![0x06, 90, 0x20, 0x0d, 0, 0]);
        assert!(is_data(&s.poll(at(n))));
    }
    // Quiet polls: the first two are tolerated, the third reconnects (data stale meanwhile).
    assert!(is_data(&s.poll(at(10))));
    assert!(is_data(&s.poll(at(11))));
    assert_eq!(s.poll(at(12)), Poll::Stale);
    assert!(s.is_failing());
    assert!(is_data(&s.poll(at(13))), "the same device is reopened");
    assert_eq!(faults.reconnects(), 1);
    // NUT's default (-1) tolerates any number of quiet polls.
    let (mut s, faults) = eaton();
    for n in 0..20 {
        assert!(is_data(&s.poll(at(n))));
    }
    assert_eq!(faults.reconnects(), 0);
}

#[test]
fn waitbeforereconnect_holds_the_attempts_back() {
    let (mut s, faults) = eaton();
    s.opts.wait_before_reconnect = Duration::from_secs(30);
    let t0 = Instant::now();
    let at = |n: u64| t0 + Duration::from_secs(n);
    assert!(is_data(&s.poll(at(0))));
    faults.inject(Fault::Unplug);
    assert_eq!(s.poll(at(1)), Poll::Stale);
    faults.inject(Fault::Plug);
    // Plugged back at once, but no attempt before 30 s have passed.
    assert_eq!(s.poll(at(2)), Poll::Stale);
    assert_eq!(s.poll(at(30)), Poll::Stale);
    assert_eq!(faults.reconnects(), 0);
    assert!(is_data(&s.poll(at(31))));
    assert_eq!(faults.reconnects(), 1);
    // A failed attempt waits at least as long again.
    faults.inject(Fault::Unplug);
    assert_eq!(s.poll(at(40)), Poll::Stale);
    assert_eq!(s.poll(at(70)), Poll::Stale, "attempt fails: still unplugged");
    faults.inject(Fault::Plug);
    assert_eq!(s.poll(at(99)), Poll::Stale);
    assert!(is_data(&s.poll(at(100))));
}

/// A transport that notes the length of each GET_REPORT.
struct LenSpy(Replay, Arc<Mutex<Vec<usize>>>);

impl Transport for LenSpy {
    fn info(&self) -> DeviceInfo {
        self.0.info()
    }
    fn descriptor(&mut self) -> Result<Vec<u8>, TransportError> {
        self.0.descriptor()
    }
    fn get_report(&mut self, rt: ReportType, id: u8, len: usize) -> Result<Vec<u8>, TransportError> {
        self.1.lock().unwrap().push(len);
        self.0.get_report(rt, id, len)
    }
    fn set_report(&mut self, rt: ReportType, id: u8, data: &[u8]) -> Result<(), TransportError> {
        self.0.set_report(rt, id, data)
    }
    fn interrupt(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        self.0.interrupt(timeout)
    }
    fn string(&mut self, index: u8) -> Result<String, TransportError> {
        self.0.string(index)
    }
    fn reconnect(&mut self) -> Result<(), TransportError> {
        self.0.reconnect()
    }
}

#[test]
fn maxreport_asks_for_whole_buffers() {
    for max_report in [false, true] {
        let lens = Arc::new(Mutex::new(Vec::new()));
        let spy =
            LenSpy(Replay::open(&recording("051d-0002-apc-back-ups-cs-500.hex")).unwrap(), lens.clone());
        let apc = usbhid_ups::device_table::NUT_SUBDRIVERS.iter().find(|n| n.file == "apc-hid.c").unwrap();
        let sub = apc.subdriver;
        let opts = EngineOpts { maxreport: max_report, ..EngineOpts::default() };
        let mut ups = HidUps::open(Box::new(spy), sub, opts).unwrap();
        let snap = ups.update().unwrap();
        assert_eq!(snap.vars.get("battery.charge").map(String::as_str), Some("100"));
        let lens = lens.lock().unwrap();
        assert!(!lens.is_empty());
        if max_report {
            assert!(lens.iter().all(|&n| n == MAX_REPORT_REQUEST), "{lens:?}");
        } else {
            assert!(lens.iter().all(|&n| n < 64), "the descriptor's lengths: {lens:?}");
        }
    }
}

#[test]
fn apc_back_ups_cs_gets_maxreport_from_the_table_as_in_nut() {
    let info = |product: &str| DeviceInfo {
        vendor_id: 0x051d,
        product_id: 0x0002,
        product: Some(product.into()),
        ..DeviceInfo::default()
    };
    let o = usbhid_ups::device_table::MatchOpts::default();
    let fx = |p: &str| usbhid_ups::device_table::claim(&info(p), &o).unwrap().effects;
    assert!(fx("Back-UPS CS 500").max_report);
    assert!(fx("Back-UPS ES 525").max_report);
    assert!(!fx("Back-UPS ES 700").max_report);
    // 051d:0003 and Legrand's ids disable the interrupt pipe.
    let five_g = DeviceInfo { vendor_id: 0x051d, product_id: 0x0003, ..DeviceInfo::default() };
    assert!(usbhid_ups::device_table::claim(&five_g, &o).unwrap().effects.disable_interrupt_pipe);
}
