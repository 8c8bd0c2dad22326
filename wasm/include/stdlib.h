/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). */
#ifndef _LP_STDLIB_H
#define _LP_STDLIB_H
#include <stddef.h>
#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
void *malloc(size_t n); void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n); void free(void *p);
_Noreturn void abort(void);
_Noreturn void exit(int status);
char *getenv(const char *name);
int system(const char *command);
double strtod(const char *s, char **end);
long strtol(const char *s, char **end, int base);
int abs(int x);
#endif
