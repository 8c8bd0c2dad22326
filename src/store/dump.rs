//! The store dump: one file with every entry of a store, to move external tables between
//! hosts (`lua-persist --export/--import`, `node wasm/run.mjs --export/--import`). Values
//! are copied byte for byte. Layout (FORMAT.md, "Store dump"), integers little-endian:
//!
//! ```text
//! "LPSTDUMP"  u32 version (1)  u32 next_free_id
//! { 01  u32 table_id  u32 key_len  key  u32 value_len  value }*
//! 00  u32 entry_count  [32] SHA-256 of every byte before it
//! ```

use std::io::{Read, Write as _};

use sha2::{Digest, Sha256};

use super::{ExtStore, StoreError, Write};
use crate::format::{DeserializeOptions, SerializationError};
use crate::format_walker::{check_signature, envelope_inner, walk};
use crate::trust::{sign_payload, SignedPlace};

pub const DUMP_MAGIC: &[u8; 8] = b"LPSTDUMP";
pub const DUMP_VERSION: u32 = 1;

const ENTRY: u8 = 0x01;
const END: u8 = 0x00;

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpEntry {
    pub table_id: u32,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// A whole store, as read from or written to a dump file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dump {
    pub next_free_id: u32,
    pub entries: Vec<DumpEntry>,
}

/// Why a dump could not be read, written or imported.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("not a lua-persist store dump (it does not start with \"LPSTDUMP\")")]
    NotADump,
    #[error(
        "store dump version {found} is not supported (this build reads version {DUMP_VERSION})"
    )]
    UnsupportedVersion { found: u32 },
    #[error("the store dump is truncated or corrupt at byte {offset}: {why}")]
    Corrupt { offset: usize, why: &'static str },
    #[error("the store dump's checksum does not match: the file was altered or damaged")]
    ChecksumMismatch,
    #[error("the target store is not empty (table {table_id} has keys): import only into an empty store")]
    TargetNotEmpty { table_id: u32 },
    #[error("table {table_id} key {key:?} holds bad data: {source}; nothing was imported")]
    BadValue {
        table_id: u32,
        key: String,
        source: SerializationError,
    },
    #[error("table {table_id} key {key:?} holds functions that this store's key did not sign ({source}); nothing was imported")]
    Unsigned {
        table_id: u32,
        key: String,
        source: SerializationError,
    },
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// How values that hold code are checked on import.
#[derive(Debug, Clone, Copy)]
pub enum ImportTrust<'a> {
    /// The target store loads code only when signed with this key (the policy
    /// "authenticate"): a value that holds code must be signed with it for its place.
    Require { key: &'a [u8] },
    /// The same, but the user vouches for the dump: values that hold code and are unsigned
    /// or signed with another key are signed with `key` for their place.
    SignTrusted { key: &'a [u8] },
    /// The target store trusts code (policy "trust"): only the structure is checked.
    Structure,
}

impl Dump {
    /// Checks every value on its bytes alone (FORMAT.md, without creating Lua objects)
    /// before an import: each must be one well-formed value, and code must be signed as
    /// `trust` says. Returns how many values were signed now (`SignTrusted`). Afterwards
    /// `next_free_id` is past every table id the values name, so that a new table never
    /// takes an id that a stored reference already names.
    pub fn check_for_import(&mut self, trust: ImportTrust) -> Result<usize, DumpError> {
        let limits = DeserializeOptions::default();
        let mut signed = 0;
        let mut next_free_id = self.next_free_id;
        for entry in &mut self.entries {
            let key = String::from_utf8_lossy(&entry.key).into_owned();
            let table_id = entry.table_id;
            let bad = |source| DumpError::BadValue {
                table_id,
                key: key.clone(),
                source,
            };
            let walked = walk(&entry.value, &limits).map_err(bad)?;
            let place = SignedPlace::Entry {
                table_id,
                key: &entry.key,
            };
            match trust {
                ImportTrust::Structure => {}
                ImportTrust::Require { key: sign_key } => {
                    check_signature(&walked, &entry.value, sign_key, place).map_err(|source| {
                        DumpError::Unsigned {
                            table_id,
                            key: key.clone(),
                            source,
                        }
                    })?;
                }
                ImportTrust::SignTrusted { key: sign_key } => {
                    if check_signature(&walked, &entry.value, sign_key, place).is_err() {
                        let inner = envelope_inner(&entry.value).unwrap_or(&entry.value);
                        entry.value = sign_payload(sign_key, place, inner).map_err(bad)?;
                        signed += 1;
                    }
                }
            }
            let highest = walked.table_refs.iter().copied().fold(table_id, u32::max);
            next_free_id = next_free_id.max(highest.saturating_add(1));
        }
        self.next_free_id = next_free_id;
        Ok(signed)
    }

    /// Reads every entry of `store`, table by table, keys in the store's order.
    pub fn from_store(store: &mut dyn ExtStore) -> Result<Dump, StoreError> {
        let mut dump = Dump {
            next_free_id: store.next_free_id()?,
            entries: Vec::new(),
        };
        for table_id in store.table_ids()? {
            for key in store.keys(table_id)? {
                // A key deleted meanwhile (another process) is simply not exported.
                if let Some(value) = store.get(table_id, &key)? {
                    dump.entries.push(DumpEntry {
                        table_id,
                        key,
                        value,
                    });
                }
            }
        }
        Ok(dump)
    }

    /// Writes every entry into `store`, which must be empty, in one batch (all or nothing).
    pub fn into_store(&self, store: &mut dyn ExtStore) -> Result<(), DumpError> {
        if let Some(&table_id) = store.table_ids()?.first() {
            return Err(DumpError::TargetNotEmpty { table_id });
        }
        let batch: Vec<Write> = self
            .entries
            .iter()
            .map(|e| Write {
                id: e.table_id,
                key: &e.key,
                value: Some(&e.value),
            })
            .collect();
        store.write_batch(&batch)?;
        store.reserve_ids(self.next_free_id)?;
        Ok(())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(DUMP_MAGIC);
        out.extend_from_slice(&DUMP_VERSION.to_le_bytes());
        out.extend_from_slice(&self.next_free_id.to_le_bytes());
        for e in &self.entries {
            out.push(ENTRY);
            out.extend_from_slice(&e.table_id.to_le_bytes());
            for bytes in [&e.key, &e.value] {
                out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                out.extend_from_slice(bytes);
            }
        }
        out.push(END);
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Dump, DumpError> {
        let mut r = Reader { bytes, at: 0 };
        if bytes.get(..8) != Some(DUMP_MAGIC.as_slice()) {
            return Err(DumpError::NotADump);
        }
        r.at = 8;
        let version = r.u32()?;
        if version != DUMP_VERSION {
            return Err(DumpError::UnsupportedVersion { found: version });
        }
        let mut dump = Dump {
            next_free_id: r.u32()?,
            entries: Vec::new(),
        };
        loop {
            match r.take(1)?[0] {
                ENTRY => {
                    let table_id = r.u32()?;
                    if table_id == 0 {
                        return Err(r.corrupt("table id 0"));
                    }
                    let key = r.sized()?.to_vec();
                    if key.is_empty() {
                        return Err(r.corrupt("an empty key"));
                    }
                    let value = r.sized()?.to_vec();
                    if value.is_empty() {
                        return Err(r.corrupt("an empty value"));
                    }
                    dump.entries.push(DumpEntry {
                        table_id,
                        key,
                        value,
                    });
                }
                END => break,
                _ => return Err(r.corrupt("an unknown record tag")),
            }
        }
        let count = r.u32()?;
        let checked = r.at;
        let digest = r.take(32)?;
        if r.at != bytes.len() {
            return Err(r.corrupt("bytes after the checksum"));
        }
        if Sha256::digest(&bytes[..checked]).as_slice() != digest {
            return Err(DumpError::ChecksumMismatch);
        }
        if count as usize != dump.entries.len() {
            return Err(r.corrupt("the entry count does not match the entries"));
        }
        Ok(dump)
    }

    /// Writes the dump to `path` through a temporary file, fsynced and renamed into place,
    /// so a crash never leaves half a dump under that name.
    pub fn write_file(&self, path: &std::path::Path) -> Result<(), DumpError> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => std::path::Path::new("."),
        };
        let name = path.file_name().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the dump path names no file",
            )
        })?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = dir.join(tmp_name);
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&self.to_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(written?)
    }

    pub fn read_file(path: &std::path::Path) -> Result<Dump, DumpError> {
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
        Dump::from_bytes(&bytes)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn corrupt(&self, why: &'static str) -> DumpError {
        DumpError::Corrupt {
            offset: self.at,
            why,
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DumpError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(DumpError::Corrupt {
            offset: self.at,
            why: "it ends early",
        })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u32(&mut self) -> Result<u32, DumpError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn sized(&mut self) -> Result<&'a [u8], DumpError> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}
