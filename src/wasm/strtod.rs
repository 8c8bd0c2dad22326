// INTERIM (lead): replaced by helper's implementation.
pub(crate) struct Strtod { pub value: f64, pub consumed: usize, pub out_of_range: bool }
pub(crate) fn parse(bytes: &[u8]) -> Strtod {
    let mut best = Strtod { value: 0.0, consumed: 0, out_of_range: false };
    for end in 1..=bytes.len() {
        if let Ok(v) = std::str::from_utf8(&bytes[..end]).unwrap_or("x").trim_start().parse::<f64>() { best = Strtod { value: v, consumed: end, out_of_range: false }; }
    }
    best
}
