/**
 * `.BTF.ext`: per-section function info, line info and CO-RE relocations that
 * the compiler emits next to `.BTF` (tools/lib/bpf/libbpf_internal.h,
 * struct btf_ext_header; include/uapi/linux/bpf.h for the records):
 *
 *   header: u16 magic 0xeB9F | u8 version | u8 flags | u32 hdr_len
 *           u32 func_info_off | u32 func_info_len | u32 line_info_off | u32 line_info_len
 *           [u32 core_relo_off | u32 core_relo_len]          (hdr_len >= 32)
 *   each info block: u32 rec_size, then per ELF section:
 *           u32 sec_name_off | u32 num_info | num_info * rec_size bytes
 *
 *   bpf_func_info  { u32 insn_off; u32 type_id; }
 *   bpf_line_info  { u32 insn_off; u32 file_name_off; u32 line_off; u32 line_col; }
 *   bpf_core_relo  { u32 insn_off; u32 type_id; u32 access_str_off; u32 kind; }
 *
 * Offsets are relative to the end of the header; names are offsets into the
 * string section of the object's `.BTF`. `insn_off` is a byte offset into the
 * ELF section (libbpf divides by 8 before BPF_PROG_LOAD).
 */
import { ParseError } from '../sys/errors.js';
import { BTF_MAGIC } from './header.js';
import type { BtfSpec } from './types.js';

/** `enum bpf_core_relo_kind` (include/uapi/linux/bpf.h). */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

const coreReloKindNames = new Map<number, string>(Object.entries(CoreReloKind).map(([k, v]) => [v, k]));

/** `FIELD_BYTE_OFFSET` for 0 …; `kind <n>` for numbers newer than this library. */
export function coreReloKindName(kind: number): string {
  return coreReloKindNames.get(kind) ?? `kind ${kind}`;
}

export interface BtfFuncInfo {
  /** Byte offset of the function's first instruction within its ELF section. */
  readonly insnOff: number;
  /** The BTF FUNC type id. */
  readonly typeId: number;
}

export interface BtfLineInfo {
  readonly insnOff: number;
  readonly fileName: string;
  /** The source line's text. */
  readonly line: string;
  readonly lineNumber: number;
  readonly column: number;
  /** Raw `file_name_off`, `line_off`, `line_col` for re-encoding. */
  readonly fileNameOff: number;
  readonly lineOff: number;
  readonly lineCol: number;
}

export interface BtfCoreRelo {
  readonly insnOff: number;
  /** The local (object BTF) root type of the access. */
  readonly typeId: number;
  /** The access string, e.g. `"0:1:2"` (field path) or `"0"` (type and enum relocations). */
  readonly accessString: string;
  /** `accessString` split into numbers. */
  readonly access: readonly number[];
  readonly accessStrOff: number;
  /** `CoreReloKind` number. */
  readonly kind: number;
}

/** A parsed `.BTF.ext`: records per ELF section name, in file order. */
export interface BtfExt {
  readonly littleEndian: boolean;
  readonly funcInfoRecordSize: number;
  readonly lineInfoRecordSize: number;
  readonly coreReloRecordSize: number;
  readonly funcInfos: ReadonlyMap<string, readonly BtfFuncInfo[]>;
  readonly lineInfos: ReadonlyMap<string, readonly BtfLineInfo[]>;
  readonly coreRelos: ReadonlyMap<string, readonly BtfCoreRelo[]>;
}

const WHAT = 'btf.ext';

/**
 * Parse `.BTF.ext` in either byte order, resolving names through `btf` (the
 * object's `.BTF`). Throws `ParseError` with the offset for a bad header,
 * blocks outside the section, record sizes below the minimum or not a
 * multiple of 4, record counts beyond the bytes left, bad string offsets or
 * malformed access strings. CO-RE relocations need Linux 5.x-era toolchains;
 * parsing works for any object.
 */
export function parseBtfExt(bytes: Uint8Array, btf: BtfSpec): BtfExt {
  if (bytes.length < 24) throw new ParseError(WHAT, 0, `${bytes.length} bytes is shorter than the 24-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (view.getUint16(0, true) === BTF_MAGIC) le = true;
  else if (view.getUint16(0, false) === BTF_MAGIC) le = false;
  else throw new ParseError(WHAT, 0, `bad magic 0x${view.getUint16(0, true).toString(16)}: expected 0xeb9f`);
  if (view.getUint8(2) !== 1) throw new ParseError(WHAT, 2, `unsupported version ${view.getUint8(2)}: expected 1`);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > bytes.length) throw new ParseError(WHAT, 4, `header length ${hdrLen}: expected 24..${bytes.length}`);

  const str = (off: number, at: number): string => {
    try {
      return btf.stringAt(off);
    } catch (e) {
      if (e instanceof ParseError) throw new ParseError(WHAT, at, `string offset ${off} is not in the BTF string section`);
      throw e;
    }
  };

  const block = <T>(field: number, name: string, minRec: number, read: (p: number) => T): [number, Map<string, T[]>] => {
    const out = new Map<string, T[]>();
    const off = view.getUint32(field, le);
    const len = view.getUint32(field + 4, le);
    if (len === 0) return [0, out];
    const dataLen = bytes.length - hdrLen;
    if (off > dataLen || len > dataLen - off) throw new ParseError(WHAT, field, `${name} block [${off}, +${len}) lies outside the ${dataLen} bytes after the header`);
    const start = hdrLen + off;
    const end = start + len;
    if (len < 4) throw new ParseError(WHAT, start, `${name} block of ${len} bytes has no record size`);
    const recSize = view.getUint32(start, le);
    if (recSize < minRec || recSize % 4 !== 0) throw new ParseError(WHAT, start, `${name} record size ${recSize}: expected a multiple of 4, at least ${minRec}`);
    let p = start + 4;
    while (p < end) {
      if (end - p < 8) throw new ParseError(WHAT, p, `truncated ${name} section header: ${end - p} bytes left`);
      const secName = str(view.getUint32(p, le), p);
      const count = view.getUint32(p + 4, le);
      if (count === 0) throw new ParseError(WHAT, p + 4, `${name} for section '${secName}' has no records`);
      // Bound the count by the bytes left before allocating anything.
      if (count > Math.floor((end - p - 8) / recSize)) {
        throw new ParseError(WHAT, p + 4, `${count} ${name} records of ${recSize} bytes for section '${secName}' exceed the ${end - p - 8} bytes left`);
      }
      p += 8;
      let list = out.get(secName);
      if (!list) out.set(secName, (list = []));
      for (let i = 0; i < count; i++, p += recSize) list.push(read(p));
    }
    return [recSize, out];
  };

  const [funcInfoRecordSize, funcInfos] = block(8, 'func_info', 8, (p) => ({
    insnOff: view.getUint32(p, le),
    typeId: view.getUint32(p + 4, le),
  }));
  const [lineInfoRecordSize, lineInfos] = block(16, 'line_info', 16, (p) => {
    const fileNameOff = view.getUint32(p + 4, le);
    const lineOff = view.getUint32(p + 8, le);
    const lineCol = view.getUint32(p + 12, le);
    // BPF_LINE_INFO_LINE_NUM(line_col) = line_col >> 10; column = line_col & 0x3ff.
    return {
      insnOff: view.getUint32(p, le),
      fileName: str(fileNameOff, p + 4), line: str(lineOff, p + 8),
      lineNumber: lineCol >>> 10, column: lineCol & 0x3ff,
      fileNameOff, lineOff, lineCol,
    };
  });
  let coreReloRecordSize = 0;
  let coreRelos = new Map<string, BtfCoreRelo[]>();
  if (hdrLen >= 32) {
    [coreReloRecordSize, coreRelos] = block(24, 'core_relo', 16, (p) => {
      const accessStrOff = view.getUint32(p + 8, le);
      const accessString = str(accessStrOff, p + 8);
      if (!/^\d+(:\d+)*$/.test(accessString)) {
        throw new ParseError(WHAT, p + 8, `access string '${accessString}': expected numbers separated by ':'`);
      }
      return {
        insnOff: view.getUint32(p, le),
        typeId: view.getUint32(p + 4, le),
        accessString,
        access: accessString.split(':').map(Number),
        accessStrOff,
        kind: view.getUint32(p + 12, le),
      };
    });
  }
  return { littleEndian: le, funcInfoRecordSize, lineInfoRecordSize, coreReloRecordSize, funcInfos, lineInfos, coreRelos };
}
