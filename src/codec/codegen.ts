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
import type { Layout, StructLayout, UnionLayout } from './layout.js';
import { fieldKeys, isAnonymousComposite, layoutSize } from './layout.js';
import { readChars, readCString, writeCString } from './strings.js';
import type { At, Path } from './codegen-core.js';
import { badSmallInt, decodeEnum, decodeInt, encodeEnum, encodeInt, fail, field, Gen, plus, render, renderPath, toBigInt } from './codegen-core.js';
import { decodeBitfield, encodeBitfield } from './codegen-bitfields.js';

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
