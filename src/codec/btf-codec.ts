/**
 * BTF types compiled to codecs: a map created with BTF (or loaded from an
 * object) gets typed keys and values with no declaration from the user.
 *
 * Mapping (docs/types.md has the full table):
 *   int            number; 8-byte as bigint; 16-byte (__int128) as bigint; _Bool as boolean
 *   char[N]        string when printable ASCII + NUL (bpftool's rule), else number[]
 *   array          array
 *   struct/union   object; anonymous members flattened into the parent (C11 semantics)
 *   enum/enum64    enumerator name; unknown values as the number (bigint for 8 bytes)
 *   bitfield       like its base type; encoded read-modify-write inside its bytes
 *   float/double   number (other float sizes: Uint8Array)
 *   pointer        address as bigint
 *   datasec        object of its variables (global data maps: .data, .bss, .rodata)
 *   typedef/const/volatile/restrict/type_tag: followed
 */
import { endianness } from 'node:os';
import type { BtfSpec, BtfType } from '../btf/types.js';
import { BtfIntEncoding } from '../btf/types.js';
import { EbpfError, InvalidArgumentError } from '../sys/errors.js';
import type { Codec } from './codec.js';
import { compileLayout } from './codegen.js';
import type { BitfieldBase, FieldLayout, IntSize, Layout } from './layout.js';
import { arrayTooBig, layoutAlign, MAX_ELEMENTS, MAX_LAYOUT_NODES } from './layout.js';
import { codecAlign } from './declared.js';
import { layoutSize } from './layout.js';

/** Nesting deeper than this is treated as a loop in malformed BTF. */
const MAX_DEPTH = 64;
/** Largest type compiled (1 GiB), so malformed BTF cannot make us allocate without bound. */
const MAX_SIZE = 2 ** 30;

export interface CompileBtfOptions {
  /** Byte order of the encoded form; defaults to the host's, as the kernel stores map data. */
  readonly littleEndian?: boolean;
}

/** A C-like name of a type for messages and `Codec.description`: `struct flow_key`, `unsigned int`, `char[16]`. */
export function btfTypeName(btf: BtfSpec, id: number, depth = 0): string {
  if (depth > MAX_DEPTH) return '...';
  let t: BtfType;
  try {
    t = btf.typeById(id);
  } catch {
    return `<bad type ${id}>`;
  }
  switch (t.kind) {
    case 'void': return 'void';
    case 'int': case 'float': case 'typedef': return t.name;
    case 'struct': case 'union': return t.name ? `${t.kind} ${t.name}` : `${t.kind} (anon)`;
    case 'enum': case 'enum64': return t.name ? `enum ${t.name}` : 'enum (anon)';
    case 'fwd': return `${t.fwdKind} ${t.name}`;
    case 'ptr': return `${btfTypeName(btf, t.type, depth + 1)} *`;
    case 'array': return `${btfTypeName(btf, t.elemType, depth + 1)}[${t.nelems}]`;
    case 'const': case 'volatile': case 'restrict': return `${t.kind} ${btfTypeName(btf, t.type, depth + 1)}`;
    case 'type_tag': return btfTypeName(btf, t.type, depth + 1);
    case 'datasec': return `section ${t.name}`;
    case 'var': return `var ${t.name}`;
    default: return `${t.kind}${t.name ? ` ${t.name}` : ''}`;
  }
}

class Lowering {
  private nodes = 0;
  /** Struct/union/datasec ids on the current path: a struct containing itself by value is malformed. */
  private readonly open = new Set<number>();
  constructor(readonly btf: BtfSpec, readonly rootName: string) {}

  fail(where: string, message: string): never {
    throw new InvalidArgumentError(`btf codec for ${this.rootName}${where}: ${message}`);
  }

  type(id: number, where: string, depth: number): Layout {
    if (depth > MAX_DEPTH) this.fail(where, `types nest deeper than ${MAX_DEPTH} (a loop in the BTF?)`);
    if (++this.nodes > MAX_LAYOUT_NODES) this.fail(where, `type has more than ${MAX_LAYOUT_NODES} members and elements in total`);
    let t: BtfType;
    try {
      t = this.btf.typeById(id);
    } catch (e) {
      this.fail(where, `type id ${id}: ${(e as Error).message}`);
    }
    switch (t.kind) {
      case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag': case 'var':
        return this.type(t.type, where, depth + 1);
      case 'int': return this.int(t, where);
      case 'ptr': return { kind: 'ptr', size: 8 };
      case 'float':
        if (t.size === 4 || t.size === 8) return { kind: 'float', size: t.size };
        return { kind: 'bytes', size: t.size };
      case 'enum': case 'enum64':
        if (![1, 2, 4, 8].includes(t.size)) this.fail(where, `enum of ${t.size} bytes`);
        return { kind: 'enum', size: t.size as IntSize, signed: t.signed, values: t.values };
      case 'array': return this.array(t.elemType, t.nelems, where, depth);
      case 'struct': case 'union': case 'datasec': {
        if (this.open.has(t.id)) this.fail(where, `${btfTypeName(this.btf, t.id)} contains itself`);
        this.open.add(t.id);
        try {
          return t.kind === 'datasec' ? this.datasec(t, where, depth) : this.composite(t, where, depth);
        } finally {
          this.open.delete(t.id);
        }
      }
      case 'void':
        return this.fail(where, 'void has no value layout (a map without a key or value type uses raw bytes)');
      case 'fwd':
        return this.fail(where, `${t.fwdKind} ${t.name} is only forward-declared in this BTF, so its layout is unknown`);
      case 'func': case 'func_proto':
        return this.fail(where, `${t.kind} ${t.name || '(anon)'} is a function, not a value type`);
      default:
        return this.fail(where, `BTF kind ${t.kind} has no value layout`);
    }
  }

  int(t: Extract<BtfType, { kind: 'int' }>, where: string): Layout {
    if (t.bitOffset !== 0 || t.bits !== t.size * 8) {
      if (t.encoding & BtfIntEncoding.BOOL && t.size === 1 && t.bitOffset === 0) return { kind: 'bool' };
      this.fail(where, `int '${t.name}' with ${t.bits} bits at bit ${t.bitOffset} is only supported as a struct member`);
    }
    if (t.encoding & BtfIntEncoding.BOOL && t.size === 1) return { kind: 'bool' };
    if (t.size === 16) return { kind: 'int128', signed: (t.encoding & BtfIntEncoding.SIGNED) !== 0 };
    if (![1, 2, 4, 8].includes(t.size)) this.fail(where, `int '${t.name}' of ${t.size} bytes`);
    return { kind: 'int', size: t.size as IntSize, signed: (t.encoding & BtfIntEncoding.SIGNED) !== 0 };
  }

  /**
   * bpftool (btf_dumper.c, is_str_array) treats an array as a string when its
   * element, after modifiers but NOT typedefs, is a 1-byte int named `char` or
   * with the CHAR encoding. So `char[16]` is a string, `unsigned char[6]` and
   * `__u8[6]` (MAC addresses, hashes) stay arrays of numbers.
   */
  charElement(elemId: number): { signed: boolean } | undefined {
    let t = this.btf.typeById(elemId);
    for (let i = 0; i < MAX_DEPTH && (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag'); i++) {
      t = this.btf.typeById(t.type);
    }
    if (t.kind !== 'int' || t.size !== 1) return undefined;
    if (!(t.encoding & BtfIntEncoding.CHAR) && t.name !== 'char') return undefined;
    return { signed: (t.encoding & BtfIntEncoding.SIGNED) !== 0 };
  }

  array(elemId: number, length: number, where: string, depth: number): Layout {
    const chars = length > 0 ? this.charElement(elemId) : undefined;
    if (chars && length > MAX_SIZE) this.fail(where, `char array of ${length} is larger than ${MAX_SIZE} bytes`);
    if (chars) return { kind: 'chars', size: length, signed: chars.signed };
    const elem = this.type(elemId, `${where}[]`, depth + 1);
    // The element cap matters for zero-size elements, whose byte size says nothing.
    if (arrayTooBig(layoutSize(elem), length, MAX_SIZE)) this.fail(where, `array of ${length} is larger than ${MAX_SIZE} bytes or ${MAX_ELEMENTS} elements`);
    return { kind: 'array', elem, length };
  }

  /** The base of a bitfield member: an int, bool or enum (through typedefs). */
  bitfieldBase(id: number, where: string): { base: BitfieldBase; extraBitOffset: number; bits?: number } {
    const t = this.btf.resolve(id);
    if (t.kind === 'int') {
      if (t.encoding & BtfIntEncoding.BOOL) return { base: { kind: 'bool' }, extraBitOffset: t.bitOffset };
      if (![1, 2, 4, 8].includes(t.size)) this.fail(where, `bitfield of a ${t.size}-byte int`);
      return { base: { kind: 'int', size: t.size as IntSize, signed: (t.encoding & BtfIntEncoding.SIGNED) !== 0 }, extraBitOffset: t.bitOffset, bits: t.bits };
    }
    if (t.kind === 'enum' || t.kind === 'enum64') {
      if (![1, 2, 4, 8].includes(t.size)) this.fail(where, `bitfield of a ${t.size}-byte enum`);
      return { base: { kind: 'enum', size: t.size as IntSize, signed: t.signed, values: t.values }, extraBitOffset: 0 };
    }
    return this.fail(where, `bitfield of kind ${t.kind}`);
  }

  member(name: string, typeId: number, bitOffset: number, bitfieldSize: number, where: string, depth: number): FieldLayout | undefined {
    const resolved = this.btf.resolve(typeId);
    // Legacy BTF encodes some bitfields in the INT itself (bits/offset inside the int).
    const legacyBits = resolved.kind === 'int' && (resolved.bitOffset !== 0 || resolved.bits !== resolved.size * 8) && !(resolved.encoding & BtfIntEncoding.BOOL);
    if (bitfieldSize > 0 || legacyBits) {
      if (name === '') return undefined; // an unnamed bitfield is padding
      const { base, extraBitOffset, bits } = this.bitfieldBase(typeId, where);
      const width = bitfieldSize > 0 ? bitfieldSize : bits!;
      // C forbids a bitfield wider than its type (a _Bool one is at most 1 bit).
      const maxWidth = base.kind === 'bool' ? 1 : base.size * 8;
      if (width < 1 || width > maxWidth) this.fail(where, `bitfield of ${width} bits in a ${maxWidth}-bit type`);
      return { name, bitOffset: bitOffset + extraBitOffset, bits: width, base };
    }
    if (bitOffset % 8 !== 0) this.fail(where, `member at bit offset ${bitOffset} is not byte-aligned and not a bitfield`);
    const layout = this.type(typeId, where, depth + 1);
    if (name === '' && layout.kind !== 'struct' && layout.kind !== 'union') return undefined;
    return { name, offset: bitOffset / 8, layout };
  }

  composite(t: Extract<BtfType, { kind: 'struct' | 'union' }>, where: string, depth: number): Layout {
    const fields: FieldLayout[] = [];
    for (const m of t.members) {
      const f = this.member(m.name, m.type, m.bitOffset, m.bitfieldSize, `${where}.${m.name || '(anon)'}`, depth);
      if (!f) continue;
      const end = 'layout' in f ? f.offset + layoutSize(f.layout) : Math.ceil((f.bitOffset + f.bits) / 8);
      if (end > t.size) this.fail(`${where}.${m.name || '(anon)'}`, `member ends at byte ${end}, past the ${t.size}-byte ${t.kind}`);
      fields.push(f);
    }
    if (t.kind === 'struct') return { kind: 'struct', size: t.size, fields };
    // A union member that is a bitfield is wrapped in an anonymous struct, so it still flattens to its name.
    const members = fields.map((f) =>
      'layout' in f ? { name: f.name, layout: f.layout } : { name: '', layout: { kind: 'struct', size: t.size, fields: [f] } as Layout },
    );
    return { kind: 'union', size: t.size, members };
  }

  datasec(t: Extract<BtfType, { kind: 'datasec' }>, where: string, depth: number): Layout {
    const fields: FieldLayout[] = [];
    for (const sv of t.vars) {
      const v = this.btf.typeById(sv.type);
      const name = v.name;
      const layout = this.type(sv.type, `${where}.${name}`, depth + 1);
      if (sv.offset + layoutSize(layout) > t.size) this.fail(`${where}.${name}`, `variable ends past the ${t.size}-byte section`);
      fields.push({ name, offset: sv.offset, layout });
    }
    return { kind: 'struct', size: t.size, fields };
  }
}

const cache = new WeakMap<BtfSpec, Map<string, Codec>>();

/**
 * Compile the BTF type `typeId` of `btf` into a codec. Compiled once per
 * (btf, id, byte order) and cached for the life of the `BtfSpec`.
 *
 * Throws `InvalidArgumentError` naming the member path when the type (or a
 * member) has no value layout: void, a forward declaration, a function, an
 * int of unsupported size, a member past the end of its struct, or loops in
 * malformed BTF. Needs no kernel support (pure).
 */
export function compileBtfCodec<T = unknown>(btf: BtfSpec, typeId: number, options: CompileBtfOptions = {}): Codec<T> {
  const littleEndian = options.littleEndian ?? endianness() === 'LE';
  const key = `${typeId}:${littleEndian ? 'le' : 'be'}`;
  let perBtf = cache.get(btf);
  if (!perBtf) cache.set(btf, (perBtf = new Map()));
  const hit = perBtf.get(key);
  if (hit) return hit as Codec<T>;
  const name = btfTypeName(btf, typeId);
  let layout: Layout;
  let align: number;
  try {
    layout = new Lowering(btf, `[${typeId}] ${name}`).type(typeId, '', 0);
    align = layoutAlign(layout, codecAlign);
  } catch (e) {
    if (e instanceof EbpfError) throw e;
    // RangeError and friends from malformed BTF (ids out of range, resolve loops).
    throw new InvalidArgumentError(`btf codec for [${typeId}] ${name}: ${(e as Error).message}`);
  }
  const codec = compileLayout<T>(layout, { description: name, align, littleEndian });
  perBtf.set(key, codec);
  return codec;
}
