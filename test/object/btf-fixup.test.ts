/**
 * The open-time BTF fix-ups (src/object/btf-fixup.ts) as properties: applying them to the
 * BTF `readCollectionSpec` returns changes nothing (so a spec's BTF is final), type ids and
 * strings survive, and a corrupted .BTF section gives a spec or a typed error, never
 * another exception. The kernel and libbpf oracles are in map-create.test.ts and
 * libbpf.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseBtf } from '../../src/btf/btf.js';
import { parseElf } from '../../src/elf/index.js';
import { fixupObjectBtf, readCollectionSpec } from '../../src/object/index.js';
import { EbpfError } from '../../src/sys/errors.js';
import { CILIUM_ROOT, FIXTURES_DIR } from './tools.js';

function objects(): string[] {
  const dir = join(CILIUM_ROOT, 'testdata');
  return [
    ...readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.o') && !f.includes('nobtf') && !f.startsWith('other-')).map((f) => join(FIXTURES_DIR, f)),
    ...readdirSync(dir).filter((f) => /-e[lb]\.elf$/.test(f) && !f.startsWith('invalid')).map((f) => join(dir, f)),
  ];
}

test('fixing the BTF of a spec again changes nothing, and keeps every type and string of .BTF', () => {
  let checked = 0;
  for (const path of objects()) {
    const bytes = new Uint8Array(readFileSync(path));
    const spec = readCollectionSpec(bytes);
    if (!spec.btf) continue;
    const elf = parseElf(bytes);
    assert.deepEqual(fixupObjectBtf(spec.btf, spec, elf), spec.btf.raw, path);
    // Without the ELF (a spec built by hand) the spec's own maps and variables give the same result.
    assert.deepEqual(fixupObjectBtf(spec.btf, spec, undefined), spec.btf.raw, `${path} without ELF`);
    const raw = parseBtf(elf.sectionData(elf.sectionByName('.BTF')!).slice());
    const fixed = spec.btf;
    assert.ok(fixed.typeCount >= raw.typeCount, path);
    for (let id = 1; id < raw.typeCount; id++) {
      const a = raw.typeById(id);
      const b = fixed.typeById(id);
      assert.equal(b.name, a.name, `${path}: type ${id} name`);
      // Only .ksyms VARs change type (to int); only DATASECs change layout.
      if (a.kind !== b.kind) assert.fail(`${path}: type ${id} was ${a.kind}, is ${b.kind}`);
    }
    checked++;
  }
  assert.ok(checked >= 40, `checked ${checked} objects`);
});

test('a corrupted .BTF section gives a spec or a typed error', () => {
  const seeds = ['global_data-el.o', 'btf_maps-eb.o'].map((f) => new Uint8Array(readFileSync(join(FIXTURES_DIR, f))))
    .concat(['ksym-el.elf', 'kconfig-eb.elf'].map((f) => new Uint8Array(readFileSync(join(CILIUM_ROOT, 'testdata', f)))));
  fc.assert(fc.property(
    fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    (seed, flips) => {
      const bytes = seeds[seed]!.slice();
      const s = parseElf(bytes).sectionByName('.BTF')!;
      for (const [at, v] of flips) bytes[s.offset + (at % s.size)] = v;
      try {
        const spec = readCollectionSpec(bytes);
        void spec.btf?.raw.byteLength;
      } catch (e) {
        if (!(e instanceof EbpfError)) throw e;
      }
    },
  ), { numRuns: 400 });
});
