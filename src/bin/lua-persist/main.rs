//! `lua-persist [--store PATH] [--collect] [-e CODE]... [-i] [-v] [SCRIPT [ARGS...]]`: runs Lua like the
//! standard `lua`, with `_home` and `ext.table()` kept in a durable store across runs.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

mod store_cli;

use std::cell::RefCell;
use std::ffi::OsStr;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use lua_persist::ext_table::{self, ExtStore};
use lua_persist::ffi::lua_State;
use lua_persist::function_serializer::{set_bytecode_policy, BytecodePolicy};
use lua_persist::runner::{self, Host, Invocation};

/// The options this runner adds to `lua`'s, each with a value.
const HOST_OPTIONS: &[&str] = &["store", "export", "import", "import-trusted"];

const HOST_USAGE: &str = "  -i        enter interactive mode after executing 'script'\n  \
    --store PATH            the store of _home and ext.table(): an SQLite file, a postgres://user@host/db URL, or ':memory:' for none (default: $LUA_PERSIST_STORE, else ./.lua-persist.db)\n  \
    --export FILE           write every value of the store to the dump FILE\n  \
    --import FILE           read the dump FILE into the (empty) store\n  \
    --import-trusted FILE   the same, signing functions that this store's key did not sign\n  \
    --collect               remove the store's tables that nothing reaches any more\n";

/// Takes `--collect` (an option without a value, which `parse_args_with` does not know)
/// out of the options before the script; returns whether it was there.
fn take_collect_flag(argv: &mut Vec<Vec<u8>>) -> bool {
    let mut found = false;
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_slice();
        if a == b"--collect" {
            argv.remove(i);
            found = true;
            continue;
        }
        if a == b"--" || a == b"-" || !a.starts_with(b"-") {
            break;
        }
        let takes_value = a == b"-e"
            || (a.starts_with(b"--")
                && HOST_OPTIONS
                    .iter()
                    .chain(runner::VALUE_OPTIONS)
                    .any(|o| a[2..] == *o.as_bytes()));
        i += if takes_value { 2 } else { 1 };
    }
    found
}

struct NativeHost {
    /// Moved into the Lua state by `open_extensions`.
    store: RefCell<Option<Box<dyn ExtStore>>>,
    policy: BytecodePolicy,
    editor: RefCell<Option<rustyline::DefaultEditor>>,
}

impl Host for NativeHost {
    fn read_script(&self, name: &[u8]) -> Result<Vec<u8>, String> {
        let result = if name == b"-" {
            let mut source = Vec::new();
            std::io::stdin().read_to_end(&mut source).map(|_| source)
        } else {
            std::fs::read(OsStr::from_bytes(name))
        };
        result.map_err(|e| describe_io_error(&e))
    }

    fn write_output(&self, text: &[u8]) {
        // Lua prints through C's stdout; go through it too so the order is kept.
        lua_persist::ffi::c_stdout_write(text);
    }

    fn write_error(&self, text: &[u8]) {
        lua_persist::ffi::c_stdout_flush();
        let _ = std::io::stderr().write_all(text);
    }

    fn read_line(&self, prompt: &str) -> Option<Vec<u8>> {
        lua_persist::ffi::c_stdout_flush();
        let mut editor = self.editor.borrow_mut();
        if editor.is_none() {
            *editor = Some(rustyline::DefaultEditor::new().ok()?);
        }
        let editor = editor.as_mut()?;
        match editor.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                Some(line.into_bytes())
            }
            // Ctrl-C drops the line being typed, as in lua with readline.
            Err(rustyline::error::ReadlineError::Interrupted) => Some(Vec::new()),
            Err(_) => None,
        }
    }

    unsafe fn open_extensions(&self, L: *mut lua_State) -> Result<(), String> {
        let store = self
            .store
            .borrow_mut()
            .take()
            .ok_or("the store is already in use")?;
        // SAFETY: forwarded trait contract.
        unsafe {
            ext_table::install(L, store, true).map_err(|e| e.to_string())?;
            set_bytecode_policy(L, &self.policy).map_err(|e| e.to_string())
        }
    }
}

/// The C library's wording ("No such file or directory"), without Rust's "(os error 2)".
fn describe_io_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

fn fail(message: &str) -> i32 {
    eprintln!("{}: {message}", runner::PROGNAME);
    1
}

fn option<'a>(inv: &'a Invocation, name: &str) -> Option<&'a [u8]> {
    inv.host_options
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
}

fn run(mut inv: Invocation, collect: bool) -> i32 {
    let location = store_cli::store_location(option(&inv, "store"));
    let opened = match store_cli::open_store(&location) {
        Ok(opened) => opened,
        Err(why) => return fail(&why),
    };
    let mut store = opened.store;
    let mut moved = false;
    for (name, file) in &inv.host_options {
        let file = Path::new(OsStr::from_bytes(file));
        let result = match name.as_str() {
            "export" => store_cli::export(store.as_mut(), file).map(|n| {
                eprintln!("exported {n} values to {}", file.display());
            }),
            "import" | "import-trusted" => {
                let trusted = name == "import-trusted";
                store_cli::import(store.as_mut(), &opened.policy, file, trusted).map(|done| {
                    let signed = match done.signed {
                        0 => String::new(),
                        n => format!(", {n} with functions signed as trusted"),
                    };
                    eprintln!(
                        "imported {} values from {}{signed}",
                        done.entries,
                        file.display()
                    );
                })
            }
            _ => Ok(()),
        };
        if let Err(why) = result {
            return fail(&why);
        }
        moved |= name != "store";
    }
    if collect {
        match store.collect(&[]) {
            Ok(done) => {
                eprintln!(
                    "collected: removed {} tables ({} values); {} live; {} kept until other processes using the store let them go",
                    done.removed_tables, done.removed_entries, done.live_tables, done.deferred_tables
                );
                if done.unreadable_values > 0 {
                    eprintln!(
                        "lua-persist: {} stored values are damaged: what only they reference cannot be kept",
                        done.unreadable_values
                    );
                }
            }
            Err(why) => return fail(&why.to_string()),
        }
        moved = true;
    }
    let nothing_to_run = inv.chunks.is_empty() && inv.script.is_none() && !inv.interactive;
    if moved && nothing_to_run && !inv.show_version {
        return 0;
    }
    // As lua.c: no script and no -e/-v: the prompt on a terminal, else standard input.
    if nothing_to_run && !inv.show_version {
        if std::io::stdin().is_terminal() {
            inv.interactive = true;
        } else {
            inv.script = Some(b"-".to_vec());
        }
    }
    if inv.interactive {
        inv.show_version = true; // -i implies -v, as in lua
    }
    let host = NativeHost {
        store: RefCell::new(Some(store)),
        policy: opened.policy,
        editor: RefCell::new(None),
    };
    runner::run(&inv, &host)
}

fn main() {
    let mut argv: Vec<Vec<u8>> = std::env::args_os().map(OsStringExt::into_vec).collect();
    let collect = take_collect_flag(&mut argv);
    let code = match runner::parse_args_with(&argv, HOST_OPTIONS) {
        Ok(invocation) => run(invocation, collect),
        Err(e) => {
            eprint!("{}: {e}\n{}{HOST_USAGE}", runner::PROGNAME, runner::usage());
            1
        }
    };
    lua_persist::ffi::c_stdout_flush();
    std::process::exit(code);
}
