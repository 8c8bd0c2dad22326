/* Forced-included (-include) into every C file of the wasm32 build.
   lua-persist adapts Lua through this header and -D flags, never by editing lua-src/. */
#ifndef LUA_PERSIST_WASM_H
#define LUA_PERSIST_WASM_H

/* No processes, no dynamic libraries: loadlib.c keeps its "not enabled" fallbacks,
   liolib.c its "'popen' not supported" fallback. Nothing to set for those. */

/* C stack: the wasm shadow stack (1 MiB) and the engine's own call stack are both far
   deeper than Lua's default limit of 200 nested C calls needs, so keep Lua's default. */

#endif
