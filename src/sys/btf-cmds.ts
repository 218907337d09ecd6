/**
 * The bpf(2) BTF commands: BPF_BTF_LOAD, BPF_BTF_GET_FD_BY_ID,
 * BPF_BTF_GET_NEXT_ID and BPF_OBJ_GET_INFO_BY_FD on a BTF fd. Layouts from
 * include/uapi/linux/bpf.h (union bpf_attr, struct bpf_btf_info).
 */
import { Attr, bpf, bpfError, cString } from './bpf.js';
import { BpfCmd } from './constants.js';
import { BpfError, EbpfError, InvalidArgumentError } from './errors.js';
import { native } from './native.js';

/**
 * BPF_BTF_LOAD attr (40 bytes):
 *
 *   0 btf (ptr) | 8 btf_log_buf (ptr) | 16 btf_size | 20 btf_log_size
 *  24 btf_log_level | 28 btf_log_true_size (out, 6.4+) | 32 btf_flags | 36 btf_token_fd
 */
const BTF_LOAD_ATTR_SIZE = 40;

/** Default verifier-log buffer when a log is requested (the kernel caps it at UINT_MAX >> 2). */
const DEFAULT_LOG_SIZE = 1 << 20;

export interface BtfLoadOptions {
  /** 0: no log unless loading fails (then retried with level 1); 1: errors; 2: verbose. */
  readonly logLevel?: number;
  /** Log buffer size in bytes (default 1 MiB). */
  readonly logSize?: number;
  /** BPF token fd (Linux 6.9+). */
  readonly tokenFd?: number;
}

/** BTF_LOAD failed: the kernel's BTF verifier log explains why. */
export class BtfLoadError extends BpfError {
  /** The kernel's log, possibly truncated. */
  readonly log: string;
  constructor(errno: number, log: string) {
    super(errno, 'BPF_BTF_LOAD');
    this.log = log;
    const lines = log.trim().split('\n');
    if (log.trim()) this.message += `: ${lines.slice(-3).join(' | ')}`;
  }
}

/**
 * Load raw BTF (host byte order) into the kernel; returns the BTF fd, which
 * the caller must close. With `logLevel` 0 a failure is retried once with
 * level 1 so the error carries the kernel's reason.
 * Throws `BtfLoadError` (with `.log`) when the kernel rejects the BTF;
 * `PermissionError` without CAP_BPF. Linux 4.18+.
 */
export function btfLoad(btf: Uint8Array, options: BtfLoadOptions = {}): number {
  const level = options.logLevel ?? 0;
  if (!Number.isInteger(level) || level < 0 || level > 2) throw new InvalidArgumentError(`BTF log level ${level}: expected 0, 1 or 2`);
  // A fresh ArrayBuffer is off-heap with a stable address while the call runs.
  const data = new Uint8Array(new ArrayBuffer(btf.byteLength));
  data.set(btf);
  const attempt = (logLevel: number): { fd: number; log: string } => {
    const logSize = logLevel > 0 ? options.logSize ?? DEFAULT_LOG_SIZE : 0;
    const log = logSize > 0 ? new Uint8Array(new ArrayBuffer(logSize)) : null;
    const attr = new Attr(BTF_LOAD_ATTR_SIZE)
      .u32(16, btf.byteLength).u32(20, logSize).u32(24, logLevel);
    if (options.tokenFd !== undefined) attr.u32(32, 1 << 16 /* BPF_F_TOKEN_FD */).i32(36, options.tokenFd);
    const fd = bpf(BpfCmd.BTF_LOAD, attr.bytes, 0, data, 8, log);
    return { fd, log: log ? cString(log, 0, log.length) : '' };
  };
  let r = attempt(level);
  if (r.fd < 0 && level === 0 && r.fd !== -1 && r.fd !== -13) {
    const retry = attempt(1);
    if (retry.fd >= 0) return retry.fd; // not expected, but then the BTF loaded
    r = retry;
  }
  if (r.fd === -1 || r.fd === -13) throw bpfError(-r.fd, BpfCmd.BTF_LOAD);
  if (r.fd < 0) throw new BtfLoadError(-r.fd, r.log);
  return r.fd;
}

/** BPF_BTF_GET_FD_BY_ID (Linux 4.18+): an fd for a loaded BTF object. Throws `BpfError` (ENOENT for unknown ids). */
export function btfGetFdById(id: number): number {
  const r = bpf(BpfCmd.BTF_GET_FD_BY_ID, new Attr(16).u32(0, id).bytes);
  if (r < 0) throw bpfError(-r, BpfCmd.BTF_GET_FD_BY_ID, `id ${id}`);
  return r;
}

/** BPF_BTF_GET_NEXT_ID (Linux 5.4+): the next loaded BTF id after `startId`, or undefined at the end. Throws `BpfError` otherwise. */
export function btfGetNextId(startId: number): number | undefined {
  const attr = new Attr(16).u32(0, startId);
  const r = bpf(BpfCmd.BTF_GET_NEXT_ID, attr.bytes);
  if (r === -2 /* ENOENT */) return undefined;
  if (r < 0) throw bpfError(-r, BpfCmd.BTF_GET_NEXT_ID);
  return attr.getU32(4);
}

/** Every loaded BTF id, ascending (vmlinux, modules, programs' and maps' BTF). Throws `BpfError`. */
export function btfIds(): number[] {
  const ids: number[] = [];
  // Bounded: ids strictly increase, and there cannot be more than 2^31 of them.
  for (let id = btfGetNextId(0); id !== undefined; id = btfGetNextId(id)) ids.push(id);
  return ids;
}

/** `struct bpf_btf_info` (Linux 4.18+; name and kernel_btf 5.11+). */
export interface BtfInfo {
  readonly id: number;
  /** Raw BTF size in bytes. */
  readonly size: number;
  /** `vmlinux`, a module name, or `''` for BTF loaded by programs. */
  readonly name: string;
  /** True for vmlinux and module BTF. */
  readonly kernelBtf: boolean;
}

/**
 * struct bpf_btf_info (32 bytes):
 *   0 btf (ptr) | 8 btf_size | 12 id | 16 name (ptr) | 24 name_len | 28 kernel_btf
 */
const BTF_INFO_SIZE = 32;
const NAME_BUF_SIZE = 64; // MODULE_NAME_LEN (56) plus room

function infoCall(fd: number, data: Uint8Array | null): { info: Attr; name: Uint8Array } {
  const n = native();
  const info = new Attr(BTF_INFO_SIZE);
  const name = new Uint8Array(new ArrayBuffer(NAME_BUF_SIZE));
  if (data) info.u64(0, n.addressOf(data)).u32(8, data.byteLength);
  info.u64(16, n.addressOf(name)).u32(24, NAME_BUF_SIZE);
  const attr = new Attr(16).u32(0, fd).u32(4, BTF_INFO_SIZE);
  const r = bpf(BpfCmd.OBJ_GET_INFO_BY_FD, attr.bytes, 8, info.bytes);
  if (r < 0) throw bpfError(-r, BpfCmd.OBJ_GET_INFO_BY_FD, `btf fd ${fd}`);
  return { info, name };
}

/** Info of a loaded BTF object by fd. Throws `BpfError` (EBADF, EINVAL for a non-BTF fd). Linux 4.18+. */
export function btfInfoByFd(fd: number): BtfInfo {
  const { info, name } = infoCall(fd, null);
  return { size: info.getU32(8), id: info.getU32(12), name: cString(name, 0, NAME_BUF_SIZE), kernelBtf: info.getU32(28) !== 0 };
}

/**
 * The raw bytes of a loaded BTF object (what was loaded, or vmlinux/module
 * BTF as the kernel holds it) plus its info. Throws `BpfError`, or
 * `EbpfError` ('ECHANGED') if the size changed between the two calls.
 */
export function btfRawByFd(fd: number): { info: BtfInfo; bytes: Uint8Array } {
  const first = btfInfoByFd(fd);
  const data = new Uint8Array(new ArrayBuffer(first.size));
  const { info } = infoCall(fd, data);
  if (info.getU32(8) !== first.size) throw new EbpfError('ECHANGED', `btf fd ${fd}: size changed from ${first.size} to ${info.getU32(8)} while reading`);
  return { info: first, bytes: data };
}
