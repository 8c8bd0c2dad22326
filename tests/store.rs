//! The stores behind external tables: `MemoryStore` and `SqliteStore` behave alike, the
//! SQLite file is durable and refuses files that are not stores, and store dumps round-trip
//! and reject damage.

use lua_persist::store::dump::{Dump, DumpEntry, DumpError};
use lua_persist::store::{
    Durability, ExtStore, MemoryStore, SqliteOpenError, SqliteStore, StoreError, Write,
};

#[path = "common/conformance.rs"]
mod conformance;
use conformance::conformance;

#[test]
fn memory_store_conforms() {
    conformance(&mut MemoryStore::new());
}

#[test]
fn sqlite_store_conforms_and_keeps_everything_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    conformance(&mut SqliteStore::open(&path).unwrap());
    let mut again = SqliteStore::open(&path).unwrap();
    assert_eq!(
        again.get(1, b"a").unwrap().as_deref(),
        Some(&b"\x01ONE"[..])
    );
    assert_eq!(again.get(7, b"x").unwrap().as_deref(), Some(&b"\x00"[..]));
    // 200 from reserve_ids, then table 205 written after a rolled-back block (conformance).
    assert_eq!(again.next_free_id().unwrap(), 206);
}

#[test]
fn sqlite_batches_are_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = SqliteStore::open(&path).unwrap();
    store.set(1, b"keep", b"\x01").unwrap();
    // (Opening registers the store with the collector: a write, so before the blocker.)
    let mut impatient = SqliteStore::open_with(
        &path,
        Durability::Full,
        std::time::Duration::from_millis(50),
    )
    .unwrap();
    // A second connection holds the write lock: the batch cannot commit and changes nothing.
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = impatient
        .write_batch(&[
            Write {
                id: 3,
                key: b"new",
                value: Some(b"\x02"),
            },
            Write {
                id: 1,
                key: b"keep",
                value: None,
            },
        ])
        .unwrap_err();
    assert!(err.0.contains("locked by another process"), "{err}");
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(
        impatient.get(1, b"keep").unwrap().as_deref(),
        Some(&b"\x01"[..])
    );
    assert_eq!(impatient.size(3).unwrap(), 0);
}

#[test]
fn files_that_are_not_stores_are_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"not a database, but precious").unwrap();
    let err = SqliteStore::open(&text).unwrap_err();
    assert!(matches!(err, SqliteOpenError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("not an SQLite database"), "{err}");
    assert_eq!(
        std::fs::read(&text).unwrap(),
        b"not a database, but precious"
    );

    let other = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    drop(conn);
    let before = std::fs::read(&other).unwrap();
    let err = SqliteStore::open(&other).unwrap_err();
    assert!(err.to_string().contains("another program"), "{err}");
    assert_eq!(std::fs::read(&other).unwrap(), before);

    let newer = dir.path().join("newer.db");
    drop(SqliteStore::open(&newer).unwrap());
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(conn);
    let before = std::fs::read(&newer).unwrap();
    let err = SqliteStore::open(&newer).unwrap_err();
    assert!(
        matches!(err, SqliteOpenError::UnsupportedVersion { found: 99, .. }),
        "{err}"
    );
    assert_eq!(std::fs::read(&newer).unwrap(), before, "not written to");

    let err = SqliteStore::open(dir.path()).unwrap_err();
    assert!(
        err.to_string().contains("is a directory") || err.to_string().contains("it is a directory"),
        "{err}"
    );
}

#[test]
fn store_errors_carry_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE entries").unwrap();
    let StoreError(message) = store.get(1, b"a").unwrap_err();
    assert!(message.contains("s.db"), "{message}");
}

fn sample_dump() -> Dump {
    Dump {
        next_free_id: 9,
        entries: vec![
            DumpEntry {
                table_id: 1,
                key: b"n".to_vec(),
                value: vec![2, 1, 0, 0, 0, 0, 0, 0, 0],
            },
            DumpEntry {
                table_id: 4,
                key: b"\x00\xff".to_vec(),
                value: vec![0x04, 0, 0, 0, 0],
            },
        ],
    }
}

#[test]
fn dumps_round_trip_through_bytes_files_and_stores() {
    let dump = sample_dump();
    assert_eq!(Dump::from_bytes(&dump.to_bytes()).unwrap(), dump);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.dump");
    dump.write_file(&file).unwrap();
    assert_eq!(Dump::read_file(&file).unwrap(), dump);

    let mut store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    dump.into_store(&mut store).unwrap();
    assert_eq!(store.next_free_id().unwrap(), 9);
    assert_eq!(Dump::from_store(&mut store).unwrap(), dump);

    let err = dump.into_store(&mut store).unwrap_err();
    assert!(
        matches!(err, DumpError::TargetNotEmpty { table_id: 1 }),
        "{err}"
    );
}

#[test]
fn damaged_dumps_are_refused_with_the_reason() {
    let bytes = sample_dump().to_bytes();
    assert!(matches!(
        Dump::from_bytes(b"SQLite format 3\0"),
        Err(DumpError::NotADump)
    ));
    let mut newer = bytes.clone();
    newer[8] = 2;
    assert!(matches!(
        Dump::from_bytes(&newer),
        Err(DumpError::UnsupportedVersion { found: 2 })
    ));
    for cut in 12..bytes.len() {
        let err = Dump::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(err, DumpError::Corrupt { .. }),
            "cut at {cut}: {err}"
        );
    }
    let mut flipped = bytes.clone();
    let last_value_byte = bytes.len() - 32 - 5 - 1;
    flipped[last_value_byte] ^= 1;
    assert!(matches!(
        Dump::from_bytes(&flipped),
        Err(DumpError::ChecksumMismatch)
    ));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Dump::from_bytes(&longer),
        Err(DumpError::Corrupt { .. })
    ));
}

/// FORMAT.md's `golden-dump` block: the dump bytes, whitespace-separated hex.
fn golden_dump_bytes() -> Vec<u8> {
    let spec = include_str!("../FORMAT.md");
    let start = spec
        .find("```golden-dump\n")
        .expect("FORMAT.md has a golden-dump block")
        + 15;
    let end = start + spec[start..].find("```").unwrap();
    let hex: String = spec[start..end].split_whitespace().collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn the_dump_layout_is_the_one_format_md_gives() {
    let dump = Dump {
        next_free_id: 5,
        entries: vec![
            DumpEntry {
                table_id: 1,
                key: b"n".to_vec(),
                value: vec![2, 42, 0, 0, 0, 0, 0, 0, 0],
            },
            DumpEntry {
                table_id: 3,
                key: b"1".to_vec(),
                value: vec![4, 2, 0, 0, 0, b'h', b'i'],
            },
        ],
    };
    assert_eq!(dump.to_bytes(), golden_dump_bytes());
    assert_eq!(Dump::from_bytes(&golden_dump_bytes()).unwrap(), dump);
}

/// A store that fails its `fail_at`-th set and uses the trait's default `write_batch`.
struct FailingStore {
    inner: MemoryStore,
    sets: usize,
    fail_at: usize,
}

impl ExtStore for FailingStore {
    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.sets += 1;
        if self.sets == self.fail_at {
            return Err(StoreError("disk full".into()));
        }
        self.inner.set(id, key, value)
    }
    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(id, key)
    }
    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError> {
        self.inner.delete(id, key)
    }
    fn size(&mut self, id: u32) -> Result<usize, StoreError> {
        self.inner.size(id)
    }
    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        self.inner.keys(id)
    }
    fn next_free_id(&mut self) -> Result<u32, StoreError> {
        self.inner.next_free_id()
    }
}

#[test]
fn the_default_batch_puts_back_what_it_replaced_when_a_write_fails() {
    let mut store = FailingStore {
        inner: MemoryStore::new(),
        sets: 0,
        fail_at: 4,
    };
    store.set(1, b"old", b"\x01").unwrap();
    store.set(1, b"gone", b"\x02").unwrap();
    let before = store.inner.clone();
    let err = store
        .write_batch(&[
            Write {
                id: 1,
                key: b"old",
                value: Some(b"\x09"),
            },
            Write {
                id: 1,
                key: b"gone",
                value: None,
            },
            Write {
                id: 2,
                key: b"new",
                value: Some(b"\x03"),
            }, // the 4th set: fails
        ])
        .unwrap_err();
    assert_eq!(err, StoreError("disk full".into()));
    assert_eq!(store.inner, before, "replaced and deleted values are back");
}

/// A store of format version 1 (before the collector) is upgraded when opened, keeping
/// everything; the upgrade happens once.
#[test]
fn a_version_1_store_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        store.set(1, b"kept", b"\x01").unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE clients; DROP TABLE condemned; \
         DELETE FROM counters WHERE name = 'collect_epoch'; PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let mut store = SqliteStore::open(&path).unwrap();
    let mut again = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.get(1, b"kept").unwrap().as_deref(),
        Some(&b"\x01"[..])
    );
    assert_eq!(again.collect(&[]).unwrap().live_tables, 1);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, lua_persist::store::STORE_FORMAT_VERSION);
}
