/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). Lua needs only the type. */
#ifndef _LP_SIGNAL_H
#define _LP_SIGNAL_H
typedef int sig_atomic_t;
#endif
