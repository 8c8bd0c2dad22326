//! `lua-persist [-e CODE]... [-v] [SCRIPT [ARGS...]]`: runs Lua like the standard `lua`.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use lua_persist::runner::{self, Host};

struct NativeHost;

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
        let _ = std::io::stderr().write_all(text);
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

fn main() {
    let argv: Vec<Vec<u8>> = std::env::args_os().map(OsStringExt::into_vec).collect();
    let code = match runner::parse_args(&argv) {
        Ok(invocation) => runner::run(&invocation, &NativeHost, usize::MAX),
        Err(e) => {
            eprint!("{}: {e}\n{}", runner::PROGNAME, runner::usage());
            1
        }
    };
    lua_persist::ffi::c_stdout_flush();
    std::process::exit(code);
}
