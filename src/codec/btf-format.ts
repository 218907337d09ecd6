/**
 * Map data rendered as `bpftool -j map dump` renders it for maps with BTF,
 * byte for byte, so scripts written against bpftool's JSON keep working:
 *
 *   {"key":["0x01","0x00","0x00","0x00"],"value":[...],
 *    "formatted":{"key":1,"value":{"comm":"bash","pid":42,"flags":"0x3"}}}
 *
 * The `formatted` rules are bpftool's (tools/bpf/bpftool/btf_dumper.c),
 * checked against bpftool v7.1 in test/codec/btf-format.test.ts:
 *   - integers as JSON numbers, 64-bit ones unrounded (not JS-safe: parse
 *     them with a bigint-aware parser); 128-bit ints as "0x..." strings
 *   - bitfields as "0x..." strings of their raw (unsigned) bits
 *   - _Bool as true/false; pointers as unsigned decimal numbers
 *   - char arrays as strings when printable ASCII up to a NUL, else numbers
 *   - enums as the enumerator name, unknown values as (signed) numbers
 *   - anonymous members under the key "" (so an object may repeat "")
 *   - a datasec as {"<section>":[{"<var>":value},...]}
 *   - floats as numbers (bpftool v7.1 prints "(unsupported-kind" there, which is not JSON)
 *
 * This walks the BTF per call instead of compiling: it is for display, and it
 * must keep bpftool's shape (repeated "" keys) that a JS object cannot hold.
 */
import { endianness } from 'node:os';
import type { BtfSpec, BtfType } from '../btf/types.js';
import { BtfIntEncoding } from '../btf/types.js';
import { InvalidArgumentError } from '../sys/errors.js';
import { arrayTooBig, MAX_ELEMENTS } from './layout.js';

const MAX_SIZE_FORMATTED = 2 ** 30;

const MAX_DEPTH = 64;

/** Most values formatted per call: bounds the walk over malformed (exponentially expanding) BTF. */
const MAX_FORMAT_NODES = 2 ** 23;

class Formatter {
  private nodes = 0;
  /** Composite ids on the current path: a struct containing itself by value is malformed. */
  private readonly open = new Set<number>();
  constructor(readonly btf: BtfSpec, readonly view: DataView, readonly le: boolean) {}

  fail(message: string): never {
    throw new InvalidArgumentError(`format btf value: ${message}`);
  }

  need(at: number, n: number): void {
    if (at + n > this.view.byteLength) this.fail(`type needs ${at + n} bytes, data has ${this.view.byteLength}`);
  }

  type(id: number, at: number, depth: number): string {
    if (depth > MAX_DEPTH) this.fail(`types nest deeper than ${MAX_DEPTH}`);
    if (++this.nodes > MAX_FORMAT_NODES) this.fail(`more than ${MAX_FORMAT_NODES} values in one type`);
    const t = this.btf.typeById(id);
    switch (t.kind) {
      case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag':
        return this.type(t.type, at, depth + 1);
      case 'var':
        return `{${JSON.stringify(t.name)}:${this.type(t.type, at, depth + 1)}}`;
      case 'int': return this.int(t, at);
      case 'ptr':
        this.need(at, 8);
        return this.view.getBigUint64(at, this.le).toString();
      case 'float':
        this.need(at, t.size);
        if (t.size === 4) return jsonNumber(this.view.getFloat32(at, this.le));
        if (t.size === 8) return jsonNumber(this.view.getFloat64(at, this.le));
        return this.fail(`float of ${t.size} bytes`);
      case 'enum': case 'enum64': return this.enumValue(t, at);
      case 'array': return this.array(t, at, depth);
      case 'struct': case 'union': {
        if (this.open.has(t.id)) this.fail(`${t.kind} ${t.name || '(anon)'} contains itself`);
        this.open.add(t.id);
        try {
          return this.composite(t, at, depth);
        } finally {
          this.open.delete(t.id);
        }
      }
      case 'datasec': {
        const vars = t.vars.map((v) => this.type(v.type, at + v.offset, depth + 1));
        return `{${JSON.stringify(t.name)}:[${vars.join(',')}]}`;
      }
      default:
        return this.fail(`type [${id}] of kind ${t.kind} has no value`);
    }
  }

  int(t: Extract<BtfType, { kind: 'int' }>, at: number): string {
    this.need(at, t.size);
    const v = this.view;
    if (t.bitOffset !== 0 || t.bits !== t.size * 8 || t.size > 8) {
      if (t.size === 16 && t.bits === 128 && t.bitOffset === 0) {
        const [lo, hi] = this.le ? [0, 8] : [8, 0];
        return int128Hex(v.getBigUint64(at + hi, this.le), v.getBigUint64(at + lo, this.le));
      }
      return this.bits(at * 8 + t.bitOffset, t.bits);
    }
    if (t.encoding & BtfIntEncoding.BOOL) return v.getUint8(at) !== 0 ? 'true' : 'false';
    if (t.encoding & BtfIntEncoding.CHAR) {
      const c = v.getUint8(at);
      return c >= 0x20 && c <= 0x7e ? JSON.stringify(String.fromCharCode(c)) : `"\\u00${c.toString(16).padStart(2, '0')}"`;
    }
    const signed = (t.encoding & BtfIntEncoding.SIGNED) !== 0;
    switch (t.size) {
      case 1: return String(signed ? v.getInt8(at) : v.getUint8(at));
      case 2: return String(signed ? v.getInt16(at, this.le) : v.getUint16(at, this.le));
      case 4: return String(signed ? v.getInt32(at, this.le) : v.getUint32(at, this.le));
      case 8: return String(signed ? v.getBigInt64(at, this.le) : v.getBigUint64(at, this.le));
      default: return this.bits(at * 8, t.bits);
    }
  }

  /** A bitfield as bpftool prints it: "0x<hex>" of the raw bits (btf_dumper_bitfield). */
  bits(bitOffset: number, bits: number): string {
    if (bits > 128) this.fail(`bitfield of ${bits} bits`);
    this.need(bitOffset >> 3, Math.ceil((bitOffset + bits) / 8) - (bitOffset >> 3));
    let value = 0n;
    for (let j = 0; j < bits; j++) {
      const p = bitOffset + j;
      // Little-endian: bit p is bit (p & 7) of byte p >> 3. Big-endian: numbered from the MSB, value MSB first.
      const bit = this.le ? (this.view.getUint8(p >> 3) >> (p & 7)) & 1 : (this.view.getUint8(p >> 3) >> (7 - (p & 7))) & 1;
      if (bit) value |= this.le ? 1n << BigInt(j) : 1n << BigInt(bits - 1 - j);
    }
    return `"0x${value.toString(16)}"`;
  }

  /**
   * bpftool's btf_dumper_enum/enum64, quirks kept: a 32-bit-or-smaller enum is
   * read as a signed integer of its size and compared with the enumerator as
   * an s32 (so a 1-byte enum holding 200 prints -56, not its name); an enum64
   * is compared unsigned and an unknown value printed signed.
   */
  enumValue(t: Extract<BtfType, { kind: 'enum' | 'enum64' }>, at: number): string {
    if (![1, 2, 4, 8].includes(t.size)) this.fail(`enum of ${t.size} bytes`);
    this.need(at, t.size);
    if (t.kind === 'enum') {
      const raw = readInt(this.view, at, t.size, true, this.le);
      for (const e of t.values) if (BigInt.asIntN(32, e.value) === raw) return JSON.stringify(e.name);
      return raw.toString();
    }
    const raw = readInt(this.view, at, t.size, false, this.le);
    for (const e of t.values) if (BigInt.asUintN(64, e.value) === raw) return JSON.stringify(e.name);
    return BigInt.asIntN(64, raw).toString();
  }

  array(t: Extract<BtfType, { kind: 'array' }>, at: number, depth: number): string {
    if (this.isString(t, at)) {
      let s = '';
      for (let i = 0; this.view.getUint8(at + i) !== 0; i++) s += String.fromCharCode(this.view.getUint8(at + i));
      return JSON.stringify(s);
    }
    const size = this.btf.sizeof(t.elemType);
    this.need(at, size * t.nelems);
    if (arrayTooBig(size, t.nelems, MAX_SIZE_FORMATTED)) this.fail(`array of ${t.nelems} elements (at most ${MAX_ELEMENTS} are formatted)`);
    const out: string[] = [];
    for (let i = 0; i < t.nelems; i++) out.push(this.type(t.elemType, at + i * size, depth + 1));
    return `[${out.join(',')}]`;
  }

  /** bpftool's is_str_array(): `char` (by name or CHAR encoding, modifiers skipped, typedefs not), printable up to a NUL. */
  isString(t: Extract<BtfType, { kind: 'array' }>, at: number): boolean {
    if (t.nelems === 0) return false;
    let e = this.btf.typeById(t.elemType);
    for (let i = 0; i < MAX_DEPTH && (e.kind === 'const' || e.kind === 'volatile' || e.kind === 'restrict' || e.kind === 'type_tag'); i++) e = this.btf.typeById(e.type);
    if (e.kind !== 'int' || e.size !== 1) return false;
    if (!(e.encoding & BtfIntEncoding.CHAR) && e.name !== 'char') return false;
    this.need(at, t.nelems);
    for (let i = 0; i < t.nelems; i++) {
      const c = this.view.getUint8(at + i);
      if (c === 0) return true;
      if (c < 0x20 || c > 0x7e) return false;
    }
    return false;
  }

  composite(t: Extract<BtfType, { kind: 'struct' | 'union' }>, at: number, depth: number): string {
    const out: string[] = [];
    for (const m of t.members) {
      const key = JSON.stringify(m.name);
      const resolved = this.btf.resolve(m.type);
      if (m.bitfieldSize > 0 || m.bitOffset % 8 !== 0) {
        const extra = resolved.kind === 'int' ? resolved.bitOffset : 0;
        const width = m.bitfieldSize > 0 ? m.bitfieldSize : resolved.kind === 'int' ? resolved.bits : 0;
        out.push(`${key}:${this.bits(at * 8 + m.bitOffset + extra, width)}`);
      } else {
        out.push(`${key}:${this.type(m.type, at + m.bitOffset / 8, depth + 1)}`);
      }
    }
    return `{${out.join(',')}}`;
  }
}

function readInt(v: DataView, at: number, size: number, signed: boolean, le: boolean): bigint {
  switch (size) {
    case 1: return BigInt(signed ? v.getInt8(at) : v.getUint8(at));
    case 2: return BigInt(signed ? v.getInt16(at, le) : v.getUint16(at, le));
    case 4: return BigInt(signed ? v.getInt32(at, le) : v.getUint32(at, le));
    default: return signed ? v.getBigInt64(at, le) : v.getBigUint64(at, le);
  }
}

/** bpftool's btf_int128_print: "0x<hi><lo:016>" when the high half is non-zero, else "0x<lo>". */
function int128Hex(hi: bigint, lo: bigint): string {
  return hi === 0n ? `"0x${lo.toString(16)}"` : `"0x${hi.toString(16)}${lo.toString(16).padStart(16, '0')}"`;
}

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : JSON.stringify(String(n));
}

function asView(data: Uint8Array | DataView): DataView {
  return data instanceof DataView ? data : new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The JSON text bpftool prints for `data` typed as BTF type `typeId` (the
 * value under `formatted.key` / `formatted.value` of `bpftool -j map dump`).
 * Reads in the host's byte order unless `littleEndian` says otherwise.
 *
 * Throws `InvalidArgumentError` when `data` is shorter than the type or the
 * type has no value (void, fwd, func); `RangeError` for ids outside `btf`.
 */
export function formatBtfJson(btf: BtfSpec, typeId: number, data: Uint8Array | DataView, littleEndian = endianness() === 'LE'): string {
  return new Formatter(btf, asView(data), littleEndian).type(typeId, 0, 0);
}

/** Bytes as bpftool's JSON hex array: `["0x01","0x00"]`. */
export function hexBytesJson(bytes: Uint8Array): string {
  const out: string[] = [];
  for (const b of bytes) out.push(`"0x${b.toString(16).padStart(2, '0')}"`);
  return `[${out.join(',')}]`;
}

/** One map entry to render: a value, or one value per CPU for per-CPU maps. */
export interface FormatMapEntry {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  /** Per-CPU maps: one value per possible CPU, in CPU order. */
  readonly values?: readonly Uint8Array[];
}

/**
 * One element of `bpftool -j map dump` output for a map with BTF:
 * `{"key":[hex],"value":[hex],"formatted":{"key":...,"value":...}}`, or with
 * `"values":[{"cpu":0,"value":...}]` for per-CPU maps. `formatted.key` is
 * left out when `keyTypeId` is 0 (global data maps), as bpftool does.
 * Without `btf` there is no `formatted` member, as in bpftool.
 *
 * Throws like `formatBtfJson`.
 */
export function formatMapEntryJson(
  entry: FormatMapEntry,
  btf?: { readonly spec: BtfSpec; readonly keyTypeId: number; readonly valueTypeId: number },
  littleEndian = endianness() === 'LE',
): string {
  const parts = [`"key":${hexBytesJson(entry.key)}`];
  const formatted: string[] = [];
  if (btf && btf.keyTypeId !== 0) formatted.push(`"key":${formatBtfJson(btf.spec, btf.keyTypeId, entry.key, littleEndian)}`);
  if (entry.values) {
    parts.push(`"values":[${entry.values.map((v, cpu) => `{"cpu":${cpu},"value":${hexBytesJson(v)}}`).join(',')}]`);
    if (btf && btf.valueTypeId !== 0) {
      const vs = entry.values.map((v, cpu) => `{"cpu":${cpu},"value":${formatBtfJson(btf.spec, btf.valueTypeId, v, littleEndian)}}`);
      formatted.push(`"values":[${vs.join(',')}]`);
    }
  } else if (entry.value) {
    parts.push(`"value":${hexBytesJson(entry.value)}`);
    if (btf && btf.valueTypeId !== 0) formatted.push(`"value":${formatBtfJson(btf.spec, btf.valueTypeId, entry.value, littleEndian)}`);
  }
  if (btf) parts.push(`"formatted":{${formatted.join(',')}}`);
  return `{${parts.join(',')}}`;
}
