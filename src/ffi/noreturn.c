/* lua_error and luaL_error as functions that return nothing (C `void`), so that Rust can
   declare them `-> !`: on wasm32 a function's type includes its result, and declaring the
   `int`-returning originals as returning nothing would link a function that traps. */
#include <stdarg.h>
#include "lua.h"
#include "lauxlib.h"

void lp_lua_error(lua_State *L) {
  lua_error(L);
}

/* luaL_error's own body (lauxlib.c), taking a va_list, since a variadic call cannot be
   forwarded; lstrlib.c's luaL_error (src/lua_user/checkpoints.c) uses it too. */
void lp_luaL_verror(lua_State *L, const char *fmt, va_list argp) {
  luaL_where(L, 1);
  lua_pushvfstring(L, fmt, argp);
  lua_concat(L, 2);
  lua_error(L);
}

void lp_luaL_error(lua_State *L, const char *fmt, ...) {
  va_list argp;
  va_start(argp, fmt);
  lp_luaL_verror(L, fmt, argp);
  va_end(argp);
}
