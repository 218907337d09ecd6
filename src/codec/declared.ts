/**
 * Type declarations written in TypeScript (declared-types.ts) compiled to codecs.
 *
 * Layout follows C on every 64-bit Linux ABI and on `clang -target bpf`: each
 * field sits at the next multiple of its alignment, a struct is aligned to its
 * most aligned field and its size rounded up to that alignment (tail padding).
 * `packed: true` is `__attribute__((packed))`: no padding at all, alignment 1.
 *
 *   struct { u8 a; u32 b; u16 c; }   offset: a=0, b=4, c=8; size 12, align 4
 *   |a|.|.|.|b b b b|c c|.|.|
 */
import { endianness } from 'node:os';
import { InvalidArgumentError } from '../sys/errors.js';
import type { Codec } from './codec.js';
import { compileLayout } from './codegen.js';
import type { ScalarTypeName, TypeDecl } from './declared-types.js';
import type { FieldLayout, Layout } from './layout.js';
import { arrayTooBig, layoutSize, MAX_ELEMENTS, MAX_LAYOUT_NODES } from './layout.js';

/** Largest declared type, to refuse nonsense sizes before anything is allocated (1 GiB). */
export const MAX_DECLARED_SIZE = 2 ** 30;

const scalars: Record<ScalarTypeName, Layout> = {
  u8: { kind: 'int', size: 1, signed: false },
  u16: { kind: 'int', size: 2, signed: false },
  u32: { kind: 'int', size: 4, signed: false },
  u64: { kind: 'int', size: 8, signed: false },
  i8: { kind: 'int', size: 1, signed: true },
  i16: { kind: 'int', size: 2, signed: true },
  i32: { kind: 'int', size: 4, signed: true },
  i64: { kind: 'int', size: 8, signed: true },
  f32: { kind: 'float', size: 4 },
  f64: { kind: 'float', size: 8 },
  bool: { kind: 'bool' },
};

/** True when `decl` is a ready codec rather than a declaration. */
export function isCodec(decl: unknown): decl is Codec {
  return typeof decl === 'object' && decl !== null && typeof (decl as Codec).encode === 'function' && typeof (decl as Codec).decode === 'function';
}

/** Alignment of a foreign codec: its own `align`, else the largest power of two (≤ 8) dividing its size. */
export function codecAlign(codec: Codec): number {
  if (codec.align !== undefined) return codec.align;
  let a = 8;
  while (a > 1 && codec.size % a !== 0) a >>= 1;
  return a;
}

interface Lowered { readonly layout: Layout; readonly align: number; readonly description: string }

function bad(path: string, message: string): never {
  throw new InvalidArgumentError(`type declaration${path ? ` ${path}` : ''}: ${message}`);
}

function checkCount(path: string, what: string, n: unknown, min: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > MAX_DECLARED_SIZE) {
    bad(path, `${what} must be an integer from ${min} to ${MAX_DECLARED_SIZE}, got ${String(n)}`);
  }
  return n;
}

/** Nodes lowered so far in the current compile (declarations can reuse sub-objects, a DAG). */
let lowered = 0;

function lower(decl: TypeDecl, path: string): Lowered {
  if (++lowered > MAX_LAYOUT_NODES) bad(path, `type has more than ${MAX_LAYOUT_NODES} fields and elements in total`);
  if (typeof decl === 'string') {
    const layout = Object.hasOwn(scalars, decl) ? scalars[decl] : undefined;
    if (!layout) bad(path, `unknown scalar type ${JSON.stringify(decl)} (expected one of ${Object.keys(scalars).join(', ')})`);
    return { layout, align: layoutSize(layout), description: decl };
  }
  if (typeof decl !== 'object' || decl === null) bad(path, `expected a scalar name, { bytes }, { string }, { array, length }, { struct } or a Codec, got ${typeof decl}`);
  if (isCodec(decl)) {
    checkCount(path, 'codec size', decl.size, 0);
    return { layout: { kind: 'codec', codec: decl }, align: codecAlign(decl), description: decl.description };
  }
  if ('bytes' in decl) {
    const size = checkCount(path, 'bytes', decl.bytes, 1);
    return { layout: { kind: 'bytes', size }, align: 1, description: `bytes[${size}]` };
  }
  if ('string' in decl) {
    const size = checkCount(path, 'string size', decl.string, 1);
    return { layout: { kind: 'string', size }, align: 1, description: `string[${size}]` };
  }
  if ('array' in decl) {
    const length = checkCount(path, 'array length', decl.length, 0);
    const elem = lower(decl.array, `${path}[]`);
    if (arrayTooBig(layoutSize(elem.layout), length, MAX_DECLARED_SIZE)) bad(path, `array of ${length} is larger than ${MAX_DECLARED_SIZE} bytes or ${MAX_ELEMENTS} elements`);
    return { layout: { kind: 'array', elem: elem.layout, length }, align: elem.align, description: `${elem.description}[${length}]` };
  }
  if ('struct' in decl) return lowerStruct(decl.struct, decl.packed === true, path);
  bad(path, 'expected a scalar name, { bytes }, { string }, { array, length }, { struct } or a Codec');
}

function lowerStruct(fields: readonly (readonly [string, TypeDecl])[], packed: boolean, path: string): Lowered {
  if (!Array.isArray(fields)) bad(path, 'struct must be an array of [name, type] pairs');
  const out: FieldLayout[] = [];
  const seen = new Set<string>();
  let pos = 0;
  let align = 1;
  const parts: string[] = [];
  for (const entry of fields) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || entry[0] === '') {
      bad(path, `struct fields must be [name, type] pairs with a non-empty name, got ${JSON.stringify(entry)}`);
    }
    const [name, fieldDecl] = entry;
    if (seen.has(name)) bad(path, `duplicate struct field ${JSON.stringify(name)}`);
    seen.add(name);
    const f = lower(fieldDecl, `${path}.${name}`);
    const a = packed ? 1 : f.align;
    pos = Math.ceil(pos / a) * a;
    out.push({ name, offset: pos, layout: f.layout });
    pos += layoutSize(f.layout);
    if (pos > MAX_DECLARED_SIZE) bad(path, `struct is larger than ${MAX_DECLARED_SIZE} bytes`);
    align = Math.max(align, a);
    parts.push(`${name}: ${f.description}`);
  }
  const size = Math.ceil(pos / align) * align;
  let description = `struct { ${parts.join('; ')} }${packed ? ' packed' : ''}`;
  if (description.length > 120) description = `${description.slice(0, 117)}...`;
  return { layout: { kind: 'struct', size, fields: out }, align, description };
}

export interface CompileDeclOptions {
  /** Byte order of the encoded form; defaults to the host's (`os.endianness()`), as the kernel stores map data. */
  readonly littleEndian?: boolean;
}

/** Byte offsets of a declared struct's fields, as C `offsetof` gives them. Throws like `compileTypeDecl`. */
export function structOffsets(decl: TypeDecl): { name: string; offset: number; size: number }[] {
  lowered = 0;
  const { layout } = lower(decl, '');
  if (layout.kind !== 'struct') throw new InvalidArgumentError('type declaration: not a struct');
  return layout.fields.map((f) => ({ name: f.name, offset: 'offset' in f ? f.offset : f.bitOffset >> 3, size: 'layout' in f ? layoutSize(f.layout) : 0 }));
}

/**
 * Compile a type declaration into a codec (a fresh compile on every call; use
 * `codecFor` for a cached one). A `Codec` passed in is returned unchanged.
 *
 * Throws `InvalidArgumentError` for a malformed declaration (unknown scalar,
 * bad size, duplicate field), naming where in the declaration it is.
 */
export function compileTypeDecl<T = unknown>(decl: TypeDecl, options: CompileDeclOptions = {}): Codec<T> {
  if (isCodec(decl)) return decl as Codec<T>;
  lowered = 0;
  const { layout, align, description } = lower(decl, '');
  return compileLayout<T>(layout, { description, align, littleEndian: options.littleEndian ?? endianness() === 'LE' });
}
