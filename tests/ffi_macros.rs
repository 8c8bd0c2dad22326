//! Lua's C macros, mirrored as inline functions in `lua_persist::ffi`, behave as in C.
#![allow(non_snake_case)]

use core::ffi::c_int;
use core::ptr;
use lua_persist::ffi::*;
use lua_persist::lua;

struct Fixture(*mut lua_State);
impl Drop for Fixture {
    fn drop(&mut self) {
        // SAFETY: the state came from luaL_newstate and is not used again.
        unsafe { lua_close(self.0) }
    }
}

fn state() -> Fixture {
    // SAFETY: luaL_newstate returns a fresh state (or null, checked).
    let L = unsafe { luaL_newstate() };
    assert!(!L.is_null());
    // SAFETY: a fresh state.
    unsafe { luaL_openlibs(L) };
    Fixture(L)
}

unsafe extern "C-unwind" fn add_upvalue(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with one integer argument and one upvalue.
    unsafe {
        let n = luaL_checkinteger(L, 1) + lua_tointeger(L, lua_upvalueindex(1));
        lua_pushinteger(L, n);
    }
    1
}

unsafe extern "C-unwind" fn raise(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; luaL_error never returns.
    unsafe { luaL_error(L, c"raised %d".as_ptr(), 42 as c_int) }
}

#[test]
fn stack_macros() {
    let s = state();
    let L = s.0;
    // SAFETY: a valid state; every push stays within LUA_MINSTACK.
    unsafe {
        lua_pushinteger(L, 1);
        lua_pushinteger(L, 2);
        lua_pushinteger(L, 3);
        lua_insert(L, 1); // 3 1 2
        assert_eq!(lua_tointeger(L, 1), 3);
        lua_remove(L, 2); // 3 2
        assert_eq!((lua_gettop(L), lua_tointeger(L, 2)), (2, 2));
        lua_pushnumber(L, 9.5);
        lua_replace(L, 1); // 9.5 2
        assert_eq!(lua_tonumber(L, 1), 9.5);
        lua_pop(L, 2);
        assert_eq!(lua_gettop(L), 0);
        lua_newtable(L);
        assert_eq!(lua_istable(L, -1), 1);
        assert_eq!(lua_isnil(L, -1), 0);
        assert_eq!(lua_isnone(L, 5), 1);
        assert_eq!(lua_isnoneornil(L, 5), 1);
        lua_pushliteral(L, b"a\0b");
        assert_eq!(lua::tostring(L, -1), Some(&b"a\0b"[..]));
        assert!(!lua_tostring(L, -1).is_null());
        lua_pushglobaltable(L);
        assert_eq!(lua_istable(L, -1), 1);
        lua_settop(L, 0);
    }
}

#[test]
fn calls_closures_and_errors() {
    let s = state();
    let L = s.0;
    // SAFETY: a valid state; errors are raised only inside lua_pcall.
    unsafe {
        lua_pushinteger(L, 100);
        lua_pushcclosure(L, Some(add_upvalue), 1);
        lua_pushinteger(L, 5);
        lua_call(L, 1, 1);
        assert_eq!(lua_tointeger(L, -1), 105);
        lua_pop(L, 1);

        lua_register(L, c"raise".as_ptr(), Some(raise));
        lua_getglobal(L, c"raise".as_ptr());
        assert_eq!(lua_isfunction(L, -1), 1);
        assert_eq!(lua_pcall(L, 0, 0, 0), LUA_ERRRUN);
        assert_eq!(lua::tostring(L, -1), Some(&b"raised 42"[..]));
        lua_pop(L, 1);

        assert_eq!(luaL_dostring(L, c"return 6 * 7".as_ptr()), LUA_OK);
        assert_eq!(lua_tointeger(L, -1), 42);
        lua_pop(L, 1);
        let chunk = b"return ...";
        assert_eq!(
            luaL_loadbuffer(L, chunk.as_ptr().cast(), chunk.len(), c"=buf".as_ptr()),
            LUA_OK
        );
        lua_pushboolean(L, 1);
        assert_eq!(lua_pcall(L, 1, 1, 0), LUA_OK);
        assert_eq!(lua_isboolean(L, -1), 1);
        lua_pop(L, 1);
        assert_eq!(luaL_dostring(L, c"error('x', 0)".as_ptr()), LUA_ERRRUN);
        assert_eq!(lua::tostring(L, -1), Some(&b"x"[..]));
        lua_pop(L, 1);
    }
}

#[test]
fn auxiliary_macros() {
    let s = state();
    let L = s.0;
    // SAFETY: a valid state; the buffer is used with a balanced stack.
    unsafe {
        luaL_checkversion(L);
        assert_eq!(luaL_newmetatable(L, c"Point".as_ptr()), 1);
        lua_pop(L, 1);
        assert_eq!(luaL_getmetatable(L, c"Point".as_ptr()), LUA_TTABLE);
        lua_pop(L, 1);
        lua_pushinteger(L, 1);
        assert_eq!(core::ffi::CStr::from_ptr(luaL_typename(L, -1)), c"number");
        lua_pop(L, 1);

        let mut b = core::mem::MaybeUninit::<luaL_Buffer>::uninit();
        let b = b.as_mut_ptr();
        luaL_buffinit(L, b);
        luaL_addchar(b, b'a' as _);
        luaL_addlstring(b, c"bc".as_ptr(), 2);
        let p = luaL_prepbuffer(b);
        ptr::copy_nonoverlapping(c"de".as_ptr(), p, 2);
        luaL_addsize(b, 2);
        luaL_buffsub(b, 1);
        assert_eq!(luaL_bufflen(b), 4);
        luaL_pushresult(b);
        assert_eq!(lua::tostring(L, -1), Some(&b"abcd"[..]));
        lua_pop(L, 1);

        let ud = lua_newuserdata(L, 16);
        assert!(!ud.is_null());
        lua_pushinteger(L, 7);
        assert_eq!(lua_setuservalue(L, -2), 1);
        assert_eq!(lua_getuservalue(L, -1), LUA_TNUMBER);
        lua_pop(L, 2);
        assert!(!lua_getextraspace(L).is_null());
        assert_eq!(LUAL_BUFFERSIZE, 16 * core::mem::size_of::<*mut u8>() * 8);
    }
}
