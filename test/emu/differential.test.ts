/**
 * Differential parity: random operation sequences run on a kernel map and on an
 * emulated map of the same spec; every answer (return code, errno, value, key,
 * batch count and cursor) must match. With bpf() available (always in CI) the
 * kernel answers live; without it the emulator is checked against answers the
 * kernel gave when test/emu/record.ts ran (test/emu/recorded/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bpfUnavailableReason } from '../helpers/kernel.js';
import { allScenarios } from './harness/scenarios.js';
import { createEmulated, createKernel, cpus } from './harness/backends.js';
import { apply, calls } from './harness/ops.js';
import { compareRun, type Divergence } from './harness/diff.js';
import { loadRecorded } from './harness/recorded.js';
import { FdCloser } from './harness/closer.js';

const live = !process.env.EMU_DIFF_RECORDED && (bpfUnavailableReason() === null || !!process.env.CI);
const SEED = Number(process.env.EMU_DIFF_SEED ?? 20251127);
// CI runs the full 100,000 operations per type; a developer run defaults to 20,000 (override with EMU_DIFF_OPS).
const OPS_PER_TYPE = Number(process.env.EMU_DIFF_OPS ?? (process.env.CI ? 100_000 : 20_000));

const only = process.env.EMU_DIFF_TYPES?.split(',');
for (const [name, arb] of Object.entries(allScenarios(live ? cpus() : 2))) {
  if (only && !only.includes(name)) continue;
  if (live) {
    test(`differential vs kernel: ${name}`, async () => {
      const closer = new FdCloser();
      let ops = 0;
      let sequences = 0;
      let divergence: Divergence | null = null;
      // fast-check generates the sequences (seeded, reproducible); a divergence is reported with
      // the operation, both answers and the scenario's spec, which is more useful than shrinking.
      const callsBefore = calls.n;
      for (let chunk = 0; ops < OPS_PER_TYPE && chunk < 100 && !divergence; chunk++) {
      const runs = fc.sample(arb, { numRuns: 10, seed: SEED + chunk });
      for (const s of runs) {
        const k = createKernel(s.spec);
        const e = createEmulated(s.spec, cpus());
        try {
          const kRc = typeof k === 'number' ? k : 0;
          const eRc = typeof e === 'number' ? e : 0;
          if (kRc !== eRc) {
            divergence = { index: -1, op: { op: 'create' }, kernel: kRc, emulator: eRc, spec: s.spec } as Divergence;
            break;
          }
          if (typeof k === 'number' || typeof e === 'number') continue;
          sequences++;
          ops += s.ops.length;
          const d = compareRun(s, e, (op) => apply(k, op));
          if (d) {
            divergence = { ...d, spec: s.spec, before: s.ops.slice(Math.max(0, d.index - 4), d.index) } as Divergence;
            break;
          }
        } finally {
          if (typeof k !== 'number') closer.close(k.detachFd());
          if (typeof e !== 'number') e.close();
        }
      }
      }
      await closer.drain();
      assert.equal(divergence, null, JSON.stringify(divergence, null, 1));
      console.log(`# emu-diff ${name}: ${sequences} sequences, ${ops} operations (${(calls.n - callsBefore) / 2} calls per backend), 0 divergences`);
    });
  } else {
    test(`differential vs recorded kernel answers: ${name}`, () => {
      const rec = loadRecorded(name);
      let ops = 0;
      for (const r of rec.runs) {
        const known = new Set(rec.ifindexes);
        const e = createEmulated(r.scenario.spec, rec.cpus, { nrCpus: rec.nrCpus, ifindexExists: (i) => known.has(i) });
        try {
          assert.equal(typeof e === 'number' ? e : 0, r.createRc, `create ${JSON.stringify(r.scenario.spec)}`);
          if (typeof e === 'number') continue;
          const d = compareRun(r.scenario, e, (_op, i) => r.answers[i]!);
          assert.equal(d, null, JSON.stringify(d));
          ops += r.scenario.ops.length;
        } finally {
          if (typeof e !== 'number') e.close();
        }
      }
      console.log(`# emu-diff (recorded) ${name}: ${rec.runs.length} sequences, ${ops} operations, 0 divergences`);
    });
  }
}
