// The module's interface is exactly what wasm/exports.txt lists, and it imports nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { wasmModule, repoRoot } from './helpers.mjs';

test('the export list matches wasm/exports.txt', () => {
  const expected = readFileSync(`${repoRoot}wasm/exports.txt`, 'utf8').trim().split('\n');
  const actual = WebAssembly.Module.exports(wasmModule).map((e) => `${e.kind} ${e.name}`).sort();
  assert.deepEqual(actual, expected);
});

test('the module imports nothing', () => {
  assert.deepEqual(WebAssembly.Module.imports(wasmModule), []);
});

test('size_t is 4 bytes on wasm32, as string.pack\'s T shows', async () => {
  const { newLua, text } = await import('./helpers.mjs');
  const S = (await newLua()).newState();
  assert.equal(text(S.exec(`print(string.packsize('T'), string.packsize('j'))`).stdout), '4\t8\n');
});
