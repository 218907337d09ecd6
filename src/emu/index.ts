/**
 * The in-process map emulator: every map type user space meets, with the
 * kernel's semantics call for call (return codes, errnos, iteration and batch
 * behaviour), no kernel needed. Plug-in for `createMap(spec, { backend: 'emulator' })`
 * (registered by the package entry point). See docs/emulator.md.
 */
export { createEmulatorBackend, loadEmulatedMap, saveEmulatedMapFile, loadEmulatedMapFile, type EmulatorOptions } from './create.js';
export { validateEmulatedMapSpec, EMULATED_MAP_TYPES, type CreateEnvironment } from './validate.js';
export { EmulatedMap, mapByHandle } from './emulated-map.js';
export { ArrayMap } from './array-map.js';
export { HashMap } from './hash-map.js';
export { QueueStackMap } from './queue-stack.js';
export { BloomFilterMap } from './bloom-filter.js';
export { LpmTrieMap } from './lpm-trie.js';
export { SlotArrayMap, type ObjectResolver } from './slot-array.js';
export { DevHashMap } from './dev-hash-map.js';
export { HashOfMaps } from './hash-of-maps.js';
export { RingbufMap, RingbufFlags, type RingbufRecord } from './ringbuf.js';
export { EmulatedRingBufferReader, type RecordDecoder } from './ringbuf-reader.js';
export { shareEmulatedMap, attachEmulatedMap, type SharedMapHandle } from './share.js';
export { saveEmulatedMap, parseMapFileHeader, MAP_FILE_MAGIC, MAP_FILE_VERSION, DEFAULT_LOAD_MEMORY_LIMIT } from './map-file.js';
