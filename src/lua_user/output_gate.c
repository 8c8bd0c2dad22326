/* Output points (lua_user.h says where): before a script's output leaves, the function the
   host registered as the registry field "lua_persist.output_point" runs (ext_table's commit
   of the pending writes, src/ext_table.rs). If it raises, the output does not happen. */
#include "lua.h"
#include "lauxlib.h"

void lp_output_point(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, "lua_persist.output_point") == LUA_TFUNCTION)
    lua_call(L, 0, 0);
  else
    lua_pop(L, 1);
}
