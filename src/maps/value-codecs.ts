/**
 * Codecs the map layer builds around user codecs: raw bytes (the default when
 * no type is declared) and the per-CPU wrapper that lays one value per possible
 * CPU at an 8-byte-aligned stride (kernel/bpf/syscall.c: bpf_map_value_size()
 * uses round_up(value_size, 8) * num_possible_cpus()).
 */
import type { Codec } from '../codec/codec.js';
import { InvalidArgumentError } from '../sys/errors.js';

/** Up to this many bytes, a plain loop beats the `set`/`slice` builtins' fixed cost. */
const SMALL = 16;

/**
 * Raw bytes of exactly `size` bytes; decode returns a copy the caller owns.
 *
 * Hot path: the map layer passes the same scratch DataViews on every call, so
 * the byte view over the last DataView is cached instead of made per call, and
 * the copy is a small on-heap `Uint8Array` rather than an `ArrayBuffer.slice`,
 * whose fresh off-heap backing store (and the GC work it causes) cost a raw
 * lookup several microseconds (bench/maps, docs/performance.md "Maps").
 */
export function rawCodec(size: number): Codec<Uint8Array> {
  let encodeView: DataView | undefined;
  let encodeBytes: Uint8Array = new Uint8Array(0);
  let decodeView: DataView | undefined;
  let decodeBytes: Uint8Array = new Uint8Array(0);
  return {
    size,
    description: `${size}-byte buffer`,
    encode(view, offset, value) {
      if (!(value instanceof Uint8Array)) {
        throw new InvalidArgumentError(`expected a Uint8Array of ${size} bytes, got ${describe(value)}`);
      }
      if (value.byteLength !== size) {
        throw new InvalidArgumentError(`expected ${size} bytes, got ${value.byteLength}`);
      }
      if (view !== encodeView) {
        encodeBytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        encodeView = view;
      }
      if (size <= SMALL) for (let i = 0; i < size; i++) encodeBytes[offset + i] = value[i]!;
      else encodeBytes.set(value, offset);
    },
    decode(view, offset) {
      if (view !== decodeView) {
        decodeBytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        decodeView = view;
      }
      if (size > SMALL) return decodeBytes.slice(offset, offset + size);
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = decodeBytes[offset + i]!;
      return out;
    },
  };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `a ${value.byteLength}-byte Uint8Array`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}

/** One value per possible CPU, each at `round_up(size, 8)` stride. */
export function perCpuCodec<T>(element: Codec<T>, nCpus: number): Codec<T[]> {
  const stride = (element.size + 7) & ~7;
  const total = stride * nCpus;
  return {
    size: total,
    description: `${element.description}[${nCpus} CPUs]`,
    encode(view, offset, values, name = 'value') {
      if (!Array.isArray(values) || values.length !== nCpus) {
        throw new InvalidArgumentError(
          `per-CPU value: expected an array of one ${element.description} per possible CPU (${nCpus}), got ${describe(values)}`,
        );
      }
      new Uint8Array(view.buffer, view.byteOffset + offset, total).fill(0);
      for (let i = 0; i < nCpus; i++) element.encode(view, offset + i * stride, values[i] as T, `${name}[${i}]`);
    },
    decode(view, offset) {
      const out = new Array<T>(nCpus);
      for (let i = 0; i < nCpus; i++) out[i] = element.decode(view, offset + i * stride);
      return out;
    },
  };
}
