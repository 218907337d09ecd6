/**
 * Differential parity for maps of maps (array_of_maps, hash_of_maps): the same
 * random operations on a kernel map and an emulated one (harness/map-in-map.ts).
 *
 * Every update or delete of a kernel map-in-map slot waits for an expedited RCU
 * grace period (maybe_wait_bpf_programs() in kernel/bpf/syscall.c, ~2 ms here),
 * so one thread manages ~500 operations a second. The sequences are therefore
 * spread over worker threads, whose waits overlap: CI runs at least 100,000
 * operations per type (8 workers, about a minute per type on this 2-vCPU VM); a
 * developer run defaults to 5,000 (EMU_MIM_OPS and EMU_MIM_WORKERS override).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { kernelOnly } from '../helpers/kernel.js';

const OPS_PER_TYPE = Number(process.env.EMU_MIM_OPS ?? (process.env.CI ? 100_000 : 5_000));
const WORKERS = Number(process.env.EMU_MIM_WORKERS ?? (process.env.CI ? 8 : 2));

/** Deterministic sequences (max_entries, operation seeds) until they hold `total` operations. */
function sequences(type: number, total: number): [number, number[]][] {
  const out: [number, number[]][] = [];
  let n = 0;
  for (let round = 0; n < total; round++) {
    for (const s of fc.sample(fc.tuple(fc.constantFrom(1, 3, 8), fc.array(fc.integer(), { minLength: 1000, maxLength: 3000 })), { numRuns: 10, seed: 777 + type + 1000 * round })) {
      out.push(s);
      n += s[1].length;
      if (n >= total) break;
    }
  }
  return out;
}

// Workers load TypeScript through tsx's API (workers do not inherit --import hooks on Node 20).
const WORKER = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./harness/map-in-map-worker.ts', import.meta.url).href)}); });`;

function check(type: number, part: [number, number[]][]): Promise<{ ops: number; divergence: string | null }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { type, sequences: part } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`map-in-map worker exited with ${code}`)); });
  });
}

for (const type of [12, 13]) {
  const name = type === 12 ? 'array_of_maps' : 'hash_of_maps';
  test(`differential vs kernel: ${name}`, kernelOnly(), async () => {
    const all = sequences(type, OPS_PER_TYPE);
    const parts = Array.from({ length: Math.min(WORKERS, all.length) }, (_, w) => all.filter((_s, i) => i % WORKERS === w));
    const results = await Promise.all(parts.map((p) => check(type, p)));
    for (const r of results) assert.equal(r.divergence, null);
    const total = results.reduce((a, r) => a + r.ops, 0);
    assert.ok(total >= OPS_PER_TYPE, `${total} operations checked, expected at least ${OPS_PER_TYPE}`);
    console.log(`# emu-diff ${name}: ${all.length} sequences, ${total} operations, ${parts.length} workers, 0 divergences`);
  });
}
