/**
 * The map API, unchanged, on both backends: each scenario is one function using
 * `createMap(spec, { backend })` and the typed methods (get/set/update/delete,
 * iteration, nextKey, batches, push/pop/peek, lookupAndDelete, freeze, mmap);
 * it logs every result or error code, and the kernel's log must equal the
 * emulator's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMap, MapFlags } from '../../src/index.js';
import { kernelOnly } from '../helpers/kernel.js';

type Backend = 'kernel' | 'emulator';
type Log = unknown[];

function attempt(log: Log, what: string, fn: () => unknown): void {
  try {
    const r = fn();
    log.push([what, typeof r === 'bigint' ? `${r}n` : r === undefined ? 'undefined' : JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v)))]);
  } catch (e) {
    log.push([what, 'throws', (e as { code?: string }).code ?? String(e)]);
  }
}

const scenarios: Record<string, (backend: Backend) => Log> = {
  'hash: flags, full map, iteration order (zero seed), batches': (backend) => {
    const log: Log = [];
    const m = createMap({ type: 'hash', key: 'u32', value: 'u64', maxEntries: 8, flags: MapFlags.ZERO_SEED }, { backend });
    try {
      for (let i = 0; i < 10; i++) attempt(log, `set ${i}`, () => m.set(i * 7, BigInt(i)) && 'ok');
      attempt(log, 'noexist', () => m.update(7, 1n, { flag: 'noexist' }));
      attempt(log, 'exist missing', () => m.update(1000, 1n, { flag: 'exist' }));
      attempt(log, 'entries', () => [...m.entries()]);
      attempt(log, 'nextKey missing', () => m.nextKey(999));
      attempt(log, 'lookupBatch 3', () => m.lookupBatch({ count: 3 }).keys);
      attempt(log, 'lookupAndDelete', () => m.lookupAndDelete(14));
      attempt(log, 'deleteBatch', () => m.deleteBatch([0, 21, 5]));
      attempt(log, 'updateBatch', () => m.updateBatch([100, 101], [1n, 2n]));
      attempt(log, 'lookupAndDeleteBatch', () => m.lookupAndDeleteBatch({ count: 2 }).keys);
      attempt(log, 'keys', () => [...m.keys()]);
      attempt(log, 'freeze', () => m.freeze());
      attempt(log, 'set after freeze', () => m.set(1, 1n));
      attempt(log, 'get after freeze', () => m.get(100));
    } finally {
      m.close();
    }
    return log;
  },
  'array and percpu array: bounds, delete, mmap': (backend) => {
    const log: Log = [];
    const a = createMap({ type: 'array', key: 'u32', value: 'u32', maxEntries: 4, flags: MapFlags.MMAPABLE }, { backend });
    const p = createMap({ type: 'percpu_array', key: 'u32', value: 'u32', maxEntries: 2 }, { backend });
    try {
      attempt(log, 'set 3', () => a.set(3, 33) && 'ok');
      attempt(log, 'set 4', () => a.set(4, 1));
      attempt(log, 'delete', () => a.delete(1));
      attempt(log, 'noexist', () => a.update(0, 1, { flag: 'noexist' }));
      attempt(log, 'values', () => [...a.values()]);
      attempt(log, 'mmap', () => {
        const v = a.mmap();
        v.set(2, 22);
        const r = [v.get(3), a.get(2)];
        v.close?.();
        return r;
      });
      attempt(log, 'percpu set', () => p.set(1, [5, 6]) && 'ok');
      attempt(log, 'percpu get', () => p.get(1));
      attempt(log, 'percpu get 0', () => p.get(0));
    } finally {
      a.close();
      p.close();
    }
    return log;
  },
  'queue, stack, bloom filter': (backend) => {
    const log: Log = [];
    const q = createMap({ type: 'queue', value: 'u32', maxEntries: 2 }, { backend });
    const s = createMap({ type: 'stack', value: 'u32', maxEntries: 2 }, { backend });
    const b = createMap({ type: 'bloom_filter', value: 'u32', maxEntries: 16, flags: MapFlags.ZERO_SEED }, { backend });
    try {
      for (const [name, m] of [['queue', q], ['stack', s]] as const) {
        attempt(log, `${name} push`, () => { m.push(1); m.push(2); return 'ok'; });
        attempt(log, `${name} full`, () => m.push(3));
        attempt(log, `${name} push exist`, () => m.push(4, { flag: 'exist' }));
        attempt(log, `${name} peek`, () => m.peek());
        attempt(log, `${name} pop`, () => [m.pop(), m.pop(), m.pop()]);
      }
      attempt(log, 'bloom add', () => { for (let i = 0; i < 10; i++) b.push(i * 3); return 'ok'; });
      attempt(log, 'bloom peek', () => Array.from({ length: 40 }, (_, i) => b.peek(i) !== undefined));
      attempt(log, 'bloom pop', () => b.pop());
    } finally {
      q.close();
      s.close();
      b.close();
    }
    return log;
  },
  'lookupInto: caller-owned buffers, per-CPU slots, absent keys, wrong sizes': (backend) => {
    const log: Log = [];
    const h = createMap({ type: 'hash', keySize: 4, valueSize: 6, maxEntries: 4 }, { backend });
    const p = createMap({ type: 'percpu_hash', key: 'u32', value: 'u32', maxEntries: 4 }, { backend });
    try {
      h.set(new Uint8Array([1, 0, 0, 0]), new Uint8Array([1, 2, 3, 4, 5, 6]));
      const out = new Uint8Array(6).fill(0xee);
      attempt(log, 'present', () => [h.lookupInto(new Uint8Array([1, 0, 0, 0]), out), [...out]]);
      out.fill(0xee);
      attempt(log, 'absent leaves out untouched', () => [h.lookupInto(new Uint8Array([2, 0, 0, 0]), out), [...out]]);
      attempt(log, 'short buffer', () => h.lookupInto(new Uint8Array([1, 0, 0, 0]), new Uint8Array(5)));
      attempt(log, 'not a buffer', () => h.lookupInto(new Uint8Array([1, 0, 0, 0]), [1, 2, 3] as unknown as Uint8Array));
      const n = p.descriptor.nCpus;
      p.set(7, Array.from({ length: n }, (_, i) => 100 + i));
      const slots = new Uint8Array(p.descriptor.valueBufferSize);
      attempt(log, 'per-CPU slots', () => {
        const found = p.lookupInto(7, slots);
        const v = new DataView(slots.buffer);
        return [found, slots.length === 8 * n, Array.from({ length: n }, (_, i) => v.getUint32(i * 8, true))];
      });
    } finally {
      h.close();
      p.close();
    }
    return log;
  },
  'lpm trie: longest prefix, post-order walk': (backend) => {
    const log: Log = [];
    const t = createMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 8, flags: MapFlags.NO_PREALLOC }, { backend });
    const key = (plen: number, a: number, b: number, c: number, d: number) => {
      const k = new Uint8Array(8);
      new DataView(k.buffer).setUint32(0, plen, true);
      k.set([a, b, c, d], 4);
      return k;
    };
    const val = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
    try {
      attempt(log, 'insert', () => {
        t.set(key(16, 192, 168, 0, 0), val(1));
        t.set(key(24, 192, 168, 0, 0), val(2));
        t.set(key(24, 192, 168, 1, 0), val(3));
        t.set(key(8, 10, 0, 0, 0), val(4));
        return 'ok';
      });
      attempt(log, 'lookup /32', () => [t.get(key(32, 192, 168, 1, 7)), t.get(key(32, 192, 168, 7, 7)), t.get(key(32, 11, 0, 0, 1))]);
      attempt(log, 'walk', () => [...t.keys()]);
      attempt(log, 'delete', () => [t.delete(key(24, 192, 168, 0, 0)), t.delete(key(24, 192, 168, 0, 0))]);
      attempt(log, 'walk after', () => [...t.keys()]);
    } finally {
      t.close();
    }
    return log;
  },
};

for (const [name, scenario] of Object.entries(scenarios)) {
  test(`same code, same results on both backends: ${name}`, kernelOnly(), () => {
    const e = scenario('emulator');
    if (process.env.EMU_PRINT) console.log(JSON.stringify(e));
    assert.deepEqual(e, scenario('kernel'));
  });
}
