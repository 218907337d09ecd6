/**
 * Bounds-checked little/big-endian reads over a Uint8Array. Every read names the
 * structure being read so a corrupt input produces a `ParseError` that says what and
 * where, never a RangeError from DataView.
 */
import { ParseError } from '../sys/errors.js';

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, littleEndian: boolean) {
    this.bytes = bytes;
    this.littleEndian = littleEndian;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  /**
   * Throws ParseError unless `[offset, offset + size)` lies inside the input. The error's
   * offset is `offset` when that is inside the input, else the input's end (a corrupt
   * 64-bit field can ask for any offset, even one a double cannot hold); the message
   * names the range asked for.
   */
  check(what: string, offset: number, size: number): void {
    // Fast path first: every read goes through here.
    if (offset >= 0 && size >= 0 && offset + size <= this.bytes.byteLength && Number.isInteger(offset) && Number.isInteger(size)) return;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > this.bytes.byteLength) {
      const length = this.bytes.byteLength;
      const at = Number.isSafeInteger(offset) && offset >= 0 && offset <= length ? offset : length;
      const hex = (n: number) => (Number.isSafeInteger(n) && n >= 0 ? `0x${n.toString(16)}` : Number.isFinite(n) && n >= 0 ? `about 0x${n.toString(16)}` : String(n));
      throw new ParseError(what, at, `${size} bytes needed at offset ${hex(offset)}, but the input has ${length} bytes (0x0..${hex(length)})`);
    }
  }

  u8(what: string, offset: number): number {
    this.check(what, offset, 1);
    return this.view.getUint8(offset);
  }

  u16(what: string, offset: number): number {
    this.check(what, offset, 2);
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(what: string, offset: number): number {
    this.check(what, offset, 4);
    return this.view.getUint32(offset, this.littleEndian);
  }

  i32(what: string, offset: number): number {
    this.check(what, offset, 4);
    return this.view.getInt32(offset, this.littleEndian);
  }

  u64(what: string, offset: number): bigint {
    this.check(what, offset, 8);
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  i64(what: string, offset: number): bigint {
    this.check(what, offset, 8);
    return this.view.getBigInt64(offset, this.littleEndian);
  }

  /**
   * A u64 that must be a file offset or size: throws ParseError at 2^53 and above.
   * Read as two u32 halves: a BigInt per field costs more than the rest of the parse.
   */
  size64(what: string, offset: number): number {
    this.check(what, offset, 8);
    const lo = this.view.getUint32(offset + (this.littleEndian ? 0 : 4), this.littleEndian);
    const hi = this.view.getUint32(offset + (this.littleEndian ? 4 : 0), this.littleEndian);
    if (hi >= 0x200000) throw new ParseError(what, offset, `value ${(BigInt(hi) << 32n) | BigInt(lo)} is too large`);
    return hi * 0x100000000 + lo;
  }

  /** A view (no copy) of `[offset, offset + size)`. */
  slice(what: string, offset: number, size: number): Uint8Array {
    this.check(what, offset, size);
    return this.bytes.subarray(offset, offset + size);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The NUL-terminated string at `offset` of a string table. Throws ParseError when the
 * offset is outside the table or no NUL ends the string inside it.
 */
export function cString(table: Uint8Array, offset: number, what: string | (() => string), tableFileOffset = 0): string {
  const name = () => (typeof what === 'string' ? what : what());
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= table.byteLength) {
    if (offset === 0 && table.byteLength === 0) return '';
    // The offset is outside the table (maybe outside the input): the error points at the table.
    throw new ParseError(name(), tableFileOffset, `string offset ${offset} outside a ${table.byteLength}-byte string table (expected 0..${table.byteLength - 1})`);
  }
  const end = table.indexOf(0, offset);
  if (end < 0) throw new ParseError(name(), tableFileOffset + offset, 'string is not NUL-terminated');
  if (end === offset) return '';
  // Names are almost always short ASCII: one fromCharCode call over the bytes avoids both
  // TextDecoder's per-call cost and building the string a character at a time.
  const bytes = table.subarray(offset, end);
  if (bytes.byteLength > 1024) return decoder.decode(bytes);
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i]! >= 0x80) return decoder.decode(bytes);
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
