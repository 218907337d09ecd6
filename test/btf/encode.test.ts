import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseBtf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import { BtfBuilder, encodeBtf, encodeBtfSpec, type BtfTypeInput } from '../../src/btf/encode.js';
import { InvalidArgumentError } from '../../src/sys/errors.js';
import type { BtfType } from '../../src/btf/types.js';
import { FIXTURES, SHARED, SHARED_BTF, read } from './helpers.js';

const objects = [
  `${FIXTURES}kinds-el.bpf.o`, `${FIXTURES}kinds-eb.bpf.o`, `${SHARED_BTF}tags-el.elf`, `${SHARED_BTF}relocs-eb.elf`,
  `${SHARED}testdata/loader-clang-22-el.elf`, `${SHARED}testdata/variables-el.elf`,
];

test('round trip: parse(encode(types)) equals types for real objects, both byte orders', () => {
  for (const path of objects) {
    const btf = parseBtf(elfSections(read(path)).get('.BTF')!);
    for (const littleEndian of [true, false]) {
      const again = parseBtf(encodeBtfSpec(btf, { littleEndian }));
      assert.equal(again.littleEndian, littleEndian);
      assert.deepEqual([...again.types()], [...btf.types()], path);
    }
  }
});

test('round trip of split BTF over its base', () => {
  const base = parseBtf(read(`${SHARED_BTF}btf_testmod.btf.base`));
  const mod = parseBtf(read(`${SHARED_BTF}btf_testmod.btf`), { base });
  const again = parseBtf(encodeBtfSpec(mod), { base });
  assert.equal(again.firstTypeId, mod.firstTypeId);
  assert.deepEqual([...again.types()], [...mod.types()]);
});

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const maybeName = fc.oneof(fc.constant(''), name);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ref = fc.integer({ min: 0, max: 50 });

/** Any encodable type (ids are positions, so refs are arbitrary small numbers). */
const anyType: fc.Arbitrary<BtfTypeInput> = fc.oneof(
  fc.record({ kind: fc.constant('int' as const), name, size: fc.constantFrom(1, 2, 4, 8, 16), encoding: fc.constantFrom(0, 1, 2, 4), bitOffset: fc.integer({ min: 0, max: 127 }), bits: fc.integer({ min: 0, max: 128 }) }),
  fc.record({ kind: fc.constantFrom('ptr' as const, 'typedef' as const, 'volatile' as const, 'const' as const, 'restrict' as const), name: maybeName, type: ref }),
  fc.record({ kind: fc.constant('type_tag' as const), name, type: ref, kindFlag: fc.boolean() }).map((t) => (t.kindFlag ? t : { kind: t.kind, name: t.name, type: t.type })),
  fc.record({ kind: fc.constant('array' as const), name: fc.constant(''), elemType: ref, indexType: ref, nelems: u32 }),
  fc.record({
    kind: fc.constantFrom('struct' as const, 'union' as const), name: maybeName, size: u32, kindFlag: fc.boolean(),
    members: fc.array(fc.record({ name: maybeName, type: ref, bitOffset: fc.integer({ min: 0, max: 0xffffff }), bitfieldSize: fc.integer({ min: 0, max: 255 }) }), { maxLength: 5 }),
  }).map((t) => (t.kindFlag ? t : { ...t, members: t.members.map((m) => ({ ...m, bitfieldSize: 0 })) })),
  fc.record({ kind: fc.constant('enum' as const), name: maybeName, size: fc.constantFrom(1, 2, 4, 8), signed: fc.boolean(), values: fc.array(fc.record({ name, value: fc.bigInt({ min: 0n, max: 0x7fffffffn }) }), { maxLength: 4 }) })
    .map((t) => ({ ...t, values: t.values.map((v) => ({ name: v.name, value: t.signed ? v.value - 0x40000000n : v.value })) })),
  fc.record({ kind: fc.constant('enum64' as const), name: maybeName, size: fc.constant(8), signed: fc.boolean(), values: fc.array(fc.record({ name, value: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }) }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('fwd' as const), name, fwdKind: fc.constantFrom('struct' as const, 'union' as const) }),
  fc.record({ kind: fc.constant('func' as const), name, type: ref, linkage: fc.constantFrom(0, 1, 2) }),
  fc.record({ kind: fc.constant('func_proto' as const), name: fc.constant(''), returnType: ref, params: fc.array(fc.record({ name: maybeName, type: ref }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('var' as const), name, type: ref, linkage: fc.constantFrom(0, 1, 2) }),
  fc.record({ kind: fc.constant('datasec' as const), name, size: u32, vars: fc.array(fc.record({ type: ref, offset: u32, size: u32 }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('float' as const), name, size: fc.constantFrom(2, 4, 8, 12, 16) }),
  fc.record({ kind: fc.constant('decl_tag' as const), name, type: ref, componentIdx: fc.integer({ min: -1, max: 10 }) }),
);

/** fast-check builds some records without a prototype; compare as plain objects. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

test('property: parse(encode(x)) equals x with ids 1..n', () => {
  fc.assert(fc.property(fc.array(anyType, { maxLength: 25 }), fc.boolean(), (types, littleEndian) => {
    const btf = parseBtf(encodeBtf(types, { littleEndian }));
    const expected = types.map((t, i) => plain({ id: i + 1, ...t }) as BtfType);
    assert.equal(btf.typeCount, types.length + 1);
    assert.deepEqual([...btf.types()], expected);
  }), { numRuns: 300 });
});

test('builder hands out ids and encodes', () => {
  const b = new BtfBuilder({ littleEndian: true });
  const u32 = b.add({ kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
  const pair = b.add({ kind: 'struct', name: 'pair', size: 8, members: [{ name: 'a', type: u32, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: u32, bitOffset: 32, bitfieldSize: 0 }] });
  assert.deepEqual([u32, pair], [1, 2]);
  const btf = parseBtf(b.encode());
  assert.equal(btf.typeByName('pair', 'struct')!.members[1]!.bitOffset, 32);
  assert.equal(btf.sizeof(pair), 8);
});

test('encoder rejects what the wire format cannot hold', () => {
  const bad: BtfTypeInput[][] = [
    [{ kind: 'struct', name: 's', size: 4, kindFlag: false, members: [{ name: 'a', type: 0, bitOffset: 0, bitfieldSize: 3 }] }],
    [{ kind: 'struct', name: 's', size: 4, kindFlag: true, members: [{ name: 'a', type: 0, bitOffset: 1 << 24, bitfieldSize: 3 }] }],
    [{ kind: 'enum', name: 'e', size: 4, signed: false, values: [{ name: 'X', value: 1n << 32n }] }],
    [{ kind: 'int', name: 'a\0b', size: 4, encoding: 0, bitOffset: 0, bits: 32 }],
    [{ kind: 'ptr', name: '', type: -1 }],
    [{ kind: 'void', name: '' }],
    [{ kind: 'func_proto', name: '', returnType: 0, params: Array.from({ length: 65536 }, () => ({ name: '', type: 0 })) }],
  ];
  for (const types of bad) assert.throws(() => encodeBtf(types), InvalidArgumentError);
});
