/**
 * `createEmulatorBackend`: a MapDescriptor (plus the emulated machine's facts)
 * → the emulated map of its type, after the kernel's BPF_MAP_CREATE checks.
 */
import type { MapBackend, MapDescriptor } from '../maps/backend.js';
import { MapType, mapTypeName } from '../sys/constants.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { ArrayMap } from './array-map.js';
import { BloomFilterMap } from './bloom-filter.js';
import { possibleCpus } from './cpus.js';
import { DevHashMap } from './dev-hash-map.js';
import { mapByHandle } from './emulated-map.js';
import { EBADF, EINVAL, ENOTSUPP } from './errno.js';
import { HashMap } from './hash-map.js';
import { HashOfMaps } from './hash-of-maps.js';
import { LpmTrieMap } from './lpm-trie.js';
import { loadEmulatedMap as loadWith, saveEmulatedMap } from './map-file.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { QueueStackMap } from './queue-stack.js';
import { RingbufMap } from './ringbuf.js';
import { SlotArrayMap, type ObjectResolver } from './slot-array.js';
import { EMULATED_MAP_TYPES, validateEmulatedMapSpec, type CreateEnvironment } from './validate.js';

/**
 * Load a map saved with `saveEmulatedMap` (bytes of a map file) as a new emulated map.
 * Maps needing more than `options.memoryLimit` bytes (64 MiB by default) are refused, so a
 * file cannot make the loader allocate without bound.
 * @throws ParseError naming the offset of the first problem in corrupt input.
 */
export function loadEmulatedMap(bytes: Uint8Array, options: EmulatorOptions = {}): MapBackend {
  return loadWith(bytes, (d, o) => createEmulatorBackend(d, { ...options, seed: o.seed }), options.memoryLimit);
}

/** The inner map template and fd resolution for maps that hold objects. */
function resolverOf(d: MapDescriptor, o: EmulatorOptions): ObjectResolver {
  let innerMap: MapDescriptor | undefined;
  if (d.type === MapType.array_of_maps || d.type === MapType.hash_of_maps) {
    if (o.innerMap === undefined) throw new BpfError(EBADF, 'BPF_MAP_CREATE', 'map-in-map without an inner map template (innerMap)');
    if (typeof o.innerMap === 'number') {
      const m = (o.mapByFd ?? mapByHandle)(o.innerMap);
      if (!m) throw new BpfError(EBADF, 'BPF_MAP_CREATE', `inner map fd ${o.innerMap} is not an open map`);
      innerMap = m.descriptor;
    } else {
      innerMap = o.innerMap;
    }
    // bpf_map_meta_alloc(): no map-in-map inside a map-in-map, and only types with map_meta_equal.
    if (innerMap.type === MapType.array_of_maps || innerMap.type === MapType.hash_of_maps) throw new BpfError(EINVAL, 'BPF_MAP_CREATE', 'inner map is itself a map of maps');
    if (innerMap.type === MapType.prog_array) throw new BpfError(ENOTSUPP, 'BPF_MAP_CREATE', 'a program array cannot be an inner map');
  }
  return { ...o, possibleCpus: o.possibleCpus ?? possibleCpus(), innerMap };
}

/** Options of `createEmulatorBackend`. */
export interface EmulatorOptions extends CreateEnvironment, Omit<ObjectResolver, 'innerMap'> {
  /** map-in-map: the inner map template, as a descriptor or the handle/fd of an emulated map (what `innerMapFd` names). */
  readonly innerMap?: MapDescriptor | number;
  /** Keep the map in a SharedArrayBuffer so worker threads can attach to it (`shareEmulatedMap` / `attachEmulatedMap`). */
  readonly shared?: boolean;
  /** Hash seed for hash maps and bloom filters without BPF_F_ZERO_SEED (random by default, as in the kernel). */
  readonly seed?: number;
}

/**
 * Create an emulated map.
 *
 * @throws BpfError with the errno BPF_MAP_CREATE would give on Linux for the same
 *   descriptor (EINVAL, E2BIG, ENOMEM, ENOTSUPP, EBADF for a bad inner map).
 * @throws NotSupportedError for map types the emulator does not implement
 *   (perf_event_array, sockmap, storage maps, struct_ops, arena, ...).
 */
export function createEmulatorBackend(descriptor: MapDescriptor, options: EmulatorOptions = {}): MapBackend {
  const err = validateEmulatedMapSpec(descriptor, options);
  if (err) throw new BpfError(-err, 'BPF_MAP_CREATE', `emulated ${mapTypeName(descriptor.type) ?? descriptor.type} map${descriptor.name ? ` ${descriptor.name}` : ''}`);
  if (!EMULATED_MAP_TYPES.has(descriptor.type)) {
    throw new NotSupportedError(`the emulator does not implement ${mapTypeName(descriptor.type) ?? `map type ${descriptor.type}`} maps`);
  }
  switch (descriptor.type) {
    case MapType.array:
    case MapType.percpu_array:
      return new ArrayMap(descriptor, undefined, options.shared);
    case MapType.hash:
    case MapType.percpu_hash:
    case MapType.lru_hash:
    case MapType.lru_percpu_hash:
      return new HashMap(descriptor, options);
    case MapType.queue:
    case MapType.stack:
      return new QueueStackMap(descriptor, options.shared);
    case MapType.bloom_filter:
      return new BloomFilterMap(descriptor, options);
    case MapType.lpm_trie:
      return new LpmTrieMap(descriptor);
    case MapType.prog_array:
    case MapType.array_of_maps:
    case MapType.devmap:
    case MapType.cpumap:
      return new SlotArrayMap(descriptor, resolverOf(descriptor, options), options.shared);
    case MapType.devmap_hash:
      return new DevHashMap(descriptor, resolverOf(descriptor, options));
    case MapType.hash_of_maps:
      return new HashOfMaps(descriptor, resolverOf(descriptor, options), options);
    case MapType.ringbuf:
      return new RingbufMap(descriptor, options.shared);
  }
  throw new NotSupportedError(`the emulator does not implement ${mapTypeName(descriptor.type)} maps yet`);
}

/** Write `saveEmulatedMap(map)` to a file. Throws NotSupportedError for unsaveable types, and the fs error on I/O failure. */
export function saveEmulatedMapFile(map: MapBackend, path: string): void {
  writeFileSync(path, saveEmulatedMap(map));
}

/**
 * Load a map file written by `saveEmulatedMapFile` (or `saveEmulatedMap`).
 * @throws ParseError for corrupt files (with the offset), the fs error when the file cannot be read.
 */
export function loadEmulatedMapFile(path: string, options: EmulatorOptions = {}): MapBackend {
  return loadEmulatedMap(readFileSync(path), options);
}
