//! Finds UPSes and prints ready `ups.conf` sections. `-U` scans USB with the id tables of
//! every driver (crate nut-usb-ids: usbhid-ups, nutdrv_qx, blazer_usb), so what is listed is
//! what a driver here accepts. Only the USB scan is implemented; the other buses of NUT's
//! nut-scanner are reported as unavailable.
//!
//! Output follows NUT 2.8.5: progress lines ("Scanning USB bus.") on stderr unless `-q`,
//! results on stdout as `ups.conf` sections (`-Q`, the default, adds NUT's sanity-check
//! warnings about serial numbers; `-N` without them) or parsable lines (`-P`). Each `-U`
//! adds link detail as NUT's: one `-U` (or `-C`) comments `bus`, `device` and `busport` out,
//! `-UU` reports `bus` and `busport`, `-UUU` also `device`. A device two drivers list gets
//! the one NUT prefers (usbhid-ups, then nutdrv_qx, then blazer_usb) and a
//! `# alternately: ...` note. Q1 USB-to-serial devices also get the USB `subdriver`
//! nutdrv_qx picks for them (strings decide between entries with the same ids): NUT 2.8.5's
//! nut-scanner leaves it out (nutdrv_qx finds it from the same table), we print it so the
//! section says which bridge framing is in use. No USB device at all (or no usable USB
//! stack) is "No USB device found: ..." on stderr and exit status 1, as NUT's; supported
//! devices absent among present ones is empty output, 0.

use std::process::ExitCode;

use nut_transport::usb::{DeviceInfo, ScanError, ScanResult};

/// One option line of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// Option name.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// Printed commented out (`# bus = "001"`) in `ups.conf` form, left out of `-P` lines.
    pub commented: bool,
}

/// A device as nut-scanner reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NutDev {
    /// `driver =`.
    pub driver: &'static str,
    /// The other drivers that list it.
    pub alternates: Vec<&'static str>,
    /// The options after `port = "auto"`, in NUT's order.
    pub opts: Vec<Opt>,
}

/// What a device found on the bus becomes, with `-U` given `detail` - 1 extra times (0: bus,
/// device and busport commented; 1: bus and busport reported; 2 and 3: device too). `None`
/// when no driver lists its ids.
pub fn nut_device(d: &DeviceInfo, detail: u8) -> Option<NutDev> {
    let found = nut_usb_ids::scan_driver(d.vendor_id, d.product_id)?;
    // NUT trims trailing blanks of the strings it reads.
    let trim = |s: &Option<String>| s.as_deref().map(|s| s.trim_end_matches(' ').to_string());
    let (vendor, product, serial) = (trim(&d.vendor), trim(&d.product), trim(&d.serial));
    let opt = |name, value: String, commented| Opt { name, value, commented };
    let mut opts = Vec::new();
    if found.driver == "nutdrv_qx" {
        if let Some(sub) =
            nut_usb_ids::qx_subdriver(d.vendor_id, d.product_id, vendor.as_deref(), product.as_deref())
        {
            opts.push(opt("subdriver", sub.to_string(), false));
        }
    }
    opts.push(opt("vendorid", format!("{:04X}", d.vendor_id), false));
    opts.push(opt("productid", format!("{:04X}", d.product_id), false));
    for (k, v) in [("product", product), ("serial", serial), ("vendor", vendor)] {
        if let Some(v) = v {
            opts.push(opt(k, v, false));
        }
    }
    opts.push(opt("bus", d.bus.clone(), detail < 1));
    opts.push(opt("device", d.device.clone(), detail < 2));
    if let Some(bp) = &d.busport {
        opts.push(opt("busport", bp.clone(), detail < 1));
    }
    Some(NutDev { driver: found.driver, alternates: found.alternates, opts })
}

/// One `[nutdev-usbN]` section (NUT 2.8.2+ names; 2.8.0 printed `[nutdevN]`).
pub fn usb_section(n: usize, d: &NutDev) -> String {
    let mut s = format!("[nutdev-usb{n}]\n\tdriver = \"{}\"", d.driver);
    if !d.alternates.is_empty() {
        s.push_str(&format!("\t# alternately: {}", d.alternates.join(" ")));
    }
    s.push_str("\n\tport = \"auto\"\n");
    for o in &d.opts {
        let mark = if o.commented { "# " } else { "" };
        s.push_str(&format!("\t{mark}{} = \"{}\"\n", o.name, o.value));
    }
    s
}

/// One `-P` line: `USB:driver="usbhid-ups",port="auto",vendorid="0463",...` (commented
/// options left out, as NUT's).
pub fn usb_parsable(d: &NutDev) -> String {
    let mut s = format!("USB:driver=\"{}\",port=\"auto\"", d.driver);
    for o in d.opts.iter().filter(|o| !o.commented) {
        s.push_str(&format!(",{}=\"{}\"", o.name, o.value));
    }
    s.push('\n');
    s
}

/// NUT's sanity check after the `ups.conf` sections (`-Q`): warnings, as comments, about
/// serial numbers that are empty, end in a blank, repeat one character, or are shared by
/// several sections. `first` is the number of the first section.
pub fn sanity_check(devs: &[NutDev], first: usize) -> String {
    // serial => sections, in order of first appearance.
    let mut map: Vec<(String, Vec<String>)> = Vec::new();
    for (i, d) in devs.iter().enumerate() {
        let Some(o) = d.opts.iter().find(|o| o.name == "serial") else { continue };
        let key = if o.value.is_empty() { "<empty>".to_string() } else { o.value.clone() };
        let name = format!("nutdev-usb{}", first + i);
        match map.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(name),
            None => map.push((key, vec![name])),
        }
    }
    let mut out = String::new();
    for (key, names) in &map {
        let val = names.join(",");
        if key == "<empty>" || key == "<null>" {
            out.push_str(&format!("\n# WARNING: {key} \"serial\" reported in some devices: {val}\n"));
            continue;
        }
        if key.ends_with([' ', '\t']) {
            out.push_str(&format!(
                "\n# WARNING: trailing blank space in \"serial\" value \"{key}\" reported in device configuration(s): {val}"
            ));
        }
        let c0 = key.as_bytes()[0];
        if key.bytes().all(|c| c == c0) {
            out.push_str(&format!(
                "\n# WARNING: all-same character \"serial\" with {} copies of '{}' (0x{c0:02X}) reported in some devices: {val}\n",
                key.len(),
                char::from(c0)
            ));
        }
        if names.len() > 1 {
            out.push_str(&format!(
                "\n# WARNING: same \"serial\" value \"{key}\" reported in several device configurations (maybe okay if \
                 multiple drivers for same device, likely a vendor bug if reported by same driver for many devices): {val}\n"
            ));
        }
    }
    out
}

/// The ids some driver lists (what the scan opens to read strings).
pub fn supported(vendor_id: u16, product_id: u16) -> bool {
    nut_usb_ids::scan_driver(vendor_id, product_id).is_some()
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// `ups.conf` sections followed by the serial-number sanity check (`-Q`, default).
    NutConfChecked,
    /// `ups.conf` sections (`-N`).
    NutConf,
    /// One line per device (`-P`).
    Parsable,
}

/// What to print and the exit status, for a scan outcome. `detail` is the link detail level
/// (see [`nut_device`]); `usb_dir_exists` says whether `/dev/bus/usb` exists, to explain an
/// empty or unusable USB stack.
pub fn render(
    scan: &Result<ScanResult, ScanError>,
    display: Display,
    detail: u8,
    quiet: bool,
    usb_dir_exists: bool,
) -> (String, String, u8) {
    let mut err = String::new();
    if !quiet {
        err.push_str("Scanning USB bus.\n");
    }
    let why = if usb_dir_exists {
        String::new()
    } else {
        "; /dev/bus/usb does not exist, so no USB device is visible here (in a container, pass the \
         host's bus through, e.g. docker run --device /dev/bus/usb, or run nut-scanner on the host)"
            .to_string()
    };
    match scan {
        Err(e) => {
            err.push_str(&format!("No USB device found: {e}{why}\n"));
            (String::new(), err, 1)
        }
        Ok(r) if r.total == 0 => {
            err.push_str(&format!("No USB device found: the system lists no USB device at all{why}\n"));
            (String::new(), err, 1)
        }
        Ok(r) => {
            let devs: Vec<NutDev> = r.supported.iter().filter_map(|d| nut_device(d, detail)).collect();
            let mut out = String::new();
            for (i, d) in devs.iter().enumerate() {
                out.push_str(&match display {
                    Display::NutConf | Display::NutConfChecked => usb_section(i + 1, d),
                    Display::Parsable => usb_parsable(d),
                });
            }
            if display == Display::NutConfChecked {
                out.push_str(&sanity_check(&devs, 1));
            }
            (out, err, 0)
        }
    }
}

const USAGE: &str = "nut-scanner : utility for detection of available power devices.

OPTIONS:
  -C, --complete_scan: Scan all available devices except serial ports (default).
  -U, --usb_scan: Scan USB devices. Specify several times, for more hardware link-specific details
* Options for SNMP, XML/HTTP, NUT (old method), Avahi, IPMI and Eaton serial scans are not
  implemented by this nut-scanner: only USB is scanned.

display specific options:
  -Q, --disp_nut_conf_with_sanity_check: Display result in the ups.conf format with sanity-check warnings as comments (default)
  -N, --disp_nut_conf: Display result in the ups.conf format
  -P, --disp_parsable: Display result in a parsable format

Miscellaneous options:
  -V, --version: Display NUT version
  -a, --available: Display available bus that can be scanned
  -q, --quiet: Display only scan result. No information on currently scanned bus is displayed.
  -D, --nut_debug_level: Raise the debugging level.  Use this multiple times to see more details.
";

const LONG: &[(&str, char)] = &[
    ("--complete_scan", 'C'),
    ("--usb_scan", 'U'),
    ("--disp_nut_conf_with_sanity_check", 'Q'),
    ("--disp_nut_conf", 'N'),
    ("--disp_parsable", 'P'),
    ("--version", 'V'),
    ("--available", 'a'),
    ("--quiet", 'q'),
    ("--nut_debug_level", 'D'),
    ("--help", 'h'),
];

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let prog = args.first().cloned().unwrap_or_else(|| "nut-scanner".into());
    let mut short = Vec::new();
    for a in args.iter().skip(1) {
        if a.starts_with("--") {
            match LONG.iter().find(|(l, _)| l == a) {
                Some((_, c)) => short.push(format!("-{c}")),
                None => {
                    eprintln!("{prog}: unrecognized option '{a}'");
                    print!("{USAGE}");
                    return ExitCode::from(255);
                }
            }
        } else if let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
            for c in flags.chars() {
                if !"CUNPQVaqDh".contains(c) {
                    eprintln!("{prog}: invalid option -- '{c}'");
                    print!("{USAGE}");
                    eprintln!(
                        "\n\nWARNING: Some error has occurred while processing 'nut-scanner' command-line\n\
                         arguments, see more details above the usage help text.\n"
                    );
                    return ExitCode::from(255);
                }
                short.push(format!("-{c}"));
            }
        } else {
            eprintln!("{prog}: unexpected argument '{a}' (see -h)");
            return ExitCode::from(255);
        }
    }
    let has = |c: char| short.iter().any(|s| s == &format!("-{c}"));
    if has('h') {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if has('V') {
        println!("{}", nut_core::banner("nut-scanner"));
        return ExitCode::SUCCESS;
    }
    if has('a') {
        println!("USB");
        return ExitCode::SUCCESS;
    }
    // The last display option given wins, as in NUT.
    let display = short
        .iter()
        .rev()
        .find_map(|s| match s.as_str() {
            "-P" => Some(Display::Parsable),
            "-N" => Some(Display::NutConf),
            "-Q" => Some(Display::NutConfChecked),
            _ => None,
        })
        .unwrap_or(Display::NutConfChecked);
    // Each -U adds link detail (the first, or -C, gives the least).
    let detail = short.iter().filter(|s| s.as_str() == "-U").count().saturating_sub(1).min(3) as u8;
    let scan = nut_transport::usb::scan(supported);
    let usb_dir = !cfg!(target_os = "linux") || std::path::Path::new("/dev/bus/usb").exists();
    let (out, err, code) = render(&scan, display, detail, has('q'), usb_dir);
    eprint!("{err}");
    print!("{out}");
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(vid: u16, pid: u16, vendor: &str, product: &str, serial: &str) -> DeviceInfo {
        let s = |v: &str| (!v.is_empty()).then(|| v.to_string());
        DeviceInfo {
            vendor_id: vid,
            product_id: pid,
            vendor: s(vendor),
            product: s(product),
            serial: s(serial),
            bus: "005".into(),
            device: "002".into(),
            busport: Some("3".into()),
        }
    }

    fn eaton() -> DeviceInfo {
        dev(0x0463, 0xffff, "EATON", "Ellipse ECO", "000000000")
    }

    fn section(d: &DeviceInfo, detail: u8) -> String {
        usb_section(1, &nut_device(d, detail).expect("listed"))
    }

    #[test]
    fn hid_section_like_nut_2_8_5() {
        // One -U: no link detail (commented out), as NUT 2.8.5.
        assert_eq!(
            section(&eaton(), 0),
            "[nutdev-usb1]\n\tdriver = \"usbhid-ups\"\n\tport = \"auto\"\n\tvendorid = \"0463\"\n\tproductid = \"FFFF\"\n\tproduct = \"Ellipse ECO\"\n\tserial = \"000000000\"\n\tvendor = \"EATON\"\n\t# bus = \"005\"\n\t# device = \"002\"\n\t# busport = \"3\"\n"
        );
        // -UU: bus and busport; -UUU: device too.
        assert!(section(&eaton(), 1).ends_with("\tbus = \"005\"\n\t# device = \"002\"\n\tbusport = \"3\"\n"));
        assert!(section(&eaton(), 2).ends_with("\tbus = \"005\"\n\tdevice = \"002\"\n\tbusport = \"3\"\n"));
        assert_eq!(
            usb_parsable(&nut_device(&eaton(), 0).expect("listed")),
            "USB:driver=\"usbhid-ups\",port=\"auto\",vendorid=\"0463\",productid=\"FFFF\",product=\"Ellipse ECO\",serial=\"000000000\",vendor=\"EATON\"\n"
        );
        assert!(
            usb_parsable(&nut_device(&eaton(), 1).expect("listed")).ends_with(",bus=\"005\",busport=\"3\"\n")
        );
        // No busport known: no line; trailing blanks of strings trimmed as NUT does.
        let mut d = dev(0x051d, 0x0002, "American Power Conversion  ", "Back-UPS CS 650 ", "");
        d.busport = None;
        assert_eq!(
            section(&d, 1),
            "[nutdev-usb1]\n\tdriver = \"usbhid-ups\"\n\tport = \"auto\"\n\tvendorid = \"051D\"\n\tproductid = \"0002\"\n\tproduct = \"Back-UPS CS 650\"\n\tvendor = \"American Power Conversion\"\n\tbus = \"005\"\n\t# device = \"002\"\n"
        );
    }

    #[test]
    fn q1_usb_serial_devices_get_nutdrv_qx_and_their_subdriver() {
        let d = dev(0x0665, 0x5161, "", "USB to Serial", "");
        assert_eq!(
            section(&d, 0),
            "[nutdev-usb1]\n\tdriver = \"nutdrv_qx\"\t# alternately: blazer_usb\n\tport = \"auto\"\n\tsubdriver = \"cypress\"\n\tvendorid = \"0665\"\n\tproductid = \"5161\"\n\tproduct = \"USB to Serial\"\n\t# bus = \"005\"\n\t# device = \"002\"\n\t# busport = \"3\"\n"
        );
        let sub = |d: &DeviceInfo| {
            nut_device(d, 0)
                .and_then(|n| n.opts.iter().find(|o| o.name == "subdriver").map(|o| o.value.clone()))
        };
        // Strings decide between the 0001:0000 entries, as nutdrv_qx does.
        assert_eq!(sub(&dev(0x0001, 0x0000, "MEC", "MEC0003", "")).as_deref(), Some("fabula"));
        assert_eq!(sub(&dev(0x0001, 0x0000, "", "MEC0003", "")).as_deref(), Some("hunnox"));
        assert_eq!(sub(&dev(0x0001, 0x0000, "ATCL FOR UPS", "ATCL FOR UPS", "")).as_deref(), Some("fuji"));
        assert_eq!(sub(&dev(0x0001, 0x0000, "", "", "")).as_deref(), Some("krauler"));
        assert_eq!(
            sub(&dev(0x06da, 0x0002, "Phoenixtec Power", "USB Cable (V2.00)", "")).as_deref(),
            Some("phoenixtec")
        );
        assert_eq!(sub(&dev(0x06da, 0x0601, "", "", "")).as_deref(), Some("phoenix"));
        assert_eq!(sub(&dev(0x0483, 0x0035, "", "", "")).as_deref(), Some("sgs"));
        // CH340 bridge: nutdrv_qx, no subdriver line (NUT's entry names none).
        let ch340 = nut_device(&dev(0x1a86, 0x7523, "", "USB Serial", ""), 0).expect("listed");
        assert_eq!((ch340.driver, sub(&dev(0x1a86, 0x7523, "", "", ""))), ("nutdrv_qx", None));
        // HID and Q1 vendors side by side: 06da:ffff is usbhid-ups's.
        assert_eq!(nut_device(&dev(0x06da, 0xffff, "", "", ""), 0).map(|n| n.driver), Some("usbhid-ups"));
        assert_eq!(nut_device(&dev(0x1234, 0x5678, "", "", ""), 0), None);
        let p = usb_parsable(&nut_device(&d, 0).expect("listed"));
        assert_eq!(p, "USB:driver=\"nutdrv_qx\",port=\"auto\",subdriver=\"cypress\",vendorid=\"0665\",productid=\"5161\",product=\"USB to Serial\"\n");
    }

    #[test]
    fn vendor_protocol_devices_get_bcmxcp_usb_and_riello_usb() {
        // NUT 2.8.5's generated nutscan-usb.h (nut-usbinfo.pl over bcmxcp_usb.c, riello_usb.c).
        let d = dev(0x04b4, 0x5500, "", "", "");
        assert!(section(&d, 0).starts_with("[nutdev-usb1]\n\tdriver = \"riello_usb\"\n\tport = \"auto\"\n\tvendorid = \"04B4\"\n\tproductid = \"5500\"\n"));
        for (v, p) in [(0x0592, 0x0002), (0x03f0, 0x1f01), (0x03f0, 0x1f02)] {
            let n = nut_device(&dev(v, p, "", "", ""), 0).expect("listed");
            assert_eq!((n.driver, n.alternates.len()), ("bcmxcp_usb", 0), "{v:04x}:{p:04x}");
        }
        // 06da:0002 is also nutdrv_qx's and blazer_usb's: nutdrv_qx is named, the others follow.
        let n = nut_device(&dev(0x06da, 0x0002, "", "", ""), 0).expect("listed");
        assert_eq!((n.driver, n.alternates), ("nutdrv_qx", vec!["bcmxcp_usb", "blazer_usb"]));
    }

    #[test]
    fn sanity_check_warns_as_nut() {
        let devs: Vec<NutDev> = [eaton(), eaton(), dev(0x0665, 0x5161, "", "", "")]
            .iter()
            .filter_map(|d| nut_device(d, 0))
            .collect();
        let w = sanity_check(&devs, 1);
        assert_eq!(
            w,
            "\n# WARNING: all-same character \"serial\" with 9 copies of '0' (0x30) reported in some devices: nutdev-usb1,nutdev-usb2\n\n# WARNING: same \"serial\" value \"000000000\" reported in several device configurations (maybe okay if multiple drivers for same device, likely a vendor bug if reported by same driver for many devices): nutdev-usb1,nutdev-usb2\n"
        );
        let one = [nut_device(&dev(0x0463, 0xffff, "", "", "G123"), 0).expect("listed")];
        assert_eq!(sanity_check(&one, 1), "");
    }

    #[test]
    fn no_device_and_no_usb_stack_are_exit_1_with_one_line() {
        let init = Err(ScanError::Init("Other error".into()));
        let (out, err, code) = render(&init, Display::NutConf, 0, false, false);
        assert_eq!((out.as_str(), code), ("", 1));
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines[0], "Scanning USB bus.");
        assert_eq!(lines.len(), 2);
        assert!(lines[1].starts_with("No USB device found: libusb could not start (Other error)"));
        assert!(lines[1].contains("/dev/bus/usb does not exist"));
        let (_, err, code) = render(&Ok(ScanResult::default()), Display::NutConf, 0, true, true);
        assert_eq!(code, 1);
        assert_eq!(err, "No USB device found: the system lists no USB device at all\n");
    }

    #[test]
    fn devices_but_no_ups_is_empty_success() {
        let r = Ok(ScanResult { total: 3, supported: vec![] });
        assert_eq!(render(&r, Display::NutConfChecked, 0, true, true), (String::new(), String::new(), 0));
        let r = Ok(ScanResult { total: 3, supported: vec![eaton(), eaton()] });
        let (out, err, code) = render(&r, Display::Parsable, 0, false, true);
        assert_eq!(code, 0);
        assert_eq!(err, "Scanning USB bus.\n");
        assert_eq!(out.lines().count(), 2);
        let (out, _, _) = render(&r, Display::NutConfChecked, 0, false, true);
        assert!(out.contains("[nutdev-usb2]") && out.contains("# WARNING: same \"serial\""), "{out}");
    }
}
