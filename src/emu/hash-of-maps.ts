/**
 * BPF_MAP_TYPE_HASH_OF_MAPS (kernel/bpf/hashtab.c fd htab): a hash map whose
 * values are inner maps. Updates take a map fd (an emulated map's `handle`), the
 * stored and returned value is the inner map's id (bpf_map_fd_sys_lookup_elem()).
 */
import type { MapDescriptor } from '../maps/backend.js';
import { readU32, writeU32 } from './bytes.js';
import { EBADF, EINVAL } from './errno.js';
import { mapByHandle, scratch } from './emulated-map.js';
import { HashMap, type HashMapOptions } from './hash-map.js';
import { metaEqual, type ObjectResolver } from './slot-array.js';

export class HashOfMaps extends HashMap {
  readonly #resolver: ObjectResolver;
  readonly #id = scratch(8);

  constructor(d: MapDescriptor, resolver: ObjectResolver, options: HashMapOptions) {
    super(d, options);
    this.#resolver = resolver;
  }

  override update(flags: number): number {
    return this.updateOrRefuse(flags);
  }

  /** Through the base class checks (the HashMap fast path would store the fd itself). */
  private updateOrRefuse(flags: number): number {
    if (this.closed) return -9;
    if (!this.writable()) return -1;
    if (flags & 4) return -EINVAL;
    return this.updateAt(this.key, 0, this.value, 0, flags);
  }

  /** bpf_fd_htab_map_update_elem(): the fd is resolved before the flags are checked. */
  override updateAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number {
    const fd = readU32(v, vo) | 0;
    const m = (this.#resolver.mapByFd ?? mapByHandle)(fd);
    if (!m) return -EBADF;
    if (!metaEqual(this.#resolver.innerMap, m.descriptor)) return -EINVAL;
    writeU32(this.#id, 0, m.id);
    return super.updateAt(k, ko, this.#id, 0, flags);
  }

  /** Lookup-and-delete is not offered by fd hash maps (map_lookup_and_delete_elem() lists plain hashes only). */
  protected override lookupAndDeleteAt(): number {
    return -524;
  }
}
