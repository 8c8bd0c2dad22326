/* string.h ("C" locale) for Lua on wasm32-unknown-unknown (lua-persist); ctype.h is all
   inline (wasm/include/ctype.h).
   memcpy, memmove, memset, memcmp and strlen come from Rust's compiler-builtins. */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <string.h>

void *memchr(const void *s, int c, size_t n) {
  const unsigned char *p = s;
  for (; n > 0; p++, n--)
    if (*p == (unsigned char)c) return (void *)p;
  return NULL;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0; a++, b++, n--)
    if (*a != *b || !*a) return (unsigned char)*a - (unsigned char)*b;
  return 0;
}

/* In the "C" locale, collation is byte order. */
int strcoll(const char *a, const char *b) { return strcmp(a, b); }

char *strchr(const char *s, int c) {
  for (;; s++) {
    if (*s == (char)c) return (char *)s;
    if (!*s) return NULL;
  }
}

char *strrchr(const char *s, int c) {
  const char *found = NULL;
  for (;; s++) {
    if (*s == (char)c) found = s;
    if (!*s) return (char *)found;
  }
}

size_t strspn(const char *s, const char *accept) {
  size_t n = 0;
  while (s[n] && strchr(accept, s[n])) n++;
  return n;
}

size_t strcspn(const char *s, const char *reject) {
  size_t n = 0;
  while (s[n] && !strchr(reject, s[n])) n++;
  return n;
}

char *strpbrk(const char *s, const char *accept) {
  s += strcspn(s, accept);
  return *s ? (char *)s : NULL;
}

char *strstr(const char *h, const char *n) {
  size_t len = strlen(n);
  for (; *h; h++)
    if (strncmp(h, n, len) == 0) return (char *)h;
  return len == 0 ? (char *)h : NULL;
}

char *strcpy(char *d, const char *s) { return memcpy(d, s, strlen(s) + 1); }

char *strncpy(char *d, const char *s, size_t n) {
  size_t len = strlen(s);
  if (len > n) len = n;
  memcpy(d, s, len);
  memset(d + len, 0, n - len);
  return d;
}

/* glibc's wording, so error messages match native Lua. */
char *strerror(int e) {
  switch (e) {
    case 0: return "Success";
    case ENOENT: return "No such file or directory";
    case EINTR: return "Interrupted system call";
    case EIO: return "Input/output error";
    case EBADF: return "Bad file descriptor";
    case ENOMEM: return "Cannot allocate memory";
    case EACCES: return "Permission denied";
    case EINVAL: return "Invalid argument";
    case ESPIPE: return "Illegal seek";
    case EDOM: return "Numerical argument out of domain";
    case ERANGE: return "Numerical result out of range";
    case ENOSYS: return "Function not implemented";
    case EOVERFLOW: return "Value too large for defined data type";
#ifdef LP_HOST_FILES /* what the host's files can answer (glibc's words) */
    case EPERM: return "Operation not permitted";
    case EBUSY: return "Device or resource busy";
    case EEXIST: return "File exists";
    case EXDEV: return "Invalid cross-device link";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case EMFILE: return "Too many open files";
    case ENOSPC: return "No space left on device";
    case EROFS: return "Read-only file system";
    case ENAMETOOLONG: return "File name too long";
    case ENOTEMPTY: return "Directory not empty";
    case ELOOP: return "Too many levels of symbolic links";
#endif
    default: return "Unknown error";
  }
}

static struct lconv c_locale = {".", "", ""};
struct lconv *localeconv(void) { return &c_locale; }

/* Only the "C" locale exists: querying it or choosing "C", "POSIX" or "" succeeds. */
char *setlocale(int category, const char *locale) {
  (void)category;
  if (locale == NULL || !*locale || !strcmp(locale, "C") || !strcmp(locale, "POSIX"))
    return "C";
  return NULL;
}
