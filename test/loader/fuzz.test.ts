import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { loadCollection } from '../../src/loader/collection.js';
import { EbpfError } from '../../src/sys/errors.js';
import { kernelOnly } from '../helpers/kernel.js';
import { CILIUM, openFds } from './helpers.js';

const OBJECTS = [
  '/usr/libexec/xdp-tools/xdp_pass.o',
  `${CILIUM}testdata/btf_map_init-el.elf`,
  new URL('./fixtures/core_vmlinux.bpf.o', import.meta.url).pathname,
];

test('fuzz: corrupted objects fail with typed errors and leak nothing', kernelOnly(), () => {
  const originals = OBJECTS.map((p) => new Uint8Array(readFileSync(p)));
  const fds = openFds();
  fc.assert(fc.property(
    fc.nat({ max: originals.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
    (which, edits) => {
      const bytes = originals[which]!.slice();
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      try {
        loadCollection(bytes, { pinRoot: null }).close();
      } catch (e) {
        if (!(e instanceof EbpfError)) throw e;
      }
      assert.equal(openFds(), fds);
    }), { numRuns: 300 });
});
