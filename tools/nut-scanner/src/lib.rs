//! Finds UPSes and prints ready `ups.conf` sections. `-U` scans USB with the device table of
//! usbhid-ups, so what is listed is what the driver accepts.

use std::process::ExitCode;

use usbhid_ups::transport::DeviceInfo;

/// One `[nutdev-usbN]` section as NUT 2.8 prints it.
pub fn usb_section(n: usize, d: &DeviceInfo) -> String {
    let mut s = format!(
        "[nutdev-usb{n}]\n\tdriver = \"usbhid-ups\"\n\tport = \"auto\"\n\tvendorid = \"{:04X}\"\n\tproductid = \"{:04X}\"\n",
        d.vendor_id, d.product_id
    );
    if let Some(p) = &d.product {
        s.push_str(&format!("\tproduct = \"{p}\"\n"));
    }
    if let Some(v) = &d.serial {
        s.push_str(&format!("\tserial = \"{v}\"\n"));
    }
    if let Some(v) = &d.vendor {
        s.push_str(&format!("\tvendor = \"{v}\"\n"));
    }
    s.push_str(&format!("\tbus = \"{}\"\n", d.bus));
    s
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let p = nut_core::getopt::parse(&args[1..], "UhqQ");
    if p.has('h') || !p.has('U') {
        println!(
            "Usage: nut-scanner -U\n  -U, --usb_scan: Scan USB devices (the only scan implemented so far)"
        );
        return if p.has('h') { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    match usbhid_ups::transport::libusb::scan(|v, p| usbhid_ups::device_table::lookup(v, p).is_some()) {
        Ok(list) => {
            for (i, d) in list.iter().enumerate() {
                print!("{}", usb_section(i + 1, d));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nut-scanner: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_like_nut() {
        let d = DeviceInfo {
            vendor_id: 0x0463,
            product_id: 0xffff,
            vendor: Some("EATON".into()),
            product: Some("Ellipse ECO".into()),
            serial: Some("000000000".into()),
            bus: "005".into(),
            device: "002".into(),
        };
        assert_eq!(
            usb_section(1, &d),
            "[nutdev-usb1]\n\tdriver = \"usbhid-ups\"\n\tport = \"auto\"\n\tvendorid = \"0463\"\n\tproductid = \"FFFF\"\n\tproduct = \"Ellipse ECO\"\n\tserial = \"000000000\"\n\tvendor = \"EATON\"\n\tbus = \"005\"\n"
        );
    }
}
