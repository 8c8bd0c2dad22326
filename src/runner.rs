//! The command-line runner shared by the native binary (`src/bin/lua-persist/`) and the
//! wasm module (`lp_main`, used by `wasm/run.mjs`): `[-e CODE]... [SCRIPT [ARGS...]]`,
//! behaving as the standard `lua` program does for those options.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, c_void, CStr};
use std::cell::Cell;
use std::ffi::CString;

use crate::ffi::*;
use crate::limits::{self, Limits};
use crate::lua;
use crate::sandbox;

/// The program name in messages, the same on every target so outputs compare equal.
pub const PROGNAME: &str = "lua-persist";

/// One command line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// `-e` chunks, in order.
    pub chunks: Vec<Vec<u8>>,
    /// The script (`-` for standard input) and its arguments.
    pub script: Option<Vec<u8>>,
    pub script_args: Vec<Vec<u8>>,
    /// `-v`: print the version first.
    pub show_version: bool,
    /// `-i`: enter the interactive prompt after the script (native runner only).
    pub interactive: bool,
    /// The host's own `--name VALUE` options, in order (see [`parse_args_with`]).
    pub host_options: Vec<(String, Vec<u8>)>,
    /// `--max-memory SIZE`, `--max-instructions N`, `--max-time SECONDS`.
    pub limits: Limits,
    /// `--sandbox`: the safe standard library ([`crate::sandbox`]), and the limits of
    /// [`Limits::SANDBOX_DEFAULT`] where no option sets them.
    pub sandbox: bool,
    /// `--sandbox-read DIR` (native runner): directories whose files sandboxed scripts may
    /// read ([`sandbox::SandboxOptions::readable_dirs`]).
    pub readable_dirs: Vec<std::path::PathBuf>,
    /// The whole command line, for the `arg` table's negative indices.
    pub argv: Vec<Vec<u8>>,
    /// Index in `argv` of the script (or of the first unused argument).
    pub script_index: usize,
}

/// Why a command line is not accepted (printed with the usage text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("'-e' needs argument")]
    MissingChunk,
    #[error("unrecognized option '{0}'")]
    UnknownOption(String),
    #[error("'--{0}' needs argument")]
    MissingOptionValue(String),
    #[error("'--{option}' needs {expected}, not '{value}'")]
    InvalidOptionValue {
        option: String,
        value: String,
        expected: &'static str,
    },
}

/// The runner's options with a value, on every target (the limits).
pub const LIMIT_OPTIONS: &[&str] = &["max-memory", "max-instructions", "max-time"];

/// All the runner's own options with a value, for a host that looks past them.
pub const VALUE_OPTIONS: &[&str] = &["max-memory", "max-instructions", "max-time", "sandbox-read"];

/// The usage text printed after a [`UsageError`].
pub fn usage() -> String {
    // The native runner's own option (the wasm module has no file system).
    #[cfg(not(target_arch = "wasm32"))]
    let sandbox_read = "  --sandbox-read DIR   let sandboxed scripts read the files in DIR\n";
    #[cfg(target_arch = "wasm32")]
    let sandbox_read = "";
    format!(
        "usage: {PROGNAME} [options] [script [args]]\n\
         Available options are:\n  \
         -e stat   execute string 'stat'\n  \
         -v        show version information\n  \
         --max-memory SIZE    limit the state's memory (bytes; suffix K, M or G)\n  \
         --max-instructions N limit each chunk's instructions\n  \
         --max-time SECONDS   limit each chunk's running time\n  \
         --sandbox            the safe standard library, and default limits\n\
         {sandbox_read}  \
         --        stop handling options\n  \
         -         stop handling options and execute stdin\n"
    )
}

/// Parses `argv` (`argv[0]` is the program) like `lua` does.
pub fn parse_args(argv: &[Vec<u8>]) -> Result<Invocation, UsageError> {
    parse_args_with(argv, &[])
}

/// [`parse_args`], also accepting the host's options `--NAME VALUE` for each of
/// `host_options` (the native runner's `--store PATH`, ...), before the script.
pub fn parse_args_with(argv: &[Vec<u8>], host_options: &[&str]) -> Result<Invocation, UsageError> {
    #[cfg(target_arch = "wasm32")]
    let _ = host_options; // the wasm runner's host options are taken by wasm/run.mjs
    let mut inv = Invocation {
        chunks: Vec::new(),
        script: None,
        script_args: Vec::new(),
        show_version: false,
        interactive: false,
        host_options: Vec::new(),
        limits: Limits::NONE,
        sandbox: false,
        readable_dirs: Vec::new(),
        argv: argv.to_vec(),
        script_index: argv.len(),
    };
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_slice();
        match a {
            b"--" => {
                i += 1;
                break;
            }
            b"-" => break,
            b"-v" => inv.show_version = true,
            b"--sandbox" => inv.sandbox = true,
            #[cfg(not(target_arch = "wasm32"))]
            b"--sandbox-read" => {
                i += 1;
                let dir = argv
                    .get(i)
                    .ok_or(UsageError::MissingOptionValue("sandbox-read".into()))?;
                inv.readable_dirs.push(std::path::PathBuf::from(
                    String::from_utf8_lossy(dir).into_owned(),
                ));
            }
            _ if a.starts_with(b"--") && LIMIT_OPTIONS.iter().any(|o| a[2..] == *o.as_bytes()) => {
                let name = String::from_utf8_lossy(&a[2..]).into_owned();
                i += 1;
                let value = argv
                    .get(i)
                    .ok_or(UsageError::MissingOptionValue(name.clone()))?;
                set_limit_option(&mut inv.limits, &name, value)?;
            }
            #[cfg(not(target_arch = "wasm32"))]
            b"-i" => inv.interactive = true,
            #[cfg(not(target_arch = "wasm32"))]
            _ if a.starts_with(b"--") && host_options.iter().any(|o| a[2..] == *o.as_bytes()) => {
                let name = String::from_utf8_lossy(&a[2..]).into_owned();
                i += 1;
                let value = argv
                    .get(i)
                    .ok_or(UsageError::MissingOptionValue(name.clone()))?;
                inv.host_options.push((name, value.clone()));
            }
            b"-e" => {
                i += 1;
                let chunk = argv.get(i).ok_or(UsageError::MissingChunk)?;
                inv.chunks.push(chunk.clone());
            }
            _ if a.starts_with(b"-e") => inv.chunks.push(a[2..].to_vec()),
            _ if a.starts_with(b"-") => {
                return Err(UsageError::UnknownOption(
                    String::from_utf8_lossy(a).into_owned(),
                ))
            }
            _ => break,
        }
        i += 1;
    }
    if i < argv.len() {
        inv.script = Some(argv[i].clone());
        inv.script_args = argv[i + 1..].to_vec();
        inv.script_index = i;
    }
    Ok(inv)
}

/// Sets the limit of option `--name` from its value.
fn set_limit_option(limits: &mut Limits, name: &str, value: &[u8]) -> Result<(), UsageError> {
    let (set, expected) = match name {
        "max-memory" => (
            parse_size(value).map(|bytes| limits.memory = Some(bytes)),
            "a size in bytes, with an optional suffix K, M or G (e.g. 64M)",
        ),
        "max-instructions" => (
            parse_whole(value)
                .filter(|&n| n > 0)
                .map(|n| limits.instructions = Some(n)),
            "a positive whole number",
        ),
        _ => (
            // C's strtod, as Lua reads numbers (the wasm module has no other float parser).
            Some(crate::portable_libc::strtod::parse(value))
                .filter(|r| r.consumed == value.len() && !value.is_empty())
                .map(|r| r.value)
                .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
                .map(|s| limits.time = Some(crate::limits::duration_from_ms(s * 1000.0))),
            "a positive number of seconds",
        ),
    };
    set.ok_or_else(|| UsageError::InvalidOptionValue {
        option: name.to_string(),
        value: String::from_utf8_lossy(value).into_owned(),
        expected,
    })
}

/// Decimal digits (nothing else) as a number, unless it overflows.
fn parse_whole(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then_some(())?;
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// `64M` and the like: bytes, with an optional binary suffix K, M or G. A size past what
/// the target can address (4 GiB on wasm32) is as much as it can.
pub fn parse_size(text: &[u8]) -> Option<usize> {
    let (digits, unit) = match text.last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 1u64 << 10),
        b'M' | b'm' => (&text[..text.len() - 1], 1 << 20),
        b'G' | b'g' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    let bytes = parse_whole(digits)?.checked_mul(unit).filter(|&b| b > 0)?;
    Some(usize::try_from(bytes).unwrap_or(usize::MAX))
}

/// Where the runner's messages go and where it reads scripts from; differs per target.
pub trait Host {
    /// Reads the script named on the command line (`-` is standard input), or says why not
    /// (e.g. "No such file or directory").
    fn read_script(&self, name: &[u8]) -> Result<Vec<u8>, String>;
    /// Writes to standard output, in order with Lua's `print`.
    fn write_output(&self, text: &[u8]);
    /// Writes to standard error.
    fn write_error(&self, text: &[u8]);
    /// Reads one line for the interactive prompt (without its newline), showing `prompt`;
    /// `None` at the end of input. Hosts without a prompt keep the default.
    fn read_line(&self, _prompt: &str) -> Option<Vec<u8>> {
        None
    }
    /// Adds what this host gives scripts beyond the standard libraries and `persist` (the
    /// wasm module: external tables over its host's store). Runs protected.
    ///
    /// # Safety
    /// `L` is a valid state inside a protected call.
    unsafe fn open_extensions(&self, _L: *mut lua_State) -> Result<(), String> {
        Ok(())
    }
}

/// What `pmain` needs; it holds no value with a destructor, because Lua errors may jump
/// over pmain's frame. Everything owned lives in [`run`]'s frame.
struct MainContext<'a> {
    inv: &'a Invocation,
    script_source: Option<&'a [u8]>,
    script_chunkname: &'a CStr,
    host: &'a dyn Host,
    exit_code: Cell<c_int>,
}

/// Runs a command line in a new Lua state; returns the process exit code (0 or 1).
/// Errors are reported as `lua-persist: message` plus a traceback on standard error.
pub fn run(inv: &Invocation, host: &dyn Host) -> c_int {
    match prepare(inv, host) {
        Ok(prepared) => execute(inv, &prepared, host, &Cell::new(None)),
        Err(code) => code,
    }
}

/// What [`prepare`] reads before any Lua runs: the script and its chunk name.
pub struct Prepared {
    script_source: Option<Vec<u8>>,
    chunkname: CString,
}

/// The part of [`run`] that owns memory: prints the version, reads the script. Returns the
/// exit code when the script cannot be read.
pub fn prepare(inv: &Invocation, host: &dyn Host) -> Result<Prepared, c_int> {
    if inv.show_version {
        // SAFETY: LUA_COPYRIGHT is a NUL-terminated constant.
        let copyright = unsafe { CStr::from_bytes_with_nul_unchecked(LUA_COPYRIGHT) };
        host.write_output(&[copyright.to_bytes(), b"\n"].concat());
    }
    let Some(name) = &inv.script else {
        return Ok(Prepared {
            script_source: None,
            chunkname: CString::default(),
        });
    };
    match host.read_script(name) {
        Ok(source) => {
            let chunkname = if name == b"-" {
                b"=stdin".to_vec()
            } else {
                [b"@".as_slice(), name].concat()
            };
            Ok(Prepared {
                script_source: Some(skip_shebang(source)),
                chunkname: CString::new(chunkname).unwrap_or_default(),
            })
        }
        Err(why) => {
            let name = String::from_utf8_lossy(name);
            host.write_error(format!("{PROGNAME}: cannot open {name}: {why}\n").as_bytes());
            Err(1)
        }
    }
}

/// The part of [`run`] that runs Lua. Its frame holds only references and plain values, so
/// a jump over it (the wasm build's `exit`, see `lp_main`) loses nothing but the state,
/// which it publishes in `running` while it is open so that the jumper can clean up
/// ([`lua::forget_abandoned`]).
pub fn execute(
    inv: &Invocation,
    prepared: &Prepared,
    host: &dyn Host,
    running: &Cell<Option<lua::AbandonedState>>,
) -> c_int {
    let ctx = MainContext {
        inv,
        script_source: prepared.script_source.as_deref(),
        script_chunkname: &prepared.chunkname,
        host,
        exit_code: Cell::new(0),
    };
    let L = lua::new_state(usize::MAX);
    if L.is_null() {
        host.write_error(
            format!("{PROGNAME}: cannot create state: not enough memory\n").as_bytes(),
        );
        return 1;
    }
    // SAFETY: L is a fresh state from new_state.
    if let Err(e) = unsafe { limits::set_limits(L, &effective_limits(inv)) } {
        host.write_error(format!("{PROGNAME}: {e}\n").as_bytes());
        // SAFETY: L came from new_state and is not used again.
        unsafe { lua::close(L) };
        return 1;
    }
    // SAFETY: L is fresh from new_state.
    running.set(Some(unsafe { lua::abandonable(L) }));
    // SAFETY: L is a fresh state; pmain only borrows ctx, which outlives the call. Nothing
    // here raises outside lua_pcall (the pushes do not allocate; the message is a string).
    unsafe {
        lua_pushcfunction(L, Some(pmain));
        lua_pushlightuserdata(L, &ctx as *const MainContext as *mut c_void);
        let status = lua_pcall(L, 1, 0, 0);
        if status != LUA_OK {
            report(L, host); // an error outside any chunk, e.g. out of memory in openlibs
            ctx.exit_code.set(1);
        }
        // As lua.c: the prompt comes after the chunks and the script, unless one failed.
        #[cfg(not(target_arch = "wasm32"))]
        if inv.interactive && ctx.exit_code.get() == 0 {
            repl(L, host);
        }
        running.set(None);
        lua::close(L);
    }
    ctx.exit_code.get()
}

/// The limits of a command line: its options, and in sandbox mode the default limits for
/// those it does not set.
pub fn effective_limits(inv: &Invocation) -> Limits {
    let mut limits = inv.limits;
    if inv.sandbox {
        let default = Limits::SANDBOX_DEFAULT;
        limits.memory = limits.memory.or(default.memory);
        limits.instructions = limits.instructions.or(default.instructions);
        limits.time = limits.time.or(default.time);
    }
    limits
}

/// Like the standard `lua`, ignore a first line starting with '#', keeping line numbers.
fn skip_shebang(mut source: Vec<u8>) -> Vec<u8> {
    if source.first() == Some(&b'#') {
        let end = source
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(source.len());
        source.drain(..end);
    }
    source
}

/// The protected body of [`run`]: opens the libraries, builds `arg`, runs the chunks.
unsafe extern "C-unwind" fn pmain(L: *mut lua_State) -> c_int {
    // SAFETY: the body has the same contract; a panic must not unwind into C.
    crate::lua::abort_on_panic(|| unsafe { pmain_body(L) })
}

unsafe fn pmain_body(L: *mut lua_State) -> c_int {
    // SAFETY: run() pushed a pointer to a MainContext that outlives this call.
    let ctx = unsafe { &*(lua_touserdata(L, 1) as *const MainContext) };
    // SAFETY: L is a valid state inside a protected call; errors raised here are caught
    // by run()'s lua_pcall.
    unsafe {
        luaL_openlibs(L);
        open_persist(L);
        limits::open_limits(L);
        if let Err(message) = ctx.host.open_extensions(L) {
            lua::raise(L, message);
        }
        if ctx.inv.sandbox {
            let options = sandbox::SandboxOptions {
                readable_dirs: ctx.inv.readable_dirs.clone(),
            };
            // The options' and the error's memory is gone before the raise.
            let failed = sandbox::apply_with(L, &options)
                .err()
                .map(|e| e.to_string());
            drop(options);
            if let Some(message) = failed {
                lua::raise(L, message);
            }
        }
        create_arg_table(L, ctx.inv);
        for chunk in &ctx.inv.chunks {
            if run_chunk(L, ctx.host, chunk, c"=(command line)", &[]) != LUA_OK {
                ctx.exit_code.set(1);
                return 0;
            }
        }
        if let Some(source) = ctx.script_source {
            if run_chunk(
                L,
                ctx.host,
                source,
                ctx.script_chunkname,
                &ctx.inv.script_args,
            ) != LUA_OK
            {
                ctx.exit_code.set(1);
            }
        }
    }
    0
}

/// Makes the `persist` library a global, as the standard libraries are.
///
/// # Safety
/// Inside a protected call on a valid state.
pub unsafe fn open_persist(L: *mut lua_State) {
    // SAFETY: forwarded caller contract.
    unsafe {
        luaL_requiref(
            L,
            c"persist".as_ptr(),
            Some(crate::serializer::luaopen_persist),
            1,
        );
        lua_pop(L, 1);
    }
}

/// `arg` as the standard `lua` builds it: the script at 0, its arguments at 1.., and the
/// interpreter and options at negative indices.
///
/// # Safety
/// Inside a protected call on a valid state.
unsafe fn create_arg_table(L: *mut lua_State, inv: &Invocation) {
    // As lua.c: with no script, the program name takes index 0.
    let base = if inv.script.is_some() {
        inv.script_index as i64
    } else {
        0
    };
    // SAFETY: forwarded caller contract.
    unsafe {
        lua_createtable(L, inv.script_args.len() as c_int, (base + 1) as c_int);
        for (i, a) in inv.argv.iter().enumerate() {
            lua::pushstring(L, a);
            lua_rawseti(L, -2, i as i64 - base);
        }
        lua_setglobal(L, c"arg".as_ptr());
    }
}

/// Loads and runs one chunk in `L` with a traceback handler, from outside any protected
/// call; an error is reported through `host`. Returns the Lua status (`LUA_OK` or the
/// error's). The stack is left as it was.
///
/// # Safety
/// `L` must be a valid state with room for 3 values.
pub unsafe fn exec_chunk(L: *mut lua_State, host: &dyn Host, chunk: &[u8], name: &CStr) -> c_int {
    // SAFETY: forwarded caller contract; no arguments means nothing here can raise.
    unsafe { run_chunk(L, host, chunk, name, &[]) }
}

/// Loads and calls one chunk with a traceback handler; reports an error. Returns the status.
///
/// # Safety
/// `L` valid; with `args`, inside a protected call (pushing them may raise).
unsafe fn run_chunk(
    L: *mut lua_State,
    host: &dyn Host,
    chunk: &[u8],
    name: &CStr,
    args: &[Vec<u8>],
) -> c_int {
    // SAFETY: forwarded caller contract; the stack is balanced on both paths.
    unsafe {
        let base = lua_gettop(L);
        let mut status = lua::loadbuffer(L, chunk, name, None);
        if status == LUA_OK {
            if !args.is_empty() {
                luaL_checkstack(L, args.len() as c_int + 3, c"too many script args".as_ptr());
            }
            for a in args {
                lua::pushstring(L, a);
            }
            status = call_with_handler(L, base, args.len() as c_int, 0, message_handler);
        }
        // The end of a chunk (and the report of its error) is an output point.
        status = commit_writes(L, status);
        if status != LUA_OK {
            report(L, host);
        }
        lua_settop(L, base);
        status
    }
}

/// Registry keys (these statics' addresses, as light userdata) where [`eval_chunk`]'s
/// message handler leaves an error's message and traceback; the error value itself stays as
/// raised. Light-userdata keys make no string, so setting them to nil and reading them
/// cannot raise.
static EVAL_MESSAGE_KEY: u8 = 0;
static EVAL_TRACEBACK_KEY: u8 = 0;

/// Loads and calls one chunk as [`exec_chunk`] does, but for a host that takes its values:
/// on success the chunk's results are left on the stack above its height before the call;
/// on an error the error value as raised is left there (one value), and
/// [`push_eval_error_notes`] pushes its message and traceback (both nil when the error was
/// not raised by the chunk: a syntax error, or its writes that could not be stored, whose
/// value is the message). Nothing is printed. Returns the status.
///
/// # Safety
/// `L` valid. The caller resets the stack.
pub unsafe fn eval_chunk(L: *mut lua_State, chunk: &[u8], name: &CStr) -> c_int {
    // SAFETY: forwarded caller contract; nil into a registry key that may be absent makes
    // no entry (Lua does not store nil), so nothing here allocates before the protected call.
    unsafe {
        let base = lua_gettop(L);
        for key in [&EVAL_MESSAGE_KEY, &EVAL_TRACEBACK_KEY] {
            lua_pushnil(L);
            lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(key));
        }
        let mut status = lua::loadbuffer(L, chunk, name, None);
        if status == LUA_OK {
            status = call_with_handler(L, base, 0, LUA_MULTRET, eval_message_handler);
        }
        if status == LUA_OK {
            return commit_keeping_results(L, base);
        }
        commit_writes(L, status)
    }
}

/// Pushes the message and the traceback that [`eval_chunk`]'s handler noted for the last
/// error (nil, nil when it noted none).
///
/// # Safety
/// `L` valid, with room for 2 values.
pub unsafe fn push_eval_error_notes(L: *mut lua_State) {
    // SAFETY: forwarded caller contract; raw reads do not allocate.
    unsafe {
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&EVAL_MESSAGE_KEY));
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&EVAL_TRACEBACK_KEY));
    }
}

/// [`eval_chunk`]'s handler: keeps the error value, and notes its message (as the runners
/// print it) and the traceback from where it was raised.
unsafe extern "C-unwind" fn eval_message_handler(L: *mut lua_State) -> c_int {
    // SAFETY: the body has the same contract; a panic must not unwind into C.
    crate::lua::abort_on_panic(|| unsafe { eval_message_handler_body(L) })
}

unsafe fn eval_message_handler_body(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with the error object at index 1; an allocation error in here
    // is Lua's "error in error handling".
    unsafe {
        push_error_message(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&EVAL_MESSAGE_KEY));
        luaL_traceback(L, L, core::ptr::null(), 1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&EVAL_TRACEBACK_KEY));
        lua_settop(L, 1);
        1
    }
}

/// Commits the state's pending external-table writes at the end of a chunk (whose status is
/// `status`). When they cannot be stored, that is the chunk's error (replacing its own),
/// with the message on top.
///
/// # Safety
/// `L` valid, with its error message on top when `status` is an error, and room for 2.
unsafe fn commit_writes(L: *mut lua_State, status: c_int) -> c_int {
    // SAFETY: forwarded caller contract; the push runs protected.
    unsafe {
        let Err(e) = crate::ext_table::commit(L) else {
            return status;
        };
        let message = e.to_string();
        if status != LUA_OK {
            lua_pop(L, 1);
        }
        if lua::protected_results(L, 1, &mut |L| lua::pushstring(L, message.as_bytes())).is_err() {
            lua_pushnil(L);
        }
        LUA_ERRRUN
    }
}

/// lua.c's `msghandler`: turn the error into a string and append a traceback.
unsafe extern "C-unwind" fn message_handler(L: *mut lua_State) -> c_int {
    // SAFETY: the body has the same contract; a panic must not unwind into C.
    crate::lua::abort_on_panic(|| unsafe { message_handler_body(L) })
}

unsafe fn message_handler_body(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with the error object at index 1.
    unsafe {
        if push_error_message(L) {
            return 1; // a __tostring result is the message, without traceback
        }
        luaL_traceback(L, L, lua_tostring(L, -1), 1);
        1
    }
}

/// Pushes the message of the error value at index 1 as the runners show it: a string or a
/// number as its text, else its `__tostring` result, else "(error object is a X value)".
/// Returns whether it is a `__tostring` result.
///
/// # Safety
/// In a message handler (the error value at index 1); may raise on memory.
unsafe fn push_error_message(L: *mut lua_State) -> bool {
    // SAFETY: forwarded caller contract.
    unsafe {
        if lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER {
            lua_pushvalue(L, 1);
            lua_tolstring(L, -1, core::ptr::null_mut());
            return false;
        }
        if luaL_callmeta(L, 1, c"__tostring".as_ptr()) != 0 {
            if lua_type(L, -1) == LUA_TSTRING {
                return true;
            }
            lua_pop(L, 1);
        }
        lua_pushfstring(
            L,
            c"(error object is a %s value)".as_ptr(),
            luaL_typename(L, 1),
        );
        false
    }
}

/// Calls the function at `base + 1`, with its `nargs` arguments above it, under
/// `limits::pcall` with `handler` as the message handler; returns the status.
///
/// # Safety
/// `L` valid, the function and arguments in place, room for one more value.
unsafe fn call_with_handler(
    L: *mut lua_State,
    base: c_int,
    nargs: c_int,
    nresults: c_int,
    handler: unsafe extern "C-unwind" fn(*mut lua_State) -> c_int,
) -> c_int {
    // SAFETY: forwarded caller contract; the handler sits below the function while it runs.
    unsafe {
        lua_pushcfunction(L, Some(handler));
        lua_insert(L, base + 1);
        let status = limits::pcall(L, nargs, nresults, base + 1);
        lua_remove(L, base + 1);
        status
    }
}

/// Commits the pending writes after a chunk that succeeded with its results above `base`.
/// When they cannot be stored, the results are no longer the chunk's outcome: its error
/// is, alone at `base + 1`. Returns the status.
///
/// # Safety
/// As [`commit_writes`].
unsafe fn commit_keeping_results(L: *mut lua_State, base: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        let status = commit_writes(L, LUA_OK);
        if status != LUA_OK {
            lua_rotate(L, base + 1, 1);
            lua_settop(L, base + 1);
        }
        status
    }
}

/// Prints the message on top of the stack as `lua-persist: message`.
///
/// # Safety
/// `L` valid with the error message on top.
unsafe fn report(L: *mut lua_State, host: &dyn Host) {
    // SAFETY: forwarded caller contract.
    let text = unsafe { lua::tostring(L, -1) }.map(<[u8]>::to_vec);
    let text = text.unwrap_or_else(|| b"(error object is not a string)".to_vec());
    let mut line = format!("{PROGNAME}: ").into_bytes();
    line.extend_from_slice(&text);
    line.push(b'\n');
    host.write_error(&line);
}

/// The interactive prompt, as lua.c's `doREPL`: a line is first tried as an expression
/// (`return LINE;`), else as a statement, read on with `>> ` while the chunk is incomplete;
/// results are printed with `print`, errors reported with a traceback.
///
/// This frame is outside any protected call and holds Rust values, so everything it does
/// with Lua cannot raise: loading and calling are protected, and `print` runs inside
/// `lua_pcall` ([`print_results`]).
///
/// # Safety
/// `L` must be a valid state, outside any protected call.
#[cfg(not(target_arch = "wasm32"))]
unsafe fn repl(L: *mut lua_State, host: &dyn Host) {
    // SAFETY: L valid (caller); each step leaves the stack at `base`.
    unsafe {
        let base = lua_gettop(L);
        while let Some(line) = host.read_line("> ") {
            // lua.c keeps Lua 5.2's "=expr" shorthand.
            let mut chunk = match line.strip_prefix(b"=") {
                Some(expr) => [b"return ", expr].concat(),
                None => line,
            };
            let as_expression = [b"return ", chunk.as_slice(), b";"].concat();
            let mut status = lua::loadbuffer(L, &as_expression, c"=stdin", None);
            if status != LUA_OK {
                lua_settop(L, base);
                loop {
                    status = lua::loadbuffer(L, &chunk, c"=stdin", None);
                    if !is_incomplete(L, status) {
                        break;
                    }
                    let Some(more) = host.read_line(">> ") else {
                        break;
                    };
                    lua_settop(L, base);
                    chunk.push(b'\n');
                    chunk.extend_from_slice(&more);
                }
            }
            if status == LUA_OK {
                status = call_with_handler(L, base, 0, LUA_MULTRET, message_handler);
                if status == LUA_OK {
                    // Before the results print.
                    status = commit_keeping_results(L, base);
                } else {
                    status = commit_writes(L, status);
                }
            }
            if status == LUA_OK && lua_gettop(L) > base && lua_checkstack(L, 2) != 0 {
                lua_pushcfunction(L, Some(print_results));
                lua_insert(L, base + 1);
                status = lua_pcall(L, lua_gettop(L) - base - 1, 0, 0);
            }
            if status != LUA_OK {
                report(L, host);
            }
            lua_settop(L, base);
        }
        host.write_output(b"\n");
    }
}

/// A syntax error at the end of the chunk: more lines may complete it.
///
/// # Safety
/// `L` valid, with the load's error message on top when `status` is an error.
#[cfg(not(target_arch = "wasm32"))]
unsafe fn is_incomplete(L: *mut lua_State, status: c_int) -> bool {
    // SAFETY: the message is a string (from the parser): reading it does not allocate.
    status == LUA_ERRSYNTAX
        && unsafe { lua::tostring(L, -1) }.is_some_and(|m| m.ends_with(b"<eof>"))
}

/// Calls `print` with all its arguments (the prompt's results), as lua.c's `l_print`.
#[cfg(not(target_arch = "wasm32"))]
unsafe extern "C-unwind" fn print_results(L: *mut lua_State) -> c_int {
    // SAFETY: called by lua_pcall; errors are caught there.
    crate::lua::abort_on_panic(|| unsafe {
        let n = lua_gettop(L);
        luaL_checkstack(L, 1, c"too many results to print".as_ptr());
        lua_getglobal(L, c"print".as_ptr());
        lua_insert(L, 1);
        if lua_pcall(L, n, 0, 0) != LUA_OK {
            lua_pushfstring(
                L,
                c"error calling 'print' (%s)".as_ptr(),
                luaL_tolstring(L, -1, core::ptr::null_mut()),
            );
            lua_error(L);
        }
        0
    })
}
