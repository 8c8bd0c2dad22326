/* What this build changes in Lua's standard libraries, through linit.c's luaopen_*
   (lua_user.h renames them): string.rep answers an empty repetition at once, and natively
   and in the runner's module os.exit is an output point (output_gate.c). Each original is one C function for every
   state, kept in a static. */
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

/* Replaces the function `name` of the library table on top with `by`; returns the original. */
static lua_CFunction replace_function(lua_State *L, const char *name, lua_CFunction by) {
  lua_CFunction original;
  lua_getfield(L, -1, name);
  original = lua_tocfunction(L, -1);
  lua_pop(L, 1);
  lua_pushcfunction(L, by);
  lua_setfield(L, -2, name);
  return original;
}

static lua_CFunction lua_string_rep;

/* string.rep of an empty string and separator: "" at once. Lua's own loops n times (up to
   2^63) over nothing, allocating nothing and running no instruction: no limit would see it. */
static int string_rep(lua_State *L) {
  size_t len, sep_len;
  lua_Integer n;
  luaL_checklstring(L, 1, &len);
  n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &sep_len);
  if (n > 0 && len == 0 && sep_len == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  return lua_string_rep(L);
}

int lp_luaopen_string(lua_State *L) {
  luaopen_string(L);
  lua_string_rep = replace_function(L, "rep", string_rep);
  return 1;
}

#if !defined(__wasm__) || defined(LP_HOST_FILES)
static lua_CFunction lua_os_exit;

/* os.exit: the output point, then Lua's os.exit (which may close the state, and exits). As
   a wrapper, not a macro around exit in loslib.c: after os.exit(code, true) closes the
   state, nothing may touch it. */
static int os_exit(lua_State *L) {
  lp_output_point(L);
  return lua_os_exit(L);
}

int lp_luaopen_os(lua_State *L) {
  luaopen_os(L);
  lua_os_exit = replace_function(L, "exit", os_exit);
  return 1;
}
#endif
