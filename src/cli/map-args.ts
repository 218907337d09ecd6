/**
 * bpftool's argument grammar, shared by the `map`, `prog` and `btf` commands:
 *
 *   MAP  := { id MAP_ID | pinned FILE | name MAP_NAME }
 *   PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
 *   DATA := { [hex] BYTES }
 *
 * Keywords may be abbreviated to any prefix, as bpftool's is_prefix() allows
 * (`ebpf m s` is `ebpf map show`). Numbers follow C's strtoul(s, &end, 0):
 * `0x1f` is hex, `017` octal, `17` decimal; after `hex`, every token is hex
 * (`ff`, or `0xff`). Each BYTES token is one byte. Unlike bpftool, which
 * truncates `256` to `0` and reads `-1` as `0xff`, a token outside 0..255 is
 * an error here, and so is an empty token.
 */
import { CliUsageError } from './context.js';

/** True when `token` is a non-empty prefix of `keyword` (bpftool's is_prefix). */
export function isPrefix(token: string | undefined, keyword: string): boolean {
  return token !== undefined && token.length > 0 && keyword.startsWith(token);
}

/** The one keyword of `keywords` that `token` abbreviates (first match wins, as in bpftool's ordered checks), or undefined. */
export function matchKeyword<K extends string>(token: string | undefined, keywords: readonly K[]): K | undefined {
  if (token === undefined || token.length === 0) return undefined;
  const exact = keywords.find((k) => k === token);
  return exact ?? keywords.find((k) => k.startsWith(token));
}

/** A cursor over argv, bpftool's NEXT_ARG/GET_ARG/REQ_ARGS as methods. */
export class ArgReader {
  #i = 0;
  constructor(readonly args: readonly string[]) {}

  get remaining(): number { return this.args.length - this.#i; }
  get done(): boolean { return this.#i >= this.args.length; }
  peek(offset = 0): string | undefined { return this.args[this.#i + offset]; }
  /** Consume one token; throws `CliUsageError` naming `what` when none is left. */
  next(what: string): string {
    const t = this.args[this.#i];
    if (t === undefined) throw new CliUsageError(`expected ${what}, got nothing`);
    this.#i++;
    return t;
  }
  /** Consume the next token if it abbreviates `keyword`. */
  accept(keyword: string): boolean {
    if (isPrefix(this.peek(), keyword)) { this.#i++; return true; }
    return false;
  }
  /** Consume `keyword` or throw. */
  expect(keyword: string, context: string): void {
    const t = this.peek();
    if (!isPrefix(t, keyword)) throw new CliUsageError(`${context}: expected '${keyword}', got ${t === undefined ? 'nothing' : `'${t}'`}`);
    this.#i++;
  }
  /** Throw when tokens are left over. */
  end(context: string): void {
    if (!this.done) throw new CliUsageError(`${context}: unexpected argument '${this.peek()}'`);
  }
}

const DEC = /^[+]?[1-9][0-9]*$/;
const HEX_PREFIXED = /^[+]?0[xX][0-9a-fA-F]+$/;
const OCT = /^[+]?0[0-7]*$/;
const HEX_BARE = /^[+]?(?:0[xX])?[0-9a-fA-F]+$/;

/**
 * An unsigned integer as C's strtoul(s, &end, base) reads a whole token
 * (base 0: `0x` hex, leading `0` octal, else decimal; base 16: hex with an
 * optional `0x`). Returns undefined when the token is not entirely a number.
 * Leading whitespace and a '-' sign, which strtoul also takes, are refused.
 */
export function parseCUnsigned(token: string, base: 0 | 16 = 0): bigint | undefined {
  if (base === 16) {
    if (!HEX_BARE.test(token)) return undefined;
    const t = token.replace(/^\+/, '').replace(/^0[xX]/, '');
    return BigInt(`0x${t}`);
  }
  const t = token.replace(/^\+/, '');
  if (HEX_PREFIXED.test(token)) return BigInt(t);
  if (OCT.test(token)) return BigInt(`0o${t.slice(1) || '0'}`);
  if (DEC.test(token)) return BigInt(t);
  return undefined;
}

/** One byte token of DATA. Throws `CliUsageError` saying what was wrong. */
export function parseByte(token: string, hex: boolean, what: string): number {
  const v = parseCUnsigned(token, hex ? 16 : 0);
  if (v === undefined) {
    throw new CliUsageError(`${what}: '${token}' is not a byte (expected ${hex ? 'a hex byte such as ff' : 'a number 0..255: decimal, 0x hex or 0 octal'})`);
  }
  if (v > 255n) throw new CliUsageError(`${what}: '${token}' is ${v}, out of range for one byte (0..255); give one token per byte`);
  return Number(v);
}

/** True when `token` reads as a byte-ish number (so it belongs to DATA rather than being a keyword). */
function looksNumeric(token: string, hex: boolean): boolean {
  return parseCUnsigned(token, hex ? 16 : 0) !== undefined;
}

/**
 * Read `DATA := [hex] BYTES` of exactly `size` bytes for `what` ('key', 'value').
 * Consumes `size` tokens as bpftool does; when more number-like tokens follow
 * (and are not one of `keywords`), the error says how many bytes were given.
 * Throws `CliUsageError`: bad byte, too few or too many bytes (with the expected size).
 */
export function readData(r: ArgReader, size: number, what: string, keywords: readonly string[] = []): Uint8Array {
  const hex = r.accept('hex');
  const out = new Uint8Array(size);
  let n = 0;
  while (n < size && !r.done) {
    const t = r.peek()!;
    if (!looksNumeric(t, hex) && matchKeyword(t, keywords)) break;
    out[n++] = parseByte(r.next('a byte'), hex, what);
  }
  if (n < size) throw new CliUsageError(`${what}: expected ${size} bytes (the map's ${what} size), got ${n}`);
  let extra = 0;
  while (r.peek(extra) !== undefined && looksNumeric(r.peek(extra)!, hex) && !matchKeyword(r.peek(extra), keywords)) extra++;
  if (extra > 0) throw new CliUsageError(`${what}: expected ${size} bytes (the map's ${what} size), got ${size + extra}`);
  return out;
}

/**
 * A u32 argument (`key 4`, `entries 1024`, `id 42`) read with strtoul base 0.
 * Throws `CliUsageError` naming `what` for non-numbers and values >= 2^32.
 */
export function parseU32(token: string, what: string): number {
  const v = parseCUnsigned(token, 0);
  if (v === undefined) throw new CliUsageError(`${what}: '${token}' is not a number`);
  if (v > 0xffffffffn) throw new CliUsageError(`${what}: ${token} does not fit in 32 bits`);
  return Number(v);
}

/** A parsed `MAP` reference. `name` may match several maps. */
export type MapRef =
  | { readonly kind: 'id'; readonly id: number }
  | { readonly kind: 'pinned'; readonly path: string }
  | { readonly kind: 'name'; readonly name: string }
  /** `file PATH`: a map file saved by the emulator (`ebpf map` only; not bpftool grammar). */
  | { readonly kind: 'file'; readonly path: string };

/** A parsed `PROG` reference. */
export type ProgRef = Exclude<MapRef, { kind: 'file' }> | { readonly kind: 'tag'; readonly tag: string };

/** BPF_OBJ_NAME_LEN is 16 with the NUL (include/uapi/linux/bpf.h). */
const OBJ_NAME_MAX = 15;

function readObjectRef(r: ArgReader, what: string, allowTag: boolean, allowFile = false): ProgRef | MapRef {
  const kw = r.peek();
  const choices = allowTag ? ['id', 'pinned', 'tag', 'name'] as const : allowFile ? ['id', 'pinned', 'name', 'file'] as const : ['id', 'pinned', 'name'] as const;
  const k = matchKeyword(kw, choices);
  if (k === undefined) {
    throw new CliUsageError(`expected ${what} as ${choices.map((c) => `'${c} ...'`).join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${kw === undefined ? 'nothing' : `'${kw}'`}`);
  }
  r.next(k);
  const arg = r.next(`${what} ${k} argument`);
  switch (k) {
    case 'id': return { kind: 'id', id: parseU32(arg, `${what} id`) };
    case 'pinned': case 'file':
      if (arg === '') throw new CliUsageError(`${what} ${k}: empty path`);
      return { kind: k, path: arg };
    case 'name':
      if (arg.length === 0 || arg.length > OBJ_NAME_MAX) throw new CliUsageError(`${what} name '${arg}': names are 1..${OBJ_NAME_MAX} characters`);
      return { kind: 'name', name: arg };
    case 'tag': {
      const hex = arg.replace(/:/g, '');
      if (!/^[0-9a-fA-F]{16}$/.test(hex)) throw new CliUsageError(`${what} tag '${arg}': expected 8 bytes of hex such as 3b185187f1855c4c`);
      return { kind: 'tag', tag: hex.toLowerCase() };
    }
  }
}

/**
 * Read `MAP := id N | pinned FILE | name NAME`; with `options.file` also
 * `file PATH` (a saved emulator map). Throws `CliUsageError`.
 */
export function readMapRef(r: ArgReader, options: { readonly file?: boolean } = {}): MapRef {
  return readObjectRef(r, 'MAP', false, options.file ?? false) as MapRef;
}

/** Read `PROG := id N | pinned FILE | tag TAG | name NAME`. Throws `CliUsageError`. */
export function readProgRef(r: ArgReader): ProgRef {
  return readObjectRef(r, 'PROG', true) as ProgRef;
}

/** How a reference reads back on the command line (`id 42`, `pinned /sys/fs/bpf/x`). */
export function describeRef(ref: ProgRef | MapRef): string {
  switch (ref.kind) {
    case 'id': return `id ${ref.id}`;
    case 'pinned': return `pinned ${ref.path}`;
    case 'file': return `file ${ref.path}`;
    case 'name': return `name ${ref.name}`;
    case 'tag': return `tag ${ref.tag}`;
  }
}
