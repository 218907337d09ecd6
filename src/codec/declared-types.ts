/**
 * Type declarations users write in TypeScript to get typed map keys and values
 * without BTF. Compiled to a `Codec` once (src/codec/declared.ts).
 */
import type { Codec } from './codec.js';

export type ScalarTypeName = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64' | 'bool';

export type TypeDecl =
  | ScalarTypeName
  /** Raw bytes of a fixed length, as `Uint8Array`. */
  | { readonly bytes: number }
  /** A NUL-padded UTF-8 string in a fixed-size char array. */
  | { readonly string: number }
  /** A fixed-length array of another type. */
  | { readonly array: TypeDecl; readonly length: number }
  /** A C struct with natural alignment (as clang lays it out), fields in order. */
  | { readonly struct: readonly (readonly [string, TypeDecl])[]; readonly packed?: boolean }
  /** Any codec, e.g. one compiled from BTF. */
  | Codec;
