/**
 * clang as the oracle: random declared structs are written as C, compiled for
 * bpfel and bpfeb with initialized globals, and compared with our codecs:
 * offsets and sizes (BTF), the bytes clang put in .data (declared and BTF
 * codecs must encode exactly those), and the values the BTF codec decodes
 * (equal to what the declared codec round-trips).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileBtfCodec, compileTypeDecl, structOffsets } from '../../src/codec/index.js';
import type { PlainDecl } from './arbitraries.js';
import { asDecl, structDeclArb, valueArb } from './arbitraries.js';
import { clangOnly, compileC, GLOBAL } from './clang.js';
import type { BtfComposite } from '../../src/btf/types.js';

const cScalar: Record<string, string> = {
  u8: 'unsigned char', u16: 'unsigned short', u32: 'unsigned int', u64: 'unsigned long long',
  i8: 'signed char', i16: 'short', i32: 'int', i64: 'long long', f32: 'float', f64: 'double', bool: '_Bool',
};

/** C declarations for a declared type; nested structs are emitted into `defs` first. */
class CWriter {
  defs: string[] = [];
  n = 0;
  declarator(d: PlainDecl, name: string): string {
    if (typeof d === 'string') return `${cScalar[d]} ${name}`;
    if ('bytes' in d) return `unsigned char ${name}[${d.bytes}]`;
    if ('string' in d) return `char ${name}[${d.string}]`;
    if ('array' in d) return this.declarator(d.array, `${name}[${d.length}]`);
    return `struct ${this.struct(d)} ${name}`;
  }
  struct(d: Extract<PlainDecl, { struct: unknown }>): string {
    const tag = `s${this.n++}`;
    const fields = d.struct.map(([n, t]) => `  ${this.declarator(t, n)};`).join('\n');
    this.defs.push(`struct ${d.packed ? '__attribute__((packed)) ' : ''}${tag} {\n${fields}\n};`);
    return tag;
  }
}

function cValue(d: PlainDecl, v: unknown): string {
  if (typeof d === 'string') {
    switch (d) {
      case 'u64': return `${v}ULL`;
      case 'i64': return v === -(2n ** 63n) ? '(-9223372036854775807LL - 1)' : `${v}LL`;
      case 'u32': return `${v}U`;
      case 'i32': return v === -(2 ** 31) ? '(-2147483647 - 1)' : String(v);
      case 'bool': return v ? '1' : '0';
      case 'f32': case 'f64': return /[.e]/.test(String(v)) ? String(v) : `${v}.0`; // a double literal, exact
      default: return String(v);
    }
  }
  if ('bytes' in d) return `{${[...(v as Uint8Array)].join(',')}}`;
  if ('string' in d) return `"${[...Buffer.from(v as string)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('')}"`;
  if ('array' in d) return `{${(v as unknown[]).map((e) => cValue(d.array, e)).join(', ')}}`;
  const obj = v as Record<string, unknown>;
  return `{${d.struct.map(([n, t]) => `.${n} = ${cValue(t, obj[n])}`).join(', ')}}`;
}

/** What the BTF codec decodes a declared value to: unsigned char arrays are numbers, not Uint8Array. */
function asBtfValue(d: PlainDecl, v: unknown): unknown {
  if (typeof d === 'string') return v;
  if ('bytes' in d) return [...(v as Uint8Array)];
  if ('string' in d) return v;
  if ('array' in d) return (v as unknown[]).map((e) => asBtfValue(d.array, e));
  const obj = v as Record<string, unknown>;
  return Object.fromEntries(d.struct.map(([n, t]) => [n, asBtfValue(t, obj[n])]));
}

test('random declared structs: layout, encodings and BTF codecs agree with clang (bpfel and bpfeb)', clangOnly(), () => {
  const seed = Number(process.env.CODEC_SEED ?? Date.now() % 2 ** 31);
  const cases = fc.sample(
    structDeclArb().chain((d) => valueArb(d, { printableStrings: true, finiteFloats: true }).map((v) => [d, v] as const)),
    { numRuns: 40, seed },
  );
  const w = new CWriter();
  const globals = cases.map(([d, v], i) => {
    const tag = w.struct(d as Extract<PlainDecl, { struct: unknown }>);
    return `${GLOBAL(`g${i}`)} struct ${tag} g${i} = ${cValue(d, v)};`;
  });
  const source = `${w.defs.join('\n')}\n${globals.join('\n')}\n`;
  for (const littleEndian of [true, false]) {
    const obj = compileC(source, littleEndian);
    cases.forEach(([d, v], i) => {
      const msg = `seed ${seed} case ${i} (${littleEndian ? 'bpfel' : 'bpfeb'}): ${JSON.stringify(d)}`;
      const { bytes, typeId } = obj.global(`g${i}`);
      const declared = compileTypeDecl(asDecl(d), { littleEndian });
      const btfCodec = compileBtfCodec(obj.btf, typeId, { littleEndian });
      // Layout: size, alignment and member offsets as clang computed them.
      assert.equal(declared.size, obj.btf.sizeof(typeId), msg);
      assert.equal(declared.size, btfCodec.size, msg);
      // BTF has no packed flag: a packed struct whose members happen to sit aligned looks unpacked (as to libbpf's btf__align_of).
      if (!JSON.stringify(d).includes('packed')) assert.equal(declared.align, btfCodec.align, msg);
      const members = (obj.btf.resolve(typeId) as BtfComposite).members;
      assert.deepEqual(structOffsets(asDecl(d)).map((f) => [f.name, f.offset]), members.map((m) => [m.name, m.bitOffset / 8]), msg);
      // Encodings: byte-identical to clang's initialized data, padding included.
      const mine = new Uint8Array(declared.size).fill(0xcc);
      declared.encode(new DataView(mine.buffer), 0, v);
      assert.deepEqual(mine, bytes, msg);
      const viaBtf = new Uint8Array(btfCodec.size).fill(0xcc);
      btfCodec.encode(new DataView(viaBtf.buffer), 0, asBtfValue(d, v));
      assert.deepEqual(viaBtf, bytes, msg);
      // Decoding clang's bytes: both codecs give the value back.
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      assert.deepStrictEqual(declared.decode(view, 0), v, msg);
      assert.deepStrictEqual(btfCodec.decode(view, 0), asBtfValue(d, v), msg);
    });
  }
});
