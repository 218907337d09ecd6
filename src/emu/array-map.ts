/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c).
 *
 * Arena layout: element i at `i * stride` (`stride = round_up(value_size, 8)`,
 * times the CPU count for per-CPU arrays, one slot per CPU), exactly as an mmapped
 * kernel array; the common header follows the values.
 *
 *   0            stride        2*stride             max*stride
 *   | value 0 ... | value 1 ... | ...               | header (64 B) |
 */
import type { BatchRequest, BatchResult, MapDescriptor } from '../maps/backend.js';
import { MapType } from '../sys/constants.js';
import { Arena } from './arena.js';
import { arrayNextKey, copyBytes, readU32, writeU32 } from './bytes.js';
import { E2BIG, EEXIST, EINVAL, ENOENT, EPERM } from './errno.js';
import { EmulatedMap, H_WRITECNT, HEADER_WORDS } from './emulated-map.js';
import { round8 } from './validate.js';

export class ArrayMap extends EmulatedMap {
  readonly percpu: boolean;
  /** Bytes per index (all CPUs' slots for a per-CPU array). */
  readonly stride: number;
  readonly #slot: number;
  readonly #max: number;
  readonly #vsize: number;
  readonly #cpus: number;
  /** Word views of the scratch key and value for the hot path (the scratch buffers are 8-byte aligned). */
  readonly #k32: Uint32Array;
  readonly #v32: Int32Array;
  /** Words to copy on the hot path, or -1 when the value is not whole words. */
  readonly #words: number;
  #fast: boolean;

  constructor(d: MapDescriptor, arena?: Arena, shared = false) {
    const percpu = d.type === MapType.percpu_array;
    const slot = round8(d.valueSize);
    const stride = slot * (percpu ? d.nCpus : 1);
    const header = stride * d.maxEntries;
    super(d, arena ?? new Arena(header + HEADER_WORDS * 4, shared), header, 4);
    this.percpu = percpu;
    this.stride = stride;
    this.#slot = slot;
    this.#max = d.maxEntries;
    this.#vsize = d.valueSize;
    this.#cpus = percpu ? d.nCpus : 1;
    this.#k32 = new Uint32Array(this.key.buffer, 0, 1);
    this.#v32 = new Int32Array(this.value.buffer, 0, this.value.buffer.byteLength >> 2);
    this.#words = d.valueSize % 4 === 0 ? d.valueSize >> 2 : -1;
    this.#fast = this.canRead && !percpu && !this.arena.shared;
  }

  override close(): void {
    this.#fast = false;
    super.close();
  }

  /** Byte offset in `arena.buffer` of the value at `index` (of CPU `cpu` for per-CPU arrays), or -1 when out of range. */
  valueOffset(index: number, cpu = 0): number {
    if (!(index >= 0 && index < this.#max) || cpu < 0 || cpu >= this.#cpus) return -1;
    return index * this.stride + cpu * this.#slot;
  }

  override lookup(flags: number): number {
    // Hot path (unshared, readable, not per-CPU): the base class's checks are constant here.
    if (flags === 0 && this.#fast) {
      const index = this.#k32[0]!;
      if (index >= this.#max) return -ENOENT;
      const n = this.#words;
      if (n >= 0) {
        const src = this.arena.i32;
        const v = this.#v32;
        const w = (index * this.stride) >> 2;
        for (let i = 0; i < n; i++) v[i] = src[w + i]!;
      } else {
        copyBytes(this.arena.u8, index * this.stride, this.value, 0, this.#vsize);
      }
      return 0;
    }
    return super.lookup(flags);
  }

  lookupAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number): number {
    const index = readU32(k, ko);
    if (index >= this.#max) return -ENOENT;
    const n = this.percpu ? this.stride : this.#vsize;
    copyBytes(this.arena.u8, index * this.stride, v, vo, n);
    return 0;
  }

  updateAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number {
    const index = readU32(k, ko);
    if (this.percpu) {
      // bpf_percpu_array_update()
      if (flags > 2) return -EINVAL;
      if (index >= this.#max) return -E2BIG;
      if (flags === 1) return -EEXIST;
      copyBytes(v, vo, this.arena.u8, index * this.stride, this.stride);
      return 0;
    }
    // array_map_update_elem(): (flags & ~BPF_F_LOCK) > BPF_EXIST, range, NOEXIST (every index exists)
    if (flags - (flags & 4) > 2) return -EINVAL;
    if (index >= this.#max) return -E2BIG;
    if (flags & 1) return -EEXIST;
    copyBytes(v, vo, this.arena.u8, index * this.stride, this.#vsize);
    return 0;
  }

  deleteAt(): number {
    return -EINVAL; // array_map_delete_elem(): elements of an array cannot be deleted
  }

  nextKeyAt(k: Uint8Array | null, ko: number, out: Uint8Array, oo: number): number {
    // array_map_get_next_key(): a missing or out-of-range key restarts at 0.
    return arrayNextKey(this.#max, k, ko, out, oo);
  }

  protected override batchOps() {
    return { lookup: true, update: true };
  }

  protected override lookupBatch(r: BatchRequest): BatchResult {
    return this.genericLookupBatch(r);
  }

  /** bpf_map_mmap(): BPF_F_MMAPABLE arrays only; a writable mapping of a frozen map is EPERM and blocks freezing. */
  mmap(writable: boolean): { buffer: ArrayBuffer; release(): void } | number {
    if (this.closed) return -9;
    // bpf_map_mmap(): only BPF_F_MMAPABLE arrays can be mapped.
    if (this.descriptor.type !== MapType.array || !(this.descriptor.flags & 1024)) return -EINVAL;
    if (writable && !this.writable()) return -EPERM;
    const i32 = this.arena.i32;
    const slot = this.hdr + H_WRITECNT;
    if (writable) Atomics.add(i32, slot, 1);
    let released = false;
    return {
      buffer: this.arena.buffer as ArrayBuffer,
      release: () => {
        if (released) return;
        released = true;
        if (writable) Atomics.sub(i32, slot, 1);
      },
    };
  }
}

