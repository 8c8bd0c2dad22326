// Files in the Node runner (the runner's module, lua_persist_runner.wasm, through
// node-os.mjs): require on package.path, dofile, loadfile, io on files, os.remove, rename,
// tmpname and getenv behave as in the native runner: one script runs on both, in an empty
// folder of its own, and prints the same bytes. Then what only the module has: its
// imports, a host whose imports throw, os.exit with unwritten buffers, sandbox mode, and
// cu's module beside it (no files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModule, LuaModule } from '../lua-persist.mjs';
import { nodeOsImports } from '../node-os.mjs';
import { repoRoot, runnerWasmPath, wasmModule } from './helpers.mjs';

const nativeBin = join(repoRoot, 'target/release/lua-persist');
const runScript = join(repoRoot, 'wasm/run.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-files-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const runnerModule = await compileModule(readFileSync(runnerWasmPath));

/** A fresh folder with the modules the script requires and an empty directory. */
function folder(name) {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'pkg'), { recursive: true });
  mkdirSync(join(dir, 'lib'));
  mkdirSync(join(dir, 'emptydir'));
  mkdirSync(join(dir, 'fulldir'));
  writeFileSync(join(dir, 'fulldir', 'x'), 'x');
  writeFileSync(join(dir, 'pkg', 'init.lua'), 'return "pkg/init.lua loaded as " .. ...\n');
  writeFileSync(join(dir, 'lib', 'fromenv.lua'), 'return "found through LUA_PATH"\n');
  writeFileSync(join(dir, 'script.lua'), SCRIPT);
  return dir;
}

/** Runs `args` natively or on the runner's module in `dir`. */
function run(side, dir, args, env = {}) {
  const [program, pre] = side === 'native'
    ? [nativeBin, ['--store', ':memory:']]
    : [process.execPath, [runScript, '--store', join(dir, 'store')]];
  const r = spawnSync(program, [...pre, ...args], {
    cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LUA_PERSIST_WASM: runnerWasmPath, LUA_PATH: './lib/?.lua;;',
      LUA_PERSIST_TEST_VALUE: 'héllo=1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SCRIPT = String.raw`
local function show(label, ...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(label, table.concat(t, " | "))
end
local function write(name, data, mode)
  local f = assert(io.open(name, mode or "w"))
  assert(f:write(data))
  assert(f:close())
end
local function contents(name)
  local f = assert(io.open(name, "rb"))
  local data = f:read("a")
  f:close()
  return data
end

-- require on package.path (LUA_PATH ./lib/?.lua;; then the default, with ./?.lua)
print(package.path)
write("mod_a.lua", "return {name = ..., file = select(2, ...)}")
local a = require "mod_a"
show("require", a.name, a.file, package.loaded.mod_a == a, require "mod_a" == a)
show("init.lua", require "pkg")
show("LUA_PATH", require "fromenv")
show("searchpath", package.searchpath("mod_a", package.path))
show("missing", package.searchpath("no_such_mod", "./?.lua;./?/x.lua"))
local ok, err = pcall(require, "no_such_mod")
show("require missing", ok, (err:gsub("\n.*", "")))
write("broken_mod.lua", "return {")
ok, err = pcall(require, "broken_mod")
show("require broken", ok, err)

-- dofile, loadfile
write("chunk.lua", "local x = ... return (x or 1) * 2, select('#', ...)")
show("dofile", dofile("chunk.lua"))
show("loadfile", loadfile("chunk.lua")(21))
local env = {}
write("setter.lua", "y = 5")
loadfile("setter.lua", "t", env)()
show("loadfile env", env.y, rawget(_G, "y"))
show("loadfile missing", loadfile("no_such_file.lua"))
show("loadfile text as binary", loadfile("chunk.lua", "b"))
write("dumped.luac", string.dump(function() return "from a binary chunk" end), "wb")
local loaded, why = loadfile("dumped.luac")
show("loadfile binary", loaded and loaded(), why)
write("shebang.lua", "#!/usr/bin/env lua\nreturn 'after the first line'")
show("shebang", dofile("shebang.lua"))
write("bom.lua", "\239\187\191return 'after a BOM'")
show("BOM", dofile("bom.lua"))
show("dofile error", pcall(dofile, "broken_mod.lua"))

-- io on files: modes, positions, formats, buffers
write("data.txt", "line 1\nline 2\n3.5 0x10 -7\nlast")
local f = assert(io.open("data.txt"))
show("read l L n", f:read("l", "L", "n", "n", "n", "l", 2, "a"))
show("read at end", f:read("a"), f:read("l"), f:read(0))
show("seek", f:seek("set", 5), f:read(3), f:seek("cur"), f:seek("cur", -2), f:read(1), f:seek("end"))
f:close()
show("closed", pcall(f.read, f))
write("data.txt", "appended\n", "a")
show("append", contents("data.txt"))
f = assert(io.open("data.txt", "r+"))
f:seek("set", 2)
f:write("NE")
show("r+ read after write", f:seek("set", 0), f:read("l"))
f:close()
f = assert(io.open("fresh.txt", "w+"))
f:write("one\ntwo\n")
show("w+ read back", f:seek("set"), f:read("a"))
f:close()
f = assert(io.open("fresh.txt", "a+"))
f:write("three\n")
f:seek("set")
show("a+", f:read("a"))
f:close()
local n = 0
for l in io.lines("fresh.txt") do n = n + 1 end
show("io.lines", n)
for a, b in io.lines("fresh.txt", 1, "l") do show("io.lines formats", a, b) break end
show("io.lines missing", pcall(io.lines, "no_such_file"))

-- larger than one buffer, written in pieces and read back whole, by lines and by seeks
local big = {}
for i = 1, 5000 do big[i] = string.format("%05d %s", i, string.rep("x", i % 17)) end
f = assert(io.open("big.txt", "wb"))
for i = 1, #big do f:write(big[i], "\n") end
f:close()
local whole = contents("big.txt")
show("big", #whole, whole == table.concat(big, "\n") .. "\n")
n = 0
for l in io.lines("big.txt") do n = n + 1 assert(l == big[n]) end
show("big lines", n)
f = assert(io.open("big.txt"))
show("big seeks", f:seek("set", 40000), f:read(5), f:seek("end", -6), f:read("a"), f:seek("cur", -5000), f:read("l"))
f:close()

-- buffering: what one handle wrote, another sees after a flush (or at once without buffer)
local w = assert(io.open("shared.txt", "w"))
w:write("buffered")
show("before flush", contents("shared.txt"))
w:flush()
show("after flush", contents("shared.txt"))
w:setvbuf("no")
w:write(" unbuffered")
show("unbuffered", contents("shared.txt"))
w:close()
w = assert(io.open("shared.txt", "a"))
w:setvbuf("line")
w:write(" line")
show("line, no newline yet", contents("shared.txt"))
w:write("\n")
show("line, newline", contents("shared.txt"))
w:close()

-- io's default files
io.output("out.txt")
io.write("through io.write\n", 42, "\n")
io.close()
io.output(io.stdout)
io.input("out.txt")
show("io.read", io.read("l", "n"))
io.close(io.input())
io.input(io.stdin)

-- errors, with C's messages and numbers
show("open missing", io.open("no_such_file"))
show("open in missing dir", io.open("no_dir/file", "w"))
show("open dir to write", io.open("emptydir", "w"))
show("read a dir", io.open("emptydir"):read("a"))
show("bad mode", pcall(io.open, "data.txt", "rw"))
local r = assert(io.open("data.txt"))
show("write to r", r:write("x"))
r:close()
local wo = assert(io.open("wo.txt", "w"))
show("read from w", wo:read("a"))
wo:close()

-- a full disk (Linux's /dev/full): the write that reaches the device fails, as in C
local full = io.open("/dev/full", "w")
if full then
  show("full: buffered write", full:write("x") == full)
  show("full: flush", full:flush())
  show("full: close", full:write("y") == full, full:close())
  full = assert(io.open("/dev/full", "w"))
  show("full: write past the buffer", full:write(string.rep("a", 10000)))
  show("full: close after", full:close())
end

-- os.remove, os.rename, os.tmpname, io.tmpfile, os.getenv
show("remove", os.remove("wo.txt"), io.open("wo.txt"))
show("remove missing", os.remove("wo.txt"))
show("remove empty dir", os.remove("emptydir"))
show("remove full dir", os.remove("fulldir"))
show("rename", os.rename("fresh.txt", "renamed.txt"), contents("renamed.txt"))
show("rename missing", os.rename("fresh.txt", "other.txt"))
local name = os.tmpname()
show("tmpname", type(name), #name > 0, contents(name), os.remove(name))
f = assert(io.tmpfile())
f:write("in a temporary file")
show("tmpfile", f:seek("set", 3), f:read("a"))
f:close()
show("getenv", os.getenv("LUA_PERSIST_TEST_VALUE"), os.getenv("LUA_PERSIST_NOT_SET"))
`;

test('one script on files prints the same natively and on node wasm/run.mjs', () => {
  const native = run('native', folder('native'), ['script.lua']);
  assert.equal(native.code, 0, native.stderr);
  const wasm = run('wasm', folder('wasm'), ['script.lua']);
  assert.equal(wasm.stderr, native.stderr);
  assert.equal(wasm.stdout, native.stdout);
  assert.equal(wasm.code, 0);
  // What the script printed is what lua prints, not only the same on both sides.
  const shown = Object.fromEntries(wasm.stdout.split('\n').filter((l) => l.includes('\t'))
    .map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]));
  assert.equal(shown.require, 'mod_a | ./mod_a.lua | true | true');
  assert.equal(shown['init.lua'], 'pkg/init.lua loaded as pkg | ./pkg/init.lua');
  assert.equal(shown.LUA_PATH, 'found through LUA_PATH | ./lib/fromenv.lua');
  assert.equal(shown.dofile, '2 | 0');
  assert.equal(shown['loadfile missing'], 'nil | cannot open no_such_file.lua: No such file or directory');
  assert.ok(wasm.stdout.includes('read l L n\tline 1 | line 2\n | 3.5 | 16 | -7 |  | la | st\n'));
  assert.equal(shown.big, '74987 | true'); // 5000 lines of 7 bytes and i % 17 x's
  assert.equal(shown['before flush'], '');
  assert.equal(shown['after flush'], 'buffered');
  assert.equal(shown.unbuffered, 'buffered unbuffered');
  assert.equal(shown['open missing'], 'nil | no_such_file: No such file or directory | 2');
  assert.equal(shown['open dir to write'], 'nil | emptydir: Is a directory | 21');
  assert.equal(shown['read a dir'], 'nil | Is a directory | 21');
  assert.equal(shown['write to r'], 'nil | Bad file descriptor | 9');
  assert.equal(shown['remove full dir'], 'nil | fulldir: Directory not empty | 39');
  assert.equal(shown['tmpname'], 'string | true |  | true');
  assert.equal(shown.getenv, 'héllo=1 | nil');
  if (existsSync('/dev/full')) {
    assert.equal(shown['full: flush'], 'nil | No space left on device | 28');
    assert.equal(shown['full: close'], 'true | nil | No space left on device | 28');
    assert.equal(shown['full: write past the buffer'], 'nil | No space left on device | 28');
  }
});

test('a script ending with os.exit leaves its unwritten buffers written, as C exit does', () => {
  for (const side of ['native', 'wasm']) {
    const dir = folder(`exit-${side}`);
    const r = run(side, dir, ['-e', 'local f = io.open("kept.txt", "w") f:write("written at exit") os.exit(3)']);
    assert.equal(r.code, 3, `${side}: ${r.stderr}`);
    assert.equal(readFileSync(join(dir, 'kept.txt'), 'utf8'), 'written at exit', side);
  }
});

/** Runs `chunk` in the runner until `ready()`, then SIGKILLs it mid-chunk. */
async function killWhen(dir, chunk, ready) {
  const child = spawn(process.execPath, [runScript, '--store', join(dir, 'store'), '-e', chunk],
    { cwd: dir, stdio: 'ignore', env: { ...process.env, LUA_PERSIST_WASM: runnerWasmPath } });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!ready()) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the script never got to its file operation: ${chunk}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGKILL');
  assert.equal(await exited, null); // killed, not ended
}

test('output gate: what a script does to files is never ahead of its store writes (SIGKILL right after)', async () => {
  // The chunk's writes are held by the host until an output point; a file's write, flush
  // or close, os.remove, os.rename and os.exit are output points in the runner's module,
  // as natively: the writes before them are stored first.
  const dir = folder('gate');
  const flag = join(dir, 'flag');
  await killWhen(dir, '_home.n = 123 local f = io.open("flag", "w") f:write("written") f:close() while true do end',
    () => existsSync(flag) && readFileSync(flag, 'utf8') === 'written');
  writeFileSync(join(dir, 'marker'), '');
  await killWhen(dir, '_home.m = 456 os.remove("marker") while true do end', () => !existsSync(join(dir, 'marker')));
  await killWhen(dir, '_home.k = 789 os.rename("flag", "moved") while true do end', () => existsSync(join(dir, 'moved')));
  const r = run('wasm', dir, ['-e', 'print(_home.n, _home.m, _home.k)']);
  assert.equal(r.stdout, '123\t456\t789\n', r.stderr);
});

test('stdin: read when the script reads it, with the same bytes as natively', () => {
  const dir = folder('stdin');
  writeFileSync(join(dir, 'ask.lua'), 'io.write("name? ") local name = io.read() print("hi " .. tostring(name))\n' +
    'io.stderr:write("to stderr\\n") print(io.read("n"), io.read("a"))');
  for (const input of ['Ada\n42 rest\nmore\n', '', 'no newline']) {
    const outputs = ['native', 'wasm'].map((side) => {
      const r = spawnSync(side === 'native' ? nativeBin : process.execPath,
        [...(side === 'native' ? ['--store', ':memory:'] : [runScript, '--store', join(dir, 'store')]), 'ask.lua'],
        { cwd: dir, input, encoding: 'utf8', env: { ...process.env, LUA_PERSIST_WASM: runnerWasmPath } });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    });
    assert.deepEqual(outputs[1], outputs[0], JSON.stringify(input));
  }
});

test('stdin: a prompt is out before the script waits for its answer, and the writes before it are stored', async () => {
  const dir = folder('prompt');
  const chunk = '_home.asked = (_home.asked or 0) + 1 io.write("name? ") local name = io.read() print("hi " .. name)';
  const start = () => {
    const child = spawn(process.execPath, [runScript, '--store', join(dir, 'store'), '-e', chunk],
      { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, LUA_PERSIST_WASM: runnerWasmPath } });
    let stdout = '';
    const prompted = new Promise((resolve) => child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout === 'name? ') resolve();
    }));
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout })));
    return { child, prompted, exited };
  };
  // Answered: the prompt came while the script waited, and the rest after the answer.
  const answered = start();
  await answered.prompted;
  answered.child.stdin.end('Ada\n');
  assert.deepEqual(await answered.exited, { code: 0, signal: null, stdout: 'name? hi Ada\n' });
  // Killed while it waits: what it wrote before the prompt is stored.
  const killed = start();
  await killed.prompted;
  killed.child.kill('SIGKILL');
  assert.equal((await killed.exited).signal, 'SIGKILL');
  assert.equal(run('wasm', dir, ['-e', 'print(_home.asked)']).stdout, '2\n');
});

/** Starts `program args` and collects its stdout; `until(text)` resolves once it is seen. */
function started(program, args, options) {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
  let stdout = '';
  const waiting = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of waiting) if (w.test(stdout)) w.resolve();
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const until = (test) => new Promise((resolve, reject) => {
    if (test(stdout)) return resolve();
    waiting.push({ test, resolve });
    setTimeout(() => reject(new Error(`no such output in 30 s; got ${JSON.stringify(stdout.slice(0, 200))}`)), 30_000).unref();
  });
  return { child, until, exited, stdout: () => stdout };
}

test('stdout streams while the script runs (a buffer at a time, and at io.flush), never ahead of the store', async () => {
  const dir = folder('stream');
  const p = started(process.execPath, [runScript, '--store', join(dir, 'store'), '-e',
    '_home.k = 1 print("started") io.flush() _home.k = 2 io.write(string.rep("x", 5000)) while true do end'],
  { cwd: dir, env: { ...process.env, LUA_PERSIST_WASM: runnerWasmPath } });
  await p.until((out) => out === 'started\n' || out.length > 8);
  await p.until((out) => out.length === 8 + 5000);
  p.child.kill('SIGKILL');
  assert.equal((await p.exited).signal, 'SIGKILL');
  assert.equal(p.stdout(), 'started\n' + 'x'.repeat(5000));
  assert.equal(run('wasm', dir, ['-e', 'print(_home.k)']).stdout, '2\n');
});

test('stdout on a terminal: each line as it is printed (script(1) gives the runner a terminal)', async () => {
  const dir = folder('terminal');
  const command = `exec ${process.execPath} ${runScript} --store ${join(dir, 'store')} -e ` +
    `'_home.t = 1 print("first line") io.write("second ") print("line") while true do end'`;
  const p = started('script', ['-qfec', command, '/dev/null'],
    { cwd: dir, env: { ...process.env, LUA_PERSIST_WASM: runnerWasmPath } });
  await p.until((out) => out.includes('first line\r\nsecond line\r\n'));
  // The runner is script's child, in a session of its own: its pid is in the store's lock.
  process.kill(Number(readFileSync(join(dir, 'store', 'lock'), 'utf8')), 'SIGKILL');
  await p.exited;
  const check = run('wasm', dir, ['-e', 'print(_home.t)']);
  assert.equal(check.stdout, '1\n', check.stderr);
});

test("the runner's module imports cu's four functions and lp_os; cu's module only the four", () => {
  const cuImports = WebAssembly.Module.imports(wasmModule).map((i) => `${i.module}.${i.name}`).sort();
  assert.deepEqual(cuImports, ['env.js_ext_table_get', 'env.js_ext_table_set', 'env.js_ext_table_size', 'env.js_time_now']);
  const runnerImports = WebAssembly.Module.imports(runnerModule).map((i) => `${i.module}.${i.name}`).sort();
  assert.deepEqual(runnerImports, [...cuImports, ...['file_close', 'file_open', 'file_read', 'file_size',
    'file_write', 'getenv', 'isatty', 'remove', 'rename', 'tmpname'].map((n) => `lp_os.${n}`)]);
  const names = (m) => WebAssembly.Module.exports(m).map((e) => e.name).sort();
  assert.deepEqual(names(runnerModule), names(wasmModule));
});

test("instantiating the runner's module without the host's files is a clear error", async () => {
  await assert.rejects(LuaModule.instantiate(runnerModule),
    (e) => e instanceof TypeError && /runner's module .*pass \{ os: nodeOsImports \}/.test(e.message));
});

test('a host whose file imports throw: Lua sees an I/O error, and the state goes on', async () => {
  const broken = (memory) => {
    const real = nodeOsImports(memory);
    const fail = () => { throw new Error('the host broke'); };
    return { ...real, file_open: fail, remove: fail, tmpname: fail, getenv: fail };
  };
  const lua = await LuaModule.instantiate(runnerModule, { os: broken });
  const S = lua.newState();
  assert.deepEqual(S.eval(`
    local f, message, code = io.open("anything")
    local removed, rmessage, rcode = os.remove("anything")
    local named, why = pcall(os.tmpname)
    return f, message, code, removed, rmessage, rcode, named, why, os.getenv("HOME")`),
  [null, 'anything: Input/output error', 5, null, 'anything: Input/output error', 5,
    false, 'unable to generate a unique filename', null]);
  assert.deepEqual(S.eval('return 1 + 1'), [2]);
  S.close();
});

test('a host that claims more bytes than it was asked for: an I/O error, not a read past the buffer', async () => {
  const dir = folder('overclaim');
  writeFileSync(join(dir, 'data.txt'), 'data');
  const lying = (memory) => {
    const real = nodeOsImports(memory);
    return { ...real, file_read: (fd, ptr, len, at) => real.file_read(fd, ptr, len, at) && len + 100,
      file_write: (fd, ptr, len, at) => real.file_write(fd, ptr, len, at) + 1 };
  };
  const lua = await LuaModule.instantiate(runnerModule, { os: lying });
  const S = lua.newState();
  assert.deepEqual(S.eval(`
    local r = assert(io.open(${JSON.stringify(join(dir, 'data.txt'))}))
    local w = assert(io.open(${JSON.stringify(join(dir, 'out.txt'))}, "w"))
    w:write("x")
    local data, message, code = r:read("a")
    return data, message, code, w:flush()`),
  [null, 'Input/output error', 5, null, 'Input/output error', 5]);
  assert.deepEqual(S.eval('return 1 + 1'), [2]);
  S.close();
});

test('sandbox mode in the runner: no files, and require finds no file modules', () => {
  const dir = folder('sandbox');
  writeFileSync(join(dir, 'mod_a.lua'), 'return 1');
  const r = run('wasm', dir, ['--sandbox', '-e',
    'print(pcall(io.open, "mod_a.lua")) print(pcall(require, "mod_a")) print(pcall(dofile, "mod_a.lua"))']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp("^false\t.*open is not available in sandbox mode\n" +
    "false\tmodule 'mod_a' not found:\n\tno field package.preload\\['mod_a'\\]\n" +
    "false\t.*dofile is not available in sandbox mode\n$"));
});

test("cu's module in the runner reads the script and nothing else", () => {
  const dir = folder('cu');
  writeFileSync(join(dir, 'main.lua'), 'print(pcall(require, "pkg")) print(io.open("script.lua"))');
  const wasmPath = process.env.LUA_PERSIST_WASM ||
    join(repoRoot, 'target/wasm32-unknown-unknown/release/lua_persist.wasm');
  const r = run('wasm', dir, ['main.lua'], { LUA_PERSIST_WASM: wasmPath });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^false\tmodule 'pkg' not found:/);
  assert.match(r.stdout, /\nnil\tscript.lua: No such file or directory\t2\n$/);
  assert.ok(existsSync(join(dir, 'script.lua')));
});
