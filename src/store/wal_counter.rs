//! The change counter of an SQLite database in WAL mode, read from shared memory: the
//! wal-index header at the start of the `-shm` file holds `iChange`, "incremented with each
//! transaction" that any connection commits (sqlite.org/walformat.html, section 2.1; SQLite
//! writes the header's second copy, a barrier, then the first, which is the one read here).
//! Mapped read-only, it tells in one memory read whether another process has committed
//! since a value was read, where `PRAGMA data_version` costs a read transaction (a few
//! microseconds): what lets `SqliteStore` keep a read cache at memory speed.

use std::path::Path;

/// Where `iChange` is: after `iVersion` and an unused word.
const ICHANGE_OFFSET: usize = 8;
/// The bytes mapped: the first wal-index page, with both header copies.
const MAPPED: usize = 4096;

/// The `-shm` file's first page, mapped read-only, and the file, open for as long as the
/// store's connection is open.
///
/// The file must not be closed before the connection: SQLite locks it with POSIX advisory
/// locks, and closing any descriptor of a file drops all of the process's locks on it
/// (sqlite.org/howtocorrupt.html, 2.2). Another process would then take the file for unused
/// and reset it under us: a first version that mapped the file and closed it at once lost
/// increments and faulted (the reset truncates the file). Held open, and dropped after the
/// connection (the store's field order), it is harmless, and while this process's
/// connection holds its lock nobody resets or truncates the file, so the mapping stays
/// valid.
pub struct WalChangeCounter {
    base: *const u8,
    _file: std::fs::File,
}

// SAFETY: the mapping is read-only, process-wide and not tied to a thread; it is only read
// with volatile loads.
unsafe impl Send for WalChangeCounter {}

impl WalChangeCounter {
    /// Maps the `-shm` file of the database at `db`; `None` when it is missing or shorter
    /// than a page (SQLite makes it when a connection first reads in WAL mode, and grows it
    /// in 32 KiB steps), or cannot be mapped.
    pub fn open(db: &Path) -> Option<WalChangeCounter> {
        use std::os::unix::io::AsRawFd;
        let mut shm = db.as_os_str().to_owned();
        shm.push("-shm");
        let file = std::fs::File::open(&shm).ok()?;
        let long_enough = file.metadata().ok()?.len() >= MAPPED as u64;
        // SAFETY: a fresh read-only shared mapping of a file at least MAPPED bytes long.
        let base = long_enough.then(|| unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                MAPPED,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        });
        // A file too short or not mappable stays open all the same: closing it now would
        // drop SQLite's locks (see above).
        match base {
            Some(base) if base != libc::MAP_FAILED => Some(WalChangeCounter {
                base: base as *const u8,
                _file: file,
            }),
            _ => {
                std::mem::forget(file);
                None
            }
        }
    }

    /// The counter now.
    pub fn read(&self) -> u32 {
        // SAFETY: the mapping is MAPPED bytes long and aligned to a page; iChange is an
        // aligned u32 that other processes store whole.
        unsafe { core::ptr::read_volatile(self.base.add(ICHANGE_OFFSET) as *const u32) }
    }
}

impl Drop for WalChangeCounter {
    fn drop(&mut self) {
        // SAFETY: the mapping made in open, unmapped once (the file closes after).
        unsafe { libc::munmap(self.base as *mut libc::c_void, MAPPED) };
    }
}
