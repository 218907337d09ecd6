/**
 * Random specs and operation sequences per map type (fast-check arbitraries).
 * Keys come from a small pool so updates collide, deletes hit, maps fill up;
 * flags include invalid ones; batches use several sizes and random cursors.
 */
import fc from 'fast-check';
import { MapFlags, MapType } from '../../../src/sys/constants.js';
import type { Op } from './ops.js';

export interface SpecLite {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  mapExtra?: number;
}

/** How answers are compared: exactly, or as sets where the kernel's order is random (hash maps without BPF_F_ZERO_SEED). */
export type CompareMode = 'exact' | 'set';

export interface Scenario {
  spec: SpecLite;
  mode: CompareMode;
  ops: Op[];
}

const u32hex = (n: number): string => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b.toString('hex');
};

/** Key number i of the pool as `size` bytes: varied bytes so jhash of every length is exercised. */
export function poolKey(i: number, size: number): string {
  if (size === 4) return u32hex(i * 2654435761);
  const b = Buffer.alloc(size);
  let x = (i + 1) * 0x9e3779b1;
  for (let j = 0; j < size; j++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    b[j] = j === 0 ? i & 0xff : x & 0xff;
  }
  return b.toString('hex');
}

/**
 * Operations are decoded from one fast-check integer each: the integer seeds a small
 * PRNG that picks the operation and its arguments with fixed weights. fast-check
 * drives the sequences (seeded, reproducible); decoding keeps generation cheap
 * enough for 100,000 operations per map type.
 */
export class Pick {
  #x: number;
  constructor(seed: number) {
    this.#x = seed | 0;
  }
  /** mulberry32 */
  next(): number {
    let t = (this.#x = (this.#x + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  one<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** Choose by weight: `[[weight, value], ...]`. */
  weighted<T>(table: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of table) total += w;
    let r = this.next() * total;
    for (const [w, v] of table) {
      if ((r -= w) < 0) return v;
    }
    return table[table.length - 1]![1];
  }
  updateFlags(): number {
    return this.next() < 6 / 7 ? this.one([0, 1, 2]) : this.one([3, 4, 5, 8, 16]);
  }
  lookupFlags(): number {
    return this.next() < 12 / 13 ? 0 : this.one([1, 2, 4, 8]);
  }
  elemFlags(): number {
    return this.next() < 10 / 11 ? 0 : this.one([1, 2, 4, 8]);
  }
  batchFlags(): number {
    return this.next() < 15 / 16 ? 0 : 1;
  }
  value(size: number): string {
    return expand(this.int(0x7fffffff), size);
  }
}

/** Random bytes of `size`, expanded from one integer. */
export function expand(seed: number, size: number): string {
  const b = Buffer.alloc(size);
  let x = seed | 0;
  for (let j = 0; j < size; j++) {
    x = (Math.imul(x ^ (x >>> 13), 0x5bd1e995) + 0x6b43a9b5) | 0;
    b[j] = (x >>> 16) & 0xff;
  }
  return b.toString('hex');
}

export type OpDecoder = (seed: number) => Op;

/** Operations for maps with keys. `key` draws a key (hex), `valueSize` is the syscall value buffer size. */
export function keyedOps(key: (p: Pick) => string, keySize: number, valueSize: number, maxEntries: number, cursorSize: number, mode: CompareMode, withLookupAndDelete: boolean, valueGen?: (p: Pick) => string): OpDecoder {
  const val = valueGen ?? ((p: Pick) => p.value(valueSize));
  const kinds: [number, string][] = [[30, 'update'], [15, 'lookup'], [10, 'delete'], [1, 'walk'], [3, 'writeBatch'], [1, 'drain'], [0.12, 'freeze']];
  if (mode === 'exact') kinds.push([8, 'next'], [3, 'readBatch']);
  if (withLookupAndDelete) kinds.push([5, 'lookupAndDelete']);
  const cursorHex = (n: number): string => {
    const b = Buffer.alloc(Math.max(4, cursorSize));
    b.writeUInt32LE(n >>> 0);
    return b.toString('hex');
  };
  return (seed) => {
    const p = new Pick(seed);
    switch (p.weighted(kinds)) {
      case 'update': return { op: 'update', key: key(p), value: val(p), flags: p.updateFlags() };
      case 'lookup': return { op: 'lookup', key: key(p), flags: p.lookupFlags() };
      case 'delete': return { op: 'delete', key: key(p) };
      case 'walk': return { op: 'walk' };
      case 'freeze': return { op: 'freeze' };
      case 'next': return { op: 'next', key: p.next() < 1 / 7 ? null : key(p) };
      case 'lookupAndDelete': return { op: 'lookupAndDelete', key: key(p), flags: p.lookupFlags() };
      case 'drain': return { op: 'drain', cmd: p.one(['lookup', 'lookupAndDelete'] as const), size: mode === 'set' ? maxEntries + 1 : p.one([1, 2, 3, 7, maxEntries + 1]) };
      case 'writeBatch': {
        const cmd = p.one(['update', 'delete'] as const);
        const n = p.int(Math.min(12, maxEntries + 2) + 1);
        let keys = '';
        let values = '';
        for (let i = 0; i < n; i++) {
          keys += key(p);
          values += val(p);
        }
        return { op: 'batch', cmd, keys, values: cmd === 'update' ? values : null, count: n, cursor: null, elemFlags: p.elemFlags(), flags: p.batchFlags() };
      }
      default: {
        const cmd = p.one(['lookup', 'lookupAndDelete'] as const);
        const count = p.one([0, 1, 2, 3, 5, 8, Math.max(1, maxEntries), maxEntries + 3]);
        const cursor = p.next() < 0.6 ? null : cursorHex(p.int(Math.max(2, maxEntries * 2) + 1));
        return { op: 'batch', cmd, keys: '', values: null, count, cursor, elemFlags: p.elemFlags(), flags: p.batchFlags() };
      }
    }
  };
}

/** Operations for queue, stack and bloom filter: push (update), peek (lookup), pop (lookupAndDelete), and the refusals. */
export function keylessOps(valueSize: number, bloom: boolean): OpDecoder {
  // Bloom filters: a small value pool so peeks hit pushed values as well as absent ones.
  const value = (p: Pick): string => (bloom ? poolKey(p.int(41), valueSize) : p.value(valueSize));
  const kinds: [number, string][] = [[30, 'push'], [15, 'peek'], [20, 'pop'], [2, 'delete'], [2, 'next'], [1, 'batch'], [0.12, 'freeze']];
  return (seed) => {
    const p = new Pick(seed);
    switch (p.weighted(kinds)) {
      case 'push': return { op: 'update', key: '', value: value(p), flags: p.updateFlags() };
      case 'peek': return bloom ? { op: 'lookup', key: '', flags: p.lookupFlags(), value: value(p) } : { op: 'lookup', key: '', flags: p.lookupFlags() };
      case 'pop': return { op: 'lookupAndDelete', key: '', flags: p.lookupFlags() };
      case 'delete': return { op: 'delete', key: '' };
      case 'next': return { op: 'next', key: null };
      case 'freeze': return { op: 'freeze' };
      default: {
        const cmd = p.one(['lookup', 'update', 'delete', 'lookupAndDelete'] as const);
        return { op: 'batch', cmd, keys: '', values: cmd === 'update' ? '' : null, count: 0, cursor: null, elemFlags: 0, flags: 0 };
      }
    }
  };
}

export const F = MapFlags;
export const T = MapType;
