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

#if defined(__wasm__) && defined(LP_HOST_FILES)
#include <stdio.h>
void __lp_host_release_output(void); /* wasm/libc/host_files.c */

/* The runner's module holds stdout and stderr until its call returns. A script reading
   stdin from the host may wait for an answer to a prompt it wrote: the output held so far
   leaves first, after an output point, as it would leave any other way. */
void lp_before_read(lua_State *L, FILE *f) {
  if (f != stdin) return;
  lp_output_point(L);
  __lp_host_release_output();
}
#endif
