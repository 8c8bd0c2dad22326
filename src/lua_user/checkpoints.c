/* The checkpoints of the limits: what runs when a thread's fuel is spent (lua_user.h says
   where the ticks are). The decisions (what was used, which limit is exceeded) are Rust's,
   in src/limits.rs; this file does what needs Lua's internals: the fuel in the thread, the
   hook that raises, and raising only where Lua can take an error. */
#define LUA_CORE
#include <stdarg.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "lstate.h"

/* src/budget.rs, through its table __lp_limits (lua_user.h): refuel charges `used` units of
   work to L's state and returns the next fuel (> 0), or 0 once a limit is exceeded;
   exceeded returns the exceeded limit's message, or NULL; enforced tells whether any limit
   is set. None raises or allocates in Lua. */
#define lp_limits_refuel(L, used) (__lp_limits.refuel((L), (used)))
#define lp_limits_exceeded(L) (__lp_limits.exceeded(L))
#define lp_limits_enforced(L) (__lp_limits.enforced(L))

/* The work done since the fuel was set (what is left goes below 1 once it is spent). */
static long long fuel_used(lua_State *L) {
  long long used = (long long)LP_FUEL_GIVEN(L) - (long long)LP_FUEL_LEFT(L);
  return used > 0 ? used : 0;
}

static void set_fuel(lua_State *L, int fuel) {
  LP_FUEL_GIVEN(L) = fuel;
  LP_FUEL_LEFT(L) = fuel;
}

/* Charges the work L did since its fuel was set and gives it new fuel: 1 when it may go on,
   0 when a limit is exceeded (its fuel is then 1, so that its next tick comes back). */
static int charge(lua_State *L) {
  int fuel = lp_limits_refuel(L, fuel_used(L));
  set_fuel(L, fuel > 0 ? fuel : 1);
  return fuel > 0;
}

/* Arms the limits' hook on L: it runs before L's next instruction and raises. Hooks are
   allowed again even inside a finalizer or another hook, where Lua turns them off: the
   limit must stop those too (a finalizer's error becomes a warning, and Lua restores the
   flag when that call ends). */
static void arm(lua_State *L) {
  lua_sethook(L, lp_limit_hook, LUA_MASKCOUNT, 1);
  L->allowhook = 1;
}

/* Raises `message`, after the position of the Lua function at `level` (as luaL_error). */
static int raise_limit(lua_State *L, int level, const char *message) {
  luaL_where(L, level);
  lua_pushstring(L, message);
  lua_concat(L, 2);
  return lua_error(L);
}

void lp_limit_hook(lua_State *L, lua_Debug *ar) {
  const char *message = lp_limits_exceeded(L);
  (void)ar;
  if (message == NULL) { /* the host started a new chunk: counting resumes */
    lua_sethook(L, NULL, 0, 0);
    return;
  }
  lua_sethook(L, lp_limit_hook, LUA_MASKCOUNT, 1); /* and again at the next instruction */
  raise_limit(L, 0, message); /* a hook has no call level: 0 is the hooked function */
}

void lp_vm_checkpoint(lua_State *L) {
  if (charge(L))
    return;
  arm(L); /* again, also when armed: inside a message handler hooks are off again */
}

/* ldo.c's lua_unlock. Only one of its call sites may raise: just before it calls a C
   function (precallC), where the new call is a plain C call (CIST_C alone) of a running
   thread. There, once a limit is exceeded, it arms the hook and raises; with the hook armed
   it lets C functions run (a message handler's traceback, say) and leaves the raising to the
   hook, at the next instruction. Its other sites only keep the fuel at 1. */
void lp_c_call_checkpoint(lua_State *L) {
  const char *message;
  if (charge(L))
    return;
  message = lp_limits_exceeded(L);
  if (message != NULL && L->hook != lp_limit_hook && L->status == LUA_OK &&
      L->ci != &L->base_ci && L->ci->callstatus == CIST_C) {
    arm(L);
    raise_limit(L, 2, message);
  }
}

/* lstrlib.c's ticks: 1 turns the tested condition true, so that lstrlib raises. */
int lp_strlib_checkpoint(lua_State *L) {
  return !charge(L);
}

/* src/ffi/noreturn.c: luaL_error's body on a va_list. */
void lp_luaL_verror(lua_State *L, const char *fmt, va_list argp);

/* lstrlib.c's luaL_error: the exceeded limit's message when there is one, else luaL_error's. */
int lp_strlib_error(lua_State *L, const char *fmt, ...) {
  va_list argp;
  const char *message = lp_limits_exceeded(L);
  if (message != NULL)
    return raise_limit(L, 1, message);
  va_start(argp, fmt);
  lp_luaL_verror(L, fmt, argp); /* does not return */
  va_end(argp);
  return 0;
}

/* luaD_throw, before every error's jump: see lua_user.h. */
void lp_throw_checkpoint(lua_State *L) {
  if (L->hook != lp_limit_hook && lp_limits_exceeded(L) != NULL) {
    arm(L);
    if (G(L)->mainthread != L && G(L)->mainthread->hook != lp_limit_hook)
      arm(G(L)->mainthread);
  }
}

/* lua_resume, before a coroutine runs: it raises at once when its state has exceeded a
   limit (its own hook may be from before), and a hook left from an earlier chunk goes. */
void lp_resume_checkpoint(lua_State *L) {
  if (lp_limits_exceeded(L) != NULL)
    arm(L);
  else if (L->hook == lp_limit_hook)
    lua_sethook(L, NULL, 0, 0);
}

/* debug.sethook (ldblib.c): see lua_user.h. */
void lp_debug_sethook(lua_State *L, lua_State *target, lua_Hook f, int mask, int count) {
  const char *message = lp_limits_exceeded(L);
  if (message != NULL && (target->hook == lp_limit_hook || L->hook == lp_limit_hook))
    raise_limit(L, 1, message);
  lua_sethook(target, f, mask, count);
}

/* The fuel L has used since it was last charged (for a usage report between checkpoints). */
long long lp_limits_pending(lua_State *L) {
  return fuel_used(L);
}

/* Prepares L and its main thread for a new chunk (or new limits): the hook from an exceeded
   limit goes, and the next tick is a checkpoint. */
void lp_limits_rearm(lua_State *L) {
  lua_State *threads[2];
  int i;
  threads[0] = L;
  threads[1] = G(L)->mainthread;
  for (i = 0; i < 2; i++) {
    lua_State *T = threads[i];
    if (T->hook == lp_limit_hook)
      lua_sethook(T, NULL, 0, 0);
    set_fuel(T, 0);
  }
}
