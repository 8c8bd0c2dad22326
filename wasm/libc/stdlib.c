/* stdlib.h and errno for Lua on wasm32-unknown-unknown (lua-persist). Memory comes from
   Rust's global allocator; strtod is Rust's correctly rounded parser (src/wasm/libc.rs). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "runtime.h"

static int errno_value;
int *__lp_errno_location(void) { return &errno_value; }

void *malloc(size_t n) {
  void *p = __lp_runtime.malloc(n);
  if (p == NULL) errno = ENOMEM;
  return p;
}

void *calloc(size_t count, size_t size) {
  if (size != 0 && count > (size_t)-1 / size) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = malloc(count * size);
  if (p != NULL) memset(p, 0, count * size);
  return p;
}

void *realloc(void *p, size_t n) {
  void *q = __lp_runtime.realloc(p, n);
  if (q == NULL) errno = ENOMEM; /* the old block stays valid */
  return q;
}

void free(void *p) {
  if (p != NULL) __lp_runtime.free(p);
}

double strtod(const char *s, char **end) {
  size_t used = 0;
  int out_of_range = 0;
  double v = __lp_runtime.strtod(s, &used, &out_of_range);
  if (end != NULL) *end = (char *)s + used;
  if (out_of_range) errno = ERANGE;
  return v;
}

long strtol(const char *s, char **end, int base) {
  const char *p = s;
  while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
  int negative = *p == '-';
  if (*p == '-' || *p == '+') p++;
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = *p == '0' ? 8 : 10;
  }
  const char *digits = p;
  unsigned long value = 0, limit = negative ? (unsigned long)LONG_MAX + 1 : LONG_MAX;
  int overflow = 0;
  for (;; p++) {
    int d = *p >= '0' && *p <= '9' ? *p - '0'
          : *p >= 'a' && *p <= 'z' ? *p - 'a' + 10
          : *p >= 'A' && *p <= 'Z' ? *p - 'A' + 10 : 99;
    if (d >= base) break;
    if (value > (limit - (unsigned long)d) / (unsigned long)base) overflow = 1;
    else value = value * (unsigned long)base + (unsigned long)d;
  }
  if (end != NULL) *end = (char *)(p == digits ? s : p);
  if (overflow) {
    errno = ERANGE;
    return negative ? LONG_MIN : LONG_MAX;
  }
  return negative ? (long)(0UL - value) : (long)value;
}

int abs(int x) { return x < 0 ? -x : x; }

_Noreturn void abort(void) { __builtin_trap(); }

void __lp_assert_fail(const char *expr, const char *file, int line) {
  (void)expr; (void)file; (void)line;
  __builtin_trap();
}

/* No shell: system(NULL) answers "no shell". The environment is the host's in the
   runner's module (host_files.c), and empty in cu's. */
#ifdef LP_HOST_FILES
char *__lp_host_getenv(const char *name);
char *getenv(const char *name) { return __lp_host_getenv(name); }
#else
char *getenv(const char *name) { (void)name; return NULL; }
#endif

int system(const char *command) {
  if (command == NULL) return 0;
  errno = ENOSYS;
  return -1;
}
