/**
 * What a user asks for when creating a map. Specs are data: the same on every
 * machine; kernel-dependent work happens in `createMap`.
 */
import type { MapTypeName } from '../sys/constants.js';
import type { BtfSpec } from '../btf/types.js';
import type { TypeDecl } from '../codec/declared-types.js';

/** BTF describing a map's key and value, loaded into the kernel with the map (BTF_LOAD, Linux 4.18+). */
export interface MapBtf {
  readonly spec: BtfSpec;
  /** Type id of the key in `spec` (0 for none, e.g. queue/stack). */
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

export interface MapSpec {
  /** Kernel name without `BPF_MAP_TYPE_`, lower case (`'hash'`, `'percpu_array'`), or the number. */
  readonly type: MapTypeName | number;
  /** Bytes per key. Optional when `key` is a fixed-size type declaration. 0 for queue/stack/bloom_filter. */
  readonly keySize?: number;
  /** Bytes per value (one CPU's value for per-CPU maps). Optional when `value` is a type declaration. */
  readonly valueSize?: number;
  readonly maxEntries: number;
  /** `BPF_F_*` creation flags (see `MapFlags`). */
  readonly flags?: number;
  /** Up to 15 characters; longer names are truncated as the kernel does (BPF_OBJ_NAME_LEN). */
  readonly name?: string;
  /** For array_of_maps / hash_of_maps: a template spec (created then closed) or an existing map's fd holder. */
  readonly innerMap?: MapSpec | { readonly fd: number };
  readonly numaNode?: number;
  /** `map_extra`: bloom filter hash count (bits 0-3), arena start address. Linux 5.16+. */
  readonly mapExtra?: bigint | number;
  /** Device to offload to (rarely used). */
  readonly ifindex?: number;
  /** Typed keys: `'u32'`, `'u64'`, `{ bytes: 6 }`, `{ string: 16 }`, `{ struct: [...] }`, a Codec. */
  readonly key?: TypeDecl;
  /** Typed values, as `key`. */
  readonly value?: TypeDecl;
  /** BTF for key and value; the map is created with it and keys/values are typed from it. */
  readonly btf?: MapBtf;
}
