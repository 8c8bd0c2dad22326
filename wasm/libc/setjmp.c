/* The setjmp/longjmp runtime that clang's -wasm-enable-sjlj lowering calls (LLVM >= 19 ABI,
   WebAssembly/tool-conventions SetjmpLongjmp.md). setjmp records which function invocation
   owns the buffer and the label to resume at; longjmp throws the __c_longjmp tag with a
   pointer to {env, val}; the catching function asks __wasm_setjmp_test whether the env is
   one of its own. Lua's errors (error, pcall, stack overflow, out of memory) run on this. */
#include <setjmp.h>

void __wasm_setjmp(void *env, unsigned label, void *func_invocation_id) {
  __lp_jmp_record *rec = env;
  rec->func_invocation_id = func_invocation_id;
  rec->label = label;
}

unsigned __wasm_setjmp_test(void *env, void *func_invocation_id) {
  __lp_jmp_record *rec = env;
  return rec->func_invocation_id == func_invocation_id ? rec->label : 0;
}

_Noreturn void __wasm_longjmp(void *env, int val) {
  __lp_jmp_record *rec = env;
  /* The thrown argument lives in the jmp_buf itself: it must outlive this frame. */
  rec->arg_env = env;
  rec->arg_val = val == 0 ? 1 : val;
  __builtin_wasm_throw(1, &rec->arg_env);
}
