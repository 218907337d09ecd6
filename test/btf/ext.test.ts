import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseBtf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import { CoreReloKind, coreReloKindName, parseBtfExt } from '../../src/btf/ext.js';
import { ParseError } from '../../src/sys/errors.js';
import { FIXTURES, SHARED, SHARED_BTF, needs, read, run } from './helpers.js';

function load(path: string) {
  const secs = elfSections(read(path));
  const btf = parseBtf(secs.get('.BTF')!);
  return { btf, ext: parseBtfExt(secs.get('.BTF.ext')!, btf), raw: secs.get('.BTF.ext')! };
}

/** llvm-objdump's names for enum bpf_core_relo_kind (llvm/lib/Target/BPF/BTF.h). */
const OBJDUMP_KIND: Record<string, number> = {
  byte_off: CoreReloKind.FIELD_BYTE_OFFSET, byte_sz: CoreReloKind.FIELD_BYTE_SIZE, field_exists: CoreReloKind.FIELD_EXISTS,
  signed: CoreReloKind.FIELD_SIGNED, lshift_u64: CoreReloKind.FIELD_LSHIFT_U64, rshift_u64: CoreReloKind.FIELD_RSHIFT_U64,
  local_type_id: CoreReloKind.TYPE_ID_LOCAL, target_type_id: CoreReloKind.TYPE_ID_TARGET, type_exists: CoreReloKind.TYPE_EXISTS,
  type_size: CoreReloKind.TYPE_SIZE, enumval_exists: CoreReloKind.ENUMVAL_EXISTS, enumval_value: CoreReloKind.ENUMVAL_VALUE,
  type_matches: CoreReloKind.TYPE_MATCHES,
};

/** CO-RE relocations as llvm-objdump -dr prints them: section → "offset kind type [access]". */
function objdumpCoreRelos(path: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const line of run('llvm-objdump-19', ['-dr', path]).split('\n')) {
    const sec = /^Disassembly of section (.+):$/.exec(line);
    if (sec) { section = sec[1]!; continue; }
    const m = /^\s+([0-9a-f]+):\s+CO-RE <(\w+)> \[(\d+)\][^(]*(?:\(([\d:]+)\))?\s*$/.exec(line);
    if (!m) continue;
    const kind = OBJDUMP_KIND[m[2]!];
    assert.notEqual(kind, undefined, `unknown objdump kind ${m[2]}`);
    const list = out.get(section) ?? [];
    list.push(`${parseInt(m[1]!, 16)} ${kind} ${m[3]}${m[4] ? ` ${m[4]}` : ''}`);
    out.set(section, list);
  }
  return out;
}

test('CO-RE relocations equal llvm-objdump\'s, both byte orders', needs('llvm-objdump-19'), () => {
  for (const name of ['relocs', 'relocs_read', 'relocs_enum']) {
    for (const order of ['el', 'eb']) {
      const path = `${SHARED_BTF}${name}-${order}.elf`;
      const { ext } = load(path);
      const ours = new Map<string, string[]>();
      for (const [sec, relos] of ext.coreRelos) {
        // objdump prints the access string only for field relocations.
        ours.set(sec, relos.map((r) => `${r.insnOff} ${r.kind} ${r.typeId}${r.kind <= CoreReloKind.FIELD_RSHIFT_U64 ? ` ${r.accessString}` : ''}`));
      }
      assert.deepEqual(ours, objdumpCoreRelos(path), path);
      assert.ok(ext.coreReloRecordSize >= 16);
    }
  }
  assert.equal(coreReloKindName(0), 'FIELD_BYTE_OFFSET');
  assert.equal(coreReloKindName(99), 'kind 99');
});

/** Function symbols from llvm-objdump -t: "section offset" → name. */
function functionSymbols(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of run('llvm-objdump-19', ['-t', path]).split('\n')) {
    const m = /^([0-9a-f]{16}) .*\bF (\S+)\t[0-9a-f]+ (\S+)$/.exec(line);
    if (m) out.set(`${m[2]} ${parseInt(m[1]!, 16)}`, m[3]!);
  }
  return out;
}

test('func_info: each record names the FUNC at that symbol (llvm-objdump symbol table)', needs('llvm-objdump-19'), () => {
  for (const path of [`${FIXTURES}kinds-el.bpf.o`, `${FIXTURES}kinds-eb.bpf.o`, `${SHARED}testdata/loader-clang-22-el.elf`, `${SHARED_BTF}relocs_read-eb.elf`]) {
    const { btf, ext } = load(path);
    const symbols = functionSymbols(path);
    let n = 0;
    for (const [sec, infos] of ext.funcInfos) {
      for (const fi of infos) {
        const func = btf.typeById(fi.typeId);
        assert.equal(func.kind, 'func');
        assert.equal(symbols.get(`${sec} ${fi.insnOff}`), func.name, `${path} ${sec}+${fi.insnOff}`);
        n++;
      }
    }
    assert.ok(n >= 2, path);
  }
});

test('line_info: file, line number and text match the C source', () => {
  const source = readFileSync(`${FIXTURES}kinds.bpf.c`, 'utf8').split('\n');
  for (const order of ['el', 'eb']) {
    const { ext } = load(`${FIXTURES}kinds-${order}.bpf.o`);
    let n = 0;
    for (const infos of ext.lineInfos.values()) {
      for (const li of infos) {
        assert.match(li.fileName, /kinds\.bpf\.c$/);
        assert.equal(li.line, source[li.lineNumber - 1], `line ${li.lineNumber}`);
        assert.ok(li.column >= 0 && li.column < 1024);
        n++;
      }
    }
    assert.ok(n > 5);
    assert.deepEqual([...ext.lineInfos.keys()].sort(), ['.text', 'xdp']);
  }
});

test('bad .BTF.ext: ParseError with the offset, counts bounded by the bytes left', () => {
  const { btf, raw } = load(`${SHARED_BTF}relocs-el.elf`);
  const v = () => { const b = new Uint8Array(raw); return { b, d: new DataView(b.buffer) }; };
  const fails = (b: Uint8Array, offset?: number) => assert.throws(() => parseBtfExt(b, btf), (e: unknown) => e instanceof ParseError && (offset === undefined || e.offset === offset));
  { const { b, d } = v(); d.setUint16(0, 0); fails(b, 0); }
  { const { b, d } = v(); d.setUint32(4, 99999, true); fails(b, 4); }
  { const { b, d } = v(); d.setUint32(12, 99999, true); fails(b, 8); } // func_info length beyond the section
  { const { b, d } = v(); const hdr = d.getUint32(4, true); d.setUint32(hdr + d.getUint32(8, true) + 8, 0x7fffffff, true); fails(b); } // huge num_info
  { const { b, d } = v(); const hdr = d.getUint32(4, true); d.setUint32(hdr + d.getUint32(8, true), 3, true); fails(b); } // record size < 8
  fails(raw.subarray(0, 10), 0);
});
