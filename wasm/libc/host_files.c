/* The host's files, for the runner's module only (feature host-files, LP_HOST_FILES):
   what stdio.c and stdlib.c do with a name that is not one of the files put with
   lp_file_put. Everything goes through the imports of module "lp_os" (host_os.S wraps
   each so that a JavaScript exception becomes -EIO, never an unwind through Lua).

   The host keeps no file position (Node has no lseek): reads and writes name their
   position, and a stream keeps its own. A stream has one buffer, holding either bytes read
   ahead (buffer[next..fill) is what the next reads return; `position` is the file offset of
   buffer[0]) or bytes not yet written (buffer[0..fill) go to `position`), never both.
   An append stream writes at the host's end of file (position -1), as O_APPEND does, and
   learns its position from the file's size when asked. Open host files are kept in a list:
   fflush(NULL), which exit() calls, writes what each still holds, as C's exit does.
   stdin is the host's handle 0, read where it stands (it may be a pipe or a terminal). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "file.h"

/* host_os.S: the wrapped imports. A negative result is -errno. */
int lp_os_file_open(const char *path, size_t path_len, int flags);
int lp_os_file_read(int handle, unsigned char *buf, size_t len, double position);
int lp_os_file_write(int handle, const unsigned char *buf, size_t len, double position);
double lp_os_file_size(int handle);
int lp_os_file_close(int handle);
int lp_os_remove(const char *path, size_t path_len);
int lp_os_rename(const char *from, size_t from_len, const char *to, size_t to_len);
int lp_os_tmpname(char *buf, size_t cap);
int lp_os_getenv(const char *name, size_t name_len, char *buf, size_t cap);
int lp_os_isatty(int handle);

/* file_open's flags (the host maps them to its own). */
enum { OPEN_READ = 1, OPEN_WRITE = 2, OPEN_CREATE = 4, OPEN_TRUNCATE = 8, OPEN_APPEND = 16 };
/* Not the host's: a stream read where the handle stands (position -1), never seeked. */
enum { UNPOSITIONED = 32 };
/* The host's standard handles. */
enum { STDIN_HANDLE = 0, STDOUT_HANDLE = 1, STDERR_HANDLE = 2 };

enum { BUFFER_SIZE = 4096 };

struct host_stream {
  struct host_stream *prev, *next_open; /* the list of open host files */
  FILE *file;
  int handle;
  int flags;
  int buffering;                 /* _IOFBF, _IOLBF or _IONBF */
  int writing;                   /* the buffer holds bytes to write */
  long long position;
  size_t fill, next;
  unsigned char buffer[BUFFER_SIZE];
};

static struct host_stream *open_streams;

struct host_stream __lp_host_stdin = {NULL, NULL, NULL, STDIN_HANDLE, OPEN_READ | UNPOSITIONED,
                                      _IOFBF, 0, 0, 0, 0, {0}};

/* For the output points (src/lua_user/lua_user.h): what leaves the module during a call. */
int __lp_leaves_module(FILE *f) { return f != NULL && f != stdin && f->output != MEMORY_INPUT; }

static int fail(int error) {
  errno = error;
  return -1;
}

FILE *__lp_host_fopen(const char *path, const char *mode) {
  int flags;
  switch (mode[0]) {
    case 'r': flags = OPEN_READ; break;
    case 'w': flags = OPEN_WRITE | OPEN_CREATE | OPEN_TRUNCATE; break;
    case 'a': flags = OPEN_WRITE | OPEN_CREATE | OPEN_APPEND; break;
    default: errno = EINVAL; return NULL;
  }
  if (strchr(mode, '+') != NULL) flags |= OPEN_READ | OPEN_WRITE;
  FILE *f = malloc(sizeof *f);
  struct host_stream *s = malloc(sizeof *s);
  if (f == NULL || s == NULL) {
    free(f);
    free(s);
    errno = ENOMEM;
    return NULL;
  }
  int handle = lp_os_file_open(path, strlen(path), flags);
  if (handle < 0) {
    free(f);
    free(s);
    errno = -handle;
    return NULL;
  }
  *s = (struct host_stream){NULL, open_streams, f, handle, flags, _IOFBF, 0, 0, 0, 0, {0}};
  if (open_streams != NULL) open_streams->prev = s;
  open_streams = s;
  *f = (struct __lp_file){HOST_FILE, NULL, 0, 0, EOF, 0, 0, s};
  return f;
}

/* Writes what the buffer holds; the stream then buffers nothing. */
static int write_out(FILE *f) {
  struct host_stream *s = f->host;
  if (!s->writing) return 0;
  int append = s->flags & OPEN_APPEND;
  size_t done = 0;
  while (done < s->fill) {
    double at = append ? -1 : (double)(s->position + (long long)done);
    int n = lp_os_file_write(s->handle, s->buffer + done, s->fill - done, at);
    if (n > (int)(s->fill - done)) n = -EIO; /* a host claiming more than it was given */
    if (n <= 0) {
      /* What was not written is dropped, as a failed write drops it in C. */
      s->position += (long long)done;
      s->fill = 0;
      s->writing = 0;
      f->error = 1;
      return fail(n < 0 ? -n : EIO);
    }
    done += (size_t)n;
  }
  s->position += (long long)done;
  s->fill = 0;
  s->writing = 0;
  if (append) {
    double size = lp_os_file_size(s->handle);
    if (size < 0) {
      f->error = 1;
      return fail((int)-size);
    }
    s->position = (long long)size;
  }
  return 0;
}

/* Forgets the bytes read ahead; the stream's position stays where the reader is. */
static void drop_read_ahead(FILE *f) {
  struct host_stream *s = f->host;
  if (s->writing) return;
  s->position += (long long)s->next - (f->pushed_back != EOF);
  s->fill = s->next = 0;
  f->pushed_back = EOF;
}

int __lp_host_getc(FILE *f) {
  struct host_stream *s = f->host;
  if (!(s->flags & OPEN_READ)) {
    f->error = 1;
    errno = EBADF;
    return EOF;
  }
  if (s->writing && write_out(f) != 0) return EOF;
  if (s->next < s->fill) return s->buffer[s->next++];
  s->position += (long long)s->fill;
  s->fill = s->next = 0;
  double at = s->flags & UNPOSITIONED ? -1 : (double)s->position;
  int n = lp_os_file_read(s->handle, s->buffer, BUFFER_SIZE, at);
  if (n > BUFFER_SIZE) n = -EIO; /* a host claiming more than there is room for */
  if (n < 0) {
    f->error = 1;
    errno = -n;
    return EOF;
  }
  if (n == 0) {
    f->eof = 1;
    return EOF;
  }
  s->fill = (size_t)n;
  return s->buffer[s->next++];
}

size_t __lp_host_write(FILE *f, const unsigned char *p, size_t n) {
  struct host_stream *s = f->host;
  if (!(s->flags & OPEN_WRITE)) {
    f->error = 1;
    errno = EBADF;
    return 0;
  }
  drop_read_ahead(f);
  for (size_t done = 0; done < n;) {
    size_t room = BUFFER_SIZE - s->fill;
    size_t k = n - done < room ? n - done : room;
    memcpy(s->buffer + s->fill, p + done, k);
    s->fill += k;
    s->writing = 1;
    done += k;
    if (s->fill == BUFFER_SIZE && write_out(f) != 0) return 0; /* write_out: writing = 0 */
  }
  int flush_now = s->buffering == _IONBF || (s->buffering == _IOLBF && memchr(p, '\n', n) != NULL);
  if (flush_now && write_out(f) != 0) return 0;
  return n;
}

int __lp_host_flush(FILE *f) {
  if (f != NULL) return write_out(f) == 0 ? 0 : EOF;
  int result = 0;
  for (struct host_stream *s = open_streams; s != NULL; s = s->next_open)
    if (write_out(s->file) != 0) result = EOF;
  return result;
}

int __lp_host_close(FILE *f) {
  struct host_stream *s = f->host;
  int result = write_out(f) == 0 ? 0 : EOF;
  int closed = lp_os_file_close(s->handle);
  if (closed < 0 && result == 0) {
    errno = -closed;
    result = EOF;
  }
  if (s->prev != NULL) s->prev->next_open = s->next_open;
  else open_streams = s->next_open;
  if (s->next_open != NULL) s->next_open->prev = s->prev;
  free(s);
  free(f);
  return result;
}

long long __lp_host_tell(FILE *f) {
  struct host_stream *s = f->host;
  if (s->flags & UNPOSITIONED) return fail(ESPIPE);
  if (s->writing) {
    if (s->flags & OPEN_APPEND) return write_out(f) == 0 ? s->position : -1;
    return s->position + (long long)s->fill;
  }
  return s->position + (long long)s->next - (f->pushed_back != EOF);
}

int __lp_host_seek(FILE *f, long long offset, int whence) {
  struct host_stream *s = f->host;
  if (s->flags & UNPOSITIONED) return fail(ESPIPE);
  if (write_out(f) != 0) return -1;
  long long base;
  if (whence == SEEK_SET) {
    base = 0;
  } else if (whence == SEEK_CUR) {
    base = __lp_host_tell(f);
  } else if (whence == SEEK_END) {
    double size = lp_os_file_size(s->handle);
    if (size < 0) return fail((int)-size);
    base = (long long)size;
  } else {
    return fail(EINVAL);
  }
  if (offset < 0 ? base < -offset : base > __LONG_LONG_MAX__ - offset) return fail(EINVAL);
  s->position = base + offset;
  s->fill = s->next = 0;
  f->pushed_back = EOF;
  f->eof = 0;
  return 0;
}

int __lp_host_setvbuf(FILE *f, int mode) {
  if (write_out(f) != 0) return -1;
  f->host->buffering = mode;
  return 0;
}

int __lp_host_remove(const char *path) {
  int r = lp_os_remove(path, strlen(path));
  return r < 0 ? fail(-r) : 0;
}

int __lp_host_rename(const char *from, const char *to) {
  int r = lp_os_rename(from, strlen(from), to, strlen(to));
  return r < 0 ? fail(-r) : 0;
}

/* A new empty file's name, made by the host as mkstemp makes one (so no other process
   can take the name between the call and the script's open). */
char *__lp_host_tmpnam(char *s) {
  static char name[L_tmpnam];
  char *out = s != NULL ? s : name;
  int n = lp_os_tmpname(out, L_tmpnam);
  if (n < 0 || n >= L_tmpnam) return NULL;
  out[n] = '\0';
  return out;
}

/* stdout and stderr are buffers in stdio.c, which the host drains when its call returns.
   The runner's module also lets them out during a call, to the host's handles 1 and 2, as
   a process's stdio would: stderr at each write, stdout when a buffer's worth is held, at
   each newline when the host's stdout is a terminal, at io.flush, and before a read of
   stdin (a prompt). Only right after an output point (src/lua_user/lua_user.h,
   output_gate.c): nothing leaves ahead of the writes before it. What the host does not take
   stays held and comes with the rest. */
static void let_out_stream(int stream) {
  size_t len, done = 0;
  const unsigned char *data = __lp_output_data(stream, &len);
  while (done < len) {
    int n = lp_os_file_write(stream == 1 ? STDOUT_HANDLE : STDERR_HANDLE, data + done,
                             len - done, -1);
    if (n <= 0 || (size_t)n > len - done) break;
    done += (size_t)n;
  }
  __lp_output_consume(stream, done);
}

int __lp_host_output_held(void) {
  size_t out, err;
  __lp_output_data(1, &out);
  __lp_output_data(2, &err);
  return out + err > 0;
}

void __lp_let_out(FILE *f, int flushing) {
  static int stdout_is_terminal = -1;
  if (f == stderr) {
    let_out_stream(2);
  } else if (f == stdout) {
    size_t len;
    const unsigned char *data = __lp_output_data(1, &len);
    if (stdout_is_terminal < 0) stdout_is_terminal = lp_os_isatty(STDOUT_HANDLE) > 0;
    if (flushing || len >= BUFFER_SIZE || (stdout_is_terminal && memchr(data, '\n', len) != NULL))
      let_out_stream(1);
  }
}

/* A new file open to update, removed at once (a POSIX host keeps it until it is closed). */
FILE *__lp_host_tmpfile(void) {
  char name[L_tmpnam];
  if (__lp_host_tmpnam(name) == NULL) {
    errno = EIO;
    return NULL;
  }
  FILE *f = __lp_host_fopen(name, "w+");
  __lp_host_remove(name);
  return f;
}

/* The value lives until the next call, as C allows. */
char *__lp_host_getenv(const char *name) {
  static char *value;
  static size_t cap;
  size_t name_len = strlen(name);
  for (;;) {
    int n = lp_os_getenv(name, name_len, value, cap);
    if (n < 0) return NULL;
    if ((size_t)n < cap) {
      value[n] = '\0';
      return value;
    }
    char *grown = realloc(value, (size_t)n + 1);
    if (grown == NULL) return NULL;
    value = grown;
    cap = (size_t)n + 1;
  }
}
