/**
 * BPF_MAP_CREATE validation, as the kernel does it: the same checks in the same
 * order, so the emulator refuses exactly the specs the kernel refuses, with the
 * same errno. Sources: kernel/bpf/syscall.c map_create(), then each type's
 * map_alloc_check / map_alloc (arraymap.c, hashtab.c, lpm_trie.c,
 * queue_stack_maps.c, bloom_filter.c, ringbuf.c, devmap.c, cpumap.c).
 */
import type { MapDescriptor } from '../maps/backend.js';
import { MapFlags, MapType } from '../sys/constants.js';
import { E2BIG, EINVAL, ENOMEM, ENOTSUPP } from './errno.js';

/** BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG (include/linux/bpf.h BPF_F_ACCESS_MASK). */
export const ACCESS_MASK = MapFlags.RDONLY | MapFlags.WRONLY | MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG;
const ARRAY_CREATE_FLAG_MASK = MapFlags.NUMA_NODE | MapFlags.MMAPABLE | ACCESS_MASK | MapFlags.PRESERVE_ELEMS | MapFlags.INNER_MAP;
const HTAB_CREATE_FLAG_MASK = MapFlags.NO_PREALLOC | MapFlags.NO_COMMON_LRU | MapFlags.NUMA_NODE | ACCESS_MASK | MapFlags.ZERO_SEED;
const LPM_CREATE_FLAG_MASK = MapFlags.NO_PREALLOC | MapFlags.NUMA_NODE | ACCESS_MASK;
const QUEUE_STACK_CREATE_FLAG_MASK = MapFlags.NUMA_NODE | ACCESS_MASK;
const BLOOM_CREATE_FLAG_MASK = MapFlags.NUMA_NODE | MapFlags.ZERO_SEED | ACCESS_MASK;
const DEV_CREATE_FLAG_MASK = MapFlags.NUMA_NODE | MapFlags.RDONLY | MapFlags.WRONLY;

/** KMALLOC_MAX_SIZE on x86-64/arm64 with 4 KiB pages: 1 << (MAX_PAGE_ORDER 10 + PAGE_SHIFT 12). */
export const KMALLOC_MAX_SIZE = 1 << 22;
/** PCPU_MIN_UNIT_SIZE (include/linux/percpu.h): the largest per-CPU value. */
const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** sizeof(struct htab_elem) on 64-bit kernels. */
const HTAB_ELEM_SIZE = 48;
const INT_MAX = 0x7fffffff;

/** The map types the emulator implements. */
export const EMULATED_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.array, MapType.percpu_array, MapType.hash, MapType.percpu_hash, MapType.lru_hash, MapType.lru_percpu_hash,
  MapType.lpm_trie, MapType.queue, MapType.stack, MapType.bloom_filter, MapType.ringbuf, MapType.prog_array,
  MapType.array_of_maps, MapType.hash_of_maps, MapType.devmap, MapType.devmap_hash, MapType.cpumap,
]);

/** Facts about the emulated machine that creation checks depend on. */
export interface CreateEnvironment {
  /** The `numa_node` attribute (meaningful with BPF_F_NUMA_NODE). Default 0. */
  readonly numaNode?: number;
  /** Page size for ring buffers. Default 4096. */
  readonly pageSize?: number;
  /** CONFIG_NR_CPUS, the cpumap size limit. Default 8192. */
  readonly nrCpus?: number;
  /** Largest arena the emulator allocates for one map, in bytes; beyond it creation fails with ENOMEM as an out-of-memory kernel would. Default 1 GiB. */
  readonly memoryLimit?: number;
}

function accessOk(flags: number): boolean {
  // bpf_map_flags_access_ok(): a map cannot be both read-only and write-only for programs.
  return (flags & (MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG)) !== (MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** roundup_pow_of_two for 1 <= n <= 2^31. */
export function roundupPowerOfTwo(n: number): number {
  if (n <= 1) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}

/**
 * Check a map spec as BPF_MAP_CREATE would. Returns 0 when the kernel would
 * accept it, or the negative errno it would fail with (EINVAL, E2BIG, ENOMEM,
 * ENOTSUPP, ...). `nCpus` of the descriptor is the possible-CPU count.
 * Map types the emulator does not implement are not judged here (0); the
 * caller refuses them.
 */
export function validateEmulatedMapSpec(d: MapDescriptor, env: CreateEnvironment = {}): number {
  const flags = d.flags >>> 0;
  const type = d.type;
  const numaNode = flags & MapFlags.NUMA_NODE ? (env.numaNode ?? 0) : -1;
  // map_create(): BPF_F_TOKEN_FD is consumed before the per-type checks.
  const f = flags & ~MapFlags.TOKEN_FD;
  // map_create(): map_extra is only for bloom filters and arenas.
  if (type !== MapType.bloom_filter && type !== MapType.arena && BigInt(d.mapExtra) !== 0n) return -EINVAL;
  // bpf_get_file_flag(): read-only and write-only at once.
  if ((f & MapFlags.RDONLY) && (f & MapFlags.WRONLY)) return -EINVAL;
  if (numaNode !== -1 && numaNode !== 0) return -EINVAL; // the emulated machine has one NUMA node
  if (!Number.isInteger(type) || type < 0 || type > MapType.arena || type === MapType.unspec) return -EINVAL;
  const r = typeCheck(type, d, f, numaNode, env);
  if (r !== 0) return r;
  // bpf_obj_name_cpy(): [A-Za-z0-9_.], at most 15 characters.
  if (!/^[A-Za-z0-9_.]{0,15}$/.test(d.name)) return -EINVAL;
  return 0;
}

function typeCheck(type: number, d: MapDescriptor, f: number, numaNode: number, env: CreateEnvironment): number {
  const { keySize, valueSize, maxEntries } = d;
  const limit = env.memoryLimit ?? 1 << 30;
  switch (type) {
    case MapType.prog_array:
    case MapType.array_of_maps:
      // fd_array_map_alloc_check()
      if (valueSize !== 4) return -EINVAL;
      if (f & (MapFlags.RDONLY_PROG | MapFlags.WRONLY_PROG)) return -EINVAL;
      return arrayCheck(type, d, f, numaNode, limit);
    case MapType.array:
    case MapType.percpu_array:
      return arrayCheck(type, d, f, numaNode, limit);
    case MapType.hash_of_maps:
      if (valueSize !== 4) return -EINVAL; // fd_htab_map_alloc_check()
      return hashCheck(type, d, f, numaNode, limit);
    case MapType.hash:
    case MapType.percpu_hash:
    case MapType.lru_hash:
    case MapType.lru_percpu_hash:
      return hashCheck(type, d, f, numaNode, limit);
    case MapType.lpm_trie: {
      // trie_alloc(): LPM_KEY_SIZE_MIN = 4 + 1, MAX = 4 + 256; values 1 .. KMALLOC_MAX_SIZE - 256 - node header.
      if (maxEntries === 0 || !(f & MapFlags.NO_PREALLOC) || (f & ~LPM_CREATE_FLAG_MASK) || !accessOk(f) ||
          keySize < 5 || keySize > 260 || valueSize < 1 || valueSize > KMALLOC_MAX_SIZE - 256 - 40) return -EINVAL;
      return 0;
    }
    case MapType.queue:
    case MapType.stack: {
      // queue_stack_map_alloc_check()
      if (maxEntries === 0 || keySize !== 0 || valueSize === 0 || (f & ~QUEUE_STACK_CREATE_FLAG_MASK) || !accessOk(f)) return -EINVAL;
      if (valueSize > KMALLOC_MAX_SIZE) return -E2BIG;
      if ((maxEntries + 1) * valueSize > limit) return -ENOMEM;
      return 0;
    }
    case MapType.bloom_filter: {
      // bloom_map_alloc_check(): larger values could not be passed from user space.
      if (valueSize > KMALLOC_MAX_SIZE) return -E2BIG;
      // bloom_map_alloc(): the low 4 bits of map_extra are the number of hash functions.
      if (keySize !== 0 || valueSize === 0 || maxEntries === 0 || (f & ~BLOOM_CREATE_FLAG_MASK) || !accessOk(f) ||
          (BigInt(d.mapExtra) & ~0xfn) !== 0n) return -EINVAL;
      if (bloomBitsetBytes(maxEntries, Number(BigInt(d.mapExtra))) > limit) return -ENOMEM;
      return 0;
    }
    case MapType.ringbuf: {
      // ringbuf_map_alloc(): only BPF_F_NUMA_NODE; size a power-of-two multiple of the page size.
      const page = env.pageSize ?? 4096;
      if (f & ~MapFlags.NUMA_NODE) return -EINVAL;
      if (keySize !== 0 || valueSize !== 0 || !isPowerOfTwo(maxEntries) || maxEntries % page !== 0) return -EINVAL;
      if (maxEntries > limit) return -ENOMEM;
      return 0;
    }
    case MapType.devmap:
    case MapType.devmap_hash: {
      // dev_map_init_map(): values are ifindex (4 bytes) or ifindex + program fd (8 bytes).
      if (maxEntries === 0 || keySize !== 4 || (valueSize !== 4 && valueSize !== 8) || (f & ~DEV_CREATE_FLAG_MASK)) return -EINVAL;
      if (type === MapType.devmap_hash && maxEntries > 2 ** 31) return -EINVAL;
      if (maxEntries * 8 > limit) return -ENOMEM;
      return 0;
    }
    case MapType.cpumap: {
      // cpu_map_alloc(): values are qsize (4 bytes) or qsize + program fd (8 bytes); at most NR_CPUS entries.
      if (maxEntries === 0 || keySize !== 4 || (valueSize !== 4 && valueSize !== 8) || (f & ~MapFlags.NUMA_NODE)) return -EINVAL;
      if (maxEntries > (env.nrCpus ?? 8192)) return -E2BIG;
      return 0;
    }
    default:
      return 0;
  }
}

function arrayCheck(type: number, d: MapDescriptor, f: number, numaNode: number, limit: number): number {
  const { keySize, valueSize, maxEntries } = d;
  // array_map_alloc_check()
  const percpu = type === MapType.percpu_array;
  if (maxEntries === 0 || keySize !== 4 || valueSize === 0 || (f & ~ARRAY_CREATE_FLAG_MASK) || !accessOk(f) || (percpu && numaNode !== -1)) return -EINVAL;
  if (type !== MapType.array && (f & (MapFlags.MMAPABLE | MapFlags.INNER_MAP))) return -EINVAL;
  if (f & MapFlags.PRESERVE_ELEMS) return -EINVAL; // only for perf_event_array
  if (valueSize > INT_MAX) return -E2BIG;
  if (percpu && round8(valueSize) > PCPU_MIN_UNIT_SIZE) return -E2BIG;
  // array_map_alloc(): max_entries rounded up to a power of two must fit in u32.
  if (maxEntries > 2 ** 31) return -E2BIG;
  const bytes = maxEntries * round8(valueSize) * (percpu ? d.nCpus : 1);
  if (bytes > limit) return -ENOMEM;
  return 0;
}

function hashCheck(type: number, d: MapDescriptor, f: number, numaNode: number, limit: number): number {
  const { keySize, valueSize, maxEntries } = d;
  // htab_map_alloc_check()
  const percpu = type === MapType.percpu_hash || type === MapType.lru_percpu_hash;
  const lru = type === MapType.lru_hash || type === MapType.lru_percpu_hash;
  const percpuLru = (f & MapFlags.NO_COMMON_LRU) !== 0;
  const prealloc = (f & MapFlags.NO_PREALLOC) === 0;
  if ((f & ~HTAB_CREATE_FLAG_MASK) || !accessOk(f)) return -EINVAL;
  if (!lru && percpuLru) return -EINVAL;
  if (lru && !prealloc) return -ENOTSUPP;
  if (numaNode !== -1 && (percpu || percpuLru)) return -EINVAL;
  if (maxEntries === 0 || keySize === 0 || valueSize === 0) return -EINVAL;
  if (keySize + valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return -E2BIG;
  if (percpu && round8(valueSize) > PCPU_MIN_UNIT_SIZE) return -E2BIG;
  // htab_map_alloc()
  const entries = effectiveMaxEntries(d);
  if (entries > 2 ** 31) return -E2BIG;
  const elem = 24 + round8(keySize) + round8(valueSize) * (percpu ? d.nCpus : 1);
  if (roundupPowerOfTwo(entries) * 4 + elem * (entries + 64) > limit && prealloc) return -ENOMEM;
  if (roundupPowerOfTwo(entries) * 4 > limit) return -ENOMEM;
  return 0;
}

/** max_entries as the kernel stores it: NO_COMMON_LRU rounds it to a multiple of the CPU count (htab_map_alloc()). */
export function effectiveMaxEntries(d: MapDescriptor): number {
  const lru = d.type === MapType.lru_hash || d.type === MapType.lru_percpu_hash;
  if (!lru || !(d.flags & MapFlags.NO_COMMON_LRU)) return d.maxEntries;
  const cpus = Math.max(1, possibleCpusOf(d));
  let n = Math.ceil(d.maxEntries / cpus) * cpus;
  if (n > 0xffffffff) n = Math.floor(d.maxEntries / cpus) * cpus;
  return n;
}

let possibleCpusOverride = 0;
/** @internal The possible-CPU count used for NO_COMMON_LRU rounding of non-per-CPU maps (descriptor.nCpus is 1 for them). */
export function setEmulatedPossibleCpus(n: number): void {
  possibleCpusOverride = n;
}
function possibleCpusOf(d: MapDescriptor): number {
  return d.nCpus > 1 ? d.nCpus : possibleCpusOverride || 1;
}

/** Bit-array geometry of a bloom filter (bloom_filter.c bloom_map_alloc()). */
export function bloomGeometry(maxEntries: number, mapExtra: number): { hashes: number; mask: number; bytes: number } {
  const hashes = (mapExtra & 0xf) || 5;
  let bits = maxEntries * hashes;
  let mask: number;
  let bytes: number;
  // check_mul_overflow on u32, then bits / 5 * 7 (an integer approximation of n * k / ln 2).
  if (bits > 0xffffffff || Math.floor(bits / 5) * 7 > 0xffffffff || Math.floor(bits / 5) * 7 > 2 ** 31) {
    bytes = Math.ceil(0xffffffff / 8);
    mask = 0xffffffff;
  } else {
    bits = Math.floor(bits / 5) * 7;
    bits = bits <= 64 ? 64 : roundupPowerOfTwo(bits);
    bytes = bits / 8;
    mask = bits - 1;
  }
  bytes = Math.ceil(bytes / 8) * 8;
  return { hashes, mask, bytes };
}

function bloomBitsetBytes(maxEntries: number, mapExtra: number): number {
  return bloomGeometry(maxEntries, mapExtra).bytes;
}

export function round8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
