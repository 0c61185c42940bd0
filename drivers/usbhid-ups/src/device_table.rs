//! Which USB devices this driver takes, and with which subdriver, as NUT 2.8.5's usbhid-ups
//! decides: the `usb_device_id_t` table of each `drivers/*-hid.c` (every entry, with its line
//! at v2.8.5 and its handler) and the claim function of each subdriver, tried in the order of
//! NUT's `subdriver_list` (explore, mge, apc, arduino, belkin, cps, delta_ups, ecoflow, ever,
//! idowell, legrand, liebert, openups, powercom, powervar, salicru, tripplite).
//!
//! A table entry whose vendor and product match makes the device *supported* (and runs the
//! entry's handler); a known vendor with another product makes it *possibly supported*, which
//! most subdrivers accept only when the `productid` option is given (and otherwise log NUT's
//! "not (or perhaps not yet) supported" note). Some claims look further: mge takes Phoenixtec
//! 06da:ffff only when a string says "AEG" (liebert takes the others) and KSTAR 09d6 only when
//! the manufacturer says "KSTAR"; tripplite and powercom refuse their serial-over-USB products.
//! `subdriver = <regex>` bypasses all this ([`by_name`]), as in NUT.
//!
//! The id tables themselves are data in the nut-usb-ids crate (nut-scanner reads them there);
//! [`listed`] says whether a pair is in one of them. Pure: nothing here does I/O.

use crate::subdrivers::{self, Subdriver};
use crate::transport::DeviceInfo;

/// The table entries and their handlers are data in nut-usb-ids (shared with nut-scanner).
pub use nut_usb_ids::hid::{Handler, UsbId};
use nut_usb_ids::hid::{
    APC_IDS, ARDUINO_IDS, BELKIN_IDS, CPS_IDS, DELTA_UPS_IDS, ECOFLOW_IDS, EVER_IDS, IDOWELL_IDS,
    LEGRAND_IDS, LIEBERT_IDS, MGE_IDS, OPENUPS_IDS, POWERCOM_IDS, POWERVAR_IDS, SALICRU_IDS, TRIPPLITE_IDS,
};

/// How a subdriver's claim function decides (beyond the table lookup every one starts with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// explore-hid: any device, when the `explore` flag is set.
    Explore,
    /// Supported: yes; possibly supported: only with the `productid` option.
    Plain,
    /// mge-hid: HP and Dell only by table or with `productid` (and no note, they make many
    /// other devices); Phoenixtec only with "AEG" in the manufacturer or product string; KSTAR
    /// only with "KSTAR" in the manufacturer string.
    Mge,
    /// belkin-hid: Belkin's USB hub 050d:0218 never; Liebert 10af:0002 uses interface 1.
    Belkin,
    /// powercom-hid: 0d9f:0002 never (the `powercom` serial driver's); 0d9f:0001 reads
    /// interrupt reports only, 8 bytes long.
    Powercom,
    /// tripplite-hid: HP only by table or with `productid`; 09ae:0001 never (tripplite_usb's).
    Tripplite,
    /// arduino-hid: interface 2 and endpoints 4/5 unless the `usb_*` options say otherwise.
    Arduino,
    /// powervar-hid: interface 1 unless `usb_hid_rep_index` says otherwise.
    Powervar,
}

/// A NUT subdriver: its source file, our table, its USB ids and how it claims devices.
#[derive(Debug)]
pub struct NutSubdriver {
    /// NUT's source file (`mge-hid.c`).
    pub file: &'static str,
    /// Our port of its tables.
    pub subdriver: &'static Subdriver,
    /// Its `usb_device_id_t` table.
    pub ids: &'static [UsbId],
    /// Its claim function.
    pub rule: Rule,
    /// The manufacturer its "possibly supported" note names.
    pub mfr: &'static str,
}

impl PartialEq for NutSubdriver {
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file
    }
}

const fn nut(
    file: &'static str,
    subdriver: &'static Subdriver,
    ids: &'static [UsbId],
    rule: Rule,
    mfr: &'static str,
) -> NutSubdriver {
    NutSubdriver { file, subdriver, ids, rule, mfr }
}

/// NUT 2.8.5's `subdriver_list` (usbhid-ups.c), in its order: the order claims are tried and
/// `subdriver = <regex>` is matched in.
pub const NUT_SUBDRIVERS: &[NutSubdriver] = &[
    nut("explore-hid.c", &subdrivers::explore::SUBDRIVER, &[], Rule::Explore, ""),
    nut("mge-hid.c", &subdrivers::mge::SUBDRIVER, MGE_IDS, Rule::Mge, "Eaton / MGE"),
    nut("apc-hid.c", &subdrivers::apc::SUBDRIVER, APC_IDS, Rule::Plain, "APC"),
    nut("arduino-hid.c", &subdrivers::arduino::SUBDRIVER, ARDUINO_IDS, Rule::Arduino, "Arduino"),
    nut("belkin-hid.c", &subdrivers::belkin::SUBDRIVER, BELKIN_IDS, Rule::Belkin, "Belkin"),
    nut("cps-hid.c", &subdrivers::cps::SUBDRIVER, CPS_IDS, Rule::Plain, "CyberPower"),
    nut("delta_ups-hid.c", &subdrivers::delta::SUBDRIVER, DELTA_UPS_IDS, Rule::Plain, "Delta"),
    nut("ecoflow-hid.c", &subdrivers::ecoflow::SUBDRIVER, ECOFLOW_IDS, Rule::Plain, "EcoFlow"),
    nut("ever-hid.c", &subdrivers::ever::SUBDRIVER, EVER_IDS, Rule::Plain, "Ever"),
    nut("idowell-hid.c", &subdrivers::idowell::SUBDRIVER, IDOWELL_IDS, Rule::Plain, "iDowell"),
    nut("legrand-hid.c", &subdrivers::legrand::SUBDRIVER, LEGRAND_IDS, Rule::Plain, "Legrand"),
    nut("liebert-hid.c", &subdrivers::liebert::SUBDRIVER, LIEBERT_IDS, Rule::Plain, "Liebert"),
    nut("openups-hid.c", &subdrivers::openups::SUBDRIVER, OPENUPS_IDS, Rule::Plain, "openUPS"),
    nut("powercom-hid.c", &subdrivers::powercom::SUBDRIVER, POWERCOM_IDS, Rule::Powercom, "PowerCOM"),
    nut("powervar-hid.c", &subdrivers::powervar::SUBDRIVER, POWERVAR_IDS, Rule::Powervar, "Powervar"),
    nut("salicru-hid.c", &subdrivers::salicru::SUBDRIVER, SALICRU_IDS, Rule::Plain, "Salicru"),
    nut("tripplite-hid.c", &subdrivers::tripplite::SUBDRIVER, TRIPPLITE_IDS, Rule::Tripplite, "TrippLite"),
];

const HP: u16 = 0x03f0;
const DELL: u16 = 0x047c;
const PHOENIXTEC: u16 = 0x06da;
const KSTAR: u16 = 0x09d6;
const BELKIN: u16 = 0x050d;
const LIEBERT: u16 = 0x10af;
const TRIPPLITE: u16 = 0x09ae;

/// The options NUT's claim functions look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchOpts {
    /// The `productid` option is set (to anything).
    pub productid: bool,
    /// The `explore` flag is set.
    pub explore: bool,
    /// `usb_hid_rep_index` is set (a claim does not change it then).
    pub usb_hid_rep_index: bool,
    /// `usb_hid_ep_in` is set.
    pub usb_hid_ep_in: bool,
    /// `usb_hid_ep_out` is set.
    pub usb_hid_ep_out: bool,
}

/// What taking a device changes besides the subdriver (NUT's claim functions and table
/// handlers set these globals).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// The table entry's handler, if one ran.
    pub handler: Option<Handler>,
    /// The interface to use (`usb_hid_rep_index`), unless configured.
    pub hid_rep_index: Option<u8>,
    /// The interrupt-in endpoint (`usb_hid_ep_in`), unless configured.
    pub hid_ep_in: Option<u8>,
    /// The interrupt-out endpoint (`usb_hid_ep_out`), unless configured.
    pub hid_ep_out: Option<u8>,
    /// Poll only: do not read the interrupt pipe.
    pub disable_interrupt_pipe: bool,
    /// Ask for whole buffers in GET_REPORT (`maxreport`).
    pub max_report: bool,
    /// Read interrupt reports only (`interruptonly`).
    pub interrupt_only: bool,
    /// Read at most this many bytes from the interrupt pipe (`interruptsize`).
    pub interrupt_size: Option<usize>,
    /// Notes NUT logs while deciding (for the log, as warnings).
    pub notes: Vec<String>,
}

/// A device taken by a subdriver.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The NUT subdriver that claimed it.
    pub nut: &'static NutSubdriver,
    /// The table to use (for openUPS, the variant with the product's factors).
    pub subdriver: &'static Subdriver,
    /// Side effects of the claim.
    pub effects: Effects,
}

#[derive(Clone, Copy)]
enum Support {
    No,
    Possibly,
    Yes(Option<Handler>),
}

fn support(ids: &[UsbId], vid: u16, pid: u16) -> Support {
    match ids.iter().find(|e| e.vendor_id == vid && e.product_id == pid) {
        Some(e) => Support::Yes(e.handler),
        None if ids.iter().any(|e| e.vendor_id == vid) => Support::Possibly,
        None => Support::No,
    }
}

/// NUT's `possibly_supported` note.
pub fn possibly_supported(mfr: &str, vid: u16, pid: u16) -> String {
    let mut s = format!(
        "This {mfr} device ({vid:04x}:{pid:04x}) is not (or perhaps not yet) supported\nby usbhid-ups. \
         Please make sure you have an up-to-date version of NUT.\nIf this does not fix the problem, try \
         running the driver with the\n'-x productid={pid:04x}' option, or iterate with explicit '-x \
         subdriver=...'\noption. Please report your results to the NUT user's mailing list\nat \
         <nut-upsuser@lists.alioth.debian.org>."
    );
    if vid == PHOENIXTEC {
        s.push_str("\nPlease note that this Vendor ID is also known in devices supported by nutdrv_qx");
    }
    s
}

fn contains(s: &Option<String>, what: &str) -> bool {
    s.as_deref().is_some_and(|s| s.contains(what))
}

/// One subdriver's claim function: `Some` when it takes the device.
fn claim_one(n: &NutSubdriver, d: &DeviceInfo, o: &MatchOpts, fx: &mut Effects) -> bool {
    let (vid, pid) = (d.vendor_id, d.product_id);
    let possibly = |fx: &mut Effects| {
        if o.productid {
            return true;
        }
        fx.notes.push(possibly_supported(n.mfr, vid, pid));
        false
    };
    let aeg = || contains(&d.vendor, "AEG") || contains(&d.product, "AEG");
    let kstar = || contains(&d.vendor, "KSTAR");
    let status = match n.rule {
        Rule::Explore => return o.explore,
        _ => support(n.ids, vid, pid),
    };
    let taken = match (n.rule, status) {
        (_, Support::No) => false,
        (Rule::Mge, Support::Possibly) => match vid {
            HP | DELL => o.productid,
            PHOENIXTEC => aeg(),
            KSTAR => kstar(),
            _ => possibly(fx),
        },
        (Rule::Mge, Support::Yes(_)) => match vid {
            PHOENIXTEC => aeg(),
            KSTAR => kstar(),
            _ => true,
        },
        (Rule::Belkin, Support::Possibly) => match vid {
            BELKIN if pid == 0x0218 => false,
            BELKIN | LIEBERT => possibly(fx),
            _ => false,
        },
        (Rule::Powercom, Support::Possibly) if pid == 0x0002 => {
            fx.notes.push(format!(
                "This Powercom device ({vid:04x}/{pid:04x}) is not supported by usbhid-ups.\nPlease use the \
                 'powercom' driver instead."
            ));
            false
        }
        (Rule::Tripplite, Support::Possibly) => match vid {
            HP => o.productid,
            TRIPPLITE if pid == 0x0001 => {
                fx.notes.push(format!(
                    "This Tripp Lite device ({vid:04x}/{pid:04x}) is not supported by usbhid-ups.\nPlease use \
                     the tripplite_usb driver instead."
                ));
                false
            }
            TRIPPLITE => possibly(fx),
            _ => false,
        },
        (_, Support::Possibly) => possibly(fx),
        (_, Support::Yes(_)) => true,
    };
    if !taken {
        return false;
    }
    if let Support::Yes(Some(h)) = status {
        fx.handler = Some(h);
        match h {
            Handler::DisableInterruptPipe => fx.disable_interrupt_pipe = true,
            Handler::GeneralApcCheck => match d.product.as_deref() {
                None => fx.notes.push(
                    "device->Product is NULL so it is not possible to determine whether to activate \
                     max_report_size workaround"
                        .into(),
                ),
                Some(p) => {
                    fx.max_report = ["Back-UPS ES 525", "Back-UPS CS"].iter().any(|t| p.starts_with(t))
                }
            },
            _ => {}
        }
    }
    match n.rule {
        Rule::Arduino => {
            fx.hid_ep_in = (!o.usb_hid_ep_in).then_some(4);
            fx.hid_ep_out = (!o.usb_hid_ep_out).then_some(5);
            fx.hid_rep_index = (!o.usb_hid_rep_index).then_some(2);
        }
        Rule::Powervar => fx.hid_rep_index = (!o.usb_hid_rep_index).then_some(1),
        Rule::Belkin if vid == LIEBERT && pid == 0x0002 => {
            fx.hid_rep_index = (!o.usb_hid_rep_index).then_some(1);
        }
        Rule::Powercom if matches!(status, Support::Yes(_)) && pid == 0x0001 => {
            fx.interrupt_only = true;
            fx.interrupt_size = Some(8);
        }
        _ => {}
    }
    true
}

/// Which subdriver takes the device, trying NUT's claim functions in NUT's order; `Err` has
/// the notes NUT logs on the way when none does.
pub fn claim(d: &DeviceInfo, o: &MatchOpts) -> Result<Claimed, Vec<String>> {
    let mut fx = Effects::default();
    for n in NUT_SUBDRIVERS {
        if claim_one(n, d, o, &mut fx) {
            let subdriver = match (fx.handler, d.product_id) {
                (Some(Handler::OpenupsVoltageMultiplier), 0xd004) => &subdrivers::openups::SUBDRIVER_D004,
                (Some(Handler::OpenupsVoltageMultiplier), 0xd005) => &subdrivers::openups::SUBDRIVER_D005,
                // NUT's per-id matcher functions choose the scales (listed ids only: a
                // `productid` take runs no handler).
                (Some(Handler::CpsBatteryScale), _) => &subdrivers::cps::SUBDRIVER_0501,
                (Some(Handler::BatteryScale0dot1), pid) => subdrivers::tripplite::battery_scale_0dot1(pid),
                (Some(Handler::Smart1500lcdtScale), _) => &subdrivers::tripplite::SUBDRIVER_SMART1500LCDT,
                _ => n.subdriver,
            };
            return Ok(Claimed { nut: n, subdriver, effects: fx });
        }
    }
    Err(fx.notes)
}

/// The table a device with these ids gets with no option and no strings (NUT's claims), or
/// the generic one when no subdriver claims it. For tests and tools.
pub fn subdriver_for(vendor_id: u16, product_id: u16) -> &'static Subdriver {
    let d = DeviceInfo { vendor_id, product_id, ..DeviceInfo::default() };
    claim(&d, &MatchOpts::default()).map_or(&subdrivers::generic::SUBDRIVER, |c| c.subdriver)
}

/// Before a device is opened (only its ids are known): could a claim take it? True for a
/// vendor some table knows, or for any device with `explore`.
pub fn may_claim(vendor_id: u16, o: &MatchOpts) -> bool {
    o.explore || NUT_SUBDRIVERS.iter().any(|n| n.ids.iter().any(|e| e.vendor_id == vendor_id))
}

/// The vendor:product pair is in one of NUT's tables (what nut-scanner lists).
pub fn listed(vendor_id: u16, product_id: u16) -> bool {
    NUT_SUBDRIVERS
        .iter()
        .any(|n| n.ids.iter().any(|e| e.vendor_id == vendor_id && e.product_id == product_id))
}

/// Why `subdriver = ...` selects nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Configuration requested subdriver '{0}' but none matched")]
pub struct NoSuchSubdriver(pub String);

/// Whole-string, case-insensitive match of an extended regular expression, as NUT's
/// `match_regex` (leading and trailing blanks of the subject ignored). `None`: it does not
/// compile.
fn full_match(re: &str, subject: &str) -> Option<bool> {
    let r = regex_lite::RegexBuilder::new(&format!("^(?:{re})$")).case_insensitive(true).build().ok()?;
    Some(r.is_match(subject.trim_matches([' ', '\t', '\n'])))
}

/// NUT's `subdriver = <regex>`: an exact name first ("TrippLite HID 0.85"), then the value as
/// a case-insensitive regular expression matching a whole name, then (unless it already ends
/// in `.*`) the same with `.*` added, so that a prefix ("tripplite", "phoenixtec") selects;
/// NUT's list order decides between several matches.
pub fn by_name(wanted: &str) -> Result<&'static NutSubdriver, NoSuchSubdriver> {
    if let Some(n) = NUT_SUBDRIVERS.iter().find(|n| n.subdriver.name == wanted) {
        return Ok(n);
    }
    let mut tries = vec![wanted.to_string()];
    let b = wanted.as_bytes();
    let n = b.len();
    // NUT adds ".*" unless the value's last two characters look like it already ends in it.
    if n < 3 || (b[n - 2] != b'.' && b[n - 1] != b'*') {
        tries.push(format!("{wanted}.*"));
    }
    for re in tries {
        if let Some(n) = NUT_SUBDRIVERS.iter().find(|n| full_match(&re, n.subdriver.name) == Some(true)) {
            return Ok(n);
        }
    }
    Err(NoSuchSubdriver(wanted.to_string()))
}

/// The `subdriver` values the driver knows, one per line as NUT's `-h` ends.
pub fn help() -> String {
    let mut s = String::from(
        "\nAcceptable values for 'subdriver' via -x or ups.conf in this driver (exact names here, \
         case-insensitive sub-strings may be used, as well as regular expressions):\n",
    );
    for n in NUT_SUBDRIVERS {
        s.push_str(&format!("\t\"{}\"\n", n.subdriver.name));
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dev(vid: u16, pid: u16) -> DeviceInfo {
        DeviceInfo { vendor_id: vid, product_id: pid, ..DeviceInfo::default() }
    }

    #[test]
    fn every_table_has_nut_s_count() {
        let n: usize = NUT_SUBDRIVERS.iter().map(|n| n.ids.len()).sum();
        assert_eq!(n, 111, "111 entries, 110 distinct pairs (06da:ffff is in mge and liebert)");
    }

    #[test]
    fn names_select_as_nut() {
        let name = |s: &str| by_name(s).map(|n| n.file);
        assert_eq!(name("ever"), Ok("ever-hid.c"));
        assert_eq!(name("OPENUPS.*"), Ok("openups-hid.c"));
        assert_eq!(name("idowell"), Ok("idowell-hid.c"));
        assert_eq!(name("ARDUINO HID"), Ok("arduino-hid.c"));
        assert_eq!(name("explore"), Ok("explore-hid.c"));
        assert_eq!(name("Ever HID 0.10"), Ok("ever-hid.c"));
        assert_eq!(name("HID 0"), Err(NoSuchSubdriver("HID 0".into())), "names match from their start");
        assert_eq!(name(".*"), Ok("explore-hid.c"), "first in NUT's list");
        assert!(name("nosuch").is_err());
        assert!(name("(").is_err(), "an invalid expression matches nothing");
    }

    #[test]
    fn claims_with_options_and_strings() {
        let o = MatchOpts::default();
        let p = MatchOpts { productid: true, ..MatchOpts::default() };
        let file = |d: &DeviceInfo, o: &MatchOpts| claim(d, o).map(|c| c.nut.file).ok();
        let mut aeg = dev(0x06da, 0xffff);
        assert_eq!(file(&aeg, &o), Some("liebert-hid.c"));
        aeg.product = Some("PROTECT NAS (AEG)".into());
        assert_eq!(file(&aeg, &o), Some("mge-hid.c"));
        assert_eq!(file(&dev(0x05dd, 0xa0a0), &o), Some("tripplite-hid.c"));
        assert_eq!(file(&dev(0x05dd, 0xa0a0), &p), Some("delta_ups-hid.c"), "delta comes first");
        let unknown = claim(&dev(0x0463, 0x1234), &o).unwrap_err();
        assert!(unknown[0].starts_with("This Eaton / MGE device (0463:1234) is not"), "{unknown:?}");
        assert_eq!(file(&dev(0x0463, 0x1234), &p), Some("mge-hid.c"));
        assert_eq!(file(&dev(0x09ae, 0x0001), &p), None);
        let c = claim(&dev(0x10af, 0x0002), &o).unwrap();
        assert_eq!((c.nut.file, c.effects.hid_rep_index), ("belkin-hid.c", Some(1)));
        let c = claim(&dev(0x2341, 0x8036), &MatchOpts { usb_hid_ep_in: true, ..o.clone() }).unwrap();
        assert_eq!(
            (c.effects.hid_rep_index, c.effects.hid_ep_in, c.effects.hid_ep_out),
            (Some(2), None, Some(5))
        );
        let sub = |vid, pid, o: &MatchOpts| format!("{:?}", claim(&dev(vid, pid), o).unwrap().subdriver);
        assert_eq!(sub(0x0764, 0x0501, &o), format!("{:?}", subdrivers::cps::SUBDRIVER_0501));
        assert_eq!(sub(0x0764, 0x0601, &o), format!("{:?}", subdrivers::cps::SUBDRIVER));
        assert_eq!(sub(0x09ae, 0x3016, &o), format!("{:?}", subdrivers::tripplite::SUBDRIVER_SMART1500LCDT));
        assert_eq!(
            sub(0x09ae, 0x1003, &o),
            format!("{:?}", subdrivers::tripplite::SUBDRIVER_BATTERY_0_1_NO_CHEMISTRY)
        );
        assert_eq!(
            sub(0x09ae, 0x7777, &p),
            format!("{:?}", subdrivers::tripplite::SUBDRIVER),
            "productid: no scale"
        );
        let c = claim(&dev(0x0d9f, 0x0001), &o).unwrap();
        assert!(c.effects.interrupt_only && c.effects.interrupt_size == Some(8));
        let c = claim(&dev(0x04d8, 0xd005), &o).unwrap();
        let vin = c.subdriver.vars.iter().find(|m| m.var == "input.voltage").map(|m| m.conv);
        let Some(crate::subdrivers::Conv::Fun(f)) = vin else { panic!("openUPS input.voltage: {vin:?}") };
        assert_eq!((f.fun)(100.0).as_deref(), Some("10.00"), "d005's factor");
        let mut cs = dev(0x051d, 0x0002);
        cs.product = Some("Back-UPS CS 650".into());
        assert!(claim(&cs, &o).unwrap().effects.max_report);
        cs.product = Some("Back-UPS ES 700".into());
        assert!(!claim(&cs, &o).unwrap().effects.max_report);
        let x = MatchOpts { explore: true, ..MatchOpts::default() };
        assert_eq!(file(&dev(0x1234, 0x5678), &x), Some("explore-hid.c"));
        assert!(may_claim(0x0463, &o) && !may_claim(0x1234, &o) && may_claim(0x1234, &x));
        assert!(listed(0x06da, 0xffff) && !listed(0x0463, 0x1234));
    }
}
