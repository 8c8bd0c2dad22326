//! The durable store: SQLite (compiled in by `rusqlite`'s "bundled" feature) in WAL mode.
//! Every acknowledged write is committed; with [`Durability::Full`] (the default) it is
//! also synced to disk, so it survives a crash of the process or of the machine.
//!
//! The file is marked as ours with SQLite's `application_id` ("LPST") and carries its
//! format version in `user_version`; any other file is refused and never written to.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use std::collections::BTreeMap;

use super::collect::{decode_ids, encode_ids, judge, roots, Collection, Graph};
use super::{DamagedEntry, ExtStore, StoreError, Write, FIRST_NEW_TABLE_ID};
use crate::format::DeserializeOptions;
use crate::format_walker::walk;
use crate::trust::{resign_legacy, SignedPlace};

/// `PRAGMA application_id` of a lua-persist store: "LPST".
const APPLICATION_ID: i32 = i32::from_be_bytes(*b"LPST");
/// `PRAGMA user_version` of the layout this build reads and writes. Version 2 added the
/// tables of the collector's protocol (`clients`, `condemned`); a version-1 store is
/// upgraded when opened, and a build that reads only version 1 then refuses it, so that a
/// process that does not register with the collector never shares a store with one.
pub const STORE_FORMAT_VERSION: i32 = 2;
/// The condition every entry of ours meets; rows that fail it were written by another
/// program (or damaged) and are left out of listings, one by one (`damaged_entries`).
const WELL_FORMED: &str = "typeof(table_id) = 'integer' AND table_id BETWEEN 1 AND 4294967295 \
     AND typeof(key) = 'blob' AND length(key) > 0 AND typeof(value) = 'blob'";
/// How many table ids a state reserves at a time (one committed write per block).
const ID_BLOCK: u32 = 64;
/// How long a write waits for another process's write before it gives up.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
    CREATE TABLE entries (
        table_id INTEGER NOT NULL,
        key BLOB NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (table_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
";

/// What version 2 adds (README "Reclaiming space"): every open store is a client with a
/// lock file while it lives; a collection condemns unreachable tables and removes them once
/// every other live client has published what it holds since.
const SCHEMA_V2: &str = "
    CREATE TABLE clients (
        client_id INTEGER PRIMARY KEY AUTOINCREMENT,
        pid INTEGER NOT NULL,
        block_start INTEGER NOT NULL DEFAULT 0,
        block_end INTEGER NOT NULL DEFAULT 0,
        seen_epoch INTEGER NOT NULL DEFAULT 0,
        held BLOB NOT NULL DEFAULT x''
    );
    CREATE TABLE condemned (table_id INTEGER PRIMARY KEY, epoch INTEGER NOT NULL);
    INSERT INTO counters VALUES ('collect_epoch', 0);
";

/// What a write waits for before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Synced to disk (`synchronous = FULL`): survives a crash of the machine.
    #[default]
    Full,
    /// Committed to the write-ahead log without a sync (`synchronous = NORMAL`): survives a
    /// crash of the process; the last writes may be lost when the machine loses power.
    Process,
}

/// Why a store file could not be opened. The file is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum SqliteOpenError {
    #[error("{path}: not a lua-persist store ({why}); it was not changed")]
    NotAStore { path: PathBuf, why: String },
    #[error("{path}: store format version {found} is not supported (this build reads version {STORE_FORMAT_VERSION}); it was not changed")]
    UnsupportedVersion { path: PathBuf, found: i32 },
    #[error("{path}: the store is locked by another process (waited {waited:?})")]
    Busy { path: PathBuf, waited: Duration },
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// External tables in an SQLite file. Several processes may use one file: reads see what
/// others committed, and writes wait for each other (up to the busy timeout).
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    busy_timeout: Duration,
    /// A lower bound of the stored next free id (it never goes down), so that most writes
    /// need no counter update.
    known_next_id: u32,
    /// This store's row in `clients` and the lock file that shows it is alive.
    client: Client,
    /// Inside an atomic block ([`ExtStore::begin_exclusive`]): one write transaction is
    /// open, and the store's own transactions become savepoints inside it.
    in_block: bool,
    /// The file's change counter in its `-shm` file, once mapped (see [`ExtStore::version`]).
    change_counter: Option<super::wal_counter::WalChangeCounter>,
    /// `known_next_id` when the atomic block began: a rolled-back block's id reservations
    /// are undone in the file, so the bound goes back too.
    known_next_id_before_block: u32,
}

/// A registered client: its id, and its lock file, locked while the store is open. A
/// process that dies releases the lock, so other processes can tell it is gone.
struct Client {
    id: i64,
    lock_path: PathBuf,
    _lock: std::fs::File,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens the store at `path`, creating it when the file does not exist (or is empty).
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, SqliteOpenError> {
        Self::open_with(path, Durability::default(), DEFAULT_BUSY_TIMEOUT)
    }

    /// [`open`](Self::open) with a durability level and the time a write waits for another
    /// process's write.
    pub fn open_with(
        path: impl AsRef<Path>,
        durability: Durability,
        busy_timeout: Duration,
    ) -> Result<SqliteStore, SqliteOpenError> {
        let path = path.as_ref().to_path_buf();
        let fail = |source: rusqlite::Error| classify_open_error(&path, busy_timeout, source);
        if path.is_dir() {
            return Err(SqliteOpenError::NotAStore {
                path,
                why: "it is a directory".into(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(fail)?;
        conn.busy_timeout(busy_timeout).map_err(fail)?;
        // Reading the header is the first access: a file that is not SQLite fails here,
        // before anything could be written.
        let application_id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(fail)?;
        if application_id != APPLICATION_ID {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(fail)?;
            // Checked again inside the write lock: another process may have just created it.
            let (application_id, objects, user_version) = header_facts(&tx).map_err(fail)?;
            if application_id != APPLICATION_ID {
                if objects != 0 || user_version != 0 || application_id != 0 {
                    return Err(SqliteOpenError::NotAStore {
                        path,
                        why: "an SQLite database of another program".into(),
                    });
                }
                tx.execute_batch(SCHEMA).map_err(fail)?;
                tx.execute_batch(SCHEMA_V2).map_err(fail)?;
                tx.execute(
                    "INSERT INTO counters VALUES ('next_free_id', ?1)",
                    [FIRST_NEW_TABLE_ID],
                )
                .map_err(fail)?;
                tx.pragma_update(None, "application_id", APPLICATION_ID)
                    .map_err(fail)?;
                tx.pragma_update(None, "user_version", STORE_FORMAT_VERSION)
                    .map_err(fail)?;
            }
            tx.commit().map_err(fail)?;
        }
        let mut version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(fail)?;
        if version == 1 {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(fail)?;
            // Checked again inside the write lock: another process may have upgraded it.
            version = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(fail)?;
            if version == 1 {
                tx.execute_batch(SCHEMA_V2).map_err(fail)?;
                // Version 1 signed values without their place: the runner, which has the key,
                // signs them again (`resign_pending`).
                tx.execute("INSERT INTO counters VALUES ('resign_pending', 1)", [])
                    .map_err(fail)?;
                tx.pragma_update(None, "user_version", STORE_FORMAT_VERSION)
                    .map_err(fail)?;
                version = STORE_FORMAT_VERSION;
            }
            tx.commit().map_err(fail)?;
        }
        if version != STORE_FORMAT_VERSION {
            return Err(SqliteOpenError::UnsupportedVersion {
                path,
                found: version,
            });
        }
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(SqliteOpenError::NotAStore {
                path,
                why: format!("its journal mode stays {mode:?}, not WAL"),
            });
        }
        let synchronous = match durability {
            Durability::Full => "FULL",
            Durability::Process => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(fail)?;
        let client = register_client(&mut conn, &path).map_err(fail)?;
        let mut store = SqliteStore {
            conn,
            path,
            busy_timeout,
            in_block: false,
            change_counter: None,
            known_next_id_before_block: 0,
            known_next_id: 1,
            client,
        };
        store.known_next_id = store
            .next_free_id()
            .map_err(|e| SqliteOpenError::NotAStore {
                path: store.path.clone(),
                why: e.0,
            })?;
        Ok(store)
    }

    /// The file this store is in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A store of format 1 signed values without their place (table and key). Once, after
    /// the upgrade to format 2, every value signed that way with `key` is signed again for
    /// where it is stored, in one transaction; returns how many. Values signed with another
    /// key stay as they are (they did not load before either). Hosts that open stores under
    /// the policy "authenticate" call this with their key after opening.
    pub fn resign_legacy_values(&mut self, key: &[u8]) -> Result<usize, StoreError> {
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let pending: i64 = tx.query_row(
                "SELECT count(*) FROM counters WHERE name = 'resign_pending'",
                [],
                |r| r.get(0),
            )?;
            if pending == 0 {
                return Ok(0);
            }
            let rows: Vec<(u32, Vec<u8>, Vec<u8>)> = tx
                .prepare(&format!(
                    "SELECT table_id, key, value FROM entries WHERE {WELL_FORMED}"
                ))?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut resigned = 0;
            for (table_id, entry_key, value) in rows {
                let place = SignedPlace::Entry {
                    table_id,
                    key: &entry_key,
                };
                if let Some(value) = resign_legacy(key, place, &value) {
                    Self::apply(
                        &tx,
                        &Write {
                            id: table_id,
                            key: &entry_key,
                            value: Some(&value),
                        },
                    )?;
                    resigned += 1;
                }
            }
            tx.execute("DELETE FROM counters WHERE name = 'resign_pending'", [])?;
            tx.commit()?;
            Ok(resigned)
        })();
        result.map_err(|e| self.error(e))
    }

    fn error(&self, e: rusqlite::Error) -> StoreError {
        if is_busy(&e) {
            return StoreError(format!(
                "the store {} is locked by another process (waited {:?})",
                self.path.display(),
                self.busy_timeout
            ));
        }
        StoreError(format!("store {}: {e}", self.path.display()))
    }

    /// Runs `body` in a write transaction that commits when it returns `Ok`: its own
    /// (`BEGIN IMMEDIATE`, waiting for other writers up to the busy timeout), or inside an
    /// atomic block a savepoint of the block's transaction.
    fn write_transaction<T>(
        &mut self,
        body: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        if self.in_block {
            let savepoint = self.conn.savepoint()?;
            let value = body(&savepoint)?;
            savepoint.commit()?;
            Ok(value)
        } else {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = body(&tx)?;
            tx.commit()?;
            Ok(value)
        }
    }

    /// Raises the stored next free id to `next` inside the caller's transaction.
    fn raise_next_id(conn: &Connection, next: u32) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "UPDATE counters SET value = ?1 WHERE name = 'next_free_id' AND value < ?1",
        )?
        .execute([next])?;
        Ok(())
    }

    fn apply(conn: &Connection, w: &Write) -> rusqlite::Result<()> {
        match w.value {
            Some(value) => conn
                .prepare_cached(
                    "INSERT INTO entries (table_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (table_id, key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![w.id, w.key, value]),
            None => conn
                .prepare_cached("DELETE FROM entries WHERE table_id = ?1 AND key = ?2")?
                .execute(params![w.id, w.key]),
        }
        .map(drop)
    }
}

/// Where the clients' lock files are: beside the store, as SQLite's `-wal` and `-shm`.
fn clients_dir(path: &Path) -> PathBuf {
    let mut dir = path.as_os_str().to_owned();
    dir.push("-clients");
    PathBuf::from(dir)
}

/// Adds this store to `clients` and locks its lock file, in one write transaction: a
/// collector, which takes the write lock too, never sees the row without the lock held.
fn register_client(conn: &mut Connection, path: &Path) -> rusqlite::Result<Client> {
    let as_sqlite = |e: std::io::Error| {
        rusqlite::Error::ToSqlConversionFailure(
            format!(
                "cannot lock this process's file in {}: {e}",
                clients_dir(path).display()
            )
            .into(),
        )
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO clients (pid) VALUES (?1)",
        [std::process::id()],
    )?;
    let id = tx.last_insert_rowid();
    let dir = clients_dir(path);
    std::fs::create_dir_all(&dir).map_err(as_sqlite)?;
    let lock_path = dir.join(id.to_string());
    let lock = std::fs::File::create(&lock_path).map_err(as_sqlite)?;
    lock.try_lock()
        .map_err(|e| as_sqlite(std::io::Error::other(e.to_string())))?;
    tx.commit()?;
    Ok(Client {
        id,
        lock_path,
        _lock: lock,
    })
}

/// Whether the client `id` (another store, in this or another process) is still open: its
/// lock file is locked. A client whose file is missing or unlocked is gone.
fn client_alive(dir: &Path, id: i64) -> bool {
    match std::fs::File::open(dir.join(id.to_string())) {
        Ok(file) => matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

fn header_facts(conn: &Connection) -> rusqlite::Result<(i32, i64, i32)> {
    let application_id = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let objects = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let user_version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok((application_id, objects, user_version))
}

/// A failed allocation, inside a closure that returns SQLite's errors.
fn to_sqlite_error(e: crate::fallible::AllocError) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// SQLite's own name of a storage class, as `typeof()` gives it.
fn sql_type_name(t: rusqlite::types::Type) -> &'static str {
    use rusqlite::types::Type;
    match t {
        Type::Null => "null",
        Type::Integer => "integer",
        Type::Real => "real",
        Type::Text => "text",
        Type::Blob => "blob",
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn classify_open_error(path: &Path, waited: Duration, source: rusqlite::Error) -> SqliteOpenError {
    let path = path.to_path_buf();
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => SqliteOpenError::NotAStore {
            path,
            why: "the file is not an SQLite database".into(),
        },
        _ if is_busy(&source) => SqliteOpenError::Busy { path, waited },
        _ => SqliteOpenError::Sqlite { path, source },
    }
}

impl ExtStore for SqliteStore {
    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.write_batch(&[Write {
            id,
            key,
            value: Some(value),
        }])
    }

    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        // Read as any SQLite type, so that a value another program wrote as TEXT or a
        // number is refused for this key alone, with a message that says so.
        let result = self
            .conn
            .prepare_cached("SELECT value FROM entries WHERE table_id = ?1 AND key = ?2")
            .and_then(|mut s| {
                s.query_row(params![id, key], |r| {
                    Ok(match r.get_ref(0)? {
                        ValueRef::Blob(bytes) => Ok(bytes.to_vec()),
                        other => Err(sql_type_name(other.data_type())),
                    })
                })
                .optional()
            });
        match result.map_err(|e| self.error(e))? {
            None => Ok(None),
            Some(Ok(value)) => Ok(Some(value)),
            Some(Err(found)) => Err(StoreError(format!(
                "store {}: the value of table {id} key {:?} is stored as {found}, not as bytes (written by another program?)",
                self.path.display(),
                String::from_utf8_lossy(key)
            ))),
        }
    }

    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError> {
        self.write_batch(&[Write {
            id,
            key,
            value: None,
        }])
    }

    fn size(&mut self, id: u32) -> Result<usize, StoreError> {
        let result = self
            .conn
            .prepare_cached("SELECT count(*) FROM entries WHERE table_id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get::<_, i64>(0)));
        result.map(|n| n as usize).map_err(|e| self.error(e))
    }

    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        let result = self
            .conn
            .prepare_cached(&format!(
                "SELECT key FROM entries WHERE table_id = ?1 AND {WELL_FORMED} ORDER BY key"
            ))
            .and_then(|mut s| {
                s.query_map([id], |r| r.get::<_, Vec<u8>>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            });
        result.map_err(|e| self.error(e))
    }

    fn next_free_id(&mut self) -> Result<u32, StoreError> {
        let result = self
            .conn
            .prepare_cached("SELECT value FROM counters WHERE name = 'next_free_id'")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, u32>(0)));
        // A store made before ids 1 and 2 were reserved may still say 1.
        let next = result.map_err(|e| self.error(e))?.max(FIRST_NEW_TABLE_ID);
        self.known_next_id = self.known_next_id.max(next);
        Ok(next)
    }

    fn table_ids(&mut self) -> Result<Vec<u32>, StoreError> {
        let result = self
            .conn
            .prepare_cached(&format!(
                "SELECT DISTINCT table_id FROM entries WHERE {WELL_FORMED} ORDER BY table_id"
            ))
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, u32>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            });
        result.map_err(|e| self.error(e))
    }

    fn publish_held(&mut self, held: &[u32]) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE clients SET held = ?1,
                 seen_epoch = (SELECT value FROM counters WHERE name = 'collect_epoch')
                 WHERE client_id = ?2",
            )
            .and_then(|mut s| s.execute(params![encode_ids(held), self.client.id]))
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// The collection for a store shared by processes, in one write transaction (README
    /// "Reclaiming space"). Roots: `_home`, `_io`, `held`, this store's id block, and every
    /// live client's published held ids and id block. An unreachable table is condemned
    /// with the collection's epoch and removed only when every other live client has
    /// published what it holds at or after that epoch: a client can only come to hold an
    /// unreachable table through tables it already held, which its publication names.
    fn collect(&mut self, held: &[u32]) -> Result<Collection, StoreError> {
        let dir = clients_dir(&self.path);
        let me = self.client.id;
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let epoch: i64 = tx.query_row(
                "UPDATE counters SET value = value + 1 WHERE name = 'collect_epoch' RETURNING value",
                [],
                |r| r.get(0),
            )?;
            // The other clients: the dead are removed, the live give roots.
            let mut roots = roots(held).map_err(to_sqlite_error)?;
            let mut blocks = Vec::new();
            let mut others_seen = i64::MAX;
            let clients: Vec<(i64, u32, u32, i64, Vec<u8>)> = tx
                .prepare("SELECT client_id, block_start, block_end, seen_epoch, held FROM clients")?
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            for (id, block_start, block_end, seen_epoch, held) in clients {
                if id != me && !client_alive(&dir, id) {
                    tx.execute("DELETE FROM clients WHERE client_id = ?1", [id])?;
                    let _ = std::fs::remove_file(dir.join(id.to_string()));
                    continue;
                }
                blocks.push((block_start, block_end));
                if id != me {
                    roots.extend(decode_ids(&held));
                    others_seen = others_seen.min(seen_epoch);
                }
            }
            tx.execute(
                "UPDATE clients SET held = ?1, seen_epoch = ?2 WHERE client_id = ?3",
                params![encode_ids(held), epoch, me],
            )?;
            let mut graph = Graph::default();
            {
                let mut rows = tx.prepare(&format!(
                    "SELECT table_id, value FROM entries WHERE {WELL_FORMED} ORDER BY table_id"
                ))?;
                let mut rows = rows.query([])?;
                while let Some(row) = rows.next()? {
                    let id: u32 = row.get(0)?;
                    if let ValueRef::Blob(value) = row.get_ref(1)? {
                        graph.add_value(id, value).map_err(to_sqlite_error)?;
                    }
                }
            }
            let unreadable_values = graph.unreadable_values;
            let marked = graph.mark(roots, &blocks).map_err(to_sqlite_error)?;
            let condemned: BTreeMap<u32, i64> = tx
                .prepare("SELECT table_id, epoch FROM condemned")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let verdicts = judge(&marked, &condemned, epoch, others_seen);
            let mut report = Collection {
                unreadable_values,
                live_tables: verdicts.live_tables,
                removed_tables: verdicts.remove.len(),
                deferred_tables: verdicts.condemn.len(),
                ..Collection::default()
            };
            for id in &verdicts.remove {
                report.removed_entries +=
                    tx.execute("DELETE FROM entries WHERE table_id = ?1", [id])?;
            }
            for id in &verdicts.condemn {
                tx.execute(
                    "INSERT OR IGNORE INTO condemned VALUES (?1, ?2)",
                    params![id, epoch],
                )?;
            }
            for id in &verdicts.acquit {
                tx.execute("DELETE FROM condemned WHERE table_id = ?1", [id])?;
            }
            tx.commit()?;
            Ok(report)
        })();
        result.map_err(|e| self.error(e))
    }

    fn damaged_entries(&mut self) -> Result<Vec<DamagedEntry>, StoreError> {
        let result = self
            .conn
            .prepare_cached(&format!(
                "SELECT table_id, key, typeof(table_id), typeof(key), typeof(value)
                 FROM entries WHERE NOT ({WELL_FORMED})"
            ))
            .and_then(|mut s| {
                s.query_map([], |r| {
                    let table_id = match r.get_ref(0)? {
                        ValueRef::Integer(i) => Some(i),
                        _ => None,
                    };
                    let key = match r.get_ref(1)? {
                        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
                        other => format!("{other:?}").into_bytes(),
                    };
                    let (id_type, key_type, value_type): (String, String, String) =
                        (r.get(2)?, r.get(3)?, r.get(4)?);
                    let why =
                        if let Some(id) = table_id.filter(|&i| i < 1 || i > i64::from(u32::MAX)) {
                            format!("the table id {id} is not from 1 to {}", u32::MAX)
                        } else if id_type != "integer" {
                            format!("the table id is stored as {id_type}, not as an integer")
                        } else if key_type != "blob" {
                            format!("the key is stored as {key_type}, not as bytes")
                        } else if key.is_empty() {
                            "the key is empty".to_string()
                        } else {
                            format!("the value is stored as {value_type}, not as bytes")
                        };
                    Ok(DamagedEntry { table_id, key, why })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            });
        result.map_err(|e| self.error(e))
    }

    fn reserve_ids(&mut self, next_free_id: u32) -> Result<(), StoreError> {
        Self::raise_next_id(&self.conn, next_free_id).map_err(|e| self.error(e))?;
        self.known_next_id = self.known_next_id.max(next_free_id);
        Ok(())
    }

    fn reserve_id_block(&mut self) -> Result<Option<core::ops::Range<u32>>, StoreError> {
        let client = self.client.id;
        let result = self.write_transaction(|tx| {
            let stored: u32 = tx.query_row(
                "SELECT value FROM counters WHERE name = 'next_free_id'",
                [],
                |r| r.get(0),
            )?;
            let first = stored.max(FIRST_NEW_TABLE_ID);
            let end = first.checked_add(ID_BLOCK).ok_or_else(|| {
                rusqlite::Error::ToSqlConversionFailure("external table ids are exhausted".into())
            })?;
            Self::raise_next_id(tx, end)?;
            // Collectors keep the block: this state may make tables there at any time.
            tx.execute(
                "UPDATE clients SET block_start = ?1, block_end = ?2 WHERE client_id = ?3",
                params![first, end, client],
            )?;
            Ok((first, end))
        });
        let (first, end) = result.map_err(|e| self.error(e))?;
        self.known_next_id = self.known_next_id.max(end);
        Ok(Some(first..end))
    }

    /// `BEGIN IMMEDIATE`: the block's reads see one state of the file, and other processes'
    /// writes wait (up to the busy timeout) until it ends.
    fn begin_exclusive(&mut self) -> Result<(), StoreError> {
        if self.in_block {
            return Err(StoreError("an atomic block is already open".into()));
        }
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.error(e))?;
        self.in_block = true;
        self.known_next_id_before_block = self.known_next_id;
        Ok(())
    }

    /// `COMMIT` (synced before it returns) or `ROLLBACK`.
    fn end_exclusive(&mut self, commit: bool) -> Result<(), StoreError> {
        if !self.in_block {
            return Err(StoreError("no atomic block is open".into()));
        }
        let result = if commit {
            self.conn.execute_batch("COMMIT")
        } else {
            self.conn.execute_batch("ROLLBACK")
        };
        if result.is_err() || !commit {
            // A failed COMMIT leaves the transaction open (SQLite): roll it back, so that
            // nothing of the block is stored and the connection is usable again.
            let _ = self.conn.execute_batch("ROLLBACK");
            self.known_next_id = self.known_next_id_before_block;
        }
        self.in_block = false;
        result.map_err(|e| self.error(e))
    }

    fn ends_undo(&self) -> bool {
        true
    }

    /// The wal-index change counter in the `-shm` file (a memory read; see `wal_counter`),
    /// else `PRAGMA data_version` (a read transaction). Either changes when another
    /// connection commits; the first also for this connection's own commits, which only
    /// costs the caller a cache refill.
    fn version(&mut self) -> Result<Option<u64>, StoreError> {
        if self.change_counter.is_none() {
            self.change_counter = super::wal_counter::WalChangeCounter::open(&self.path);
        }
        if let Some(counter) = &self.change_counter {
            return Ok(Some(u64::from(counter.read())));
        }
        self.conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .map(|v| Some(v as u64))
            .map_err(|e| self.error(e))
    }

    /// One transaction: all writes or none, committed (and synced) before it returns.
    fn write_batch(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        let needed_next = writes
            .iter()
            .filter(|w| w.value.is_some())
            .map(|w| w.id.saturating_add(1))
            .max()
            .unwrap_or(0);
        let raise = needed_next > self.known_next_id;
        // A table that a value names again is no longer condemned (a process that held it
        // linked it back; see `collect`).
        let mut linked = Vec::new();
        for w in writes {
            if let Some(value) = w.value {
                if let Ok(walked) = walk(value, &DeserializeOptions::default()) {
                    linked.extend(walked.table_refs);
                }
            }
        }
        let result = if writes.len() == 1 && !raise && linked.is_empty() {
            // One statement is its own transaction (or part of the block's).
            Self::apply(&self.conn, &writes[0])
        } else {
            self.write_transaction(|tx| {
                for w in writes {
                    Self::apply(tx, w)?;
                }
                if raise {
                    Self::raise_next_id(tx, needed_next)?;
                }
                for id in &linked {
                    tx.prepare_cached("DELETE FROM condemned WHERE table_id = ?1")?
                        .execute([id])?;
                }
                Ok(())
            })
        };
        result.map_err(|e| self.error(e))?;
        self.known_next_id = self.known_next_id.max(needed_next);
        Ok(())
    }
}

impl Drop for SqliteStore {
    /// Leaves the clients: the row goes (best effort: a busy store keeps it until a collector
    /// finds the lock file unlocked), then the lock file.
    fn drop(&mut self) {
        let _ = self
            .conn
            .execute("DELETE FROM clients WHERE client_id = ?1", [self.client.id]);
        let _ = std::fs::remove_file(&self.client.lock_path);
    }
}
