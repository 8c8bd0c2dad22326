//! The runner's store: where it is, the key that signs what the runner writes, and moving
//! a store to and from a dump file.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use lua_persist::ext_table::{ExtStore, MemoryStore};
use lua_persist::function_serializer::BytecodePolicy;
use lua_persist::store::dump::{Dump, DumpError, ImportTrust};
use lua_persist::store::{is_postgres_url, PgStore, SqliteStore};

/// The store file when neither `--store` nor `$LUA_PERSIST_STORE` names one.
pub const DEFAULT_STORE: &str = ".lua-persist.db";
/// `--store :memory:` keeps the tables in memory, for this run only.
pub const MEMORY_STORE: &str = ":memory:";
const KEY_LEN: usize = 32;

/// Where the store is: `--store PATH`, else `$LUA_PERSIST_STORE`, else [`DEFAULT_STORE`].
pub fn store_location(option: Option<&[u8]>) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    match option {
        Some(path) => PathBuf::from(std::ffi::OsStr::from_bytes(path)),
        None => std::env::var_os("LUA_PERSIST_STORE")
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_STORE), PathBuf::from),
    }
}

/// The opened store and the bytecode policy that goes with it.
pub struct OpenedStore {
    pub store: Box<dyn ExtStore>,
    pub policy: BytecodePolicy,
}

/// Opens the store at `location`: a `postgres://` URL, `:memory:`, else an SQLite file.
/// A durable store comes with the policy "authenticate"
/// under this user's key, so bytecode that the runner did not write is never loaded
/// silently; the memory store keeps "trust", as the wasm runner does.
pub fn open_store(location: &Path) -> Result<OpenedStore, String> {
    if location.as_os_str() == MEMORY_STORE {
        return Ok(OpenedStore {
            store: Box::new(MemoryStore::new()),
            policy: BytecodePolicy::Trust,
        });
    }
    if let Some(url) = location.to_str().filter(|l| is_postgres_url(l)) {
        let store = PgStore::open(url).map_err(|e| e.to_string())?;
        return Ok(OpenedStore {
            store: Box::new(store),
            policy: BytecodePolicy::Authenticate(user_key()?),
        });
    }
    let mut store = SqliteStore::open(location).map_err(|e| e.to_string())?;
    let key = user_key()?;
    let resigned = store
        .resign_legacy_values(&key)
        .map_err(|e| e.to_string())?;
    if resigned > 0 {
        eprintln!(
            "lua-persist: {}: upgraded; {resigned} signed values now name their place",
            store.path().display()
        );
    }
    Ok(OpenedStore {
        store: Box::new(store),
        policy: BytecodePolicy::Authenticate(key),
    })
}

/// Where the signing key is: `$LUA_PERSIST_KEY`, else `$XDG_CONFIG_HOME/lua-persist/key`,
/// else `~/.config/lua-persist/key`.
pub fn key_location() -> Result<PathBuf, String> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = var("LUA_PERSIST_KEY") {
        return Ok(PathBuf::from(path));
    }
    let config = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| Path::new(&home).join(".config")))
        .ok_or("neither HOME nor XDG_CONFIG_HOME is set: set LUA_PERSIST_KEY to the key file")?;
    Ok(config.join("lua-persist").join("key"))
}

/// This user's key, made (32 random bytes, mode 0600) when there is none yet. Creation is
/// atomic: a new key is linked into place only if no other process made one meanwhile.
pub fn user_key() -> Result<Vec<u8>, String> {
    let path = key_location()?;
    let describe = |what: &str, e: std::io::Error| format!("{what} {}: {e}", path.display());
    match std::fs::read(&path) {
        Ok(key) if key.len() == KEY_LEN => return Ok(key),
        Ok(key) => {
            return Err(format!(
                "the key file {} has {} bytes, not {KEY_LEN}: remove it to make a new key (values signed with it will no longer load)",
                path.display(),
                key.len()
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(describe("cannot read the key file", e)),
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| describe("cannot create the key file", e))?;
    let mut key = vec![0; KEY_LEN];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))
        .map_err(|e| format!("cannot read /dev/urandom for a new key: {e}"))?;
    let tmp = dir.join(format!(".key.tmp{}", std::process::id()));
    let made = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(&key)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::hard_link(&tmp, &path));
    let _ = std::fs::remove_file(&tmp);
    match made {
        Ok(()) => Ok(key),
        // Another process made the key first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read(&path).map_err(|e| describe("cannot read the key file", e))
        }
        Err(e) => Err(describe("cannot create the key file", e)),
    }
}

/// Writes every entry of `store` to the dump file `file`; returns the entry count.
/// Damaged entries (another program's rows) are left out, each reported on stderr.
pub fn export(store: &mut dyn ExtStore, file: &Path) -> Result<usize, String> {
    let dump = Dump::from_store(store).map_err(|e| e.to_string())?;
    dump.write_file(file)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    for damaged in store.damaged_entries().map_err(|e| e.to_string())? {
        let table = damaged.table_id.map_or("?".into(), |id| id.to_string());
        eprintln!(
            "lua-persist: skipped table {table} key {:?}: {}",
            String::from_utf8_lossy(&damaged.key),
            damaged.why
        );
    }
    Ok(dump.entries.len())
}

/// What an import did.
pub struct Imported {
    pub entries: usize,
    /// Values with functions that were signed with this user's key because the user
    /// trusted the dump (`--import-trusted`).
    pub signed: usize,
}

/// Reads the dump `file` into the empty `store`. Every value is checked on its bytes
/// first, and nothing is decoded: values that hold functions must be signed with this
/// store's key (`policy`) for the place they are stored at, unless `trusted`: then they are
/// signed now. Nothing is written when any value is refused.
pub fn import(
    store: &mut dyn ExtStore,
    policy: &BytecodePolicy,
    file: &Path,
    trusted: bool,
) -> Result<Imported, String> {
    let mut dump = Dump::read_file(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let trust = match policy {
        BytecodePolicy::Authenticate(key) if trusted => ImportTrust::SignTrusted { key },
        BytecodePolicy::Authenticate(key) => ImportTrust::Require { key },
        _ => ImportTrust::Structure,
    };
    let signed = dump.check_for_import(trust).map_err(|e| match e {
        DumpError::Unsigned { .. } => format!(
            "{}: {e}. If you trust the dump, import it with --import-trusted",
            file.display()
        ),
        e => format!("{}: {e}", file.display()),
    })?;
    dump.into_store(store).map_err(|e| e.to_string())?;
    Ok(Imported {
        entries: dump.entries.len(),
        signed,
    })
}
