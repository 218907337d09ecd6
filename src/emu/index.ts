/**
 * The in-process map emulator: every map type user space meets, with the
 * kernel's semantics call for call (return codes, errnos, iteration and batch
 * behaviour), no kernel needed. Plug-in for `createMap(spec, { backend: 'emulator' })`.
 */
import type { MapBackend, MapDescriptor } from '../maps/backend.js';
import { MapType, mapTypeName } from '../sys/constants.js';
import { BpfError, NotSupportedError } from '../sys/errors.js';
import { ArrayMap } from './array-map.js';
import { HashMap } from './hash-map.js';
import { QueueStackMap } from './queue-stack.js';
import { BloomFilterMap } from './bloom-filter.js';
import { LpmTrieMap } from './lpm-trie.js';
import { EMULATED_MAP_TYPES, validateEmulatedMapSpec, type CreateEnvironment } from './validate.js';

export { validateEmulatedMapSpec, EMULATED_MAP_TYPES } from './validate.js';
export type { CreateEnvironment } from './validate.js';
export { EmulatedMap, mapByHandle } from './emulated-map.js';
export { ArrayMap } from './array-map.js';
export { HashMap } from './hash-map.js';
export { QueueStackMap } from './queue-stack.js';
export { BloomFilterMap } from './bloom-filter.js';
export { LpmTrieMap } from './lpm-trie.js';

/** Options of `createEmulatorBackend`. */
export interface EmulatorOptions extends CreateEnvironment {
  /** Keep the map in a SharedArrayBuffer so worker threads can attach to it (`shareMap` / `attachMap`). */
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
  }
  throw new NotSupportedError(`the emulator does not implement ${mapTypeName(descriptor.type)} maps yet`);
}
