// The imports of the runner's module (module "lp_os", docs/runner-module.md) implemented
// with Node's synchronous fs calls: the host's files and environment for Lua's io and os
// libraries, loadfile, dofile and require. cu's module does not import them.
//
// Every import returns -errno (Linux numbers, wasm/include/errno.h) instead of throwing;
// the module's wrappers would turn a throw into -EIO anyway. Handles are Node's file
// descriptors: reads and writes name their position (Node has no lseek), -1 meaning the
// descriptor's own (the end, for a file opened to append). Handles 0, 1 and 2 are this
// process's stdin, stdout and stderr: the module reads stdin when a script does, and
// before that writes out the output it held (docs/runner-module.md).
import { openSync, readSync, writeSync, fstatSync, closeSync, unlinkSync, rmdirSync,
  renameSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { isatty } from 'node:tty';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Node's error codes, as the module's errno numbers. */
const ERRNO = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EIO: 5, EBADF: 9, ENOMEM: 12, EACCES: 13, EBUSY: 16,
  EEXIST: 17, EXDEV: 18, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, ENOSPC: 28,
  ESPIPE: 29, EROFS: 30, ENAMETOOLONG: 36, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, EOVERFLOW: 75,
};
const EIO = 5;

/** Something to wait on for a moment (Atomics.wait), in the main thread too. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/** file_open's flags (wasm/libc/host_files.c). */
const OPEN_READ = 1, OPEN_WRITE = 2, OPEN_CREATE = 4, OPEN_TRUNCATE = 8, OPEN_APPEND = 16;

function errno(e) {
  return -(ERRNO[e?.code] ?? EIO);
}

/** Runs `io` again while it fails with EAGAIN: a standard input or output that another
 * program made non-blocking, with nothing to read or no room yet. */
function waitingOutEagain(io) {
  for (;;) {
    try {
      return io();
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/** Runs `body`, answering a thrown system error with -errno. */
function trying(body) {
  try {
    return body();
  } catch (e) {
    return errno(e);
  }
}

/**
 * The "lp_os" imports over Node's file system and `process.env`, for a module whose memory
 * `memory()` returns (once instantiated). Names are bytes in the module's memory, read as
 * UTF-8 (Lua's strings are bytes; a name that is not UTF-8 reaches Node with U+FFFD).
 * @param {() => WebAssembly.Memory} memory
 */
export function nodeOsImports(memory) {
  const bytes = (ptr, len) => new Uint8Array(memory().buffer, ptr, len);
  const text = (ptr, len) => Buffer.from(bytes(ptr, len)).toString('utf8');
  const position = (at) => (at < 0 ? null : at);
  /** Copies `value` into the module's buffer if it fits; its length either way. */
  const answer = (value, ptr, cap) => {
    const encoded = Buffer.from(value, 'utf8');
    if (encoded.length <= cap) bytes(ptr, cap).set(encoded);
    return encoded.length;
  };
  return {
    file_open(ptr, len, flags) {
      return trying(() => {
        const access = (flags & OPEN_READ) && (flags & OPEN_WRITE) ? constants.O_RDWR
          : flags & OPEN_WRITE ? constants.O_WRONLY : constants.O_RDONLY;
        const fd = openSync(text(ptr, len),
          access | (flags & OPEN_CREATE ? constants.O_CREAT : 0) |
          (flags & OPEN_TRUNCATE ? constants.O_TRUNC : 0) |
          (flags & OPEN_APPEND ? constants.O_APPEND : 0), 0o666);
        // C's fopen opens a directory to read (reads then fail with EISDIR); so does Node.
        return fd;
      });
    },
    file_read(fd, ptr, len, at) {
      return trying(() => waitingOutEagain(() => readSync(fd, bytes(ptr, len), 0, len, position(at))));
    },
    file_write(fd, ptr, len, at) {
      return trying(() => waitingOutEagain(() => writeSync(fd, bytes(ptr, len), 0, len, position(at))));
    },
    file_size(fd) {
      return trying(() => fstatSync(fd).size);
    },
    file_close(fd) {
      return trying(() => { closeSync(fd); return 0; });
    },
    remove(ptr, len) {
      // C's remove takes a file or an empty directory.
      return trying(() => {
        const name = text(ptr, len);
        try {
          unlinkSync(name);
        } catch (e) {
          if (e.code !== 'EISDIR' && e.code !== 'EPERM') throw e;
          rmdirSync(name);
        }
        return 0;
      });
    },
    rename(from, fromLen, to, toLen) {
      return trying(() => { renameSync(text(from, fromLen), text(to, toLen)); return 0; });
    },
    tmpname(ptr, cap) {
      // As mkstemp: the file is created here, empty, so no one else takes the name.
      return trying(() => {
        for (;;) {
          const name = join(tmpdir(), `lua_${randomBytes(6).toString('hex')}`);
          try {
            closeSync(openSync(name, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
          } catch (e) {
            if (e.code === 'EEXIST') continue;
            throw e;
          }
          const length = answer(name, ptr, cap);
          if (length > cap) {
            unlinkSync(name);
            return -ERRNO.ENAMETOOLONG;
          }
          return length;
        }
      });
    },
    isatty(fd) {
      return isatty(fd) ? 1 : 0;
    },
    getenv(ptr, len, buf, cap) {
      const value = process.env[text(ptr, len)];
      return value === undefined ? -1 : answer(value, buf, cap);
    },
  };
}
