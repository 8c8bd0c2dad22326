/* What the C half of the wasm libc needs from Rust (src/wasm/libc.rs). Rust publishes
   one table under one symbol instead of one exported function per libc routine, because a
   Rust cdylib exports every #[no_mangle] function from the .wasm module. */
#ifndef LP_RUNTIME_H
#define LP_RUNTIME_H
#include <stddef.h>
#include <time.h>

struct __lp_runtime {
  /* The global allocator of the Rust program (size-headed blocks). */
  void *(*malloc)(size_t size);
  void *(*realloc)(void *block, size_t size);
  void (*free)(void *block);
  /* C's strtod: value, bytes used (*used), and 1 if the result is out of range. */
  double (*strtod)(const char *s, size_t *used, int *out_of_range);
  /* One floating-point printf conversion; see stdio.c. */
  size_t (*format_double)(char *out, size_t cap, double value, int conversion, int flags,
                          int width, int precision);
  /* UTC calendar: 0 on success. */
  int (*gmtime)(long long t, struct tm *out);
  int (*timegm)(struct tm *tm, long long *out);
  /* zone: what %Z prints. */
  size_t (*strftime)(char *out, size_t max, const char *format, const struct tm *tm,
                     const char *zone);
};

extern const struct __lp_runtime __lp_runtime;
#endif
