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

const updateFlags = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0, 1, 2) },
  { weight: 1, arbitrary: fc.constantFrom(3, 4, 5, 8, 16) },
);
const lookupFlags = fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 4, 8) });
const elemFlags = fc.oneof({ weight: 10, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 4, 8) });
const batchFlags = fc.oneof({ weight: 15, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });

/** Random bytes of `size`, expanded from one generated integer (cheap to generate at 100k operations per type). */
export function expand(seed: number, size: number): string {
  const b = Buffer.alloc(size);
  let x = seed | 0;
  for (let j = 0; j < size; j++) {
    x = Math.imul(x ^ (x >>> 13), 0x5bd1e995) + 0x6b43a9b5 | 0;
    b[j] = (x >>> 16) & 0xff;
  }
  return b.toString('hex');
}

function valueArb(size: number): fc.Arbitrary<string> {
  return fc.integer().map((i) => expand(i, size));
}

/** Operations for maps with keys. `keyArb` yields keys (hex), `valueSize` is the syscall value buffer size. */
export function keyedOps(keyArb: fc.Arbitrary<string>, keySize: number, valueSize: number, maxEntries: number, cursorSize: number, mode: CompareMode, withLookupAndDelete: boolean): fc.Arbitrary<Op> {
  const value = valueArb(valueSize);
  const counts = fc.constantFrom(0, 1, 2, 3, 5, 8, Math.max(1, maxEntries), maxEntries + 3);
  const cursor = fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: Math.max(2, maxEntries * 2) }).map((n) => Buffer.alloc(cursorSize, 0).fill(0).toString('hex').replace(/^.{8}/, u32hex(n))) },
  );
  const batchKeys = (n: number) => fc.array(keyArb, { minLength: n, maxLength: n }).map((a) => a.join(''));
  const batchValues = (n: number) => fc.array(value, { minLength: n, maxLength: n }).map((a) => a.join(''));
  const writeBatch = fc.tuple(fc.constantFrom('update' as const, 'delete' as const), fc.integer({ min: 0, max: Math.min(12, maxEntries + 2) }), elemFlags, batchFlags)
    .chain(([cmd, n, ef, f]) => fc.tuple(batchKeys(n), batchValues(n)).map(([keys, values]): Op => ({
      op: 'batch', cmd, keys, values: cmd === 'update' ? values : null, count: n, cursor: null, elemFlags: ef, flags: f,
    })));
  const readBatch = fc.tuple(fc.constantFrom('lookup' as const, 'lookupAndDelete' as const), counts, cursor, elemFlags, batchFlags)
    .map(([cmd, count, c, ef, f]): Op => ({ op: 'batch', cmd, keys: '', values: null, count, cursor: c, elemFlags: ef, flags: f }));
  const drain = fc.tuple(fc.constantFrom('lookup' as const, 'lookupAndDelete' as const), fc.constantFrom(1, 2, 3, 7, maxEntries + 1))
    .map(([cmd, size]): Op => ({ op: 'drain', cmd, size: mode === 'set' ? maxEntries + 1 : size }));
  const arbs: { weight: number; arbitrary: fc.Arbitrary<Op> }[] = [
    { weight: 30, arbitrary: fc.tuple(keyArb, value, updateFlags).map(([key, v, flags]): Op => ({ op: 'update', key, value: v, flags })) },
    { weight: 15, arbitrary: fc.tuple(keyArb, lookupFlags).map(([key, flags]): Op => ({ op: 'lookup', key, flags })) },
    { weight: 10, arbitrary: keyArb.map((key): Op => ({ op: 'delete', key })) },
    { weight: 1, arbitrary: fc.constant<Op>({ op: 'walk' }) },
    { weight: 3, arbitrary: writeBatch },
    { weight: 1, arbitrary: drain },
  ];
  if (mode === 'exact') {
    arbs.push({ weight: 8, arbitrary: fc.option(keyArb, { freq: 6 }).map((key): Op => ({ op: 'next', key })) });
    arbs.push({ weight: 3, arbitrary: readBatch });
  }
  if (withLookupAndDelete) arbs.push({ weight: 5, arbitrary: fc.tuple(keyArb, lookupFlags).map(([key, flags]): Op => ({ op: 'lookupAndDelete', key, flags })) });
  arbs.push({ weight: 1, arbitrary: fc.constant<Op>({ op: 'freeze' }) });
  return fc.oneof(...arbs);
}

/** Operations for queue, stack and bloom filter: push (update), peek (lookup), pop (lookupAndDelete), and the refusals. */
export function keylessOps(valueSize: number, bloom: boolean): fc.Arbitrary<Op> {
  // Bloom filters: a small value pool so peeks hit pushed values as well as absent ones.
  const value = bloom ? fc.integer({ min: 0, max: 40 }).map((i) => poolKey(i, valueSize)) : valueArb(valueSize);
  return fc.oneof(
    { weight: 30, arbitrary: fc.tuple(value, updateFlags).map(([v, flags]): Op => ({ op: 'update', key: '', value: v, flags })) },
    { weight: 15, arbitrary: fc.tuple(lookupFlags, bloom ? value.map((v) => v as string | undefined) : fc.constant(undefined)).map(([flags, v]): Op => (v === undefined ? { op: 'lookup', key: '', flags } : { op: 'lookup', key: '', flags, value: v })) },
    { weight: 20, arbitrary: lookupFlags.map((flags): Op => ({ op: 'lookupAndDelete', key: '', flags })) },
    { weight: 2, arbitrary: fc.constant<Op>({ op: 'delete', key: '' }) },
    { weight: 2, arbitrary: fc.constant<Op>({ op: 'next', key: null }) },
    { weight: 1, arbitrary: fc.constantFrom('lookup' as const, 'update' as const, 'delete' as const, 'lookupAndDelete' as const).map((cmd): Op => ({ op: 'batch', cmd, keys: '', values: cmd === 'update' ? '' : null, count: 0, cursor: null, elemFlags: 0, flags: 0 })) },
    { weight: 1, arbitrary: fc.constant<Op>({ op: 'freeze' }) },
  );
}

export const F = MapFlags;
export const T = MapType;
