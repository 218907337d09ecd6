/**
 * Building blocks of the codec compiler (codegen.ts): the generation state,
 * offsets and field paths as JS source, and integers and enums. Everything
 * here returns or appends JavaScript source text; nothing is evaluated.
 */
import { int64Getter, int64Setter } from './int64.js';
import type { EnumLayout } from './layout.js';

/** Code generation state for one codec. */
export class Gen {
  readonly constNames: string[] = [];
  readonly constValues: unknown[] = [];
  private counter = 0;
  constructor(readonly le: boolean) {}
  konst(value: unknown): string {
    const i = this.constValues.indexOf(value);
    if (i >= 0) return this.constNames[i]!;
    const name = `k${this.constNames.length}`;
    this.constNames.push(name);
    this.constValues.push(value);
    return name;
  }
  tmp(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }
}

/** A byte offset: a JS expression plus a constant, folded when rendered. */
export interface At { readonly base: string; readonly add: number }
export const plus = (at: At, n: number): At => ({ base: at.base, add: at.add + n });
export const render = (at: At): string => (at.add === 0 ? at.base : `${at.base} + ${at.add}`);

/** A field path for error messages: literal parts and loop-index variables. */
export type Path = readonly (string | { readonly index: string })[];
export const renderPath = (path: Path): string => {
  if (path.length === 0) return "''";
  const parts: string[] = [];
  let lit = '';
  for (const p of path) {
    if (typeof p === 'string') lit += p;
    else {
      parts.push(JSON.stringify(lit + '['), p.index);
      lit = ']';
    }
  }
  if (lit !== '') parts.push(JSON.stringify(lit));
  return parts.join(' + ');
};
export const field = (path: Path, name: string): Path => [...path, `.${name}`];

export const intRange = (size: number, signed: boolean): [bigint, bigint] =>
  signed ? [-(1n << BigInt(size * 8 - 1)), (1n << BigInt(size * 8 - 1)) - 1n] : [0n, (1n << BigInt(size * 8)) - 1n];

/** The `expected` text of an integer: `u16 (0..65535)`. */
export function intExpected(size: number, signed: boolean, bits = size * 8): string {
  const [lo, hi] = signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];
  const name = `${signed ? 'i' : 'u'}${bits}`;
  return size >= 8 ? `${name} (${lo}..${hi}) as a bigint or safe integer` : `${name} (${lo}..${hi})`;
}

/** A JS condition that is true when `x` is NOT a valid integer of this size (number form). */
export function badSmallInt(x: string, size: 1 | 2 | 4, signed: boolean): string {
  const exact = signed
    ? size === 4 ? `(${x} | 0)` : `(${x} << ${32 - size * 8} >> ${32 - size * 8})`
    : size === 4 ? `(${x} >>> 0)` : `(${x} & ${size === 1 ? 255 : 65535})`;
  return `typeof ${x} !== 'number' || ${exact} !== ${x}`;
}

export function fail(path: Path, expected: string, x: string): string {
  return `fail(p, ${renderPath(path)}, ${JSON.stringify(expected)}, ${x})`;
}

/** Emit code converting `x` (bigint or safe-integer number) to a checked bigint in `t`. */
export function toBigInt(out: string[], x: string, t: string, bits: number, signed: boolean, path: Path, expected: string): void {
  const [lo, hi] = signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];
  out.push(
    `let ${t} = ${x};`,
    `if (typeof ${t} === 'number' && Number.isSafeInteger(${t})) ${t} = BigInt(${t});`,
    // Comparisons, not BigInt.asUintN(): they allocate nothing.
    `if (typeof ${t} !== 'bigint' || ${t} < ${lo}n || ${t} > ${hi}n) ${fail(path, expected, x)};`,
  );
}

/**
 * A 64-bit integer from a bigint, or from a safe-integer number written as two
 * 32-bit halves (no BigInt allocated on that path).
 */
export function encodeInt64(g: Gen, out: string[], signed: boolean, x: string, at: At, path: Path, expected: string, orig: string): void {
  const [lo, hi] = intRange(8, signed);
  const [loOff, hiOff] = g.le ? [0, 4] : [4, 0];
  const h = g.tmp('h');
  out.push(
    `if (typeof ${x} === 'number') {`,
    `if (!Number.isSafeInteger(${x})${signed ? '' : ` || ${x} < 0`}) ${fail(path, expected, orig)};`,
    `const ${h} = Math.floor(${x} / 4294967296);`,
    `v.setUint32(${render(plus(at, loOff))}, ${x} - ${h} * 4294967296, ${g.le});`,
    `v.set${signed ? 'Int32' : 'Uint32'}(${render(plus(at, hiOff))}, ${h}, ${g.le});`,
    `} else if (typeof ${x} === 'bigint' && ${x} >= ${lo}n && ${x} <= ${hi}n) ${g.konst(int64Setter(signed, g.le))}(v, ${render(at)}, ${x});`,
    `else ${fail(path, expected, orig)};`,
  );
}

export function encodeInt(g: Gen, out: string[], size: 1 | 2 | 4 | 8, signed: boolean, x: string, at: At, path: Path): void {
  encodeIntAs(g, out, size, signed, x, at, path, intExpected(size, signed), x);
}

export function decodeInt(g: Gen, size: 1 | 2 | 4 | 8, signed: boolean, at: At): string {
  if (size === 8) return `${g.konst(int64Getter(signed, g.le))}(v, ${render(at)})`;
  const m = `${signed ? 'Int' : 'Uint'}${size * 8}`;
  return size === 1 ? `v.get${m}(${render(at)})` : `v.get${m}(${render(at)}, ${g.le})`;
}

/** Name → value and value → name tables of an enum, as constants of the generated code. */
export function enumTables(g: Gen, e: EnumLayout): { byName: string; byValue: string; expected: string } {
  const big = e.size === 8;
  const byName = new Map<string, number | bigint>();
  const byValue = new Map<number | bigint, string>();
  for (const { name, value } of e.values) {
    // Store values as the storage reads them back (two's complement for the enum's signedness).
    const stored = e.signed ? BigInt.asIntN(e.size * 8, value) : BigInt.asUintN(e.size * 8, value);
    const v = big ? stored : Number(stored);
    if (!byName.has(name)) byName.set(name, v);
    if (!byValue.has(v)) byValue.set(v, name);
  }
  const names = [...byName.keys()];
  const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ');
  const expected = `an enumerator name (${shown}) or ${intExpected(e.size, e.signed)}`;
  return { byName: g.konst(byName), byValue: g.konst(byValue), expected };
}

export function encodeEnum(g: Gen, out: string[], e: EnumLayout, x: string, at: At, path: Path): void {
  const { byName, expected } = enumTables(g, e);
  const t = g.tmp('n');
  out.push(`let ${t} = ${x};`, `if (typeof ${t} === 'string') { ${t} = ${byName}.get(${t}); if (${t} === undefined) ${fail(path, expected, x)}; }`);
  encodeIntAs(g, out, e.size, e.signed, t, at, path, expected, x);
}

/** encodeInt with a custom `expected` text and the original value in the message. */
export function encodeIntAs(g: Gen, out: string[], size: 1 | 2 | 4 | 8, signed: boolean, t: string, at: At, path: Path, expected: string, orig: string): void {
  const le = String(g.le);
  if (size === 8) {
    encodeInt64(g, out, signed, t, at, path, expected, orig);
    return;
  }
  out.push(`if (${badSmallInt(t, size, signed)}) ${fail(path, expected, orig)};`);
  const m = `${signed ? 'Int' : 'Uint'}${size * 8}`;
  out.push(size === 1 ? `v.set${m}(${render(at)}, ${t});` : `v.set${m}(${render(at)}, ${t}, ${le});`);
}

export function decodeEnum(g: Gen, out: string[], e: EnumLayout, at: At): string {
  const { byValue } = enumTables(g, e);
  const t = g.tmp('r');
  out.push(`const ${t} = ${decodeInt(g, e.size, e.signed, at)};`);
  return `(${byValue}.get(${t}) ?? ${t})`;
}

