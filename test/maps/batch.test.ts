import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelOnly } from '../helpers/kernel.ts';
import { createMap, type BatchCursor } from '../../src/maps/index.ts';
import { BpfError } from '../../src/sys/errors.ts';

for (const type of ['hash', 'lru_hash', 'array'] as const) {
  for (const batch of [1, 7, 64, 1000, 5000]) {
    test(`${type}: lookupBatch of ${batch} visits every entry exactly once`, kernelOnly(), () => {
      const n = 1000;
      using m = createMap({ type, key: 'u32', value: 'u64', maxEntries: n });
      m.updateBatch(Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, (_, i) => BigInt(i) * 2n));
      const seen = new Map<number, bigint>();
      let cursor: BatchCursor | undefined;
      let calls = 0;
      do {
        const page = m.lookupBatch({ cursor, count: batch });
        page.keys.forEach((k, i) => {
          assert.equal(seen.has(k), false, `key ${k} returned twice`);
          seen.set(k, page.values[i]!);
        });
        cursor = page.cursor;
        assert.ok(++calls <= n + 2);
      } while (cursor);
      // LRU maps may evict before they are full (per-CPU free lists), so compare
      // against what a get_next_key walk sees rather than against n.
      const present = [...m.keys()];
      if (type !== 'lru_hash') assert.equal(present.length, n);
      assert.equal(seen.size, present.length);
      for (const k of present) assert.equal(seen.get(k), BigInt(k) * 2n);
      assert.equal(m.dumpRaw(batch).count, present.length);
      const d = m.dump(batch);
      assert.equal(d.keys.length, present.length);
      d.keys.forEach((k, i) => assert.equal(d.values[i], BigInt(k) * 2n));
    });
  }
}

test('hash: lookupAndDeleteBatch drains the map', kernelOnly(), () => {
  using m = createMap({ type: 'hash', key: 'u32', value: 'u32', maxEntries: 300 });
  m.updateBatch(Array.from({ length: 300 }, (_, i) => i), Array.from({ length: 300 }, (_, i) => i + 1));
  let total = 0;
  let cursor: BatchCursor | undefined;
  do {
    const page = m.lookupAndDeleteBatch({ cursor, count: 50 });
    page.keys.forEach((k, i) => assert.equal(page.values[i], k + 1));
    total += page.keys.length;
    cursor = page.cursor;
  } while (cursor);
  assert.equal(total, 300);
  assert.equal(m.nextKey(), undefined);
});

test('batch update/delete errors report how many elements were processed', kernelOnly(), () => {
  using m = createMap({ type: 'hash', key: 'u32', value: 'u32', maxEntries: 10 });
  m.set(3, 3);
  // kernel/bpf/syscall.c generic_map_update_batch: elem_flags may only be BPF_F_LOCK
  assert.throws(() => m.updateBatch([1, 2], [1, 2], { flag: 'noexist' }), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
  assert.equal(m.updateBatch([1, 2], [1, 2]), 2);
  assert.equal(m.deleteBatch([1, 2]), 2);
  assert.throws(() => m.deleteBatch([3, 99]), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT' && (e as BpfError & { processed: number }).processed === 1);
  // full map in a batch → E2BIG
  assert.throws(() => m.updateBatch(Array.from({ length: 20 }, (_, i) => 100 + i), new Array(20).fill(0)),
    (e: unknown) => e instanceof BpfError && e.code === 'E2BIG' && (e as BpfError & { processed: number }).processed === 10);
});

test('per-CPU batch values come one per CPU', kernelOnly(), () => {
  using m = createMap({ type: 'percpu_hash', key: 'u32', value: 'u32', maxEntries: 100 });
  const n = m.descriptor.nCpus;
  for (let i = 0; i < 100; i++) m.set(i, new Array(n).fill(i));
  const page = m.lookupBatch({ count: 1000 });
  assert.equal(page.keys.length, 100);
  page.keys.forEach((k, i) => assert.deepEqual(page.values[i], new Array(n).fill(k)));
});

test('lpm_trie has no batch: iteration falls back to get_next_key', kernelOnly(), () => {
  using t = createMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 8, flags: 1 });
  const key = (len: number, b: number) => new Uint8Array([len, 0, 0, 0, b, 0, 0, 0]);
  t.set(key(8, 10), new Uint8Array(4));
  t.set(key(8, 11), new Uint8Array(4));
  assert.equal([...t.entries()].length, 2);
  assert.equal(t.dumpRaw().count, 2);
  assert.equal(t.dump().keys.length, 2);
  // an iterator can be abandoned early and a fresh one starts over
  for (const _ of t.entries()) break;
  assert.equal([...t.entries()].length, 2);
});
