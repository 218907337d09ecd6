/**
 * The array-indexed maps whose slots are either empty or hold an object the
 * kernel resolves on update: BPF_MAP_TYPE_PROG_ARRAY and ARRAY_OF_MAPS
 * (kernel/bpf/arraymap.c fd arrays), DEVMAP (kernel/bpf/devmap.c) and CPUMAP
 * (kernel/bpf/cpumap.c). Each slot stores the value user space reads back
 * (a program or map id, a `struct bpf_devmap_val`, a `struct bpf_cpumap_val`)
 * in the arena at `index * 8`, and a presence flag in the header area.
 *
 *   0           8           max*8              max*8 + max
 *   | value 0 | value 1 | ... | present bytes ... | header |
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { MapDescriptor } from '../maps/backend.js';
import { MapType } from '../sys/constants.js';
import { Arena } from './arena.js';
import { arrayNextKey, copyBytes, readU32, writeU32 } from './bytes.js';
import { E2BIG, EBADF, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM, EOVERFLOW } from './errno.js';
import { EmulatedMap, HEADER_WORDS, mapByHandle } from './emulated-map.js';

/** What the emulator knows about file descriptors and devices it is handed. */
export interface ObjectResolver {
  /** A program fd → its id and type; undefined when the fd is not an open program (EBADF). */
  readonly programByFd?: (fd: number) => { readonly id: number; readonly type: number } | undefined;
  /** A map fd (or an emulated map's handle) → that map; undefined when not a map (EBADF). */
  readonly mapByFd?: (fd: number) => EmulatedMap | undefined;
  /** Whether a network interface index exists (devmap values). Default: /sys/class/net on Linux, else only 1 (lo). */
  readonly ifindexExists?: (ifindex: number) => boolean;
  /** Possible CPUs (cpumap keys). */
  readonly possibleCpus?: number;
  /** The inner map template of a map-in-map (from `innerMapFd` or the spec's `innerMap`). */
  readonly innerMap?: MapDescriptor;
}

export class SlotArrayMap extends EmulatedMap {
  readonly #max: number;
  readonly #vs: number;
  readonly #present: number;
  readonly #resolver: ObjectResolver;

  constructor(d: MapDescriptor, resolver: ObjectResolver, shared = false) {
    const present = d.maxEntries * 8;
    const header = Math.ceil((present + d.maxEntries) / 8) * 8;
    super(d, new Arena(header + HEADER_WORDS * 4, shared), header, 4);
    this.#max = d.maxEntries;
    this.#vs = d.valueSize;
    this.#present = present;
    this.#resolver = resolver;
  }

  /** array_of_maps_map_ops has the generic lookup and update batches; the other object arrays have none. */
  protected override batchOps() {
    return this.descriptor.type === MapType.array_of_maps ? { lookup: true, update: true } : {};
  }

  #has(i: number): boolean {
    return this.arena.u8[this.#present + i] !== 0;
  }

  #set(i: number, on: boolean): void {
    this.arena.u8[this.#present + i] = on ? 1 : 0;
  }

  lookupAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number): number {
    const i = readU32(k, ko);
    if (i >= this.#max || !this.#has(i)) return -ENOENT;
    const type = this.descriptor.type;
    // fd arrays return the object's id (4 bytes); devmap/cpumap their value struct.
    const n = type === MapType.prog_array || type === MapType.array_of_maps ? 4 : this.#vs;
    copyBytes(this.arena.u8, i * 8, v, vo, n);
    return 0;
  }

  updateAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number {
    const i = readU32(k, ko);
    switch (this.descriptor.type) {
      case MapType.prog_array:
      case MapType.array_of_maps:
        return this.#updateFd(i, readU32(v, vo) | 0, flags);
      case MapType.devmap:
        return this.#updateDev(i, v, vo, flags);
      default:
        return this.#updateCpu(i, v, vo, flags);
    }
  }

  /** bpf_fd_array_map_update_elem(): BPF_ANY only; the fd must name a program / a compatible map. */
  #updateFd(i: number, fd: number, flags: number): number {
    if (flags !== 0) return -EINVAL;
    if (i >= this.#max) return -E2BIG;
    let id: number;
    if (this.descriptor.type === MapType.prog_array) {
      const p = this.#resolver.programByFd?.(fd);
      if (!p) return -EBADF;
      id = p.id;
    } else {
      const m = (this.#resolver.mapByFd ?? mapByHandle)(fd);
      if (!m) return -EBADF;
      if (!metaEqual(this.#resolver.innerMap, m.descriptor)) return -EINVAL;
      id = m.id;
    }
    writeU32(this.arena.u8, i * 8, id);
    this.#set(i, true);
    return 0;
  }

  /** dev_map_update_elem(): ifindex 0 empties the slot; an unknown ifindex or any program fd is EINVAL. */
  #updateDev(i: number, v: Uint8Array, vo: number, flags: number): number {
    if (flags > 2) return -EINVAL;
    if (i >= this.#max) return -E2BIG;
    if (flags === 1) return -EEXIST;
    const ifindex = readU32(v, vo);
    const progFd = this.#vs >= 8 ? readU32(v, vo + 4) | 0 : 0;
    if (!ifindex) {
      if (progFd > 0) return -EINVAL;
      this.#set(i, false);
      return 0;
    }
    if (!this.#ifindexOk(ifindex)) return -EINVAL;
    if (progFd > 0) return -EINVAL; // the emulator has no XDP programs to attach
    writeU32(this.arena.u8, i * 8, ifindex);
    writeU32(this.arena.u8, i * 8 + 4, 0); // bpf_prog.id: no program
    this.#set(i, true);
    return 0;
  }

  #ifindexOk(ifindex: number): boolean {
    return (this.#resolver.ifindexExists ?? defaultIfindexExists)(ifindex);
  }

  /** cpu_map_update_elem(): qsize 0 empties the slot; qsize over 16384 is EOVERFLOW; the key must be a possible CPU. */
  #updateCpu(i: number, v: Uint8Array, vo: number, flags: number): number {
    if (flags > 2) return -EINVAL;
    if (i >= this.#max) return -E2BIG;
    if (flags === 1) return -EEXIST;
    const qsize = readU32(v, vo);
    const progFd = this.#vs >= 8 ? readU32(v, vo + 4) | 0 : 0;
    if (qsize > 16384) return -EOVERFLOW;
    if (i >= (this.#resolver.possibleCpus ?? 1)) return -ENODEV;
    if (qsize === 0) {
      this.#set(i, false);
      return 0;
    }
    if (progFd > 0) return -ENOMEM; // __cpu_map_entry_alloc() fails when the program cannot be loaded
    writeU32(this.arena.u8, i * 8, qsize);
    writeU32(this.arena.u8, i * 8 + 4, 0);
    this.#set(i, true);
    return 0;
  }

  deleteAt(k: Uint8Array, ko: number): number {
    const i = readU32(k, ko);
    const type = this.descriptor.type;
    if (type === MapType.prog_array || type === MapType.array_of_maps) {
      // fd_array_map_delete_elem()
      if (i >= this.#max) return -E2BIG;
      if (!this.#has(i)) return -ENOENT;
      this.#set(i, false);
      return 0;
    }
    // dev_map_delete_elem() / cpu_map_delete_elem(): clearing an empty slot is fine.
    if (i >= this.#max) return -EINVAL;
    this.#set(i, false);
    return 0;
  }

  nextKeyAt(k: Uint8Array | null, ko: number, out: Uint8Array, oo: number): number {
    return arrayNextKey(this.#max, k, ko, out, oo);
  }
}

/** bpf_map_meta_equal(): an inner map must match the template's type, sizes and flags (and max_entries unless BPF_F_INNER_MAP). */
export function metaEqual(template: MapDescriptor | undefined, m: MapDescriptor): boolean {
  if (!template) return false;
  return template.type === m.type && template.keySize === m.keySize && template.valueSize === m.valueSize &&
    template.flags === m.flags && ((template.flags & 4096) !== 0 || template.maxEntries === m.maxEntries);
}

let ifindexes: Set<number> | undefined;
export function defaultIfindexExists(ifindex: number): boolean {
  if (!ifindexes) {
    ifindexes = new Set([1]);
    try {
      for (const dev of readdirSync('/sys/class/net')) ifindexes.add(Number(readFileSync(`/sys/class/net/${dev}/ifindex`, 'utf8')));
    } catch {
      // not Linux: only the loopback device
    }
  }
  return ifindexes.has(ifindex);
}
