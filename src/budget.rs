//! What a state may use and has used: its memory (counted by its allocator, the
//! `lua_Alloc` of every state made by [`lua::new_state`](crate::lua::new_state)), the work
//! it does (counted by the ticks of `src/lua_user/lua_user.h`) and the time its chunk runs.
//! The decisions of the checkpoints in `src/lua_user/checkpoints.c` are taken here; the public
//! interface is [`limits`](crate::limits).

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_char, c_int, c_void};
use core::ptr;
use std::alloc::{alloc, dealloc, realloc, Layout};

use crate::ffi::{abort_on_panic, lua_Alloc, lua_State, lua_getallocf};

/// The alignment of Lua's blocks. Lua needs its LUAI_MAXALIGN (llimits.h: the strictest of
/// lua_Number, double, void *, lua_Integer and long): 8 bytes on every supported target.
/// Natively the blocks get C's max_align_t (16), which malloc gives anyway. In the wasm
/// module they get 8, dlmalloc's own alignment there: with 16, every allocation went
/// through its memalign and every reallocation became allocate, copy and free (README,
/// Benchmarks).
#[cfg(not(target_arch = "wasm32"))]
const BLOCK_ALIGN: usize = 16;
#[cfg(target_arch = "wasm32")]
const BLOCK_ALIGN: usize = 8;
const _: () = assert!(
    BLOCK_ALIGN >= core::mem::align_of::<f64>()
        && BLOCK_ALIGN >= core::mem::align_of::<i64>()
        && BLOCK_ALIGN >= core::mem::align_of::<*const c_void>()
        && BLOCK_ALIGN >= core::mem::align_of::<core::ffi::c_long>()
);

/// Units of work (instructions, C calls, pattern-matching steps) between two checkpoints of
/// a thread: how late an instruction limit or a deadline can be noticed, and how often the
/// clock is read. A checkpoint costs about as much as a few dozen instructions.
pub const CHECKPOINT_INTERVAL: u64 = 10_000;

/// What a block of `size` bytes costs the process: C's malloc (glibc's, and dlmalloc in the
/// wasm module) puts a one-word header before each block and rounds it up to two words, at
/// least four: 16 and 32 bytes on 64-bit targets, 8 and 16 on wasm32. Counting that, a
/// memory limit bounds what the process really takes: Lua's blocks are small (a table is
/// 56 bytes natively), and by their sizes alone a state full of small tables would take a
/// third more than its limit.
pub fn block_cost(size: usize) -> usize {
    const WORD: usize = core::mem::size_of::<usize>();
    if size == 0 {
        0
    } else {
        (size.saturating_add(WORD + 2 * WORD - 1) & !(2 * WORD - 1)).max(4 * WORD)
    }
}

/// A limit of [`limits::Limits`](crate::limits::Limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Memory,
    Instructions,
    Time,
}

impl LimitKind {
    /// The error message a script sees, NUL-terminated for C.
    pub fn message_cstr(self) -> &'static core::ffi::CStr {
        match self {
            LimitKind::Memory => c"memory limit exceeded",
            LimitKind::Instructions => c"instruction limit exceeded",
            LimitKind::Time => c"time limit exceeded",
        }
    }
}

/// The allocator's bookkeeping and the state's budget, owned by the state (freed by
/// [`lua::close`](crate::lua::close)).
#[derive(Debug)]
pub(crate) struct Account {
    /// Bytes Lua holds (as it asked for them).
    pub(crate) used: usize,
    /// The same blocks, each counted at its [`block_cost`]: what the memory limit bounds.
    pub(crate) footprint: usize,
    /// The most footprint since the chunk began.
    pub(crate) peak: usize,
    /// The allocator's own cap on `used` ([`lua::set_memory_limit`](crate::lua::set_memory_limit)):
    /// past it Lua gets "not enough memory", and no limit is exceeded.
    pub(crate) cap: usize,
    /// The memory limit: past it the state has exceeded it.
    pub(crate) memory_limit: usize,
    /// The size of a growth refused for the memory limit, while the limit counts as
    /// exceeded only tentatively: Lua's core retries a refused allocation once, after an
    /// emergency collection, and when that retry succeeds the limit was not exceeded. (Other
    /// refusals are final at once: the auxiliary library's buffers do not retry.)
    tentative: Option<usize>,
    /// Units of work since the chunk began (or, between chunks, since the last ended).
    pub(crate) instructions: u64,
    pub(crate) instruction_limit: u64,
    /// Milliseconds; infinite for none.
    pub(crate) time_limit_ms: f64,
    /// When the chunk began (or the last ended), on [`now_ms`]'s clock.
    pub(crate) chunk_start_ms: f64,
    /// The limit exceeded, first, since the chunk began (or the last ended): while it is
    /// set, the state raises it.
    pub(crate) exceeded: Option<LimitKind>,
    /// Whether a chunk runs: between chunks the host's own calls (and the finalizers that
    /// run in them) have a budget of their own, so that a finalizer cannot hang the host,
    /// and the last chunk's record stays readable.
    pub(crate) in_chunk: bool,
    /// The last chunk, once it ended.
    pub(crate) last_chunk: Option<ChunkRecord>,
    /// Whether the state's bytecode policy is "trust" (none set): a copy that
    /// `trust::set_bytecode_policy` keeps, so that every serialization and deserialization
    /// need not look the policy up in the registry.
    pub(crate) trusts_bytecode: bool,
}

/// What a chunk used, and the limit it exceeded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkRecord {
    pub(crate) instructions: u64,
    pub(crate) peak: usize,
    pub(crate) elapsed_ms: f64,
    pub(crate) exceeded: Option<LimitKind>,
}

impl Account {
    pub(crate) fn new(cap: usize) -> Account {
        Account {
            used: 0,
            footprint: 0,
            peak: 0,
            cap,
            memory_limit: usize::MAX,
            tentative: None,
            instructions: 0,
            instruction_limit: u64::MAX,
            time_limit_ms: f64::INFINITY,
            chunk_start_ms: now_ms().unwrap_or(0.0),
            exceeded: None,
            in_chunk: false,
            last_chunk: None,
            trusts_bytecode: true,
        }
    }

    /// Starts counting afresh: a chunk begins (`in_chunk`), or one ended.
    pub(crate) fn start_period(&mut self, in_chunk: bool) {
        self.instructions = 0;
        self.exceeded = None;
        self.tentative = None;
        self.peak = self.footprint;
        self.chunk_start_ms = now_ms().unwrap_or(0.0);
        self.in_chunk = in_chunk;
    }

    /// Whether any limit is set.
    pub(crate) fn enforced(&self) -> bool {
        self.memory_limit != usize::MAX
            || self.instruction_limit != u64::MAX
            || self.time_limit_ms.is_finite()
    }

    /// Charges `used` units of work; returns the next fuel, or 0 when a limit is exceeded.
    fn refuel(&mut self, used: u64) -> c_int {
        if self.exceeded.is_some() {
            return 0;
        }
        self.instructions = self.instructions.saturating_add(used);
        if self.instructions > self.instruction_limit {
            self.exceeded = Some(LimitKind::Instructions);
            return 0;
        }
        if self.time_limit_ms.is_finite() {
            let now = now_ms().unwrap_or(self.chunk_start_ms);
            if now - self.chunk_start_ms >= self.time_limit_ms {
                self.exceeded = Some(LimitKind::Time);
                return 0;
            }
        }
        // The fuel ends one unit past the limit, where it is exceeded.
        let left = (self.instruction_limit - self.instructions).saturating_add(1);
        left.min(CHECKPOINT_INTERVAL) as c_int
    }
}

/// Milliseconds on a monotonic clock (natively) or the host's clock (the wasm module's
/// `js_time_now`); `None` where there is no clock (a wasm build without the module's
/// imports).
pub fn now_ms() -> Option<f64> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let origin = *ORIGIN.get_or_init(std::time::Instant::now);
        Some(origin.elapsed().as_secs_f64() * 1000.0)
    }
    #[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
    {
        // SAFETY: the import takes nothing and returns a number (0 if the host throws).
        Some(unsafe { crate::ffi::host_imports::lp_host_time_now() })
    }
    #[cfg(all(target_arch = "wasm32", not(feature = "wasm-module")))]
    {
        None
    }
}

/// The `lua_Alloc` of every state made by [`lua::new_state`](crate::lua::new_state):
/// Rust's global allocator, refusing growth past the cap and the memory limit.
pub(crate) unsafe extern "C-unwind" fn allocate(
    ud: *mut c_void,
    block: *mut c_void,
    osize: usize,
    nsize: usize,
) -> *mut c_void {
    // SAFETY: the body has the same contract; a panic must not unwind into C.
    abort_on_panic(|| unsafe { allocate_body(ud, block, osize, nsize) })
}

unsafe fn allocate_body(
    ud: *mut c_void,
    block: *mut c_void,
    osize: usize,
    nsize: usize,
) -> *mut c_void {
    // SAFETY: ud is the Account that new_state registered with this function.
    let account = unsafe { &mut *(ud as *mut Account) };
    // For a fresh block Lua passes the object's type in osize, not a size.
    let old = if block.is_null() { 0 } else { osize };
    if nsize == 0 {
        if !block.is_null() {
            // SAFETY: block was allocated here with size osize and BLOCK_ALIGN.
            unsafe {
                dealloc(
                    block as *mut u8,
                    Layout::from_size_align_unchecked(old, BLOCK_ALIGN),
                )
            };
            account.used -= old;
            account.footprint -= block_cost(old);
        }
        return ptr::null_mut();
    }
    let Ok(layout) = Layout::from_size_align(nsize, BLOCK_ALIGN) else {
        return ptr::null_mut();
    };
    if nsize > old {
        let footprint = (account.footprint - block_cost(old)).saturating_add(block_cost(nsize));
        if footprint > account.memory_limit {
            if account.exceeded.is_none() {
                account.exceeded = Some(LimitKind::Memory);
                account.tentative = Some(nsize);
            }
            return ptr::null_mut();
        }
        if (account.used - old).saturating_add(nsize) > account.cap {
            return ptr::null_mut();
        }
    }
    // SAFETY: nsize > 0; block (if any) was allocated here with size `old`.
    let result = unsafe {
        if block.is_null() {
            alloc(layout)
        } else {
            realloc(
                block as *mut u8,
                Layout::from_size_align_unchecked(old, BLOCK_ALIGN),
                nsize,
            )
        }
    };
    if !result.is_null() {
        account.used = account.used - old + nsize;
        account.footprint = account.footprint - block_cost(old) + block_cost(nsize);
        account.peak = account.peak.max(account.footprint);
        if nsize > old && account.tentative.take() == Some(nsize) {
            account.exceeded = None; // the retry after the emergency collection
        }
    }
    result as *mut c_void
}

/// The account of `L`'s state, if [`lua::new_state`](crate::lua::new_state) made it (a
/// state with another allocator has none).
///
/// # Safety
/// `L` must be a valid state, and no other reference to its account may be alive.
pub(crate) unsafe fn account<'a>(L: *mut lua_State) -> Option<&'a mut Account> {
    let mut ud = ptr::null_mut();
    // SAFETY: valid state (caller).
    let allocator = unsafe { lua_getallocf(L, &mut ud) };
    let ours_alloc: lua_Alloc = Some(allocate);
    let ours = allocator.map(|f| f as usize) == ours_alloc.map(|f| f as usize);
    // SAFETY: our allocator's ud is the state's Account, alive until the state closes.
    (ours && !ud.is_null()).then(|| unsafe { &mut *(ud as *mut Account) })
}

/// Fuel for threads of states without an account: checkpoints seldom.
const FUEL_WITHOUT_ACCOUNT: c_int = 1 << 30;

/// The functions the checkpoints (`src/lua_user/checkpoints.c`) call, in one table: as
/// `#[no_mangle]` functions they would be exports of the wasm module.
#[repr(C)]
pub struct LimitsRuntime {
    refuel: unsafe extern "C" fn(*mut lua_State, i64) -> c_int,
    exceeded: unsafe extern "C" fn(*mut lua_State) -> *const c_char,
    enforced: unsafe extern "C" fn(*mut lua_State) -> c_int,
}

/// The table `src/lua_user/lua_user.h` declares; field order must match.
#[no_mangle]
pub static __lp_limits: LimitsRuntime = LimitsRuntime {
    refuel,
    exceeded,
    enforced,
};

/// Charges `used` units of work to `L`'s state; the next fuel, or 0 once a limit is
/// exceeded.
///
/// # Safety
/// `L` must be a valid state.
unsafe extern "C" fn refuel(L: *mut lua_State, used: i64) -> c_int {
    abort_on_panic(|| {
        // SAFETY: valid state (caller); the reference ends here.
        match unsafe { account(L) } {
            Some(account) => account.refuel(used.max(0) as u64),
            None => FUEL_WITHOUT_ACCOUNT,
        }
    })
}

/// The message of the limit `L`'s state has exceeded, or null.
///
/// # Safety
/// `L` must be a valid state.
unsafe extern "C" fn exceeded(L: *mut lua_State) -> *const c_char {
    abort_on_panic(|| {
        // SAFETY: valid state (caller); the reference ends here.
        match unsafe { account(L) }.and_then(|a| a.exceeded) {
            Some(kind) => kind.message_cstr().as_ptr(),
            None => ptr::null(),
        }
    })
}

/// Whether any limit is set on `L`'s state (1) or not (0).
///
/// # Safety
/// `L` must be a valid state.
unsafe extern "C" fn enforced(L: *mut lua_State) -> c_int {
    abort_on_panic(|| {
        // SAFETY: valid state (caller); the reference ends here.
        unsafe { account(L) }.is_some_and(|a| a.enforced()) as c_int
    })
}
