/* Minimal libc for Lua on wasm32-unknown-unknown (lua-persist). Values follow Linux. */
#ifndef _LP_ERRNO_H
#define _LP_ERRNO_H
int *__lp_errno_location(void);
#define errno (*__lp_errno_location())
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define EBADF 9
#define ENOMEM 12
#define EACCES 13
#define EINVAL 22
#define ENOSYS 38
#define ERANGE 34
#define ESPIPE 29
#define EOVERFLOW 75
#define EDOM 33
#endif
