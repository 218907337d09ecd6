/**
 * A memory-mapped BPF_F_MMAPABLE array (Linux 5.5+): values are read and
 * written in place, with no syscall. Element i lives at i * round_up(value_size, 8)
 * (kernel/bpf/arraymap.c: array->elem_size).
 */
import type { MapBackend } from './backend.js';
import type { Codec } from '../codec/codec.js';
import { bpfError } from '../sys/bpf.js';
import { EbpfError, InvalidArgumentError } from '../sys/errors.js';

export class MmapView<V> implements Disposable {
  readonly #codec: Codec<V>;
  readonly #stride: number;
  readonly #length: number;
  readonly #release: () => void;
  #view: DataView | undefined;
  /** The mapped memory; detached (zero length) after close(). */
  readonly buffer: ArrayBuffer;
  readonly writable: boolean;

  private constructor(buffer: ArrayBuffer, release: () => void, codec: Codec<V>, stride: number, length: number, writable: boolean) {
    this.buffer = buffer;
    this.#release = release;
    this.#codec = codec;
    this.#stride = stride;
    this.#length = length;
    this.#view = new DataView(buffer);
    this.writable = writable;
  }

  /** @internal Use `BpfMap.mmap()`. Throws BpfError (EPERM for a writable view of a frozen map). */
  static open<V>(backend: MapBackend, codec: Codec<V>, readonly: boolean): MmapView<V> {
    const r = backend.mmap ? backend.mmap(!readonly) : -22;
    if (typeof r === 'number') throw bpfError(-r, 'map mmap', backend.descriptor.name || undefined);
    const d = backend.descriptor;
    return new MmapView(r.buffer, r.release, codec, (d.valueSize + 7) & ~7, d.maxEntries, !readonly);
  }

  /** Number of elements (max_entries). */
  get length(): number { return this.#length; }

  #at(index: number): DataView {
    const v = this.#view;
    if (!v) throw new EbpfError('ECLOSED', 'mmap view is closed');
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw new InvalidArgumentError(`index ${index} out of range: expected 0..${this.#length - 1}`);
    }
    return v;
  }

  /** The value at `index`, decoded from the shared memory. */
  get(index: number): V {
    return this.#codec.decode(this.#at(index), index * this.#stride);
  }

  /** Write the value at `index` in place; BPF programs see it immediately. */
  set(index: number, value: V): void {
    if (!this.writable) throw new InvalidArgumentError('mmap view is read-only');
    this.#codec.encode(this.#at(index), index * this.#stride, value);
  }

  /** Bytes of element `index` (a live view into the mapping, not a copy). */
  bytes(index: number): Uint8Array {
    this.#at(index);
    return new Uint8Array(this.buffer, index * this.#stride, this.#codec.size);
  }

  /** Unmap. Later access throws ECLOSED; the ArrayBuffer is detached. */
  close(): void {
    if (!this.#view) return;
    this.#view = undefined;
    this.#release();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
