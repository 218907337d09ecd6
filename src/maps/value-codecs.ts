/**
 * Codecs the map layer builds around user codecs: raw bytes (the default when
 * no type is declared) and the per-CPU wrapper that lays one value per possible
 * CPU at an 8-byte-aligned stride (kernel/bpf/syscall.c: bpf_map_value_size()
 * uses round_up(value_size, 8) * num_possible_cpus()).
 */
import type { Codec } from '../codec/codec.js';
import { InvalidArgumentError } from '../sys/errors.js';

/** Raw bytes of exactly `size` bytes; decode returns a copy the caller owns. */
export function rawCodec(size: number): Codec<Uint8Array> {
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
      new Uint8Array(view.buffer, view.byteOffset + offset, size).set(value);
    },
    decode(view, offset) {
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + size));
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
    encode(view, offset, values) {
      if (!Array.isArray(values) || values.length !== nCpus) {
        throw new InvalidArgumentError(
          `per-CPU value: expected an array of one ${element.description} per possible CPU (${nCpus}), got ${describe(values)}`,
        );
      }
      new Uint8Array(view.buffer, view.byteOffset + offset, total).fill(0);
      for (let i = 0; i < nCpus; i++) element.encode(view, offset + i * stride, values[i] as T);
    },
    decode(view, offset) {
      const out = new Array<T>(nCpus);
      for (let i = 0; i < nCpus; i++) out[i] = element.decode(view, offset + i * stride);
      return out;
    },
  };
}
