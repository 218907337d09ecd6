import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelOnly } from '../helpers/kernel.ts';
import { createMap } from '../../src/maps/index.ts';
import { BpfError } from '../../src/sys/errors.ts';

test('queue: FIFO order, full → E2BIG, exist flag overwrites the oldest', kernelOnly(), () => {
  using q = createMap({ type: 'queue', value: 'u32', maxEntries: 3 });
  assert.equal(q.keySize, 0);
  assert.equal(q.pop(), undefined);
  q.push(1); q.push(2); q.push(3);
  assert.throws(() => q.push(4), (e: unknown) => e instanceof BpfError && e.code === 'E2BIG');
  q.push(4, { flag: 'exist' }); // BPF_EXIST: drop the oldest
  assert.equal(q.peek(), 2);
  assert.equal(q.pop(), 2);
  assert.equal(q.pop(), 3);
  assert.equal(q.pop(), 4);
  assert.equal(q.pop(), undefined);
  assert.throws(() => q.get(1 as never), /./);
});

test('stack: LIFO order', kernelOnly(), () => {
  using s = createMap({ type: 'stack', value: 'u64', maxEntries: 4 });
  s.push(1n); s.push(2n); s.push(3n);
  assert.equal(s.peek(), 3n);
  assert.deepEqual([s.pop(), s.pop(), s.pop(), s.pop()], [3n, 2n, 1n, undefined]);
  // get_next_key is not supported on stacks: the kernel says EINVAL
  assert.throws(() => [...s.keys()], (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
});

test('bloom_filter: added values are found, pop is not supported', kernelOnly(), () => {
  using b = createMap({ type: 'bloom_filter', value: 'u32', maxEntries: 100, mapExtra: 3 });
  for (let i = 0; i < 50; i++) b.push(i * 7);
  for (let i = 0; i < 50; i++) assert.equal(b.peek(i * 7), i * 7);
  let falsePositives = 0;
  for (let i = 0; i < 50; i++) if (b.peek(100000 + i) !== undefined) falsePositives++;
  assert.ok(falsePositives < 25);
  assert.throws(() => b.pop(), (e: unknown) => e instanceof BpfError && (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUPP' || e.code === 'EINVAL'));
  // push with the wrong shape on a non-keyless map is rejected before the syscall
  using h = createMap({ type: 'hash', key: 'u32', value: 'u32', maxEntries: 1 });
  assert.throws(() => h.push(1), /push works on queue, stack and bloom_filter/);
});
