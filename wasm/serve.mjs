#!/usr/bin/env node
// node wasm/serve.mjs [--port N] [--host H]
// A static server for the browser demo: serves the wasm/ directory, and the built module
// as /lua_persist.wasm (target/wasm32-unknown-unknown/release/lua_persist.wasm, or
// $LUA_PERSIST_WASM; build it with scripts/build-wasm). Port 8080 by default, 0 for any
// free one; it prints the demo's URL. For development only: no caching, GET and HEAD only.
import { createServer } from 'node:http';
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = realpathSync(fileURLToPath(new URL('.', import.meta.url)));
export const defaultWasmPath = process.env.LUA_PERSIST_WASM ||
  fileURLToPath(new URL('../target/wasm32-unknown-unknown/release/lua_persist.wasm', import.meta.url));

const types = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.mts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.lua': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The file a URL path names, or null when it is not inside `root`. */
function fileFor(urlPath, wasmPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path === '/lua_persist.wasm') return wasmPath;
  if (path.includes('\0')) return null;
  // Decoded "..", "%2e%2e" or "%2f" must not climb out of root; nor may a symbolic link.
  const file = resolve(root, `.${path}`);
  const real = existsSync(file) ? realpathSync(file) : file;
  return inside(file) && inside(real) ? file : null;
}

const inside = (file) => file === root || file.startsWith(root + sep);

/**
 * Starts the server; resolves to { server, url } once it listens.
 * @param {{port?: number, host?: string, wasmPath?: string}} [options]
 */
export function serve({ port = 8080, host = '127.0.0.1', wasmPath = defaultWasmPath } = {}) {
  const server = createServer((request, response) => {
    const reply = (status, message, headers = {}) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      response.end(request.method === 'HEAD' ? undefined : `${message}\n`);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'method not allowed', { allow: 'GET, HEAD' });
    const urlPath = new URL(request.url, 'http://localhost').pathname;
    if (urlPath === '/') return reply(302, 'see /demo/', { location: '/demo/' });
    let file = fileFor(urlPath, wasmPath);
    if (file === null) return reply(403, 'forbidden');
    let stat = existsSync(file) ? statSync(file) : null;
    if (stat?.isDirectory()) {
      if (!urlPath.endsWith('/')) return reply(301, `see ${urlPath}/`, { location: `${urlPath}/` });
      file = join(file, 'index.html');
      stat = existsSync(file) ? statSync(file) : null;
    }
    if (!stat?.isFile()) {
      const hint = file === wasmPath ? ': build the module with scripts/build-wasm' : '';
      return reply(404, `not found${hint}`);
    }
    response.writeHead(200, {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-store', // a rebuilt module or an edited page shows on reload
      'x-content-type-options': 'nosniff',
    });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file).on('error', () => response.destroy()).pipe(response);
  });
  return new Promise((resolveListening, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolveListening({ server, url: `http://${shownHost}:${actual}/demo/` });
    });
  });
}

function parseArgs(args) {
  const options = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === '--port' && /^\d+$/.test(value ?? '') && Number(value) <= 65535) options.port = Number(value);
    else if (flag === '--host' && value) options.host = value;
    else throw new Error(`usage: node wasm/serve.mjs [--port N] [--host H] (at ${JSON.stringify(flag)})`);
    i++;
  }
  return options;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`lua-persist serve: ${e.message}\n`);
    process.exit(2);
  }
  if (!existsSync(defaultWasmPath)) {
    process.stderr.write(`lua-persist serve: the wasm module ${defaultWasmPath} is missing. ` +
      'Build it with: scripts/build-wasm\n');
    process.exit(1);
  }
  try {
    const { url } = await serve(options);
    process.stdout.write(`lua-persist demo: ${url}\n`);
  } catch (e) {
    process.stderr.write(`lua-persist serve: cannot listen: ${e.message}\n`);
    process.exit(1);
  }
}
