import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelOnly } from '../helpers/kernel.ts';
import { createMap } from '../../src/maps/index.ts';
import { BpfError, InvalidArgumentError, SizeMismatchError } from '../../src/sys/errors.ts';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);

test('hash map: raw bytes, kernel update flags and errors', kernelOnly(), () => {
  using m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'rawhash' });
  assert.equal(m.get(u32(1)), undefined);
  m.set(u32(1), u64(10n));
  assert.deepEqual(m.get(u32(1)), u64(10n));
  assert.equal(m.has(u32(1)), true);
  // BPF_NOEXIST on an existing key → EEXIST
  assert.throws(() => m.update(u32(1), u64(11n), { flag: 'noexist' }), (e: unknown) => e instanceof BpfError && e.code === 'EEXIST' && /rawhash/.test(e.message));
  // BPF_EXIST on a missing key → ENOENT
  assert.throws(() => m.update(u32(2), u64(11n), { flag: 'exist' }), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT' && e.errno === 2);
  m.update(u32(1), u64(12n), { flag: 'exist' });
  assert.deepEqual(m.get(u32(1)), u64(12n));
  for (let i = 2; i <= 4; i++) m.set(u32(i), u64(BigInt(i)));
  // full map → E2BIG
  assert.throws(() => m.set(u32(5), u64(5n)), (e: unknown) => e instanceof BpfError && e.code === 'E2BIG');
  // ...but updating an existing key of a full map works
  m.set(u32(4), u64(44n));
  assert.equal(m.delete(u32(4)), true);
  assert.equal(m.delete(u32(4)), false);
  m.set(u32(5), u64(5n));
  assert.equal([...m.keys()].length, 4);
});

test('hash map: wrong sizes are rejected before the syscall with the expected size', kernelOnly(), () => {
  using m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'sizes' });
  assert.throws(() => m.get(new Uint8Array(3)), (e: unknown) => e instanceof InvalidArgumentError && /expected 4 bytes, got 3/.test(e.message) && /sizes/.test(e.message));
  assert.throws(() => m.set(u32(1), new Uint8Array(4)), (e: unknown) => e instanceof InvalidArgumentError && /expected 8 bytes, got 4/.test(e.message));
  assert.throws(() => createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, key: 'u64' }), SizeMismatchError);
  assert.throws(() => createMap({ type: 'nosuchtype' as 'hash', keySize: 4, valueSize: 8, maxEntries: 4 }), /unknown map type 'nosuchtype'/);
  assert.throws(() => createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, name: 'bad name!' }), /may only contain/);
});

test('hash map: kernel rejects invalid specs with EINVAL', kernelOnly(), () => {
  assert.throws(() => createMap({ type: 'hash', keySize: 0, valueSize: 8, maxEntries: 4 }), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL' && /map create/.test(e.message));
  assert.throws(() => createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 0 }), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
});

test('hash map: typed u32 → u64, iteration, get_next_key from a missing key', kernelOnly(), () => {
  using m = createMap({ type: 'hash', key: 'u32', value: 'u64', maxEntries: 100, name: 'typed' });
  for (let i = 0; i < 50; i++) m.set(i, BigInt(i) * 3n);
  assert.equal(m.get(7), 21n);
  const all = new Map(m.entries());
  assert.equal(all.size, 50);
  for (let i = 0; i < 50; i++) assert.equal(all.get(i), BigInt(i) * 3n);
  // get_next_key from a missing key restarts from the first key (kernel/bpf/hashtab.c htab_map_get_next_key)
  assert.equal(m.nextKey(12345), m.nextKey());
  // walking with nextKey visits every key once
  const seen = new Set<number>();
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) seen.add(k);
  assert.equal(seen.size, 50);
  assert.throws(() => m.set(-1, 1n), InvalidArgumentError);
  assert.throws(() => m.set(1, 'x' as unknown as bigint), InvalidArgumentError);
});

test('hash map: iteration skips keys deleted while walking and stays bounded', kernelOnly(), () => {
  using m = createMap({ type: 'hash', key: 'u32', value: 'u32', maxEntries: 64 });
  for (let i = 0; i < 64; i++) m.set(i, i);
  let n = 0;
  for (const k of m.keys()) {
    n++;
    m.delete(k);
  }
  assert.ok(n >= 1 && n <= 64);
  assert.equal([...m.keys()].length, 0);
});

test('map info and close', kernelOnly(), () => {
  const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 10, name: 'info_test_longname_truncated' });
  const info = m.info();
  assert.equal(info.name, 'info_test_longn');
  assert.equal(info.keySize, 4);
  assert.equal(info.valueSize, 8);
  assert.equal(info.maxEntries, 10);
  assert.equal(info.type, 1);
  assert.ok(info.id > 0);
  m.close();
  m.close();
  assert.equal(m.fd, -1);
  assert.throws(() => m.get(u32(1)), (e: unknown) => (e as { code?: string }).code === 'ECLOSED');
});
