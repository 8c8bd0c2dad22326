/* Input of bindgen (build.rs, feature buildtime-bindgen): the three public Lua headers. */
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
