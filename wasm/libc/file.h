/* The FILE of our wasm libc (stdio.c), and the host-file streams of the runner's module
   (host_files.c, only with LP_HOST_FILES). */
#ifndef LP_FILE_H
#define LP_FILE_H
#include <stddef.h>
#include <stdio.h>

/* The kind of stream, in __lp_file.output. */
enum { MEMORY_INPUT = 0, STDOUT_BUFFER = 1, STDERR_BUFFER = 2, HOST_FILE = 3 };

struct __lp_file {
  int output;                 /* one of the kinds above */
  const unsigned char *data;  /* MEMORY_INPUT: the bytes (not owned) */
  size_t len, pos;
  int pushed_back;            /* ungetc's byte, or EOF */
  int eof, error;
  struct host_stream *host;   /* HOST_FILE: the host's file and its buffer */
};

#ifdef LP_HOST_FILES
/* stdin: the host's handle 0, read where it stands (a pipe or a terminal has no position). */
extern struct host_stream __lp_host_stdin;
/* Each sets errno and returns NULL, EOF or -1 on failure, as its stdio namesake. */
FILE *__lp_host_fopen(const char *path, const char *mode);
int __lp_host_getc(FILE *f);
size_t __lp_host_write(FILE *f, const unsigned char *p, size_t n);
int __lp_host_flush(FILE *f); /* NULL: every open host file */
int __lp_host_close(FILE *f);
int __lp_host_seek(FILE *f, long long offset, int whence);
long long __lp_host_tell(FILE *f);
int __lp_host_setvbuf(FILE *f, int mode);
int __lp_host_remove(const char *path);
int __lp_host_rename(const char *from, const char *to);
char *__lp_host_tmpnam(char *s);
FILE *__lp_host_tmpfile(void);
char *__lp_host_getenv(const char *name);
/* stdio.c: the output held for the host (stream 1 stdout, 2 stderr), and dropping what the
   host took of it. */
const unsigned char *__lp_output_data(int stream, size_t *len);
void __lp_output_consume(int stream, size_t n);
#endif
#endif
