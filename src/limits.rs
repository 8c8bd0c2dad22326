//! Limits on what a state's chunks may use: memory (bytes held, counted by the state's
//! allocator), instructions (Lua VM instructions, plus one per call of a C function and one
//! per step of pattern matching) and time (wall-clock, per chunk).
//!
//! A host sets them with [`set_limits`] (between chunks; they stay until changed) and runs
//! each chunk through [`pcall`] (or [`begin_chunk`], `lua_pcall`, [`end_chunk`]). A chunk
//! that exceeds one gets an error naming it ("instruction limit exceeded"), and from then
//! on the state raises that error again before every instruction, every call of a C
//! function and every pattern-matching step, so `pcall`, `xpcall`, `coroutine.wrap`,
//! `__close` and `__gc` handlers cannot go on past it. The host gets the error back; the
//! next chunk starts afresh, with its globals intact.
//!
//! How the work is counted, and what is not: README, "Running untrusted code".

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::c_int;
use std::time::Duration;

use crate::budget;
pub use crate::budget::LimitKind;
use crate::ffi::limits_glue::{lp_limits_pending, lp_limits_rearm};
use crate::ffi::*;
use crate::lua;

/// What a state may use; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Bytes the state may hold (all its values, not one chunk's).
    pub memory: Option<usize>,
    /// Units of work one chunk may do: VM instructions, C function calls and pattern
    /// matching steps.
    pub instructions: Option<u64>,
    /// How long one chunk may run.
    pub time: Option<Duration>,
}

impl Limits {
    /// No limit at all.
    pub const NONE: Limits = Limits {
        memory: None,
        instructions: None,
        time: None,
    };

    /// The limits of sandbox mode unless the host sets others (README, "Running untrusted
    /// code"): 256 MiB, 1e9 instructions (a second or two of work), 10 seconds.
    pub const SANDBOX_DEFAULT: Limits = Limits {
        memory: Some(256 << 20),
        instructions: Some(1_000_000_000),
        time: Some(Duration::from_secs(10)),
    };
}

/// What a state has used.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Units of work of the current (or last) chunk, counted to within
    /// [`budget::CHECKPOINT_INTERVAL`] per coroutine.
    pub instructions: u64,
    /// Bytes the state holds now, each block counted with what C's malloc adds to it (the
    /// measure of the memory limit, [`budget::block_cost`]).
    pub memory: usize,
    /// The most it held since the chunk began.
    pub peak_memory: usize,
    /// How long the chunk has run (or ran, once it ended).
    pub elapsed: Duration,
}

/// The limit a chunk exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error("memory limit exceeded")]
    Memory { limit: usize },
    #[error("instruction limit exceeded")]
    Instructions { limit: u64 },
    #[error("time limit exceeded")]
    Time { limit: Duration },
}

/// A number of milliseconds as a Duration (negative and NaN as zero, too large as the
/// largest). (`Duration::from_secs_f64` panics instead, and its panic costs the module.)
pub fn duration_from_ms(ms: f64) -> Duration {
    Duration::from_nanos((ms * 1e6) as u64)
}

impl LimitExceeded {
    /// Which limit.
    pub fn kind(&self) -> LimitKind {
        match self {
            LimitExceeded::Memory { .. } => LimitKind::Memory,
            LimitExceeded::Instructions { .. } => LimitKind::Instructions,
            LimitExceeded::Time { .. } => LimitKind::Time,
        }
    }
}

/// Why limits cannot be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    /// Not made by `lua::new_state`, whose allocator counts memory.
    #[error("not a state of lua::new_state")]
    ForeignState,
    /// A wasm32 build without the feature `wasm-module` has no clock.
    #[error("no clock for a time limit")]
    NoClock,
}

/// The limits of a state the host owns: the functions below, safe on an [`lua::OwnedState`]
/// (whose state is valid while it lives).
impl lua::OwnedState {
    /// [`set_limits`] on this state.
    pub fn set_limits(&self, limits: &Limits) -> Result<(), LimitsError> {
        // SAFETY: the state is valid while self lives.
        unsafe { set_limits(self.as_ptr(), limits) }
    }

    /// [`limits`] of this state.
    pub fn limits(&self) -> Limits {
        // SAFETY: the state is valid while self lives.
        unsafe { limits(self.as_ptr()) }.unwrap_or_default()
    }

    /// [`usage`] of this state.
    pub fn usage(&self) -> Usage {
        // SAFETY: the state is valid while self lives.
        unsafe { usage(self.as_ptr()) }.unwrap_or_default()
    }

    /// [`exceeded`] by this state's current or last chunk.
    pub fn exceeded(&self) -> Option<LimitExceeded> {
        // SAFETY: the state is valid while self lives.
        unsafe { exceeded(self.as_ptr()) }
    }
}

/// Sets the limits of `L`'s state for its next chunks (and for the running one, if any).
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn set_limits(L: *mut lua_State, limits: &Limits) -> Result<(), LimitsError> {
    if limits.time.is_some() && budget::now_ms().is_none() {
        return Err(LimitsError::NoClock);
    }
    // SAFETY: valid state (caller); the reference ends here.
    let account = unsafe { budget::account(L) }.ok_or(LimitsError::ForeignState)?;
    account.memory_limit = limits.memory.unwrap_or(usize::MAX);
    account.instruction_limit = limits.instructions.unwrap_or(u64::MAX);
    account.time_limit_ms = limits
        .time
        .map_or(f64::INFINITY, |t| t.as_secs_f64() * 1000.0);
    // SAFETY: valid state: the next tick checks against the new limits.
    unsafe { lp_limits_rearm(L) };
    Ok(())
}

/// The limits of `L`'s state (`None` for a state not made by `lua::new_state`).
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn limits(L: *mut lua_State) -> Option<Limits> {
    // SAFETY: valid state (caller); the reference ends here.
    let account = unsafe { budget::account(L) }?;
    Some(Limits {
        memory: (account.memory_limit != usize::MAX).then_some(account.memory_limit),
        instructions: (account.instruction_limit != u64::MAX).then_some(account.instruction_limit),
        time: account
            .time_limit_ms
            .is_finite()
            .then(|| duration_from_ms(account.time_limit_ms)),
    })
}

/// What `L`'s state has used: in the running chunk, or else in the last one (`None` for a
/// state not made by `lua::new_state`).
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn usage(L: *mut lua_State) -> Option<Usage> {
    // SAFETY: valid state (caller).
    let pending = unsafe { lp_limits_pending(L) }.max(0) as u64;
    // SAFETY: valid state (caller); the reference ends here.
    let account = unsafe { budget::account(L) }?;
    let (instructions, peak, elapsed_ms) = match (account.in_chunk, account.last_chunk) {
        (false, Some(last)) => (last.instructions, last.peak, last.elapsed_ms),
        _ => (
            account.instructions.saturating_add(pending),
            account.peak,
            budget::now_ms().map_or(0.0, |now| now - account.chunk_start_ms),
        ),
    };
    Some(Usage {
        instructions,
        memory: account.footprint,
        peak_memory: peak,
        elapsed: duration_from_ms(elapsed_ms),
    })
}

/// The limit the running chunk of `L`'s state exceeded, or else the last chunk.
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn exceeded(L: *mut lua_State) -> Option<LimitExceeded> {
    // SAFETY: valid state (caller); the reference ends here.
    let account = unsafe { budget::account(L) }?;
    let kind = match (account.in_chunk, account.last_chunk) {
        (false, Some(last)) => last.exceeded?,
        _ => account.exceeded?,
    };
    Some(match kind {
        LimitKind::Memory => LimitExceeded::Memory {
            limit: account.memory_limit,
        },
        LimitKind::Instructions => LimitExceeded::Instructions {
            limit: account.instruction_limit,
        },
        LimitKind::Time => LimitExceeded::Time {
            limit: duration_from_ms(account.time_limit_ms),
        },
    })
}

/// Starts a chunk: the counts of work, time and peak memory start again, and a limit
/// exceeded before is forgotten.
///
/// # Safety
/// `L` must be a valid state, not inside the chunk it begins.
pub unsafe fn begin_chunk(L: *mut lua_State) {
    // SAFETY: valid state (caller); the reference ends before the C call.
    if let Some(account) = unsafe { budget::account(L) } {
        account.start_period(true);
    }
    // SAFETY: valid state (caller).
    unsafe { lp_limits_rearm(L) };
}

/// Ends a chunk begun with [`begin_chunk`]: keeps what it used (for [`usage`]) and tells
/// which limit it exceeded, if any. The state stops raising that limit: the host's own
/// calls that follow, until the next chunk, count afresh against the same limits.
///
/// # Safety
/// `L` must be a valid state, not inside the chunk it ends.
pub unsafe fn end_chunk(L: *mut lua_State) -> Option<LimitExceeded> {
    // SAFETY: valid state (caller).
    let pending = unsafe { lp_limits_pending(L) }.max(0) as u64;
    // SAFETY: valid state (caller); the reference ends before the C call.
    if let Some(account) = unsafe { budget::account(L) } {
        let now = budget::now_ms().unwrap_or(account.chunk_start_ms);
        account.last_chunk = Some(budget::ChunkRecord {
            instructions: account.instructions.saturating_add(pending),
            peak: account.peak,
            elapsed_ms: now - account.chunk_start_ms,
            exceeded: account.exceeded,
        });
        account.start_period(false);
    }
    // SAFETY: valid state (caller): the fuel starts again, without the hook.
    unsafe {
        lp_limits_rearm(L);
        exceeded(L)
    }
}

/// `lua_pcall` as one chunk under the limits: [`begin_chunk`], the call, [`end_chunk`].
/// When the chunk exceeded a limit the result is `LUA_ERRRUN` with an error naming the
/// limit on the stack: the error as raised ("input:3: time limit exceeded", and what the
/// message handler added), or, when something else replaced it (a `__close` handler's
/// error, "not enough memory", "error in error handling"), the limit's message alone;
/// [`exceeded`] tells which limit. Otherwise as `lua_pcall`.
///
/// # Safety
/// As `lua_pcall`, from outside any Lua call of the state, with one more slot of stack.
pub unsafe fn pcall(L: *mut lua_State, nargs: c_int, nresults: c_int, msgh: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        let base = lua_gettop(L) - nargs - 1;
        begin_chunk(L);
        let status = lua_pcall(L, nargs, nresults, msgh);
        let Some(limit) = end_chunk(L) else {
            return status;
        };
        let message = limit.kind().message_cstr().to_bytes();
        // The error as raised (with its position and a handler's traceback) when it names
        // the limit; not when a handler or `__close` replaced it.
        let names_limit = status != LUA_OK
            && lua_type(L, -1) == LUA_TSTRING
            && lua::tostring(L, -1)
                .is_some_and(|text| text.windows(message.len()).any(|w| w == message));
        if names_limit {
            return LUA_ERRRUN; // lua_pcall left the error where the function was
        }
        lua_settop(L, base);
        // Protected: the message may need memory, and the state may have none left.
        if lua::protected_results(L, 1, &mut |L| lua::pushstring(L, message)).is_err() {
            lua_pushnil(L);
        }
        LUA_ERRRUN
    }
}

/// `limits.usage()`: `{instructions=, memory=, peak_memory=, elapsed=seconds}`.
unsafe extern "C-unwind" fn lua_usage(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; the pushes may raise, and this frame owns nothing.
    lua::abort_on_panic(|| unsafe {
        let usage = usage(L).unwrap_or_default();
        lua_createtable(L, 0, 4);
        lua_pushinteger(L, usage.instructions.min(i64::MAX as u64) as i64);
        lua_setfield(L, -2, c"instructions".as_ptr());
        lua_pushinteger(L, usage.memory as i64);
        lua_setfield(L, -2, c"memory".as_ptr());
        lua_pushinteger(L, usage.peak_memory as i64);
        lua_setfield(L, -2, c"peak_memory".as_ptr());
        lua_pushnumber(L, usage.elapsed.as_secs_f64());
        lua_setfield(L, -2, c"elapsed".as_ptr());
        1
    })
}

/// `limits.get()`: `{memory=, instructions=, time=seconds}`, without the unlimited ones.
unsafe extern "C-unwind" fn lua_get(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; the pushes may raise, and this frame owns nothing.
    lua::abort_on_panic(|| unsafe {
        let limits = limits(L).unwrap_or_default();
        lua_createtable(L, 0, 3);
        if let Some(memory) = limits.memory {
            lua_pushinteger(L, memory.min(i64::MAX as usize) as i64);
            lua_setfield(L, -2, c"memory".as_ptr());
        }
        if let Some(instructions) = limits.instructions {
            lua_pushinteger(L, instructions.min(i64::MAX as u64) as i64);
            lua_setfield(L, -2, c"instructions".as_ptr());
        }
        if let Some(time) = limits.time {
            lua_pushnumber(L, time.as_secs_f64());
            lua_setfield(L, -2, c"time".as_ptr());
        }
        1
    })
}

/// Opens the `limits` library: what a script may know of its own limits and usage.
///
/// # Safety
/// Called by Lua (`luaL_requiref`), or as a C function inside a protected call.
pub unsafe extern "C-unwind" fn luaopen_limits(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; the pushes may raise, and this frame owns nothing.
    lua::abort_on_panic(|| unsafe {
        lua_createtable(L, 0, 2);
        lua_pushcfunction(L, Some(lua_usage));
        lua_setfield(L, -2, c"usage".as_ptr());
        lua_pushcfunction(L, Some(lua_get));
        lua_setfield(L, -2, c"get".as_ptr());
        1
    })
}

/// Makes the `limits` library a global, as the standard libraries are.
///
/// # Safety
/// Inside a protected call on a valid state.
pub unsafe fn open_limits(L: *mut lua_State) {
    // SAFETY: forwarded caller contract.
    unsafe {
        luaL_requiref(L, c"limits".as_ptr(), Some(luaopen_limits), 1);
        lua_pop(L, 1);
    }
}
