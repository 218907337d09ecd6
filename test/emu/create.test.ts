/**
 * BPF_MAP_CREATE parity: random specs (most of them invalid: wrong sizes, unknown
 * or conflicting flags, bad map_extra, odd ring sizes) must be accepted or refused
 * by the emulator exactly as by the kernel, with the same errno.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { kernelOnly } from '../helpers/kernel.js';
import { createEmulated, createKernel, cpus } from './harness/backends.js';
import { FdCloser } from './harness/closer.js';
import type { SpecLite } from './harness/gen.js';

const TYPES = [2, 6, 1, 5, 9, 10, 11, 22, 23, 30, 27, 3, 14, 25, 16];
const FLAG_BITS = [0, 1, 2, 4, 8, 16, 64, 128, 256, 1024, 2048, 4096, 1 << 19];

const specArb: fc.Arbitrary<SpecLite> = fc.record({
  type: fc.constantFrom(...TYPES),
  keySize: fc.oneof(fc.constantFrom(0, 1, 4, 5, 8, 16, 260, 261, 513), fc.integer({ min: 0, max: 70 })),
  valueSize: fc.oneof(fc.constantFrom(0, 1, 4, 8, 12, 32768, 32769), fc.integer({ min: 0, max: 70 })),
  maxEntries: fc.oneof(fc.constantFrom(0, 1, 3, 4096, 4095, 8192, 6144, 256, 257), fc.integer({ min: 0, max: 300 })),
  flags: fc.array(fc.constantFrom(...FLAG_BITS), { maxLength: 3 }).map((bits) => bits.reduce((a, b) => a | b, 0)),
  mapExtra: fc.constantFrom(0, 0, 0, 3, 16),
});

test('map creation: the emulator accepts and refuses exactly what the kernel does, with the same errno', kernelOnly(), async () => {
  const closer = new FdCloser();
  let n = 0;
  let refused = 0;
  try {
    for (const s of fc.sample(specArb, { numRuns: 3000, seed: 424242 })) {
      const k = createKernel(s);
      const e = createEmulated(s, cpus());
      const kr = typeof k === 'number' ? k : 0;
      const er = typeof e === 'number' ? e : 0;
      if (typeof k !== 'number') closer.close(k.detachFd());
      if (typeof e !== 'number') e.close();
      assert.equal(er, kr, `spec ${JSON.stringify(s)}: kernel ${kr}, emulator ${er}`);
      n++;
      if (kr) refused++;
    }
  } finally {
    await closer.drain();
  }
  console.log(`# emu-create: ${n} specs (${refused} refused by the kernel), 0 divergences`);
});
