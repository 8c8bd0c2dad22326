// TypeScript declarations for wasm/store-dump.mjs (Node only: it uses node:crypto).
import type { ExtStore } from './lua-persist.mjs';

export class DumpError extends Error {}

export interface DumpEntry {
  tableId: number;
  key: Uint8Array;
  value: Uint8Array;
}

export interface Dump {
  nextFreeId: number;
  entries: DumpEntry[];
}

/** Every entry of `store`. */
export function readStore(store: ExtStore): Dump;
/** Writes `dump` into `store`, which must be empty; throws DumpError otherwise. */
export function writeStore(store: ExtStore, dump: Dump): void;
/** The bytes of a dump file (FORMAT.md, "Store dump"). */
export function encodeDump(dump: Dump): Uint8Array;
/** Parses a dump file; throws DumpError saying what is wrong. */
export function decodeDump(bytes: Uint8Array): Dump;
