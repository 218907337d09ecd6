/**
 * The BTF header (include/uapi/linux/btf.h, struct btf_header):
 *
 *   0  u16 magic 0xeB9F   2 u8 version (1)   3 u8 flags
 *   4  u32 hdr_len        (24; 32 when a kind layout section follows)
 *   8  u32 type_off  12 u32 type_len  16 u32 str_off  20 u32 str_len
 *   24 u32 layout_off 28 u32 layout_len            (hdr_len >= 32 only)
 *
 * Section offsets are relative to the end of the header. The magic, read in
 * either byte order, tells the byte order of the whole blob.
 */
import { ParseError } from '../sys/errors.js';

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** Size of the original header; anything longer carries newer fields. */
export const BTF_MIN_HEADER_SIZE = 24;

export interface BtfHeader {
  readonly littleEndian: boolean;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  /** Absolute offsets into the blob (header length already added). */
  readonly typeStart: number;
  readonly typeLen: number;
  readonly strStart: number;
  readonly strLen: number;
  /** Absolute offset of the kind layout section, or 0 when absent. */
  readonly layoutStart: number;
  readonly layoutLen: number;
}

/**
 * Detect the byte order by the magic and read the header.
 * Throws `ParseError` (with the offset of the faulty field) for a wrong magic
 * or version, a header longer than the blob, or sections outside the blob.
 */
export function parseBtfHeader(bytes: Uint8Array, what = 'btf'): BtfHeader {
  if (bytes.length < BTF_MIN_HEADER_SIZE) {
    throw new ParseError(what, 0, `blob of ${bytes.length} bytes is shorter than the ${BTF_MIN_HEADER_SIZE}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) littleEndian = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) littleEndian = false;
  else throw new ParseError(what, 0, `bad magic 0x${view.getUint16(0, true).toString(16)}: expected 0xeb9f in either byte order`);
  const version = view.getUint8(2);
  if (version !== BTF_VERSION) throw new ParseError(what, 2, `unsupported version ${version}: expected ${BTF_VERSION}`);
  const flags = view.getUint8(3);
  const hdrLen = view.getUint32(4, littleEndian);
  if (hdrLen < BTF_MIN_HEADER_SIZE || hdrLen > bytes.length) {
    throw new ParseError(what, 4, `header length ${hdrLen}: expected ${BTF_MIN_HEADER_SIZE}..${bytes.length} (the blob size)`);
  }
  const dataLen = bytes.length - hdrLen;
  const section = (fieldOffset: number, name: string, align: number): [number, number] => {
    const off = view.getUint32(fieldOffset, littleEndian);
    const len = view.getUint32(fieldOffset + 4, littleEndian);
    if (off > dataLen || len > dataLen - off) {
      throw new ParseError(what, fieldOffset, `${name} section [${off}, +${len}) lies outside the ${dataLen} bytes after the header`);
    }
    if (off % align !== 0) throw new ParseError(what, fieldOffset, `${name} section offset ${off} is not ${align}-byte aligned`);
    return [hdrLen + off, len];
  };
  const [typeStart, typeLen] = section(8, 'type', 4);
  const [strStart, strLen] = section(16, 'string', 1);
  if (typeLen % 4 !== 0) throw new ParseError(what, 12, `type section length ${typeLen} is not a multiple of 4`);
  // Overlapping type and string sections would let one byte mean two things (kernel/bpf/btf.c btf_check_sec_info).
  if (typeLen > 0 && strLen > 0 && typeStart < strStart + strLen && strStart < typeStart + typeLen) {
    throw new ParseError(what, 8, 'type and string sections overlap');
  }
  let layoutStart = 0;
  let layoutLen = 0;
  if (hdrLen >= 32) {
    [layoutStart, layoutLen] = section(24, 'kind layout', 4);
    if (layoutLen === 0) layoutStart = 0;
    else if (layoutLen % 4 !== 0) throw new ParseError(what, 28, `kind layout section length ${layoutLen} is not a multiple of 4`);
  }
  return { littleEndian, version, flags, hdrLen, typeStart, typeLen, strStart, strLen, layoutStart, layoutLen };
}
