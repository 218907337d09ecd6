// Worker side of the shared-map test: attach, insert keys 1000..1999, emit 1000 ring records.
import { workerData } from 'node:worker_threads';
import { attachEmulatedMap, type RingbufMap } from '../../src/emu/index.js';

const hash = attachEmulatedMap(workerData.hash);
const rb = attachEmulatedMap(workerData.rb) as RingbufMap;
const kv = new DataView(hash.key.buffer);
const vv = new DataView(hash.value.buffer);
for (let i = 1000; i < 2000; i++) {
  kv.setUint32(0, i, true);
  vv.setUint32(0, i * 3, true);
  if (hash.update(0) !== 0) throw new Error(`update ${i} failed`);
}
const rec = new Uint8Array(4);
for (let i = 0; i < 1000; i++) {
  new DataView(rec.buffer).setUint32(0, i, true);
  while (rb.output(rec) !== 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}
