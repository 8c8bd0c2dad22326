/* LUA_USER_H of lua-persist: lua.h includes this header (after luaconf.h) in every Lua file,
   so it adapts Lua per file without editing lua-src/. Each Lua file names itself
   (`#define lvm_c`, ...) before it includes lua.h, which is what the sections below test.

   What it adds: output points (below), and the checkpoints of the limits (src/limits.rs,
   "Running untrusted code" in the README): work that Lua does in a thread is counted on the thread's fuel, and when the
   fuel runs out, checkpoints.c asks the state's budget whether to go on. The fuel lives in
   the thread's extra space, after the pointer-sized part that lua_getextraspace gives users,
   so a tick is one decrement in memory next to the thread, and it has nothing to do with
   hooks. (Lua's own count hook would cost more than the whole budget: with any count hook
   set, the interpreter calls into ldebug.c before every instruction.) */
#ifndef LUA_PERSIST_USER_H
#define LUA_PERSIST_USER_H

/* The Rust side of the checkpoints (src/budget.rs): a table, because Rust functions with C
   names would all be exports of the wasm module. */
struct lp_limits_runtime {
  int (*refuel)(lua_State *L, long long used);
  const char *(*exceeded)(lua_State *L);
  int (*enforced)(lua_State *L);
};
extern const struct lp_limits_runtime __lp_limits;

/* Called when a thread's fuel is spent; see checkpoints.c. */
void lp_vm_checkpoint(lua_State *L);
void lp_c_call_checkpoint(lua_State *L);
int lp_strlib_checkpoint(lua_State *L);
void lp_resume_checkpoint(lua_State *L);
int lp_strlib_error(lua_State *L, const char *fmt, ...);
int lp_luaopen_string(lua_State *L);

/* The limits' hook: raises the exceeded limit's message (checkpoints.c). */
void lp_limit_hook(lua_State *L, struct lua_Debug *ar);

/* A thread's extra space: the user's pointer-sized part, then the fuel it was given and the
   fuel left (two ints, just before the thread). */
#undef LUA_EXTRASPACE
#define LUA_EXTRASPACE (sizeof(void *) + 2 * sizeof(int))
#define LP_FUEL_GIVEN(T) (((int *)(void *)(T))[-2])
#define LP_FUEL_LEFT(T) (((int *)(void *)(T))[-1])

/* One unit of work on thread T (a `lua_State *`): true when its fuel is spent. */
#define LP_TICK(T) (--LP_FUEL_LEFT(T) <= 0)

#if defined(lvm_c)
/* The interpreter: 'l_unlikely' is evaluated for every instruction it fetches (vmfetch's
   "trap" test) and on its slow paths, always with the thread as L. The tick does not change
   the tested value. A spent fuel may set the limits' hook on the thread, which raises at the
   next instruction. */
#undef luai_unlikely
#define luai_unlikely(x) \
  (__builtin_expect((LP_TICK(L) ? lp_vm_checkpoint(L) : (void)0, (x) != 0), 0))
#endif

#if defined(ldo_c)
/* ldo.c leaves the core ('lua_unlock') just before it calls every C function, including
   metamethods that C functions call in loops (table.insert over __index/__newindex, ...),
   which run no instruction. The checkpoint raises there when a limit was exceeded; it
   tells that call site from ldo.c's other 'lua_unlock's by the state of the thread. */
#define lua_lock(L) ((void)0)
#define lua_unlock(L) (LP_TICK(L) ? lp_c_call_checkpoint(L) : (void)0)
/* A resumed coroutine takes the limits' hook when its state has exceeded a limit. */
#define luai_userstateresume(L, n) lp_resume_checkpoint(L)
/* Every error is thrown here. When a limit is exceeded (the allocator refused memory, say),
   the thread takes the hook before the jump, so that whoever catches the error raises again
   at its next instruction. The jumps themselves are ldo.c's own for C. */
void lp_throw_checkpoint(lua_State *L);
#if defined(LUA_USE_POSIX)
#define LUAI_THROW(L, c) (lp_throw_checkpoint(L), _longjmp((c)->b, 1))
#define LUAI_TRY(L, c, a) if (_setjmp((c)->b) == 0) { a }
#else
#define LUAI_THROW(L, c) (lp_throw_checkpoint(L), longjmp((c)->b, 1))
#define LUAI_TRY(L, c, a) if (setjmp((c)->b) == 0) { a }
#endif
#define luai_jmpbuf jmp_buf
#endif

#if defined(lstrlib_c)
/* Pattern matching does its work in C without calling anything: every 'l_unlikely' of
   lstrlib.c (each backtracking step of 'match' has one) ticks the thread, and when a limit
   is exceeded the tested condition becomes true. Every such condition in lstrlib.c guards
   an error, raised by luaL_error, which then raises the limit's message instead.
   The thread is 'ms->L' in the matcher's functions and 'L' in the others: these two
   file-scope null pointers let one macro name both, each shadowed where it is real.
   Functions that have neither (string.pack's option parser) are not ticked. */
static const struct { const char *src_init, *src_end, *p_end; lua_State *L; } *const ms = 0;
static lua_State *const L = 0;
#define LP_STRLIB_THREAD ((ms) != 0 ? (ms)->L : (L))
/* Inline in the wasm module too: as a call it cost pattern matching a tenth of its time,
   for 351 bytes saved (README, Benchmarks). */
#define LP_STRLIB_TICK(T) (LP_TICK(T) && lp_strlib_checkpoint(T))
#undef luai_unlikely
#define luai_unlikely(x)                                                           \
  (__builtin_expect(((x) != 0) ||                                                  \
                        (LP_STRLIB_THREAD != 0 && LP_STRLIB_TICK(LP_STRLIB_THREAD)), \
                    0))
#define luaL_error(L, ...) lp_strlib_error(L, __VA_ARGS__)
#endif

#if defined(ldblib_c)
/* debug.sethook: a thread whose state exceeded a limit keeps the limits' hook (the script
   would take it away before it raises); it raises instead. Other hooks are the script's. */
void lp_debug_sethook(lua_State *L, lua_State *target,
                      void (*f)(lua_State *, struct lua_Debug *), int mask, int count);
#define lua_sethook(T, f, mask, count) lp_debug_sethook(L, T, f, mask, count)
#endif

/* Output points (output_gate.c): before anything a script makes visible leaves — print,
   io.write and a file's write, flush or close, io.popen, os.execute, os.remove, os.rename,
   os.exit — the host commits what the script wrote before it (ext_table's pending writes),
   so that no output is ahead of the storage. Each macro runs in a function where L is the
   running thread. */
void lp_output_point(lua_State *L);

/* In cu's wasm module a script's output leaves only when the host's call returns, after the
   call's writes are stored (the host holds them; see docs/cu-interface.md), so it needs no
   output points of its own. The runner's module (LP_HOST_FILES) lets output out during a
   call, as a process does: the host's files, and stdout and stderr as they fill (or line by
   line on a terminal); there the same calls as natively are output points, and right after
   a write to stdout or stderr the module lets out what is due (host_files.c, __lp_let_out). */
#if !defined(__wasm__) || defined(LP_HOST_FILES)

#if defined(lbaselib_c) || defined(liolib_c) || defined(loslib_c)
/* Their declarations first, so that the macros below change only the calls. */
#include <stdio.h>
#include <stdlib.h>
#if defined(__wasm__)
int __lp_leaves_module(FILE *f); /* wasm/libc/host_files.c */
void __lp_let_out(FILE *f, int flushing);
#define lp_output_point_for(L, f) (__lp_leaves_module(f) ? lp_output_point(L) : (void)0)
static inline size_t lp_let_out_size(size_t result, FILE *f, int flushing) {
  __lp_let_out(f, flushing);
  return result;
}
static inline int lp_let_out_int(int result, FILE *f, int flushing) {
  __lp_let_out(f, flushing);
  return result;
}
#else
#define lp_output_point_for(L, f) lp_output_point(L)
#define lp_let_out_size(result, f, flushing) (result)
#define lp_let_out_int(result, f, flushing) (result)
#endif
#endif

#if defined(lbaselib_c)
#define lua_writestring(s, l) \
  (lp_output_point(L), lp_let_out_size(fwrite((s), sizeof(char), (l), stdout), stdout, 0))
#endif

#if defined(liolib_c) && defined(__wasm__)
/* Every read of a file starts with clearerr (g_read): before a read of the host's stdin,
   the output held so far is let out (output_gate.c). */
void lp_before_read(lua_State *L, FILE *f);
#define clearerr(f) (lp_before_read(L, f), clearerr(f))
#endif

#if defined(liolib_c)
#define fwrite(p, size, n, f) (lp_output_point_for(L, f), lp_let_out_size(fwrite(p, size, n, f), f, 0))
#define fprintf(f, ...) (lp_output_point_for(L, f), lp_let_out_int(fprintf(f, __VA_ARGS__), f, 0))
#define fflush(f) (lp_output_point_for(L, f), lp_let_out_int(fflush(f), f, 1))
#define fclose(f) (lp_output_point_for(L, f), fclose(f))
#endif

#if defined(loslib_c)
/* (os.exit is wrapped whole, in libraries.c: after os.exit(code, true) closes the state,
   nothing may touch it before exit.) */
#define system(command) (lp_output_point(L), system(command))
#define remove(file) (lp_output_point(L), remove(file))
#define rename(from, to) (lp_output_point(L), rename(from, to))
#endif

#if defined(linit_c)
int lp_luaopen_os(lua_State *L);
#define luaopen_os lp_luaopen_os
#endif

#endif /* !__wasm__ || LP_HOST_FILES */

#if defined(lstate_c)
/* A state and each new thread start with no fuel: their first tick is a checkpoint. (A new
   thread's extra space is a copy of the main thread's.) */
#define luai_userstateopen(L) ((void)(LP_FUEL_GIVEN(L) = 0, LP_FUEL_LEFT(L) = 0))
#define luai_userstatethread(L, L1) ((void)(LP_FUEL_GIVEN(L1) = 0, LP_FUEL_LEFT(L1) = 0))
#endif

#if defined(linit_c)
/* luaL_openlibs opens the string library through lp_luaopen_string (libraries.c). */
#define luaopen_string lp_luaopen_string
#endif

#endif
