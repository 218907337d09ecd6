/**
 * The BTF type model: one plain object per BTF type, discriminated by `kind`.
 * This file is the contract between the BTF parser (src/btf), its consumers
 * (object specs, codecs, CO-RE, the C dumper) and the BTF encoder. It holds
 * data only; no parsing here.
 *
 * Type ids are positions in the type section: id 0 is `void`, the first type
 * in the section is id 1. In split BTF (a module on top of vmlinux) ids
 * continue after the base's last id.
 *
 * Reference: Documentation/bpf/btf.rst, include/uapi/linux/btf.h.
 */

/** `BTF_KIND_*` numbers. */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

export type BtfKindName =
  | 'void' | 'int' | 'ptr' | 'array' | 'struct' | 'union' | 'enum' | 'fwd' | 'typedef'
  | 'volatile' | 'const' | 'restrict' | 'func' | 'func_proto' | 'var' | 'datasec'
  | 'float' | 'decl_tag' | 'type_tag' | 'enum64';

/** `BTF_INT_*` encoding bits. */
export const BtfIntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** `BTF_FUNC_*` linkage. */
export const BtfFuncLinkage = { static: 0, global: 1, extern: 2 } as const;
/** `BTF_VAR_*` linkage. */
export const BtfVarLinkage = { static: 0, global_allocated: 1, global_extern: 2 } as const;

interface Base {
  /** Type id within its BTF. */
  readonly id: number;
  /** Name from the string section; `''` when anonymous. */
  readonly name: string;
}

export interface BtfVoid extends Base { readonly kind: 'void' }

export interface BtfInt extends Base {
  readonly kind: 'int';
  /** Size in bytes (1, 2, 4, 8, 16). */
  readonly size: number;
  /** `BtfIntEncoding` bits. */
  readonly encoding: number;
  /** Bit offset of the value within the storage (normally 0). */
  readonly bitOffset: number;
  /** Number of value bits. */
  readonly bits: number;
}

export interface BtfPtr extends Base { readonly kind: 'ptr'; readonly type: number }

export interface BtfArray extends Base {
  readonly kind: 'array';
  readonly elemType: number;
  readonly indexType: number;
  readonly nelems: number;
}

export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Offset from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Bitfield width in bits, 0 when not a bitfield. */
  readonly bitfieldSize: number;
}

export interface BtfComposite extends Base {
  readonly kind: 'struct' | 'union';
  readonly size: number;
  readonly members: readonly BtfMember[];
  /**
   * The wire `kind_flag`: member offsets carry `bitfield_size << 24 | bit_offset`.
   * Set by the parser; the encoder sets it itself when a member is a bitfield
   * and this is absent.
   */
  readonly kindFlag?: boolean;
}

export interface BtfEnumValue { readonly name: string; readonly value: bigint }

export interface BtfEnum extends Base {
  readonly kind: 'enum' | 'enum64';
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue[];
}

export interface BtfFwd extends Base { readonly kind: 'fwd'; readonly fwdKind: 'struct' | 'union' }

/** typedef, volatile, const, restrict and type_tag: a name or qualifier over `type`. */
export interface BtfRef extends Base {
  readonly kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag';
  readonly type: number;
  /** The wire `kind_flag`; on type_tag it means `__attribute__((...))` rather than `btf_type_tag` (Linux 6.12+). */
  readonly kindFlag?: boolean;
}

export interface BtfFunc extends Base {
  readonly kind: 'func';
  /** The FUNC_PROTO. */
  readonly type: number;
  readonly linkage: number;
}

export interface BtfParam { readonly name: string; readonly type: number }

export interface BtfFuncProto extends Base {
  readonly kind: 'func_proto';
  readonly returnType: number;
  /** A trailing `{ name: '', type: 0 }` means variadic. */
  readonly params: readonly BtfParam[];
}

export interface BtfVar extends Base { readonly kind: 'var'; readonly type: number; readonly linkage: number }

export interface BtfVarSecinfo {
  /** The VAR (or FUNC for ksyms) type id. */
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface BtfDatasec extends Base {
  readonly kind: 'datasec';
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}

export interface BtfFloat extends Base { readonly kind: 'float'; readonly size: number }

export interface BtfDeclTag extends Base {
  readonly kind: 'decl_tag';
  readonly type: number;
  /** -1 when the tag applies to the type itself, else the member/param index. */
  readonly componentIdx: number;
  /** The wire `kind_flag`: the tag is a raw `__attribute__((...))` (Linux 6.12+). */
  readonly kindFlag?: boolean;
}

export type BtfType =
  | BtfVoid | BtfInt | BtfPtr | BtfArray | BtfComposite | BtfEnum | BtfFwd | BtfRef
  | BtfFunc | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag;

/**
 * The BTF type class of a kind name. Distributive, so kinds that share a class
 * (`'struct' | 'union'` → `BtfComposite`) resolve too (a plain `Extract` would give `never`).
 */
export type BtfOfKind<K extends BtfType['kind']> = BtfType extends infer T
  ? T extends { readonly kind: infer TK } ? (K extends TK ? T : never) : never
  : never;

/**
 * A parsed BTF blob (object BTF, vmlinux, or split module BTF over a base).
 * Implemented in src/btf/btf.ts. Type lookups are lazy and cached.
 */
export interface BtfSpec {
  /** Byte order the blob was written in. */
  readonly littleEndian: boolean;
  /** Number of types including void (ids 0..typeCount-1 plus base types for split BTF). */
  readonly typeCount: number;
  /** The base BTF for split BTF, else undefined. */
  readonly base: BtfSpec | undefined;
  /** First id owned by this blob (1, or base.typeCount for split BTF). */
  readonly firstTypeId: number;
  /** The type with this id. Throws `RangeError` for ids out of range. */
  typeById(id: number): BtfType;
  /** All types with this name (any kind). */
  typesByName(name: string): readonly BtfType[];
  /** The single type with this name and kind, or undefined. */
  typeByName<K extends BtfType['kind']>(name: string, kind: K): BtfOfKind<K> | undefined;
  /** Follow typedef/const/volatile/restrict/type_tag to the underlying type. */
  resolve(id: number): BtfType;
  /** Byte size of a sized type (int, ptr, array, struct, union, enum, float, datasec, through modifiers). Throws for unsized kinds. */
  sizeof(id: number): number;
  /** String at an offset of the string section. */
  stringAt(offset: number): string;
  /** Raw blob bytes as parsed. */
  readonly raw: Uint8Array;
}
