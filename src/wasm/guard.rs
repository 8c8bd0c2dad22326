//! Calls that never returned. A WebAssembly trap (an out-of-bounds access from crafted
//! bytecode, `unreachable` from an abort) ends a call at once: no Lua error handler, no
//! destructor and no epilogue runs, yet the instance stays callable. Lua's state may then be
//! mid-GC or mid-allocation, its C-call count and the shadow stack pointer are never
//! unwound, and the allocator may be mid-update, so nothing the instance does afterwards
//! can be trusted (cu's module went on until "C stack overflow" or an out-of-bounds access).
//!
//! Every export that runs Lua or allocates enters through [`guarded`]: a flag is set on
//! entry and cleared on every normal return, so a call that finds it set knows that an
//! earlier call never returned. From then on every such export answers with its error
//! result ([`TRAPPED_MESSAGE`]) and does nothing else; the host must create a new instance.

use super::module_cell::ModuleCell;

/// The answer of every call after a trap: `compute`'s error message, and stderr's content
/// for the `lp_*` exports.
pub const TRAPPED_MESSAGE: &[u8] = b"lua-persist: this instance trapped in an earlier call, \
which never returned (its Lua state may be mid-GC or mid-allocation and cannot be trusted): \
create a new instance";

struct Flags {
    /// A guarded call is running (or never returned).
    active: bool,
    /// An earlier guarded call never returned.
    trapped: bool,
}

static FLAGS: ModuleCell<Flags> = ModuleCell::new(Flags {
    active: false,
    trapped: false,
});

/// # Safety
/// No other reference to the flags may be alive (single thread, short accesses).
unsafe fn flags() -> &'static mut Flags {
    // SAFETY: forwarded caller contract.
    unsafe { &mut *FLAGS.as_ptr() }
}

/// Runs an export's `body`, or, if an earlier call never returned, returns `refused()`
/// without running it. A call that enters while another runs (from inside an import)
/// counts as well: the other call's state is mid-flight.
pub(crate) fn guarded<R>(refused: impl FnOnce() -> R, body: impl FnOnce() -> R) -> R {
    {
        // SAFETY: single thread; a short access.
        let f = unsafe { flags() };
        if f.active || f.trapped {
            f.trapped = true;
            return refused();
        }
        f.active = true;
    }
    let result = body();
    // SAFETY: single thread; a short access.
    unsafe { flags() }.active = false;
    result
}

/// Whether an earlier call never returned (as far as the guarded calls have found out, or
/// as the flag left set shows).
pub(crate) fn trapped() -> bool {
    // SAFETY: single thread; a short access.
    let f = unsafe { flags() };
    f.trapped || f.active
}
