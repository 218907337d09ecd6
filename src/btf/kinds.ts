/**
 * Per-kind facts of the BTF wire format: the kind's name and how many bytes
 * follow the 12-byte `struct btf_type` (include/uapi/linux/btf.h):
 *
 *   struct btf_type { u32 name_off; u32 info; u32 size_or_type; }   12 bytes
 *   info: bits 0-15 vlen | bits 24-28 kind | bit 31 kind_flag
 *
 * then a fixed "info" part (`infoSize`) and `vlen` elements of `elemSize`.
 */
import { BtfKind, type BtfKindName } from './types.js';

/** Size of `struct btf_type`. */
export const BTF_TYPE_HEADER_SIZE = 12;

/** Kind number → name; index is the `BTF_KIND_*` number. */
export const KIND_NAMES: readonly BtfKindName[] = [
  'void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile',
  'const', 'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
];

const kindNumbers = new Map<string, number>(KIND_NAMES.map((n, i) => [n, i]));

/** The `BTF_KIND_*` number of a kind name. Throws `RangeError` for unknown names. */
export function kindNumber(kind: BtfKindName): number {
  const n = kindNumbers.get(kind);
  if (n === undefined) throw new RangeError(`unknown BTF kind '${kind}'`);
  return n;
}

/**
 * Bytes after `struct btf_type` that every type of a kind carries (`infoSize`)
 * and per vlen element (`elemSize`), for kinds this library knows
 * (kernel/bpf/btf.c, each kind's `check_meta`). Index is the kind number.
 */
export const KNOWN_LAYOUT: readonly { readonly infoSize: number; readonly elemSize: number }[] = [
  { infoSize: 0, elemSize: 0 }, // UNKN
  { infoSize: 4, elemSize: 0 }, // INT: u32 encoding|offset|bits
  { infoSize: 0, elemSize: 0 }, // PTR
  { infoSize: 12, elemSize: 0 }, // ARRAY: struct btf_array
  { infoSize: 0, elemSize: 12 }, // STRUCT: struct btf_member
  { infoSize: 0, elemSize: 12 }, // UNION
  { infoSize: 0, elemSize: 8 }, // ENUM: struct btf_enum
  { infoSize: 0, elemSize: 0 }, // FWD
  { infoSize: 0, elemSize: 0 }, // TYPEDEF
  { infoSize: 0, elemSize: 0 }, // VOLATILE
  { infoSize: 0, elemSize: 0 }, // CONST
  { infoSize: 0, elemSize: 0 }, // RESTRICT
  { infoSize: 0, elemSize: 0 }, // FUNC
  { infoSize: 0, elemSize: 8 }, // FUNC_PROTO: struct btf_param
  { infoSize: 4, elemSize: 0 }, // VAR: struct btf_var
  { infoSize: 0, elemSize: 12 }, // DATASEC: struct btf_var_secinfo
  { infoSize: 0, elemSize: 0 }, // FLOAT
  { infoSize: 4, elemSize: 0 }, // DECL_TAG: struct btf_decl_tag
  { infoSize: 0, elemSize: 0 }, // TYPE_TAG
  { infoSize: 0, elemSize: 12 }, // ENUM64: struct btf_enum64
];

/** Highest kind number this library decodes. */
export const MAX_KNOWN_KIND = BtfKind.ENUM64;
