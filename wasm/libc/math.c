/* math.h for Lua on wasm32-unknown-unknown (lua-persist): Rust's compiler-builtins exports
   every libm function Lua uses except frexp, which is here. */
#include <math.h>
#include <stdint.h>
#include <string.h>

double frexp(double x, int *exp) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  int raw = (int)(bits >> 52 & 0x7ff);
  if (raw == 0) {                 /* zero or subnormal */
    if (x == 0) { *exp = 0; return x; }
    double scaled = frexp(x * 0x1p64, exp);
    *exp -= 64;
    return scaled;
  }
  if (raw == 0x7ff) { *exp = 0; return x; } /* inf or nan */
  *exp = raw - 1022;
  bits = (bits & ~(UINT64_C(0x7ff) << 52)) | (UINT64_C(1022) << 52);
  memcpy(&x, &bits, sizeof bits);
  return x;
}
