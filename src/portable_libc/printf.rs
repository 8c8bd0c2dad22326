//! printf's floating-point conversions (`%f %F %e %E %g %G %a %A`) spelled exactly as glibc
//! spells them, for the wasm libc. The decimal digits come from the value's exact decimal
//! expansion ([`Decimal`]), rounded half to even like glibc; everything around the digits
//! (signs, `%g` style choice, exponent spelling, hex floats, padding) is glibc's. `core::fmt`'s
//! float formatting is not used: it would link core's flt2dec (about 18 KB of wasm).

pub(crate) const F_MINUS: u32 = 1;
pub(crate) const F_PLUS: u32 = 2;
pub(crate) const F_SPACE: u32 = 4;
pub(crate) const F_HASH: u32 = 8;
pub(crate) const F_ZERO: u32 = 16;

/// One conversion `%[flags][width][.precision]C`.
pub(crate) struct FloatSpec {
    /// One of `fFeEgGaA`; anything else is formatted like `f`.
    pub conversion: u8,
    /// A combination of the `F_*` bits.
    pub flags: u32,
    pub width: usize,
    pub precision: Option<usize>,
}

/// Formats `value` as glibc's printf does for `spec`.
pub(crate) fn format_double(value: f64, spec: &FloatSpec) -> String {
    let mut out = String::new();
    // ASCII only: each byte is its char.
    write_double(value, spec, &mut |bytes| {
        out.extend(bytes.iter().map(|&b| char::from(b)))
    });
    out
}

/// Writes `value` as glibc's printf does for `spec`, in pieces through `emit`: the sign,
/// prefix, padding and body are not joined into one string first (the module's
/// `snprintf` writes them straight into its output).
pub(crate) fn write_double(value: f64, spec: &FloatSpec, emit: &mut dyn FnMut(&[u8])) {
    let flag = |f: u32| spec.flags & f != 0;
    let alt = flag(F_HASH);
    // glibc prints the sign bit of every value, NaN included ("-nan").
    let sign: &[u8] = if value.is_sign_negative() {
        b"-"
    } else if flag(F_PLUS) {
        b"+"
    } else if flag(F_SPACE) {
        b" "
    } else {
        b""
    };
    let magnitude = value.abs();
    let upper = spec.conversion.is_ascii_uppercase();
    let mut prefix: &[u8] = b"";
    let mut body = if value.is_nan() {
        b"nan".to_vec()
    } else if value.is_infinite() {
        b"inf".to_vec()
    } else {
        match spec.conversion.to_ascii_lowercase() {
            b'e' => exponential(magnitude, spec.precision.unwrap_or(6), alt),
            b'g' => general(magnitude, spec.precision.unwrap_or(6), alt),
            b'a' => {
                prefix = if upper { b"0X" } else { b"0x" };
                hexadecimal(magnitude, spec.precision, alt).into_bytes()
            }
            _ => fixed(magnitude, spec.precision.unwrap_or(6), alt),
        }
    };
    if upper {
        body.make_ascii_uppercase();
    }

    let fill = spec
        .width
        .saturating_sub(sign.len() + prefix.len() + body.len());
    let pad = |byte: u8, emit: &mut dyn FnMut(&[u8])| {
        let run = [byte; 32];
        let mut left = fill;
        while left > 0 {
            let n = left.min(run.len());
            emit(&run[..n]);
            left -= n;
        }
    };
    if flag(F_MINUS) {
        emit(sign);
        emit(prefix);
        emit(&body);
        pad(b' ', emit);
    } else if flag(F_ZERO) && value.is_finite() {
        // Zeros go between the sign / "0x" and the digits; glibc pads inf and nan with spaces.
        emit(sign);
        emit(prefix);
        pad(b'0', emit);
        emit(&body);
    } else {
        pad(b' ', emit);
        emit(sign);
        emit(prefix);
        emit(&body);
    }
}

/// The exact decimal expansion of a finite `x >= 0`: `x = 0.d₁d₂d₃… × 10^point`, the digits
/// in ASCII without a leading zero. A double is `m × 2^e`, so its expansion is finite: the
/// digits of `m × 2^e` when `e >= 0`, else those of `m × 5^-e` with the point `-e` digits from
/// the right. Zero has no digits and `point` 1 (it is written with exponent 0). Every digit is
/// kept, and rounding looks at all of them, so the results are exact rather than fast.
/// How many digits a conversion rounds at: `n` after the decimal point (`%f`), or `n`
/// significant ones (`%e`, `%g`).
#[derive(Clone, Copy)]
enum Need {
    Fraction(usize),
    Significant(usize),
}

struct Decimal {
    digits: Vec<u8>,
    point: i64,
}

impl Decimal {
    /// The decimal digits of `x`, at least as many as `need` says rounding will look at:
    /// digits past those may be cut short to one sticky non-zero digit, which rounds the
    /// same way the exact rest does.
    fn of(x: f64, need: Need) -> Decimal {
        let bits = x.to_bits();
        let biased = (bits >> 52) as i64; // x is non-negative: no sign bit
        let fraction = bits & ((1 << 52) - 1);
        let (m, e) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | 1 << 52, biased - 1075)
        };
        if m == 0 {
            return Decimal {
                digits: Vec::new(),
                point: 1,
            };
        }
        if (-124..0).contains(&e) {
            return Decimal::of_binary_fraction(m, (-e) as u32, need);
        }
        let digits = if e >= 0 {
            digits_of(m, e as u32, 0)
        } else {
            digits_of(m, 0, (-e) as u32)
        };
        Decimal {
            point: digits.len() as i64 + e.min(0),
            digits,
        }
    }

    /// `m / 2^k` for `k` in 1..=124, the values most programs print: the integer part from
    /// a u64, then one fractional digit at a time from the remainder (below 2^k, so ten
    /// times it fits a u128), as many as `need` asks. Exact like `digits_of`, without its
    /// big numbers.
    fn of_binary_fraction(m: u64, k: u32, need: Need) -> Decimal {
        let whole = if k < 64 { m >> k } else { 0 };
        let mask = (1u128 << k) - 1;
        let mut rest = u128::from(m) & mask;
        let mut digits = Vec::with_capacity(24);
        let mut point = 0;
        if whole > 0 {
            let mut n = whole;
            while n > 0 {
                digits.push(b'0' + (n % 10) as u8);
                n /= 10;
            }
            digits.reverse();
            point = digits.len() as i64;
        }
        let mut fraction_digits = 0;
        while rest != 0 {
            let enough = match need {
                Need::Fraction(n) => fraction_digits > n,
                Need::Significant(n) => digits.len() > n,
            };
            if enough {
                digits.push(b'1'); // sticky: the rest is not zero
                break;
            }
            rest *= 10;
            let digit = (rest >> k) as u8;
            rest &= mask;
            fraction_digits += 1;
            if digits.is_empty() && digit == 0 {
                point -= 1; // a leading zero of a value below 1
            } else {
                digits.push(b'0' + digit);
            }
        }
        Decimal { digits, point }
    }

    /// The digit `dᵢ₊₁` (index 0 is the first digit) in ASCII; '0' outside the digits.
    fn digit(&self, i: i64) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.digits.get(i))
            .map_or(b'0', |&d| d)
    }

    /// Rounds to the first `keep` digits, to nearest with ties to even as glibc does. A carry
    /// out of the first digit leaves "1" and moves the point; rounding to nothing at all
    /// (`keep < 0`, the value is below a tenth of the last kept place) leaves 0.
    fn round(&mut self, keep: i64) {
        let Ok(keep) = usize::try_from(keep) else {
            self.digits.clear();
            return;
        };
        let Some(&first) = self.digits.get(keep) else {
            return;
        };
        let odd = keep > 0 && self.digits[keep - 1] % 2 == 1; // b'1' is odd
        let up = first > b'5'
            || first == b'5' && (odd || self.digits[keep + 1..].iter().any(|&d| d != b'0'));
        self.digits.truncate(keep);
        if up {
            loop {
                match self.digits.last_mut() {
                    // A 9 becomes a trailing 0, which `digit` reads anyway.
                    Some(b'9') => {
                        self.digits.pop();
                    }
                    Some(d) => {
                        *d += 1;
                        break;
                    }
                    None => {
                        self.digits.push(b'1');
                        self.point += 1;
                        break;
                    }
                }
            }
        }
    }

    /// `%f` style: the integer digits ("0" if none), then `precision` fraction digits.
    fn fixed(&self, precision: usize, alt: bool, out: &mut Vec<u8>) {
        if self.point <= 0 {
            out.push(b'0');
        }
        self.digits_at(0..self.point, out);
        if precision > 0 || alt {
            out.push(b'.');
        }
        self.digits_at(self.point..self.point + precision as i64, out);
    }

    /// `%e` style without the exponent: one digit, then `precision` fraction digits.
    fn mantissa(&self, precision: usize, alt: bool, out: &mut Vec<u8>) {
        out.push(self.digit(0));
        if precision > 0 || alt {
            out.push(b'.');
        }
        self.digits_at(1..precision as i64 + 1, out);
    }

    /// The digits at `places` (see `digit`).
    fn digits_at(&self, places: core::ops::Range<i64>, out: &mut Vec<u8>) {
        for i in places {
            out.push(self.digit(i));
        }
    }
}

/// The decimal digits of `n × 2^twos × 5^fives` (n > 0) in ASCII, without leading zeros.
pub(crate) fn digits_of(n: u64, twos: u32, fives: u32) -> Vec<u8> {
    const BASE: u64 = 1_000_000_000;
    // Little-endian limbs in base 10^9; a limb times a factor below 2^32, plus a carry,
    // fits in a u64.
    let mut limbs = vec![n % BASE, n / BASE % BASE, n / BASE / BASE];
    let (mut twos, mut fives) = (twos, fives);
    while twos + fives > 0 {
        let factor = if twos > 0 {
            let step = twos.min(31);
            twos -= step;
            1 << step
        } else {
            let step = fives.min(13);
            fives -= step;
            5u64.pow(step)
        };
        let mut carry = 0;
        for limb in &mut limbs {
            let v = *limb * factor + carry;
            *limb = v % BASE;
            carry = v / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
    }
    let mut digits = Vec::with_capacity(9 * limbs.len());
    for mut limb in limbs {
        for _ in 0..9 {
            digits.push(b'0' + (limb % 10) as u8);
            limb /= 10;
        }
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    digits.reverse();
    digits
}

/// `%f` of a non-negative finite value.
fn fixed(x: f64, precision: usize, alt: bool) -> Vec<u8> {
    let mut d = Decimal::of(x, Need::Fraction(precision));
    d.round(d.point + precision as i64);
    let mut out = Vec::with_capacity(d.point.max(1) as usize + precision + 1);
    d.fixed(precision, alt, &mut out);
    out
}

/// `%e` of a non-negative finite value.
fn exponential(x: f64, precision: usize, alt: bool) -> Vec<u8> {
    let mut d = Decimal::of(x, Need::Significant(precision + 1));
    d.round(precision as i64 + 1);
    let mut out = Vec::with_capacity(precision + 8);
    d.mantissa(precision, alt, &mut out);
    exponent_suffix(d.point - 1, &mut out);
    out
}

/// `%g` of a non-negative finite value: C's rule picks `%f` or `%e` style from the exponent
/// the value has once rounded to P significant digits.
fn general(x: f64, precision: usize, alt: bool) -> Vec<u8> {
    let p = precision.max(1);
    let mut d = Decimal::of(x, Need::Significant(p));
    let exact_point = d.point;
    // Rounding to P significant digits is also rounding to P - 1 - X decimals in `%f` style,
    // X being the exponent after rounding: a carry only adds zeros.
    d.round(p as i64);
    let exponent = d.point - 1;
    let mut out = Vec::with_capacity(p + 8);
    // glibc quirk: a value below 10^P that rounds up to 10^P is first laid out in `%f`
    // style, whose zero fraction digits `#` keeps; the carry then switches it to `%e` style
    // without them, so `%#g` of 999999.5 is "1.e+06", not "1.00000e+06".
    if alt && exponent == p as i64 && exact_point < d.point {
        out.extend_from_slice(b"1.");
        exponent_suffix(exponent, &mut out);
        return out;
    }
    let fixed_style = (-4..p as i64).contains(&exponent);
    if fixed_style {
        d.fixed((p as i64 - 1 - exponent) as usize, alt, &mut out);
    } else {
        d.mantissa(p - 1, alt, &mut out);
    }
    if !alt && out.contains(&b'.') {
        while out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            out.pop();
        }
    }
    if !fixed_style {
        exponent_suffix(exponent, &mut out);
    }
    out
}

/// C's exponent spelling: a sign and at least two digits.
fn exponent_suffix(exponent: i64, out: &mut Vec<u8>) {
    out.push(b'e');
    out.push(if exponent < 0 { b'-' } else { b'+' });
    let magnitude = exponent.unsigned_abs(); // at most 324
    if magnitude >= 100 {
        out.push(b'0' + (magnitude / 100) as u8);
    }
    out.push(b'0' + (magnitude / 10 % 10) as u8);
    out.push(b'0' + (magnitude % 10) as u8);
}

/// `%a` of a non-negative finite value, without the "0x" prefix. glibc writes normal numbers
/// as `1.hhh…p±E` and subnormals as `0.hhh…p-1022`, drops trailing zero digits when no
/// precision is given, and rounds to nearest even when one is (a carry may turn the leading
/// digit into 2, as in `%.0a` of 1.5 = `0x2p+0`).
fn hexadecimal(x: f64, precision: Option<usize>, alt: bool) -> String {
    const FRACTION_DIGITS: usize = 13; // 52 bits
    let bits = x.to_bits();
    let fraction = bits & ((1 << 52) - 1);
    let biased = (bits >> 52) as i32; // x is non-negative: no sign bit
    let (leading, exponent) = match (biased, fraction) {
        (0, 0) => (0, 0),
        (0, _) => (0, -1022),
        _ => (1, biased - 1023),
    };
    let mantissa = (leading << 52) | fraction;

    let (leading, digits) = match precision {
        None => {
            let all = format!("{fraction:013x}");
            (leading, all.trim_end_matches('0').to_owned())
        }
        Some(p) if p >= FRACTION_DIGITS => {
            let zeros = "0".repeat(p - FRACTION_DIGITS);
            (leading, format!("{fraction:013x}{zeros}"))
        }
        Some(p) => {
            let dropped = 4 * (FRACTION_DIGITS - p) as u32;
            let rest = mantissa & ((1 << dropped) - 1);
            let half = 1 << (dropped - 1);
            let mut kept = mantissa >> dropped;
            if rest > half || (rest == half && kept & 1 == 1) {
                kept += 1;
            }
            let fraction = kept & ((1 << (4 * p)) - 1);
            let digits = if p == 0 {
                String::new()
            } else {
                format!("{fraction:0p$x}")
            };
            (kept >> (4 * p), digits)
        }
    };
    let point = if alt || !digits.is_empty() { "." } else { "" };
    format!("{leading:x}{point}{digits}p{exponent:+}")
}

/// The shortest decimal that reads back as `value` (as Rust's `{}` and Zig's `{d}` give it,
/// e.g. "0.1", "1.5", "1e+300"), built from `%.{p}g` with the smallest precision that round
/// trips. The wasm module has `%g` anyway; Rust's own shortest formatting would add several
/// KB to it.
pub(crate) fn shortest(value: f64) -> String {
    for precision in 1..=17 {
        let spec = FloatSpec {
            conversion: b'g',
            flags: 0,
            width: 0,
            precision: Some(precision),
        };
        let text = format_double(value, &spec);
        let back = super::strtod::parse(text.as_bytes());
        if back.consumed != text.len() || back.value == value || value.is_nan() {
            return text;
        }
    }
    format_double(
        value,
        &FloatSpec {
            conversion: b'g',
            flags: 0,
            width: 0,
            precision: Some(17),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::ffi::{c_char, CString};

    fn spec_text(spec: &FloatSpec) -> String {
        let mut fmt = String::from("%");
        for (bit, c) in [
            (F_MINUS, '-'),
            (F_PLUS, '+'),
            (F_SPACE, ' '),
            (F_HASH, '#'),
            (F_ZERO, '0'),
        ] {
            if spec.flags & bit != 0 {
                fmt.push(c);
            }
        }
        if spec.width > 0 {
            fmt += &spec.width.to_string();
        }
        if let Some(p) = spec.precision {
            fmt += &format!(".{p}");
        }
        fmt.push(spec.conversion as char);
        fmt
    }

    /// What glibc's snprintf prints for the same conversion.
    fn glibc(value: f64, spec: &FloatSpec) -> String {
        let fmt = CString::new(spec_text(spec)).expect("no NUL in a format");
        // SAFETY: a NULL buffer of size 0 only measures; the format takes exactly one double.
        let len = unsafe { libc::snprintf(std::ptr::null_mut(), 0, fmt.as_ptr(), value) };
        let len = usize::try_from(len).expect("snprintf failed");
        let mut buf = vec![0u8; len + 1];
        // SAFETY: buf has room for len bytes and the NUL.
        unsafe {
            libc::snprintf(
                buf.as_mut_ptr() as *mut c_char,
                buf.len(),
                fmt.as_ptr(),
                value,
            )
        };
        buf.truncate(len);
        String::from_utf8(buf).expect("printf of a double is ASCII")
    }

    fn check(value: f64, spec: &FloatSpec) {
        assert_eq!(
            format_double(value, spec),
            glibc(value, spec),
            "{} of {value:e} (bits {:#018x})",
            spec_text(spec),
            value.to_bits()
        );
    }

    fn spec(conversion: u8, flags: u32, width: usize, precision: Option<usize>) -> FloatSpec {
        FloatSpec {
            conversion,
            flags,
            width,
            precision,
        }
    }

    const CONVERSIONS: &[u8] = b"fFeEgGaA";

    fn edge_values() -> Vec<f64> {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1.5,
            2.5,
            0.1,
            0.125,
            0.375,
            9.5,
            99.5,
            999.5,
            0.95,
            0.0095,
            1e-4,
            9.9999e-5,
            0.00001234,
            123456.0,
            999999.5,
            1e6,
            1e15,
            1e16,
            1e17,
            1e21,
            1e22,
            1e100,
            1e308,
            -1e308,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            1e-310,
            f64::EPSILON,
            std::f64::consts::PI,
            1.0 / 3.0,
            2.0 / 3.0,
            0.3,
            100.0,
            1e-5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            f64::from_bits(0xfff8_0000_dead_beef),
            f64::from_bits(0x000f_ffff_ffff_ffff),
            f64::from_bits(0x3fef_ffff_ffff_ffff),
            f64::from_bits(0x3ff0_0000_0000_0001),
            f64::from_bits(0x3fff_ffff_ffff_ffff),
            1.0625,
            1.03125,
            1.09375,
            1.96875,
            2f64.powi(60),
        ];
        values.extend((0..60).map(|i| 2f64.powi(i) - 0.5));
        values
    }

    #[test]
    fn edge_values_all_conversions() {
        let precisions = [
            None,
            Some(0),
            Some(1),
            Some(2),
            Some(3),
            Some(6),
            Some(13),
            Some(14),
            Some(17),
            Some(30),
        ];
        for value in edge_values() {
            for &conversion in CONVERSIONS {
                for precision in precisions {
                    for flags in [0, F_HASH, F_PLUS, F_SPACE | F_ZERO, F_MINUS | F_HASH] {
                        check(value, &spec(conversion, flags, 12, precision));
                        check(value, &spec(conversion, flags, 0, precision));
                    }
                }
            }
        }
    }

    #[test]
    fn documented_examples() {
        let a = |v: f64| format_double(v, &spec(b'a', 0, 0, None));
        assert_eq!(a(1.0), "0x1p+0");
        assert_eq!(a(1.5), "0x1.8p+0");
        assert_eq!(a(0.1), "0x1.999999999999ap-4");
        assert_eq!(a(0.0), "0x0p+0");
        assert_eq!(a(5e-324), "0x0.0000000000001p-1022");
        assert_eq!(format_double(1.5, &spec(b'a', 0, 0, Some(0))), "0x2p+0");
        assert_eq!(format_double(-f64::NAN, &spec(b'f', 0, 0, None)), "-nan");
        assert_eq!(
            format_double(f64::INFINITY, &spec(b'f', F_ZERO, 6, None)),
            "   inf"
        );
        assert_eq!(format_double(0.0, &spec(b'e', 0, 0, None)), "0.000000e+00");
        assert_eq!(
            format_double(100.0, &spec(b'G', F_HASH, 0, Some(2))),
            "1.0E+02"
        );
    }

    #[test]
    fn huge_precisions_and_widths() {
        for value in [1e308, f64::MAX, 5e-324, 0.1, 1.0 / 3.0, -2.5e-300, 123.456] {
            for &conversion in CONVERSIONS {
                for precision in [Some(99), Some(340), Some(767), Some(800), Some(1100)] {
                    check(value, &spec(conversion, 0, 0, precision));
                    check(value, &spec(conversion, F_HASH, 0, precision));
                }
                check(value, &spec(conversion, F_ZERO | F_PLUS, 400, Some(3)));
                check(value, &spec(conversion, F_MINUS, 99, None));
            }
        }
    }

    fn neighbours(x: f64) -> [f64; 3] {
        [
            f64::from_bits(x.to_bits() - 1),
            x,
            f64::from_bits(x.to_bits() + 1),
        ]
    }

    /// Every precision 0..=40 of `%e %f %g` (and `#`) on the edge values, on values with exact
    /// ties, and on values near 10^k and 2^k; the decimal digits of each come from
    /// [`Decimal`]'s rounding at every position that matters.
    #[test]
    fn every_precision_near_ties_and_powers() {
        let mut values = edge_values();
        values.extend([
            1e23,
            8.5,
            0.5,
            0.25,
            0.0625,
            0.03125,
            1e22 + 0.5e7,
            f64::MIN_POSITIVE / 2.0,
            f64::from_bits(1) * 3.0,
            f64::from_bits(0x0010_0000_0000_0001),
        ]);
        values.extend(neighbours(f64::MAX / 2.0));
        values.extend(neighbours(f64::MIN_POSITIVE));
        // (2n + 1) / 2^j has j decimals ending in 5: a tie at `%.{j-1}f`.
        for j in 1..=24 {
            for n in [0u32, 1, 2, 7, 1000, 12345] {
                values.push(f64::from(2 * n + 1) / f64::from(1u32 << j));
            }
        }
        for k in [
            -310, -300, -20, -5, -4, -3, -1, 0, 1, 5, 6, 14, 15, 16, 17, 22, 23, 300,
        ] {
            let x: f64 = format!("1e{k}").parse().expect("a float");
            values.extend(neighbours(x));
        }
        for value in values {
            if !value.is_finite() {
                continue;
            }
            for conversion in *b"efgEG" {
                for precision in 0..=40 {
                    for flags in [0, F_HASH] {
                        check(value, &spec(conversion, flags, 0, Some(precision)));
                    }
                }
            }
        }
    }

    /// 2^k and its neighbours for every exponent, subnormals included.
    #[test]
    fn powers_of_two_and_neighbours() {
        let mut values = vec![f64::from_bits(1), f64::from_bits(2), f64::from_bits(3)];
        for k in -1074..=1023 {
            let x = if k >= -1022 {
                f64::from_bits(((k + 1023) as u64) << 52)
            } else {
                f64::from_bits(1 << (k + 1074))
            };
            values.extend(if k > -1074 {
                neighbours(x).to_vec()
            } else {
                vec![x]
            });
        }
        values.push(f64::MAX);
        for value in values {
            for conversion in *b"efg" {
                for precision in [
                    None,
                    Some(0),
                    Some(1),
                    Some(2),
                    Some(5),
                    Some(14),
                    Some(16),
                    Some(17),
                    Some(40),
                ] {
                    check(value, &spec(conversion, 0, 0, precision));
                }
            }
            check(value, &spec(b'g', F_HASH, 0, Some(17)));
            check(value, &spec(b'f', 0, 0, Some(1100)));
        }
    }

    #[test]
    fn digits_of_small_cases() {
        let d = |n, twos, fives| String::from_utf8(digits_of(n, twos, fives)).expect("ASCII");
        assert_eq!(d(1, 0, 0), "1");
        assert_eq!(d(1_000_000_000, 0, 0), "1000000000");
        assert_eq!(d(u64::MAX, 0, 0), u64::MAX.to_string());
        assert_eq!(d(3, 10, 0), "3072");
        assert_eq!(d(7, 0, 3), "875");
        assert_eq!(d(1, 64, 0), (1u128 << 64).to_string());
        // 2^40 × 5^20 = 2^20 × 10^20.
        let expected = (u128::from(u64::MAX) << 20).to_string() + &"0".repeat(20);
        assert_eq!(d(u64::MAX, 40, 20), expected);
    }

    /// Every bit pattern is equally likely, so subnormals, NaNs with payloads and infinities
    /// are all reached; the second arm adds values with short decimal expansions, where ties
    /// in rounding happen.
    fn any_double() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<u64>().prop_map(f64::from_bits),
            (any::<i32>(), -12i32..12).prop_map(|(m, e)| m as f64 * 10f64.powi(e)),
            (any::<i16>(), 0u32..8).prop_map(|(m, e)| f64::from(m) / f64::from(1u32 << e)),
            // Every binary exponent of the u128 path (m / 2^k, k up to 124) and past it.
            (any::<u64>(), -130i32..70).prop_map(|(m, e)| {
                f64::from_bits(m & ((1 << 52) - 1) | (((1023 + e) as u64) << 52))
            }),
            (any::<u32>(), 1u32..200_000).prop_map(|(i, d)| f64::from(i) / f64::from(d)),
            prop::sample::select(edge_values()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn matches_glibc(
            value in any_double(),
            conversion in prop::sample::select(CONVERSIONS),
            flags in 0u32..32,
            width in prop_oneof![Just(0usize), 0usize..40],
            precision in prop::option::of(0usize..=40),
        ) {
            let s = spec(conversion, flags, width, precision);
            prop_assert_eq!(format_double(value, &s), glibc(value, &s), "{} of {:?}", spec_text(&s), value);
        }
    }
}
