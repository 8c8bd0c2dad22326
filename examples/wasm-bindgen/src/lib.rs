//! Lua inside a wasm-bindgen app: `run_lua` runs a chunk and gives its result to JavaScript,
//! `new_counter` and `count` keep a Lua closure (with its upvalue) as bytes that JavaScript
//! holds between calls — the persisted value is the app's whole state.
#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use lua_persist::ffi::*;
use lua_persist::lua::{self, OwnedState};
use lua_persist::serializer::{deserialize_value, serialize_value_to_vec};
use wasm_bindgen::prelude::*;

/// A state with the standard libraries, closed when dropped.
fn new_state() -> Result<OwnedState, JsError> {
    OwnedState::with_libs(32 << 20).ok_or_else(|| JsError::new("no memory for a Lua state"))
}

/// The message of the error on top of the stack.
///
/// # Safety
/// `L` valid, with the error value on top.
unsafe fn error_on_top(L: *mut lua_State) -> JsError {
    // SAFETY: forwarded caller contract; reading a string does not raise.
    let text = unsafe { lua::tostring(L, -1) };
    JsError::new(&String::from_utf8_lossy(
        text.unwrap_or(b"(error object is not a string)"),
    ))
}

/// Runs `code` and returns its first result: a number, a string, a boolean, or null for
/// nil; other values as their type name. A Lua error is thrown as a JavaScript Error.
#[wasm_bindgen]
pub fn run_lua(code: &str) -> Result<JsValue, JsError> {
    let state = new_state()?;
    let L = state.as_ptr();
    // SAFETY: L is a live state; the chunk runs protected (lua_pcall); reading the result
    // raises nothing.
    unsafe {
        if lua::loadbuffer(L, code.as_bytes(), c"=run_lua", None) != LUA_OK
            || lua_pcall(L, 0, 1, 0) != LUA_OK
        {
            return Err(error_on_top(L));
        }
        Ok(match lua_type(L, -1) {
            LUA_TNIL => JsValue::NULL,
            LUA_TBOOLEAN => JsValue::from_bool(lua_toboolean(L, -1) != 0),
            LUA_TNUMBER => JsValue::from_f64(lua_tonumberx(L, -1, core::ptr::null_mut())),
            LUA_TSTRING => JsValue::from_str(&String::from_utf8_lossy(
                lua::tostring(L, -1).unwrap_or_default(),
            )),
            other => JsValue::from_str(&String::from_utf8_lossy(lua::typename(L, other))),
        })
    }
}

/// A counter closure starting at `start`, persisted: `local n = start; return function()
/// n = n + 1 return n end`, as bytes.
#[wasm_bindgen]
pub fn new_counter(start: f64) -> Result<Vec<u8>, JsError> {
    let state = new_state()?;
    let L = state.as_ptr();
    let code = format!("local n = {start} return function() n = n + 1 return n end");
    let mut bytes = Vec::new();
    // SAFETY: L is a live state; the chunk runs protected; serializing raises nothing.
    unsafe {
        if lua::loadbuffer(L, code.as_bytes(), c"=new_counter", None) != LUA_OK
            || lua_pcall(L, 0, 1, 0) != LUA_OK
        {
            return Err(error_on_top(L));
        }
        serialize_value_to_vec(L, -1, &mut bytes).map_err(|e| JsError::new(&e.to_string()))?;
    }
    Ok(bytes)
}

/// What `count` returns: the counter's new value, and the counter persisted after the call.
#[wasm_bindgen]
pub struct Counted {
    value: f64,
    counter: Vec<u8>,
}

#[wasm_bindgen]
impl Counted {
    #[wasm_bindgen(getter)]
    pub fn value(&self) -> f64 {
        self.value
    }
    #[wasm_bindgen(getter)]
    pub fn counter(&self) -> Vec<u8> {
        self.counter.clone()
    }
}

/// Restores a counter from `new_counter` (or an earlier `count`), calls it once in a fresh
/// state, and returns its value and the counter persisted again. Bytes that are not a
/// persisted value are an Error naming what is wrong; no Lua object is made from them
/// before they are checked.
#[wasm_bindgen]
pub fn count(counter: &[u8]) -> Result<Counted, JsError> {
    let state = new_state()?;
    let L = state.as_ptr();
    let mut bytes = Vec::new();
    // SAFETY: L is a live state; the call runs protected; (de)serializing raises nothing.
    unsafe {
        deserialize_value(L, counter).map_err(|e| JsError::new(&e.to_string()))?;
        lua_pushvalue(L, -1);
        if lua_pcall(L, 0, 1, 0) != LUA_OK {
            return Err(error_on_top(L));
        }
        let value = lua_tonumberx(L, -1, core::ptr::null_mut());
        lua_pop(L, 1);
        serialize_value_to_vec(L, -1, &mut bytes).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Counted {
            value,
            counter: bytes,
        })
    }
}
