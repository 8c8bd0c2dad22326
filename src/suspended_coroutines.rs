//! Suspended coroutines as values (FORMAT.md, tag 0x0E state 02): a coroutine stopped at a
//! `coroutine.yield` is written as its stack values, its open upvalues, its frames and its
//! pending to-be-closed variables, and rebuilt in any state, native or wasm, where it
//! resumes exactly where it stopped. This half writes and reads the values and open
//! upvalues (they take part in the payload's object and upvalue numbering); the frames are
//! written, checked and rebuilt in C against Lua's internal headers
//! (`src/lua_user/coroutine_frames.c`), always logically: a frame is its kind and, for a
//! Lua frame, the index of its next instruction, never struct bytes.
//!
//! Decoding checks before it builds: every frame against the function it belongs to (its
//! instruction, registers and caller), every open upvalue and to-be-closed slot against
//! the frames. Until the last step the new thread is a plain one holding values, so an
//! error anywhere leaves nothing half-made. Hooks are not persisted: a restored coroutine
//! runs under the decoding thread's hooks, as any new coroutine does.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, c_void};

use crate::codec::{Decoder, Encoder, Nesting};
use crate::ffi::coroutine_frames::*;
use crate::ffi::*;
use crate::format::{
    CoroutineProblem, FrameProblem, FunctionSerializationError, ReadBytes, SerializationError,
};
use crate::function_serializer::push_shared_upvalue_owner;

/// The most slots a coroutine's stack holds (Lua's LUAI_MAXSTACK).
pub(crate) const MAX_SLOTS: u32 = 1_000_000;

/// This state's pcall and xpcall, which the frames of protected calls must hold.
///
/// # Safety
/// `L` valid with room for 3 slots.
unsafe fn protected_calls(L: *mut lua_State) -> (lua_CFunction, lua_CFunction) {
    // SAFETY: forwarded caller contract.
    unsafe {
        (
            crate::c_functions::registered_c_function(L, "pcall"),
            crate::c_functions::registered_c_function(L, "xpcall"),
        )
    }
}

/// Writes the suspended coroutine `co` after its tag: state `02`, its stack, open upvalues,
/// frames and to-be-closed variables.
///
/// # Safety
/// `co` is a suspended (LUA_YIELD) thread of the encoder's state, which has room for the
/// encoder's level.
pub(crate) unsafe fn encode(
    enc: &mut Encoder,
    co: *mut lua_State,
) -> Result<(), SerializationError> {
    let L = enc.L;
    // SAFETY: co is suspended, so nothing of it changes while it is read; every value
    // pushed on L is popped.
    unsafe {
        crate::c_functions::ensure_c_function_registry(L)?;
        let (pcall, xpcall) = protected_calls(L);
        // The frames first, into a buffer: they may refuse the coroutine.
        let mut failed = 0;
        let len = lp_co_write(co, pcall, xpcall, core::ptr::null_mut(), 0, &mut failed);
        let why = match -len {
            i if i <= 0 => "",
            1 => "it yielded inside a hook",
            2 => "it yielded inside a metamethod",
            3 => "it yielded inside a __close metamethod",
            4 => "the C function that yielded has a continuation",
            5 => "it yielded across a C function other than pcall and xpcall",
            _ => "its frames are laid out in a way this version does not know",
        };
        if !why.is_empty() {
            return Err(SerializationError::CoroutineNotPersistable {
                why: why.into(),
                path: String::new(),
            });
        }
        let mut frames = crate::fallible::try_zeroed(len as usize)?;
        lp_co_write(
            co,
            pcall,
            xpcall,
            frames.as_mut_ptr(),
            frames.len(),
            &mut failed,
        );

        enc.holds_code = true; // frames are positions in code
        let slots = lp_co_slots(co);
        enc.put(&[0x02])?;
        enc.put_u32(slots as u32)?;
        // Open upvalues before the values: closures among the values refer to them.
        let mut count = 0u32;
        let mut slot = 0;
        let mut uv = core::ptr::null_mut();
        while {
            uv = lp_co_next_open_upvalue(co, uv, &mut slot);
            !uv.is_null()
        } {
            count += 1;
        }
        enc.put_u32(count)?;
        while {
            uv = lp_co_next_open_upvalue(co, uv, &mut slot);
            !uv.is_null()
        } {
            enc.put_u32(slot as u32)?;
            match enc.upvalues.get(uv as usize) {
                Some(k) => {
                    enc.put(&[0x01])?;
                    enc.put_u32(k)?;
                }
                None => {
                    enc.upvalues.insert(uv as usize)?;
                    enc.put(&[0x00])?;
                }
            }
        }
        enc.nested(|enc| {
            for slot in 1..=slots {
                lp_co_push_slot(L, co, slot);
                let r = enc.value(-1);
                lua_pop(L, 1);
                r?;
            }
            Ok(())
        })?;
        enc.put(&frames)
    }
}

/// The error of a code of the C half (`LP_*` in coroutine_frames.c).
pub(crate) fn coroutine_error(
    code: c_int,
    offset: usize,
    at: usize,
    slots: u32,
    failed: c_int,
    detail: c_int,
) -> SerializationError {
    let failed_u32 = failed as u32;
    let problem = match code {
        1 => {
            return SerializationError::Truncated {
                offset: at,
                needed: failed as usize,
            }
        }
        2 => CoroutineProblem::NoFrames,
        3 => CoroutineProblem::TooManyFrames {
            frames: failed_u32,
            slots,
        },
        4 => CoroutineProblem::UnknownFrameKind {
            frame: failed_u32,
            kind: detail as u8,
        },
        5 => CoroutineProblem::SlotOutOfRange {
            slot: failed_u32,
            slots,
        },
        6 => CoroutineProblem::SlotOutsideLuaFrame {
            slot: failed_u32,
            what: if detail == 0 {
                "open upvalue"
            } else {
                "to-be-closed variable"
            },
        },
        7 => CoroutineProblem::NotClosable { slot: failed_u32 },
        8 => CoroutineProblem::StackTooLarge { slots },
        9 => return SerializationError::Lua("not enough memory".into()),
        _ => CoroutineProblem::Frame {
            frame: failed_u32,
            problem: FrameProblem::from_index(code as usize - 10),
        },
    };
    SerializationError::InvalidCoroutine { offset, problem }
}

/// The frames and to-be-closed sections at `bytes`, checked for what bytes alone tell;
/// returns their length.
pub(crate) fn frames_shape(
    bytes: &[u8],
    offset: usize,
    at: usize,
    slots: u32,
) -> Result<usize, SerializationError> {
    let (mut used, mut failed, mut detail) = (0, 0, 0);
    // SAFETY: a pure reading of the slice, within its length.
    let code = unsafe {
        lp_co_shape(
            bytes.as_ptr(),
            bytes.len(),
            slots,
            &mut used,
            &mut failed,
            &mut detail,
        )
    };
    if code != 0 {
        return Err(coroutine_error(
            code,
            offset,
            at + used,
            slots,
            failed,
            detail,
        ));
    }
    Ok(used)
}

/// Reads a suspended coroutine (after its tag and state byte) into the new thread `co`, on
/// top of L with object index `object`. On error `co` is left a plain thread.
///
/// # Safety
/// Inside the protected decode call, with `co` on top of the decoder's state.
pub(crate) unsafe fn decode(
    dec: &mut Decoder,
    co: *mut lua_State,
    object: u32,
    offset: usize,
) -> Result<(), SerializationError> {
    let L = dec.L;
    // SAFETY: inside the protected call; co stays on top of L, and every other push is
    // popped. Nothing is asked of co that raises an error on it.
    unsafe {
        let slots = dec.take_u32()?;
        let remaining = dec.remaining();
        if slots as usize > remaining {
            return Err(SerializationError::Truncated {
                offset: dec.pos,
                needed: slots as usize - remaining,
            });
        }
        let invalid = |problem| SerializationError::InvalidCoroutine { offset, problem };
        if slots > MAX_SLOTS || lua_checkstack(co, slots as c_int) == 0 {
            return Err(invalid(CoroutineProblem::StackTooLarge { slots }));
        }
        let open = dec.take_u32()?;
        let mut previous = slots + 1;
        let mut tail: *mut c_void = core::ptr::null_mut();
        for _ in 0..open {
            let slot = dec.take_u32()?;
            // Lua's order: highest first.
            if slot == 0 || slot >= previous {
                return Err(invalid(CoroutineProblem::SlotOutOfRange { slot, slots }));
            }
            previous = slot;
            match dec.take_u8()? {
                0x00 => {
                    lp_co_open_upvalue(L, co, slot as c_int, 0, 0, &mut tail);
                    // An open upvalue: the coroutine's object and minus its slot.
                    dec.upvalues.push((object, -(slot as c_int)))?;
                }
                0x01 => {
                    let (k, n) = push_shared_upvalue_owner(dec)?;
                    let r = n > 0
                        && lp_co_open_upvalue(L, co, slot as c_int, lua_gettop(L), n, &mut tail)
                            == 0;
                    lua_pop(L, 1);
                    if !r {
                        return Err(invalid(CoroutineProblem::UpvalueAlreadyOpen { upvalue: k }));
                    }
                }
                kind => return Err(FunctionSerializationError::UnknownUpvalueKind { kind }.into()),
            }
        }
        dec.nested(|dec| {
            for _ in 0..slots {
                dec.value()?;
                lua_xmove(L, co, 1);
            }
            Ok(())
        })?;
        let at = dec.pos;
        let len = frames_shape(&dec.input[at..], offset, at, slots)?;
        let (pcall, xpcall) = protected_calls(L);
        let (mut failed, mut detail) = (0, 0);
        let code = lp_co_load(
            L,
            co,
            dec.input[at..].as_ptr(),
            len,
            pcall,
            xpcall,
            &mut failed,
            &mut detail,
        );
        if code != 0 {
            return Err(coroutine_error(code, offset, at, slots, failed, detail));
        }
        dec.pos = at + len;
        Ok(())
    }
}

/// Sets upvalue `n` of the closure at `f` to the open upvalue at `slot` of the coroutine on
/// top of the stack (a `01` reference to an upvalue a coroutine declared).
///
/// # Safety
/// A Lua closure at `f`, the decoded coroutine on top.
pub(crate) unsafe fn join_open_upvalue(
    L: *mut lua_State,
    f: c_int,
    n: c_int,
    slot: c_int,
    index: u32,
) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        let co = lua_tothread(L, -1);
        if co.is_null() || lp_co_join_open_upvalue(L, f, n, co, slot) != 0 {
            return Err(
                FunctionSerializationError::InvalidSharedUpvalue { index, known: 0 }.into(),
            );
        }
        Ok(())
    }
}
