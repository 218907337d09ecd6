/**
 * Records kernel answers for the differential suite, so machines without bpf()
 * (macOS, unprivileged containers) still check the emulator against the kernel.
 *
 *   sudo node --import tsx test/emu/record.ts [opsPerType=20000]
 *
 * Writes test/emu/recorded/<type>.json.gz: the scenarios (spec + operations) and
 * every kernel answer, with the kernel release and possible-CPU count.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { allScenarios } from './harness/scenarios.js';
import { createKernel, cpus, hostIfindexes, kernelNrCpus } from './harness/backends.js';
import { apply } from './harness/ops.js';
import { recordedPath, type Recorded } from './harness/recorded.js';

const target = Number(process.argv[2] ?? 20_000);
mkdirSync(fileURLToPath(new URL('./recorded/', import.meta.url)), { recursive: true });
for (const [name, arb] of Object.entries(allScenarios(cpus()))) {
  const out: Recorded = { kernel: release(), cpus: cpus(), nrCpus: kernelNrCpus(), ifindexes: hostIfindexes(), runs: [] };
  let ops = 0;
  for (let chunk = 0; ops < target && chunk < 100; chunk++) {
    for (const scenario of fc.sample(arb, { numRuns: 4, seed: 7_000 + chunk })) {
      const k = createKernel(scenario.spec);
      if (typeof k === 'number') {
        out.runs.push({ scenario: { ...scenario, ops: [] }, createRc: k, answers: [] });
        continue;
      }
      try {
        out.runs.push({ scenario, createRc: 0, answers: scenario.ops.map((op) => apply(k, op)) });
        ops += scenario.ops.length;
      } finally {
        k.close();
      }
    }
  }
  writeFileSync(recordedPath(name), gzipSync(JSON.stringify(out), { level: 9 }));
  console.log(`${name}: ${out.runs.length} sequences, ${ops} operations`);
}
