/**
 * Setting global variables before load: `static volatile const` knobs in
 * `.rodata` (frozen at load, so the verifier sees them as constants and prunes
 * dead branches) and writable globals in `.data`/`.bss`/`.data.*`.
 *
 * A value may be raw bytes of the variable's exact size, or a JS value typed
 * by the variable's BTF (numbers, bigints, booleans, strings for char arrays,
 * objects for structs) through the BTF codecs of src/codec.
 */
import type { CollectionSpec, VariableSpec } from '../object/spec.js';
import { compileBtfCodec } from '../codec/btf-codec.js';
import { InvalidArgumentError, SizeMismatchError } from '../sys/errors.js';
import { Attr, bpf, bpfError, HOST_LE } from '../sys/bpf.js';
import { BpfCmd } from '../sys/constants.js';
import { u32Bytes, updateElem } from './create-maps.js';

/** A variable's new value: its bytes, or a value its BTF type can encode. */
export type VariableValue = Uint8Array | number | bigint | boolean | string | Record<string, unknown> | unknown[];

function encodeWithoutBtf(v: VariableSpec, value: VariableValue): Uint8Array {
  const out = new Uint8Array(v.size);
  const view = new DataView(out.buffer);
  if (typeof value === 'boolean') value = value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (![1, 2, 4, 8].includes(v.size)) throw new InvalidArgumentError(`variable ${v.name} is ${v.size} bytes: pass a Uint8Array (the object has no BTF to type it)`);
    const n = BigInt.asUintN(v.size * 8, BigInt(value));
    for (let i = 0; i < v.size; i++) view.setUint8(HOST_LE ? i : v.size - 1 - i, Number((n >> BigInt(8 * i)) & 0xffn));
    return out;
  }
  if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    if (bytes.length > v.size) throw new SizeMismatchError(`string for variable ${v.name}`, v.size, bytes.length);
    out.set(bytes);
    return out;
  }
  throw new InvalidArgumentError(`variable ${v.name}: cannot encode ${typeof value} without BTF; pass a Uint8Array of ${v.size} bytes`);
}

/** The bytes of `value` for variable `v`. Throws `SizeMismatchError` / `InvalidArgumentError`. */
export function encodeVariable(spec: CollectionSpec, v: VariableSpec, value: VariableValue): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.byteLength !== v.size) throw new SizeMismatchError(`value for variable ${v.name}`, v.size, value.byteLength);
    return value;
  }
  if (!spec.btf || v.btfTypeId === undefined) return encodeWithoutBtf(v, value);
  const codec = compileBtfCodec(spec.btf, v.btfTypeId);
  if (codec.size !== v.size) return encodeWithoutBtf(v, value);
  const out = new Uint8Array(v.size);
  codec.encode(new DataView(out.buffer), 0, value, v.name);
  return out;
}

/**
 * Initial contents of data maps after applying `constants` (which must live in
 * a read-only section) and `variables` (any data section). Returns only the
 * maps that changed. Throws `InvalidArgumentError` naming unknown variables
 * and the ones that exist.
 */
export function applyVariables(
  spec: CollectionSpec, constants: Readonly<Record<string, VariableValue>> = {}, variables: Readonly<Record<string, VariableValue>> = {},
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const set = (name: string, value: VariableValue, constOnly: boolean) => {
    const v = spec.variables.get(name);
    if (!v || v.linkage === 'extern') {
      const known = [...spec.variables.values()].filter((x) => x.linkage !== 'extern' && (!constOnly || x.map.startsWith('.rodata'))).map((x) => x.name);
      throw new InvalidArgumentError(`${constOnly ? 'constant' : 'variable'} '${name}' is not defined by the object; it has ${known.length ? known.join(', ') : 'none'}`);
    }
    const map = spec.maps.get(v.map);
    if (!map) throw new InvalidArgumentError(`variable '${name}' lives in ${v.map}, which is not a map of the object`);
    if (constOnly && !map.freeze) throw new InvalidArgumentError(`'${name}' is in ${v.map}, not a read-only section: set it through options.variables`);
    let data = out.get(v.map);
    if (!data) {
      data = new Uint8Array(map.valueSize);
      data.set(map.data ?? new Uint8Array(0));
      out.set(v.map, data);
    }
    data.set(encodeVariable(spec, v, value), v.offset);
  };
  for (const [k, val] of Object.entries(constants)) set(k, val, true);
  for (const [k, val] of Object.entries(variables)) set(k, val, false);
  return out;
}

/**
 * A global variable of a loaded collection, read and written through its data
 * map (one-element array; BPF_MAP_LOOKUP_ELEM / UPDATE_ELEM on the whole
 * section, as the kernel has no per-variable access). Values are decoded with
 * the variable's BTF type when the object has one, else returned as bytes.
 */
export class GlobalVariable {
  readonly spec: VariableSpec;
  readonly #collection: CollectionSpec;
  readonly #fd: () => number;
  readonly #valueSize: number;
  constructor(collection: CollectionSpec, spec: VariableSpec, fd: () => number, valueSize: number) {
    this.#collection = collection;
    this.spec = spec;
    this.#fd = fd;
    this.#valueSize = valueSize;
  }

  /** The variable's bytes as the kernel holds them now. Throws `BpfError`. */
  bytes(): Uint8Array {
    return readSection(this.#fd(), this.#valueSize).slice(this.spec.offset, this.spec.offset + this.spec.size);
  }

  /** The decoded value (BTF-typed when possible, else bytes). Throws `BpfError`. */
  get(): unknown {
    const bytes = this.bytes();
    const c = this.#collection;
    if (c.btf && this.spec.btfTypeId !== undefined) {
      const codec = compileBtfCodec(c.btf, this.spec.btfTypeId);
      if (codec.size === this.spec.size) return codec.decode(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
    }
    return bytes;
  }

  /**
   * Write a new value (read-modify-write of the section). Throws `BpfError`
   * EPERM for frozen sections (`.rodata`), `SizeMismatchError` /
   * `InvalidArgumentError` for values that do not fit.
   */
  set(value: VariableValue): void {
    const section = readSection(this.#fd(), this.#valueSize);
    section.set(encodeVariable(this.#collection, this.spec, value), this.spec.offset);
    updateElem(this.#fd(), u32Bytes(0), section, `variable ${this.spec.name}`);
  }
}

function readSection(fd: number, size: number): Uint8Array {
  const key = new Uint8Array(new ArrayBuffer(4));
  const value = new Uint8Array(new ArrayBuffer(size));
  const attr = new Attr(32).u32(0, fd);
  const r = bpf(BpfCmd.MAP_LOOKUP_ELEM, attr.bytes, 8, key, 16, value);
  if (r < 0) throw bpfError(-r, 'map lookup', 'global data section');
  return value;
}
