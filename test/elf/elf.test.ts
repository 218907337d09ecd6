/**
 * The ELF reader against llvm-readobj-19 (sections, symbols, relocations) on every
 * cilium test object and Debian's objects, plus hand-made corrupt inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseElf, SectionType, SymbolType } from '../../src/elf/index.js';
import { ParseError } from '../../src/sys/errors.js';
import { readCollectionSpec, ObjectError } from '../../src/object/index.js';
import { join } from 'node:path';
import { CILIUM_ROOT, FIXTURES_DIR, bpfFixtures, debianObjects, toolSkip, walkObjects } from '../object/tools.js';

interface ReadobjJson {
  Sections: { Section: { Index: number; Name: { Name: string }; Type: { Value: number }; Flags: { Value: number }; Offset: number; Size: number; Link: number; Info: number; AddressAlignment: number; EntrySize: number } }[];
  Symbols: { Symbol: { Name: { Name: string }; Value: number; Size: number; Binding: { Value: number }; Type: { Value: number }; Other: { Value: number }; Section: { Value: number } } }[];
  Relocations?: { SectionIndex: number; Relocs: { Relocation: { Offset: number; Type: { Value: number }; Symbol: { Name: string; Value: number }; Addend?: number } }[] }[];
}

/** One llvm-readobj run for all files (one process per file would take seconds). */
function readobj(paths: string[]): ReadobjJson[] {
  const out = execFileSync('llvm-readobj-19', ['--elf-output-style=JSON', '-S', '-s', '-r', ...paths], { maxBuffer: 256 << 20 });
  return JSON.parse(out.toString()) as ReadobjJson[];
}

// x86-64 too: its RELA relocations exercise the path BPF objects rarely use.
const objects = [...walkObjects(CILIUM_ROOT), ...bpfFixtures(), join(FIXTURES_DIR, 'other-x86_64.o'), ...debianObjects()];

test('sections, symbols and relocations match llvm-readobj-19', { skip: toolSkip('llvm-readobj-19') || (objects.length === 0 && 'no objects') }, () => {
  assert.ok(objects.length > 0);
  const all = readobj(objects);
  assert.equal(all.length, objects.length);
  for (const [i, path] of objects.entries()) {
    const elf = parseElf(readFileSync(path));
    const want = all[i]!;
    assert.deepEqual(
      elf.sections.map((s) => [s.index, s.name, s.type, s.flags, s.offset, s.size, s.link, s.info, s.addralign, s.entsize]),
      want.Sections.map(({ Section: s }) => [s.Index, s.Name.Name, s.Type.Value, s.Flags.Value, s.Offset, s.Size, s.Link, s.Info, s.AddressAlignment, s.EntrySize]),
      `${path}: sections`,
    );
    assert.deepEqual(
      elf.symbols().map((s) => [s.type === SymbolType.SECTION ? '' : s.name, s.value, s.size, s.binding, s.type, s.visibility, s.sectionIndex]),
      want.Symbols.map(({ Symbol: s }) => [s.Type.Value === SymbolType.SECTION ? '' : s.Name.Name, s.Value, s.Size, s.Binding.Value, s.Type.Value, s.Other.Value & 3, s.Section.Value]),
      `${path}: symbols`,
    );
    assert.deepEqual(
      elf.relocations().map((r) => [r.section.index, r.entries.map((e) => [e.offset, e.type, e.symbolIndex, Number(BigInt.asUintN(64, e.addend))])]),
      // llvm prints addends as unsigned 64-bit JSON numbers (so -4 is 2^64-4, as a double).
      (want.Relocations ?? []).map((r) => [r.SectionIndex, r.Relocs.map(({ Relocation: e }) => [e.Offset, e.Type.Value, e.Symbol.Value, e.Addend ?? 0])]),
      `${path}: relocations`,
    );
  }
});

/** A minimal valid ELF64 relocatable BPF object: null section, .shstrtab, one .text. */
function tinyElf(littleEndian: boolean): Uint8Array {
  const names = new TextEncoder().encode('\0.shstrtab\0.text\0');
  const text = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const shoff = 64 + text.length + names.length + ((8 - ((64 + text.length + names.length) % 8)) % 8);
  const buf = new Uint8Array(shoff + 3 * 64);
  const v = new DataView(buf.buffer);
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, littleEndian ? 1 : 2, 1]);
  v.setUint16(16, 1, littleEndian); v.setUint16(18, 247, littleEndian); v.setUint32(20, 1, littleEndian);
  v.setBigUint64(40, BigInt(shoff), littleEndian);
  v.setUint16(52, 64, littleEndian); v.setUint16(58, 64, littleEndian); v.setUint16(60, 3, littleEndian); v.setUint16(62, 1, littleEndian);
  buf.set(text, 64);
  buf.set(names, 64 + text.length);
  const sh = (i: number, name: number, type: number, flags: number, off: number, size: number) => {
    const at = shoff + i * 64;
    v.setUint32(at, name, littleEndian); v.setUint32(at + 4, type, littleEndian);
    v.setBigUint64(at + 8, BigInt(flags), littleEndian);
    v.setBigUint64(at + 24, BigInt(off), littleEndian); v.setBigUint64(at + 32, BigInt(size), littleEndian);
  };
  sh(1, 1, SectionType.STRTAB, 0, 64 + text.length, names.length);
  sh(2, 11, SectionType.PROGBITS, 6, 64, text.length);
  return buf;
}

test('hand-made objects of both byte orders parse the same', () => {
  for (const le of [true, false]) {
    const elf = parseElf(tinyElf(le));
    assert.equal(elf.littleEndian, le);
    assert.deepEqual(elf.sections.map((s) => s.name), ['', '.shstrtab', '.text']);
    assert.equal(elf.sectionData(elf.sectionByName('.text')!).byteLength, 16);
    assert.deepEqual(elf.symbols(), []);
  }
});

test('ELF32, bad magic, bad byte order and truncation give ParseError naming the offset', () => {
  const good = tinyElf(true);
  const elf32 = good.slice(); elf32[4] = 1;
  assert.throws(() => parseElf(elf32), (e: unknown) => e instanceof ParseError && /ELF32/.test(e.message) && e.offset === 4);
  const magic = good.slice(); magic[1] = 0;
  assert.throws(() => parseElf(magic), (e: unknown) => e instanceof ParseError && /magic/.test(e.message));
  const order = good.slice(); order[5] = 3;
  assert.throws(() => parseElf(order), (e: unknown) => e instanceof ParseError && e.offset === 5);
  assert.throws(() => parseElf(good.subarray(0, 10)), ParseError);
  assert.throws(() => parseElf(good.subarray(0, 40)), ParseError);
  assert.throws(() => parseElf(good.subarray(0, good.length - 1)), (e: unknown) => e instanceof ParseError && /section headers/.test(e.message));
  // A section count no file could hold is refused before anything is allocated.
  const count = good.slice(); new DataView(count.buffer).setUint16(60, 0xfff0, true);
  assert.throws(() => parseElf(count), ParseError);
  // Section contents outside the file: error on access, naming the section.
  const outside = good.slice();
  const shoff = Number(new DataView(outside.buffer).getBigUint64(40, true));
  new DataView(outside.buffer).setBigUint64(shoff + 2 * 64 + 24, 1n << 40n, true);
  const e2 = parseElf(outside);
  assert.throws(() => e2.sectionData(e2.sections[2]!), (e: unknown) => e instanceof ParseError && /\.text/.test(e.message));
  // Name offset outside the string table.
  const badName = good.slice();
  new DataView(badName.buffer).setUint32(shoff + 2 * 64, 9999, true);
  assert.throws(() => parseElf(badName), (e: unknown) => e instanceof ParseError && /string offset/.test(e.message));
});

test('an x86-64 object: RELA relocations with addends; readCollectionSpec refuses it; ELF32 is refused', () => {
  const x86 = parseElf(readFileSync(join(FIXTURES_DIR, 'other-x86_64.o')));
  assert.equal(x86.header.machine, 62);
  const rela = x86.relocations().find((r) => r.section.type === SectionType.RELA && r.target.name === '.text');
  assert.ok(rela && rela.entries.length >= 2);
  // R_X86_64_PLT32 / PC32 / REX_GOTPCRELX relocations carry addend -4 for the call/mov displacement.
  assert.ok(rela.entries.every((e) => e.addend === -4n), JSON.stringify(rela.entries, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  assert.deepEqual(rela.entries.map((e) => x86.symbols()[e.symbolIndex]!.name).sort(), ['bump', 'counter']);
  assert.throws(() => readCollectionSpec(readFileSync(join(FIXTURES_DIR, 'other-x86_64.o'))), (e: unknown) => e instanceof ObjectError && /not BPF/.test(e.message));
  assert.throws(() => parseElf(readFileSync(join(FIXTURES_DIR, 'other-i386.o'))), (e: unknown) => e instanceof ParseError && /ELF32/.test(e.message));
});

test('a real object and llvm agree that there is no symbol table in a stripped file', { skip: !existsSync(CILIUM_ROOT) && 'no test data' }, () => {
  const elf = parseElf(readFileSync(`${CILIUM_ROOT}/testdata/raw_tracepoint-el.elf`));
  assert.ok(elf.symbolTable);
  assert.ok(elf.symbols().some((s) => s.name === 'sched_process_exec'));
});

test('regression (scripts/fuzz-long.ts): out-of-range reads name the offset asked for and report one inside the input', () => {
  // A corrupt u64 (sh_offset here, st_value in legacy maps) used to give a ParseError at that
  // offset far past the input, or at -1 when it was not an exact number.
  const s = new Uint8Array(readFileSync(join(FIXTURES_DIR, 'legacy_maps-el.o')));
  const elf = parseElf(s);
  const sec = elf.sections.find((x) => x.name === 'maps')!;
  const b = s.slice();
  new DataView(b.buffer).setBigUint64(elf.header.sectionHeaderOffset + sec.index * 64 + 24, 1n << 40n, true);
  const bad = parseElf(b).sections[sec.index]!;
  assert.throws(() => parseElf(b).sectionData(bad), (e: unknown) => e instanceof ParseError && e.offset === b.length &&
    e.message.includes(`${sec.size} bytes needed at offset 0x10000000000, but the input has ${b.length} bytes`));
});
