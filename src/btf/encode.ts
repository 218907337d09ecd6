/**
 * BTF encoder: `BtfType` objects → a raw BTF blob the kernel accepts in
 * BPF_BTF_LOAD (Linux 4.18+; each kind needs the kernel that introduced it:
 * FUNC/FUNC_PROTO 5.0, VAR/DATASEC 5.2, FLOAT 5.13, DECL_TAG 5.16,
 * TYPE_TAG 5.17, ENUM64 6.0).
 *
 * Output is the 24-byte header, the type section, then a deduplicated string
 * section starting with the empty string; host byte order unless asked
 * otherwise. Round trip: `parseBtf(encodeBtf(types))` yields types equal to
 * the input (with ids 1..n, or continuing a base for split BTF).
 */
import { InvalidArgumentError } from '../sys/errors.js';
import { BTF_MAGIC, BTF_VERSION } from './header.js';
import { BTF_TYPE_HEADER_SIZE, KNOWN_LAYOUT, kindNumber } from './kinds.js';
import type { Btf } from './btf.js';
import type { BtfType } from './types.js';

/** A type to encode: its `id` is ignored (ids follow the order given). */
export type BtfTypeInput = BtfType extends infer T ? (T extends { id: number } ? Omit<T, 'id'> & { id?: number } : never) : never;

export interface EncodeBtfOptions {
  /** Byte order of the output; the host's by default (what BPF_BTF_LOAD expects). */
  readonly littleEndian?: boolean;
  /**
   * Encode split BTF over this base: ids of the given types start at
   * `base.typeCount` and string offsets after the base's strings (Linux 5.11+).
   */
  readonly base?: Btf;
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Appends strings once each; offsets are relative to the section start (plus the base's strings). */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private readonly encoder = new TextEncoder();
  constructor(private readonly first: number) {
    this.add('');
  }
  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    if (s.includes('\0')) throw new InvalidArgumentError(`BTF name ${JSON.stringify(s)} contains a NUL character`);
    const bytes = this.encoder.encode(s);
    const off = this.first + this.length;
    this.chunks.push(bytes, new Uint8Array(1));
    this.length += bytes.length + 1;
    this.offsets.set(s, off);
    return off;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) { out.set(c, p); p += c.length; }
    return out;
  }
}

const u32 = (v: number, what: string): number => {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError(`${what} ${v}: expected an integer 0..4294967295`);
  return v;
};

/**
 * Encode types (ids 1..n in the order given, or after `options.base`) as raw BTF.
 * Throws `InvalidArgumentError` for values the wire format cannot hold: more
 * than 65535 members/params/values, a bitfield without `kindFlag` possible,
 * bit offsets beyond 2^24 in a kind_flag struct, enum values out of range,
 * names with NUL, negative or fractional numbers.
 */
export function encodeBtf(types: readonly BtfTypeInput[], options: EncodeBtfOptions = {}): Uint8Array {
  const le = options.littleEndian ?? HOST_LE;
  const base = options.base;
  const strings = new StringTable(base ? base.firstStringOffset + base.stringsLength : 0);
  // Size the type section first so it is written in one buffer.
  let typeLen = 0;
  for (const t of types) {
    const k = KNOWN_LAYOUT[kindNumber(t.kind)]!;
    if (t.kind === 'void') throw new InvalidArgumentError('void (id 0) is implicit and cannot be encoded');
    typeLen += BTF_TYPE_HEADER_SIZE + k.infoSize + vlenOf(t) * k.elemSize;
  }
  const typeBytes = new Uint8Array(typeLen);
  const v = new DataView(typeBytes.buffer);
  let p = 0;
  const w = (value: number): void => { v.setUint32(p, value >>> 0, le); p += 4; };
  const head = (t: BtfTypeInput, vlen: number, kindFlag: boolean, sizeOrType: number): void => {
    w(strings.add(t.name));
    w(((kindFlag ? 1 : 0) << 31) | (kindNumber(t.kind) << 24) | vlen);
    w(u32(sizeOrType, `${t.kind} '${t.name}' size/type`));
  };
  for (const t of types) {
    switch (t.kind) {
      case 'int':
        if (t.bits > 128 || t.bitOffset > 255 || t.encoding > 15) throw new InvalidArgumentError(`int '${t.name}': bits ${t.bits}, offset ${t.bitOffset}, encoding ${t.encoding} out of range`);
        head(t, 0, false, t.size);
        w((t.encoding << 24) | (t.bitOffset << 16) | t.bits);
        break;
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict':
        head(t, 0, false, t.type);
        break;
      case 'type_tag':
        head(t, 0, t.kindFlag === true, t.type);
        break;
      case 'array':
        head(t, 0, false, 0);
        w(u32(t.elemType, 'array element type')); w(u32(t.indexType, 'array index type')); w(u32(t.nelems, 'array length'));
        break;
      case 'struct': case 'union': {
        const needsFlag = t.members.some((m) => m.bitfieldSize !== 0);
        const kindFlag = t.kindFlag ?? needsFlag;
        if (needsFlag && !kindFlag) throw new InvalidArgumentError(`${t.kind} '${t.name}' has bitfields but kindFlag is false`);
        head(t, t.members.length, kindFlag, t.size);
        for (const m of t.members) {
          w(strings.add(m.name));
          w(u32(m.type, `member '${m.name}' type`));
          if (kindFlag) {
            if (m.bitOffset > 0xffffff || m.bitfieldSize > 0xff || m.bitOffset < 0 || m.bitfieldSize < 0) {
              throw new InvalidArgumentError(`member '${m.name}' of '${t.name}': bit offset ${m.bitOffset} / bitfield size ${m.bitfieldSize} exceed 24/8 bits`);
            }
            w((m.bitfieldSize << 24) | m.bitOffset);
          } else {
            w(u32(m.bitOffset, `member '${m.name}' bit offset`));
          }
        }
        break;
      }
      case 'enum':
        head(t, t.values.length, t.signed, t.size);
        for (const e of t.values) {
          if (e.value < -(2n ** 31n) || e.value >= 2n ** 32n) throw new InvalidArgumentError(`enum value ${e.name} = ${e.value} does not fit 32 bits (use enum64)`);
          w(strings.add(e.name));
          w(Number(BigInt.asUintN(32, e.value)));
        }
        break;
      case 'enum64':
        head(t, t.values.length, t.signed, t.size);
        for (const e of t.values) {
          if (e.value < -(2n ** 63n) || e.value >= 2n ** 64n) throw new InvalidArgumentError(`enum64 value ${e.name} = ${e.value} does not fit 64 bits`);
          const u = BigInt.asUintN(64, e.value);
          w(strings.add(e.name));
          w(Number(u & 0xffffffffn));
          w(Number(u >> 32n));
        }
        break;
      case 'fwd':
        head(t, 0, t.fwdKind === 'union', 0);
        break;
      case 'func':
        if (t.linkage > 0xffff || t.linkage < 0) throw new InvalidArgumentError(`func '${t.name}' linkage ${t.linkage}: expected 0..2`);
        head(t, t.linkage, false, t.type);
        break;
      case 'func_proto':
        head(t, t.params.length, false, t.returnType);
        for (const a of t.params) { w(strings.add(a.name)); w(u32(a.type, `param '${a.name}' type`)); }
        break;
      case 'var':
        head(t, 0, false, t.type);
        w(u32(t.linkage, `var '${t.name}' linkage`));
        break;
      case 'datasec':
        head(t, t.vars.length, false, t.size);
        for (const s of t.vars) { w(u32(s.type, 'datasec var type')); w(u32(s.offset, 'datasec var offset')); w(u32(s.size, 'datasec var size')); }
        break;
      case 'float':
        head(t, 0, false, t.size);
        break;
      case 'decl_tag':
        if (!Number.isInteger(t.componentIdx) || t.componentIdx < -1) throw new InvalidArgumentError(`decl_tag '${t.name}' component index ${t.componentIdx}: expected -1 or an index`);
        head(t, 0, t.kindFlag === true, t.type);
        v.setInt32(p, t.componentIdx, le); p += 4;
        break;
      default:
        throw new InvalidArgumentError(`cannot encode kind '${(t as { kind: string }).kind}'`);
    }
  }
  const strBytes = strings.bytes();
  const out = new Uint8Array(24 + typeLen + strBytes.length);
  const hv = new DataView(out.buffer);
  hv.setUint16(0, BTF_MAGIC, le);
  hv.setUint8(2, BTF_VERSION);
  hv.setUint8(3, 0);
  hv.setUint32(4, 24, le);
  hv.setUint32(8, 0, le);
  hv.setUint32(12, typeLen, le);
  hv.setUint32(16, typeLen, le);
  hv.setUint32(20, strBytes.length, le);
  out.set(typeBytes, 24);
  out.set(strBytes, 24 + typeLen);
  return out;
}

function vlenOf(t: BtfTypeInput): number {
  let n = 0;
  switch (t.kind) {
    case 'struct': case 'union': n = t.members.length; break;
    case 'enum': case 'enum64': n = t.values.length; break;
    case 'func_proto': n = t.params.length; break;
    case 'datasec': n = t.vars.length; break;
    default: return 0;
  }
  if (n > 0xffff) throw new InvalidArgumentError(`${t.kind} '${t.name}' has ${n} entries: BTF allows at most 65535`);
  return n;
}

/** Re-encode every own type of a parsed BTF (e.g. object BTF after fix-ups), same byte order unless given. */
export function encodeBtfSpec(spec: Btf, options: { littleEndian?: boolean } = {}): Uint8Array {
  return encodeBtf([...spec.types()], { littleEndian: options.littleEndian ?? spec.littleEndian, base: spec.base });
}

/**
 * Builds BTF one type at a time, handing out ids, for callers that create
 * types (e.g. a map's key/value types):
 *
 *   const b = new BtfBuilder();
 *   const u32 = b.add({ kind: 'int', name: 'u32', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
 *   const blob = b.encode();
 */
export class BtfBuilder {
  private readonly list: BtfTypeInput[] = [];
  constructor(private readonly options: EncodeBtfOptions = {}) {}
  /** Append a type; returns its id. */
  add(type: BtfTypeInput): number {
    this.list.push(type);
    return (this.options.base ? this.options.base.typeCount : 1) + this.list.length - 1;
  }
  /** Types added so far. */
  get types(): readonly BtfTypeInput[] {
    return this.list;
  }
  /** The raw blob. Throws `InvalidArgumentError` as `encodeBtf`. */
  encode(): Uint8Array {
    return encodeBtf(this.list, this.options);
  }
}
