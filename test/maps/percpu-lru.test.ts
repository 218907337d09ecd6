import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelOnly } from '../helpers/kernel.ts';
import { createMap } from '../../src/maps/index.ts';
import { BpfError } from '../../src/sys/errors.ts';
import { possibleCpuCount } from '../../src/sys/cpus.ts';

test('percpu_hash: values per CPU, E2BIG when full', kernelOnly(), () => {
  const n = possibleCpuCount();
  using m = createMap({ type: 'percpu_hash', key: 'u32', value: 'u64', maxEntries: 2 });
  const v = Array.from({ length: n }, (_, i) => BigInt(i * 10));
  m.set(1, v);
  m.set(2, v);
  assert.deepEqual(m.get(1), v);
  assert.throws(() => m.set(3, v), (e: unknown) => e instanceof BpfError && e.code === 'E2BIG');
  const entries = [...m.entries()];
  assert.equal(entries.length, 2);
  assert.deepEqual(entries[0]![1], v);
});

test('lru_hash evicts instead of failing with E2BIG', kernelOnly(), () => {
  using m = createMap({ type: 'lru_hash', key: 'u32', value: 'u32', maxEntries: 64 });
  for (let i = 0; i < 1000; i++) m.set(i, i);
  const keys = [...m.keys()];
  assert.ok(keys.length > 0 && keys.length <= 64, `lru holds at most max_entries, got ${keys.length}`);
  assert.equal(m.get(999), 999); // the newest entry survives
});

test('lru_percpu_hash evicts and keeps per-CPU values', kernelOnly(), () => {
  const n = possibleCpuCount();
  using m = createMap({ type: 'lru_percpu_hash', key: 'u32', value: 'u32', maxEntries: 32 });
  for (let i = 0; i < 200; i++) m.set(i, new Array(n).fill(i));
  assert.ok([...m.keys()].length <= 32);
  assert.deepEqual(m.get(199), new Array(n).fill(199));
});
