/* time.h for Lua on wasm32-unknown-unknown (lua-persist). In the wasm module (feature
   wasm-module, which defines LP_HOST_IMPORTS) the wall clock is the host's, through cu's
   import env.js_time_now (milliseconds since the epoch). cu declares it as i32, which wraps
   Date.now(); declared as f64 here, the same JavaScript function arrives exact.
   Without the feature (a crate that builds its own module, which imports nothing) there is
   no clock: the time is always 0, the epoch, as it is in the module when its host's clock
   throws, so os.time() is 0 and os.clock() stays 0.
   The time zone is UTC. The calendar arithmetic and strftime are Rust
   (src/portable_libc/time.rs). */
#include <errno.h>
#include <time.h>
#include "runtime.h"

#ifdef LP_HOST_IMPORTS
/* env.js_time_now through its wrapper in imports.S (0 if the host throws). */
double lp_host_time_now(void);
#define js_time_now lp_host_time_now
#else
static double js_time_now(void) { return 0; }
#endif

static double clock_origin = -1; /* the host clock at the first clock() call */

time_t time(time_t *out) {
  time_t now = (time_t)(js_time_now() / 1000);
  if (out != NULL) *out = now;
  return now;
}

/* Processor time is not observable: wall time since the first call stands in. */
clock_t clock(void) {
  double now = js_time_now();
  if (clock_origin < 0) clock_origin = now;
  return (clock_t)((now - clock_origin) * (CLOCKS_PER_SEC / 1000));
}

double difftime(time_t a, time_t b) { return (double)a - (double)b; }

/* Each returns its own static result, as C allows. Local time is UTC, but glibc's %Z says
   "GMT" for a gmtime result and "UTC" for a localtime one: strftime tells them apart by
   which result it is given. */
static struct tm gm_result, local_result;

static struct tm *broken_down(const time_t *t, struct tm *result) {
  if (__lp_runtime.gmtime(*t, result) != 0) {
    errno = EOVERFLOW;
    return NULL;
  }
  return result;
}

struct tm *gmtime(const time_t *t) { return broken_down(t, &gm_result); }
struct tm *localtime(const time_t *t) { return broken_down(t, &local_result); }

time_t mktime(struct tm *tm) {
  long long t;
  if (__lp_runtime.timegm(tm, &t) != 0) {
    errno = EOVERFLOW;
    return -1;
  }
  return t;
}

size_t strftime(char *out, size_t max, const char *format, const struct tm *tm) {
  return __lp_runtime.strftime(out, max, format, tm, tm == &gm_result ? "GMT" : "UTC");
}
