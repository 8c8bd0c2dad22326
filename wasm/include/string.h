/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). The mem* functions and
   strlen come from Rust's compiler-builtins; the rest from src/wasm/libc.rs. */
#ifndef _LP_STRING_H
#define _LP_STRING_H
#include <stddef.h>
void *memcpy(void *d, const void *s, size_t n); void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n); int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n); size_t strlen(const char *s);
int strcmp(const char *a, const char *b); int strncmp(const char *a, const char *b, size_t n);
int strcoll(const char *a, const char *b); char *strchr(const char *s, int c);
char *strrchr(const char *s, int c); char *strpbrk(const char *s, const char *accept);
size_t strspn(const char *s, const char *accept); size_t strcspn(const char *s, const char *reject);
char *strstr(const char *h, const char *n); char *strcpy(char *d, const char *s);
char *strncpy(char *d, const char *s, size_t n); char *strerror(int errnum);
#endif
