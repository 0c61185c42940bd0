//! Reading a field out of report bytes and converting it the way NUT prints it.
//!
//! Three steps: the raw bits at the field's offset; the logical value (sign-extended when the
//! logical minimum is negative, as NUT does); the physical value (the linear map from the
//! logical to the physical range when both physical limits are declared and sane, then times
//! 10^unit_exponent).

use crate::parser::Field;

/// Why a value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The report is shorter than the field's position requires.
    #[error("report too short: field at bit {offset} size {size} needs {need} byte(s), got {have}")]
    ShortReport {
        /// Field bit offset.
        offset: u32,
        /// Field size in bits.
        size: u32,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// Fields larger than 32 bits are not numbers.
    #[error("field of {0} bits is not a number")]
    TooWide(u32),
}

impl Field {
    /// The raw bits of the field from report data (the bytes after the report ID).
    pub fn raw_value(&self, data: &[u8]) -> Result<u32, ValueError> {
        self.check_fits(data.len())?;
        let mut v: u64 = 0;
        for i in 0..self.size as usize {
            let bit = self.offset as usize + i;
            if data[bit / 8] & (1 << (bit % 8)) != 0 {
                v |= 1 << i;
            }
        }
        Ok(v as u32)
    }

    /// The logical value, as NUT's `GetValue` computes it: the raw bits limited to the width
    /// the logical range needs (devices put garbage in the high bits), sign-extended when the
    /// logical minimum is negative, then clamped to the logical range.
    pub fn logical_value(&self, data: &[u8]) -> Result<i64, ValueError> {
        Ok(self.logical_from_raw(self.raw_value(data)?))
    }

    /// [`Field::logical_value`] from raw bits already read.
    pub fn logical_from_raw(&self, raw: u32) -> i64 {
        let (lmin, lmax) = (self.logical_min, self.logical_max);
        let magnitude = |v: i64| if v >= 0 { v as u64 } else { (-(v + 1)) as u64 };
        let widest = magnitude(lmax).max(magnitude(lmin));
        let signbit: u64 = 1u64 << (64 - widest.leading_zeros());
        let mask = (signbit - 1) | if lmin < 0 { signbit } else { 0 };
        let mut v = u64::from(raw) & mask;
        if lmin < 0 && v & signbit != 0 {
            v |= !mask;
        }
        (v as i64).clamp(lmin.min(lmax), lmax.max(lmin))
    }

    /// The value NUT prints on its `Path:` lines (physical range and unit exponent applied).
    pub fn value(&self, data: &[u8]) -> Result<f64, ValueError> {
        Ok(self.to_physical(self.logical_value(data)?))
    }

    /// Convert a logical value to the printed physical value (NUT's `logical_to_physical`, then
    /// the unit exponent): a usable physical range maps linearly and clamps to it.
    pub fn to_physical(&self, logical: i64) -> f64 {
        let mut v = logical as f64;
        if let (Some((pmin, factor)), Some(pmax)) = (self.physical_scale(), self.physical_max) {
            v = ((logical - self.logical_min) as f64 * factor + pmin).clamp(pmin, pmax as f64);
        }
        v * 10f64.powi(self.effective_exponent())
    }

    /// The power of ten NUT applies. Volts (`0x00F0D121`) and watts/volt-amperes (`0x0000D121`)
    /// are cgs units, so an exponent of 7 means plain V or W; NUT removes those 7 decades.
    pub fn effective_exponent(&self) -> i32 {
        let e = i32::from(self.unit_exponent);
        match self.unit {
            0x00F0_D121 | 0x0000_D121 => e - 7,
            _ => e,
        }
    }

    /// Convert a physical value back to the logical value to write (NUT's
    /// `physical_to_logical`: the inverse map truncated toward zero, clamped to the logical
    /// range when a physical range applies).
    pub fn to_logical(&self, physical: f64) -> i64 {
        let v = physical / 10f64.powi(self.effective_exponent());
        match self.physical_scale() {
            Some((pmin, factor)) => {
                let l = ((v - pmin) / factor) as i64 + self.logical_min;
                l.clamp(self.logical_min, self.logical_max)
            }
            None => v as i64,
        }
    }

    /// Write a logical value into report data at this field's position.
    pub fn store(&self, data: &mut [u8], logical: i64) -> Result<(), ValueError> {
        self.check_fits(data.len())?;
        let bits = logical as u64;
        for i in 0..self.size as usize {
            let bit = self.offset as usize + i;
            if bits & (1 << i) != 0 {
                data[bit / 8] |= 1 << (bit % 8);
            } else {
                data[bit / 8] &= !(1 << (bit % 8));
            }
        }
        Ok(())
    }

    /// The field must be a number (at most 32 bits) and lie within `len` bytes of report data.
    fn check_fits(&self, len: usize) -> Result<(), ValueError> {
        if self.size > 32 {
            return Err(ValueError::TooWide(self.size));
        }
        let need = (self.offset as usize + self.size as usize).div_ceil(8);
        if len < need {
            return Err(ValueError::ShortReport { offset: self.offset, size: self.size, need, have: len });
        }
        Ok(())
    }

    /// `(physical minimum, physical units per logical unit)` when the descriptor gives a
    /// usable physical range (both bounds, not both 0, increasing, over an increasing
    /// logical range); NUT ignores any other physical range.
    fn physical_scale(&self) -> Option<(f64, f64)> {
        let (pmin, pmax) = (self.physical_min?, self.physical_max?);
        let sane = !(pmin == 0 && pmax == 0) && pmax > pmin && self.logical_max > self.logical_min;
        sane.then(|| (pmin as f64, (pmax - pmin) as f64 / (self.logical_max - self.logical_min) as f64))
    }
}

/// Format a number as C's `%g` does (6 significant digits, no trailing zeros), which is how NUT
/// prints values on its `Path:` lines.
///
/// C picks the notation from the exponent of the value once rounded to 6 significant digits
/// (so 999999.5 is `1e+06`): fixed for exponents -4..=5, scientific otherwise. Signs follow C
/// too: `-0` for negative zero, `nan`/`-nan` and `inf`/`-inf` as glibc prints them.
pub fn format_g(v: f64) -> String {
    const PRECISION: i32 = 6;
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:.5e}` rounds the exact binary value to 6 significant digits like glibc, so its
    // exponent is the one C's rule is based on.
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, v);
    let (mant, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    if (-4..PRECISION).contains(&exp) {
        let decimals = (PRECISION - 1 - exp) as usize;
        trim_zeros(&format!("{:.*}", decimals, v)).to_string()
    } else {
        // Rust prints 1.23450e6; C prints 1.2345e+06.
        format!("{}e{}{:02}", trim_zeros(mant), if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

/// Drop the zeros after the decimal point, and the point itself when nothing is left after it.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::ReportType;

    fn field(offset: u32, size: u32, lmin: i64, lmax: i64, exp: i8) -> Field {
        Field {
            path: vec![],
            report_type: ReportType::Feature,
            report_id: 1,
            offset,
            size,
            logical_min: lmin,
            logical_max: lmax,
            physical_min: None,
            physical_max: None,
            unit: 0,
            unit_exponent: exp,
            flags: 2,
            assumed_logical_max: false,
        }
    }

    #[test]
    fn bits_sign_and_exponent() {
        let f = field(4, 12, 0, 4095, -2);
        assert_eq!(f.raw_value(&[0x40, 0x4e, 0x05]), Ok(0x4e4));
        let s = field(0, 16, -1, 32767, 0);
        assert_eq!(s.logical_value(&[0xff, 0xff]), Ok(-1));
        let mut v = field(0, 16, 0, 65535, 5);
        v.unit = 0x00F0_D121;
        assert_eq!(format_g(v.value(&[0x4e, 0x05]).expect("fits")), "13.58");
        assert!(matches!(v.raw_value(&[0x4e]), Err(ValueError::ShortReport { .. })));
    }

    #[test]
    fn logical_values_are_masked_and_clamped_as_nut_does() {
        // 16-bit field declared 0..255: NUT drops the high byte.
        let f = field(0, 16, 0, 255, 0);
        assert_eq!(f.logical_value(&[0x23, 0x01]), Ok(0x23));
        // 0..100 in 8 bits: 0x7f fits the 7-bit mask but is above the maximum: clamped.
        let f = field(0, 8, 0, 100, 0);
        assert_eq!(f.logical_value(&[0xff]), Ok(100));
        // Signed -100..100: 0x9c is -100.
        let f = field(0, 8, -100, 100, 0);
        assert_eq!(f.logical_value(&[0x9c]), Ok(-100));
        // No logical range declared at all (0..0): NUT reads 0.
        assert_eq!(field(0, 8, 0, 0, 0).logical_value(&[0x42]), Ok(0));
        // A 32-bit unsigned range with garbage in the sign-extended high bits.
        let f = field(0, 32, 0, 0xffff, 0);
        assert_eq!(f.logical_value(&[0x00, 0x0a, 0x08, 0x80]), Ok(0x0a00));
    }

    #[test]
    fn physical_range_scales_clamps_and_inverts() {
        let mut f = field(0, 8, 0, 255, 0);
        f.physical_min = Some(0);
        f.physical_max = Some(510);
        assert_eq!(f.to_physical(100), 200.0);
        assert_eq!(f.to_logical(200.0), 100);
        // Out of the physical range on the way back: clamped to the logical range.
        assert_eq!(f.to_logical(9999.0), 255);
        // Truncated toward zero, as NUT's (long) cast.
        assert_eq!(field(0, 8, 0, 255, 0).to_logical(41.9), 41);
    }

    #[test]
    fn store_round_trips() {
        let f = field(3, 10, 0, 1023, 0);
        let mut d = [0u8; 2];
        f.store(&mut d, 777).expect("fits");
        assert_eq!(f.raw_value(&d), Ok(777));
    }

    #[test]
    fn g_format_like_c() {
        assert_eq!(format_g(230.0), "230");
        assert_eq!(format_g(0.03), "0.03");
        assert_eq!(format_g(-60.0), "-60");
        assert_eq!(format_g(1234567.0), "1.23457e+06");
        assert_eq!(format_g(459524.0), "459524");
    }

    #[test]
    fn g_format_notation_switch_like_c() {
        // Expected strings are glibc's printf("%g") output.
        assert_eq!(format_g(1e-5), "1e-05");
        assert_eq!(format_g(0.0001), "0.0001");
        assert_eq!(format_g(0.00012345678), "0.000123457");
        assert_eq!(format_g(0.000099999999), "0.0001");
        assert_eq!(format_g(999999.5), "1e+06");
        assert_eq!(format_g(999999.4), "999999");
        assert_eq!(format_g(-999999.5), "-1e+06");
        assert_eq!(format_g(123456.0), "123456");
        assert_eq!(format_g(1e6), "1e+06");
        assert_eq!(format_g(1.5e-300), "1.5e-300");
        assert_eq!(format_g(1.7976931348623157e308), "1.79769e+308");
        assert_eq!(format_g(5e-324), "4.94066e-324");
        assert_eq!(format_g(-0.0025), "-0.0025");
        assert_eq!(format_g(2.50), "2.5");
        assert_eq!(format_g(100.0), "100");
        assert_eq!(format_g(0.0), "0");
        assert_eq!(format_g(-0.0), "-0");
        assert_eq!(format_g(f64::NAN), "nan");
        assert_eq!(format_g(-f64::NAN), "-nan");
        assert_eq!(format_g(f64::INFINITY), "inf");
        assert_eq!(format_g(f64::NEG_INFINITY), "-inf");
    }
}
