//! External tables on a PostgreSQL server (feature `postgres`), for runners on many
//! machines sharing one `_home`, with the semantics of [`super::SqliteStore`]: every
//! acknowledged write is committed (and, with the server's default `synchronous_commit`,
//! flushed to its WAL); atomic blocks see one state and exclude every other writer; new
//! tables come from id blocks that no two clients share; a collection removes only what no
//! live client can reach.
//!
//! Layout: everything lives in the schema `lua_persist` of one database:
//!
//! | object | what |
//! |---|---|
//! | `meta(name, value)` | `application` = `lua-persist`, `format_version` = [`PG_FORMAT_VERSION`] |
//! | `entries(table_id, key, value)` | the values; ids 1 to 2^32-1, non-empty keys (CHECK constraints) |
//! | `table_ids` | a sequence: each `nextval` is the start of a block of [`ID_BLOCK`] ids |
//! | `counters(name, value)` | `collect_epoch` |
//! | `clients(...)`, `condemned(...)` | the collector's protocol, as in the SQLite store |
//!
//! Writers exclude each other with one transaction-level advisory lock ([`WRITE_LOCK`]), as
//! SQLite's write lock does: an atomic block takes it first, so its reads see one state and
//! no other client's write lands between them; there are no serialization failures to
//! retry. A client is alive while its session holds the advisory lock
//! ([`CLIENT_LOCK_CLASS`], its id): a session that ends (a process killed, a machine gone)
//! releases it. Every write transaction sends `NOTIFY lua_persist_changes`; each client
//! has a thread listening on a second connection that counts the notifications as
//! [`ExtStore::version`], so reads are served from the state's cache until another
//! client's commit has been announced.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config, NoTls, Statement};

use super::collect::{decode_ids, encode_ids, judge, roots, Collection, Graph};
use super::{ExtStore, StoreError, Write, FIRST_NEW_TABLE_ID};
use crate::format::DeserializeOptions;
use crate::format_walker::walk;

/// `meta.format_version` of the layout this build reads and writes.
pub const PG_FORMAT_VERSION: i32 = 1;
/// How many table ids a client reserves at a time (the sequence's increment).
pub const ID_BLOCK: u32 = 64;
/// How long a write waits for another client's write or atomic block, as SQLite's busy
/// timeout: a block that never ends (a script that never stops) cannot hang the others.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// The advisory lock every write transaction takes first (one key: "LPWR").
const WRITE_LOCK: i64 = i64::from_be_bytes(*b"\0\0\0\0LPWR");
/// The advisory lock that makes the schema once (another client may be making it).
const SETUP_LOCK: i64 = i64::from_be_bytes(*b"\0\0\0\0LPST");
/// The class (first key) of the clients' session locks; the second key is the client id.
const CLIENT_LOCK_CLASS: i32 = i32::from_be_bytes(*b"LPCL");
/// The channel of the change notifications.
const CHANNEL: &str = "lua_persist_changes";
/// The most rows one statement of a batch carries.
const ROWS_PER_STATEMENT: usize = 5000;

const SCHEMA: &str = "
    CREATE SCHEMA lua_persist;
    CREATE TABLE lua_persist.meta (name text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE lua_persist.entries (
        table_id bigint NOT NULL CHECK (table_id BETWEEN 1 AND 4294967295),
        key bytea NOT NULL CHECK (length(key) > 0),
        value bytea NOT NULL,
        PRIMARY KEY (table_id, key)
    );
    CREATE SEQUENCE lua_persist.table_ids INCREMENT BY 64 MINVALUE 3 START WITH 3;
    CREATE TABLE lua_persist.counters (name text PRIMARY KEY, value bigint NOT NULL);
    INSERT INTO lua_persist.counters VALUES ('collect_epoch', 0);
    CREATE TABLE lua_persist.clients (
        client_id serial PRIMARY KEY,
        block_start bigint NOT NULL DEFAULT 0,
        block_end bigint NOT NULL DEFAULT 0,
        seen_epoch bigint NOT NULL DEFAULT 0,
        held bytea NOT NULL DEFAULT ''
    );
    CREATE TABLE lua_persist.condemned (table_id bigint PRIMARY KEY, epoch bigint NOT NULL);
";

/// Why a PostgreSQL store could not be opened. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum PgOpenError {
    #[error("{url}: not a PostgreSQL connection string: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("{url}: cannot reach the server: {}", describe(source))]
    Unreachable {
        url: String,
        #[source]
        source: postgres::Error,
    },
    #[error("{url}: the server refused the user or password: {}", describe(source))]
    Authentication {
        url: String,
        #[source]
        source: postgres::Error,
    },
    #[error("{url}: the database does not exist (create it with: createdb {database})")]
    NoDatabase { url: String, database: String },
    #[error("{url}: not a lua-persist store ({why}); nothing was written")]
    NotAStore { url: String, why: String },
    #[error("{url}: store format version {found} is not supported (this build reads version {PG_FORMAT_VERSION}); nothing was written")]
    UnsupportedVersion { url: String, found: String },
    #[error("{url}: {}", describe(source))]
    Postgres {
        url: String,
        #[source]
        source: postgres::Error,
    },
}

/// What went wrong, as the server or the operating system said it: the client's own text
/// for a server error is only "db error".
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// External tables in a PostgreSQL database; any number of clients, on any machines.
pub struct PgStore {
    client: Client,
    config: Config,
    /// The connection string without its password, for messages.
    url: String,
    /// This client's row in `clients` (its session holds the lock that shows it alive).
    client_id: i32,
    /// Statements prepared on this connection, by their text.
    prepared: BTreeMap<&'static str, Statement>,
    /// Inside an atomic block: one transaction is open and holds [`WRITE_LOCK`]; the
    /// store's own transactions become savepoints inside it.
    in_block: bool,
    /// A lower bound of the next free id (the sequence never goes down).
    known_next_id: u32,
    /// Change notifications received by the listener (see [`ExtStore::version`]).
    changes: Arc<AtomicU64>,
    /// The thread that listens for them, on a connection of its own.
    listener: Option<Listener>,
}

/// A thread with its own connection, blocked in `LISTEN` (a client's notifications only
/// reach it while it waits on its socket, which a client busy running Lua does not), that
/// counts the change notifications. It ends when the connection does, or when it receives
/// its own stop payload.
struct Listener {
    alive: Arc<AtomicBool>,
    stop: String,
}

/// Starts a [`Listener`] counting into `changes`.
fn listen(config: &Config, changes: &Arc<AtomicU64>) -> Result<Listener, postgres::Error> {
    static STARTED: AtomicU64 = AtomicU64::new(0);
    let mut client = config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    let stop = format!(
        "stop {} {}",
        std::process::id(),
        STARTED.fetch_add(1, Ordering::Relaxed)
    );
    let alive = Arc::new(AtomicBool::new(true));
    let (counter, flag, token) = (Arc::clone(changes), Arc::clone(&alive), stop.clone());
    std::thread::Builder::new()
        .name("lua-persist pg listener".into())
        .spawn(move || {
            let mut notifications = client.notifications();
            let mut waiting = notifications.blocking_iter();
            while let Ok(Some(note)) = waiting.next() {
                if note.payload() == token {
                    break;
                }
                counter.fetch_add(1, Ordering::Release);
            }
            flag.store(false, Ordering::Release);
        })
        .map_err(|_| {
            // No thread: reads then go to the server every time (see `version`).
            alive.store(false, Ordering::Release);
        })
        .ok();
    Ok(Listener { alive, stop })
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

/// The connection string with its password left out.
fn shown_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // The key=value form: every password=... left out.
        return url
            .split_whitespace()
            .filter(|part| !part.starts_with("password="))
            .collect::<Vec<_>>()
            .join(" ");
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user_info = &rest[..at];
            let user = user_info.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme_end + 3], &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

/// Whether `location` names a PostgreSQL store (a `postgres://` or `postgresql://` URL).
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

impl PgStore {
    /// Connects to the database `url` names (`postgres://user:password@host:port/db`),
    /// making the store's schema there when the database has none and holds no other
    /// program's tables.
    pub fn open(url: &str) -> Result<PgStore, PgOpenError> {
        Self::open_with(url, DEFAULT_LOCK_TIMEOUT)
    }

    /// [`open`](Self::open) with the time a write waits for another client's write or atomic
    /// block (the server's `lock_timeout`; then the write fails, and is not stored).
    pub fn open_with(url: &str, lock_timeout: Duration) -> Result<PgStore, PgOpenError> {
        let shown = shown_url(url);
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| PgOpenError::BadUrl {
                url: shown.clone(),
                reason: e.to_string(),
            })?;
        // For every connection of this store, reconnections included. (An `options` the URL
        // gave is kept, with ours after it.)
        let options = format!(
            "{} -c lock_timeout={}ms",
            config.get_options().unwrap_or(""),
            lock_timeout.as_millis().max(1)
        );
        config.options(options.trim_start());
        let database = config.get_dbname().unwrap_or("").to_string();
        let mut client = connect(&config, &shown, &database)?;
        let fail = |source| PgOpenError::Postgres {
            url: shown.clone(),
            source,
        };
        set_up(&mut client, &shown).map_err(|e| match e {
            SetUp::Refused(e) => e,
            SetUp::Postgres(source) => fail(source),
        })?;
        let client_id = register(&mut client).map_err(fail)?;
        let mut store = PgStore {
            client,
            config,
            url: shown.clone(),
            client_id,
            prepared: BTreeMap::new(),
            in_block: false,
            known_next_id: FIRST_NEW_TABLE_ID,
            changes: Arc::new(AtomicU64::new(0)),
            listener: None,
        };
        store.known_next_id = store.next_free_id().map_err(|e| PgOpenError::NotAStore {
            url: shown,
            why: e.0,
        })?;
        Ok(store)
    }

    /// The connection string, without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn error(&self, e: postgres::Error) -> StoreError {
        if e.is_closed() {
            return StoreError(format!(
                "store {}: the connection to the server was lost ({}); the next store operation reconnects",
                self.url,
                describe(&e)
            ));
        }
        StoreError(format!("store {}: {}", self.url, describe(&e)))
    }

    /// The connection: a new one, registered again, when the last one was lost (not inside
    /// an atomic block, whose transaction went with it).
    fn connection(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.is_closed() {
            if self.in_block {
                return Err(StoreError(format!(
                    "store {}: the connection to the server was lost inside an atomic block",
                    self.url
                )));
            }
            let database = self.config.get_dbname().unwrap_or("").to_string();
            let mut client = connect(&self.config, &self.url, &database)
                .map_err(|e| StoreError(e.to_string()))?;
            let client_id = register(&mut client)
                .map_err(|e| StoreError(format!("store {}: {}", self.url, describe(&e))))?;
            self.client = client;
            self.client_id = client_id;
            self.prepared.clear();
            self.changes.fetch_add(1, Ordering::Release); // what was cached may be old
        }
        Ok(&mut self.client)
    }

    /// The prepared statement for `sql` on this connection.
    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        self.connection()?;
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(|e| self.error(e))?;
        self.prepared.insert(sql, s.clone());
        Ok(s)
    }

    /// Runs `body` in a write transaction (holding [`WRITE_LOCK`], announcing the change
    /// when it commits); inside an atomic block, in a savepoint of the block's transaction.
    /// The transaction is plain SQL on the connection, because the block's is too.
    fn write_transaction<T>(
        &mut self,
        body: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        self.connection()?;
        let in_block = self.in_block;
        let c = &mut self.client;
        let begun = if in_block {
            c.batch_execute("SAVEPOINT lua_persist_write")
        } else {
            c.batch_execute("BEGIN").and_then(|()| {
                c.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                    .map(drop)
            })
        };
        let result = begun.and_then(|()| body(c)).and_then(|value| {
            if in_block {
                c.batch_execute("RELEASE SAVEPOINT lua_persist_write")?;
            } else {
                c.batch_execute(&format!("NOTIFY {CHANNEL}; COMMIT"))?;
            }
            Ok(value)
        });
        if result.is_err() && !c.is_closed() {
            let _ = c.batch_execute(if in_block {
                "ROLLBACK TO SAVEPOINT lua_persist_write; RELEASE SAVEPOINT lua_persist_write"
            } else {
                "ROLLBACK"
            });
        }
        result.map_err(|e| self.error(e))
    }

    /// Raises the sequence so that its next block starts at `next` or later: only with
    /// `nextval` (a `setval` could move it back under another client's `nextval`).
    fn raise_next_id(c: &mut Client, next: u32) -> Result<(), postgres::Error> {
        let row = c.query_one(
            "SELECT CASE WHEN is_called THEN last_value + 64 ELSE last_value END FROM lua_persist.table_ids",
            &[],
        )?;
        let current: i64 = row.get(0);
        let behind = i64::from(next) - current;
        if behind > 0 {
            let calls = (behind + i64::from(ID_BLOCK) - 1) / i64::from(ID_BLOCK);
            c.execute(
                "SELECT count(nextval('lua_persist.table_ids')) FROM generate_series(1, $1::bigint)",
                &[&calls],
            )?;
        }
        Ok(())
    }
}

/// Connects, telling apart what the user can fix: no server, bad credentials, no database.
fn connect(config: &Config, url: &str, database: &str) -> Result<Client, PgOpenError> {
    let client = config.connect(NoTls).map_err(|source| {
        let code = source.code();
        if code == Some(&SqlState::INVALID_PASSWORD)
            || code == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
        {
            PgOpenError::Authentication {
                url: url.to_string(),
                source,
            }
        } else if code == Some(&SqlState::INVALID_CATALOG_NAME) {
            PgOpenError::NoDatabase {
                url: url.to_string(),
                database: database.to_string(),
            }
        } else if code.is_none() {
            PgOpenError::Unreachable {
                url: url.to_string(),
                source,
            }
        } else {
            PgOpenError::Postgres {
                url: url.to_string(),
                source,
            }
        }
    })?;
    Ok(client)
}

enum SetUp {
    Refused(PgOpenError),
    Postgres(postgres::Error),
}

impl From<postgres::Error> for SetUp {
    fn from(e: postgres::Error) -> Self {
        SetUp::Postgres(e)
    }
}

/// Checks the database, and makes the schema when it has none: in one transaction that
/// writes nothing unless the database is empty of other programs' tables.
fn set_up(client: &mut Client, url: &str) -> Result<(), SetUp> {
    let refuse = |why: String| {
        SetUp::Refused(PgOpenError::NotAStore {
            url: url.to_string(),
            why,
        })
    };
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK])?;
    let ours = tx
        .query_opt(
            "SELECT 1 FROM pg_namespace WHERE nspname = 'lua_persist'",
            &[],
        )?
        .is_some();
    if !ours {
        let foreign = tx.query_opt(
            "SELECT schemaname || '.' || tablename FROM pg_tables
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') LIMIT 1",
            &[],
        )?;
        if let Some(row) = foreign {
            let table: String = row.get(0);
            return Err(refuse(format!(
                "the database holds tables of another program, such as {table}: give lua-persist a database of its own"
            )));
        }
        tx.batch_execute(SCHEMA)?;
        tx.execute(
            "INSERT INTO lua_persist.meta VALUES ('application', 'lua-persist'), ('format_version', $1)",
            &[&PG_FORMAT_VERSION.to_string()],
        )?;
        tx.commit()?;
        return Ok(());
    }
    let has_meta = tx
        .query_opt(
            "SELECT 1 FROM pg_tables WHERE schemaname = 'lua_persist' AND tablename = 'meta'",
            &[],
        )?
        .is_some();
    let facts: BTreeMap<String, String> = if has_meta {
        tx.query("SELECT name, value FROM lua_persist.meta", &[])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    } else {
        BTreeMap::new()
    };
    if facts.get("application").map(String::as_str) != Some("lua-persist") {
        return Err(refuse(
            "its schema lua_persist belongs to another program".into(),
        ));
    }
    let version = facts.get("format_version").cloned().unwrap_or_default();
    if version != PG_FORMAT_VERSION.to_string() {
        return Err(SetUp::Refused(PgOpenError::UnsupportedVersion {
            url: url.to_string(),
            found: version,
        }));
    }
    tx.rollback()?; // nothing was written
    Ok(())
}

/// Adds this client to `clients` and takes its session lock, under the write lock: a
/// collector (which holds it too) never sees the row without the lock held.
fn register(client: &mut Client) -> Result<i32, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    let id: i32 = tx
        .query_one(
            "INSERT INTO lua_persist.clients DEFAULT VALUES RETURNING client_id",
            &[],
        )?
        .get(0);
    tx.execute(
        "SELECT pg_advisory_lock($1, $2)",
        &[&CLIENT_LOCK_CLASS, &id],
    )?;
    tx.commit()?;
    Ok(id)
}

/// A stored id as u32 (the CHECK constraint keeps them in range).
fn id_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl ExtStore for PgStore {
    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.write_batch(&[Write {
            id,
            key,
            value: Some(value),
        }])
    }

    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let s = self
            .statement("SELECT value FROM lua_persist.entries WHERE table_id = $1 AND key = $2")?;
        let row = self
            .client
            .query_opt(&s, &[&i64::from(id), &key])
            .map_err(|e| self.error(e))?;
        Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
    }

    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError> {
        self.write_batch(&[Write {
            id,
            key,
            value: None,
        }])
    }

    fn size(&mut self, id: u32) -> Result<usize, StoreError> {
        let s = self.statement("SELECT count(*) FROM lua_persist.entries WHERE table_id = $1")?;
        let row = self
            .client
            .query_one(&s, &[&i64::from(id)])
            .map_err(|e| self.error(e))?;
        Ok(row.get::<_, i64>(0) as usize)
    }

    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        let s =
            self.statement("SELECT key FROM lua_persist.entries WHERE table_id = $1 ORDER BY key")?;
        let rows = self
            .client
            .query(&s, &[&i64::from(id)])
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn next_free_id(&mut self) -> Result<u32, StoreError> {
        let s = self.statement(
            "SELECT CASE WHEN is_called THEN last_value + 64 ELSE last_value END FROM lua_persist.table_ids",
        )?;
        let row = self.client.query_one(&s, &[]).map_err(|e| self.error(e))?;
        let next = id_of(row.get(0)).max(FIRST_NEW_TABLE_ID);
        self.known_next_id = self.known_next_id.max(next);
        Ok(next)
    }

    fn table_ids(&mut self) -> Result<Vec<u32>, StoreError> {
        let s =
            self.statement("SELECT DISTINCT table_id FROM lua_persist.entries ORDER BY table_id")?;
        let rows = self.client.query(&s, &[]).map_err(|e| self.error(e))?;
        Ok(rows.iter().map(|r| id_of(r.get(0))).collect())
    }

    fn publish_held(&mut self, held: &[u32]) -> Result<(), StoreError> {
        let s = self.statement(
            "UPDATE lua_persist.clients SET held = $1,
             seen_epoch = (SELECT value FROM lua_persist.counters WHERE name = 'collect_epoch')
             WHERE client_id = $2",
        )?;
        let me = self.client_id;
        self.client
            .execute(&s, &[&encode_ids(held), &me])
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// The collection for a store shared by clients, as [`super::SqliteStore`]'s, in one
    /// write transaction: roots are `_home`, `_io`, `held`, and every live client's
    /// published held ids and id block; `judge` decides.
    fn collect(&mut self, held: &[u32]) -> Result<Collection, StoreError> {
        let me = self.client_id;
        let mut roots = roots(held).map_err(StoreError::from)?;
        let result = self.write_transaction(|c| {
            let epoch: i64 = c
                .query_one(
                    "UPDATE lua_persist.counters SET value = value + 1 WHERE name = 'collect_epoch' RETURNING value",
                    &[],
                )?
                .get(0);
            let live: BTreeSet<i64> = c
                .query(
                    "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory'
                     AND classid::bigint = $1 AND objsubid = 2 AND granted",
                    &[&i64::from(CLIENT_LOCK_CLASS as u32)],
                )?
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .collect();
            let mut blocks = Vec::new();
            let mut others_seen = i64::MAX;
            let clients = c.query(
                "SELECT client_id, block_start, block_end, seen_epoch, held FROM lua_persist.clients",
                &[],
            )?;
            for row in &clients {
                let id: i32 = row.get(0);
                if id != me && !live.contains(&i64::from(id)) {
                    c.execute("DELETE FROM lua_persist.clients WHERE client_id = $1", &[&id])?;
                    continue;
                }
                blocks.push((id_of(row.get(1)), id_of(row.get(2))));
                if id != me {
                    roots.extend(decode_ids(row.get::<_, &[u8]>(4)));
                    others_seen = others_seen.min(row.get::<_, i64>(3));
                }
            }
            c.execute(
                "UPDATE lua_persist.clients SET held = $1, seen_epoch = $2 WHERE client_id = $3",
                &[&encode_ids(held), &epoch, &me],
            )?;
            let mut graph = Graph::default();
            let mut out_of_memory = false;
            for row in c.query(
                "SELECT table_id, value FROM lua_persist.entries ORDER BY table_id",
                &[],
            )? {
                out_of_memory |= graph.add_value(id_of(row.get(0)), row.get::<_, &[u8]>(1)).is_err();
            }
            let unreadable_values = graph.unreadable_values;
            let Ok(marked) = graph.mark(roots, &blocks).map_err(|_| ()).and_then(|m| {
                if out_of_memory { Err(()) } else { Ok(m) }
            }) else {
                return Ok(Err(StoreError("out of memory while collecting".into())));
            };
            let condemned: BTreeMap<u32, i64> = c
                .query("SELECT table_id, epoch FROM lua_persist.condemned", &[])?
                .iter()
                .map(|r| (id_of(r.get(0)), r.get(1)))
                .collect();
            let verdicts = judge(&marked, &condemned, epoch, others_seen);
            let mut report = Collection {
                unreadable_values,
                live_tables: verdicts.live_tables,
                removed_tables: verdicts.remove.len(),
                deferred_tables: verdicts.condemn.len(),
                ..Collection::default()
            };
            for id in verdicts.remove {
                report.removed_entries += c.execute(
                    "DELETE FROM lua_persist.entries WHERE table_id = $1",
                    &[&i64::from(id)],
                )? as usize;
            }
            for id in verdicts.condemn {
                c.execute(
                    "INSERT INTO lua_persist.condemned VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&i64::from(id), &epoch],
                )?;
            }
            for id in verdicts.acquit {
                c.execute(
                    "DELETE FROM lua_persist.condemned WHERE table_id = $1",
                    &[&i64::from(id)],
                )?;
            }
            Ok(Ok(report))
        });
        result?
    }

    fn reserve_ids(&mut self, next_free_id: u32) -> Result<(), StoreError> {
        self.write_transaction(|c| Self::raise_next_id(c, next_free_id))?;
        self.known_next_id = self.known_next_id.max(next_free_id);
        Ok(())
    }

    /// The next block of the sequence, recorded as this client's (collectors keep it).
    fn reserve_id_block(&mut self) -> Result<Option<core::ops::Range<u32>>, StoreError> {
        let me = self.client_id;
        let first: i64 = self.write_transaction(|c| {
            let first: i64 = c
                .query_one("SELECT nextval('lua_persist.table_ids')", &[])?
                .get(0);
            c.execute(
                "UPDATE lua_persist.clients SET block_start = $1, block_end = $2 WHERE client_id = $3",
                &[&first, &(first + i64::from(ID_BLOCK)), &me],
            )?;
            Ok(first)
        })?;
        let end = first + i64::from(ID_BLOCK);
        if end > i64::from(u32::MAX) {
            return Err(StoreError("external table ids are exhausted".into()));
        }
        let (first, end) = (id_of(first).max(FIRST_NEW_TABLE_ID), id_of(end));
        self.known_next_id = self.known_next_id.max(end);
        Ok(Some(first..end))
    }

    /// A transaction holding the write lock: the block's reads see one state, and every
    /// other client's writes wait until it ends.
    fn begin_exclusive(&mut self) -> Result<(), StoreError> {
        if self.in_block {
            return Err(StoreError("an atomic block is already open".into()));
        }
        self.connection()?;
        let begun = self.client.batch_execute("BEGIN").and_then(|()| {
            self.client
                .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        });
        if let Err(e) = begun {
            let _ = self.client.batch_execute("ROLLBACK");
            return Err(self.error(e));
        }
        self.in_block = true;
        Ok(())
    }

    /// `COMMIT` (with the change notification) or `ROLLBACK`.
    fn end_exclusive(&mut self, commit: bool) -> Result<(), StoreError> {
        if !self.in_block {
            return Err(StoreError("no atomic block is open".into()));
        }
        self.in_block = false;
        let result = if commit {
            self.client
                .batch_execute(&format!("NOTIFY {CHANNEL}; COMMIT"))
        } else {
            self.client.batch_execute("ROLLBACK")
        };
        if result.is_err() {
            // A failed statement leaves the transaction aborted: end it, nothing stored.
            let _ = self.client.batch_execute("ROLLBACK");
        }
        result.map_err(|e| self.error(e))
    }

    fn ends_undo(&self) -> bool {
        true
    }

    /// The change notifications the listener has received: another client's commit changes
    /// it once its notification arrives (one memory read). Without a listener (none could
    /// be started, or its connection was lost and a new one cannot be made) `None`: every
    /// read then asks the server.
    fn version(&mut self) -> Result<Option<u64>, StoreError> {
        let alive = |l: &Listener| l.alive.load(Ordering::Acquire);
        if !self.listener.as_ref().is_some_and(alive) {
            // What changed while none listened is unknown: a new version.
            self.changes.fetch_add(1, Ordering::Release);
            self.listener = listen(&self.config, &self.changes).ok();
            if !self.listener.as_ref().is_some_and(alive) {
                return Ok(None);
            }
        }
        Ok(Some(self.changes.load(Ordering::Acquire)))
    }

    /// One transaction: all writes or none, committed before it returns.
    fn write_batch(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        let needed_next = writes
            .iter()
            .filter(|w| w.value.is_some())
            .map(|w| w.id.saturating_add(1))
            .max()
            .unwrap_or(0);
        let raise = needed_next > self.known_next_id;
        // The last write of each key wins (one statement may not touch a row twice).
        let mut last: BTreeMap<(u32, &[u8]), Option<&[u8]>> = BTreeMap::new();
        let mut linked = Vec::new();
        for w in writes {
            last.insert((w.id, w.key), w.value);
            if let Some(value) = w.value {
                if let Ok(walked) = walk(value, &DeserializeOptions::default()) {
                    linked.extend(walked.table_refs);
                }
            }
        }
        let mut set: (Vec<i64>, Vec<&[u8]>, Vec<&[u8]>) = Default::default();
        let mut deleted: (Vec<i64>, Vec<&[u8]>) = Default::default();
        for ((id, key), value) in &last {
            match value {
                Some(value) => {
                    set.0.push(i64::from(*id));
                    set.1.push(key);
                    set.2.push(value);
                }
                None => {
                    deleted.0.push(i64::from(*id));
                    deleted.1.push(key);
                }
            }
        }
        let linked: Vec<i64> = linked.into_iter().map(i64::from).collect();
        self.write_transaction(|c| {
            for at in (0..set.0.len()).step_by(ROWS_PER_STATEMENT) {
                let end = (at + ROWS_PER_STATEMENT).min(set.0.len());
                c.execute(
                    "INSERT INTO lua_persist.entries
                     SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[])
                     ON CONFLICT (table_id, key) DO UPDATE SET value = EXCLUDED.value",
                    &[&&set.0[at..end], &&set.1[at..end], &&set.2[at..end]],
                )?;
            }
            for at in (0..deleted.0.len()).step_by(ROWS_PER_STATEMENT) {
                let end = (at + ROWS_PER_STATEMENT).min(deleted.0.len());
                c.execute(
                    "DELETE FROM lua_persist.entries e USING unnest($1::bigint[], $2::bytea[]) AS d(t, k)
                     WHERE e.table_id = d.t AND e.key = d.k",
                    &[&&deleted.0[at..end], &&deleted.1[at..end]],
                )?;
            }
            if raise {
                Self::raise_next_id(c, needed_next)?;
            }
            if !linked.is_empty() {
                // A table that a value names again is no longer condemned.
                c.execute(
                    "DELETE FROM lua_persist.condemned WHERE table_id = ANY($1)",
                    &[&linked],
                )?;
            }
            Ok(())
        })?;
        self.known_next_id = self.known_next_id.max(needed_next);
        Ok(())
    }
}

impl Drop for PgStore {
    /// Leaves the clients (best effort: a lost connection's row goes at the next collection,
    /// which finds its lock released).
    fn drop(&mut self) {
        if !self.client.is_closed() {
            let _ = self.client.execute(
                "DELETE FROM lua_persist.clients WHERE client_id = $1",
                &[&self.client_id],
            );
            if let Some(listener) = &self.listener {
                let _ = self
                    .client
                    .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &listener.stop]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn the_password_is_left_out_of_messages() {
        assert_eq!(
            shown_url("postgres://alice:secret@db.example:5432/app"),
            "postgres://alice@db.example:5432/app"
        );
        assert_eq!(
            shown_url("postgres://bob@h/x?sslmode=disable"),
            "postgres://bob@h/x?sslmode=disable"
        );
        assert_eq!(shown_url("postgresql://h/x"), "postgresql://h/x");
        assert_eq!(shown_url("host=h user=u password=p"), "host=h user=u");
    }
}
