// INTERIM (lead): replaced by helper's implementation.
pub(crate) struct FloatSpec { pub conversion: u8, pub flags: u32, pub width: usize, pub precision: Option<usize> }
pub(crate) fn format_double(value: f64, spec: &FloatSpec) -> String {
    let p = spec.precision.unwrap_or(6);
    match spec.conversion { b'e' => format!("{:.*e}", p, value), b'g' => format!("{}", value), _ => format!("{:.*}", p, value) }
}
