/**
 * Experiment: the library's own cost for raw get/set/delete with the syscall replaced
 * by a no-op, with the raw codec before commit 7ec07b9 (ArrayBuffer.slice per decode,
 * a new Uint8Array view per encode) and the current one. CPU time, ns/op.
 *
 *   taskset -c 1 node --import tsx bench/maps/experiments/raw-codec-before-after.ts
 */
import { createMap, type BpfMap } from '../../../src/maps/index.js';
import { setBpfImplementation } from '../../../src/sys/bpf.js';
import type { Codec } from '../../../src/codec/codec.js';

/** The raw codec as it was (value checks omitted: they are unchanged). */
function oldRawCodec(size: number): Codec<Uint8Array> {
  return {
    size,
    description: `${size}-byte buffer`,
    encode(view, offset, value) {
      new Uint8Array(view.buffer, view.byteOffset + offset, size).set(value);
    },
    decode(view, offset) {
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + size));
    },
  };
}

const N = 200_000;
const now = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1000 });
const before = createMap({ type: 'hash', key: oldRawCodec(4), value: oldRawCodec(8), maxEntries: 1000 }) as unknown as BpfMap;
const key = new Uint8Array(4);
const k32 = new Uint32Array(key.buffer);
const val = new Uint8Array(8);
const cpu = (f: () => void): string => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (((c.user + c.system) * 1000) / N).toFixed(0);
};
const run = (m: BpfMap): string => [
  cpu(() => { for (let i = 0; i < N; i++) { k32[0] = i; m.get(key); } }),
  cpu(() => { for (let i = 0; i < N; i++) { k32[0] = i; m.set(key, val); } }),
  cpu(() => { for (let i = 0; i < N; i++) { k32[0] = i; m.delete(key); } }),
].join(' / ');
setBpfImplementation(() => 0);
try {
  for (let r = 0; r < 5; r++) console.log(`get / set / delete ns/op without syscall: before ${run(before)}   now ${run(now)}`);
} finally {
  setBpfImplementation(undefined);
  now.close();
  before.close();
}
