//! Finds UPSes and prints ready `ups.conf` sections. `-U` scans USB with the device table of
//! usbhid-ups, so what is listed is what the driver accepts. Only the USB scan is implemented;
//! the other buses of NUT's nut-scanner are reported as unavailable.
//!
//! Output follows NUT 2.8: progress lines ("Scanning USB bus.") on stderr unless `-q`,
//! results on stdout as `ups.conf` sections (`-N`, the default) or parsable lines (`-P`);
//! no USB device at all (or no usable USB stack) is "No USB device found: ..." on stderr and
//! exit status 1, as NUT's; supported devices absent among present ones is empty output, 0.

use std::process::ExitCode;

use usbhid_ups::transport::libusb::{ScanError, ScanResult};
use usbhid_ups::transport::DeviceInfo;

/// One `[nutdev-usbN]` section (NUT 2.8.2+ names; 2.8.0 printed `[nutdevN]`).
pub fn usb_section(n: usize, d: &DeviceInfo) -> String {
    let mut s = format!("[nutdev-usb{n}]\n");
    for (k, v) in options(d) {
        s.push_str(&format!("\t{k} = \"{v}\"\n"));
    }
    s
}

/// One `-P` line: `USB:driver="usbhid-ups",port="auto",vendorid="0463",...`.
pub fn usb_parsable(d: &DeviceInfo) -> String {
    let opts: Vec<String> = options(d).iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("USB:{}\n", opts.join(","))
}

/// The section's options in NUT's order.
fn options(d: &DeviceInfo) -> Vec<(&'static str, String)> {
    let mut o = vec![
        ("driver", "usbhid-ups".to_string()),
        ("port", "auto".to_string()),
        ("vendorid", format!("{:04X}", d.vendor_id)),
        ("productid", format!("{:04X}", d.product_id)),
    ];
    for (k, v) in [("product", &d.product), ("serial", &d.serial), ("vendor", &d.vendor)] {
        if let Some(v) = v {
            o.push((k, v.clone()));
        }
    }
    o.push(("bus", d.bus.clone()));
    o
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// `ups.conf` sections (`-N`, default).
    NutConf,
    /// One line per device (`-P`).
    Parsable,
}

/// What to print and the exit status, for a scan outcome. `usb_dir_exists` says whether
/// `/dev/bus/usb` exists, to explain an empty or unusable USB stack.
pub fn render(
    scan: &Result<ScanResult, ScanError>,
    display: Display,
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
            let mut out = String::new();
            for (i, d) in r.supported.iter().enumerate() {
                out.push_str(&match display {
                    Display::NutConf => usb_section(i + 1, d),
                    Display::Parsable => usb_parsable(d),
                });
            }
            (out, err, 0)
        }
    }
}

const USAGE: &str = "nut-scanner : utility for detection of available power devices.

OPTIONS:
  -C, --complete_scan: Scan all available devices except serial ports (default).
  -U, --usb_scan: Scan USB devices.
* Options for SNMP, XML/HTTP, NUT (old method), Avahi, IPMI and Eaton serial scans are not
  implemented by this nut-scanner: only USB is scanned.

display specific options:
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
                if !"CUNPVaqDh".contains(c) {
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
    let display = if has('P') { Display::Parsable } else { Display::NutConf };
    let scan = usbhid_ups::transport::libusb::scan(usbhid_ups::device_table::listed);
    let usb_dir = !cfg!(target_os = "linux") || std::path::Path::new("/dev/bus/usb").exists();
    let (out, err, code) = render(&scan, display, has('q'), usb_dir);
    eprint!("{err}");
    print!("{out}");
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eaton() -> DeviceInfo {
        DeviceInfo {
            vendor_id: 0x0463,
            product_id: 0xffff,
            vendor: Some("EATON".into()),
            product: Some("Ellipse ECO".into()),
            serial: Some("000000000".into()),
            bus: "005".into(),
            device: "002".into(),
        }
    }

    #[test]
    fn section_like_nut() {
        assert_eq!(
            usb_section(1, &eaton()),
            "[nutdev-usb1]\n\tdriver = \"usbhid-ups\"\n\tport = \"auto\"\n\tvendorid = \"0463\"\n\tproductid = \"FFFF\"\n\tproduct = \"Ellipse ECO\"\n\tserial = \"000000000\"\n\tvendor = \"EATON\"\n\tbus = \"005\"\n"
        );
        assert_eq!(
            usb_parsable(&eaton()),
            "USB:driver=\"usbhid-ups\",port=\"auto\",vendorid=\"0463\",productid=\"FFFF\",product=\"Ellipse ECO\",serial=\"000000000\",vendor=\"EATON\",bus=\"005\"\n"
        );
    }

    #[test]
    fn no_device_and_no_usb_stack_are_exit_1_with_one_line() {
        let init = Err(ScanError::Init("Other error".into()));
        let (out, err, code) = render(&init, Display::NutConf, false, false);
        assert_eq!((out.as_str(), code), ("", 1));
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines[0], "Scanning USB bus.");
        assert_eq!(lines.len(), 2);
        assert!(lines[1].starts_with("No USB device found: libusb could not start (Other error)"));
        assert!(lines[1].contains("/dev/bus/usb does not exist"));
        let (_, err, code) = render(&Ok(ScanResult::default()), Display::NutConf, true, true);
        assert_eq!(code, 1);
        assert_eq!(err, "No USB device found: the system lists no USB device at all\n");
    }

    #[test]
    fn devices_but_no_ups_is_empty_success() {
        let r = Ok(ScanResult { total: 3, supported: vec![] });
        assert_eq!(render(&r, Display::NutConf, true, true), (String::new(), String::new(), 0));
        let r = Ok(ScanResult { total: 3, supported: vec![eaton(), eaton()] });
        let (out, err, code) = render(&r, Display::Parsable, false, true);
        assert_eq!(code, 0);
        assert_eq!(err, "Scanning USB bus.\n");
        assert_eq!(out.lines().count(), 2);
    }
}
