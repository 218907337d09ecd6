/**
 * Emulator features without a kernel counterpart in the differential suite:
 * the ring buffer producer/consumer, maps of maps, in-place values and the
 * deferred-reuse rule, the typed map API on both backends, and sharing with a
 * real worker thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import {
  attachEmulatedMap, createEmulatorBackend, EmulatedRingBufferReader, HashMap, ArrayMap, RingbufMap, shareEmulatedMap, type EmulatedMap,
} from '../../src/emu/index.js';
import { createMap, MapFlags } from '../../src/index.js';
import { BpfError } from '../../src/sys/errors.js';
import { kernelOnly } from '../helpers/kernel.js';
import { descriptorOf } from './harness/backends.js';

const T = { hash: 1, array: 2, array_of_maps: 12, hash_of_maps: 13, ringbuf: 27, queue: 22 } as const;

function u32(b: Uint8Array, v: number): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(0, v, true);
  return b;
}

test('ring buffer: output, reserve/submit/discard, full ring, busy records block the reader', () => {
  const rb = createEmulatorBackend(descriptorOf({ type: T.ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }, 1)) as RingbufMap;
  const reader = new EmulatedRingBufferReader(rb);
  assert.equal(rb.output(new Uint8Array([1, 2, 3])), 0);
  const held = rb.reserve(5)!;
  held.data.set([9, 9, 9, 9, 9]);
  const gone = rb.reserve(4)!;
  rb.discard(gone);
  assert.equal(rb.output(new Uint8Array([7])), 0);
  // The reader stops at the busy record: only the first one is visible.
  assert.deepEqual(reader.consume().map((r) => [...r]), [[1, 2, 3]]);
  rb.submit(held);
  assert.deepEqual(reader.consume().map((r) => [...r]), [[9, 9, 9, 9, 9], [7]]);
  assert.equal(reader.available, 0);
  // Unknown flags and a full ring answer like bpf_ringbuf_output().
  assert.equal(rb.output(new Uint8Array(1), 4), -22);
  assert.equal(rb.reserve(4096), null, 'a record can never take the whole ring (header included)');
  let n = 0;
  while (rb.output(new Uint8Array(100)) === 0) n++;
  assert.equal(n, Math.floor(4095 / 112), 'records of 100 bytes take 112 bytes each');
  assert.equal(rb.output(new Uint8Array(100)), -11);
  assert.equal(reader.consume().length, n);
  // Wrap-around: positions keep growing, records stay whole.
  for (let i = 0; i < 200; i++) {
    assert.equal(rb.output(new Uint8Array([i, i, i])), 0);
    assert.deepEqual([...reader.consume()[0]!], [i, i, i]);
  }
  assert.equal(rb.lookup(0), -524);
  assert.equal(rb.getNextKey(true), -524);
  reader.close();
  rb.close();
});

test('ring buffer: poll wakes on a later submit; async iteration ends at close()', async () => {
  const rb = createEmulatorBackend(descriptorOf({ type: T.ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }, 1)) as RingbufMap;
  const reader = new EmulatedRingBufferReader(rb);
  setTimeout(() => rb.output(new Uint8Array([42])), 20);
  const got = await reader.poll(5000);
  assert.deepEqual(got.map((r) => [...r]), [[42]]);
  assert.deepEqual(await reader.poll(30), [], 'timeout gives no records');
  const seen: number[] = [];
  const it = (async () => {
    for await (const r of reader) seen.push(r[0]!);
  })();
  rb.output(new Uint8Array([1]));
  await new Promise((r) => setTimeout(r, 20));
  rb.output(new Uint8Array([2]));
  await new Promise((r) => setTimeout(r, 20));
  reader.close();
  await it;
  assert.deepEqual(seen, [1, 2]);
  rb.close();
});

test('maps of maps: values are inner map handles in, map ids out; incompatible or unknown maps are refused', () => {
  const innerSpec = { type: T.array, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
  const inner = createEmulatorBackend(descriptorOf(innerSpec, 1)) as EmulatedMap;
  const other = createEmulatorBackend(descriptorOf({ ...innerSpec, valueSize: 4 }, 1)) as EmulatedMap;
  for (const type of [T.array_of_maps, T.hash_of_maps]) {
    const outer = createEmulatorBackend(descriptorOf({ type, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }, 1), { innerMap: inner.handle });
    u32(outer.key, 1);
    u32(outer.value, inner.handle);
    assert.equal(outer.update(0), 0);
    outer.value.fill(0);
    assert.equal(outer.lookup(0), 0);
    assert.equal(new DataView(outer.value.buffer).getUint32(0, true), inner.id);
    u32(outer.value, other.handle);
    assert.equal(outer.update(0), -22, 'inner map with another value size');
    u32(outer.value, 123456);
    assert.equal(outer.update(0), -9, 'not a map');
    outer.close();
  }
  assert.throws(() => createEmulatorBackend(descriptorOf({ type: T.hash_of_maps, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }, 1)),
    (e: unknown) => e instanceof BpfError && e.code === 'EBADF');
  inner.close();
  other.close();
});

test('values live at stable offsets: in-place Atomics land in the map; freed slots are not reused within the turn', () => {
  const a = createEmulatorBackend(descriptorOf({ type: T.array, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 }, 1)) as ArrayMap;
  const off = a.valueOffset(3);
  Atomics.add(new Int32Array(a.arena.buffer, off, 2), 0, 5);
  u32(a.key, 3);
  assert.equal(a.lookup(0), 0);
  assert.equal(new DataView(a.value.buffer).getUint32(0, true), 5);

  const h = createEmulatorBackend(descriptorOf({ type: T.hash, keySize: 4, valueSize: 8, maxEntries: 4, flags: MapFlags.ZERO_SEED }, 1)) as HashMap;
  u32(h.key, 1);
  u32(h.value, 111);
  assert.equal(h.update(0), 0);
  const o1 = h.valueOffset(h.key);
  const gen = h.generationAt(o1);
  assert.equal(h.delete(), 0);
  assert.notEqual(h.generationAt(o1), gen, 'the slot generation changes on free');
  assert.equal(new DataView(h.arena.buffer).getUint32(o1, true), 111, 'a freed value stays readable until reuse');
  for (let k = 2; k < 6; k++) {
    u32(h.key, k);
    assert.equal(h.update(0), 0);
    assert.notEqual(h.valueOffset(h.key), o1, 'not reused in the same turn');
  }
  a.close();
  h.close();
});

test('the typed map API runs unchanged on both backends', kernelOnly(), () => {
  const run = (backend: 'kernel' | 'emulator') => {
    const m = createMap({ type: 'hash', key: 'u32', value: 'u64', maxEntries: 8, flags: MapFlags.ZERO_SEED }, { backend });
    try {
      for (let i = 0; i < 8; i++) m.set(i, BigInt(i * i));
      let full: string | undefined;
      try {
        m.set(100, 1n);
      } catch (e) {
        full = (e as { code: string }).code;
      }
      m.delete(3);
      m.update(4, 99n, { flag: 'exist' } as never);
      return { entries: [...m.entries()].map(([k, v]) => `${k}=${v}`), full, next: m.nextKey(12345), frozen: (m.freeze(), (() => { try { m.set(1, 1n); return 'ok'; } catch (e) { return (e as { code: string }).code; } })()) };
    } finally {
      m.close();
    }
  };
  assert.deepEqual(run('emulator'), run('kernel'));
});

test('shared maps: a real worker thread updates a hash map and fills a ring buffer this thread reads', async () => {
  const hash = createEmulatorBackend(descriptorOf({ type: T.hash, keySize: 4, valueSize: 8, maxEntries: 4096, flags: 0 }, 1), { shared: true });
  const rb = createEmulatorBackend(descriptorOf({ type: T.ringbuf, keySize: 0, valueSize: 0, maxEntries: 1 << 16, flags: 0 }, 1), { shared: true }) as RingbufMap;
  // The worker loads TypeScript through tsx's API (workers do not inherit --import hooks on Node 20).
  const script = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./shared-worker.ts', import.meta.url).href)}); });`;
  const worker = new Worker(script, { eval: true, workerData: { hash: shareEmulatedMap(hash), rb: shareEmulatedMap(rb) } });
  // Both threads insert into the same map at once.
  for (let i = 0; i < 1000; i++) {
    u32(hash.key, i);
    u32(hash.value, i);
    assert.equal(hash.update(0), 0);
  }
  const reader = new EmulatedRingBufferReader(rb);
  const records: number[] = [];
  while (records.length < 1000) {
    for (const r of await reader.poll(10_000)) records.push(new DataView(r.buffer).getUint32(0, true));
  }
  const code = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', resolve);
  });
  assert.equal(code, 0);
  assert.deepEqual(records, Array.from({ length: 1000 }, (_, i) => i));
  const again = attachEmulatedMap(shareEmulatedMap(hash));
  let n = 0;
  for (let r = again.getNextKey(true); r === 0; r = again.getNextKey(false)) {
    again.key.set(again.nextKey);
    n++;
  }
  assert.equal(n, 2000, 'keys 0..999 from here, 1000..1999 from the worker');
  u32(hash.key, 1500);
  assert.equal(hash.lookup(0), 0);
  assert.equal(new DataView(hash.value.buffer).getUint32(0, true), 1500 * 3);
  reader.close();
  hash.close();
  rb.close();
});

test('map files on disk; batch buffers shorter than count are EFAULT, never read past', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { saveEmulatedMapFile, loadEmulatedMapFile } = await import('../../src/emu/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'emu-'));
  try {
    const m = createEmulatorBackend(descriptorOf({ type: T.hash, keySize: 4, valueSize: 8, maxEntries: 8, flags: MapFlags.ZERO_SEED }, 1));
    u32(m.key, 5);
    u32(m.value, 55);
    m.update(0);
    saveEmulatedMapFile(m, join(dir, 'm.bin'));
    const back = loadEmulatedMapFile(join(dir, 'm.bin'));
    u32(back.key, 5);
    assert.equal(back.lookup(0), 0);
    assert.equal(new DataView(back.value.buffer).getUint32(0, true), 55);
    const r = m.batch('update', { inBatch: null, outBatch: null, keys: new Uint8Array(4), values: new Uint8Array(8), count: 3, elemFlags: 0, flags: 0 });
    assert.deepEqual(r, { result: -14, count: 0 });
    m.close();
    back.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
