/**
 * BPF_MAP_TYPE_DEVMAP_HASH (kernel/bpf/devmap.c): interfaces keyed by an
 * arbitrary u32, in `roundup_pow_of_two(max_entries)` buckets chosen by
 * `key & (n_buckets - 1)` (no hashing), newest first in a bucket — so
 * get_next_key walks in the kernel's order.
 */
import type { MapDescriptor } from '../maps/backend.js';
import { copyBytes, readU32, writeU32 } from './bytes.js';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno.js';
import { EmulatedMap, HEADER_WORDS } from './emulated-map.js';
import { defaultIfindexExists, type ObjectResolver } from './slot-array.js';
import { SlotAllocator } from './slots.js';
import { roundupPowerOfTwo } from './validate.js';

export class DevHashMap extends EmulatedMap {
  readonly nBuckets: number;
  /** bucket → keys, newest first. */
  readonly #buckets: number[][];
  readonly #slot = new Map<number, number>();
  readonly #slots: SlotAllocator;
  readonly #vs: number;
  readonly #resolver: ObjectResolver;

  constructor(d: MapDescriptor, resolver: ObjectResolver) {
    const slots = new SlotAllocator(8, d.maxEntries, HEADER_WORDS * 4);
    super(d, slots.arena, 0, 4);
    this.#slots = slots;
    this.nBuckets = roundupPowerOfTwo(d.maxEntries);
    this.#buckets = Array.from({ length: Math.min(this.nBuckets, 1 << 20) }, () => []);
    this.#vs = d.valueSize;
    this.#resolver = resolver;
  }

  #bucket(key: number): number[] {
    return this.#buckets[(key & (this.nBuckets - 1)) % this.#buckets.length]!;
  }

  lookupAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number): number {
    const slot = this.#slot.get(readU32(k, ko));
    if (slot === undefined) return -ENOENT;
    copyBytes(this.arena.u8, this.#slots.offset(slot), v, vo, this.#vs);
    return 0;
  }

  /** __dev_map_hash_update_elem(): no BPF_EXIST check; ifindex 0 or unknown, or a program fd, is EINVAL. */
  updateAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number {
    if (flags > 2) return -EINVAL;
    const key = readU32(k, ko);
    // ifindex 0 is refused up front, then NOEXIST, then the device is resolved (__dev_map_alloc_node()).
    const ifindex = readU32(v, vo);
    const progFd = this.#vs >= 8 ? readU32(v, vo + 4) | 0 : 0;
    if (ifindex === 0) return -EINVAL;
    const old = this.#slot.get(key);
    if (old !== undefined && (flags & 1)) return -EEXIST;
    if (!(this.#resolver.ifindexExists ?? defaultIfindexExists)(ifindex)) return -EINVAL;
    if (progFd > 0) return -EINVAL;
    const b = this.#bucket(key);
    if (old !== undefined) {
      b.splice(b.indexOf(key), 1);
      this.#slots.free(old);
    } else if (this.#slot.size >= this.descriptor.maxEntries) {
      return -E2BIG;
    }
    const slot = this.#slots.alloc();
    writeU32(this.arena.u8, this.#slots.offset(slot), ifindex);
    writeU32(this.arena.u8, this.#slots.offset(slot) + 4, 0);
    this.#slot.set(key, slot);
    b.unshift(key);
    return 0;
  }

  deleteAt(k: Uint8Array, ko: number): number {
    const key = readU32(k, ko);
    const slot = this.#slot.get(key);
    if (slot === undefined) return -ENOENT;
    const b = this.#bucket(key);
    b.splice(b.indexOf(key), 1);
    this.#slot.delete(key);
    this.#slots.free(slot);
    return 0;
  }

  nextKeyAt(k: Uint8Array | null, ko: number, out: Uint8Array, oo: number): number {
    let i = 0;
    if (k) {
      const key = readU32(k, ko);
      if (this.#slot.has(key)) {
        const b = this.#bucket(key);
        const at = b.indexOf(key);
        if (at + 1 < b.length) {
          writeU32(out, oo, b[at + 1]!);
          return 0;
        }
        i = (key & (this.nBuckets - 1)) + 1;
      }
    }
    for (; i < this.nBuckets; i++) {
      const b = this.#buckets[i % this.#buckets.length]!;
      if (b.length) {
        writeU32(out, oo, b[0]!);
        return 0;
      }
    }
    return -ENOENT;
  }
}
