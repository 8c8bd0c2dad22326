//! The module's allocator: dlmalloc (as Rust's standard library uses on wasm32) over a
//! fixed heap that is part of the initial memory, and over `memory.grow` only when the host
//! allows it (`lp_allow_memory_growth`).
//!
//! Growing memory replaces `memory.buffer`: every `Uint8Array` a host made over the old one
//! is detached. cu's module never grows its memory, and cu's web client makes its view once,
//! so by default the module never grows either: past the fixed heap an allocation fails, and
//! Lua raises "not enough memory". Hosts that make a new view after each call (ours,
//! `wasm/lua-persist.mjs`) opt in to growth. Everything the module allocates (Lua's heap,
//! the C library's `malloc`, Rust's own) comes through here, and nothing else in the module
//! grows memory, so the rule holds for every call.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

use dlmalloc::{Allocator, Dlmalloc};

/// A wasm page.
const PAGE: usize = 64 * 1024;

/// The fixed heap: a zeroed static, so it lies in `.bss`, costs no bytes in the module, and
/// makes the initial memory large enough to hold it (28 pages with today's code and data).
pub(crate) const FIXED_HEAP: usize = 640 * 1024;

#[repr(C, align(16))]
struct Arena([u8; FIXED_HEAP]);

/// A static the single-threaded module mutates.
struct Single<T>(UnsafeCell<T>);
// SAFETY: wasm32-unknown-unknown without the atomics feature has exactly one thread.
unsafe impl<T> Sync for Single<T> {}

static ARENA: Single<Arena> = Single(UnsafeCell::new(Arena([0; FIXED_HEAP])));

/// What the system side of dlmalloc has handed out, and whether it may grow memory.
struct Regions {
    arena_given: bool,
    tail_given: bool,
    growth_allowed: bool,
    /// Bytes of memory the heap got by growing memory.
    grown: usize,
}

static REGIONS: Single<Regions> = Single(UnsafeCell::new(Regions {
    arena_given: false,
    tail_given: false,
    growth_allowed: false,
    grown: 0,
}));

/// # Safety
/// No other reference to the regions may be alive (single thread, short accesses).
unsafe fn regions() -> &'static mut Regions {
    // SAFETY: forwarded caller contract.
    unsafe { &mut *REGIONS.0.get() }
}

/// Whether allocations may grow memory.
pub(crate) fn growth_allowed() -> bool {
    // SAFETY: single thread; a short access.
    unsafe { regions() }.growth_allowed
}

/// Allows (or forbids again) growing memory. Memory that has grown stays.
pub(crate) fn allow_growth(allowed: bool) {
    // SAFETY: single thread; a short access.
    unsafe { regions() }.growth_allowed = allowed;
}

/// The bytes the heap has without growing memory further: the fixed heap and what it got
/// by growing memory so far.
pub(crate) fn capacity() -> usize {
    // SAFETY: single thread; a short access.
    FIXED_HEAP + unsafe { regions() }.grown
}

extern "C" {
    // wasm-ld's markers: the heap after the static data runs from __heap_base to
    // __heap_end, the end of the initial memory.
    static __heap_base: u8;
    static __heap_end: u8;
}

/// The system side of dlmalloc: the fixed heap first, then the rest of the initial memory
/// after the static data when a request fits there, then `memory.grow` if allowed.
struct System;

// SAFETY: every region handed out is memory nothing else uses: the arena is private to this
// module, the tail past __heap_base belongs to no object, and grown pages are new; each is
// handed out once and never taken back (free and remap refuse).
unsafe impl Allocator for System {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        // SAFETY: single thread; dlmalloc does not re-enter the system allocator.
        let r = unsafe { regions() };
        if !r.arena_given && size <= FIXED_HEAP {
            r.arena_given = true;
            return (ARENA.0.get() as *mut u8, FIXED_HEAP, 0);
        }
        if !r.tail_given {
            // Only the linker symbols' addresses are taken (no read: safe).
            let (base, end) = (
                ptr::addr_of!(__heap_base) as usize,
                ptr::addr_of!(__heap_end) as usize,
            );
            let base = (base + 15) & !15;
            if end > base && end - base >= size {
                r.tail_given = true;
                return (base as *mut u8, end - base, 0);
            }
        }
        if !r.growth_allowed {
            return (ptr::null_mut(), 0, 0);
        }
        let pages = size.div_ceil(PAGE);
        let previous = core::arch::wasm32::memory_grow(0, pages);
        if previous == usize::MAX {
            return (ptr::null_mut(), 0, 0);
        }
        let base = previous * PAGE;
        let len = pages * PAGE;
        r.grown += len;
        // Pointers must not wrap to 0: leave the last bytes of the address space out.
        if base.wrapping_add(len) == 0 {
            return (base as *mut u8, len - 16, 0);
        }
        (base as *mut u8, len, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        // The arena and the tail are zero until first handed out; grown pages are zero.
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

/// Rust's global allocator on wasm32, for Rust, Lua and C alike.
pub(crate) struct Heap(UnsafeCell<Dlmalloc<System>>);
// SAFETY: as Single.
unsafe impl Sync for Heap {}

#[global_allocator]
static HEAP: Heap = Heap(UnsafeCell::new(Dlmalloc::new_with_allocator(System)));

impl Heap {
    /// # Safety
    /// No other reference to the allocator may be alive: the module is single-threaded and
    /// dlmalloc does not call back into the global allocator.
    #[allow(clippy::mut_from_ref)]
    unsafe fn dl(&self) -> &mut Dlmalloc<System> {
        // SAFETY: forwarded caller contract.
        unsafe { &mut *self.0.get() }
    }
}

// SAFETY: dlmalloc returns blocks of at least the layout's size and alignment, or null.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single thread, no re-entry; the layout's contract is forwarded.
        unsafe { self.dl().malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as alloc.
        unsafe { self.dl().calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: as alloc; the block came from this allocator with this layout.
        unsafe { self.dl().free(block, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as dealloc.
        unsafe {
            self.dl()
                .realloc(block, layout.size(), layout.align(), new_size)
        }
    }
}
