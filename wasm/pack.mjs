#!/usr/bin/env node
// Builds the npm package `lua-persist` (README, "Use from JavaScript"):
//   scripts/build-wasm && node wasm/pack.mjs [OUT_DIR]
// assembles OUT_DIR/package (default target/npm/package) from npm/package.json and
// npm/README.md, the host files its "files" list names (from wasm/) and the built modules
// ($LUA_PERSIST_WASM or target/.../lua_persist.wasm, and the runner's,
// $LUA_PERSIST_RUNNER_WASM or lua_persist_runner.wasm beside it), then runs `npm pack` there and prints
// the tarball's path (OUT_DIR/lua-persist-VERSION.tgz). The package's version must be the
// crate's: one release, one number.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const release = join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'wasm32-unknown-unknown/release');
const defaultWasm = process.env.LUA_PERSIST_WASM || join(release, 'lua_persist.wasm');
const defaultRunnerWasm = process.env.LUA_PERSIST_RUNNER_WASM || join(release, 'lua_persist_runner.wasm');

/** The crate's version, from Cargo.toml's [package] table. */
function crateVersion() {
  const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  const found = cargo.match(/^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m);
  if (!found) throw new Error('pack: no version in Cargo.toml [package]');
  return found[1];
}

/** Assembles and packs the package into `outDir`; returns the tarball's path. */
export function packNpm(outDir = join(root, 'target/npm'), { wasm = defaultWasm, runnerWasm = defaultRunnerWasm } = {}) {
  const manifest = JSON.parse(readFileSync(join(root, 'npm/package.json'), 'utf8'));
  if (manifest.version !== crateVersion()) {
    throw new Error(`pack: npm/package.json has version ${manifest.version}, Cargo.toml ${crateVersion()}`);
  }
  for (const module of [wasm, runnerWasm]) {
    if (!existsSync(module)) throw new Error(`pack: no module at ${module}: run scripts/build-wasm first`);
  }
  const built = { 'lua_persist.wasm': wasm, 'lua_persist_runner.wasm': runnerWasm };
  const dir = join(resolve(outDir), 'package');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, 'npm/package.json'), join(dir, 'package.json'));
  copyFileSync(join(root, 'npm/README.md'), join(dir, 'README.md'));
  for (const file of manifest.files) {
    copyFileSync(built[file] ?? join(root, 'wasm', file), join(dir, file));
  }
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', resolve(outDir)],
    { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  return join(resolve(outDir), packed[0].filename);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(packNpm(process.argv[2]));
}
