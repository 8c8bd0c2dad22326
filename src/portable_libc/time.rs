//! `gmtime`, `mktime` and `strftime` for the wasm libc, as glibc behaves with TZ=UTC in the
//! "C" locale. The wasm module has no time zones: local time is UTC.

/// C's `struct tm`, laid out as in the wasm headers.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Tm {
    pub tm_sec: i32,
    pub tm_min: i32,
    pub tm_hour: i32,
    pub tm_mday: i32,
    pub tm_mon: i32,
    pub tm_year: i32,
    pub tm_wday: i32,
    pub tm_yday: i32,
    pub tm_isdst: i32,
}

const SECONDS_PER_DAY: i64 = 86_400;

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (month 1..=12,
/// day 1..=31). Howard Hinnant's `days_from_civil`, exact over the whole i64 range used here.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1; // from March 1st
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The (year, month 1..=12, day 1..=31) of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The broken-down UTC time of `t` seconds since the epoch, or None when the year does not
/// fit `tm_year` (glibc then fails with EOVERFLOW).
pub(crate) fn gmtime(t: i64) -> Option<Tm> {
    let days = t.div_euclid(SECONDS_PER_DAY);
    let seconds = t.rem_euclid(SECONDS_PER_DAY) as i32;
    let (year, month, day) = civil_from_days(days);
    Some(Tm {
        tm_sec: seconds % 60,
        tm_min: seconds / 60 % 60,
        tm_hour: seconds / 3600,
        tm_mday: day as i32,
        tm_mon: month as i32 - 1,
        tm_year: i32::try_from(year - 1900).ok()?,
        tm_wday: (days + 4).rem_euclid(7) as i32, // 1970-01-01 was a Thursday
        tm_yday: (days - days_from_civil(year, 1, 1)) as i32,
        tm_isdst: 0,
    })
}

/// glibc's `mktime` with TZ=UTC: the seconds since the epoch of the fields of `tm`, which may
/// be out of their ranges (month 13, day 0, negative seconds…). On success `tm` is rewritten
/// with the normalized fields, including `tm_wday` and `tm_yday`, and `tm_isdst` = 0; on
/// failure (a year that does not fit `tm_year`) it is left alone.
///
/// As in glibc, asking for daylight saving time (`tm_isdst > 0`) in a zone that has none
/// moves the result one hour back.
pub(crate) fn timegm(tm: &mut Tm) -> Option<i64> {
    let month = i64::from(tm.tm_mon);
    let year = i64::from(tm.tm_year) + 1900 + month.div_euclid(12);
    let days = days_from_civil(year, month.rem_euclid(12) + 1, 1) + i64::from(tm.tm_mday) - 1;
    // No overflow: |days| < 2^40, so every term stays far below 2^63.
    let mut t = days * SECONDS_PER_DAY
        + i64::from(tm.tm_hour) * 3600
        + i64::from(tm.tm_min) * 60
        + i64::from(tm.tm_sec);
    if tm.tm_isdst > 0 {
        t -= 3600;
    }
    *tm = gmtime(t)?;
    Some(t)
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// glibc's `strftime` in the "C" locale with TZ=UTC, without a size limit. Conversions use
/// the fields of `tm` as they are, like glibc (out-of-range names print as "?"). Unknown
/// conversions and misplaced `E`/`O` modifiers are copied literally, as glibc does. Of
/// glibc's extensions, `%k %l %P` are supported; `%s` (which depends on the local zone) and
/// the flags and widths (`%-d`, `%10Y`) are not: Lua rejects them.
///
/// `zone` is what `%Z` prints: glibc prints "GMT" for a `gmtime` result and, with TZ=UTC,
/// "UTC" for a `localtime` one; C passes the one that matches where `tm` came from.
pub(crate) fn strftime(format: &[u8], tm: &Tm, zone: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_format(&mut out, format, tm, zone);
    out
}

fn write_format(out: &mut Vec<u8>, format: &[u8], tm: &Tm, zone: &[u8]) {
    let mut i = 0;
    while i < format.len() {
        if format[i] != b'%' {
            let literal = format[i..].iter().take_while(|&&b| b != b'%').count();
            out.extend_from_slice(&format[i..i + literal]);
            i += literal;
            continue;
        }
        let start = i;
        i += 1;
        let modifier = match format.get(i) {
            Some(&m @ (b'E' | b'O')) => {
                i += 1;
                Some(m)
            }
            _ => None,
        };
        let Some(&conversion) = format.get(i) else {
            // A '%' (and modifier) at the very end prints as is.
            out.extend_from_slice(&format[start..]);
            break;
        };
        i += 1;
        if !write_conversion(out, conversion, modifier, tm, zone) {
            out.extend_from_slice(&format[start..i]);
        }
    }
}

/// Writes one conversion; false when glibc would copy it literally instead.
fn write_conversion(
    out: &mut Vec<u8>,
    conversion: u8,
    modifier: Option<u8>,
    tm: &Tm,
    zone: &[u8],
) -> bool {
    // The conversions glibc 2.36 takes with each modifier. In the "C" locale there are no
    // eras and no alternative digits, so a modifier it takes changes nothing.
    let allowed: &[u8] = match modifier {
        None => b"",
        Some(b'E') => b"%CPRTXYZcnprtuxyz",
        Some(_) => b"%BCGHIMPRSTUVWZbdeghjklmnprtuwyz",
    };
    if modifier.is_some() && !allowed.contains(&conversion) {
        return false;
    }
    // C arithmetic on int fields: the year can wrap like glibc's `tm_year + 1900`.
    let year = tm.tm_year.wrapping_add(1900);
    // glibc's 12-hour clock, which leaves hours outside 0..=24 half-converted.
    let hour12 = match tm.tm_hour {
        0 => 12,
        h if h > 12 => h - 12,
        h => h,
    };
    match conversion {
        b'a' => out.extend_from_slice(name(&DAYS, tm.tm_wday, 3)),
        b'A' => out.extend_from_slice(name(&DAYS, tm.tm_wday, usize::MAX)),
        b'b' | b'h' => out.extend_from_slice(name(&MONTHS, tm.tm_mon, 3)),
        b'B' => out.extend_from_slice(name(&MONTHS, tm.tm_mon, usize::MAX)),
        b'c' => write_format(out, b"%a %b %e %H:%M:%S %Y", tm, zone),
        b'C' => number(out, year / 100 - i32::from(year % 100 < 0), 1, b'0'),
        b'd' => number(out, tm.tm_mday, 2, b'0'),
        b'D' => write_format(out, b"%m/%d/%y", tm, zone),
        b'e' => number(out, tm.tm_mday, 2, b' '),
        b'F' => write_format(out, b"%Y-%m-%d", tm, zone),
        b'g' | b'G' | b'V' => {
            let (iso_year, week) = iso_week(tm);
            match conversion {
                b'g' => number(out, (iso_year % 100 + 100) % 100, 2, b'0'),
                b'G' => number(out, iso_year, 1, b'0'),
                _ => number(out, week, 2, b'0'),
            }
        }
        b'H' => number(out, tm.tm_hour, 2, b'0'),
        b'I' => number(out, hour12, 2, b'0'),
        b'j' => number(out, tm.tm_yday.wrapping_add(1), 3, b'0'),
        b'k' => number(out, tm.tm_hour, 2, b' '),
        b'l' => number(out, hour12, 2, b' '),
        b'm' => number(out, tm.tm_mon.wrapping_add(1), 2, b'0'),
        b'M' => number(out, tm.tm_min, 2, b'0'),
        b'n' => out.push(b'\n'),
        b'p' => out.extend_from_slice(if tm.tm_hour > 11 { b"PM" } else { b"AM" }),
        b'P' => out.extend_from_slice(if tm.tm_hour > 11 { b"pm" } else { b"am" }),
        b'r' => write_format(out, b"%I:%M:%S %p", tm, zone),
        b'R' => write_format(out, b"%H:%M", tm, zone),
        b'S' => number(out, tm.tm_sec, 2, b'0'),
        b't' => out.push(b'\t'),
        b'T' => write_format(out, b"%H:%M:%S", tm, zone),
        b'u' => number(out, monday_based(tm.tm_wday) + 1, 1, b'0'),
        b'U' => number(
            out,
            tm.tm_yday.wrapping_sub(tm.tm_wday).wrapping_add(7) / 7,
            2,
            b'0',
        ),
        b'w' => number(out, tm.tm_wday, 1, b'0'),
        b'W' => {
            let week = tm
                .tm_yday
                .wrapping_sub(monday_based(tm.tm_wday))
                .wrapping_add(7)
                / 7;
            number(out, week, 2, b'0');
        }
        b'x' => write_format(out, b"%m/%d/%y", tm, zone),
        b'X' => write_format(out, b"%H:%M:%S", tm, zone),
        b'y' => number(out, (tm.tm_year % 100 + 100) % 100, 2, b'0'),
        b'Y' => number(out, year, 1, b'0'),
        b'z' => {
            // glibc prints no offset when DST is unknown.
            if tm.tm_isdst >= 0 {
                out.extend_from_slice(b"+0000");
            }
        }
        b'Z' => out.extend_from_slice(zone),
        b'%' => out.push(b'%'),
        _ => return false,
    }
    true
}

/// Day and month names; glibc prints "?" for an index out of range.
fn name(names: &[&'static str], index: i32, len: usize) -> &'static [u8] {
    match usize::try_from(index).ok().and_then(|i| names.get(i)) {
        Some(name) => &name.as_bytes()[..len.min(name.len())],
        None => b"?",
    }
}

/// A number padded to `width` with `pad`; glibc puts a minus sign before zero padding and
/// counts it in the width.
fn number(out: &mut Vec<u8>, value: i32, width: usize, pad: u8) {
    let digits = value.unsigned_abs().to_string();
    let sign = usize::from(value < 0);
    let fill = width.saturating_sub(digits.len() + sign);
    if pad == b' ' {
        out.resize(out.len() + fill, b' ');
    }
    if value < 0 {
        out.push(b'-');
    }
    if pad == b'0' {
        out.resize(out.len() + fill, b'0');
    }
    out.extend_from_slice(digits.as_bytes());
}

/// Days since Monday, computed as glibc does (`(wday - 1 + 7) % 7`).
fn monday_based(wday: i32) -> i32 {
    wday.wrapping_add(6) % 7
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Day of the ISO week-numbering year that `yday` falls on (negative: the ISO year started
/// later), for a day of the week `wday`; glibc's `iso_week_days`.
fn iso_week_days(yday: i32, wday: i32) -> i32 {
    // Monday starts a week; week 1 holds the year's first Thursday.
    const BIG_ENOUGH_MULTIPLE_OF_7: i32 = (366 / 7 + 2) * 7;
    yday.wrapping_sub(
        (yday
            .wrapping_sub(wday)
            .wrapping_add(4 + BIG_ENOUGH_MULTIPLE_OF_7))
            % 7,
    )
    .wrapping_add(4 - 1)
}

/// The ISO 8601 week-numbering year and week of `tm`, from its year, yday and wday.
fn iso_week(tm: &Tm) -> (i32, i32) {
    let mut year = tm.tm_year.wrapping_add(1900);
    let mut days = iso_week_days(tm.tm_yday, tm.tm_wday);
    if days < 0 {
        // The week belongs to the previous ISO year.
        year = year.wrapping_sub(1);
        days = iso_week_days(
            tm.tm_yday.wrapping_add(365 + i32::from(is_leap(year))),
            tm.tm_wday,
        );
    } else {
        let next = iso_week_days(
            tm.tm_yday.wrapping_sub(365 + i32::from(is_leap(year))),
            tm.tm_wday,
        );
        if next >= 0 {
            year = year.wrapping_add(1);
            days = next;
        }
    }
    (year, days / 7 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::ffi::{c_char, CStr, CString};

    extern "C" {
        // Not exported by the libc crate.
        fn tzset();
    }

    fn to_libc(tm: &Tm) -> libc::tm {
        libc::tm {
            tm_sec: tm.tm_sec,
            tm_min: tm.tm_min,
            tm_hour: tm.tm_hour,
            tm_mday: tm.tm_mday,
            tm_mon: tm.tm_mon,
            tm_year: tm.tm_year,
            tm_wday: tm.tm_wday,
            tm_yday: tm.tm_yday,
            tm_isdst: tm.tm_isdst,
            // What localtime fills in with TZ=UTC.
            tm_gmtoff: 0,
            tm_zone: c"UTC".as_ptr(),
        }
    }

    fn from_libc(tm: &libc::tm) -> Tm {
        Tm {
            tm_sec: tm.tm_sec,
            tm_min: tm.tm_min,
            tm_hour: tm.tm_hour,
            tm_mday: tm.tm_mday,
            tm_mon: tm.tm_mon,
            tm_year: tm.tm_year,
            tm_wday: tm.tm_wday,
            tm_yday: tm.tm_yday,
            tm_isdst: tm.tm_isdst,
        }
    }

    fn glibc_gmtime(t: i64) -> Option<Tm> {
        let mut tm = to_libc(&Tm::default());
        // SAFETY: valid pointers to a time_t and a struct tm.
        let ok = unsafe { !libc::gmtime_r(&t, &mut tm).is_null() };
        ok.then(|| from_libc(&tm))
    }

    /// glibc's timegm, which is mktime in UTC but ignores tm_isdst.
    fn glibc_timegm(tm: &Tm) -> (i64, Tm) {
        let mut c = to_libc(tm);
        // SAFETY: c is a valid struct tm.
        let t = unsafe { libc::timegm(&mut c) };
        (t, from_libc(&c))
    }

    fn glibc_strftime(format: &[u8], tm: &Tm) -> Vec<u8> {
        let c_format = CString::new(format).expect("no NUL in formats");
        let c_tm = to_libc(tm);
        let mut buf = vec![0u8; 64 + format.len() * 40];
        // SAFETY: buf has buf.len() bytes; c_tm and its zone string outlive the call.
        let n = unsafe {
            libc::strftime(
                buf.as_mut_ptr() as *mut c_char,
                buf.len(),
                c_format.as_ptr(),
                &c_tm,
            )
        };
        buf.truncate(n);
        buf
    }

    /// glibc's mktime with TZ=UTC, set once for the whole test process before any use.
    fn glibc_mktime(tm: &Tm) -> (i64, Tm) {
        static TZ: std::sync::Once = std::sync::Once::new();
        TZ.call_once(|| {
            std::env::set_var("TZ", "UTC");
            // SAFETY: tzset only reads TZ, which no other thread writes.
            unsafe { tzset() };
        });
        let mut c = to_libc(tm);
        // SAFETY: c is a valid struct tm.
        let t = unsafe { libc::mktime(&mut c) };
        // SAFETY: mktime leaves tm_zone NULL or pointing at a static zone name.
        let zone = (!c.tm_zone.is_null()).then(|| unsafe { CStr::from_ptr(c.tm_zone) });
        if t != -1 {
            assert_eq!(zone, Some(c"UTC"), "glibc's local zone should be UTC");
        }
        (t, from_libc(&c))
    }

    /// What our timegm gives in glibc's terms: -1 and an untouched struct on failure.
    fn ours_timegm(tm: &Tm) -> (i64, Tm) {
        let mut copy = *tm;
        let t = timegm(&mut copy).unwrap_or(-1);
        (t, copy)
    }

    const YEAR_LIMIT: i64 = 67_768_036_191_676_799; // 2147485547-12-31 23:59:59

    #[test]
    fn gmtime_edges() {
        for t in [
            0,
            -1,
            1,
            86_399,
            86_400,
            -86_400,
            -86_401,
            951_782_400,
            4_107_542_400,
            -62_167_219_200,
            -62_167_219_201,
            -12_219_292_800,
            253_402_300_799,
            253_402_300_800,
            YEAR_LIMIT,
            YEAR_LIMIT + 1,
            -67_768_040_609_740_800,
            -67_768_040_609_740_801,
            i64::MAX,
            i64::MIN,
            i64::MAX / 2,
            i64::MIN / 2,
        ] {
            assert_eq!(gmtime(t), glibc_gmtime(t), "gmtime({t})");
        }
    }

    #[test]
    fn timegm_edges() {
        let base = Tm {
            tm_mday: 1,
            tm_year: 70,
            ..Tm::default()
        };
        let cases = [
            Tm { tm_mon: 12, ..base },
            Tm { tm_mon: -1, ..base },
            Tm {
                tm_mon: -13,
                ..base
            },
            Tm { tm_mday: 0, ..base },
            Tm {
                tm_mday: -400,
                tm_mon: 1,
                tm_year: 100,
                ..base
            },
            Tm { tm_sec: -1, ..base },
            Tm {
                tm_sec: 60,
                tm_min: 59,
                tm_hour: 23,
                tm_mday: 31,
                tm_mon: 11,
                tm_year: 99,
                ..base
            },
            Tm {
                tm_hour: 24 * 365,
                ..base
            },
            Tm {
                tm_year: i32::MAX,
                tm_mon: 11,
                tm_mday: 31,
                tm_hour: 23,
                tm_min: 59,
                tm_sec: 59,
                ..base
            },
            Tm {
                tm_year: i32::MAX,
                tm_mon: 11,
                tm_mday: 31,
                tm_hour: 23,
                tm_min: 59,
                tm_sec: 60,
                ..base
            },
            Tm {
                tm_year: i32::MIN,
                ..base
            },
            Tm {
                tm_year: i32::MIN,
                tm_sec: -1,
                ..base
            },
            Tm {
                tm_year: i32::MAX,
                tm_mon: i32::MAX,
                tm_mday: i32::MAX,
                ..base
            },
            Tm {
                tm_year: i32::MIN,
                tm_mon: i32::MIN,
                tm_mday: i32::MIN,
                tm_hour: i32::MIN,
                ..base
            },
            Tm {
                tm_wday: 5,
                tm_yday: 300,
                ..base
            },
        ];
        for tm in cases {
            assert_eq!(ours_timegm(&tm), glibc_timegm(&tm), "timegm({tm:?})");
            for isdst in [-1, 0, 1, 7] {
                let tm = Tm {
                    tm_isdst: isdst,
                    ..tm
                };
                assert_eq!(ours_timegm(&tm), glibc_mktime(&tm), "mktime({tm:?})");
            }
        }
    }

    const CONVERSIONS: &[u8] = b"aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%";

    #[test]
    fn strftime_c_locale() {
        let tm = gmtime(0).expect("1970 fits");
        assert_eq!(strftime(b"%c", &tm, b"UTC"), b"Thu Jan  1 00:00:00 1970");
        assert_eq!(
            strftime(b"%x|%X|%r|%z|%Z|%p", &tm, b"UTC"),
            b"01/01/70|00:00:00|12:00:00 AM|+0000|UTC|AM"
        );
    }

    /// Every conversion letter with and without modifiers, plus odd endings, on dates that
    /// cover ISO-week edges, leap years, years before 1000 and before year 0, and tm_year
    /// near the int limits.
    #[test]
    fn strftime_all_conversions() {
        let mut times: Vec<i64> = vec![
            0,
            -1,
            951_782_400,
            1_230_681_600,
            1_262_217_600,
            1_293_753_600,
            -62_135_596_800,
        ];
        times.extend((0..30).map(|d| 1_419_984_000 + d * 86_400 - 12 * 86_400 + d * 3_599));
        times.extend([
            -62_167_219_200,
            -62_198_755_200,
            -99_999_999_999,
            253_402_300_800,
            YEAR_LIMIT,
            -67_768_040_609_740_800,
        ]);
        let mut formats: Vec<Vec<u8>> = vec![
            b"%".to_vec(),
            b"abc%".to_vec(),
            b"%E".to_vec(),
            b"%O".to_vec(),
            b"%EE".to_vec(),
            b"".to_vec(),
        ];
        for c in 0x20u8..0x7f {
            for prefix in [&b"%"[..], b"%E", b"%O"] {
                // Not glibc's flags, widths or %s (see strftime).
                if !(b"-_0^#s".contains(&c) || c.is_ascii_digit()) {
                    formats.push([prefix, &[c]].concat());
                }
            }
        }
        for t in times {
            let tm = gmtime(t).expect("in range");
            for format in &formats {
                assert_eq!(
                    String::from_utf8_lossy(&strftime(format, &tm, b"UTC")),
                    String::from_utf8_lossy(&glibc_strftime(format, &tm)),
                    "{:?} at {t}",
                    String::from_utf8_lossy(format)
                );
            }
        }
    }

    fn any_time() -> impl Strategy<Value = i64> {
        prop_oneof![
            -5_000_000_000i64..5_000_000_000,
            -70_000_000_000_000i64..70_000_000_000_000,
            -YEAR_LIMIT..=YEAR_LIMIT,
            any::<i64>(),
        ]
    }

    fn format_text() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            3 => prop::sample::select(CONVERSIONS).prop_map(|c| vec![b'%', c]),
            1 => prop::sample::select(&b"cCxXyY"[..]).prop_map(|c| vec![b'%', b'E', c]),
            1 => prop::sample::select(&b"deHImMSuUVwWy"[..]).prop_map(|c| vec![b'%', b'O', c]),
            // Literal text; a '%' here could form GNU conversions that are out of scope.
            1 => prop::collection::vec(prop_oneof![1u8..b'%', (b'%' + 1)..=255], 0..4),
        ];
        prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
    }

    fn any_field() -> impl Strategy<Value = i32> {
        prop_oneof![-100i32..100, any::<i32>()]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn gmtime_matches_glibc(t in any_time()) {
            prop_assert_eq!(gmtime(t), glibc_gmtime(t));
        }

        #[test]
        fn timegm_matches_glibc(
            sec in any_field(), min in any_field(), hour in any_field(), mday in any_field(),
            mon in any_field(), year in prop_oneof![-3000i32..3000, any::<i32>()], isdst in -1i32..=1,
        ) {
            let tm = Tm { tm_sec: sec, tm_min: min, tm_hour: hour, tm_mday: mday, tm_mon: mon, tm_year: year, tm_isdst: isdst, ..Tm::default() };
            prop_assert_eq!(ours_timegm(&tm), glibc_mktime(&tm), "mktime({:?})", tm);
            let utc = Tm { tm_isdst: 0, ..tm };
            prop_assert_eq!(ours_timegm(&utc), glibc_timegm(&utc), "timegm({:?})", utc);
        }

        #[test]
        fn strftime_matches_glibc(t in any_time(), format in format_text()) {
            if let Some(tm) = gmtime(t) {
                prop_assert_eq!(strftime(&format, &tm, b"UTC"), glibc_strftime(&format, &tm), "{:?} at {}", String::from_utf8_lossy(&format), t);
            }
        }

        /// Fields straight from a C caller, not from gmtime: no panics, same bytes as glibc.
        #[test]
        fn strftime_raw_fields(
            fields in prop::array::uniform9(any_field()),
            format in format_text(),
        ) {
            let [s, mi, h, d, mo, y, wd, yd, dst] = fields;
            let tm = Tm { tm_sec: s, tm_min: mi, tm_hour: h, tm_mday: d, tm_mon: mo, tm_year: y, tm_wday: wd, tm_yday: yd, tm_isdst: dst };
            prop_assert_eq!(strftime(&format, &tm, b"UTC"), glibc_strftime(&format, &tm), "{:?} of {:?}", String::from_utf8_lossy(&format), tm);
        }
    }
}
