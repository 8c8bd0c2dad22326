//! Allocations that fail as errors instead of aborting. In the wasm module memory may not
//! grow (a host written for cu keeps one view of it), so a large value can exhaust it; Rust's
//! default on a failed allocation is to abort, which in wasm is a trap that leaves the
//! instance unusable. Buffers whose size a script or a host decides go through these, and a
//! failure becomes "not enough memory" for that one operation.

/// A failed allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not enough memory")]
pub struct AllocError;

/// Appends `item` to `vec`.
pub fn try_push<T>(vec: &mut Vec<T>, item: T) -> Result<(), AllocError> {
    vec.try_reserve(1).map_err(|_| AllocError)?;
    vec.push(item);
    Ok(())
}

/// A copy of `bytes`.
pub fn try_copy(bytes: &[u8]) -> Result<Vec<u8>, AllocError> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len())
        .map_err(|_| AllocError)?;
    copy.extend_from_slice(bytes);
    Ok(copy)
}

/// `len` zero bytes.
pub fn try_zeroed(len: usize) -> Result<Vec<u8>, AllocError> {
    let mut zeroed = Vec::new();
    zeroed.try_reserve_exact(len).map_err(|_| AllocError)?;
    zeroed.resize(len, 0);
    Ok(zeroed)
}

/// An empty vector with room for `capacity` elements.
pub fn try_with_capacity<T>(capacity: usize) -> Result<Vec<T>, AllocError> {
    let mut vec = Vec::new();
    vec.try_reserve_exact(capacity).map_err(|_| AllocError)?;
    Ok(vec)
}
