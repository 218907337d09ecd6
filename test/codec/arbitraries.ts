/**
 * fast-check arbitraries for declared types and values of those types, shared
 * by the round-trip, clang-layout and BTF-equivalence tests.
 */
import fc from 'fast-check';
import type { TypeDecl } from '../../src/codec/declared-types.js';

export type PlainDecl =
  | 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64' | 'bool'
  | { bytes: number }
  | { string: number }
  | { array: PlainDecl; length: number }
  | { struct: [string, PlainDecl][]; packed?: boolean };

const scalarNames = ['u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'f32', 'f64', 'bool'] as const;

/** Declared types up to a few levels deep, C-compatible field names. */
export function declArb(maxDepth = 3): fc.Arbitrary<PlainDecl> {
  const { decl } = fc.letrec<{ decl: PlainDecl; struct: PlainDecl }>((tie) => ({
    decl: fc.oneof(
      { depthSize: 'small', maxDepth, depthIdentifier: 'decl' },
      { arbitrary: fc.constantFrom(...scalarNames), weight: 6 },
      { arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => ({ bytes: n })), weight: 1 },
      { arbitrary: fc.integer({ min: 1, max: 12 }).map((n) => ({ string: n })), weight: 1 },
      { arbitrary: fc.record({ array: tie('decl'), length: fc.integer({ min: 0, max: 3 }) }), weight: 1 },
      { arbitrary: tie('struct'), weight: 2 },
    ),
    struct: fc
      .record({
        fields: fc.uniqueArray(fc.tuple(fc.stringMatching(/^m_[a-z0-9_]{0,6}$/), tie('decl')), {
          minLength: 1,
          maxLength: 6,
          selector: (f) => f[0],
        }),
        packed: fc.boolean(),
      })
      .map(({ fields, packed }) => (packed ? { struct: fields, packed } : { struct: fields })),
  }));
  return decl;
}

/** A struct declaration at the top (what maps usually hold). */
export function structDeclArb(): fc.Arbitrary<PlainDecl> {
  return declArb(3).filter((d) => typeof d === 'object' && 'struct' in d);
}

export interface ValueOptions {
  /** Strings limited to printable ASCII (what BTF char arrays decode back to strings). */
  readonly printableStrings?: boolean;
  /** Floats without -0, NaN and infinities (for C initializers). */
  readonly finiteFloats?: boolean;
}

const intRange = (bits: number, signed: boolean) => (signed ? { min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 } : { min: 0, max: 2 ** bits - 1 });

/** A value that fits `decl`. */
export function valueArb(decl: PlainDecl, opts: ValueOptions = {}): fc.Arbitrary<unknown> {
  if (typeof decl === 'string') {
    switch (decl) {
      case 'u8': return fc.integer(intRange(8, false));
      case 'u16': return fc.integer(intRange(16, false));
      case 'u32': return fc.integer(intRange(32, false));
      case 'i8': return fc.integer(intRange(8, true));
      case 'i16': return fc.integer(intRange(16, true));
      case 'i32': return fc.integer(intRange(32, true));
      case 'u64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
      case 'i64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
      case 'f32': return fc.float(opts.finiteFloats ? { noNaN: true, noDefaultInfinity: true } : {}).map((f) => (opts.finiteFloats && Object.is(f, -0) ? 0 : f));
      case 'f64': return fc.double(opts.finiteFloats ? { noNaN: true, noDefaultInfinity: true } : {}).map((f) => (opts.finiteFloats && Object.is(f, -0) ? 0 : f));
      case 'bool': return fc.boolean();
    }
  }
  if ('bytes' in decl) return fc.uint8Array({ minLength: decl.bytes, maxLength: decl.bytes });
  if ('string' in decl) {
    const chars = opts.printableStrings
      ? fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: decl.string - 1 })
      : fc.string({ unit: 'grapheme', maxLength: decl.string - 1 });
    return chars.filter((s) => Buffer.byteLength(s) <= decl.string - 1 && !s.includes('\0'));
  }
  if ('array' in decl) return fc.array(valueArb(decl.array, opts), { minLength: decl.length, maxLength: decl.length });
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, d] of decl.struct) rec[name] = valueArb(d, opts);
  return fc.record(rec, { noNullPrototype: true });
}

/** A declared type and a value of it. */
export function declAndValueArb(opts: ValueOptions = {}, arb: fc.Arbitrary<PlainDecl> = declArb()): fc.Arbitrary<[PlainDecl, unknown]> {
  return arb.chain((d) => valueArb(d, opts).map((v) => [d, v] as [PlainDecl, unknown]));
}

export const asDecl = (d: PlainDecl): TypeDecl => d as TypeDecl;
