//! Suspended coroutines as values (FORMAT.md, tag 0x0E state 02): a coroutine stopped at a
//! `coroutine.yield` is written as its stack values, its open upvalues, its frames and its
//! pending to-be-closed variables, and rebuilt in any state, native or wasm, where it
//! resumes exactly where it stopped. The frames are read and rebuilt in C against Lua's
//! internal headers (`src/lua_user/coroutine_frames.c`), always logically: a frame is its
//! kind and, for a Lua frame, the index of its next instruction, never struct bytes.
//!
//! Decoding checks before it builds: every frame against the function it belongs to (its
//! instruction, registers and caller), every upvalue and to-be-closed slot against the
//! frames. Until the last step the new thread is a plain one holding values, so an error
//! anywhere leaves nothing half-made. Hooks are not persisted: a restored coroutine runs
//! under the restoring thread's hooks, as any new coroutine does.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, c_void};

use crate::codec::{Decoder, Encoder, Nesting};
use crate::fallible;
use crate::ffi::coroutine_frames::*;
use crate::ffi::*;
use crate::format::{
    CoroutineProblem, FrameProblem, FunctionSerializationError, ReadBytes, SerializationError,
};

/// The frame kinds of the format (the C file's `LP_FRAME_*`): Lua, the C function that
/// yielded, pcall, xpcall.
const FRAME_LUA: c_int = 0;
const FRAME_KINDS: u8 = 4;

/// The most slots a coroutine's stack holds (Lua's LUAI_MAXSTACK).
const MAX_STACK: u32 = 1_000_000;

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

fn refused(why: &str) -> SerializationError {
    SerializationError::CoroutineNotPersistable {
        why: why.into(),
        path: String::new(),
    }
}

/// Writes the suspended coroutine `co` after its tag: state `02`, then its stack, open
/// upvalues, frames and to-be-closed variables.
///
/// # Safety
/// `co` is a suspended (LUA_YIELD) thread of the encoder's state; `L` has room for the
/// encoder's level.
pub(crate) unsafe fn encode(enc: &mut Encoder, co: *mut lua_State) -> Result<(), SerializationError> {
    let L = enc.L;
    // SAFETY: co is suspended, so its frames and stack stay as they are while we read them;
    // every value pushed on L is popped.
    unsafe {
        crate::c_functions::ensure_c_function_registry(L)?;
        let (pcall, xpcall) = protected_calls(L);
        let n = lp_co_frame_count(co);
        let mut frames: Vec<Frame> = fallible::try_with_capacity(n as usize)?;
        frames.resize(n as usize, Default::default());
        let mut failed = 0;
        let why = match lp_co_read(co, frames.as_mut_ptr(), n, pcall, xpcall, &mut failed) {
            0 => None,
            1 => Some("it yielded inside a hook"),
            2 => Some("it yielded inside a metamethod"),
            3 => Some("it yielded inside a __close metamethod"),
            4 => Some("the C function that yielded has a continuation"),
            5 => Some("it yielded across a C function other than pcall and xpcall"),
            _ => Some("its frames are laid out in a way this version does not know"),
        };
        if let Some(why) = why {
            return Err(refused(why));
        }
        let Some(top_frame) = frames.last() else {
            return Err(refused("it has no frames"));
        };
        // The top frame is the C function that yielded; lua_gettop counts from its base.
        let slots = (top_frame.func + lua_gettop(co)) as u32;

        let open = lp_co_open_upvalues(co, core::ptr::null_mut(), core::ptr::null_mut(), 0);
        let mut open_slots: Vec<c_int> = fallible::try_with_capacity(open as usize)?;
        open_slots.resize(open as usize, 0);
        let mut open_ids: Vec<*mut c_void> = fallible::try_with_capacity(open as usize)?;
        open_ids.resize(open as usize, core::ptr::null_mut());
        lp_co_open_upvalues(co, open_slots.as_mut_ptr(), open_ids.as_mut_ptr(), open);
        let tbc = lp_co_tbc_slots(co, core::ptr::null_mut(), 0);
        let mut tbc_slots: Vec<c_int> = fallible::try_with_capacity(tbc as usize)?;
        tbc_slots.resize(tbc as usize, Default::default());
        lp_co_tbc_slots(co, tbc_slots.as_mut_ptr(), tbc);
        tbc_slots.reverse(); // lowest first

        enc.holds_code = true; // frames are positions in code
        enc.put(&[0x02])?;
        enc.put_u32(slots)?;
        // Open upvalues before the values: the closures among the values refer to them.
        enc.put_u32(open as u32)?;
        for (&slot, &id) in open_slots.iter().zip(&open_ids) {
            enc.put_u32(slot as u32)?;
            match enc.upvalues.get(id as usize) {
                Some(k) => {
                    enc.put(&[0x01])?;
                    enc.put_u32(k)?;
                }
                None => {
                    enc.upvalues.insert(id as usize)?;
                    enc.put(&[0x00])?;
                }
            }
        }
        enc.nested(|enc| {
            for slot in 1..=slots as c_int {
                lp_co_push_slot(L, co, slot);
                let r = enc.value(-1);
                lua_pop(L, 1);
                r.map_err(|e| e.inside(&format!("<coroutine slot {slot}>")))?;
            }
            Ok(())
        })?;
        enc.put_u32(n as u32)?;
        for frame in &frames {
            enc.put(&[frame.kind as u8])?;
            if frame.kind == FRAME_LUA {
                enc.put_u32(frame.pc as u32)?;
                enc.put_u32(frame.extra as u32)?;
                enc.put(&[frame.tail as u8])?;
            }
        }
        enc.put_u32(tbc as u32)?;
        for &slot in &tbc_slots {
            enc.put_u32(slot as u32)?;
        }
        Ok(())
    }
}

/// Reads a suspended coroutine (after its tag and state byte) into the new thread `co`,
/// which is on top of L with object index `object`. On error `co` is left a plain thread.
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
    let invalid = |problem| SerializationError::InvalidCoroutine { offset, problem };
    // SAFETY: inside the protected call; co stays on top of L (index co_idx) throughout, and
    // every other push is popped. Nothing is asked of co that raises an error on it.
    unsafe {
        let co_idx = lua_gettop(L);
        let slots = dec.take_u32()?;
        at_least(dec, slots)?;
        if slots > MAX_STACK || lua_checkstack(co, slots as c_int) == 0 {
            return Err(invalid(CoroutineProblem::StackTooLarge { slots }));
        }
        let slot_error = |slot| invalid(CoroutineProblem::SlotOutOfRange { slot, slots });

        let open = dec.take_u32()?;
        if open > slots {
            return Err(slot_error(open));
        }
        let mut open_slots: Vec<u32> = fallible::try_with_capacity(open as usize)?;
        let mut tail: *mut c_void = core::ptr::null_mut();
        for _ in 0..open {
            let slot = dec.take_u32()?;
            // Lua's order: highest first.
            if slot == 0 || slot > slots || open_slots.last().is_some_and(|&s| s <= slot) {
                return Err(slot_error(slot));
            }
            open_slots.push(slot);
            match dec.take_u8()? {
                0x00 => {
                    lp_co_open_upvalue(L, co, slot as c_int, 0, 0, &mut tail);
                    // An open upvalue: the coroutine's object and minus its slot.
                    dec.upvalues.push((object, -(slot as c_int)))?;
                }
                0x01 => {
                    let at = dec.pos;
                    let k = dec.take_u32()?;
                    let Some((owner, n)) = dec.upvalues.get(k as usize) else {
                        return Err(FunctionSerializationError::InvalidSharedUpvalue {
                            index: k,
                            known: dec.upvalues.len(),
                        }
                        .into());
                    };
                    if n < 0 {
                        return Err(invalid(CoroutineProblem::UpvalueAlreadyOpen { upvalue: k }));
                    }
                    dec.push_object(owner, at)?;
                    let r = lp_co_open_upvalue(L, co, slot as c_int, lua_gettop(L), n, &mut tail);
                    lua_pop(L, 1);
                    if r != 0 {
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

        let n = dec.take_u32()?;
        at_least(dec, n)?;
        if n == 0 {
            return Err(invalid(CoroutineProblem::NoFrames));
        }
        if n > slots {
            return Err(invalid(CoroutineProblem::TooManyFrames { frames: n, slots }));
        }
        let mut frames: Vec<Frame> = fallible::try_with_capacity(n as usize)?;
        for frame in 0..n {
            let kind = dec.take_u8()?;
            if kind >= FRAME_KINDS {
                return Err(invalid(CoroutineProblem::UnknownFrameKind { frame, kind }));
            }
            let mut f = Frame {
                kind: kind as c_int,
                ..Frame::default()
            };
            if f.kind == FRAME_LUA {
                // Past i32::MAX, a value is outside any function and stack: -1 says so.
                f.pc = c_int::try_from(dec.take_u32()?).unwrap_or(-1);
                f.extra = c_int::try_from(dec.take_u32()?).unwrap_or(-1);
                f.tail = dec.take_u8()? as c_int;
            }
            frames.push(f);
        }
        let tbc = dec.take_u32()?;
        if tbc > slots {
            return Err(slot_error(tbc));
        }
        let mut tbc_slots: Vec<c_int> = fallible::try_with_capacity(tbc as usize)?;
        for _ in 0..tbc {
            let slot = dec.take_u32()?;
            if slot == 0 || slot > slots || tbc_slots.last().is_some_and(|&s| s as u32 >= slot) {
                return Err(slot_error(slot));
            }
            tbc_slots.push(slot as c_int);
        }

        // Every frame against its function and its caller.
        lua_pushvalue(L, co_idx); // keeps protected_calls' walk off co's slot
        let (pcall, xpcall) = protected_calls(L);
        lua_pop(L, 1);
        let (mut max_top, mut failed, mut detail) = (0, 0, 0);
        let code = lp_co_layout(
            co,
            slots as c_int + 1,
            frames.as_mut_ptr(),
            n as c_int,
            pcall,
            xpcall,
            &mut max_top,
            &mut failed,
            &mut detail,
        );
        if code != 0 {
            let frame = failed as u32;
            let pc = frames.get(failed as usize).map_or(0, |f| f.pc as u32);
            let problem = match code {
                1 => return Err(invalid(CoroutineProblem::NoFrames)),
                2 => FrameProblem::OutsideStack,
                3 => FrameProblem::NotLuaFunction,
                4 => FrameProblem::VarargMismatch,
                5 => FrameProblem::PcOutsideCode {
                    pc,
                    instructions: detail as u32,
                },
                6 => FrameProblem::NotAtCall {
                    opcode: detail as u32,
                },
                7 => FrameProblem::CalleeOutside,
                8 => FrameProblem::LuaOnTop,
                9 => FrameProblem::YieldedNotOnTop,
                10 => FrameProblem::NotCFunction,
                11 => FrameProblem::NotPcall,
                12 => FrameProblem::PcallOnTop,
                13 => {
                    return Err(invalid(CoroutineProblem::UnknownFrameKind {
                        frame,
                        kind: frames[failed as usize].kind as u8,
                    }))
                }
                14 => FrameProblem::TooLarge,
                15 => FrameProblem::TailCallToLua,
                _ => FrameProblem::UnknownFlags,
            };
            return Err(invalid(CoroutineProblem::Frame { frame, problem }));
        }

        // Upvalues and to-be-closed variables live in Lua frames' registers.
        let regions = lua_registers(&frames)?;
        for &slot in &open_slots {
            if !inside(&regions, slot as c_int) {
                return Err(invalid(CoroutineProblem::SlotOutsideLuaFrame {
                    slot,
                    what: "open upvalue",
                }));
            }
        }
        for &slot in &tbc_slots {
            if !inside(&regions, slot) {
                return Err(invalid(CoroutineProblem::SlotOutsideLuaFrame {
                    slot: slot as u32,
                    what: "to-be-closed variable",
                }));
            }
            if lp_co_closable(co, slot) == 0 {
                return Err(invalid(CoroutineProblem::NotClosable { slot: slot as u32 }));
            }
        }

        if lp_co_build(
            co,
            frames.as_ptr(),
            n as c_int,
            max_top,
            tbc_slots.as_ptr(),
            tbc as c_int,
        ) != 0
        {
            return Err(SerializationError::Lua("not enough memory".into()));
        }
        Ok(())
    }
}

/// Each of `count` items takes at least a byte: a lying count fails before anything is
/// allocated for it.
fn at_least(dec: &mut Decoder, count: u32) -> Result<(), SerializationError> {
    let remaining = dec.remaining();
    if count as usize > remaining {
        return Err(SerializationError::Truncated {
            offset: dec.pos,
            needed: count as usize - remaining,
        });
    }
    Ok(())
}

/// The union of the Lua frames' registers, as disjoint ascending [start, end) ranges. The
/// frames' bases ascend (each is called from the one below it).
fn lua_registers(frames: &[Frame]) -> Result<Vec<(c_int, c_int)>, SerializationError> {
    let mut regions: Vec<(c_int, c_int)> = Vec::new();
    for f in frames.iter().filter(|f| f.kind == FRAME_LUA) {
        match regions.last_mut() {
            Some(last) if f.base <= last.1 => last.1 = last.1.max(f.top),
            _ => fallible::try_push(&mut regions, (f.base, f.top))?,
        }
    }
    Ok(regions)
}

fn inside(regions: &[(c_int, c_int)], slot: c_int) -> bool {
    let i = regions.partition_point(|r| r.1 <= slot);
    regions.get(i).is_some_and(|r| r.0 <= slot)
}

/// Sets upvalue `n` of the closure at `f` to the open upvalue at `slot` of the coroutine
/// on top of the stack (a `01` reference to an upvalue a coroutine declared).
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
            return Err(FunctionSerializationError::InvalidSharedUpvalue {
                index,
                known: 0,
            }
            .into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_merge_and_contain() {
        let lua = |base, top| Frame {
            kind: FRAME_LUA,
            base,
            top,
            ..Frame::default()
        };
        let pcall = Frame {
            kind: 2,
            base: 9,
            top: 30,
            ..Frame::default()
        };
        let frames = [lua(2, 8), lua(5, 10), pcall, lua(12, 14), lua(20, 22)];
        let regions = lua_registers(&frames).unwrap();
        assert_eq!(regions, vec![(2, 10), (12, 14), (20, 22)]);
        assert!(inside(&regions, 2) && inside(&regions, 9) && inside(&regions, 13));
        assert!(!inside(&regions, 1) && !inside(&regions, 10) && !inside(&regions, 14));
        assert!(!inside(&regions, 22) && !inside(&regions, 100));
    }
}
