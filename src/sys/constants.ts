/**
 * Kernel ABI constants from include/uapi/linux/bpf.h (Linux 6.18). Hand-written:
 * numbers never change once released, so a table is safer than parsing headers
 * at build time. `as const` objects instead of TS enums.
 */

/** bpf(2) commands, `enum bpf_cmd`. */
export const BpfCmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  PROG_ATTACH: 8,
  PROG_DETACH: 9,
  PROG_TEST_RUN: 10,
  PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12,
  PROG_GET_FD_BY_ID: 13,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  PROG_QUERY: 16,
  RAW_TRACEPOINT_OPEN: 17,
  BTF_LOAD: 18,
  BTF_GET_FD_BY_ID: 19,
  TASK_FD_QUERY: 20,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_FREEZE: 22,
  BTF_GET_NEXT_ID: 23,
  MAP_LOOKUP_BATCH: 24,
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  MAP_UPDATE_BATCH: 26,
  MAP_DELETE_BATCH: 27,
  LINK_CREATE: 28,
  LINK_UPDATE: 29,
  LINK_GET_FD_BY_ID: 30,
  LINK_GET_NEXT_ID: 31,
  ENABLE_STATS: 32,
  ITER_CREATE: 33,
  LINK_DETACH: 34,
  PROG_BIND_MAP: 35,
  TOKEN_CREATE: 36,
} as const;
export type BpfCmdName = keyof typeof BpfCmd;

/** Map types, `enum bpf_map_type`, keyed by the kernel name without `BPF_MAP_TYPE_`, lower case. */
export const MapType = {
  unspec: 0,
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  stack_trace: 7,
  cgroup_array: 8,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  cgroup_storage: 19,
  reuseport_sockarray: 20,
  percpu_cgroup_storage: 21,
  queue: 22,
  stack: 23,
  sk_storage: 24,
  devmap_hash: 25,
  struct_ops: 26,
  ringbuf: 27,
  inode_storage: 28,
  task_storage: 29,
  bloom_filter: 30,
  user_ringbuf: 31,
  cgrp_storage: 32,
  arena: 33,
} as const;
export type MapTypeName = keyof typeof MapType;

const mapTypeNames = new Map<number, MapTypeName>(
  Object.entries(MapType).map(([k, v]) => [v, k as MapTypeName]),
);

/** The lower-case name of a map type number, or `undefined` for numbers this library does not know. */
export function mapTypeName(type: number): MapTypeName | undefined {
  return mapTypeNames.get(type);
}

/** Resolve a map type name or number to its number. Unknown numbers pass through. Throws `RangeError` for unknown names. */
export function mapTypeNumber(type: MapTypeName | string | number): number {
  if (typeof type === 'number') return type;
  const n = (MapType as Record<string, number>)[type.toLowerCase().replace(/^bpf_map_type_/, '')];
  if (n === undefined) throw new RangeError(`unknown map type '${type}': expected one of ${Object.keys(MapType).join(', ')} or a number`);
  return n;
}

/** Per-CPU map types: values are one slot per possible CPU, each padded to 8 bytes. */
export const PERCPU_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.percpu_hash, MapType.percpu_array, MapType.lru_percpu_hash, MapType.percpu_cgroup_storage,
]);

/** Map types whose user-space API has no key (keySize 0): push/pop/peek. */
export const KEYLESS_MAP_TYPES: ReadonlySet<number> = new Set([MapType.queue, MapType.stack, MapType.bloom_filter]);

/**
 * Map types created without BTF even when their declaration has it: the kernel
 * refuses btf_key/value_type_id for them (fd-holding and keyless maps), so
 * libbpf leaves btf_fd at 0 for these (bpf_object__create_map()).
 */
export const NO_BTF_MAP_TYPES: ReadonlySet<number> = new Set([
  MapType.perf_event_array, MapType.cgroup_array, MapType.stack_trace, MapType.array_of_maps, MapType.hash_of_maps,
  MapType.devmap, MapType.devmap_hash, MapType.cpumap, MapType.xskmap, MapType.sockmap, MapType.sockhash,
  MapType.queue, MapType.stack, MapType.arena,
]);

/** Map creation flags, `BPF_F_*` accepted by BPF_MAP_CREATE. */
export const MapFlags = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
  LINK: 1 << 13,
  PATH_FD: 1 << 14,
  VTYPE_BTF_OBJ_FD: 1 << 15,
  TOKEN_FD: 1 << 16,
  SEGV_ON_FAULT: 1 << 17,
  NO_USER_CONV: 1 << 18,
} as const;

/** Element update flags for UPDATE_ELEM / UPDATE_BATCH and lookup flags. */
export const ElemFlags = {
  ANY: 0,
  NOEXIST: 1,
  EXIST: 2,
  LOCK: 4,
} as const;

/** Object types returned in info records and accepted by OBJ_GET file_flags. */
export const ObjFileFlags = { RDONLY: 1 << 3, WRONLY: 1 << 4 } as const;
