/**
 * Fuzzing the ELF reader and readCollectionSpec with fast-check: real objects with bit
 * flips, truncation and corrupted header/section/symbol/relocation fields must give a
 * spec or a typed EbpfError (ParseError, ObjectError, ...) — never another exception,
 * a hang or a huge allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseElf, type ElfFile, type ElfSymbol } from '../../src/elf/index.js';
import { ObjectError, readCollectionSpec, type CollectionSpec } from '../../src/object/index.js';
import { EbpfError, ParseError } from '../../src/sys/errors.js';
import { describeObject } from '../../src/cli/commands/object.js';
import { CILIUM_ROOT, FIXTURES_DIR } from './tools.js';

const SEEDS = [
  join(FIXTURES_DIR, 'map_in_map-el.o'),
  join(FIXTURES_DIR, 'global_data-eb.o'),
  join(FIXTURES_DIR, 'subprogs-el.o'),
  join(FIXTURES_DIR, 'legacy_maps-eb-nobtf.o'),
  join(FIXTURES_DIR, 'iproute2_maps-el.o'),
  join(CILIUM_ROOT, 'testdata/loader-clang-17-el.elf'),
  join(CILIUM_ROOT, 'testdata/btf_map_init-eb.elf'),
  join(CILIUM_ROOT, 'testdata/struct_ops-el.elf'),
  join(CILIUM_ROOT, 'testdata/kconfig-el.elf'),
].filter(existsSync).map((p) => new Uint8Array(readFileSync(p)));

/** Touch everything a consumer would: lazily parsed parts are exercised too. */
function consume(s: CollectionSpec): void {
  for (const m of s.maps.values()) void [m.name, m.data?.byteLength, m.slots?.length];
  for (const p of s.programs.values()) void p.relocations.length;
  for (const v of s.variables.values()) void v.value.byteLength;
}

function check(bytes: Uint8Array): void {
  const started = performance.now();
  try {
    const elf = parseElf(bytes);
    elf.symbols();
    elf.relocations();
    for (const s of elf.sections) {
      try { elf.sectionData(s); } catch (e) { if (!(e instanceof EbpfError)) throw e; }
    }
    consume(readCollectionSpec(bytes, { objectName: 'fuzz' }));
    // What `ebpf object show` prints: BTF names, formatted values, .BTF.ext counts.
    describeObject('fuzz.o', bytes);
  } catch (e) {
    if (!(e instanceof EbpfError)) {
      throw new Error(`untyped error ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
    }
  }
  const ms = performance.now() - started;
  // Generous: a hang never finishes, while a loaded 2-core CI machine can be slow.
  assert.ok(ms < 10_000, `parse took ${ms} ms`);
}

const seed = fc.constantFrom(...SEEDS.map((_, i) => i));

/** Header/section header/symbol fields worth corrupting, with values that break assumptions. */
const nasty = fc.oneof(
  fc.constantFrom(0n, 1n, 7n, 8n, 24n, 64n, 0xffn, 0xffffn, 0x7fffffffn, 0xffffffffn, 1n << 32n, 1n << 53n, (1n << 63n) - 1n, (1n << 64n) - 1n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

function withField(bytes: Uint8Array, offset: number, width: 2 | 4 | 8, value: bigint): Uint8Array {
  const out = bytes.slice();
  if (offset + width > out.length) return out;
  const v = new DataView(out.buffer);
  const le = out[5] !== 2;
  if (width === 2) v.setUint16(offset, Number(value & 0xffffn), le);
  else if (width === 4) v.setUint32(offset, Number(value & 0xffffffffn), le);
  else v.setBigUint64(offset, value & ((1n << 64n) - 1n), le);
  return out;
}

function shoff(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(40, bytes[5] !== 2));
}

test('seeds parse', () => {
  assert.ok(SEEDS.length >= 5);
  for (const s of SEEDS) check(s);
});

test('random bit flips', () => {
  fc.assert(fc.property(seed, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 16 }), (i, flips) => {
    const b = SEEDS[i]!.slice();
    for (const [pos, bit] of flips) b[pos % b.length]! ^= 1 << bit;
    check(b);
  }), { numRuns: 400 });
});

test('truncation at any length', () => {
  fc.assert(fc.property(seed, fc.nat(), (i, n) => {
    const s = SEEDS[i]!;
    check(s.subarray(0, n % (s.length + 1)));
  }), { numRuns: 300 });
});

test('corrupt ELF header fields (shoff, shentsize, shnum, shstrndx)', () => {
  const fields: [number, 2 | 4 | 8][] = [[40, 8], [58, 2], [60, 2], [62, 2], [16, 2], [18, 2]];
  fc.assert(fc.property(seed, fc.constantFrom(...fields), nasty, (i, [off, w], v) => check(withField(SEEDS[i]!, off, w, v))), { numRuns: 300 });
});

test('corrupt section headers (name, type, flags, offset, size, link, info, entsize)', () => {
  const fields: [number, 2 | 4 | 8][] = [[0, 4], [4, 4], [8, 8], [24, 8], [32, 8], [40, 4], [44, 4], [56, 8]];
  fc.assert(fc.property(seed, fc.nat(), fc.constantFrom(...fields), nasty, (i, sec, [off, w], v) => {
    const s = SEEDS[i]!;
    const count = new DataView(s.buffer, s.byteOffset).getUint16(60, s[5] !== 2);
    check(withField(s, shoff(s) + (sec % count) * 64 + off, w, v));
  }), { numRuns: 500 });
});

test('corrupt symbols, relocations, BTF and map definitions', () => {
  fc.assert(fc.property(seed, fc.constantFrom('.symtab', '.BTF', '.BTF.ext', '.maps', 'maps', '.rel', '.data', '.rodata'), fc.nat(), fc.constantFrom(2, 4, 8) as fc.Arbitrary<2 | 4 | 8>, nasty, (i, name, pos, w, v) => {
    const s = SEEDS[i]!;
    const elf = parseElf(s);
    const sec = elf.sections.find((x) => x.name === name || (name === '.rel' && x.name.startsWith('.rel')));
    if (!sec || sec.size === 0) return;
    check(withField(s, sec.offset + (pos % sec.size), w, v));
  }), { numRuns: 500 });
});

test('regression (scripts/fuzz-long.ts): a legacy map symbol value beyond 2^53 is a ParseError naming the section range', () => {
  // st_value is a u64; values past 2^53 are not exact numbers, and the bounds check reported
  // "offset -1 (0x-1)". Now the error names the symbol value and the section's bytes.
  const s = new Uint8Array(readFileSync(join(FIXTURES_DIR, 'legacy_maps-el-nobtf.o')));
  const elf = parseElf(s);
  const symtab = elf.sections.find((x) => x.name === '.symtab')!;
  const sym = elf.symbols().find((x) => x.name === 'legacy_hash')!;
  for (const value of [0x0040000000000000n, 0xea6c995200000028n, 61n]) {
    const b = withField(s, symtab.offset + sym.index * 24 + 8, 8, value);
    assert.throws(() => readCollectionSpec(b), (e: unknown) => e instanceof ParseError && e.offset >= 0 && e.offset <= b.length &&
      e.message.includes(`symbol value 0x${value.toString(16)} lies outside section maps (60 bytes: values 0..40 fit)`), `st_value 0x${value.toString(16)}`);
  }
});

test('regression (scripts/fuzz-long.ts): kconfig externs sized by corrupt BTF do not allocate gigabytes', () => {
  // kconfig-eb.elf: the u32 at file offset 448 is the element count of a char array in .BTF;
  // 0x8e000000 made a 2.2 GB .kconfig map value, allocated by readCollectionSpec.
  const b = new Uint8Array(readFileSync(join(CILIUM_ROOT, 'testdata/kconfig-eb.elf')));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  assert.equal(v.getUint32(448, false), 1);
  v.setUint32(448, 0x8e000000, false);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => readCollectionSpec(b), (e: unknown) => e instanceof ObjectError && /kconfig externs need 2382364685 bytes .*more than the 67108864 bytes/.test(e.message));
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20);
});

test('regression (scripts/fuzz-long.ts): ParseErrors about sections whose headers point past the file name offsets inside the input', () => {
  const load = (p: string) => new Uint8Array(readFileSync(p));
  /** Set section header fields (by section name) of an object. */
  const editSection = (bytes: Uint8Array, name: string, fields: [number, 4 | 8, bigint][]) => {
    const sec = parseElf(bytes).sections.find((s) => s.name === name)!;
    let b = bytes;
    for (const [off, w, v] of fields) b = withField(b, shoff(bytes) + sec.index * 64 + off, w, v);
    return b;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    // sh_name outside .shstrtab: the error used to point 512 MiB past the end of the file
    ['section name', editSection(load(join(CILIUM_ROOT, 'testdata/fwd_decl-eb.elf')), '.text', [[0, 4, 536870913n]]), /string offset 536870913 outside a \d+-byte string table \(expected 0\.\.\d+\)/],
    // a symbol table and a relocation section outside the file, with sizes that are not whole entries
    ['symbol table', editSection(load(join(FIXTURES_DIR, 'global_data-eb-nobtf.o')), '.symtab', [[24, 8, 0x7000000000n], [32, 8, 17179869186n]]), /symbol table: 17179869186 bytes needed at offset 0x7000000000/],
    ['relocations', editSection(load(join(CILIUM_ROOT, 'examples/fentry/bpf_bpfel.o')), '.relfentry/tcp_connect', [[24, 8, 0x15000000b9n], [32, 8, 189n]]), /relocation section \.relfentry\/tcp_connect: 189 bytes needed at offset 0x15000000b9/],
    // a program section outside the file whose size is not whole instructions
    ['program section', editSection(load(join(FIXTURES_DIR, 'sections-el.o')), 'fexit/do_unlinkat', [[24, 8, 0x1200000004n], [32, 8, 316n]]), /contents of section \d+ \(fexit\/do_unlinkat\): 316 bytes needed at offset 0x1200000004/],
    // NOBITS sections have no bytes and any sh_offset
    ['NOBITS version', editSection(load(join(FIXTURES_DIR, 'legacy_maps-eb-nobtf.o')), 'version', [[4, 4, 8n], [24, 8, 1n << 40n]]), /version section: size 0, expected 4/],
    ['NOBITS maps', editSection(load(join(FIXTURES_DIR, 'iproute2_maps-el-nobtf.o')), 'maps', [[4, 4, 8n], [24, 8, 1n << 40n]]), /map tc_\w+: definition of 36 bytes at symbol value 0x\w+ lies outside section maps \(0 bytes\)/],
  ];
  // a .maps section turned into a NULL section (no contents) far past the file
  cases.push(['NULL .maps', editSection(load(join(CILIUM_ROOT, 'testdata/btf_map_init-eb.elf')), '.maps', [[4, 4, 0n], [24, 8, 1n << 38n]]), /map \w+: definition of \d+ bytes at \d+ lies outside the 0-byte \.maps section/]);
  /** Set a symbol's st_value (and st_size) in a copy of `bytes`. */
  const editSymbol = (bytes: Uint8Array, pick: (s: ElfSymbol, e: ElfFile) => boolean, value: bigint, size?: bigint) => {
    const e = parseElf(bytes);
    const symtab = e.sections.find((x) => x.name === '.symtab')!;
    const sym = e.symbols().find((x) => pick(x, e))!;
    const b = withField(bytes, symtab.offset + sym.index * 24 + 8, 8, value);
    return size === undefined ? b : withField(b, symtab.offset + sym.index * 24 + 16, 8, size);
  };
  // a NOBITS .bss far past the file holding a variable far past the section
  const bss = editSection(load(join(FIXTURES_DIR, 'global_data-el.o')), '.bss', [[24, 8, 1n << 40n]]);
  cases.push(['.bss variable', editSymbol(bss, (x, e) => x.name !== '' && x.type === 1 && e.sections[x.sectionIndex]?.name === '.bss', 1n << 50n), /variable \w+ in \.bss: \d+ bytes at offset 1125899906842624 lie outside the \d+-byte section/]);
  // a legacy map symbol too small for struct bpf_map_def, at a value far past its section
  cases.push(['short legacy map', editSymbol(load(join(FIXTURES_DIR, 'legacy_maps-el-nobtf.o')), (x) => x.name === 'legacy_hash', 1n << 40n, 2n), /map legacy_hash: definition of 2 bytes is shorter than struct bpf_map_def/]);
  // a struct_ops variable whose symbol value lies far past its section
  const so = load(join(CILIUM_ROOT, 'testdata/struct_ops-eb.elf'));
  const soElf = parseElf(so);
  const sym = soElf.symbols().find((s) => s.name === 'testmod_ops')!;
  const symtab = soElf.sections.find((s) => s.name === '.symtab')!;
  cases.push(['struct_ops', withField(so, symtab.offset + sym.index * 24 + 8, 8, 1n << 36n), /24-byte struct bpf_testmod_ops at offset 68719476736 runs past the end of \.struct_ops\.link \(24 bytes\)/]);
  const wrong = cases.flatMap(([what, b, re]) => {
    try {
      readCollectionSpec(b);
      return [`${what}: no error`];
    } catch (e) {
      return e instanceof ParseError && e.offset >= 0 && e.offset <= b.length && re.test(e.message) ? [] : [`${what}: ${String(e)}`];
    }
  });
  assert.deepEqual(wrong, []);
});

test('regression (scripts/fuzz-long.ts): object show prints at most 64 KiB of a variable sized by corrupt BTF', () => {
  // kconfig-eb.elf: byte 497 (in .BTF) turns CONFIG_BPF_SYSCALL into a 12 MB array; formatting
  // it as 12 million hex strings took 5 s and gigabytes of heap.
  const b = new Uint8Array(readFileSync(join(CILIUM_ROOT, 'testdata/kconfig-eb.elf')));
  assert.equal(b[497], 0);
  b[497] = 190;
  const vars = describeObject('kconfig.o', b).variables as { name: string; value: unknown[] }[];
  const v = vars.find((x) => x.name === 'CONFIG_BPF_SYSCALL')!;
  assert.equal(v.value.length, 64 * 1024 + 1);
  assert.equal(v.value.at(-1), '... (12451844 bytes, first 65536 shown)');
});
