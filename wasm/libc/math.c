/* math.h for Lua on wasm32-unknown-unknown (lua-persist): Rust's compiler-builtins exports
   every libm function Lua uses except frexp, which is here; and fmod is here too, because
   compiler-builtins' fmod works on 128-bit integers, and their division routines cost the
   module 2.4 KB. */
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

/* The remainder of x / y with the sign of x, exact (IEEE fmod needs no rounding): the
   significands are reduced by shift-and-subtract, one bit of the exponent difference at a
   time, as in musl's fmod. */
double fmod(double x, double y) {
  uint64_t ux, uy;
  memcpy(&ux, &x, sizeof ux);
  memcpy(&uy, &y, sizeof uy);
  int ex = (int)(ux >> 52 & 0x7ff), ey = (int)(uy >> 52 & 0x7ff);
  uint64_t sign = ux & (UINT64_C(1) << 63);
  if (uy << 1 == 0 || isnan(y) || ex == 0x7ff) return (x * y) / (x * y); /* nan */
  if (ux << 1 <= uy << 1) return ux << 1 == uy << 1 ? 0 * x : x;        /* |x| <= |y| */
  /* Significands with their leading 1 at bit 52; subnormals shifted up to it. */
  if (ex == 0) {
    for (uint64_t i = ux << 12; i >> 63 == 0; i <<= 1) ex--;
    ux <<= 1 - ex;
  } else {
    ux = (ux & (UINT64_MAX >> 12)) | UINT64_C(1) << 52;
  }
  if (ey == 0) {
    for (uint64_t i = uy << 12; i >> 63 == 0; i <<= 1) ey--;
    uy <<= 1 - ey;
  } else {
    uy = (uy & (UINT64_MAX >> 12)) | UINT64_C(1) << 52;
  }
  for (;; ex--) {
    uint64_t rest = ux - uy;
    if (rest >> 63 == 0) {
      if (rest == 0) return 0 * x;
      ux = rest;
    }
    if (ex == ey) break;
    ux <<= 1;
  }
  for (; ux >> 52 == 0; ux <<= 1) ex--;  /* normalize */
  if (ex > 0) ux = (ux - (UINT64_C(1) << 52)) | (uint64_t)ex << 52;
  else ux >>= 1 - ex;                    /* subnormal result */
  ux |= sign;
  memcpy(&x, &ux, sizeof x);
  return x;
}
