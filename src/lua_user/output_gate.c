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
int __lp_host_output_held(void); /* wasm/libc/host_files.c */
void __lp_let_out(FILE *f, int flushing);

/* The runner's module holds stdout and stderr until its call returns. A script reading
   stdin from the host may wait for an answer to a prompt it wrote: the output held so far
   leaves first, after an output point, as it would leave any other way. (With nothing
   held, nothing leaves: a loop over stdin that prints nothing stores nothing per line.) */
void lp_before_read(lua_State *L, FILE *f) {
  if (f != stdin || !__lp_host_output_held()) return;
  lp_output_point(L);
  __lp_let_out(stdout, 1);
  __lp_let_out(stderr, 1);
}
#endif
