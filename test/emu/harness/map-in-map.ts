/**
 * One differential sequence for maps of maps (array_of_maps, hash_of_maps): the
 * same operations on a kernel map and an emulated one, where a value names inner
 * map #j — a real fd on the kernel side, an emulated map's handle on the other —
 * or a bogus fd. Answers are compared after translating inner map ids back to #j
 * (ids differ between the kernel and the emulator by nature). Used by
 * test/emu/map-in-map.test.ts, on the main thread or in worker threads.
 */
import type { MapBackend } from '../../../src/maps/backend.js';
import { KernelMapBackend } from '../../../src/maps/kernel-backend.js';
import { mapCreate, mapInfoByFd } from '../../../src/sys/map-cmds.js';
import { native } from '../../../src/sys/native.js';
import { createEmulatorBackend, type EmulatedMap } from '../../../src/emu/index.js';
import { descriptorOf } from './backends.js';
import { Pick } from './gen.js';

const INNER = { type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
const OTHER = { ...INNER, valueSize: 4 };

interface Side {
  outer: MapBackend;
  /** The number to store for inner #j (j = 3: incompatible map; j = 4: not a map). */
  ref: (j: number) => number;
  /** Inner map id → #j. */
  idx: Map<number, number>;
}

function u32(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0, true);
}
function r32(b: Uint8Array, o = 0): number {
  return new DataView(b.buffer, b.byteOffset).getUint32(o, true);
}

function run(side: Side, ops: number[], maxEntries: number): unknown[] {
  const m = side.outer;
  const log: unknown[] = [];
  for (const seed of ops) {
    // EMU_MIM_WALK=1 logs the iteration order before every operation (to find where orders part).
    if (process.env.EMU_MIM_WALK) {
      const order: number[] = [];
      const save = m.key.slice();
      for (let r = m.getNextKey(true); r === 0; r = m.getNextKey(false)) { m.key.set(m.nextKey); order.push(r32(m.key)); }
      m.key.set(save);
      log.push(['order', order]);
    }
    const p = new Pick(seed);
    const key = p.int(maxEntries + 2);
    u32(m.key, 0, key);
    switch (p.int(7)) {
      case 6: {
        const n = 1 + p.int(3);
        const keys = new Uint8Array(n * 4);
        const values = new Uint8Array(n * 4);
        for (let i = 0; i < n; i++) {
          u32(keys, i * 4, p.int(maxEntries + 1));
          u32(values, i * 4, side.ref(p.int(5)));
        }
        const cmd = p.one(['update', 'delete', 'lookupAndDelete'] as const);
        const r = m.batch(cmd, { inBatch: null, outBatch: new Uint8Array(4), keys, values, count: n, elemFlags: 0, flags: 0 });
        log.push(['batch ' + cmd, n, r.result, cmd === 'lookupAndDelete' ? null : r.count]);
        break;
      }
      case 0:
      case 1: {
        u32(m.value, 0, side.ref(p.int(5)));
        log.push(['update', key, m.update(p.one([0, 0, 0, 1, 2, 4]))]);
        break;
      }
      case 2: {
        const rc = m.lookup(0);
        log.push(['lookup', key, rc, rc === 0 ? side.idx.get(r32(m.value)) : null]);
        break;
      }
      case 3:
        log.push(['delete', key, m.delete()]);
        break;
      case 4: {
        const rc = m.getNextKey(p.int(4) === 0);
        log.push(['next', key, rc, rc === 0 ? r32(m.nextKey) : null]);
        break;
      }
      default: {
        const n = 1 + p.int(maxEntries + 1);
        const keys = new Uint8Array(n * 4);
        const values = new Uint8Array(n * 4);
        const r = m.batch('lookup', { inBatch: null, outBatch: new Uint8Array(4), keys, values, count: n, elemFlags: 0, flags: 0 });
        const got: number[] = [];
        for (let i = 0; i < r.count; i++) got.push(r32(keys, i * 4), side.idx.get(r32(values, i * 4)) ?? -1);
        log.push(['batch', n, r.result, r.count, got]);
      }
    }
  }
  return log;
}

/**
 * Run `ops` on a fresh kernel map-in-map of `type` (12 array_of_maps, 13
 * hash_of_maps) and on an emulated one; returns null when every answer agrees,
 * else a message naming the first operation where they part and the ones before.
 * Every fd it makes is closed before it returns.
 */
export function checkSequence(type: number, maxEntries: number, ops: number[]): string | null {
  const name = type === 12 ? 'array_of_maps' : 'hash_of_maps';
  const outerSpec = { type, keySize: 4, valueSize: 4, maxEntries, flags: type === 13 ? 64 : 0 };
  // Kernel side: three compatible inner maps, one incompatible, and a closed fd.
  const kInner = [INNER, INNER, INNER, OTHER].map((s) => mapCreate({ ...s, name: 'inner' }));
  const kOuterFd = mapCreate({ ...outerSpec, innerMapFd: kInner[0], name: 'outer' });
  const kOuter = kOuterFd >= 0 ? new KernelMapBackend(kOuterFd, descriptorOf(outerSpec, 1, 'outer')) : undefined;
  const eInner = [INNER, INNER, INNER, OTHER].map((s) => createEmulatorBackend(descriptorOf(s, 1)) as EmulatedMap);
  const emulatorOuter = createEmulatorBackend(descriptorOf(outerSpec, 1, 'outer'), { innerMap: eInner[0]!.handle });
  try {
    if (!kOuter) return `${name}: outer map create failed: errno ${-kOuterFd}`;
    const kernel: Side = {
      outer: kOuter,
      ref: (j) => (j < 4 ? kInner[j]! : 900_123),
      idx: new Map(kInner.map((fd, j) => [mapInfoByFd(fd).id, j])),
    };
    const emulator: Side = {
      outer: emulatorOuter,
      ref: (j) => (j < 4 ? eInner[j]!.handle : 900_123),
      idx: new Map(eInner.map((m, j) => [m.id, j])),
    };
    const el = run(emulator, ops, maxEntries);
    const kl = run(kernel, ops, maxEntries);
    const at = el.findIndex((x, i) => JSON.stringify(x) !== JSON.stringify(kl[i]));
    if (at === -1) return null;
    return `${name} max_entries ${maxEntries}: operation ${at}: kernel ${JSON.stringify(kl[at])}, emulator ${JSON.stringify(el[at])}; before: ${JSON.stringify(kl.slice(Math.max(0, at - 3), at))}`;
  } finally {
    kOuter?.close();
    for (const fd of kInner) if (fd >= 0) native().close(fd);
    emulatorOuter.close();
    for (const m of eInner) m.close();
  }
}
