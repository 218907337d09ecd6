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
import { HOST_LE } from '../sys/bpf.js';

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
