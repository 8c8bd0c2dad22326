//! The Rust half of the libc that Lua needs on wasm32-unknown-unknown (cu:
//! `libc-stubs.zig`): what is better done in Rust than in C. The C half (`wasm/libc/`)
//! reaches it through one table, `__lp_runtime`, because a Rust cdylib would export every
//! `#[no_mangle]` function from the module (see `wasm/libc/runtime.h`).

use core::ffi::{c_char, c_int, CStr};
use core::ptr;
use std::alloc::{alloc, dealloc, realloc, Layout};

use crate::portable_libc::printf::{write_double, FloatSpec};
use crate::portable_libc::time::Tm;

/// The table `wasm/libc/runtime.h` declares; field order must match.
#[repr(C)]
pub struct Runtime {
    malloc: unsafe extern "C" fn(usize) -> *mut u8,
    realloc: unsafe extern "C" fn(*mut u8, usize) -> *mut u8,
    free: unsafe extern "C" fn(*mut u8),
    strtod: unsafe extern "C" fn(*const c_char, *mut usize, *mut c_int) -> f64,
    format_double:
        unsafe extern "C" fn(*mut c_char, usize, f64, c_int, c_int, c_int, c_int) -> usize,
    gmtime: unsafe extern "C" fn(i64, *mut Tm) -> c_int,
    timegm: unsafe extern "C" fn(*mut Tm, *mut i64) -> c_int,
    strftime:
        unsafe extern "C" fn(*mut c_char, usize, *const c_char, *const Tm, *const c_char) -> usize,
}

#[no_mangle]
pub static __lp_runtime: Runtime = Runtime {
    malloc: rt_malloc,
    realloc: rt_realloc,
    free: rt_free,
    strtod: rt_strtod,
    format_double: rt_format_double,
    gmtime: rt_gmtime,
    timegm: rt_timegm,
    strftime: rt_strftime,
};

/// Every C block starts with a header recording its size, because `free` and `realloc`
/// are not told it. 16 bytes keep the payload aligned as max_align_t on wasm32.
const HEADER: usize = 16;

fn block_layout(payload: usize) -> Option<Layout> {
    Layout::from_size_align(payload.checked_add(HEADER)?, HEADER).ok()
}

unsafe extern "C" fn rt_malloc(size: usize) -> *mut u8 {
    let Some(layout) = block_layout(size) else {
        return ptr::null_mut();
    };
    // SAFETY: the layout's size is at least HEADER, so not zero.
    let base = unsafe { alloc(layout) };
    if base.is_null() {
        return base;
    }
    // SAFETY: base points at HEADER + size bytes aligned to 16.
    unsafe {
        (base as *mut usize).write(size);
        base.add(HEADER)
    }
}

unsafe extern "C" fn rt_free(block: *mut u8) {
    // SAFETY: C's free passes only non-null blocks from rt_malloc/rt_realloc, whose header
    // holds the payload size.
    unsafe {
        let base = block.sub(HEADER);
        let size = (base as *const usize).read();
        dealloc(
            base,
            Layout::from_size_align_unchecked(size + HEADER, HEADER),
        );
    }
}

unsafe extern "C" fn rt_realloc(block: *mut u8, size: usize) -> *mut u8 {
    if block.is_null() {
        // SAFETY: same contract as malloc.
        return unsafe { rt_malloc(size) };
    }
    let Some(new_layout) = block_layout(size) else {
        return ptr::null_mut();
    };
    // SAFETY: block came from rt_malloc/rt_realloc; its header gives the old layout.
    unsafe {
        let base = block.sub(HEADER);
        let old = (base as *const usize).read();
        let moved = realloc(
            base,
            Layout::from_size_align_unchecked(old + HEADER, HEADER),
            new_layout.size(),
        );
        if moved.is_null() {
            return moved; // the old block stays valid, as C requires
        }
        (moved as *mut usize).write(size);
        moved.add(HEADER)
    }
}

unsafe extern "C" fn rt_strtod(
    s: *const c_char,
    used: *mut usize,
    out_of_range: *mut c_int,
) -> f64 {
    // SAFETY: C passes a NUL-terminated string and two valid out-pointers.
    unsafe {
        let parsed = crate::portable_libc::strtod::parse(CStr::from_ptr(s).to_bytes());
        *used = parsed.consumed;
        *out_of_range = parsed.out_of_range as c_int;
        parsed.value
    }
}

/// Writes at most `cap` bytes (no NUL) and returns the full length of the conversion.
unsafe extern "C" fn rt_format_double(
    out: *mut c_char,
    cap: usize,
    value: f64,
    conversion: c_int,
    flags: c_int,
    width: c_int,
    precision: c_int,
) -> usize {
    let spec = FloatSpec {
        conversion: conversion as u8,
        flags: flags as u32,
        width: width.max(0) as usize,
        precision: usize::try_from(precision).ok(),
    };
    let mut len = 0;
    write_double(value, &spec, &mut |bytes| {
        let n = bytes.len().min(cap.saturating_sub(len));
        if n > 0 {
            // SAFETY: out has room for cap bytes, and len + n <= cap.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), (out as *mut u8).add(len), n) };
        }
        len += bytes.len();
    });
    len
}

unsafe extern "C" fn rt_gmtime(t: i64, out: *mut Tm) -> c_int {
    match crate::portable_libc::time::gmtime(t) {
        Some(tm) => {
            // SAFETY: out points at a struct tm.
            unsafe { *out = tm };
            0
        }
        None => -1,
    }
}

unsafe extern "C" fn rt_timegm(tm: *mut Tm, out: *mut i64) -> c_int {
    // SAFETY: tm and out point at valid objects.
    match crate::portable_libc::time::timegm(unsafe { &mut *tm }) {
        Some(t) => {
            // SAFETY: as above.
            unsafe { *out = t };
            0
        }
        None => -1,
    }
}

/// C's contract: returns 0 (contents unspecified) unless the text and its NUL fit.
/// `zone` is the name `%Z` prints.
unsafe extern "C" fn rt_strftime(
    out: *mut c_char,
    max: usize,
    format: *const c_char,
    tm: *const Tm,
    zone: *const c_char,
) -> usize {
    // SAFETY: NUL-terminated format and zone, and a valid struct tm.
    let text = unsafe {
        crate::portable_libc::time::strftime(
            CStr::from_ptr(format).to_bytes(),
            &*tm,
            CStr::from_ptr(zone).to_bytes(),
        )
    };
    if text.len() >= max {
        return 0;
    }
    // SAFETY: out has room for max > text.len() bytes.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr(), out as *mut u8, text.len());
        *out.add(text.len()) = 0;
    }
    text.len()
}
