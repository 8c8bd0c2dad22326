/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist).
   stdout and stderr write into buffers the host drains; stdin reads what the host gave;
   fopen opens the files the host put, and in the runner's module the host's files
   (wasm/libc/stdio.c says how). */
#ifndef _LP_STDIO_H
#define _LP_STDIO_H
#include <stddef.h>
#include <stdarg.h>
typedef struct __lp_file FILE;
extern FILE *const stdin, *const stdout, *const stderr;
#define stdin stdin
#define stdout stdout
#define stderr stderr
#define EOF (-1)
#define BUFSIZ 1024
#define L_tmpnam 256 /* the host names the file: its temporary directory may be long */
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
FILE *fopen(const char *path, const char *mode);
FILE *freopen(const char *path, const char *mode, FILE *f);
FILE *tmpfile(void);
int fclose(FILE *f);
int fflush(FILE *f);
size_t fread(void *ptr, size_t size, size_t n, FILE *f);
size_t fwrite(const void *ptr, size_t size, size_t n, FILE *f);
int fputs(const char *s, FILE *f);
int fputc(int c, FILE *f);
int putchar(int c);
int getc(FILE *f);
int fgetc(FILE *f);
int ungetc(int c, FILE *f);
char *fgets(char *s, int n, FILE *f);
int feof(FILE *f);
int ferror(FILE *f);
void clearerr(FILE *f);
int fseek(FILE *f, long off, int whence);
long ftell(FILE *f);
int setvbuf(FILE *f, char *buf, int mode, size_t size);
int remove(const char *path);
int rename(const char *from, const char *to);
char *tmpnam(char *s);
int printf(const char *fmt, ...);
int fprintf(FILE *f, const char *fmt, ...);
int sprintf(char *s, const char *fmt, ...);
int snprintf(char *s, size_t n, const char *fmt, ...);
int vsnprintf(char *s, size_t n, const char *fmt, va_list ap);
int vfprintf(FILE *f, const char *fmt, va_list ap);
#endif
