/**
 * Saving an emulated map to bytes (a file) and loading it back: a documented,
 * versioned binary format, checked on load (ParseError with the offset of the
 * first problem). All integers little-endian; keys and values as the map holds
 * them (host byte order inside, as in the kernel).
 *
 *   0  magic "EBPFMAP\0"          8  u16 version (1)   10 u16 flags (bit 0: frozen)
 *  12  u32 header size (80)       16 u32 map type      20 u32 key size
 *  24  u32 value size             28 u32 max entries   32 u32 map flags
 *  36  u32 CPUs (value slots of per-CPU maps)          40 u64 map_extra
 *  48  u32 hash seed              52 u32 record count  56 u32 CRC-32 of the payload
 *  60  u32 payload size           64 name[16], NUL-padded
 *  80  payload:
 *        keyed maps:    count × (key[key size], value[value buffer size]) in iteration order
 *        queue / stack: count × value, oldest first
 *        bloom filter:  count = bit-array bytes, then the bit array
 *
 * Program arrays and maps of maps hold references to other objects, and ring
 * buffers hold transient records: saving them throws NotSupportedError.
 */
import { crc32 } from 'node:zlib';
import type { MapBackend, MapDescriptor } from '../maps/backend.js';
import { MapType, PERCPU_MAP_TYPES } from '../sys/constants.js';
import { NotSupportedError, ParseError } from '../sys/errors.js';
import { BloomFilterMap } from './bloom-filter.js';
import { EmulatedMap } from './emulated-map.js';
import { HashMap } from './hash-map.js';
import { QueueStackMap } from './queue-stack.js';
import { EMULATED_MAP_TYPES, round8, validateEmulatedMapSpec } from './validate.js';

export const MAP_FILE_MAGIC = 'EBPFMAP\0';
export const MAP_FILE_VERSION = 1;
const HEADER = 80;
/** By default loading refuses maps whose arena would exceed this (a file cannot make us allocate more). */
export const DEFAULT_LOAD_MEMORY_LIMIT = 64 << 20;

const UNSAVEABLE = new Set<number>([MapType.prog_array, MapType.array_of_maps, MapType.hash_of_maps, MapType.ringbuf]);

/** The seed a map was created with (hash maps and bloom filters), to restore their exact layout. */
function seedOf(m: EmulatedMap): number {
  if (m instanceof HashMap) return m.seed;
  if (m instanceof BloomFilterMap) return m.arena.i32[(m.bitsetBytes >> 2) + 3]! >>> 0;
  return 0;
}

/**
 * Serialize an emulated map. Throws NotSupportedError for program arrays, maps
 * of maps and ring buffers, InvalidArgument-like TypeError for kernel maps.
 */
export function saveEmulatedMap(map: MapBackend): Uint8Array {
  if (!(map instanceof EmulatedMap)) throw new TypeError('saveEmulatedMap: not an emulated map (kernel maps are saved by dumping them)');
  const d = map.descriptor;
  if (UNSAVEABLE.has(d.type)) throw new NotSupportedError(`saving ${d.type === MapType.ringbuf ? 'ring buffer' : 'program array and map-of-maps'} maps is not supported`);
  const chunks: Uint8Array[] = [];
  let count = 0;
  if (map instanceof QueueStackMap) {
    // Oldest first, read in place (tail → head).
    for (let i = map.tail; i !== map.head; i = (i + 1) % map.size) {
      chunks.push(map.arena.u8.slice(i * d.valueSize, (i + 1) * d.valueSize));
      count++;
    }
  } else if (map instanceof BloomFilterMap) {
    chunks.push(map.arena.u8.slice(0, map.bitsetBytes));
    count = map.bitsetBytes;
  } else {
    const key = new Uint8Array(d.keySize);
    const next = new Uint8Array(d.keySize);
    const value = new Uint8Array(d.valueBufferSize);
    let r = map.nextKeyAt(null, 0, next, 0);
    for (let guard = 0; r === 0 && guard <= d.maxEntries; guard++) {
      key.set(next);
      if (map.lookupAt(key, 0, value, 0, 0) === 0) {
        chunks.push(key.slice(), value.slice());
        count++;
      }
      r = map.nextKeyAt(key, 0, next, 0);
    }
  }
  const payloadSize = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(HEADER + payloadSize);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAP_FILE_MAGIC), 0);
  v.setUint16(8, MAP_FILE_VERSION, true);
  v.setUint16(10, map.frozen ? 1 : 0, true);
  v.setUint32(12, HEADER, true);
  v.setUint32(16, d.type, true);
  v.setUint32(20, d.keySize, true);
  v.setUint32(24, d.valueSize, true);
  v.setUint32(28, d.maxEntries, true);
  v.setUint32(32, d.flags >>> 0, true);
  v.setUint32(36, d.nCpus, true);
  v.setBigUint64(40, BigInt(d.mapExtra), true);
  v.setUint32(48, seedOf(map), true);
  v.setUint32(52, count, true);
  let off = HEADER;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  v.setUint32(56, crc32(out.subarray(HEADER)) >>> 0, true);
  v.setUint32(60, payloadSize, true);
  out.set(new TextEncoder().encode(d.name).subarray(0, 15), 64);
  return out;
}

/** The header of a map file, checked. Throws ParseError. */
export function parseMapFileHeader(bytes: Uint8Array, memoryLimit = DEFAULT_LOAD_MEMORY_LIMIT): { descriptor: MapDescriptor; frozen: boolean; seed: number; count: number; payload: Uint8Array } {
  const fail = (offset: number, msg: string): never => {
    throw new ParseError('map file', offset, msg);
  };
  if (bytes.length < HEADER) fail(bytes.length, `truncated header: ${bytes.length} bytes, expected at least ${HEADER}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < 8; i++) if (bytes[i] !== MAP_FILE_MAGIC.charCodeAt(i)) fail(i, 'bad magic: expected "EBPFMAP\\0"');
  const version = v.getUint16(8, true);
  if (version !== MAP_FILE_VERSION) fail(8, `unsupported version ${version}: expected ${MAP_FILE_VERSION}`);
  const fileFlags = v.getUint16(10, true);
  if (fileFlags & ~1) fail(10, `unknown file flags 0x${fileFlags.toString(16)}`);
  if (v.getUint32(12, true) !== HEADER) fail(12, `header size ${v.getUint32(12, true)}: expected ${HEADER}`);
  const type = v.getUint32(16, true);
  const keySize = v.getUint32(20, true);
  const valueSize = v.getUint32(24, true);
  const maxEntries = v.getUint32(28, true);
  const flags = v.getUint32(32, true);
  const nCpus = v.getUint32(36, true);
  const percpu = PERCPU_MAP_TYPES.has(type);
  if (nCpus < 1 || nCpus > 4096 || (!percpu && nCpus !== 1)) fail(36, `CPU count ${nCpus}: expected 1${percpu ? '..4096' : ''}`);
  const nameBytes = bytes.subarray(64, 80);
  const nul = nameBytes.indexOf(0);
  if (nul < 0) fail(64, 'name is not NUL-terminated');
  for (let i = nul; i < 16; i++) if (nameBytes[i] !== 0) fail(64 + i, 'name padding is not zero');
  const name = new TextDecoder().decode(nameBytes.subarray(0, nul));
  const descriptor: MapDescriptor = {
    type, keySize, valueSize, maxEntries, flags, name, nCpus,
    valueBufferSize: percpu ? round8(valueSize) * nCpus : valueSize,
    id: 0, mapExtra: v.getBigUint64(40, true), btfId: 0, btfKeyTypeId: 0, btfValueTypeId: 0,
  };
  const err = validateEmulatedMapSpec(descriptor, { memoryLimit });
  if (err) fail(16, `the map spec is invalid or larger than the ${memoryLimit}-byte load limit (errno ${-err})`);
  if (UNSAVEABLE.has(type) || !EMULATED_MAP_TYPES.has(type)) fail(16, `map type ${type} cannot be stored in a map file`);
  const payloadSize = v.getUint32(60, true);
  if (payloadSize !== bytes.length - HEADER) fail(60, `payload size ${payloadSize}: the file holds ${bytes.length - HEADER} bytes after the header`);
  const payload = bytes.subarray(HEADER);
  if ((crc32(payload) >>> 0) !== v.getUint32(56, true)) fail(56, 'payload checksum mismatch (corrupt or truncated file)');
  const count = v.getUint32(52, true);
  const record = type === MapType.queue || type === MapType.stack ? valueSize : type === MapType.bloom_filter ? 1 : keySize + descriptor.valueBufferSize;
  if (count * record !== payloadSize) fail(52, `record count ${count} × ${record} bytes does not match the payload size ${payloadSize}`);
  if (type !== MapType.bloom_filter && count > maxEntries) fail(52, `record count ${count} exceeds max_entries ${maxEntries}`);
  return { descriptor, frozen: (fileFlags & 1) !== 0, seed: v.getUint32(48, true), count, payload };
}

/**
 * Rebuild a map from `saveEmulatedMap` output. `create` makes the empty map
 * (normally `createEmulatorBackend`). Throws ParseError for corrupt input, with
 * the offset of the problem.
 */
export function loadEmulatedMap(bytes: Uint8Array, create: (d: MapDescriptor, options: { seed: number }) => MapBackend, memoryLimit = DEFAULT_LOAD_MEMORY_LIMIT): MapBackend {
  const h = parseMapFileHeader(bytes, memoryLimit);
  const d = h.descriptor;
  const m = create(d, { seed: h.seed });
  if (!(m instanceof EmulatedMap)) throw new TypeError('loadEmulatedMap: create() must return an emulated map');
  const fail = (offset: number, msg: string): never => {
    m.close();
    throw new ParseError('map file', offset, msg);
  };
  const p = h.payload;
  if (m instanceof BloomFilterMap) {
    if (h.count !== m.bitsetBytes) fail(52, `bloom filter bit array of ${h.count} bytes: expected ${m.bitsetBytes}`);
    m.arena.u8.set(p, 0);
  } else if (m instanceof QueueStackMap) {
    for (let i = 0; i < h.count; i++) m.updateAt(p, 0, p, i * d.valueSize, 0);
  } else {
    const rec = d.keySize + d.valueBufferSize;
    // Hash maps: re-insert newest-first order reversed, so each bucket's order is restored.
    for (let i = h.count - 1; i >= 0; i--) {
      const r = m.updateAt(p, i * rec, p, i * rec + d.keySize, 0);
      if (r) fail(HEADER + i * rec, `record ${i} was refused by the map (errno ${-r})`);
    }
  }
  if (h.frozen) m.restoreFrozen();
  return m;
}
