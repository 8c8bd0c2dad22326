/* Output points (lua_user.h says where): before a script's output leaves, the function the
   host registered as the registry field "lua_persist.output_point" runs (ext_table's commit
   of the pending writes, src/ext_table.rs). If it raises, the output does not happen. */
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

void lp_output_point(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, "lua_persist.output_point") == LUA_TFUNCTION)
    lua_call(L, 0, 0);
  else
    lua_pop(L, 1);
}

/* Lua's os.exit (one C function for every state). */
static lua_CFunction lua_os_exit;

/* os.exit: the output point, then Lua's os.exit (which may close the state and exits). */
static int os_exit(lua_State *L) {
  lp_output_point(L);
  return lua_os_exit(L);
}

/* luaopen_os, as luaL_openlibs calls it natively (linit.c): with os.exit above. */
int lp_luaopen_os(lua_State *L) {
  luaopen_os(L);
  lua_getfield(L, -1, "exit");
  lua_os_exit = lua_tocfunction(L, -1);
  lua_pop(L, 1);
  lua_pushcfunction(L, os_exit);
  lua_setfield(L, -2, "exit");
  return 1;
}
