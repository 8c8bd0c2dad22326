//! A downstream crate of lua-persist: Lua through the raw FFI, nothing of lua-persist's
//! wasm module. Its one export, [`downstream_run`], runs one of [`CHUNKS`] in a fresh state
//! with `luaL_dostring` and returns the chunk's integer result.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::CStr;
use lua_persist::ffi::*;

/// The chunks, by number, and what each returns when all is well.
pub const CHUNKS: &[(&CStr, i32)] = &[
    // 0: an integer result.
    (c"return 6 * 7", 42),
    // 1: Lua errors caught by pcall inside the chunk (setjmp/longjmp, on wasm exception
    // handling): a runtime error, error() with a table, and one raised by a C function.
    (
        c"local ok, e = pcall(function() local t = nil; return t.x end)
          assert(not ok and e:find('attempt to index a nil value', 1, true), e)
          local ok2, e2 = pcall(error, { code = 7 })
          assert(not ok2 and e2.code == 7)
          local ok3, e3 = pcall(string.rep)
          assert(not ok3 and e3:find('bad argument #1 to', 1, true), e3)
          return 7",
        7,
    ),
    // 2: an error the chunk does not catch: luaL_dostring reports it ([`ERROR`]).
    (c"error('not caught')", ERROR),
    // 3: numbers through the libc (strtod, printf's floating-point conversions).
    (
        c"assert(tostring(0.1) == '0.1' and tostring(1e100) == '1e+100', tostring(0.1))
          assert(tonumber('0x1p4') == 16.0 and tonumber('  1e3 ') == 1000)
          assert(string.format('%.3f|%5.1e|%g', 2/3, 12345.678, 1/3) == '0.667|1.2e+04|0.333333')
          return math.tointeger(2^10)",
        1024,
    ),
    // 4: the clock. Without a host (wasm, no feature `wasm-module`) it reads 0: os.time()
    // is the epoch and os.clock() stays 0; natively both are real: 2.
    (
        c"if os.time() == 0 and os.clock() == 0 then return 1 end
          assert(os.time() > 1.7e9 and os.date('!%Y', 0) == '1970')
          return 2",
        if cfg!(target_arch = "wasm32") { 1 } else { 2 },
    ),
    // 5: 16 MiB in one string: memory grows as needed (more than the initial memory).
    (c"local s = string.rep('x', 16 << 20) return #s >> 20", 16),
    // 6: print: on wasm the C library captures stdout in memory (ffi::wasm_libc), which
    // downstream_run checks and clears.
    (c"print('hello', 1.5) return 6", 6),
];

/// What [`downstream_run`] returns when the chunk raised an error it did not catch.
pub const ERROR: i32 = -1;

/// Runs chunk `case` of [`CHUNKS`] in a new state: its integer result, [`ERROR`] when it
/// raised an error, -2 for a result that is not an integer (or stdout that is not what
/// chunk 6 printed), -3 for an unknown case, -4 when no state could be made.
#[no_mangle]
pub extern "C" fn downstream_run(case: i32) -> i32 {
    let Some(&(chunk, _)) = usize::try_from(case).ok().and_then(|i| CHUNKS.get(i)) else {
        return -3;
    };
    // SAFETY: a fresh state, used and closed here; the chunk is NUL-terminated.
    unsafe {
        let L = luaL_newstate();
        if L.is_null() {
            return -4;
        }
        luaL_openlibs(L);
        let result = if luaL_dostring(L, chunk.as_ptr()) != LUA_OK {
            ERROR
        } else {
            let mut isnum = 0;
            let n = lua_tointegerx(L, -1, &mut isnum);
            match i32::try_from(n) {
                Ok(n) if isnum != 0 => n,
                _ => -2,
            }
        };
        lua_close(L);
        if case == 6 && !printed("hello\t1.5\n") {
            return -2;
        }
        result
    }
}

/// Whether stdout holds exactly `expected` (wasm: the captured output, which is cleared).
/// Natively it went to the process's stdout.
fn printed(expected: &str) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use lua_persist::ffi::wasm_libc::{__lp_output_clear, __lp_output_data};
        let mut len = 0;
        // SAFETY: stream 1 is stdout; the bytes stay valid until the clear below.
        let same = unsafe {
            let data = __lp_output_data(1, &mut len);
            len == expected.len()
                && (len == 0 || core::slice::from_raw_parts(data, len) == expected.as_bytes())
        };
        // SAFETY: nothing holds the captured bytes any more.
        unsafe { __lp_output_clear(1) };
        same
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = expected;
        lua_persist::ffi::c_stdout_flush();
        true
    }
}
