/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). The functions come
   from Rust's compiler-builtins (libm) and src/wasm/libc.rs. */
#ifndef _LP_MATH_H
#define _LP_MATH_H
#define HUGE_VAL (__builtin_huge_val())
#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define signbit(x) __builtin_signbit(x)
double fabs(double); double floor(double); double ceil(double); double fmod(double, double);
double pow(double, double); double sqrt(double); double exp(double); double log(double);
double log2(double); double log10(double); double sin(double); double cos(double);
double tan(double); double asin(double); double acos(double); double atan(double);
double atan2(double, double); double sinh(double); double cosh(double); double tanh(double);
double frexp(double, int *); double ldexp(double, int); double modf(double, double *);
double trunc(double); double round(double);
#endif
