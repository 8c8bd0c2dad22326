//! C's `strtod` in the "C" locale, bit-for-bit as glibc computes it, for the wasm libc.
//!
//! Decimal input is rounded correctly here (an exact multiplication or division for short
//! inputs, else an estimate corrected by exact comparisons with the midpoints between
//! doubles), without Rust's `str::parse`, which costs the wasm module about 9 KB. glibc is
//! correctly rounded too, except for one quirk in its subnormal rounding (`round_and_return` in
//! stdlib/strtod_l.c forgets the bit just below the 53 significant bits when it shifts the
//! mantissa into subnormal position). Hex input is rounded here the way glibc rounds it, and
//! the decimal results that the quirk can change are patched up by exact comparisons.

use core::cmp::Ordering;

/// The outcome of [`parse`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Strtod {
    pub value: f64,
    /// Bytes of the input that make up the number (0 when there is none).
    pub consumed: usize,
    /// Whether glibc sets `errno` to `ERANGE`: on overflow to infinity, and on underflow
    /// (an inexact result below the normal range).
    pub out_of_range: bool,
}

/// Parses the longest prefix of `bytes` (the text before the NUL) that C's strtod accepts:
/// white space, a sign, then a decimal float, a hex float, `inf`, `infinity`, `nan` or
/// `nan(chars)`.
pub(crate) fn parse(bytes: &[u8]) -> Strtod {
    let mut start = bytes.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = bytes.get(start) == Some(&b'-');
    if matches!(bytes.get(start), Some(b'+' | b'-')) {
        start += 1;
    }
    let rest = &bytes[start..];
    let number = parse_hex(rest)
        .or_else(|| parse_decimal(rest))
        .or_else(|| parse_special(rest));
    match number {
        Some(n) => Strtod {
            value: if negative { -n.value } else { n.value },
            consumed: start + n.len,
            out_of_range: n.out_of_range,
        },
        None => Strtod {
            value: 0.0,
            consumed: 0,
            out_of_range: false,
        },
    }
}

/// An unsigned number that was read.
struct Magnitude {
    value: f64,
    len: usize,
    out_of_range: bool,
}

/// `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn count(s: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    s.iter().take_while(|&&b| pred(b)).count()
}

/// An exponent `marker [sign] digits` at the start of `s`, as (value, length). The value
/// saturates far beyond any exponent that matters.
fn parse_exponent(s: &[u8], marker: u8) -> Option<(i64, usize)> {
    if s.first().map(u8::to_ascii_lowercase) != Some(marker) {
        return None;
    }
    let signed = matches!(s.get(1), Some(b'+' | b'-'));
    let digits_at = 1 + usize::from(signed);
    let digits = &s[digits_at.min(s.len())..];
    let n = count(digits, |b| b.is_ascii_digit());
    if n == 0 {
        return None;
    }
    let magnitude = digits[..n].iter().fold(0i64, |acc, &d| {
        (acc * 10 + i64::from(d - b'0')).min(1 << 40)
    });
    let value = if s.get(1) == Some(&b'-') {
        -magnitude
    } else {
        magnitude
    };
    Some((value, digits_at + n))
}

/// glibc's NAN: the quiet NaN with an empty payload.
const QUIET_NAN: u64 = 0x7ff8_0000_0000_0000;

/// `inf`, `infinity`, `nan` and `nan(n-char-sequence)`, in any case.
fn parse_special(s: &[u8]) -> Option<Magnitude> {
    let starts_with =
        |word: &[u8]| s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word);
    if starts_with(b"infinity") {
        return Some(Magnitude {
            value: f64::INFINITY,
            len: 8,
            out_of_range: false,
        });
    }
    if starts_with(b"inf") {
        return Some(Magnitude {
            value: f64::INFINITY,
            len: 3,
            out_of_range: false,
        });
    }
    if !starts_with(b"nan") {
        return None;
    }
    let mut nan = Magnitude {
        value: f64::from_bits(QUIET_NAN),
        len: 3,
        out_of_range: false,
    };
    if s.get(3) == Some(&b'(') {
        let chars = &s[4..];
        let n = count(chars, |b| b.is_ascii_alphanumeric() || b == b'_');
        if chars.get(n) == Some(&b')') {
            nan.len = 4 + n + 1;
            // glibc reads the sequence with strtoull(.., 0) and, if that takes all of it,
            // stores the number in the low 51 bits of the quiet NaN. strtoull's ERANGE on
            // overflow leaks out of strtod.
            let payload = c_strtoull(&chars[..n]);
            nan.out_of_range = payload.overflow;
            if payload.len == n {
                nan.value = f64::from_bits(QUIET_NAN | (payload.value & ((1 << 51) - 1)));
            }
        }
    }
    Some(nan)
}

struct Unsigned {
    value: u64,
    /// Bytes read; 0 when there is no number.
    len: usize,
    overflow: bool,
}

/// strtoull(s, &end, 0) on text without white space or sign: "0x" selects hex if a hex digit
/// follows, a leading 0 octal. Overflow saturates.
fn c_strtoull(s: &[u8]) -> Unsigned {
    let (radix, skip) = match s {
        [b'0', b'x' | b'X', next, ..] if next.is_ascii_hexdigit() => (16, 2),
        [b'0', ..] => (8, 0),
        _ => (10, 0),
    };
    let mut out = Unsigned {
        value: 0,
        len: skip,
        overflow: false,
    };
    for &b in &s[skip..] {
        let Some(digit) = char::from(b).to_digit(radix) else {
            break;
        };
        match out
            .value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(v) => out.value = v,
            None => {
                out.value = u64::MAX;
                out.overflow = true;
            }
        }
        out.len += 1;
    }
    out
}

/// A hex float `0x h* [. h*] [p exp]` with at least one hex digit.
fn parse_hex(s: &[u8]) -> Option<Magnitude> {
    if !(s.first() == Some(&b'0') && matches!(s.get(1), Some(b'x' | b'X'))) {
        return None;
    }
    let mut i = 2;
    // The first 16 significant hex digits, the binary exponent that scales them, and
    // whether any later digit is nonzero.
    let mut mantissa: u64 = 0;
    let mut exponent: i64 = 0;
    let mut sticky = false;
    let mut any_digit = false;
    let mut after_point = false;
    loop {
        match s.get(i) {
            Some(&b) if b.is_ascii_hexdigit() => {
                any_digit = true;
                let digit = u64::from(char::from(b).to_digit(16).unwrap_or(0));
                if mantissa >> 60 == 0 {
                    mantissa = mantissa << 4 | digit;
                    if after_point {
                        exponent = exponent.saturating_sub(4);
                    }
                } else {
                    sticky |= digit != 0;
                    if !after_point {
                        exponent = exponent.saturating_add(4);
                    }
                }
            }
            Some(b'.') if !after_point => after_point = true,
            _ => break,
        }
        i += 1;
    }
    if !any_digit {
        // "0x" alone, or "0x.": the caller reads just the "0".
        return None;
    }
    if let Some((e, len)) = parse_exponent(&s[i..], b'p') {
        exponent = exponent.saturating_add(e);
        i += len;
    }
    let (value, out_of_range) = round_binary(mantissa, exponent, sticky);
    Some(Magnitude {
        value,
        len: i,
        out_of_range,
    })
}

/// Rounds `mantissa * 2^exponent` (plus a nonzero tail when `sticky`) to a double the way
/// glibc's `round_and_return` does: to nearest even, except that below the normal range the
/// 54th significant bit is ignored.
fn round_binary(mantissa: u64, exponent: i64, sticky: bool) -> (f64, bool) {
    if mantissa == 0 {
        return (0.0, false);
    }
    let zeros = mantissa.leading_zeros();
    let m = mantissa << zeros;
    // The value lies in [2^top, 2^(top+1)).
    let top = exponent.saturating_add(63 - i64::from(zeros));
    let significand = m >> 11; // 53 bits
    let half = (m >> 10) & 1 == 1;
    let rest = m & 0x3ff != 0 || sticky;
    if top > 1023 {
        return (f64::INFINITY, true);
    }
    if top >= -1022 {
        let mut significand = significand;
        let mut top = top;
        if half && (rest || significand & 1 == 1) {
            significand += 1;
            if significand == 1 << 53 {
                significand >>= 1;
                top += 1;
            }
        }
        if top > 1023 {
            return (f64::INFINITY, true);
        }
        let biased = (top + 1023) as u64;
        return (
            f64::from_bits(biased << 52 | (significand & ((1 << 52) - 1))),
            false,
        );
    }
    if top < -1075 {
        return (0.0, true);
    }
    // Subnormal: shift is 1..=53 bits. x86 detects tininess after rounding, so a value that
    // rounds to 2^-1022 at full precision does not underflow.
    let shift = (-1022 - top) as u32;
    let tiny =
        !(shift == 1 && half && (rest || significand & 1 == 1) && significand + 1 == 1 << 53);
    // Here glibc loses `half`; only the bits below the new rounding bit and `sticky` remain.
    let round = (significand >> (shift - 1)) & 1 == 1;
    let below = significand & ((1 << (shift - 1)) - 1) != 0 || rest;
    let mut kept = significand >> shift;
    if round && (below || kept & 1 == 1) {
        kept += 1; // may carry into 2^-1022, the smallest normal
    }
    (f64::from_bits(kept), tiny && (round || below))
}

/// Significant decimal digits kept for conversion. Every double, and every value with 55
/// significant bits in the subnormal range, has fewer than 800 significant digits, so
/// replacing the digits beyond these by a single nonzero digit changes neither the rounding
/// nor any comparison made below.
const MAX_DIGITS: usize = 800;

/// A positive decimal `0.d1 d2 d3 … × 10^exp10` with `d1 != 0`, cut to [`MAX_DIGITS`] digits
/// plus a sticky '1'.
struct Decimal {
    digits: Vec<u8>,
    exp10: i64,
}

/// A decimal float `d* [. d*] [e exp]` with at least one digit.
fn parse_decimal(s: &[u8]) -> Option<Magnitude> {
    let int_len = count(s, |b| b.is_ascii_digit());
    let has_point = s.get(int_len) == Some(&b'.');
    let frac_start = int_len + usize::from(has_point);
    let frac_len = if has_point {
        count(&s[frac_start..], |b| b.is_ascii_digit())
    } else {
        0
    };
    if int_len + frac_len == 0 {
        return None;
    }
    let mut len = frac_start + frac_len;
    let mut exponent = 0;
    if let Some((e, n)) = parse_exponent(&s[len..], b'e') {
        exponent = e;
        len += n;
    }
    let int_digits = &s[..int_len];
    let frac_digits = &s[frac_start..frac_start + frac_len];
    let (value, out_of_range) = match significant(int_digits, frac_digits, exponent) {
        None => (0.0, false),
        Some(decimal) => convert(&decimal),
    };
    Some(Magnitude {
        value,
        len,
        out_of_range,
    })
}

/// The significant digits of `int.frac × 10^exponent`, or None when they are all zero.
fn significant(int: &[u8], frac: &[u8], exponent: i64) -> Option<Decimal> {
    let all = int.iter().chain(frac);
    let leading_zeros = all.clone().take_while(|&&d| d == b'0').count();
    let first = all.clone().nth(leading_zeros)?;
    debug_assert_ne!(*first, b'0');
    let int_part = int.len() as i64 - leading_zeros as i64; // negative: zeros after the point
    let mut digits: Vec<u8> = all
        .clone()
        .skip(leading_zeros)
        .take(MAX_DIGITS)
        .copied()
        .collect();
    if all.skip(leading_zeros + MAX_DIGITS).any(|&d| d != b'0') {
        digits.push(b'1');
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    Some(Decimal {
        digits,
        exp10: int_part.saturating_add(exponent),
    })
}

/// The double nearest to `decimal`, as glibc rounds it, and whether that is out of range.
fn convert(decimal: &Decimal) -> (f64, bool) {
    // 10^310 overflows and 10^-330 underflows to zero.
    if decimal.exp10 > 310 {
        return (f64::INFINITY, true);
    }
    if decimal.exp10 < -330 {
        return (0.0, true);
    }
    let nearest = nearest_double(decimal);
    if nearest.is_infinite() {
        (nearest, true)
    } else if nearest <= f64::MIN_POSITIVE {
        below_normal(decimal, nearest)
    } else {
        (nearest, false)
    }
}

/// The double nearest to `decimal` (ties to even), `exp10` within -330..=310. Few digits
/// and a small power of ten are one correctly rounded multiplication or division (both
/// factors are exact doubles); otherwise a close estimate is stepped one ulp at a time until
/// `decimal` lies between its two midpoints, compared exactly. (Rust's `str::parse` would
/// do this too, at about 9 KB of the wasm module.)
fn nearest_double(decimal: &Decimal) -> f64 {
    let digits = &decimal.digits;
    let mut leading = 0u64;
    for &d in digits.iter().take(19) {
        leading = leading * 10 + u64::from(d - b'0');
    }
    let taken = digits.len().min(19) as i64;
    let scale = decimal.exp10 - taken; // decimal ≈ leading × 10^scale
    if digits.len() <= 15 && (-22..=22).contains(&scale) {
        let m = leading as f64; // below 10^15: exact
        let p = POWERS_OF_TEN[scale.unsigned_abs() as usize];
        return if scale >= 0 { m * p } else { m / p };
    }
    // An estimate within a few ulps (two steps keep 10^scale in range).
    let half = (scale / 2) as i32;
    let mut x = leading as f64 * 10f64.powi(half) * 10f64.powi(scale as i32 - half);
    if !x.is_finite() {
        x = f64::MAX;
    }
    loop {
        let bits = x.to_bits();
        let (m, e) = mantissa_exponent(x);
        // The midpoint with the next double up: (2m + 1) × 2^(e - 1).
        match compare_with_binary(decimal, 2 * m + 1, e - 1) {
            Ordering::Greater => {
                if bits == f64::MAX.to_bits() {
                    return f64::INFINITY;
                }
                x = f64::from_bits(bits + 1);
                continue;
            }
            Ordering::Equal => {
                // A tie: the even mantissa; MAX's is odd, so a tie above it overflows.
                return if m & 1 == 1 {
                    f64::from_bits(bits + 1)
                } else {
                    x
                };
            }
            Ordering::Less => {}
        }
        if bits == 0 {
            return x;
        }
        // The midpoint with the next double down, half as far below a power of two.
        let (odd, exponent) = if m == 1 << 52 && e > -1074 {
            (4 * m - 1, e - 2)
        } else {
            (2 * m - 1, e - 1)
        };
        match compare_with_binary(decimal, odd, exponent) {
            Ordering::Less => x = f64::from_bits(bits - 1),
            Ordering::Equal => {
                return if m & 1 == 1 {
                    f64::from_bits(bits - 1)
                } else {
                    x
                }
            }
            Ordering::Greater => return x,
        }
    }
}

/// 10^0 to 10^22, the powers of ten that are exact doubles.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A finite `x >= 0` as `m × 2^e` with `m` its 53-bit (or subnormal) significand.
fn mantissa_exponent(x: f64) -> (u64, i64) {
    let bits = x.to_bits();
    let biased = (bits >> 52) as i64;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    }
}

/// Compares `decimal` with `n × 2^e` (n > 0) exactly.
fn compare_with_binary(decimal: &Decimal, n: u64, e: i64) -> Ordering {
    // n × 2^e = n × 2^e × 10^0, or (n × 5^-e) × 10^e.
    let (digits, shift) = if e >= 0 {
        (super::printf::digits_of(n, e as u32, 0), 0)
    } else {
        (super::printf::digits_of(n, 0, (-e) as u32), e)
    };
    compare_digits(decimal, &digits, digits.len() as i64 + shift)
}

/// glibc's result and ERANGE for a decimal whose correctly rounded value `nearest` is at
/// most 2^-1022. Values are compared exactly in units of 2^-1076: an ulp of a subnormal is
/// 4 units, and 1 unit is the 54th significant bit of values in [2^-1023, 2^-1022), the only
/// binade where glibc, which reads no decimal digits beyond 10^-1076, can lose that bit.
fn below_normal(decimal: &Decimal, nearest: f64) -> (f64, bool) {
    const MIN_NORMAL: u64 = 1 << 52; // 2^-1022 in ulps of a subnormal
    const HALF_NORMAL: u64 = 1 << 51; // 2^-1023
    let cmp = |units: u64| compare_with_units(decimal, units);
    let n = nearest.to_bits();
    if n == 0 {
        return (0.0, true);
    }
    if n == MIN_NORMAL {
        // Tiny only if below 2^-1022 even when rounded to 53 bits.
        return (nearest, cmp(4 * MIN_NORMAL - 1) == Ordering::Less);
    }
    if n >= HALF_NORMAL {
        // x = n ulps + 1 unit: glibc sees an exact result.
        if cmp(4 * n + 1) == Ordering::Equal {
            return (nearest, false);
        }
        // x = (n - 1.5) ulps + 1 unit: glibc sees a tie and rounds to even.
        let below = n - 1;
        if below & 1 == 0 && below >= HALF_NORMAL && cmp(4 * below + 3) == Ordering::Equal {
            return (f64::from_bits(below), true);
        }
    }
    (nearest, cmp(4 * n) != Ordering::Equal)
}

/// Compares `decimal` with `units × 2^-1076` exactly.
fn compare_with_units(decimal: &Decimal, units: u64) -> Ordering {
    // units × 2^-1076 = (units × 5^1076) × 10^-1076.
    let digits = times_power_of_five(units, 1076);
    compare_digits(decimal, &digits, digits.len() as i64 - 1076)
}

/// Compares `decimal` with `0.digits × 10^exp10` (`digits` without leading zeros).
fn compare_digits(decimal: &Decimal, digits: &[u8], exp10: i64) -> Ordering {
    decimal.exp10.cmp(&exp10).then_with(|| {
        // Trailing zeros do not count: compare the common length, then whatever is left.
        let common = decimal.digits.len().min(digits.len());
        decimal.digits[..common]
            .cmp(&digits[..common])
            .then_with(|| {
                let nonzero = |rest: &[u8]| rest.iter().any(|&d| d != b'0');
                nonzero(&decimal.digits[common..]).cmp(&nonzero(&digits[common..]))
            })
    })
}

/// The decimal digits of `n × 5^power` (n > 0), without leading zeros.
fn times_power_of_five(n: u64, power: u32) -> Vec<u8> {
    super::printf::digits_of(n, 0, power)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::ffi::{c_char, CString};

    /// glibc's strtod on the same text.
    fn glibc(text: &[u8]) -> Strtod {
        let c = CString::new(text).expect("test inputs have no NUL");
        let mut end: *mut c_char = std::ptr::null_mut();
        // SAFETY: errno is thread-local; c is a valid C string and end a valid out-pointer.
        unsafe {
            *libc::__errno_location() = 0;
            let value = libc::strtod(c.as_ptr(), &mut end);
            let errno = *libc::__errno_location();
            Strtod {
                value,
                consumed: end.offset_from(c.as_ptr()) as usize,
                out_of_range: errno == libc::ERANGE,
            }
        }
    }

    fn check(text: &[u8]) {
        let ours = parse(text);
        let theirs = glibc(text);
        let shown = String::from_utf8_lossy(text);
        assert_eq!(
            (ours.value.to_bits(), ours.consumed, ours.out_of_range),
            (theirs.value.to_bits(), theirs.consumed, theirs.out_of_range),
            "strtod({shown:?}): ours {ours:?}, glibc {theirs:?}"
        );
    }

    /// The exact decimal expansion of units × 2^-power.
    fn exact(units: u64, power: u32) -> String {
        let digits = String::from_utf8(times_power_of_five(units, power)).expect("ASCII");
        let power = power as usize;
        if digits.len() > power {
            let (int, frac) = digits.split_at(digits.len() - power);
            format!("{int}.{frac}")
        } else {
            format!("0.{}{digits}", "0".repeat(power - digits.len()))
        }
    }

    #[test]
    fn lua_examples() {
        for text in [
            "0x1p4",
            "0x.8",
            "1e308",
            "1e309",
            "4.9e-324",
            "0x1.fffffffffffffp1023",
            "  12  ",
            "0x",
            "0x.",
            "0xg",
            "0x0",
            "0x0.p1",
            "0xp1",
            "1.",
            ".5",
            ".",
            "-.5e-3",
            "1e",
            "1e+",
            "1e+5x",
            "0x1p",
            "0x1p-",
            "1.e5",
            "0.e1",
            "-0",
            "+0",
            "-0x0p0",
            "- 1",
            "+-1",
            "\t\n\x0b\x0c\r 7",
            "inf",
            "-INF",
            "infinity",
            "InFiNiTy",
            "infinit",
            "nan",
            "-nan",
            "NaN(123)",
            "nan(0x7ff)",
            "nan(077)",
            "nan(08)",
            "nan()",
            "nan(abc)",
            "nan(1_2)",
            "nan(0x)",
            "nan(99999999999999999999999)",
            "nan(99999999999999999999999x)",
            "nan(0x1ffffffffffffffff)",
            "nan(01777777777777777777777)",
            "nan(02000000000000000000000)",
            "nan(18446744073709551615)",
            "nan(18446744073709551616)",
            "nan(",
            "nan(12",
            "nan(1 2)",
            "0e99999999999999999999",
            "1e99999999999999999999",
            "1e-99999999999999999999",
            "0x1p99999999999999999999",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "0x1p-1074",
            "0x1p-1075",
            "0x1.00000000000008p-1075",
            "0x1.8p-1075",
            "0x1.fffffffffffff8p-1023",
            "0x1.ffffffffffffe8p-1023",
            "0x1.fffffffffffffcp-1023",
            "0x1.fffffffffffff7ffffffffffffffffp1023",
            "0x1.fffffffffffff8p1023",
            "0x.00000000000000000000001p-990",
            "0x10000000000000000000000000000000000000000p-200",
            "123456789012345678901234567890",
            "",
            "   ",
            "+",
            "abc",
        ] {
            check(text.as_bytes());
        }
    }

    #[test]
    fn parse_result_fields() {
        let r = parse(b"  0x1p4xyz");
        assert_eq!((r.value, r.consumed, r.out_of_range), (16.0, 7, false));
        assert_eq!(parse(b"0x").consumed, 1);
        assert_eq!(
            parse(b"1e309"),
            Strtod {
                value: f64::INFINITY,
                consumed: 5,
                out_of_range: true
            }
        );
        assert_eq!(
            parse(b"junk"),
            Strtod {
                value: 0.0,
                consumed: 0,
                out_of_range: false
            }
        );
    }

    /// Long inputs: beyond the digits kept, with huge exponents that offset many digits.
    #[test]
    fn long_digit_strings() {
        let zeros = "0".repeat(100_000);
        for text in [
            format!("0.{zeros}1e100005"),
            format!("1{zeros}e-100000"),
            format!("1{zeros}e-100300"),
            format!("0.{zeros}1e-200"),
            format!("{}5{zeros}1e-20", "1".repeat(1000)),
            format!("0x1{zeros}p-400000"),
            format!("0x0.{zeros}1p400000"),
            format!("0x1.00000000000008{zeros}1p0"),
            format!("0x1.00000000000008{zeros}p0"),
            format!("9007199254740993{zeros}e-100000"),
            format!("9007199254740993{zeros}1e-100000"),
        ] {
            check(text.as_bytes());
        }
    }

    /// Exact decimal values at and around the places where glibc's subnormal rounding and
    /// tininess detection decide differently from plain rounding.
    #[test]
    fn exact_subnormal_boundaries() {
        let n51 = 1u64 << 51;
        let n52 = 1u64 << 52;
        let mut units = vec![
            4 * n51 + 1,
            4 * n51 + 2,
            4 * n51 + 3,
            4 * n51 + 5,
            4 * (n51 + 2) + 3,
            4 * (n51 + 1) + 3,
            4 * n52 - 1,
            4 * n52 - 2,
            4 * n52 - 3,
            4 * n52 - 4,
            4 * n52 - 5,
            4 * n52 + 1,
            4 * n52,
            1,
            2,
            3,
            4,
            5,
            6,
            4 * (n51 - 1) + 3,
            4 * (n51 - 2) + 3,
        ];
        units.extend((0..40).map(|k| 4 * (n51 + 2 * k) + 3));
        units.extend((0..40).map(|k| 4 * (n51 + 3 * k) + 1));
        for u in units {
            let text = exact(u, 1076);
            check(text.as_bytes());
            check(format!("-{text}").as_bytes());
            check(format!("{text}000").as_bytes());
            check(format!("{text}0001").as_bytes());
        }
        for power in [1074, 1075, 1077, 1100, 1128, 1129] {
            for u in [1u64, 3, 5, (1 << 53) + 1, (1 << 54) - 1, (3 << 52) + 1] {
                check(exact(u, power).as_bytes());
            }
        }
    }

    fn digits(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(alphabet.as_bytes()), 0..max)
            .prop_map(|v| String::from_utf8(v).expect("ASCII alphabet"))
    }

    fn decimal_text() -> impl Strategy<Value = String> {
        (
            digits("0123456789", 30),
            prop::option::of(digits("0123456789", 30)),
            prop::option::of((
                prop::sample::select(&["e", "E", "e+", "e-", "E-"][..]),
                -20i64..400,
            )),
        )
            .prop_map(|(int, frac, exp)| {
                let mut s = int;
                if let Some(frac) = frac {
                    s = format!("{s}.{frac}");
                }
                if let Some((marker, e)) = exp {
                    s = format!("{s}{marker}{e}");
                }
                s
            })
    }

    fn hex_text() -> impl Strategy<Value = String> {
        (
            prop::sample::select(&["0x", "0X"][..]),
            digits("0123456789abcdefABCDEF", 25),
            prop::option::of(digits("0123456789abcdef", 25)),
            prop::option::of((
                prop::sample::select(&["p", "P", "p+", "p-"][..]),
                -1200i64..1200,
            )),
        )
            .prop_map(|(prefix, int, frac, exp)| {
                let mut s = format!("{prefix}{int}");
                if let Some(frac) = frac {
                    s = format!("{s}.{frac}");
                }
                if let Some((marker, e)) = exp {
                    s = format!("{s}{marker}{e}");
                }
                s
            })
    }

    /// Hex and decimal texts of doubles, of midpoints between neighbours, and of values just
    /// off them, in every binade.
    fn near_double_text() -> impl Strategy<Value = String> {
        (any::<u64>(), 0usize..4).prop_map(|(bits, kind)| {
            let x = f64::from_bits(bits & !(1 << 63));
            if !x.is_finite() {
                return "0x1.fffffffffffff8p1023".to_owned();
            }
            let biased = (x.to_bits() >> 52) as i64;
            let fraction = x.to_bits() & ((1 << 52) - 1);
            let (m, e) = if biased == 0 {
                (fraction, -1074)
            } else {
                (fraction | 1 << 52, biased - 1075)
            };
            match kind {
                0 => format!("{x:e}"),
                1 => format!("{:.25e}", x),
                // The midpoint above x, and the same plus a bit far below.
                2 => format!("0x{:x}p{}", 2 * m + 1, e - 1),
                _ => format!("0x{:x}p{}", (4 * m + 2) << 8 | 1, e - 10),
            }
        })
    }

    fn any_text() -> impl Strategy<Value = String> {
        let number = prop_oneof![
            4 => decimal_text(),
            4 => hex_text(),
            3 => near_double_text(),
            1 => prop::sample::select(&["inf", "INFINITY", "nan", "NaN(0x12)", "nan(", "infin", "nan(_a)"][..]).prop_map(String::from),
            2 => digits("0123456789abcdefxXpPeE.+-infatyINFATY()_ ", 20),
            1 => (1usize..2000, 1usize..800, -400i64..400).prop_map(|(a, b, e)| format!("{}.{}e{e}", "9".repeat(a), "3".repeat(b))),
            1 => (0usize..400, 0u64..=u64::MAX, 0u32..6).prop_map(|(z, d, e)| format!("0.{}{d}e-{}", "0".repeat(z), 300 + 5 * e)),
        ];
        (
            digits(" \t\n\x0b\x0c\r", 3),
            prop::sample::select(&["", "+", "-"][..]),
            number,
            digits("0123456789.eEpPx+- ", 4),
        )
            .prop_map(|(space, sign, number, tail)| format!("{space}{sign}{number}{tail}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn matches_glibc(text in any_text()) {
            let ours = parse(text.as_bytes());
            let theirs = glibc(text.as_bytes());
            prop_assert_eq!(
                (ours.value.to_bits(), ours.consumed, ours.out_of_range),
                (theirs.value.to_bits(), theirs.consumed, theirs.out_of_range),
                "strtod({:?})", text
            );
        }

        #[test]
        fn exact_subnormals_match_glibc(units in 1u64..(1 << 55), negative in any::<bool>()) {
            let text = format!("{}{}", if negative { "-" } else { "" }, exact(units, 1076));
            let ours = parse(text.as_bytes());
            let theirs = glibc(text.as_bytes());
            prop_assert_eq!(
                (ours.value.to_bits(), ours.out_of_range),
                (theirs.value.to_bits(), theirs.out_of_range),
                "{} units of 2^-1076", units
            );
        }

        #[test]
        fn never_panics(bytes in prop::collection::vec(1u8..=255, 0..64)) {
            let r = parse(&bytes);
            prop_assert!(r.consumed <= bytes.len());
            check(&bytes);
        }
    }
}
