//! Hostile store dumps: whatever the bytes (with a correct checksum, as an attacker would
//! write it), importing gives a named error or imports values that then read as values or
//! named errors, and nothing in a dump runs while it is checked. Issue 9, item 1.
#![allow(non_snake_case)]

mod common;

use std::cell::RefCell;
use std::process::Command;
use std::rc::Rc;

use common::Rng;
use lua_persist::ext_table;
use lua_persist::ffi::*;
use lua_persist::function_serializer::{set_bytecode_policy, BytecodePolicy};
use lua_persist::lua;
use lua_persist::store::dump::{Dump, ImportTrust};
use lua_persist::store::{ExtStore, MemoryStore, StoreError};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

/// A memory store that the test keeps a handle to while a state writes into it.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<MemoryStore>>);

impl ExtStore for Shared {
    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.0.borrow_mut().set(id, key, value)
    }
    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.borrow_mut().get(id, key)
    }
    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError> {
        self.0.borrow_mut().delete(id, key)
    }
    fn size(&mut self, id: u32) -> Result<usize, StoreError> {
        self.0.borrow_mut().size(id)
    }
    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        self.0.borrow_mut().keys(id)
    }
    fn next_free_id(&mut self) -> Result<u32, StoreError> {
        self.0.borrow_mut().next_free_id()
    }
    fn table_ids(&mut self) -> Result<Vec<u32>, StoreError> {
        self.0.borrow_mut().table_ids()
    }
    fn reserve_ids(&mut self, next_free_id: u32) -> Result<(), StoreError> {
        self.0.borrow_mut().reserve_ids(next_free_id)
    }
}

/// A state with the standard library, `persist`, and external tables over `store` under
/// the policy "authenticate" with `KEY`, as the native runner has them.
struct Runner(*mut lua_State);

impl Runner {
    fn new(store: Shared) -> Runner {
        let L = lua::new_state(256 << 20);
        assert!(!L.is_null());
        // SAFETY: a fresh state.
        unsafe {
            luaL_openlibs(L);
            lua_persist::runner::open_persist(L);
            ext_table::install(L, Box::new(store), false).unwrap();
            set_bytecode_policy(L, &BytecodePolicy::Authenticate(KEY.to_vec())).unwrap();
        }
        Runner(L)
    }

    /// Runs `code`; returns its error message, if any.
    fn run(&self, code: &str) -> Result<(), String> {
        let code = std::ffi::CString::new(code).unwrap();
        // SAFETY: a valid state; the error message is popped.
        unsafe {
            if luaL_dostring(self.0, code.as_ptr()) == LUA_OK {
                return Ok(());
            }
            let message = String::from_utf8_lossy(lua::tostring(self.0, -1).unwrap_or(b"?"));
            let message = message.into_owned();
            lua_pop(self.0, 1);
            Err(message)
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // SAFETY: the state is ours.
        unsafe { lua::close(self.0) }
    }
}

/// What the runner would write: closures sharing upvalues, C functions, nested and shared
/// tables, a cycle, plain data; everything with code signed for its place.
fn signed_dump() -> Dump {
    let store = Shared::default();
    let writer = Runner::new(store.clone());
    writer
        .run(
            "local n = 0 \
             _home.inc = function() n = n + 1 return n end \
             _home.pair = {get = function() return n end, set = function(v) n = v end} \
             _home.lib = {print, string.format, math.random} \
             local shared = {x = 1} _home.a = {s = shared, t = {s = shared}} \
             local c = {} c.self = c _home.cycle = c \
             _home.text = ('hello '):rep(20) _home[1] = 1.5 \
             _home.mt = setmetatable({}, {__index = {y = 2}})",
        )
        .unwrap();
    drop(writer);
    let dump = Dump::from_store(&mut *store.0.borrow_mut()).unwrap();
    dump
}

/// Reads every entry of `dump` through external tables, in a state that checks signatures:
/// each read gives a value or a Lua error, never a crash.
fn read_everything(dump: &Dump) {
    let store = Shared::default();
    dump.into_store(&mut store.clone()).unwrap();
    let reader = Runner::new(store);
    for entry in &dump.entries {
        let key: String = entry.key.iter().map(|b| format!("\\{b}")).collect();
        let code = format!(
            "local t = persist.deserialize(string.pack('<B I4', 7, {})) \
             local ok, v = pcall(function() return t['{key}'] end) \
             if ok and type(v) == 'table' then for _ in pairs(v) do end end",
            entry.table_id
        );
        reader.run(&code).unwrap();
    }
    reader.run("collectgarbage() collectgarbage()").unwrap();
}

/// One to three random changes to the values, keys or table ids of `dump`.
fn mutate(dump: &Dump, rng: &mut Rng) -> Dump {
    let mut m = dump.clone();
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(m.entries.len());
        let entry = &mut m.entries[i];
        match rng.below(8) {
            0 => entry.table_id = [1, 2, 3, 4, 0x7fff_ffff, rng.next() as u32 | 1][rng.below(6)],
            1 => entry.key.push(rng.next() as u8),
            2..=4 => {
                let at = rng.below(entry.value.len());
                entry.value[at] = rng.next() as u8;
            }
            5 => {
                let at = rng.below(entry.value.len());
                entry.value.truncate(at.max(1));
            }
            6 => {
                let other = m.entries[rng.below(m.entries.len())].value.clone();
                m.entries[i].value = other; // a value moved to another place
            }
            _ => {
                if entry.value.len() >= 5 {
                    let at = rng.below(entry.value.len() - 3);
                    let v = [0, u32::MAX, rng.below(300) as u32][rng.below(3)];
                    entry.value[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
    m
}

/// The untouched dump imports and every value reads, functions included.
#[test]
fn the_signed_dump_imports_and_reads() {
    let mut dump = signed_dump();
    assert!(dump.entries.len() > 10, "{} entries", dump.entries.len());
    assert_eq!(
        dump.check_for_import(ImportTrust::Require { key: KEY })
            .unwrap(),
        0
    );
    read_everything(&dump);
    let store = Shared::default();
    dump.into_store(&mut store.clone()).unwrap();
    let reader = Runner::new(store);
    reader
        .run("assert(_home.inc() == 1 and _home.pair.get() == 0 and _home.lib[2]('%d', 3) == '3')")
        .unwrap();
    reader
        .run("assert(_home.a.s == _home.a.t.s and _home.cycle.self == _home.cycle)")
        .unwrap();
}

/// 2,000 mutated dumps: each is refused with a named error, or imports values that read
/// as values or Lua errors. A value with code that was changed or moved never verifies.
#[test]
fn mutated_dumps_give_errors_and_no_signal() {
    let dump = signed_dump();
    let mut rng = Rng(0x5EED_D0D0_1234_5678);
    let (mut refused, mut imported) = (0, 0);
    for _ in 0..2_000 {
        let mutant = mutate(&dump, &mut rng);
        // The file as an attacker writes it: a correct checksum.
        let bytes = mutant.to_bytes();
        let mut read = Dump::from_bytes(&bytes).unwrap();
        assert_eq!(read, mutant);
        match read.check_for_import(ImportTrust::Require { key: KEY }) {
            Err(e) => {
                let message = e.to_string();
                assert!(
                    message.contains("holds bad data") || message.contains("did not sign"),
                    "{message}"
                );
                refused += 1;
            }
            Ok(signed) => {
                assert_eq!(signed, 0);
                read_everything(&read);
                imported += 1;
            }
        }
    }
    assert!(
        refused > 1_000 && imported > 100,
        "{refused} refused, {imported} imported"
    );
}

/// Through the real binary: mutated dump files give exit code 0 or 1, never a signal.
#[test]
fn the_runner_imports_mutated_dumps_without_a_signal() {
    let dump = signed_dump();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, KEY).unwrap();
    let mut rng = Rng(0xFEED_FACE_0000_0001);
    for i in 0..40 {
        let file = dir.path().join(format!("m{i}.dump"));
        mutate(&dump, &mut rng).write_file(&file).unwrap();
        let store = dir.path().join(format!("m{i}.db"));
        let read_all = "for k, v in pairs(_home) do pcall(function() return _home[k] end) end";
        let o = Command::new(env!("CARGO_BIN_EXE_lua-persist"))
            .env("LUA_PERSIST_KEY", &key)
            .arg("--store")
            .arg(&store)
            .arg("--import")
            .arg(&file)
            .args(["-e", read_all])
            .output()
            .unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "mutant {i}: {:?} {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
