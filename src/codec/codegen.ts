/**
 * Compiles a `Layout` into a `Codec` whose encode/decode are straight-line
 * JavaScript generated once per type (`new Function`): every offset is a
 * constant, every struct field a direct property access, every check a single
 * comparison. Decoding a struct builds one object literal, so all values of a
 * type share one V8 hidden class.
 *
 * Encoding writes every byte of the type: fields, then zeros in padding and
 * in bytes a union member or a string does not use, so kernel-side map keys
 * (compared bytewise, kernel/bpf/hashtab.c) never carry stale bytes.
 */
import type { Codec } from './codec.js';
import { CodecValueError, failEncode } from './errors.js';
import type { BitfieldBase, EnumLayout, FieldLayout, Layout, StructLayout, UnionLayout } from './layout.js';
import { fieldKeys, isAnonymousComposite, layoutSize } from './layout.js';
import { readChars, readCString, writeCString } from './strings.js';

/** Code generation state for one codec. */
class Gen {
  readonly constNames: string[] = [];
  readonly constValues: unknown[] = [];
  private counter = 0;
  constructor(readonly le: boolean) {}
  konst(value: unknown): string {
    const i = this.constValues.indexOf(value);
    if (i >= 0) return this.constNames[i]!;
    const name = `k${this.constNames.length}`;
    this.constNames.push(name);
    this.constValues.push(value);
    return name;
  }
  tmp(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }
}

/** A byte offset: a JS expression plus a constant, folded when rendered. */
interface At { readonly base: string; readonly add: number }
const plus = (at: At, n: number): At => ({ base: at.base, add: at.add + n });
const render = (at: At): string => (at.add === 0 ? at.base : `${at.base} + ${at.add}`);

/** A field path for error messages: literal parts and loop-index variables. */
type Path = readonly (string | { readonly index: string })[];
const renderPath = (path: Path): string => {
  if (path.length === 0) return "''";
  const parts: string[] = [];
  let lit = '';
  for (const p of path) {
    if (typeof p === 'string') lit += p;
    else {
      parts.push(JSON.stringify(lit + '['), p.index);
      lit = ']';
    }
  }
  if (lit !== '') parts.push(JSON.stringify(lit));
  return parts.join(' + ');
};
const field = (path: Path, name: string): Path => [...path, `.${name}`];

const intRange = (size: number, signed: boolean): [bigint, bigint] =>
  signed ? [-(1n << BigInt(size * 8 - 1)), (1n << BigInt(size * 8 - 1)) - 1n] : [0n, (1n << BigInt(size * 8)) - 1n];

/** The `expected` text of an integer: `u16 (0..65535)`. */
export function intExpected(size: number, signed: boolean, bits = size * 8): string {
  const [lo, hi] = signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];
  const name = `${signed ? 'i' : 'u'}${bits}`;
  return size >= 8 ? `${name} (${lo}..${hi}) as a bigint or safe integer` : `${name} (${lo}..${hi})`;
}

/** A JS condition that is true when `x` is NOT a valid integer of this size (number form). */
function badSmallInt(x: string, size: 1 | 2 | 4, signed: boolean): string {
  const exact = signed
    ? size === 4 ? `(${x} | 0)` : `(${x} << ${32 - size * 8} >> ${32 - size * 8})`
    : size === 4 ? `(${x} >>> 0)` : `(${x} & ${size === 1 ? 255 : 65535})`;
  return `typeof ${x} !== 'number' || ${exact} !== ${x}`;
}

function fail(path: Path, expected: string, x: string): string {
  return `fail(p, ${renderPath(path)}, ${JSON.stringify(expected)}, ${x})`;
}

/** Emit code converting `x` (bigint or safe-integer number) to a checked bigint in `t`. */
function toBigInt(out: string[], x: string, t: string, bits: number, signed: boolean, path: Path, expected: string): void {
  const [lo, hi] = signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];
  out.push(
    `let ${t} = ${x};`,
    `if (typeof ${t} === 'number' && Number.isSafeInteger(${t})) ${t} = BigInt(${t});`,
    // Comparisons, not BigInt.asUintN(): they allocate nothing.
    `if (typeof ${t} !== 'bigint' || ${t} < ${lo}n || ${t} > ${hi}n) ${fail(path, expected, x)};`,
  );
}

/**
 * A 64-bit integer from a bigint, or from a safe-integer number written as two
 * 32-bit halves (no BigInt allocated on that path).
 */
function encodeInt64(g: Gen, out: string[], signed: boolean, x: string, at: At, path: Path, expected: string, orig: string): void {
  const [lo, hi] = intRange(8, signed);
  const [loOff, hiOff] = g.le ? [0, 4] : [4, 0];
  const h = g.tmp('h');
  out.push(
    `if (typeof ${x} === 'number') {`,
    `if (!Number.isSafeInteger(${x})${signed ? '' : ` || ${x} < 0`}) ${fail(path, expected, orig)};`,
    `const ${h} = Math.floor(${x} / 4294967296);`,
    `v.setUint32(${render(plus(at, loOff))}, ${x} - ${h} * 4294967296, ${g.le});`,
    `v.set${signed ? 'Int32' : 'Uint32'}(${render(plus(at, hiOff))}, ${h}, ${g.le});`,
    `} else if (typeof ${x} === 'bigint' && ${x} >= ${lo}n && ${x} <= ${hi}n) v.set${signed ? 'BigInt64' : 'BigUint64'}(${render(at)}, ${x}, ${g.le});`,
    `else ${fail(path, expected, orig)};`,
  );
}

function encodeInt(g: Gen, out: string[], size: 1 | 2 | 4 | 8, signed: boolean, x: string, at: At, path: Path): void {
  const le = String(g.le);
  if (size === 8) {
    encodeInt64(g, out, signed, x, at, path, intExpected(8, signed), x);
    return;
  }
  out.push(`if (${badSmallInt(x, size, signed)}) ${fail(path, intExpected(size, signed), x)};`);
  const m = `${signed ? 'Int' : 'Uint'}${size * 8}`;
  out.push(size === 1 ? `v.set${m}(${render(at)}, ${x});` : `v.set${m}(${render(at)}, ${x}, ${le});`);
}

function decodeInt(g: Gen, size: 1 | 2 | 4 | 8, signed: boolean, at: At): string {
  if (size === 8) return `v.get${signed ? 'BigInt64' : 'BigUint64'}(${render(at)}, ${g.le})`;
  const m = `${signed ? 'Int' : 'Uint'}${size * 8}`;
  return size === 1 ? `v.get${m}(${render(at)})` : `v.get${m}(${render(at)}, ${g.le})`;
}

/** Name → value and value → name tables of an enum, as constants of the generated code. */
function enumTables(g: Gen, e: EnumLayout): { byName: string; byValue: string; expected: string } {
  const big = e.size === 8;
  const byName = new Map<string, number | bigint>();
  const byValue = new Map<number | bigint, string>();
  for (const { name, value } of e.values) {
    // Store values as the storage reads them back (two's complement for the enum's signedness).
    const stored = e.signed ? BigInt.asIntN(e.size * 8, value) : BigInt.asUintN(e.size * 8, value);
    const v = big ? stored : Number(stored);
    if (!byName.has(name)) byName.set(name, v);
    if (!byValue.has(v)) byValue.set(v, name);
  }
  const names = [...byName.keys()];
  const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ');
  const expected = `an enumerator name (${shown}) or ${intExpected(e.size, e.signed)}`;
  return { byName: g.konst(byName), byValue: g.konst(byValue), expected };
}

function encodeEnum(g: Gen, out: string[], e: EnumLayout, x: string, at: At, path: Path): void {
  const { byName, expected } = enumTables(g, e);
  const t = g.tmp('n');
  out.push(`let ${t} = ${x};`, `if (typeof ${t} === 'string') { ${t} = ${byName}.get(${t}); if (${t} === undefined) ${fail(path, expected, x)}; }`);
  encodeIntAs(g, out, e.size, e.signed, t, at, path, expected, x);
}

/** encodeInt with a custom `expected` text and the original value in the message. */
function encodeIntAs(g: Gen, out: string[], size: 1 | 2 | 4 | 8, signed: boolean, t: string, at: At, path: Path, expected: string, orig: string): void {
  const le = String(g.le);
  if (size === 8) {
    encodeInt64(g, out, signed, t, at, path, expected, orig);
    return;
  }
  out.push(`if (${badSmallInt(t, size, signed)}) ${fail(path, expected, orig)};`);
  const m = `${signed ? 'Int' : 'Uint'}${size * 8}`;
  out.push(size === 1 ? `v.set${m}(${render(at)}, ${t});` : `v.set${m}(${render(at)}, ${t}, ${le});`);
}

function decodeEnum(g: Gen, out: string[], e: EnumLayout, at: At): string {
  const { byValue } = enumTables(g, e);
  const t = g.tmp('r');
  out.push(`const ${t} = ${decodeInt(g, e.size, e.signed, at)};`);
  return `(${byValue}.get(${t}) ?? ${t})`;
}

/** Zero `n` bytes at `at` with the widest DataView writes. */
function zero(g: Gen, out: string[], at: At, n: number): void {
  if (n > 64) {
    out.push(`${g.konst(zeroBytes)}(v, ${render(at)}, ${n});`);
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) out.push(`v.setUint32(${render(plus(at, i))}, 0);`);
  for (; i + 2 <= n; i += 2) out.push(`v.setUint16(${render(plus(at, i))}, 0);`);
  for (; i < n; i++) out.push(`v.setUint8(${render(plus(at, i))}, 0);`);
}

function zeroBytes(v: DataView, at: number, n: number): void {
  new Uint8Array(v.buffer, v.byteOffset + at, n).fill(0);
}

function copyBytes(v: DataView, at: number, n: number): Uint8Array {
  const start = v.byteOffset + at;
  return new Uint8Array(v.buffer.slice(start, start + n));
}

/** Emit code encoding JS value `x` (a local name) as `layout` at `at`. */
function encode(g: Gen, out: string[], layout: Layout, x: string, at: At, path: Path): void {
  switch (layout.kind) {
    case 'int':
      encodeInt(g, out, layout.size, layout.signed, x, at, path);
      return;
    case 'ptr':
      if (layout.size === 8) encodeInt(g, out, 8, false, x, at, path);
      else encodeInt(g, out, 4, false, x, at, path);
      return;
    case 'int128': {
      const t = g.tmp('t');
      toBigInt(out, x, t, 128, layout.signed, path, `${layout.signed ? 'i' : 'u'}128 as a bigint`);
      const [lo, hi] = g.le ? [0, 8] : [8, 0];
      out.push(
        `v.setBigUint64(${render(plus(at, lo))}, BigInt.asUintN(64, ${t}), ${g.le});`,
        `v.setBigUint64(${render(plus(at, hi))}, BigInt.asUintN(64, ${t} >> 64n), ${g.le});`,
      );
      return;
    }
    case 'float':
      out.push(`if (typeof ${x} !== 'number') ${fail(path, `f${layout.size * 8} (a number)`, x)};`);
      out.push(`v.setFloat${layout.size * 8}(${render(at)}, ${x}, ${g.le});`);
      return;
    case 'bool':
      out.push(`if (typeof ${x} !== 'boolean') ${fail(path, 'bool (true or false)', x)};`);
      out.push(`v.setUint8(${render(at)}, ${x} ? 1 : 0);`);
      return;
    case 'bytes':
      out.push(`if (!(${x} instanceof Uint8Array) || ${x}.length !== ${layout.size}) ${fail(path, `a Uint8Array of exactly ${layout.size} bytes`, x)};`);
      if (layout.size <= 16) for (let i = 0; i < layout.size; i++) out.push(`v.setUint8(${render(plus(at, i))}, ${x}[${i}]);`);
      else out.push(`new Uint8Array(v.buffer, v.byteOffset + ${render(at)}, ${layout.size}).set(${x});`);
      return;
    case 'string':
      out.push(
        `if (typeof ${x} !== 'string' || ${g.konst(writeCString)}(v, ${render(at)}, ${layout.size}, ${x}) < 0) ` +
          `${fail(path, `a string of at most ${layout.size - 1} UTF-8 bytes without NUL`, x)};`,
      );
      return;
    case 'chars':
      encodeChars(g, out, layout.size, x, at, path);
      return;
    case 'enum':
      encodeEnum(g, out, layout, x, at, path);
      return;
    case 'array':
      encodeArray(g, out, layout.elem, layout.length, x, at, path);
      return;
    case 'struct':
      out.push(`if (typeof ${x} !== 'object' || ${x} === null) ${fail(path, 'an object', x)};`);
      encodeStructBody(g, out, layout, x, at, path);
      return;
    case 'union':
      out.push(`if (typeof ${x} !== 'object' || ${x} === null) ${fail(path, 'an object', x)};`);
      encodeUnionBody(g, out, layout, x, at, path);
      return;
    case 'codec': {
      const c = g.konst(layout.codec);
      const e = g.tmp('e');
      out.push(`try { ${c}.encode(v, ${render(at)}, ${x}, ''); } catch (${e}) { ${g.konst(rethrow)}(${e}, p, ${renderPath(path)}); }`);
      return;
    }
  }
}

function rethrow(e: unknown, name: string | undefined, path: string): never {
  if (e instanceof CodecValueError) throw new CodecValueError((name ?? 'value') + path + e.path, e.expected, e.actual);
  throw e;
}

/**
 * A BTF char array takes a string or N numbers. Each number may be given as a
 * signed or an unsigned byte (-128..255): a char is a byte, and callers hold
 * bytes in Uint8Array/Buffer as often as in Int8Array.
 */
function encodeChars(g: Gen, out: string[], size: number, x: string, at: At, path: Path): void {
  const expected = `a string of at most ${size - 1} UTF-8 bytes without NUL, or an array of ${size} bytes`;
  const i = g.tmp('i');
  const e = g.tmp('c');
  out.push(
    `if (typeof ${x} === 'string') { if (${g.konst(writeCString)}(v, ${render(at)}, ${size}, ${x}) < 0) ${fail(path, expected, x)}; }`,
    `else if (${x} !== null && typeof ${x} === 'object' && ${x}.length === ${size}) {`,
    `for (let ${i} = 0; ${i} < ${size}; ${i}++) { const ${e} = ${x}[${i}];`,
    `if (typeof ${e} !== 'number' || (${e} | 0) !== ${e} || ${e} < -128 || ${e} > 255) ${fail([...path, { index: i }], 'a byte (-128..255)', e)};`,
    `v.setUint8(${render(at)} + ${i}, ${e} & 255); } }`,
    `else ${fail(path, expected, x)};`,
  );
}

function encodeArray(g: Gen, out: string[], elem: Layout, length: number, x: string, at: At, path: Path): void {
  const stride = layoutSize(elem);
  out.push(
    `if (${x} === null || typeof ${x} !== 'object' || ${x}.length !== ${length}) ${fail(path, `an array of ${length}`, x)};`,
  );
  const i = g.tmp('i');
  const b = g.tmp('b');
  const e = g.tmp('e');
  const body: string[] = [];
  encode(g, body, elem, e, { base: b, add: 0 }, [...path, { index: i }]);
  out.push(`for (let ${i} = 0; ${i} < ${length}; ${i}++) {`, `const ${b} = ${render(at)} + ${i} * ${stride};`, `const ${e} = ${x}[${i}];`, ...body, '}');
}

/** Byte ranges a struct's fields write themselves; everything else is zeroed first. */
function coveredRanges(s: StructLayout): [number, number][] {
  const ranges: [number, number][] = [];
  for (const f of s.fields) if ('layout' in f) ranges.push([f.offset, f.offset + layoutSize(f.layout)]);
  return ranges.sort((a, b) => a[0] - b[0]);
}

function encodeStructBody(g: Gen, out: string[], s: StructLayout, x: string, at: At, path: Path): void {
  let pos = 0;
  for (const [start, end] of coveredRanges(s)) {
    if (start > pos) zero(g, out, plus(at, pos), start - pos);
    pos = Math.max(pos, end);
  }
  if (s.size > pos) zero(g, out, plus(at, pos), s.size - pos);
  for (const f of s.fields) {
    if (!('layout' in f)) {
      encodeBitfield(g, out, f, x, at, path);
    } else if (isAnonymousComposite(f.name, f.layout)) {
      if (f.layout.kind === 'struct') encodeStructBody(g, out, f.layout, x, plus(at, f.offset), path);
      else encodeUnionBody(g, out, f.layout as UnionLayout, x, plus(at, f.offset), path);
    } else {
      const t = g.tmp('f');
      out.push(`const ${t} = ${x}[${JSON.stringify(f.name)}];`);
      encode(g, out, f.layout, t, plus(at, f.offset), field(path, f.name));
    }
  }
}

/** A union encodes the first member present (not `undefined`) in the object; the rest of its bytes are zero. */
function encodeUnionBody(g: Gen, out: string[], u: UnionLayout, x: string, at: At, path: Path): void {
  zero(g, out, at, u.size);
  const names = u.members.flatMap((m) => fieldKeys(m.name, m.layout));
  let first = true;
  for (const m of u.members) {
    const keys = fieldKeys(m.name, m.layout);
    if (keys.length === 0) continue;
    const cond = keys.map((k) => (k === '__proto__' ? `Object.hasOwn(${x}, "__proto__")` : `${x}[${JSON.stringify(k)}] !== undefined`)).join(' || ');
    out.push(`${first ? '' : 'else '}if (${cond}) {`);
    first = false;
    if (isAnonymousComposite(m.name, m.layout)) {
      if (m.layout.kind === 'struct') encodeStructBody(g, out, m.layout, x, at, path);
      else encodeUnionBody(g, out, m.layout as UnionLayout, x, at, path);
    } else {
      const t = g.tmp('f');
      out.push(`const ${t} = ${x}[${JSON.stringify(m.name)}];`);
      encode(g, out, m.layout, t, at, field(path, m.name));
    }
    out.push('}');
  }
  if (!first) out.push(`else ${fail(path, `an object with one of the union members ${names.join(', ')}`, x)};`);
}

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
function encodeBitfield(g: Gen, out: string[], f: Extract<FieldLayout, { bits: number }>, x: string, at: At, path: Path): void {
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

function decodeBitfield(g: Gen, out: string[], f: Extract<FieldLayout, { bits: number }>, at: At): string {
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

/** Emit statements into `out` and return an expression for the decoded value. */
function decode(g: Gen, out: string[], layout: Layout, at: At): string {
  switch (layout.kind) {
    case 'int':
      return decodeInt(g, layout.size, layout.signed, at);
    case 'ptr':
      return layout.size === 8 ? decodeInt(g, 8, false, at) : `BigInt(${decodeInt(g, 4, false, at)})`;
    case 'int128': {
      const [lo, hi] = g.le ? [0, 8] : [8, 0];
      const e = `(v.getBigUint64(${render(plus(at, hi))}, ${g.le}) << 64n) | v.getBigUint64(${render(plus(at, lo))}, ${g.le})`;
      return layout.signed ? `BigInt.asIntN(128, ${e})` : `(${e})`;
    }
    case 'float':
      return `v.getFloat${layout.size * 8}(${render(at)}, ${g.le})`;
    case 'bool':
      return `(v.getUint8(${render(at)}) !== 0)`;
    case 'bytes':
      return `${g.konst(copyBytes)}(v, ${render(at)}, ${layout.size})`;
    case 'string':
      return `${g.konst(readCString)}(v, ${render(at)}, ${layout.size})`;
    case 'chars':
      return `${g.konst(readChars)}(v, ${render(at)}, ${layout.size}, ${layout.signed})`;
    case 'enum':
      return decodeEnum(g, out, layout, at);
    case 'array': {
      const stride = layoutSize(layout.elem);
      const a = g.tmp('a');
      const i = g.tmp('i');
      const body: string[] = [];
      const b = g.tmp('b');
      const e = decode(g, body, layout.elem, { base: b, add: 0 });
      out.push(
        `const ${a} = new Array(${layout.length});`,
        `for (let ${i} = 0; ${i} < ${layout.length}; ${i}++) {`,
        `const ${b} = ${render(at)} + ${i} * ${stride};`,
        ...body,
        `${a}[${i}] = ${e};`,
        '}',
      );
      return a;
    }
    case 'struct':
    case 'union':
      return `{ ${decodeEntries(g, out, layout, at).join(', ')} }`;
    case 'codec':
      return `${g.konst(layout.codec)}.decode(v, ${render(at)})`;
  }
}

/**
 * An object-literal key for a field name. `"__proto__": v` in a literal would
 * set the prototype instead of a property (a legal C member name), so that one
 * name is written as a computed key, which defines an own property.
 */
function literalKey(name: string): string {
  return name === '__proto__' ? `[${JSON.stringify(name)}]` : JSON.stringify(name);
}

/** `"name": expr` entries of a struct or union object literal, anonymous members flattened. */
function decodeEntries(g: Gen, out: string[], layout: StructLayout | UnionLayout, at: At): string[] {
  const entries: string[] = [];
  const members = layout.kind === 'struct' ? layout.fields : layout.members.map((m) => ({ ...m, offset: 0 }));
  for (const f of members) {
    if (!('layout' in f)) {
      entries.push(`${literalKey(f.name)}: ${decodeBitfield(g, out, f, at)}`);
    } else if (isAnonymousComposite(f.name, f.layout)) {
      entries.push(...decodeEntries(g, out, f.layout as StructLayout | UnionLayout, plus(at, f.offset)));
    } else if (f.name !== '') {
      const expr = decode(g, out, f.layout, plus(at, f.offset));
      entries.push(`${literalKey(f.name)}: ${expr}`);
    }
  }
  return entries;
}

export interface CompileOptions {
  /** Shown in error messages and `Codec.description`. */
  readonly description: string;
  /** Alignment reported by the codec. */
  readonly align: number;
  /** Byte order; defaults to the host's. */
  readonly littleEndian: boolean;
}

/**
 * Compile a layout into a codec. Generated code is plain JS built from numbers
 * and JSON-quoted names only, so no user string is ever evaluated as code.
 */
export function compileLayout<T = unknown>(layout: Layout, options: CompileOptions): Codec<T> {
  const g = new Gen(options.littleEndian);
  const enc: string[] = [];
  encode(g, enc, layout, 'x', { base: 'o', add: 0 }, []);
  const dec: string[] = [];
  const result = decode(g, dec, layout, { base: 'o', add: 0 });
  const source = [
    '"use strict";',
    `function encode(v, o, x, p) {`,
    ...enc,
    '}',
    'function decode(v, o) {',
    ...dec,
    `return ${result};`,
    '}',
    'return { encode, decode };',
  ].join('\n');
  let fns: { encode: Codec<T>['encode']; decode: Codec<T>['decode'] };
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    fns = new Function(...g.constNames, 'fail', source)(...g.constValues, failEncode);
  } catch (e) {
    throw new Error(`codec compiler produced invalid code for ${options.description}: ${(e as Error).message}\n${source}`);
  }
  return {
    size: layoutSize(layout),
    align: options.align,
    description: options.description,
    encode: fns.encode,
    decode: fns.decode,
  };
}
