/**
 * LRU maps under eviction: the kernel's victim choice depends on per-CPU lists,
 * so instead of comparing answers this test checks, on the kernel and on the
 * emulator alike, what the kernel guarantees (docs/emulator.md):
 *   - an update with BPF_ANY succeeds even when the map is full;
 *   - the updated key is present right after, with the value written;
 *   - the map never holds more than max_entries elements;
 *   - every element present holds the last value written for its key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MapBackend } from '../../src/maps/backend.js';
import { MapFlags } from '../../src/sys/constants.js';
import { kernelOnly } from '../helpers/kernel.js';
import { createEmulated, createKernel, cpus } from './harness/backends.js';
import { Pick } from './harness/gen.js';

function checkInvariants(m: MapBackend, label: string, seed: number): void {
  const d = m.descriptor;
  const p = new Pick(seed);
  const last = new Map<number, number>();
  const kv = new DataView(m.key.buffer, m.key.byteOffset);
  const vv = new DataView(m.value.buffer, m.value.byteOffset);
  for (let step = 0; step < 3000; step++) {
    const key = p.int(d.maxEntries * 4);
    const val = p.int(0x7fffffff);
    kv.setUint32(0, key, true);
    m.value.fill(0);
    for (let off = 0; off < d.valueBufferSize; off += Math.ceil(d.valueSize / 8) * 8) vv.setUint32(off, val, true);
    assert.equal(m.update(0), 0, `${label}: update with BPF_ANY succeeds (step ${step})`);
    last.set(key, val);
    assert.equal(m.lookup(0), 0, `${label}: the updated key is present`);
    assert.equal(vv.getUint32(0, true), val);
    if (step % 100 === 99) {
      let n = 0;
      for (let r = m.getNextKey(true); r === 0; r = m.getNextKey(false)) {
        m.key.set(m.nextKey);
        const k = kv.getUint32(0, true);
        assert.equal(m.lookup(0), 0);
        assert.equal(vv.getUint32(0, true), last.get(k), `${label}: key ${k} holds its last value`);
        n++;
        assert.ok(n <= d.maxEntries, `${label}: at most max_entries elements`);
      }
    }
  }
}

for (const type of [9, 10]) {
  for (const flags of [0, MapFlags.NO_COMMON_LRU]) {
    const spec = { type, keySize: 4, valueSize: 8, maxEntries: 64, flags };
    const label = `${type === 9 ? 'lru_hash' : 'lru_percpu_hash'}${flags ? ' NO_COMMON_LRU' : ''}`;
    test(`LRU eviction invariants, emulator: ${label}`, () => {
      const e = createEmulated(spec, cpus());
      assert.notEqual(typeof e, 'number');
      checkInvariants(e as MapBackend, `emulator ${label}`, 11);
      (e as MapBackend).close();
    });
    test(`LRU eviction invariants, kernel: ${label}`, kernelOnly(), () => {
      const k = createKernel(spec);
      assert.notEqual(typeof k, 'number');
      checkInvariants(k as MapBackend, `kernel ${label}`, 11);
      (k as MapBackend).close();
    });
  }
}
