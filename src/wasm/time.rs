// INTERIM (lead): replaced by helper's implementation.
#[repr(C)] #[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Tm { pub tm_sec: i32, pub tm_min: i32, pub tm_hour: i32, pub tm_mday: i32, pub tm_mon: i32, pub tm_year: i32, pub tm_wday: i32, pub tm_yday: i32, pub tm_isdst: i32 }
pub(crate) fn gmtime(_t: i64) -> Option<Tm> { Some(Tm { tm_mday: 1, tm_year: 70, ..Tm::default() }) }
pub(crate) fn timegm(_tm: &mut Tm) -> Option<i64> { Some(0) }
pub(crate) fn strftime(format: &[u8], _tm: &Tm) -> Vec<u8> { format.to_vec() }
