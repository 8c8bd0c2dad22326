/* stdio for Lua on wasm32-unknown-unknown (lua-persist): FILE streams and the printf family.

   stdout and stderr append to buffers the host drains (lp_output_* in src/wasm/exports.rs);
   stdin reads bytes the host gave; fopen opens, read-only, the files the host put with
   lp_file_put. In cu's module that is all: there is no file system and no import to reach
   one, so any other name fails with ENOENT as a missing file does.

   The runner's module (feature host-files, LP_HOST_FILES) also opens the host's files
   through the imports of wasm/libc/host_os.S: a host file is a buffered stream over
   positional reads and writes (the host keeps no file position, Node has no lseek), and
   remove, rename, tmpnam and getenv (stdlib.c) ask the host too.

   The printf family is C because stable Rust cannot define variadic functions. Integer, string, character
   and pointer conversions are formatted here, as C99 specifies them; floating-point
   conversions (%f %F %e %E %g %G %a %A) go to __lp_format_double in src/wasm/libc.rs,
   which rounds correctly, so Lua prints the same bytes as with glibc. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "file.h"
#include "runtime.h"

enum { F_MINUS = 1, F_PLUS = 2, F_SPACE = 4, F_HASH = 8, F_ZERO = 16 };


/* ------------------------------------------------------------------ streams */

#ifdef LP_HOST_FILES
/* The runner's module reads stdin from the host (handle 0), when a script reads it. */
#define STDIN_FILE {HOST_FILE, NULL, 0, 0, EOF, 0, 0, &__lp_host_stdin}
#else
#define STDIN_FILE {MEMORY_INPUT, NULL, 0, 0, EOF, 0, 0, NULL}
#endif
static struct __lp_file standard_files[3] = {
  STDIN_FILE, {STDOUT_BUFFER, NULL, 0, 0, EOF, 0, 0, NULL},
  {STDERR_BUFFER, NULL, 0, 0, EOF, 0, 0, NULL}};
FILE *const stdin = &standard_files[0];
FILE *const stdout = &standard_files[1];
FILE *const stderr = &standard_files[2];

/* Output captured for the host, per stream (index 1 and 2). */
static struct { unsigned char *data; size_t len, cap; } outputs[3];

/* Files the host provided: a list of (name, bytes), newest first. */
struct host_file { struct host_file *next; char *name; unsigned char *data; size_t len; };
static struct host_file *host_files;

const unsigned char *__lp_output_data(int stream, size_t *len) {
  *len = outputs[stream].len;
  return outputs[stream].data;
}

#ifdef LP_HOST_FILES
/* Drops the first n bytes of an output stream (the host took them). */
void __lp_output_consume(int stream, size_t n) {
  if (n >= outputs[stream].len) {
    outputs[stream].len = 0;
    return;
  }
  memmove(outputs[stream].data, outputs[stream].data + n, outputs[stream].len - n);
  outputs[stream].len -= n;
}
#endif

void __lp_output_clear(int stream) {
  free(outputs[stream].data);
  outputs[stream].data = NULL;
  outputs[stream].len = outputs[stream].cap = 0;
}

static const struct host_file *find_host_file(const char *name) {
  for (const struct host_file *f = host_files; f != NULL; f = f->next)
    if (strcmp(f->name, name) == 0) return f;
  return NULL;
}

/* Copies name and bytes; the name "-" also becomes stdin. Returns 0, or -1 without memory. */
int __lp_file_put(const char *name, size_t name_len, const unsigned char *data, size_t len) {
  struct host_file *f = malloc(sizeof *f);
  char *name_copy = malloc(name_len + 1);
  unsigned char *data_copy = malloc(len ? len : 1);
  if (f == NULL || name_copy == NULL || data_copy == NULL) {
    free(f); free(name_copy); free(data_copy);
    return -1;
  }
  memcpy(name_copy, name, name_len);
  name_copy[name_len] = '\0';
  memcpy(data_copy, data, len);
  *f = (struct host_file){host_files, name_copy, data_copy, len};
  host_files = f;
  if (strcmp(name_copy, "-") == 0) *stdin = (struct __lp_file){MEMORY_INPUT, data_copy, len, 0, EOF, 0, 0, NULL};
  return 0;
}

FILE *fopen(const char *path, const char *mode) {
  const struct host_file *hf = find_host_file(path);
  if (hf == NULL) {
#ifdef LP_HOST_FILES
    return __lp_host_fopen(path, mode);
#else
    errno = ENOENT;
    return NULL;
#endif
  }
  if (mode[0] != 'r' || strchr(mode, '+') != NULL) {
    errno = EACCES; /* host files are read-only */
    return NULL;
  }
  FILE *f = malloc(sizeof *f);
  if (f == NULL) return NULL;
  *f = (struct __lp_file){MEMORY_INPUT, hf->data, hf->len, 0, EOF, 0, 0, NULL};
  return f;
}

/* Only for what luaL_loadfilex does with it: a file opened again in another mode. The
   stream returned may be another FILE (C lets it be the same one). */
FILE *freopen(const char *path, const char *mode, FILE *f) {
#ifdef LP_HOST_FILES
  if (path != NULL && f != stdin && f != stdout && f != stderr) {
    fclose(f);
    return fopen(path, mode);
  }
#endif
  (void)path; (void)mode; (void)f;
  errno = ENOENT;
  return NULL;
}

FILE *tmpfile(void) {
#ifdef LP_HOST_FILES
  return __lp_host_tmpfile();
#else
  errno = EACCES;
  return NULL;
#endif
}

int fclose(FILE *f) {
#ifdef LP_HOST_FILES
  if (f->output == HOST_FILE) return __lp_host_close(f);
#endif
  if (f != stdin && f != stdout && f != stderr) free(f);
  return 0;
}

int fflush(FILE *f) {
#ifdef LP_HOST_FILES
  if (f == NULL || f->output == HOST_FILE) return __lp_host_flush(f);
#endif
  (void)f;
  return 0;
}

int setvbuf(FILE *f, char *buf, int mode, size_t size) {
  (void)buf; (void)size;
#ifdef LP_HOST_FILES
  if (f->output == HOST_FILE) return __lp_host_setvbuf(f, mode);
#endif
  (void)f; (void)mode;
  return 0;
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f) {
#ifdef LP_HOST_FILES
  if (f->output == HOST_FILE) {
    if (size == 0 || n == 0 || n > (size_t)-1 / size) return 0;
    return __lp_host_write(f, p, size * n) / size;
  }
#endif
  if (f->output == MEMORY_INPUT) {
    f->error = 1;
    errno = EBADF;
    return 0;
  }
  if (size == 0 || n == 0) return 0;
  if (n > (size_t)-1 / size) return 0;
  size_t total = size * n;
  __typeof__(outputs[0]) *out = &outputs[f->output];
  if (total > out->cap - out->len) {
    size_t cap = out->cap ? out->cap : 256;
    while (cap - out->len < total) {
      if (cap > (size_t)-1 / 2) { f->error = 1; errno = ENOMEM; return 0; }
      cap *= 2;
    }
    unsigned char *grown = realloc(out->data, cap);
    if (grown == NULL) { f->error = 1; return 0; }
    out->data = grown;
    out->cap = cap;
  }
  memcpy(out->data + out->len, p, total);
  out->len += total;
  return n;
}

int fputs(const char *s, FILE *f) {
  size_t len = strlen(s);
  return fwrite(s, 1, len, f) == len ? 0 : EOF;
}

int fputc(int c, FILE *f) {
  unsigned char byte = (unsigned char)c;
  return fwrite(&byte, 1, 1, f) == 1 ? byte : EOF;
}

int putchar(int c) { return fputc(c, stdout); }

int getc(FILE *f) {
  if (f->pushed_back != EOF) {
    int c = f->pushed_back;
    f->pushed_back = EOF;
    return c;
  }
#ifdef LP_HOST_FILES
  if (f->output == HOST_FILE) return __lp_host_getc(f);
#endif
  if (f->output != MEMORY_INPUT) {
    f->error = 1;
    errno = EBADF;
    return EOF;
  }
  if (f->pos >= f->len) {
    f->eof = 1;
    return EOF;
  }
  return f->data[f->pos++];
}

int fgetc(FILE *f) { return getc(f); }

int ungetc(int c, FILE *f) {
  if (c == EOF || f->output == STDOUT_BUFFER || f->output == STDERR_BUFFER) return EOF;
  f->pushed_back = (unsigned char)c;
  f->eof = 0;
  return c;
}

size_t fread(void *p, size_t size, size_t n, FILE *f) {
  if (size == 0 || n == 0 || n > (size_t)-1 / size) return 0;
  unsigned char *out = p;
  size_t total = size * n, got = 0;
  int c;
  while (got < total && (c = getc(f)) != EOF) out[got++] = (unsigned char)c;
  return got / size;
}

char *fgets(char *s, int n, FILE *f) {
  int i = 0, c = 0;
  while (i + 1 < n && (c = getc(f)) != EOF) {
    s[i++] = (char)c;
    if (c == '\n') break;
  }
  if (i == 0) return NULL;
  s[i] = '\0';
  return s;
}

int feof(FILE *f) { return f->eof; }
int ferror(FILE *f) { return f->error; }
void clearerr(FILE *f) { f->eof = f->error = 0; }

int fseek(FILE *f, long offset, int whence) {
#ifdef LP_HOST_FILES
  if (f->output == HOST_FILE) return __lp_host_seek(f, offset, whence);
#endif
  if (f->output != MEMORY_INPUT) {
    errno = ESPIPE; /* the output streams behave as pipes */
    return -1;
  }
  long long base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (long long)f->pos : (long long)f->len;
  long long target = base + offset;
  if (whence < SEEK_SET || whence > SEEK_END || target < 0) {
    errno = EINVAL;
    return -1;
  }
  f->pos = (size_t)target;
  f->pushed_back = EOF;
  f->eof = 0;
  return 0;
}

long ftell(FILE *f) {
#ifdef LP_HOST_FILES
  if (f->output == HOST_FILE) {
    long long at = __lp_host_tell(f);
    if (at > __LONG_MAX__) {
      errno = EOVERFLOW;
      return -1;
    }
    return (long)at;
  }
#endif
  if (f->output != MEMORY_INPUT) {
    errno = ESPIPE;
    return -1;
  }
  return (long)f->pos - (f->pushed_back != EOF);
}

#ifdef LP_HOST_FILES
int remove(const char *path) { return __lp_host_remove(path); }
int rename(const char *from, const char *to) { return __lp_host_rename(from, to); }
char *tmpnam(char *s) { return __lp_host_tmpnam(s); }
#else
/* No file system to change. */
int remove(const char *path) { (void)path; errno = ENOENT; return -1; }
int rename(const char *from, const char *to) { (void)from; (void)to; errno = ENOENT; return -1; }
char *tmpnam(char *s) { (void)s; return NULL; }
#endif

/* ------------------------------------------------------------------ printf */

/* Where formatted text goes: a bounded buffer (snprintf) or a FILE (fprintf). */
typedef struct {
  char *buf;
  size_t cap;   /* bytes the buffer can take, the terminating NUL included */
  size_t total; /* bytes produced so far, whether or not they fitted */
  FILE *file;
} sink;

static void emit(sink *s, const char *p, size_t n) {
  if (n == 0) return;
  if (s->file) {
    fwrite(p, 1, n, s->file);
  } else if (s->cap > 0 && s->total < s->cap - 1) {
    size_t room = s->cap - 1 - s->total;
    memcpy(s->buf + s->total, p, n < room ? n : room);
  }
  s->total += n;
}

static void emit_repeat(sink *s, char c, int n) {
  char chunk[32];
  memset(chunk, c, sizeof chunk);
  while (n > 0) {
    int k = n < (int)sizeof chunk ? n : (int)sizeof chunk;
    emit(s, chunk, (size_t)k);
    n -= k;
  }
}

/* An integer conversion: sign or prefix, zeros to the precision, padding to the width. */
static void emit_integer(sink *s, unsigned long long magnitude, int negative, int conversion,
                         int flags, int width, int precision) {
  char digits[64];
  int ndigits = 0;
  unsigned base = conversion == 'o' ? 8 : (conversion == 'x' || conversion == 'X') ? 16 : 10;
  const char *alphabet = conversion == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  while (magnitude != 0) {
    digits[sizeof digits - 1 - ndigits++] = alphabet[magnitude % base];
    magnitude /= base;
  }
  const char *prefix = "";
  if (conversion == 'd' || conversion == 'i') {
    prefix = negative ? "-" : (flags & F_PLUS) ? "+" : (flags & F_SPACE) ? " " : "";
  } else if ((flags & F_HASH) && ndigits > 0 && base == 16) {
    prefix = conversion == 'X' ? "0X" : "0x";
  }
  int zeros = precision > ndigits ? precision - ndigits : 0;
  if (precision < 0 && ndigits == 0) zeros = 1; /* "0", except for an explicit .0 */
  if (base == 8 && (flags & F_HASH) && zeros == 0) zeros = 1;
  int body = (int)strlen(prefix) + zeros + ndigits;
  int pad = width > body ? width - body : 0;
  if ((flags & F_ZERO) && !(flags & F_MINUS) && precision < 0) {
    zeros += pad;
    pad = 0;
  }
  if (!(flags & F_MINUS)) emit_repeat(s, ' ', pad);
  emit(s, prefix, strlen(prefix));
  emit_repeat(s, '0', zeros);
  emit(s, digits + sizeof digits - ndigits, (size_t)ndigits);
  if (flags & F_MINUS) emit_repeat(s, ' ', pad);
}

static void emit_padded(sink *s, const char *p, size_t n, int flags, int width) {
  int pad = width > (int)n ? width - (int)n : 0;
  if (!(flags & F_MINUS)) emit_repeat(s, ' ', pad);
  emit(s, p, n);
  if (flags & F_MINUS) emit_repeat(s, ' ', pad);
}

static void format(sink *s, const char *fmt, va_list ap) {
  while (*fmt) {
    const char *start = fmt;
    while (*fmt && *fmt != '%') fmt++;
    emit(s, start, (size_t)(fmt - start));
    if (!*fmt) break;
    const char *spec = fmt++;
    int flags = 0, width = 0, precision = -1;
    for (;; fmt++) {
      if (*fmt == '-') flags |= F_MINUS;
      else if (*fmt == '+') flags |= F_PLUS;
      else if (*fmt == ' ') flags |= F_SPACE;
      else if (*fmt == '#') flags |= F_HASH;
      else if (*fmt == '0') flags |= F_ZERO;
      else break;
    }
    if (*fmt == '*') {
      width = va_arg(ap, int);
      if (width < 0) { flags |= F_MINUS; width = -width; }
      fmt++;
    } else {
      while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      fmt++;
      precision = 0;
      if (*fmt == '*') {
        precision = va_arg(ap, int);
        fmt++;
      } else {
        while (*fmt >= '0' && *fmt <= '9') precision = precision * 10 + (*fmt++ - '0');
      }
    }
    int length = 0; /* 'H' hh, 'h', 'l', 'L' ll or long double, 'z' size_t, 'j', 't' */
    if (fmt[0] == 'h' && fmt[1] == 'h') { length = 'H'; fmt += 2; }
    else if (fmt[0] == 'l' && fmt[1] == 'l') { length = 'L'; fmt += 2; }
    else if (*fmt == 'h' || *fmt == 'l' || *fmt == 'L' || *fmt == 'z' || *fmt == 'j' || *fmt == 't') length = *fmt++;
    int conversion = *fmt ? *fmt++ : 0;
    switch (conversion) {
      case 'd': case 'i': {
        long long v;
        if (length == 'L' || length == 'j') v = va_arg(ap, long long);
        else if (length == 'l') v = va_arg(ap, long);
        else if (length == 'z' || length == 't') v = va_arg(ap, ptrdiff_t);
        else v = va_arg(ap, int);
        if (length == 'h') v = (short)v;
        if (length == 'H') v = (signed char)v;
        unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        emit_integer(s, m, v < 0, conversion, flags, width, precision);
        break;
      }
      case 'u': case 'o': case 'x': case 'X': {
        unsigned long long v;
        if (length == 'L' || length == 'j') v = va_arg(ap, unsigned long long);
        else if (length == 'l') v = va_arg(ap, unsigned long);
        else if (length == 'z' || length == 't') v = va_arg(ap, size_t);
        else v = va_arg(ap, unsigned);
        if (length == 'h') v = (unsigned short)v;
        if (length == 'H') v = (unsigned char)v;
        emit_integer(s, v, 0, conversion, flags, width, precision);
        break;
      }
      case 'p': { /* glibc style: 0x... in lower-case hex, "(nil)" for NULL */
        void *p = va_arg(ap, void *);
        if (p == NULL) emit_padded(s, "(nil)", 5, flags, width);
        else emit_integer(s, (uintptr_t)p, 0, 'x', flags | F_HASH, width, -1);
        break;
      }
      case 'c': {
        char c = (char)va_arg(ap, int);
        emit_padded(s, &c, 1, flags, width);
        break;
      }
      case 's': {
        const char *str = va_arg(ap, const char *);
        if (str == NULL) str = "(null)";
        size_t n = 0;
        while ((precision < 0 || n < (size_t)precision) && str[n]) n++;
        emit_padded(s, str, n, flags, width);
        break;
      }
      case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A': {
        double v = length == 'L' ? (double)va_arg(ap, long double) : va_arg(ap, double);
        char small[128];
        size_t n = __lp_runtime.format_double(small, sizeof small, v, conversion, flags, width, precision);
        if (n <= sizeof small) {
          emit(s, small, n);
        } else { /* %.99f of 1e308 and the like: format again into a big enough block */
          char big[n];
          __lp_runtime.format_double(big, n, v, conversion, flags, width, precision);
          emit(s, big, n);
        }
        break;
      }
      case '%':
        emit(s, "%", 1);
        break;
      case 'n':
        (void)va_arg(ap, int *); /* never used by Lua; not supported */
        break;
      default: /* unknown conversion: copy it as written */
        emit(s, spec, (size_t)(fmt - spec));
        break;
    }
  }
}

int vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap) {
  sink s = {buf, cap, 0, NULL};
  format(&s, fmt, ap);
  if (cap > 0) buf[s.total < cap ? s.total : cap - 1] = '\0';
  return (int)s.total;
}

int snprintf(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

int sprintf(char *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, SIZE_MAX, fmt, ap);
  va_end(ap);
  return n;
}

int vfprintf(FILE *f, const char *fmt, va_list ap) {
  sink s = {NULL, 0, 0, f};
  format(&s, fmt, ap);
  return (int)s.total;
}

int fprintf(FILE *f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(stdout, fmt, ap);
  va_end(ap);
  return n;
}
