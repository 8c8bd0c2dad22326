/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). Values follow Linux. */
#ifndef _LP_ERRNO_H
#define _LP_ERRNO_H
int *__lp_errno_location(void);
#define errno (*__lp_errno_location())
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define ENOMEM 12
#define EACCES 13
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENOTDIR 20
#define EISDIR 21
#define EMFILE 24
#define ENOSPC 28
#define EROFS 30
#define ENAMETOOLONG 36
#define ENOTEMPTY 39
#define ELOOP 40
#define EINVAL 22
#define ENOSYS 38
#define ERANGE 34
#define ESPIPE 29
#define EOVERFLOW 75
#define EDOM 33
#endif
