/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist).
   clang (-mllvm -wasm-enable-sjlj) rewrites calls to setjmp/longjmp into wasm exception
   handling that calls __wasm_setjmp/__wasm_setjmp_test/__wasm_longjmp (wasm/libc/setjmp.c).
   The buffer holds that runtime's record: invocation id, label, and the thrown argument. */
#ifndef _LP_SETJMP_H
#define _LP_SETJMP_H
typedef struct { void *func_invocation_id; unsigned label; void *arg_env; int arg_val; } __lp_jmp_record;
typedef __lp_jmp_record jmp_buf[1];
int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int val);
#endif
