/* time.h for Lua on wasm32-unknown-unknown (lua-persist). The module imports nothing, so
   the wall clock is what the host last set (lp_set_clock); the time zone is UTC. The
   calendar arithmetic and strftime are Rust (src/wasm/time.rs). */
#include <errno.h>
#include <time.h>
#include "runtime.h"

static double host_clock;       /* seconds since the epoch */
static double clock_origin = -1; /* host_clock when first set, for clock() */

void __lp_set_clock(double unix_seconds) {
  host_clock = unix_seconds;
  if (clock_origin < 0) clock_origin = unix_seconds;
}

time_t time(time_t *out) {
  time_t now = (time_t)host_clock;
  if (out != NULL) *out = now;
  return now;
}

/* Processor time is not observable: the host clock since it was first set stands in. */
clock_t clock(void) {
  return clock_origin < 0 ? 0 : (clock_t)((host_clock - clock_origin) * CLOCKS_PER_SEC);
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
