/**
 * The memory layout a codec is compiled from. Both sources of types, hand
 * declarations (declared.ts) and BTF (btf-codec.ts), are lowered to this one
 * tree, so a struct declared in TypeScript and the same struct described by
 * clang's BTF compile to the same code and encode to the same bytes.
 *
 * Offsets are resolved here (C layout rules live in declared.ts; BTF carries
 * clang's offsets), so the code generator only places values.
 */
import type { Codec } from './codec.js';

export type IntSize = 1 | 2 | 4 | 8;

/** Most array elements a codec handles (a 16 MiB `u8` array). */
export const MAX_ELEMENTS = 2 ** 24;
/** Most elements of zero size (empty structs), whose byte size bounds nothing. */
export const MAX_EMPTY_ELEMENTS = 2 ** 16;

/**
 * Most layout nodes one codec may have. Types are trees expanded from a DAG
 * (BTF, or a declaration reusing sub-objects), so a small malformed input could
 * otherwise expand exponentially; real map types have at most a few thousand.
 */
export const MAX_LAYOUT_NODES = 100_000;

/** True when an array of `length` elements of `elemSize` bytes is too big to compile. */
export function arrayTooBig(elemSize: number, length: number, maxBytes: number): boolean {
  return elemSize * length > maxBytes || length > (elemSize === 0 ? MAX_EMPTY_ELEMENTS : MAX_ELEMENTS);
}

export type Layout =
  /** Integer; 8-byte integers are `bigint` in JS, smaller ones `number`. */
  | { readonly kind: 'int'; readonly size: IntSize; readonly signed: boolean }
  /** `__int128` / `unsigned __int128`, as `bigint`. */
  | { readonly kind: 'int128'; readonly signed: boolean }
  | { readonly kind: 'float'; readonly size: 4 | 8 }
  /** One byte, `false`/`true`; any non-zero byte decodes as `true`. */
  | { readonly kind: 'bool' }
  /** Raw bytes as `Uint8Array`. */
  | { readonly kind: 'bytes'; readonly size: number }
  /** A declared `{ string: N }`: UTF-8, NUL-terminated and NUL-padded, at most N-1 bytes. */
  | { readonly kind: 'string'; readonly size: number }
  /**
   * A BTF `char[N]`: decodes to a string when the bytes before the first NUL are
   * printable ASCII and a NUL exists (bpftool's rule), else to an array of numbers.
   */
  | { readonly kind: 'chars'; readonly size: number; readonly signed: boolean }
  | { readonly kind: 'array'; readonly elem: Layout; readonly length: number }
  | StructLayout
  | UnionLayout
  /** Enumerators decode to their names, unknown values to numbers (`bigint` for 8-byte enums). */
  | EnumLayout
  /** A pointer: an address as `bigint`. */
  | { readonly kind: 'ptr'; readonly size: 4 | 8 }
  /** A codec compiled elsewhere, called as is. */
  | { readonly kind: 'codec'; readonly codec: Codec };

export interface EnumLayout {
  readonly kind: 'enum';
  readonly size: IntSize;
  readonly signed: boolean;
  readonly values: readonly { readonly name: string; readonly value: bigint }[];
}

export interface StructLayout {
  readonly kind: 'struct';
  readonly size: number;
  readonly fields: readonly FieldLayout[];
}

export interface UnionLayout {
  readonly kind: 'union';
  readonly size: number;
  /** Every member starts at offset 0. An anonymous (`name: ''`) struct/union member is flattened. */
  readonly members: readonly { readonly name: string; readonly layout: Layout }[];
}

/** The integer-like types a bitfield can have. */
export type BitfieldBase =
  | { readonly kind: 'int'; readonly size: IntSize; readonly signed: boolean }
  | { readonly kind: 'bool' }
  | EnumLayout;

export type FieldLayout =
  /**
   * A whole-byte field at `offset` bytes from the start of the struct. A field
   * with `name: ''` whose layout is a struct or union is an anonymous member:
   * its own fields appear directly in the parent object, as in C.
   */
  | { readonly name: string; readonly offset: number; readonly layout: Layout }
  /**
   * A bitfield of `bits` bits starting `bitOffset` bits from the start of the
   * struct, numbered as BTF does: from the least significant bit of the first
   * byte on little-endian hosts, from the most significant on big-endian ones.
   */
  | { readonly name: string; readonly bitOffset: number; readonly bits: number; readonly base: BitfieldBase };

/** Byte size of a layout. */
export function layoutSize(layout: Layout): number {
  switch (layout.kind) {
    case 'int':
    case 'float':
    case 'enum':
    case 'ptr':
      return layout.size;
    case 'int128':
      return 16;
    case 'bool':
      return 1;
    case 'bytes':
    case 'string':
    case 'chars':
    case 'struct':
    case 'union':
      return layout.size;
    case 'array':
      return layoutSize(layout.elem) * layout.length;
    case 'codec':
      return layout.codec.size;
  }
}

/** The JS property names a field contributes to its parent object (several for an anonymous member). */
export function fieldKeys(name: string, layout: Layout): string[] {
  if (name !== '') return [name];
  if (layout.kind === 'struct') return layout.fields.flatMap((f) => ('layout' in f ? fieldKeys(f.name, f.layout) : [f.name]));
  if (layout.kind === 'union') return layout.members.flatMap((m) => fieldKeys(m.name, m.layout));
  return [];
}

/** True for a field that is an anonymous struct/union flattened into its parent. */
export function isAnonymousComposite(name: string, layout: Layout): boolean {
  return name === '' && (layout.kind === 'struct' || layout.kind === 'union');
}

/**
 * C alignment of a layout (`_Alignof`), as clang computes it for x86-64 and the
 * BPF target: scalars by size (at most 8; `__int128` 16), arrays by element,
 * structs and unions by their most aligned member. A struct whose members or
 * size are off their natural alignment must have been packed: alignment 1
 * (BTF has no packed flag; libbpf's btf__align_of infers it the same way).
 * `codecAlign` gives the alignment of a nested foreign codec.
 */
export function layoutAlign(layout: Layout, codecAlign: (c: Codec) => number): number {
  switch (layout.kind) {
    case 'int': case 'float': case 'enum': case 'ptr':
      return Math.min(layout.size, 8);
    case 'int128':
      return 16;
    case 'bool': case 'bytes': case 'string': case 'chars':
      return 1;
    case 'array':
      return layoutAlign(layout.elem, codecAlign);
    case 'codec':
      return codecAlign(layout.codec);
    case 'union': {
      let align = 1;
      for (const m of layout.members) align = Math.max(align, layoutAlign(m.layout, codecAlign));
      return layout.size % align === 0 ? align : 1;
    }
    case 'struct': {
      let align = 1;
      for (const f of layout.fields) {
        const a = 'layout' in f ? layoutAlign(f.layout, codecAlign) : f.base.kind === 'bool' ? 1 : Math.min(f.base.size, 8);
        if ('layout' in f && f.offset % a !== 0) return 1;
        align = Math.max(align, a);
      }
      return layout.size % align === 0 ? align : 1;
    }
  }
}
