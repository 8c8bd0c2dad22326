/* exit() for Lua on wasm32-unknown-unknown (lua-persist). There is no process to end:
   exit unwinds (longjmp) to the innermost __lp_catch_exit, which reports the status.
   The Lua state that called os.exit is abandoned mid-call; the caller must not use it. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static jmp_buf *exit_target;
static int exit_status;

/* Runs body(ud). Returns 0 if it returned, 1 if it called exit (status in *status). */
int __lp_catch_exit(void (*body)(void *), void *ud, int *status) {
  jmp_buf here;
  jmp_buf *outer = exit_target;
  exit_target = &here;
  if (setjmp(here) == 0) {
    body(ud);
    exit_target = outer;
    return 0;
  }
  exit_target = outer;
  *status = exit_status;
  return 1;
}

_Noreturn void exit(int status) {
  if (exit_target == NULL) __builtin_trap();
#ifdef LP_HOST_FILES
  fflush(NULL); /* the host files' buffers, as C's exit writes them */
#endif
  exit_status = status;
  longjmp(*exit_target, 1);
}
