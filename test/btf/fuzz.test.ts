/**
 * Fuzzing with fast-check: mutated real BTF (bit flips, truncations, random
 * header fields, random words in the type and string sections) must give a
 * BtfSpec or a ParseError naming an offset inside the input: never another
 * exception, a hang, or an allocation beyond what the input can describe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseBtf, type Btf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import { parseBtfExt } from '../../src/btf/ext.js';
import { encodeBtf } from '../../src/btf/encode.js';
import { formatC } from '../../src/btf/format-c.js';
import { formatRaw } from '../../src/btf/format-raw.js';
import { InvalidArgumentError, ParseError } from '../../src/sys/errors.js';
import { FIXTURES, SHARED, SHARED_BTF, VMLINUX } from './helpers.js';

const section = (path: string, name: string) => new Uint8Array(elfSections(readFileSync(path)).get(name)!);
const small = [
  section(`${FIXTURES}kinds-el.bpf.o`, '.BTF'), section(`${FIXTURES}kinds-eb.bpf.o`, '.BTF'),
  section(`${SHARED_BTF}tags-el.elf`, '.BTF'), section(`${SHARED}testdata/loader-clang-22-el.elf`, '.BTF'),
];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'word'; at: number; value: number }
  | { kind: 'header'; field: number; value: number };

/** Positions are fractions of the input so one arbitrary serves inputs of any size (uniform: fc.double favours 0 and 1). */
const fraction = fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 1_000_001);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fraction }) },
  // Small words look like type ids and string offsets and keep the blob parseable; edge values stress counts.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('word' as const), at: fraction, value: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 0xffffffff, 0x7fffffff, 0x0d00ffff, 0x1400ffff, 0x8400ffff)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('header' as const), field: fc.integer({ min: 1, max: 7 }), value: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 4096 })) }) },
).map((m) => m as Mutation);

function apply(input: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = new Uint8Array(input);
  for (const m of muts) {
    if (b.length < 4) break;
    const at = Math.min(b.length - 1, Math.floor(('at' in m ? m.at : 0) * b.length));
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const le = v.getUint16(0, true) === 0xeb9f;
    if (m.kind === 'flip') b[at] = b[at]! ^ (1 << m.bit);
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'word' && at + 4 <= b.length) v.setUint32(at & ~3, m.value, le);
    else if (m.kind === 'header' && b.length >= m.field * 4 + 4) v.setUint32(m.field * 4, m.value, le);
  }
  return b;
}

/** Allowed outcomes: success, ParseError within the input, InvalidArgumentError for asking an unsized type's size. */
function expectTyped(e: unknown, length: number): void {
  if (e instanceof ParseError) {
    assert.ok(e.offset >= 0 && e.offset <= length, `offset ${e.offset} outside input of ${length} bytes: ${e.message}`);
    return;
  }
  if (e instanceof InvalidArgumentError) return;
  throw e;
}

function exercise(btf: Btf, ids: Iterable<number>, length: number, dumpAll: boolean): void {
  for (const id of ids) {
    try {
      const t = btf.typeById(id);
      if (t.name && dumpAll) btf.typeByName(t.name, t.kind);
      btf.resolve(id);
      btf.sizeof(id);
    } catch (e) {
      expectTyped(e, length);
    }
  }
  if (!dumpAll) return;
  for (const dump of [() => formatRaw(btf), () => formatC(btf)]) {
    try { dump(); } catch (e) { expectTyped(e, length); }
  }
}

test('fuzz: mutated object BTF parses or fails with ParseError', { timeout: 120_000 }, () => {
  let parsed = 0;
  fc.assert(fc.property(fc.constantFrom(...small.keys()), fc.array(mutation, { minLength: 1, maxLength: 2 }), (which, muts) => {
    const bytes = apply(small[which]!, muts);
    let btf: Btf;
    try {
      btf = parseBtf(bytes);
    } catch (e) {
      expectTyped(e, bytes.length);
      return;
    }
    // Never more types than 12-byte records fit in the input.
    assert.ok(btf.typeCount <= bytes.length / 12 + 1);
    parsed++;
    const ids = Array.from({ length: btf.typeCount }, (_, i) => i);
    exercise(btf, ids, bytes.length, true);
  }), { numRuns: 1500 });
  // The mutations must leave many inputs parseable, or the decoders go unexercised.
  assert.ok(parsed > 400, `only ${parsed} of 1500 mutated inputs parsed`);
});

test('fuzz: mutated vmlinux BTF (random types decoded around the damage)', { timeout: 120_000, skip: existsSync(VMLINUX) ? false : 'no /sys/kernel/btf/vmlinux' }, () => {
  const vmlinux = new Uint8Array(readFileSync(VMLINUX));
  fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.array(fraction, { minLength: 50, maxLength: 200 }), (muts, picks) => {
    const bytes = apply(vmlinux, muts);
    let btf: Btf;
    try {
      btf = parseBtf(bytes);
    } catch (e) {
      expectTyped(e, bytes.length);
      return;
    }
    assert.ok(btf.typeCount <= bytes.length / 12 + 1);
    exercise(btf, picks.map((p) => Math.min(btf.typeCount - 1, Math.floor(p * btf.typeCount))), bytes.length, false);
    try { btf.typesByName('task_struct'); } catch (e) { expectTyped(e, bytes.length); }
  }), { numRuns: 40, endOnFailure: true });
});

test('fuzz: mutated .BTF.ext parses or fails with ParseError', { timeout: 60_000 }, () => {
  const secs = elfSections(readFileSync(`${SHARED_BTF}relocs-el.elf`));
  const btf = parseBtf(secs.get('.BTF')!);
  const ext = new Uint8Array(secs.get('.BTF.ext')!);
  fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
    const bytes = apply(ext, muts);
    try { parseBtfExt(bytes, btf); } catch (e) { expectTyped(e, bytes.length); }
  }), { numRuns: 1500 });
});

test('regression (scripts/fuzz-long.ts): one bad name offset does not make every name lookup rescan all types', () => {
  // Found on vmlinux BTF: a flipped bit in the last types' name_off made each typesByName
  // rebuild the name index up to the bad record and throw: 300 lookups took 4.5 s.
  const n = 60_000;
  const types = Array.from({ length: n }, (_, i) => ({ kind: 'int' as const, name: `t${i}`, size: 4, encoding: 0, bitOffset: 0, bits: 32 }));
  const bytes = encodeBtf(types, { littleEndian: true });
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const typeStart = v.getUint32(4, true) + v.getUint32(8, true);
  v.setUint32(typeStart + (n - 1) * 16, 0x40000000, true); // name_off of the last INT (12-byte header + 4-byte encoding)
  const btf = parseBtf(bytes);
  assert.equal(btf.typeById(1).name, 't0');
  const started = performance.now();
  for (let i = 0; i < 300; i++) {
    assert.throws(() => btf.typesByName(`t${i}`), (e: unknown) => e instanceof ParseError && /string offset 1073741824 outside the string section/.test(e.message));
  }
  const ms = performance.now() - started;
  assert.ok(ms < 1500, `300 lookups took ${ms.toFixed(0)} ms`);
  assert.throws(() => btf.typeByName('t1', 'int'), ParseError);
});
