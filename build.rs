//! Builds the vendored Lua 5.4 (`lua-src/`, unmodified) for the target, and on
//! wasm32-unknown-unknown our minimal libc (`wasm/include`, `wasm/libc`).
//! With the `buildtime-bindgen` feature it also regenerates the FFI bindings.

use std::env;
use std::path::Path;
use std::process::Command;

/// Lua's library sources: everything in lua-src/ except the stand-alone
/// interpreter and compiler, which lua-src does not ship anyway.
const LUA_SOURCES: &[&str] = &[
    "lapi.c",
    "lcode.c",
    "lctype.c",
    "ldebug.c",
    "ldo.c",
    "ldump.c",
    "lfunc.c",
    "lgc.c",
    "llex.c",
    "lmem.c",
    "lobject.c",
    "lopcodes.c",
    "lparser.c",
    "lstate.c",
    "lstring.c",
    "ltable.c",
    "ltm.c",
    "lundump.c",
    "lvm.c",
    "lzio.c",
    "lauxlib.c",
    "lbaselib.c",
    "lcorolib.c",
    "ldblib.c",
    "liolib.c",
    "lmathlib.c",
    "loadlib.c",
    "loslib.c",
    "lstrlib.c",
    "ltablib.c",
    "lutf8lib.c",
    "linit.c",
];

/// Compiled at -O2 in the module by default: Lua's calls and returns (luaD_precall,
/// luaD_poscall) and the interpreter, for 4.4 KB (README, Benchmarks: what each file at
/// -O2 costs and buys).
const WASM_DEFAULT_SPEED_SOURCES: &[&str] = &["ldo.c", "lvm.c"];

/// The files of Lua's interpreter loop and what it calls on every instruction, table access,
/// call and string: compiled at -O2 in the module with LUA_PERSIST_WASM_FAST_VM=1.
const WASM_SPEED_SOURCES: &[&str] = &[
    "lvm.c",
    "ldo.c",
    "ltable.c",
    "lstring.c",
    "lgc.c",
    "lfunc.c",
    "lapi.c",
    "lstrlib.c",
];

/// Our libc for wasm32 (the Rust half is src/wasm/libc.rs).
const WASM_LIBC_SOURCES: &[&str] = &[
    "wasm/libc/stdio.c",
    "wasm/libc/stdlib.c",
    "wasm/libc/string.c",
    "wasm/libc/math.c",
    "wasm/libc/time.c",
    "wasm/libc/exit.c",
    "wasm/libc/setjmp.c",
    "wasm/libc/tag.S",
];

/// The host's imports (cu's `env` functions), only in the wasm module itself (feature
/// `wasm-module`). Without it nothing is imported, and `time.c` has no clock.
const WASM_HOST_IMPORTS: &str = "wasm/libc/imports.S";

/// The runner's module's files and environment (feature `host-files`): the imports of
/// module `lp_os` and the streams over them.
const WASM_HOST_FILES: &[&str] = &["wasm/libc/host_os.S", "wasm/libc/host_files.c"];

fn main() {
    let target = env::var("TARGET").expect("cargo sets TARGET");
    println!("cargo:rerun-if-changed=lua-src");
    println!("cargo:rerun-if-changed=wasm/include");
    println!("cargo:rerun-if-changed=wasm/libc");
    println!("cargo:rerun-if-changed=src/ffi/noreturn.c");
    println!("cargo:rerun-if-changed=src/lua_user");

    // Flags first, files after: the files compiled for speed take a copy of the flags.
    let mut lua = cc::Build::new();
    lua.include("lua-src").warnings(false);
    // lua.h includes LUA_USER_H in every Lua file (see the header): the limits' ticks and
    // their checkpoints, and the output points.
    lua.include("src/lua_user")
        .define("LUA_USER_H", Some("\"lua_user.h\""));
    // Debug and test builds check every C API call (LUA_USE_APICHECK, as lua-src-rs does):
    // a misuse aborts at once instead of corrupting memory. Release builds do not pay for it.
    println!("cargo:rerun-if-env-changed=PROFILE");
    if env::var("PROFILE").as_deref() == Ok("debug") {
        lua.define("LUA_USE_APICHECK", None);
    }

    let wasm = target == "wasm32-unknown-unknown";
    match target.as_str() {
        "wasm32-unknown-unknown" => configure_wasm(&mut lua),
        // Natively -O2, as Lua's own makefile (the crate's Rust code is built for size).
        t if t.contains("-linux-") => {
            lua.define("LUA_USE_LINUX", None).opt_level(2);
        }
        t if t.ends_with("-apple-darwin") => {
            lua.define("LUA_USE_MACOSX", None).opt_level(2);
        }
        other => panic!(
            "lua-persist supports Linux, macOS and wasm32-unknown-unknown; target `{other}` is not \
             supported (see README, section Targets)"
        ),
    }
    // In the module Lua is -Oz, for the size budget, but for ldo.c and lvm.c; with
    // LUA_PERSIST_WASM_FAST_VM=1 the interpreter's hot paths are -O2 (README, Benchmarks:
    // what that costs and buys), with =0 all of it is -Oz. Natively all of Lua is -O2.
    // (Or a comma-separated list of Lua's files to compile at -O2: for measuring each.)
    println!("cargo:rerun-if-env-changed=LUA_PERSIST_WASM_FAST_VM");
    let fast_vm = env::var("LUA_PERSIST_WASM_FAST_VM").unwrap_or_default();
    let fast: Vec<&str> = match fast_vm.as_str() {
        _ if !wasm => Vec::new(),
        "" => WASM_DEFAULT_SPEED_SOURCES.to_vec(),
        "0" => Vec::new(),
        "1" => WASM_SPEED_SOURCES.to_vec(),
        list => list.split(',').map(str::trim).collect(),
    };
    let (speed, size): (Vec<&str>, Vec<&str>) = LUA_SOURCES.iter().partition(|f| fast.contains(f));
    if !speed.is_empty() {
        let mut hot = lua.clone();
        hot.flag("-O2");
        for f in &speed {
            hot.file(Path::new("lua-src").join(f));
        }
        for object in hot.compile_intermediates() {
            lua.object(object);
        }
    }
    lua.files(size.iter().map(|f| Path::new("lua-src").join(f)));
    // lua_error/luaL_error returning void, for Rust's `-> !` (see the file).
    lua.file("src/ffi/noreturn.c")
        .file("src/lua_user/checkpoints.c")
        .file("src/lua_user/output_gate.c")
        .file("src/lua_user/coroutine_frames.c")
        .file("src/lua_user/libraries.c");
    if wasm {
        lua.files(WASM_LIBC_SOURCES);
        if cfg!(feature = "wasm-module") {
            lua.file(WASM_HOST_IMPORTS);
        }
        if cfg!(feature = "host-files") {
            lua.files(WASM_HOST_FILES);
        }
    }
    lua.compile("lua54");

    #[cfg(feature = "buildtime-bindgen")]
    generate_bindings();
}

/// wasm32-unknown-unknown has no libc: compile Lua with clang against our headers, with
/// setjmp/longjmp lowered to wasm exception handling (main adds our C runtime's files).
fn configure_wasm(build: &mut cc::Build) {
    println!("cargo:rerun-if-env-changed=CC_wasm32_unknown_unknown");
    println!("cargo:rerun-if-env-changed=AR_wasm32_unknown_unknown");
    let compiler = env::var("CC_wasm32_unknown_unknown").unwrap_or_else(|_| "clang-19".into());
    let archiver = env::var("AR_wasm32_unknown_unknown")
        .unwrap_or_else(|_| llvm_tool_beside(&compiler, "llvm-ar"));
    require_tool(&compiler, "the C compiler for wasm32 (clang 19 or newer)");
    require_tool(&archiver, "the archiver for wasm32 objects (llvm-ar)");

    build
        .compiler(&compiler)
        .archiver(&archiver)
        .include("wasm/include")
        .flag("-nostdlibinc")
        .flag("-Oz") // the module's size budget; see README, Benchmarks
        .flag("-mllvm")
        .flag("-wasm-enable-sjlj")
        .flag("-mexception-handling")
        .flag("-mbulk-memory")
        // Forced include: settings Lua reads from luaconf.h's hooks (see the header).
        .flag("-include")
        .flag("wasm/include/lua_persist_wasm.h")
        // The interpreter's dispatch as a switch: wasm has no computed goto (clang makes one
        // br_table of all the gotos anyway), and one fetch, not one per opcode, keeps the
        // limits' tick (src/lua_user/lua_user.h) in one place.
        .define("LUA_USE_JUMPTABLE", Some("0"));
    if cfg!(feature = "wasm-module") {
        build.define("LP_HOST_IMPORTS", None);
    }
    if cfg!(feature = "host-files") {
        build.define("LP_HOST_FILES", None);
    }
}

/// `clang-19` pairs with `llvm-ar-19`; a plain `clang` with `llvm-ar`.
fn llvm_tool_beside(compiler: &str, tool: &str) -> String {
    let path = Path::new(compiler);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(compiler);
    let versioned = match name.strip_prefix("clang") {
        Some(suffix) if suffix.starts_with('-') => format!("{tool}{suffix}"),
        _ => tool.to_string(),
    };
    path.with_file_name(versioned)
        .to_string_lossy()
        .into_owned()
}

fn require_tool(program: &str, what: &str) {
    let runs = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        panic!(
            "cannot run `{program}`, {what}. On Debian/Ubuntu: `apt-get install -y clang-19 \
             llvm-19` (or run the README's setup command), or set CC_wasm32_unknown_unknown / \
             AR_wasm32_unknown_unknown to your own clang and llvm-ar."
        );
    }
}

/// Regenerates the bindings into OUT_DIR; tests/bindings_fresh.rs compares them with the
/// checked-in src/ffi/bindings.rs. Every type is spelled with core::ffi names, so the same
/// text serves all targets.
#[cfg(feature = "buildtime-bindgen")]
fn generate_bindings() {
    let out = std::path::PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("bindings.rs");
    let bindings = bindgen::Builder::default()
        .header("src/ffi/wrapper.h")
        // One fixed target and our own headers make the text the same on every host. (bindgen
        // emits no functions for a wasm32 target, so a 64-bit Linux one stands in.)
        .clang_args([
            "--target=x86_64-unknown-linux-gnu",
            "-nostdlibinc",
            "-Iwasm/include",
            "-Ilua-src",
        ])
        .allowlist_function("(lua|luaL|luaopen)_.*")
        .allowlist_type("(lua|luaL)_.*")
        .allowlist_var("(LUA|LUAL|LUAI)_.*")
        // va_list differs per target, and Rust cannot build one: leave the v* functions out.
        .blocklist_function("lua_pushvfstring")
        // They never return: declared by hand in ffi/mod.rs with `-> !`.
        .blocklist_function("lua_error|luaL_error")
        .default_macro_constant_type(bindgen::MacroTypeVariation::Signed)
        // Its size depends on the pointer width (LUAL_BUFFERSIZE): written by hand in ffi/mod.rs.
        .blocklist_type("luaL_Buffer.*")
        // C's FILE is opaque to Rust and named differently per libc: declared in ffi/mod.rs.
        .blocklist_type("FILE|__lp_file")
        .raw_line("// Generated by bindgen from lua-src/{lua,lauxlib,lualib}.h: do not edit.")
        .raw_line("// Regenerate: see tests/bindings_fresh.rs.")
        .use_core()
        .ctypes_prefix("core::ffi")
        .layout_tests(false)
        .generate_comments(false)
        .merge_extern_blocks(true)
        // Every Lua API function may raise a Lua error, which is a longjmp (a wasm throw).
        .override_abi(bindgen::Abi::CUnwind, ".*")
        .generate()
        .expect("bindgen failed on src/ffi/wrapper.h");
    bindings
        .write_to_file(&out)
        .expect("cannot write bindings to OUT_DIR");
}
