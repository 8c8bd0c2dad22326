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

/// The `-shm` file's first page, mapped read-only, and the file, open for the rest of the
/// process: one per `-shm` file (by device and inode), shared by every store on it.
///
/// The file is never closed: SQLite locks it with POSIX advisory locks, and closing any
/// descriptor of a file drops all of the process's locks on it, the other connections'
/// included (sqlite.org/howtocorrupt.html, 2.2). Another process would then take the file
/// for unused and reset it under us: a first version that mapped the file and closed it at
/// once lost increments and faulted (the reset truncates the file). While a connection of
/// this process holds its lock nobody resets or truncates the file, so the mapping stays
/// valid; a file deleted and made again (after every connection closed) is another inode,
/// and gets its own entry.
#[derive(Clone, Copy)]
pub struct WalChangeCounter {
    base: *const u8,
}

// SAFETY: the mapping is read-only, lives for the rest of the process and is not tied to a
// thread; it is only read with volatile loads.
unsafe impl Send for WalChangeCounter {}

/// The mapped files, by (device, inode).
static MAPPED_FILES: std::sync::Mutex<Vec<((u64, u64), usize)>> = std::sync::Mutex::new(Vec::new());

impl WalChangeCounter {
    /// The counter of the `-shm` file of the database at `db`; `None` when the file is
    /// missing or shorter than a page (SQLite makes it when a connection first reads in WAL
    /// mode, and grows it in 32 KiB steps), or cannot be mapped.
    pub fn open(db: &Path) -> Option<WalChangeCounter> {
        use std::os::unix::fs::MetadataExt;
        use std::os::unix::io::IntoRawFd;
        let mut shm = db.as_os_str().to_owned();
        shm.push("-shm");
        let mut mapped = MAPPED_FILES.lock().ok()?;
        let meta = std::fs::metadata(&shm).ok()?;
        let id = (meta.dev(), meta.ino());
        if let Some(&(_, base)) = mapped.iter().find(|(k, _)| *k == id) {
            // (0: the file could not be mapped; it is not opened again.)
            return (base != 0).then_some(WalChangeCounter {
                base: base as *const u8,
            });
        }
        if meta.len() < MAPPED as u64 {
            return None;
        }
        let file = std::fs::File::open(&shm).ok()?;
        // Kept open for the rest of the process (see above): from here on a raw descriptor.
        let fd = file.into_raw_fd();
        // SAFETY: a fresh read-only shared mapping of a file at least MAPPED bytes long.
        let base = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                MAPPED,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            mapped.push((id, 0)); // the descriptor stays open, as it must
            return None;
        }
        mapped.push((id, base as usize));
        Some(WalChangeCounter {
            base: base as *const u8,
        })
    }

    /// The counter now.
    pub fn read(&self) -> u32 {
        // SAFETY: the mapping is MAPPED bytes long, aligned to a page and never unmapped;
        // iChange is an aligned u32 that other processes store whole.
        unsafe { core::ptr::read_volatile(self.base.add(ICHANGE_OFFSET) as *const u32) }
    }
}
