import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelOnly } from '../helpers/kernel.ts';
import { createMap } from '../../src/maps/index.ts';
import { BpfError } from '../../src/sys/errors.ts';
import { possibleCpuCount } from '../../src/sys/cpus.ts';

test('array map: zero-initialised, delete is EINVAL, out-of-range index', kernelOnly(), () => {
  using m = createMap({ type: 'array', key: 'u32', value: 'u64', maxEntries: 8, name: 'arr' });
  assert.equal(m.get(3), 0n); // arrays always hold every index
  m.set(3, 33n);
  assert.equal(m.get(3), 33n);
  // kernel/bpf/arraymap.c: array_map_delete_elem returns -EINVAL
  assert.throws(() => m.delete(3), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
  // out-of-range index: lookup finds nothing, update fails with E2BIG
  assert.equal(m.get(8), undefined);
  assert.throws(() => m.set(8, 1n), (e: unknown) => e instanceof BpfError && e.code === 'E2BIG');
  // NOEXIST on an array element always fails: every index exists (EEXIST)
  assert.throws(() => m.update(1, 1n, { flag: 'noexist' }), (e: unknown) => e instanceof BpfError && e.code === 'EEXIST');
  // get_next_key: from a missing/out-of-range index restarts at 0, last index → end
  assert.equal(m.nextKey(100), 0);
  assert.equal(m.nextKey(6), 7);
  assert.equal(m.nextKey(7), undefined);
  assert.deepEqual([...m.keys()], [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...m.values()].map(Number), [0, 0, 0, 33, 0, 0, 0, 0]);
});

test('array map: freeze makes user-space updates fail with EPERM', kernelOnly(), () => {
  using m = createMap({ type: 'array', key: 'u32', value: 'u32', maxEntries: 2 });
  m.set(0, 7);
  m.freeze();
  assert.throws(() => m.set(0, 8), (e: unknown) => e instanceof BpfError && e.code === 'EPERM');
  assert.equal(m.get(0), 7);
});

test('array map: BPF_F_MMAPABLE view reads and writes without syscalls', kernelOnly(), () => {
  using m = createMap({ type: 'array', key: 'u32', value: 'u32', maxEntries: 1000, flags: 1024 });
  using view = m.mmap();
  view.set(5, 1234);
  assert.equal(m.get(5), 1234); // the kernel sees the write
  m.set(6, 99);
  assert.equal(view.get(6), 99); // and we see the kernel's
  assert.equal(view.length, 1000);
  assert.throws(() => view.get(1000), /out of range/);
  view.close();
  assert.throws(() => view.get(0), /closed/);
  using plain = createMap({ type: 'array', key: 'u32', value: 'u32', maxEntries: 4 });
  assert.throws(() => plain.mmap(), /BPF_F_MMAPABLE/);
});

test('percpu_array: one value per possible CPU, padded to 8 bytes', kernelOnly(), () => {
  const n = possibleCpuCount();
  using m = createMap({ type: 'percpu_array', key: 'u32', value: 'u32', maxEntries: 4 });
  assert.equal(m.descriptor.valueBufferSize, 8 * n);
  const vals = Array.from({ length: n }, (_, i) => 100 + i);
  m.set(1, vals);
  assert.deepEqual(m.get(1), vals);
  assert.deepEqual(m.get(0), new Array(n).fill(0));
  assert.throws(() => m.set(1, [1]), n === 1 ? /never/ : /one u32 per possible CPU/);
  // raw per-CPU values come as one Uint8Array per CPU
  using raw = createMap({ type: 'percpu_array', keySize: 4, valueSize: 3, maxEntries: 1 });
  const r = raw.get(new Uint8Array(4));
  assert.equal(r?.length, n);
  assert.equal(r?.[0]?.byteLength, 3);
});
