//! Lua values as the JavaScript host takes them from `lp_eval` (a chunk's results, or its
//! error value): bytes that `wasm/lua-persist.mjs` (`decodeHostValues`) turns into
//! JavaScript values. A copy of the values as they are now, for the host to read once — not a
//! persistence format (FORMAT.md is that): tables are copied whole, a table met again (shared,
//! or a cycle) is a reference to its first copy, and what JavaScript cannot hold (a function,
//! a coroutine, a userdata) is its type.
//!
//! The bytes: u32 LE count, then each value as a tag and its payload:
//!
//! | tag | value | payload |
//! |---|---|---|
//! | 0 | nil | — |
//! | 1, 2 | false, true | — |
//! | 3 | integer | i64 LE |
//! | 4 | float | f64 LE |
//! | 5 | string | u32 LE length, the bytes |
//! | 6 | table | u32 LE number of pairs, then each pair's key and value (raw: no metamethods) |
//! | 7 | a table met before | u32 LE: its number, counting tables from 0 as they are first met |
//! | 8 | function, coroutine, userdata | u8: its Lua type (`LUA_TFUNCTION`, ...) |
//! | 9 | a table nested deeper than [`MAX_DEPTH`] | — |

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::c_int;

use crate::codec::IdentityMap;
use crate::ffi::*;

/// Tables nested deeper than this are not copied (tag 9): the copy recurses in Rust.
pub const MAX_DEPTH: usize = 200;

/// The copy could not grow its buffer.
#[derive(Debug)]
pub struct OutOfMemory;

/// Writes values in the layout above.
pub struct HostValues {
    out: Vec<u8>,
    /// Each table copied so far, by address, to its number.
    tables: IdentityMap,
}

impl HostValues {
    /// Starts a copy of `count` values.
    pub fn new(count: u32) -> Result<HostValues, OutOfMemory> {
        let mut values = HostValues {
            out: Vec::new(),
            tables: IdentityMap::default(),
        };
        values.put(&count.to_le_bytes())?;
        Ok(values)
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), OutOfMemory> {
        self.out.try_reserve(bytes.len()).map_err(|_| OutOfMemory)?;
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    /// Copies the value at `idx`. Reads only (raw table access, no metamethods, no string
    /// conversion), so it never raises.
    ///
    /// # Safety
    /// `L` valid and `idx` a valid index.
    pub unsafe fn value(
        &mut self,
        L: *mut lua_State,
        idx: c_int,
        depth: usize,
    ) -> Result<(), OutOfMemory> {
        // SAFETY: forwarded caller contract; each arm reads the value in place.
        unsafe {
            match lua_type(L, idx) {
                LUA_TNIL | LUA_TNONE => self.put(&[0]),
                LUA_TBOOLEAN => self.put(&[1 + (lua_toboolean(L, idx) != 0) as u8]),
                LUA_TNUMBER if lua_isinteger(L, idx) != 0 => {
                    self.put(&[3])?;
                    self.put(&lua_tointegerx(L, idx, core::ptr::null_mut()).to_le_bytes())
                }
                LUA_TNUMBER => {
                    self.put(&[4])?;
                    self.put(&lua_tonumberx(L, idx, core::ptr::null_mut()).to_le_bytes())
                }
                LUA_TSTRING => {
                    // A string is returned as it is: no conversion, no allocation.
                    let bytes = crate::lua::tostring(L, idx).unwrap_or_default();
                    self.put(&[5])?;
                    self.put(&(bytes.len() as u32).to_le_bytes())?;
                    self.put(bytes)
                }
                LUA_TTABLE => self.table(L, idx, depth),
                other => self.put(&[8, other as u8]),
            }
        }
    }

    /// # Safety
    /// As [`value`](Self::value), for a table.
    unsafe fn table(
        &mut self,
        L: *mut lua_State,
        idx: c_int,
        depth: usize,
    ) -> Result<(), OutOfMemory> {
        // SAFETY: forwarded caller contract; lua_next walks the table raw, and the key and
        // value it pushes are popped before the next step.
        unsafe {
            let address = lua_topointer(L, idx) as usize;
            if let Some(number) = self.tables.get(address) {
                self.put(&[7])?;
                return self.put(&number.to_le_bytes());
            }
            if depth >= MAX_DEPTH || lua_checkstack(L, 3) == 0 {
                return self.put(&[9]);
            }
            self.tables.insert(address).map_err(|_| OutOfMemory)?;
            let table = lua_absindex(L, idx);
            self.put(&[6])?;
            let count_at = self.out.len();
            self.put(&0u32.to_le_bytes())?;
            let mut pairs: u32 = 0;
            lua_pushnil(L);
            while lua_next(L, table) != 0 {
                let copied = self
                    .value(L, -2, depth + 1)
                    .and_then(|()| self.value(L, -1, depth + 1));
                lua_pop(L, 1);
                if copied.is_err() {
                    lua_pop(L, 1);
                    return copied;
                }
                pairs += 1;
            }
            self.out[count_at..count_at + 4].copy_from_slice(&pairs.to_le_bytes());
            Ok(())
        }
    }
}
