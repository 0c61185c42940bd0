//! `nut_hid::value::format_g` against C's `printf("%g")`, which is what NUT uses to print
//! HID values and what usbhid-ups' variables must look like.
//!
//! The input is read as up to three numbers: an f64 from 8 raw bytes (any value, NaN and
//! infinities included), and the physical value of a logical integer under a 10^exp scale,
//! the way HID fields produce values.
#![no_main]

use std::ffi::CStr;

use libfuzzer_sys::fuzz_target;
use nut_hid::value::format_g;

fn c_g(v: f64) -> String {
    let mut buf = [0 as libc::c_char; 64];
    // SAFETY: the buffer is 64 bytes and "%g" of a double needs at most about 14.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr(), buf.len(), c"%g".as_ptr(), v) };
    assert!(n > 0 && (n as usize) < buf.len());
    // SAFETY: snprintf NUL-terminated the buffer.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

fn check(v: f64) {
    let ours = format_g(v);
    let c = c_g(v);
    // C prints "nan"/"-nan"/"inf"; NUT never prints those for a device value, so only finite
    // values are compared.
    if v.is_finite() {
        assert_eq!(ours, c, "format_g({v:?})");
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[..8]);
        check(f64::from_le_bytes(b));
    }
    if data.len() >= 13 {
        let logical = i32::from_le_bytes([data[8], data[9], data[10], data[11]]);
        let exp = i32::from(data[12] % 16) - 8;
        check(f64::from(logical) * 10f64.powi(exp));
    }
});
