//! Helpers shared by the serializer tests: states, running Lua, round trips.
#![allow(non_snake_case, dead_code)]

use std::ffi::CString;

use lua_persist::ffi::*;
use lua_persist::lua;
use lua_persist::serializer::{deserialize_value, serialize_value_to_vec, SerializationError};

/// A state with the standard libraries, closed on drop (the second field owns it; the first
/// is the pointer the tests pass to the C API).
pub struct State(pub *mut lua_State, lua::OwnedState);

impl State {
    pub fn new() -> State {
        let owned = lua::OwnedState::with_libs(usize::MAX).expect("a state");
        State(owned.as_ptr(), owned)
    }

    /// Runs a chunk and leaves its first result on the stack (panics on error).
    pub fn eval(&self, code: &str) {
        let code = CString::new(code).unwrap();
        // SAFETY: a valid state.
        unsafe {
            let status = luaL_loadstring(self.0, code.as_ptr());
            let status = if status == LUA_OK {
                lua_pcall(self.0, 0, 1, 0)
            } else {
                status
            };
            // The end of a chunk is an output point, as in the runners: external-table
            // writes are stored (ext_table::commit).
            if let Err(e) = lua_persist::ext_table::commit(self.0) {
                panic!("{e}\n--- after:\n{}", code.to_string_lossy());
            }
            if status != LUA_OK {
                let msg =
                    String::from_utf8_lossy(lua::tostring(self.0, -1).unwrap_or(b"?")).into_owned();
                panic!("Lua error: {msg}\n--- in:\n{}", code.to_string_lossy());
            }
        }
    }

    /// Runs a chunk for its effects.
    pub fn run(&self, code: &str) {
        self.eval(code);
        self.pop(1);
    }

    pub fn top(&self) -> i32 {
        // SAFETY: a valid state.
        unsafe { lua_gettop(self.0) }
    }

    pub fn pop(&self, n: i32) {
        // SAFETY: a valid state with n values.
        unsafe { lua_pop(self.0, n) }
    }

    /// Pops the top value into global `name`.
    pub fn set_global(&self, name: &str) {
        let name = CString::new(name).unwrap();
        // SAFETY: a valid state with a value on top.
        unsafe { lua_setglobal(self.0, name.as_ptr()) }
    }

    /// Serializes the result of `code` (evaluated here); the stack is unchanged after.
    pub fn serialize(&self, code: &str) -> Result<Vec<u8>, SerializationError> {
        self.eval(code);
        let top = self.top();
        let mut out = Vec::new();
        // SAFETY: a valid state with a value on top.
        let r = unsafe { serialize_value_to_vec(self.0, -1, &mut out) };
        assert_eq!(self.top(), top, "serialize_value changed the stack");
        self.pop(1);
        r.map(|()| out)
    }

    /// Deserializes into global `name`; checks the stack discipline.
    pub fn deserialize(&self, bytes: &[u8], name: &str) -> Result<(), SerializationError> {
        let top = self.top();
        // SAFETY: a valid state.
        let r = unsafe { deserialize_value(self.0, bytes) };
        match &r {
            Ok(()) => {
                assert_eq!(
                    self.top(),
                    top + 1,
                    "deserialize_value must push exactly one value"
                );
                self.set_global(name);
            }
            Err(_) => assert_eq!(
                self.top(),
                top,
                "a failed deserialize_value must push nothing"
            ),
        }
        r
    }
}

/// Serializes `make` in one state, restores it as global `v` in a fresh state, and runs
/// `check` there (Lua code that errors when something is wrong).
pub fn round_trip(make: &str, check: &str) {
    let bytes = State::new().serialize(make).expect("serializes");
    let b = State::new();
    b.deserialize(&bytes, "v").expect("deserializes");
    b.run(check);
}

/// The variant name of an error; for `Function`, the name of the function error.
pub fn variant_name(e: &SerializationError) -> String {
    let debug = match e {
        SerializationError::Function { source, .. } => format!("{source:?}"),
        other => format!("{other:?}"),
    };
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A small deterministic generator (xorshift64*), so that failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Runs `code` as one chunk, called by `call` (which pcalls the function on top with no
/// argument and one result, as `lua_pcall(L, 0, 1, 0)` or `limits::pcall` does): `Ok` with
/// its result as text ("nil" when not a string or number), or `Err` with the error message.
pub fn run_chunk(
    L: *mut lua_State,
    code: &str,
    call: impl FnOnce(*mut lua_State) -> core::ffi::c_int,
) -> Result<String, String> {
    let code = CString::new(code).unwrap();
    // SAFETY: a valid state; the stack is left as it was.
    unsafe {
        let top = lua_gettop(L);
        let mut status = luaL_loadstring(L, code.as_ptr());
        if status == LUA_OK {
            status = call(L);
        }
        let text = lua::tostring(L, -1).map(|t| String::from_utf8_lossy(t).into_owned());
        lua_settop(L, top);
        let text = text.unwrap_or_else(|| "nil".into());
        if status == LUA_OK {
            Ok(text)
        } else {
            Err(text)
        }
    }
}
