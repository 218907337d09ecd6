/**
 * Codecs: typed map keys and values. `codecFor` turns a type declaration into
 * a compiled codec (cached); `compileBtfCodec` does the same for a BTF type;
 * `formatBtfJson` renders values the way `bpftool -j map dump` does.
 */
import type { Codec } from './codec.js';
import { compileTypeDecl } from './declared.js';
import type { ScalarTypeName, TypeDecl } from './declared-types.js';

export type { Codec } from './codec.js';
export type { ScalarTypeName, TypeDecl } from './declared-types.js';
export { compileTypeDecl, codecAlign, isCodec, structOffsets, MAX_DECLARED_SIZE } from './declared.js';
export type { CompileDeclOptions } from './declared.js';
export { compileBtfCodec, btfTypeName } from './btf-codec.js';
export type { CompileBtfOptions } from './btf-codec.js';
export { CodecValueError, describeValue } from './errors.js';
export { formatBtfJson, formatMapEntryJson, hexBytesJson } from './btf-format.js';
export type { FormatMapEntry } from './btf-format.js';

const byName = new Map<ScalarTypeName, Codec>();
const byObject = new WeakMap<object, Codec>();

/**
 * The codec of a type declaration, compiled once: scalar names are cached
 * globally, object declarations per object identity (reuse the declaration
 * object to reuse the compiled codec). A `Codec` is returned as is.
 *
 * Throws `InvalidArgumentError` for a malformed declaration.
 */
export function codecFor<T = unknown>(decl: TypeDecl): Codec<T> {
  if (typeof decl === 'string') {
    let c = byName.get(decl);
    if (!c) byName.set(decl, (c = compileTypeDecl(decl)));
    return c as Codec<T>;
  }
  if (typeof decl === 'object' && decl !== null) {
    let c = byObject.get(decl);
    if (!c) byObject.set(decl, (c = compileTypeDecl(decl)));
    return c as Codec<T>;
  }
  return compileTypeDecl<T>(decl);
}
