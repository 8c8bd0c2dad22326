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

static struct tm tm_result; /* gmtime and localtime share one result, as in C */

struct tm *gmtime(const time_t *t) {
  if (__lp_runtime.gmtime(*t, &tm_result) != 0) {
    errno = EOVERFLOW;
    return NULL;
  }
  return &tm_result;
}

struct tm *localtime(const time_t *t) { return gmtime(t); }

time_t mktime(struct tm *tm) {
  long long t;
  if (__lp_runtime.timegm(tm, &t) != 0) {
    errno = EOVERFLOW;
    return -1;
  }
  return t;
}

size_t strftime(char *out, size_t max, const char *format, const struct tm *tm) {
  return __lp_runtime.strftime(out, max, format, tm);
}
