//! `powercom_sdcmd_byte_order_fallback` and `powercom_sdcmd_discrete_delay` change how the
//! Powercom subdriver reads and writes its delays (NUT 2.8.5's powercom-hid). The options are
//! process-wide, as in NUT, so they are exercised here, in a test binary of their own, one
//! step after the other.

use std::path::PathBuf;

use usbhid_ups::hidups::HidUps;
use usbhid_ups::options::{self, PowercomFlags};
use usbhid_ups::subdrivers::powercom;
use usbhid_ups::transport::replay::Replay;

fn bnt() -> (HidUps, usbhid_ups::transport::replay::FaultInjector) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/nut-hid/tests/data/0d9f-0004-powercom-hid-ups-battery-996b.hex");
    let r = Replay::open(&p).expect("recording");
    let f = r.faults();
    (HidUps::new(Box::new(r), &powercom::SUBDRIVER).expect("parses"), f)
}

#[test]
fn byte_order_options() {
    let (mut ups, faults) = bnt();
    let f = ups.field("UPS.PowerSummary.DelayBeforeShutdown").cloned().expect("field");
    // DelayBeforeShutdown = 0x0105 (report 0x0f, little endian on the wire).
    let mut data = ups.read_report(f.report_type, f.report_id).expect("report");
    f.store(&mut data, 0x0105).expect("fits");
    let mut wire = vec![f.report_id];
    wire.extend(data);
    faults.set_report(f.report_type, f.report_id, wire);

    // Default: minutes in the high byte: 1 min 5 s.
    options::set_powercom(PowercomFlags { byte_order_fallback: false, discrete_delay: false });
    assert_eq!(ups.update().expect("update").vars["ups.timer.shutdown"], "65");
    // powercom_sdcmd_byte_order_fallback: the 0.7 subdriver's order: 5 min 1 s.
    options::set_powercom(PowercomFlags { byte_order_fallback: true, discrete_delay: false });
    assert_eq!(ups.update().expect("update").vars["ups.timer.shutdown"], "301");
    // The conversions used for writing follow the options too.
    let nuf = powercom::SHUTDOWN.nuf.expect("writable");
    assert_eq!(nuf("90"), Some(f64::from(0x5e01u16)));
    options::set_powercom(PowercomFlags { byte_order_fallback: false, discrete_delay: true });
    assert_eq!(nuf("90"), Some(10.0), "discrete delay table: 90 s -> index 10 (2 min)");
    options::set_powercom(PowercomFlags { byte_order_fallback: false, discrete_delay: false });
    assert_eq!(nuf("90"), Some(f64::from(0x015eu16)));
    assert_eq!(options::powercom(), PowercomFlags::default());
}
