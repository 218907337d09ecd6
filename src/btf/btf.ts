/**
 * `parseBtf`: raw BTF (object `.BTF`, /sys/kernel/btf/vmlinux, split module
 * BTF) → a `BtfSpec`.
 *
 * Parsing is one pass over the type section that records where each type
 * starts (a `Uint32Array`), checking that every record lies inside the
 * section. Types are decoded into objects on first access and cached; the
 * name index is built on the first name lookup. This keeps parsing vmlinux
 * (~150k types) to a few milliseconds while every access stays O(1).
 *
 * Bad input yields a `ParseError` naming the offset: at parse time for the
 * header and record lengths, at decode time for string offsets and kinds.
 */
import { Buffer, isAscii } from 'node:buffer';
import { InvalidArgumentError, ParseError } from '../sys/errors.js';
import { parseBtfHeader, type BtfHeader } from './header.js';
import { BTF_TYPE_HEADER_SIZE, KIND_NAMES, KNOWN_LAYOUT, MAX_KNOWN_KIND } from './kinds.js';
import { BtfKind } from './types.js';
import type {
  BtfEnumValue, BtfMember, BtfOfKind, BtfParam, BtfSpec, BtfType, BtfVarSecinfo,
} from './types.js';

/** Options of `parseBtf`. */
export interface ParseBtfOptions {
  /** The base BTF of split BTF (vmlinux under a module's BTF). Must come from `parseBtf`. */
  readonly base?: BtfSpec;
}

/** Resolution chains longer than this are treated as loops (libbpf uses 32 as well: MAX_RESOLVE_DEPTH). */
const MAX_RESOLVE_DEPTH = 32;

/** Pointer size of the BPF target and every 64-bit kernel. */
const POINTER_SIZE = 8;

const VOID: BtfType = Object.freeze({ id: 0, kind: 'void', name: '' });

/**
 * Parse raw BTF in either byte order.
 *
 * Throws `ParseError` with the offset when the header is bad, a section lies
 * outside the blob, a type record runs past the type section, an unknown kind
 * cannot be skipped (no kind layout section describes it), or the string
 * section is not NUL-terminated. Throws `InvalidArgumentError` when `base` was
 * not made by `parseBtf`. Split BTF (`base`) needs Linux 5.11+ in the kernel,
 * but parses anywhere.
 */
export function parseBtf(bytes: Uint8Array, options: ParseBtfOptions = {}): Btf {
  const base = options.base;
  if (base !== undefined && !(base instanceof Btf)) {
    throw new InvalidArgumentError('parseBtf: options.base must be a BtfSpec returned by parseBtf');
  }
  return new Btf(bytes, base);
}

/** The `BtfSpec` implementation: raw bytes plus an offset index, decoded lazily. */
export class Btf implements BtfSpec {
  readonly raw: Uint8Array;
  readonly littleEndian: boolean;
  readonly base: Btf | undefined;
  readonly firstTypeId: number;
  readonly typeCount: number;
  readonly header: BtfHeader;
  /** Length of this blob's string section (split BTF string offsets continue after the base's). */
  readonly stringsLength: number;
  /** First string offset owned by this blob: 0, or the base's total string length for split BTF. */
  readonly firstStringOffset: number;

  private readonly view: DataView;
  /** Absolute byte offset of each own type, index = id - firstTypeId. */
  private readonly offsets: Uint32Array;
  private readonly cache: (BtfType | undefined)[];
  private names: Map<string, number | number[]> | undefined;
  /** The ParseError that stopped building the name index: every later lookup rethrows it instead of rescanning all types. */
  private namesError: ParseError | undefined;
  private readonly buffer: Buffer;
  /** Lazily decoded ASCII string section; null when it holds non-ASCII bytes. */
  private table: string | null | undefined;

  constructor(bytes: Uint8Array, base: Btf | undefined) {
    const header = parseBtfHeader(bytes);
    this.raw = bytes;
    this.header = header;
    this.littleEndian = header.littleEndian;
    this.base = base;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (base && base.littleEndian !== header.littleEndian) {
      throw new ParseError('btf', 0, 'split BTF and its base have different byte orders');
    }
    this.firstTypeId = base ? base.typeCount : 1;
    this.firstStringOffset = base ? base.firstStringOffset + base.stringsLength : 0;
    this.stringsLength = header.strLen;
    this.checkStrings();
    this.offsets = this.indexTypes(this.kindLayout());
    this.typeCount = this.firstTypeId + this.offsets.length;
    this.cache = new Array<BtfType | undefined>(this.offsets.length);
  }

  /** Number of types this blob itself holds (without void and without base types). */
  get ownTypeCount(): number {
    return this.offsets.length;
  }

  /** The string section must end in NUL so every lookup terminates; non-split BTF must start with "" (kernel/bpf/btf.c btf_parse_str_sec). */
  private checkStrings(): void {
    const { strStart, strLen } = this.header;
    if (strLen === 0) {
      if (!this.base) throw new ParseError('btf', 20, 'empty string section: expected at least the empty string');
      return;
    }
    if (this.raw[strStart + strLen - 1] !== 0) {
      throw new ParseError('btf', strStart + strLen - 1, 'string section does not end with a NUL byte');
    }
    if (!this.base && this.raw[strStart] !== 0) {
      throw new ParseError('btf', strStart, 'string section does not start with the empty string');
    }
  }

  /** Per-kind (infoSize, elemSize) from the kind layout section, for kinds newer than this library. */
  private kindLayout(): { infoSize: number; elemSize: number }[] {
    const { layoutStart, layoutLen } = this.header;
    const layout: { infoSize: number; elemSize: number }[] = [];
    for (let p = layoutStart; p < layoutStart + layoutLen; p += 4) {
      // struct btf_kind_layout { u8 info_sz; u8 elem_sz; u16 flags; }
      layout.push({ infoSize: this.raw[p]!, elemSize: this.raw[p + 1]! });
    }
    return layout;
  }

  /** One pass recording each type's offset; every count is bounded by the bytes left. */
  private indexTypes(layout: { infoSize: number; elemSize: number }[]): Uint32Array {
    const { typeStart, typeLen, littleEndian } = this.header;
    const view = this.view;
    const end = typeStart + typeLen;
    // Every type takes at least 12 bytes: this bounds the index allocation.
    let offsets = new Uint32Array(Math.min(1024, Math.floor(typeLen / BTF_TYPE_HEADER_SIZE)));
    let n = 0;
    let p = typeStart;
    const infoSizes = Uint8Array.from(KNOWN_LAYOUT, (k) => k.infoSize);
    const elemSizes = Uint8Array.from(KNOWN_LAYOUT, (k) => k.elemSize);
    while (p < end) {
      if (end - p < BTF_TYPE_HEADER_SIZE) {
        throw new ParseError('btf', p, `truncated type record: ${end - p} bytes left, expected at least ${BTF_TYPE_HEADER_SIZE}`);
      }
      const info = view.getUint32(p + 4, littleEndian);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      let size: number;
      if (kind >= 1 && kind <= MAX_KNOWN_KIND) {
        size = BTF_TYPE_HEADER_SIZE + infoSizes[kind]! + vlen * elemSizes[kind]!;
      } else if (kind !== 0 && kind < layout.length) {
        // A kind newer than this library, skippable thanks to the kind layout section.
        const k = layout[kind]!;
        size = BTF_TYPE_HEADER_SIZE + k.infoSize + vlen * k.elemSize;
      } else {
        throw new ParseError('btf', p + 4, `unknown kind ${kind} of type ${this.firstTypeId + n}: expected 1..${MAX_KNOWN_KIND}`);
      }
      if (size > end - p) {
        throw new ParseError('btf', p, `type ${this.firstTypeId + n} (${KIND_NAMES[kind] ?? `kind ${kind}`}, vlen ${vlen}) needs ${size} bytes, ${end - p} left in the type section`);
      }
      if (n === offsets.length) {
        const grown = new Uint32Array(Math.max(16, offsets.length * 2));
        grown.set(offsets);
        offsets = grown;
      }
      offsets[n++] = p;
      p += size;
    }
    if (this.firstTypeId + n > 0x7fffffff) throw new ParseError('btf', typeStart, 'too many types');
    return offsets.subarray(0, n);
  }

  /**
   * The string at `offset` of the (split-aware) string section.
   * Throws `ParseError` when the offset lies outside the string sections.
   */
  stringAt(offset: number): string {
    if (offset < this.firstStringOffset) {
      if (this.base) return this.base.stringAt(offset);
    }
    const rel = offset - this.firstStringOffset;
    if (!(rel >= 0 && rel < this.header.strLen)) {
      throw new ParseError('btf', this.header.strStart, `string offset ${offset} outside the string section (${this.firstStringOffset}..${this.firstStringOffset + this.header.strLen})`);
    }
    const table = this.table === undefined ? this.stringTable() : this.table;
    if (table !== null) {
      // ASCII section: byte offsets are character offsets; substring is far cheaper than decoding.
      return table.substring(rel, table.indexOf('\0', rel));
    }
    const start = this.header.strStart + rel;
    // The section ends in NUL (checked at parse), so the search terminates inside it.
    const nul = this.buffer.indexOf(0, start);
    return nul === start ? '' : this.buffer.toString('utf8', start, nul);
  }

  /** The whole string section as one JS string when it is pure ASCII (the usual case), else null. */
  private stringTable(): string | null {
    const { strStart, strLen } = this.header;
    // Native check: a JS loop over vmlinux's ~2.5 MB of names runs cold in a CLI process.
    const ascii = isAscii(this.raw.subarray(strStart, strStart + strLen));
    const table = ascii ? this.buffer.toString('latin1', strStart, strStart + strLen) : null;
    this.table = table;
    return table;
  }

  /** Byte offset of a type's record in `raw` (own types only). Throws `RangeError` otherwise. */
  typeOffset(id: number): number {
    const i = id - this.firstTypeId;
    if (!Number.isInteger(id) || i < 0 || i >= this.offsets.length) throw new RangeError(`type id ${id} is not in this blob (${this.firstTypeId}..${this.typeCount - 1})`);
    return this.offsets[i]!;
  }

  /** The kind number of a type without decoding it. Throws `RangeError` for ids out of range. */
  kindOf(id: number): number {
    if (id === 0) return 0;
    if (id < this.firstTypeId && this.base) return this.base.kindOf(id);
    return (this.view.getUint32(this.typeOffset(id) + 4, this.littleEndian) >>> 24) & 0x1f;
  }

  /**
   * The type with this id, decoded on first use.
   * Throws `RangeError` for ids out of range and `ParseError` when the record
   * holds a bad string offset or a kind this library cannot decode.
   */
  typeById(id: number): BtfType {
    if (id === 0) return VOID;
    const i = id - this.firstTypeId;
    if (i < 0 && this.base && Number.isInteger(id) && id > 0) return this.base.typeById(id);
    if (!Number.isInteger(id) || i < 0 || i >= this.offsets.length) {
      throw new RangeError(`type id ${id} out of range: expected 0..${this.typeCount - 1}`);
    }
    const cached = this.cache[i];
    if (cached !== undefined) return cached;
    const t = this.decode(id, this.offsets[i]!);
    this.cache[i] = t;
    return t;
  }

  /**
   * Decode a type without caching it: for one-pass dumps over every type,
   * where a cache would only keep garbage alive. Throws as `typeById`.
   */
  decodeType(id: number): BtfType {
    const i = id - this.firstTypeId;
    if (id === 0 || (i < 0 && this.base) || this.cache[i] !== undefined) return this.typeById(id);
    if (!Number.isInteger(id) || i < 0 || i >= this.offsets.length) {
      throw new RangeError(`type id ${id} out of range: expected 0..${this.typeCount - 1}`);
    }
    return this.decode(id, this.offsets[i]!);
  }

  /**
   * The type ids a type refers to (members, params, elements, targets, vars),
   * read from the raw record without decoding names: cheap enough to walk
   * every type of vmlinux. Throws `RangeError` for ids out of range.
   */
  references(id: number): number[] {
    if (id === 0) return [];
    if (id < this.firstTypeId && this.base) return this.base.references(id);
    const p = this.typeOffset(id);
    const v = this.view;
    const le = this.littleEndian;
    const info = v.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const q = p + 12;
    switch (kind) {
      case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
      case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.DECL_TAG: case BtfKind.TYPE_TAG:
        return [v.getUint32(p + 8, le)];
      case BtfKind.ARRAY:
        return [v.getUint32(q, le), v.getUint32(q + 4, le)];
      case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.DATASEC: {
        const out = new Array<number>(vlen);
        // struct btf_member: type at +4; struct btf_var_secinfo: type at +0.
        const at = kind === BtfKind.DATASEC ? 0 : 4;
        for (let j = 0; j < vlen; j++) out[j] = v.getUint32(q + j * 12 + at, le);
        return out;
      }
      case BtfKind.FUNC_PROTO: {
        const out = new Array<number>(vlen + 1);
        out[0] = v.getUint32(p + 8, le);
        for (let j = 0; j < vlen; j++) out[j + 1] = v.getUint32(q + j * 8 + 4, le);
        return out;
      }
      default:
        return [];
    }
  }

  /** Every type of this blob, base types excluded, in id order. */
  *types(): IterableIterator<BtfType> {
    for (let id = this.firstTypeId; id < this.typeCount; id++) yield this.typeById(id);
  }

  private decode(id: number, p: number): BtfType {
    const v = this.view;
    const le = this.littleEndian;
    const name = this.stringAt(v.getUint32(p, le));
    const info = v.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const sizeOrType = v.getUint32(p + 8, le);
    const q = p + 12; // after struct btf_type
    switch (kind) {
      case BtfKind.INT: {
        const data = v.getUint32(q, le);
        return { id, kind: 'int', name, size: sizeOrType, encoding: (data >>> 24) & 0x0f, bitOffset: (data >>> 16) & 0xff, bits: data & 0xff };
      }
      case BtfKind.PTR:
        return { id, kind: 'ptr', name, type: sizeOrType };
      case BtfKind.ARRAY:
        return { id, kind: 'array', name, elemType: v.getUint32(q, le), indexType: v.getUint32(q + 4, le), nelems: v.getUint32(q + 8, le) };
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const members: BtfMember[] = new Array(vlen);
        for (let j = 0, m = q; j < vlen; j++, m += 12) {
          const off = v.getUint32(m + 8, le);
          members[j] = {
            name: this.stringAt(v.getUint32(m, le)),
            type: v.getUint32(m + 4, le),
            bitOffset: kindFlag ? off & 0xffffff : off,
            bitfieldSize: kindFlag ? off >>> 24 : 0,
          };
        }
        return { id, kind: kind === BtfKind.STRUCT ? 'struct' : 'union', name, size: sizeOrType, members, kindFlag };
      }
      case BtfKind.ENUM: {
        const values: BtfEnumValue[] = new Array(vlen);
        for (let j = 0, m = q; j < vlen; j++, m += 8) {
          values[j] = { name: this.stringAt(v.getUint32(m, le)), value: BigInt(kindFlag ? v.getInt32(m + 4, le) : v.getUint32(m + 4, le)) };
        }
        return { id, kind: 'enum', name, size: sizeOrType, signed: kindFlag, values };
      }
      case BtfKind.ENUM64: {
        const values: BtfEnumValue[] = new Array(vlen);
        for (let j = 0, m = q; j < vlen; j++, m += 12) {
          const u = (BigInt(v.getUint32(m + 8, le)) << 32n) | BigInt(v.getUint32(m + 4, le));
          values[j] = { name: this.stringAt(v.getUint32(m, le)), value: kindFlag ? BigInt.asIntN(64, u) : u };
        }
        return { id, kind: 'enum64', name, size: sizeOrType, signed: kindFlag, values };
      }
      case BtfKind.FWD:
        return { id, kind: 'fwd', name, fwdKind: kindFlag ? 'union' : 'struct' };
      case BtfKind.TYPEDEF:
        return { id, kind: 'typedef', name, type: sizeOrType };
      case BtfKind.VOLATILE:
        return { id, kind: 'volatile', name, type: sizeOrType };
      case BtfKind.CONST:
        return { id, kind: 'const', name, type: sizeOrType };
      case BtfKind.RESTRICT:
        return { id, kind: 'restrict', name, type: sizeOrType };
      case BtfKind.TYPE_TAG:
        return kindFlag ? { id, kind: 'type_tag', name, type: sizeOrType, kindFlag } : { id, kind: 'type_tag', name, type: sizeOrType };
      case BtfKind.FUNC:
        return { id, kind: 'func', name, type: sizeOrType, linkage: vlen };
      case BtfKind.FUNC_PROTO: {
        const params: BtfParam[] = new Array(vlen);
        for (let j = 0, m = q; j < vlen; j++, m += 8) {
          params[j] = { name: this.stringAt(v.getUint32(m, le)), type: v.getUint32(m + 4, le) };
        }
        return { id, kind: 'func_proto', name, returnType: sizeOrType, params };
      }
      case BtfKind.VAR:
        return { id, kind: 'var', name, type: sizeOrType, linkage: v.getUint32(q, le) };
      case BtfKind.DATASEC: {
        const vars: BtfVarSecinfo[] = new Array(vlen);
        for (let j = 0, m = q; j < vlen; j++, m += 12) {
          vars[j] = { type: v.getUint32(m, le), offset: v.getUint32(m + 4, le), size: v.getUint32(m + 8, le) };
        }
        return { id, kind: 'datasec', name, size: sizeOrType, vars };
      }
      case BtfKind.FLOAT:
        return { id, kind: 'float', name, size: sizeOrType };
      case BtfKind.DECL_TAG: {
        const componentIdx = v.getInt32(q, le);
        return kindFlag
          ? { id, kind: 'decl_tag', name, type: sizeOrType, componentIdx, kindFlag }
          : { id, kind: 'decl_tag', name, type: sizeOrType, componentIdx };
      }
      default:
        throw new ParseError('btf', p + 4, `type ${id} has kind ${kind}, which this library cannot decode (known: 1..${MAX_KNOWN_KIND})`);
    }
  }

  private nameIndex(): Map<string, number | number[]> {
    if (this.names) return this.names;
    if (this.namesError) throw this.namesError;
    const names = new Map<string, number | number[]>();
    const v = this.view;
    const le = this.littleEndian;
    for (let i = 0; i < this.offsets.length; i++) {
      const nameOff = v.getUint32(this.offsets[i]!, le);
      if (nameOff === 0) continue;
      let name: string;
      try {
        name = this.stringAt(nameOff);
      } catch (e) {
        if (e instanceof ParseError) this.namesError = e;
        throw e;
      }
      if (name === '') continue;
      const id = this.firstTypeId + i;
      const prev = names.get(name);
      if (prev === undefined) names.set(name, id);
      else if (typeof prev === 'number') names.set(name, [prev, id]);
      else prev.push(id);
    }
    this.names = names;
    return names;
  }

  /** Ids of every type with this name, base types first. Throws `ParseError` for a bad name offset. */
  idsByName(name: string): number[] {
    const own = this.nameIndex().get(name);
    const ids = this.base ? this.base.idsByName(name) : [];
    if (own === undefined) return ids;
    return typeof own === 'number' ? [...ids, own] : [...ids, ...own];
  }

  /** All types with this name (any kind), base types first. Throws `ParseError` for a bad name offset. */
  typesByName(name: string): readonly BtfType[] {
    return this.idsByName(name).map((id) => this.typeById(id));
  }

  /** The first type with this name and kind, or undefined. Throws `ParseError` for a bad record. */
  typeByName<K extends BtfType['kind']>(name: string, kind: K): BtfOfKind<K> | undefined {
    for (const id of this.idsByName(name)) {
      const t = this.typeById(id);
      if (t.kind === kind) return t as BtfOfKind<K>;
    }
    return undefined;
  }

  /**
   * A type referenced from another: out-of-range ids are corrupt input here
   * (a `ParseError` naming the referencing record), not a caller mistake.
   */
  private referenced(id: number, from: number): BtfType {
    if (id >= this.typeCount) {
      throw new ParseError('btf', from >= this.firstTypeId ? this.typeOffset(from) : 0, `type ${from} refers to type ${id}, beyond the last id ${this.typeCount - 1}`);
    }
    return this.typeById(id);
  }

  /**
   * Follow typedef/const/volatile/restrict/type_tag to the underlying type.
   * Throws `RangeError` for an id out of range, `ParseError` for a chain that
   * loops or points outside the BTF.
   */
  resolve(id: number): BtfType {
    let t = this.typeById(id);
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      switch (t.kind) {
        case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag':
          t = this.referenced(t.type, t.id);
          break;
        default:
          return t;
      }
    }
    throw new ParseError('btf', this.offsetOrZero(id), `type ${id}: modifier chain longer than ${MAX_RESOLVE_DEPTH} (a loop?)`);
  }

  private offsetOrZero(id: number): number {
    return id >= this.firstTypeId && id < this.typeCount ? this.typeOffset(id) : 0;
  }

  /**
   * Byte size of a sized type, through modifiers and arrays.
   * Throws `InvalidArgumentError` for unsized kinds (void, fwd, func,
   * func_proto, var, decl_tag), `RangeError` for ids out of range and
   * `ParseError` for loops or sizes beyond 2^32.
   */
  sizeof(id: number): number {
    let multiplier = 1;
    let t = this.typeById(id);
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      switch (t.kind) {
        case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'float': case 'datasec': {
          const size = multiplier * t.size;
          if (size > 0xffffffff) throw new ParseError('btf', this.offsetOrZero(id), `type ${id} is larger than 4 GiB`);
          return size;
        }
        case 'ptr':
          return multiplier * POINTER_SIZE;
        case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag':
          t = this.referenced(t.type, t.id);
          break;
        case 'array':
          multiplier *= t.nelems;
          if (multiplier > 0xffffffff) throw new ParseError('btf', this.offsetOrZero(id), `type ${id} is larger than 4 GiB`);
          t = this.referenced(t.elemType, t.id);
          break;
        default:
          throw new InvalidArgumentError(`type ${t.id} (${t.kind}${t.name ? ` '${t.name}'` : ''}) has no size`);
      }
    }
    throw new ParseError('btf', this.offsetOrZero(id), `type ${id}: type chain longer than ${MAX_RESOLVE_DEPTH} (a loop?)`);
  }
}
