/**
 * Encoders for the bpf(2) map commands, one per command, each sending its own
 * struct size. Layouts from include/uapi/linux/bpf.h (union bpf_attr).
 *
 * Every function returns the raw result (fd, 0, or -errno) unless its name ends
 * in `OrThrow`; callers decide what an errno means.
 */
import { Attr, bpf, bpfOrThrow, cString, HOST_LE, RegisteredAttr } from './bpf.js';
import { BpfCmd } from './constants.js';

/**
 * BPF_MAP_CREATE attr (80 bytes):
 *
 *   0 map_type   4 key_size   8 value_size   12 max_entries
 *  16 map_flags 20 inner_map_fd 24 numa_node 28 map_name[16]
 *  44 map_ifindex 48 btf_fd 52 btf_key_type_id 56 btf_value_type_id
 *  60 btf_vmlinux_value_type_id 64 map_extra (u64) 72 value_type_btf_obj_fd 76 map_token_fd
 */
export interface MapCreateAttr {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  innerMapFd?: number;
  numaNode?: number;
  name?: string;
  ifindex?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
  mapExtra?: bigint | number;
  valueTypeBtfObjFd?: number;
  tokenFd?: number;
}

export const MAP_CREATE_ATTR_SIZE = 80;

/** BPF_MAP_CREATE: returns the new fd or -errno. Linux 3.18+ (fields added over time: name 4.15, btf 4.18, map_extra 5.16). */
export function mapCreate(a: MapCreateAttr): number {
  const attr = new Attr(MAP_CREATE_ATTR_SIZE)
    .u32(0, a.type).u32(4, a.keySize).u32(8, a.valueSize).u32(12, a.maxEntries)
    .u32(16, a.flags ?? 0).u32(20, a.innerMapFd ?? 0).u32(24, a.numaNode ?? 0)
    .str(28, a.name ?? '', 16)
    .u32(44, a.ifindex ?? 0).u32(48, a.btfFd ?? 0).u32(52, a.btfKeyTypeId ?? 0).u32(56, a.btfValueTypeId ?? 0)
    .u32(60, a.btfVmlinuxValueTypeId ?? 0).u64(64, a.mapExtra ?? 0)
    .i32(72, a.valueTypeBtfObjFd ?? 0).i32(76, a.tokenFd ?? 0);
  return bpf(BpfCmd.MAP_CREATE, attr.bytes);
}

/**
 * Element command attr (32 bytes), shared by LOOKUP/UPDATE/DELETE/GET_NEXT_KEY/
 * LOOKUP_AND_DELETE and FREEZE:
 *
 *   0 map_fd (u32) | 4 pad | 8 key (ptr) | 16 value / next_key (ptr) | 24 flags (u64)
 */
export const ELEM_ATTR_SIZE = 32;
export const ELEM_OFF = { fd: 0, key: 8, value: 16, flags: 24 } as const;

/**
 * A reusable element attr bound to fixed key/value buffers: the addresses are
 * written once, so each call is a single bpf(cmd, attr) with no patching.
 * Used on the hot path by the kernel map backend.
 */
export class ElemAttr {
  readonly attr: Attr;
  readonly registered: RegisteredAttr;
  constructor(fd: number, key: Uint8Array | null, value: Uint8Array | null, addressOf: (b: Uint8Array) => bigint, backing?: Uint8Array) {
    this.attr = new Attr(ELEM_ATTR_SIZE, backing).u32(ELEM_OFF.fd, fd);
    this.attr.u64(ELEM_OFF.key, key && key.byteLength > 0 ? addressOf(key) : 0n);
    this.attr.u64(ELEM_OFF.value, value && value.byteLength > 0 ? addressOf(value) : 0n);
    this.registered = new RegisteredAttr(this.attr.bytes);
  }
  /** Issue `cmd` with this attr. */
  call(cmd: number): number {
    return this.registered.call(cmd);
  }
  setFlags(flags: number): void {
    // Flags fit in 32 bits today; write the high half as zero.
    this.attr.view.setUint32(ELEM_OFF.flags, flags >>> 0, HOST_LE);
    this.attr.view.setUint32(ELEM_OFF.flags + 4, 0, HOST_LE);
  }
  setKeyPointer(address: bigint): void {
    this.attr.u64(ELEM_OFF.key, address);
  }
}

/**
 * Batch attr (56 bytes):
 *
 *   0 in_batch | 8 out_batch | 16 keys | 24 values | 32 count (u32) | 36 map_fd (u32)
 *  40 elem_flags (u64) | 48 flags (u64)
 */
export const BATCH_ATTR_SIZE = 56;
export const BATCH_OFF = { inBatch: 0, outBatch: 8, keys: 16, values: 24, count: 32, fd: 36, elemFlags: 40, flags: 48 } as const;

/** One BPF_MAP_*_BATCH call (Linux 5.6+). Returns { result: 0 | -errno, count processed }. */
export function mapBatch(
  cmd: number, fd: number, inBatch: Uint8Array | null, outBatch: Uint8Array | null,
  keys: Uint8Array | null, values: Uint8Array | null, count: number, elemFlags: number, flags: number,
): { result: number; count: number } {
  const attr = new Attr(BATCH_ATTR_SIZE).u32(BATCH_OFF.count, count).u32(BATCH_OFF.fd, fd)
    .u64(BATCH_OFF.elemFlags, elemFlags).u64(BATCH_OFF.flags, flags);
  const result = bpf(cmd, attr.bytes,
    BATCH_OFF.inBatch, inBatch, BATCH_OFF.outBatch, outBatch, BATCH_OFF.keys, keys, BATCH_OFF.values, values);
  return { result, count: attr.getU32(BATCH_OFF.count) };
}

/** BPF_MAP_FREEZE (Linux 5.2+). */
export function mapFreeze(fd: number): number {
  return bpf(BpfCmd.MAP_FREEZE, new Attr(ELEM_ATTR_SIZE).u32(0, fd).bytes);
}

/** OBJ_PIN / OBJ_GET attr (24 bytes): 0 pathname (ptr) | 8 bpf_fd | 12 file_flags | 16 path_fd. */
function pathAttr(path: string, fd: number, fileFlags: number): { attr: Attr; path: Uint8Array } {
  const p = new TextEncoder().encode(path + '\0');
  const bytes = new Uint8Array(new ArrayBuffer(p.length));
  bytes.set(p);
  return { attr: new Attr(24).u32(8, fd).u32(12, fileFlags), path: bytes };
}

/** BPF_OBJ_PIN: pin any bpf object fd at a path on bpffs (Linux 4.4+). Returns 0 or -errno. */
export function objPin(fd: number, path: string): number {
  const { attr, path: p } = pathAttr(path, fd, 0);
  return bpf(BpfCmd.OBJ_PIN, attr.bytes, 0, p);
}

/** BPF_OBJ_GET: open a pinned object (Linux 4.4+). `fileFlags` BPF_F_RDONLY/WRONLY (4.15+). Returns fd or -errno. */
export function objGet(path: string, fileFlags = 0): number {
  const { attr, path: p } = pathAttr(path, 0, fileFlags);
  return bpf(BpfCmd.OBJ_GET, attr.bytes, 0, p);
}

/** *_GET_NEXT_ID (16 bytes: 0 start_id | 4 next_id). Returns the next id, or -errno (-ENOENT at the end). Linux 4.13+. */
export function getNextId(cmd: number, startId: number): number {
  const attr = new Attr(16).u32(0, startId);
  const r = bpf(cmd, attr.bytes);
  return r < 0 ? r : attr.getU32(4);
}

/** *_GET_FD_BY_ID (16 bytes: 0 id | 8 open_flags). Returns fd or -errno. Linux 4.13+. */
export function getFdById(cmd: number, id: number, openFlags = 0): number {
  return bpf(cmd, new Attr(16).u32(0, id).u32(8, openFlags).bytes);
}

/** OBJ_GET_INFO_BY_FD (16 bytes: 0 bpf_fd | 4 info_len | 8 info ptr). Fills `info`; returns the kernel's info_len or -errno. Linux 4.13+. */
export function objGetInfoByFd(fd: number, info: Uint8Array): number {
  const attr = new Attr(16).u32(0, fd).u32(4, info.byteLength);
  const r = bpf(BpfCmd.OBJ_GET_INFO_BY_FD, attr.bytes, 8, info);
  return r < 0 ? r : attr.getU32(4);
}

/** `struct bpf_map_info` as returned by the kernel (Linux 4.13+; btf fields 4.18+, map_extra 5.16+). */
export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  ifindex: number;
  btfVmlinuxValueTypeId: number;
  netnsDev: bigint;
  netnsIno: bigint;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  btfVmlinuxId: number;
  mapExtra: bigint;
}

export const MAP_INFO_SIZE = 88;

/** Read a map's info. Throws BpfError (EBADF, EINVAL for a non-map fd). */
export function mapInfoByFd(fd: number): MapInfo {
  const buf = new Uint8Array(new ArrayBuffer(MAP_INFO_SIZE));
  const attr = new Attr(16).u32(0, fd).u32(4, MAP_INFO_SIZE);
  bpfOrThrow(BpfCmd.OBJ_GET_INFO_BY_FD, attr.bytes, `map fd ${fd}`, 8, buf);
  const v = new DataView(buf.buffer);
  const u32 = (o: number) => v.getUint32(o, HOST_LE);
  const u64 = (o: number) => v.getBigUint64(o, HOST_LE);
  return {
    type: u32(0), id: u32(4), keySize: u32(8), valueSize: u32(12), maxEntries: u32(16), flags: u32(20),
    name: cString(buf, 24, 16), ifindex: u32(40), btfVmlinuxValueTypeId: u32(44),
    netnsDev: u64(48), netnsIno: u64(56), btfId: u32(64), btfKeyTypeId: u32(68), btfValueTypeId: u32(72),
    btfVmlinuxId: u32(76), mapExtra: u64(80),
  };
}
