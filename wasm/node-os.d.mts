/** The imports of module "lp_os" over Node's file system and `process.env`, for the
 * runner's module (`lua_persist_runner.wasm`): pass as `LuaModule.instantiate(module,
 * { os: nodeOsImports })`. docs/runner-module.md describes each import. */
export function nodeOsImports(memory: () => WebAssembly.Memory): {
  file_open(path: number, pathLen: number, flags: number): number;
  file_read(fd: number, buf: number, len: number, position: number): number;
  file_write(fd: number, buf: number, len: number, position: number): number;
  file_size(fd: number): number;
  file_close(fd: number): number;
  remove(path: number, pathLen: number): number;
  rename(from: number, fromLen: number, to: number, toLen: number): number;
  tmpname(buf: number, cap: number): number;
  getenv(name: number, nameLen: number, buf: number, cap: number): number;
  isatty(fd: number): number;
};
