// wasm/serve.mjs, the demo's static server: MIME types the browser insists on (module
// scripts, WebAssembly.compileStreaming), nothing served from outside wasm/, and a clear
// message when the module is not built.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wasmPath } from './helpers.mjs';
import { serve } from '../serve.mjs';

const serveScript = fileURLToPath(new URL('../serve.mjs', import.meta.url));
let server;
let base;

before(async () => {
  ({ server, url: base } = await serve({ port: 0, wasmPath }));
  base = new URL('/', base);
});

after(() => server?.close());

/** A request with the path sent as written (fetch would normalize "..").  */
function get(path, method = 'GET') {
  return new Promise((resolve, reject) => {
    const r = request({ host: base.hostname, port: base.port, path, method }, (response) => {
      const chunks = [];
      response.on('data', (c) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('serves the demo, the host modules and the built module with their MIME types', async () => {
  const page = await get('/demo/');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(page.body.toString(), /<script type="module" src="demo.mjs">/);
  for (const path of ['/demo/demo.mjs', '/lua-persist.mjs', '/idb-store.mjs']) {
    assert.equal((await get(path)).headers['content-type'], 'text/javascript; charset=utf-8', path);
  }
  const wasm = await get('/lua_persist.wasm');
  assert.equal(wasm.headers['content-type'], 'application/wasm');
  assert.ok(wasm.body.equals(readFileSync(wasmPath)));
  const head = await get('/lua_persist.wasm', 'HEAD');
  assert.equal(head.headers['content-length'], String(readFileSync(wasmPath).length));
  assert.equal(head.body.length, 0);
});

test('redirects to the demo, and directories to their slash', async () => {
  assert.deepEqual([(await get('/')).status, (await get('/')).headers.location], [302, '/demo/']);
  assert.deepEqual([(await get('/demo')).status, (await get('/demo')).headers.location], [301, '/demo/']);
});

test('refuses paths outside wasm/ and methods other than GET and HEAD', async () => {
  // Encoded separators and dots are decoded after URL parsing: they must not climb out.
  for (const path of ['/..%2fREADME.md', '/demo/..%2f..%2fCargo.toml', '/%2e%2e%2fCargo.toml', '/idb-store.mjs%00']) {
    const r = await get(path);
    assert.equal(r.status, 403, path);
    assert.equal(r.body.toString(), 'forbidden\n', path);
  }
  // A literal ".." is resolved by URL parsing to a path inside wasm/.
  assert.equal((await get('/../../Cargo.toml')).status, 404);
  assert.equal((await get('/missing.mjs')).status, 404);
  assert.equal((await get('/demo/', 'POST')).status, 405);
});

test('the command says how to build a missing module, and rejects a bad --port', () => {
  const missing = spawnSync(process.execPath, [serveScript], {
    encoding: 'utf8', env: { ...process.env, LUA_PERSIST_WASM: '/nonexistent/lua_persist.wasm' },
  });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /\/nonexistent\/lua_persist\.wasm is missing\. Build it with: scripts\/build-wasm/);
  const bad = spawnSync(process.execPath, [serveScript, '--port', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /usage: node wasm\/serve\.mjs \[--port N\]/);
});
