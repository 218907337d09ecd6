/**
 * Bitfields in generated codecs. BTF gives each bitfield a bit offset from the
 * start of its struct, numbered from the least significant bit of the first
 * byte on little-endian targets and from the most significant bit on
 * big-endian ones (the psABI rule clang follows); a bitfield is read and
 * written byte by byte, so any width up to 64 bits at any offset works:
 *
 *   LE  byte 0       byte 1         unsigned a:3, b:7  →  a = bits 0..2, b = bits 3..9
 *      |bbbbbaaa|  |......bb|
 */
import type { BitfieldBase, FieldLayout } from './layout.js';
import type { At, Gen, Path } from './codegen-core.js';
import { enumTables, fail, field, intExpected, plus, render, toBigInt } from './codegen-core.js';

/** Bytes of a bitfield and, per byte, which value bits it holds. */
function bitfieldBytes(bitOffset: number, bits: number, le: boolean): { byte: number; valueShift: number; width: number; byteShift: number }[] {
  const parts = [];
  const first = bitOffset >> 3;
  const last = (bitOffset + bits - 1) >> 3;
  for (let b = first; b <= last; b++) {
    const pStart = Math.max(bitOffset, b * 8);
    const pEnd = Math.min(bitOffset + bits, b * 8 + 8);
    const width = pEnd - pStart;
    if (le) {
      // Bit p of the struct is bit (p & 7) of byte p >> 3; value bit j is at p = bitOffset + j.
      parts.push({ byte: b, valueShift: pStart - bitOffset, width, byteShift: pStart - b * 8 });
    } else {
      // Bit p counts from the most significant bit of byte p >> 3; value MSB comes first.
      parts.push({ byte: b, valueShift: bits - (pEnd - bitOffset), width, byteShift: 7 - (pEnd - 1 - b * 8) });
    }
  }
  return parts;
}

function bitfieldExpected(base: BitfieldBase, bits: number): string {
  if (base.kind === 'bool') return 'bool (true or false)';
  const big = base.size === 8;
  return intExpected(big ? 8 : 4, base.signed, bits);
}

/** Encode a bitfield: the bytes were zeroed with the struct's padding, so OR-ing in each part is the read-modify-write. */
export function encodeBitfield(g: Gen, out: string[], f: Extract<FieldLayout, { bits: number }>, x: string, at: At, path: Path): void {
  const p = field(path, f.name);
  const t = g.tmp('f');
  out.push(`let ${t} = ${x}[${JSON.stringify(f.name)}];`);
  const base = f.base;
  let expected = bitfieldExpected(base, f.bits);
  if (base.kind === 'bool') {
    out.push(`if (typeof ${t} !== 'boolean') ${fail(p, expected, t)};`, `${t} = ${t} ? 1 : 0;`);
  } else if (base.kind === 'enum') {
    const { byName, expected: e } = enumTables(g, base);
    expected = e.replace(/ or .*$/, ` or ${bitfieldExpected({ kind: 'int', size: base.size, signed: base.signed }, f.bits)}`);
    out.push(`if (typeof ${t} === 'string') { const n = ${byName}.get(${t}); if (n === undefined) ${fail(p, expected, t)}; ${t} = n; }`);
  }
  const signed = base.kind !== 'bool' && base.signed;
  const u = g.tmp('u');
  if (f.bits <= 32) {
    const lo = signed ? -(2 ** (f.bits - 1)) : 0;
    const hi = signed ? 2 ** (f.bits - 1) - 1 : 2 ** f.bits - 1;
    // 8-byte bases accept a bigint too.
    if (base.kind !== 'bool' && base.size === 8) out.push(`if (typeof ${t} === 'bigint' && ${t} >= ${lo}n && ${t} <= ${hi}n) ${t} = Number(${t});`);
    out.push(`if (!Number.isInteger(${t}) || ${t} < ${lo} || ${t} > ${hi}) ${fail(p, expected, t)};`);
    out.push(`const ${u} = ${t} < 0 ? ${t} + ${2 ** f.bits} : ${t};`);
    for (const part of bitfieldBytes(f.bitOffset, f.bits, g.le)) {
      const bits = `(Math.floor(${u} / ${2 ** part.valueShift}) & ${(1 << part.width) - 1})`;
      const a = render(plus(at, part.byte));
      out.push(`v.setUint8(${a}, v.getUint8(${a}) | (${bits} << ${part.byteShift}));`);
    }
  } else {
    const b = g.tmp('t');
    toBigInt(out, t, b, f.bits, signed, p, expected);
    out.push(`const ${u} = BigInt.asUintN(${f.bits}, ${b});`);
    for (const part of bitfieldBytes(f.bitOffset, f.bits, g.le)) {
      const bits = `Number((${u} >> ${part.valueShift}n) & ${(1 << part.width) - 1}n)`;
      const a = render(plus(at, part.byte));
      out.push(`v.setUint8(${a}, v.getUint8(${a}) | (${bits} << ${part.byteShift}));`);
    }
  }
}

export function decodeBitfield(g: Gen, out: string[], f: Extract<FieldLayout, { bits: number }>, at: At): string {
  const r = g.tmp('r');
  const parts = bitfieldBytes(f.bitOffset, f.bits, g.le);
  const base = f.base;
  const signed = base.kind !== 'bool' && base.signed;
  if (f.bits <= 32) {
    const terms = parts.map((p) => `((v.getUint8(${render(plus(at, p.byte))}) >> ${p.byteShift}) & ${(1 << p.width) - 1}) * ${2 ** p.valueShift}`);
    out.push(`let ${r} = ${terms.join(' + ')};`);
    if (signed) out.push(`if (${r} >= ${2 ** (f.bits - 1)}) ${r} -= ${2 ** f.bits};`);
    if (base.kind === 'bool') return `${r} !== 0`;
    if (base.size === 8) out.push(`${r} = BigInt(${r});`);
  } else {
    const terms = parts.map((p) => `(BigInt((v.getUint8(${render(plus(at, p.byte))}) >> ${p.byteShift}) & ${(1 << p.width) - 1}) << ${p.valueShift}n)`);
    out.push(`let ${r} = ${terms.join(' | ')};`);
    if (signed) out.push(`${r} = BigInt.asIntN(${f.bits}, ${r});`);
  }
  if (base.kind === 'enum') {
    const { byValue } = enumTables(g, base);
    return `(${byValue}.get(${r}) ?? ${r})`;
  }
  return r;
}

