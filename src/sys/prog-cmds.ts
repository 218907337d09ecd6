/**
 * bpf(2) program commands: PROG_LOAD, PROG_TEST_RUN, PROG_GET_NEXT_ID,
 * PROG_GET_FD_BY_ID, OBJ_GET_INFO_BY_FD (struct bpf_prog_info) and PROG_QUERY
 * (include/uapi/linux/bpf.h, Linux 6.18). Program and attach type numbers are in ./prog-types.ts.
 * Attr layouts were checked with offsetof() against the running kernel's BTF.
 */
import { Attr, bpf, bpfError, bpfOrThrow, cString, HOST_LE } from './bpf.js';
import { BpfCmd } from './constants.js';
import { BpfError, InvalidArgumentError } from './errors.js';
import { objGetInfoByFd } from './map-cmds.js';
import { native } from './native.js';

/** `BPF_F_*` program load flags (prog_flags). */
export const ProgLoadFlags = {
  STRICT_ALIGNMENT: 1 << 0, ANY_ALIGNMENT: 1 << 1, TEST_RND_HI32: 1 << 2, TEST_STATE_FREQ: 1 << 3,
  SLEEPABLE: 1 << 4, XDP_HAS_FRAGS: 1 << 5, XDP_DEV_BOUND_ONLY: 1 << 6, TEST_REG_INVARIANTS: 1 << 7,
} as const;

/**
 * The verifier rejected a program. `log` holds the verifier output as lines;
 * the message ends with its last lines (where the reason is). `code` is the errno name.
 */
export class VerifierError extends BpfError {
  readonly log: readonly string[];
  /** True when the log buffer was too small even at the maximum size. */
  readonly truncated: boolean;
  constructor(errno: number, detail: string | undefined, log: readonly string[], truncated = false) {
    super(errno, 'BPF_PROG_LOAD', detail);
    this.log = log;
    this.truncated = truncated;
    const tail = log.filter((l) => l.trim() !== '').slice(-4);
    this.message = `BPF_PROG_LOAD${detail ? ` (${detail})` : ''}: program rejected by the verifier (${this.code})`;
    if (tail.length) this.message += `: verifier log tail:\n  ${tail.join('\n  ')}${truncated ? '\n  (log truncated)' : ''}`;
  }
}

/** Inputs of BPF_PROG_LOAD. Field names follow `union bpf_attr`. */
export interface ProgLoadAttr {
  readonly progType: number;
  /** Encoded instructions (host byte order), 8 bytes per slot. */
  readonly insns: Uint8Array;
  readonly license: string;
  /** 0: no log unless loading fails (then retried with 1). 1: verifier log, 2: verbose, 4: stats (bit flags). */
  readonly logLevel?: number;
  /** Initial log buffer size; grown on ENOSPC up to `logSizeMax`. Default 64 KiB. */
  readonly logSize?: number;
  /** Largest log buffer to try. Default 64 MiB (the kernel accepts up to UINT32_MAX >> 2 since 5.2). */
  readonly logSizeMax?: number;
  readonly kernVersion?: number;
  readonly progFlags?: number;
  readonly progName?: string;
  readonly progIfindex?: number;
  readonly expectedAttachType?: number;
  readonly progBtfFd?: number;
  readonly funcInfo?: Uint8Array;
  readonly funcInfoRecSize?: number;
  readonly lineInfo?: Uint8Array;
  readonly lineInfoRecSize?: number;
  readonly attachBtfId?: number;
  /** BTF object fd (kernel module BTF) for attach_btf_id, Linux 5.11+. Shares the field with `attachProgFd`. */
  readonly attachBtfObjFd?: number;
  /** Target program for freplace/fentry on a BPF program. */
  readonly attachProgFd?: number;
  /** Map/BTF fds referenced by index from instructions (BPF_PSEUDO_MAP_IDX), Linux 5.14+. */
  readonly fdArray?: Int32Array;
  readonly tokenFd?: number;
}

export interface ProgLoadResult {
  readonly fd: number;
  /** Verifier log lines when a log was requested (logLevel > 0), else empty. */
  readonly log: readonly string[];
}

const PROG_LOAD_ATTR_SIZE = 152;
const ENOSPC = 28;
const EINTR = 4;

function splitLog(buf: Uint8Array): string[] {
  const text = cString(buf, 0, buf.byteLength);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * BPF_PROG_LOAD. With `logLevel` 0 the program is loaded without a log (fast
 * path) and, only if that fails, loaded again with log level 1 to explain why.
 * A log buffer that is too small (ENOSPC; Linux 6.4+ also reports the size it
 * needs in log_true_size) is grown and the load retried.
 *
 * Throws `VerifierError` when the kernel rejects the program with a log,
 * `PermissionError` for EPERM/EACCES, `BpfError` otherwise.
 */
export function progLoad(a: ProgLoadAttr): ProgLoadResult {
  if (a.insns.byteLength === 0 || a.insns.byteLength % 8 !== 0) throw new InvalidArgumentError(`program of ${a.insns.byteLength} bytes: expected a non-empty multiple of 8 bytes`);
  const license = new TextEncoder().encode(a.license + '\0');
  const requested = a.logLevel ?? 0;
  const maxSize = a.logSizeMax ?? 64 << 20;
  let logSize = requested ? Math.max(a.logSize ?? 64 * 1024, 1024) : 0;
  let level = requested;
  for (;;) {
    const log = logSize ? new Uint8Array(new ArrayBuffer(logSize)) : null;
    const attr = encodeProgLoad(a, level, logSize);
    // The addon patches at most five pointers per call: set the optional ones here (the buffers stay referenced by `a`).
    if (a.funcInfo) attr.u64(80, nativeAddress(a.funcInfo));
    if (a.lineInfo) attr.u64(96, nativeAddress(a.lineInfo));
    if (a.fdArray) attr.u64(120, nativeAddress(a.fdArray));
    const r = bpf(BpfCmd.PROG_LOAD, attr.bytes, 8, a.insns, 16, license, 32, log);
    if (r >= 0) return { fd: r, log: requested && log ? splitLog(log) : [] };
    const errno = -r;
    if (errno === 1 || errno === 13) {
      // EACCES is also how the verifier rejects unsafe programs (kernel/bpf/verifier.c):
      // with a log, that is a verifier error; without, ask again with a log.
      if (errno === 13 && log) throw new VerifierError(errno, a.progName, splitLog(log));
      if (errno === 13 && !log) { level = 1; logSize = 64 * 1024; continue; }
      throw bpfError(errno, BpfCmd.PROG_LOAD, a.progName);
    }
    if (!log) {
      // Load failed without a log: retry once with one to explain the failure.
      level = 1;
      logSize = 64 * 1024;
      continue;
    }
    if (errno === ENOSPC) {
      if (logSize >= maxSize) throw new VerifierError(errno, a.progName, splitLog(log), true);
      const trueSize = attr.getU32(140);
      logSize = Math.min(maxSize, Math.max(trueSize > logSize ? trueSize : 0, logSize * 4));
      continue;
    }
    const lines = splitLog(log);
    if (lines.length === 0) throw bpfError(errno, BpfCmd.PROG_LOAD, a.progName);
    throw new VerifierError(errno, a.progName, lines);
  }
}

function encodeProgLoad(a: ProgLoadAttr, logLevel: number, logSize: number): Attr {
  const attr = new Attr(PROG_LOAD_ATTR_SIZE);
  attr.u32(0, a.progType).u32(4, a.insns.byteLength / 8);
  attr.u32(24, logLevel).u32(28, logSize);
  attr.u32(40, a.kernVersion ?? 0).u32(44, a.progFlags ?? 0);
  if (a.progName) attr.str(48, a.progName, 16);
  attr.u32(64, a.progIfindex ?? 0).u32(68, a.expectedAttachType ?? 0).u32(72, a.progBtfFd ?? 0);
  if (a.funcInfo) attr.u32(76, a.funcInfoRecSize ?? 8).u32(88, a.funcInfo.byteLength / (a.funcInfoRecSize ?? 8));
  if (a.lineInfo) attr.u32(92, a.lineInfoRecSize ?? 16).u32(104, a.lineInfo.byteLength / (a.lineInfoRecSize ?? 16));
  attr.u32(108, a.attachBtfId ?? 0).u32(112, a.attachProgFd ?? a.attachBtfObjFd ?? 0);
  if (a.tokenFd !== undefined) attr.i32(144, a.tokenFd);
  if (a.fdArray) attr.u32(148, 0); // fd_array_cnt stays 0: the array is only read at the indices instructions use
  return attr;
}

/** BPF_PROG_TEST_RUN inputs given as they are passed to the kernel (shared by `TestRunAttr` and `Program.testRun`'s options). */
export interface TestRunInputs {
  /** Packet or input data (data_in). */
  readonly dataIn?: Uint8Array;
  /** Context (e.g. struct __sk_buff, struct xdp_md) passed in (ctx_in), Linux 5.2+. */
  readonly ctxIn?: Uint8Array;
  /** Run this many times (duration is the average). 0 and 1 both mean once. */
  readonly repeat?: number;
  /** BPF_F_TEST_RUN_ON_CPU (1), BPF_F_TEST_XDP_LIVE_FRAMES (2), BPF_F_TEST_SKB_CHECKSUM_COMPLETE (4) (`TestRunFlags`), Linux 5.10+. */
  readonly flags?: number;
  /** CPU to run on with BPF_F_TEST_RUN_ON_CPU, Linux 5.10+. */
  readonly cpu?: number;
  /** Frames per batch with BPF_F_TEST_XDP_LIVE_FRAMES, Linux 5.18+. */
  readonly batchSize?: number;
}

/** Inputs of BPF_PROG_TEST_RUN. */
export interface TestRunAttr extends TestRunInputs {
  readonly progFd: number;
  /** Receives output data; its length is data_size_out. */
  readonly dataOut?: Uint8Array;
  readonly ctxOut?: Uint8Array;
}
export interface TestRunResult {
  readonly retval: number;
  /** Average run time per repetition in ns, as the kernel reports it. */
  readonly duration: number;
  /** Bytes the program left in data_out (can exceed dataOut's length: then the kernel returned ENOSPC). */
  readonly dataSizeOut: number;
  readonly ctxSizeOut: number;
}
/** `BPF_F_TEST_*` flags of PROG_TEST_RUN. */
export const TestRunFlags = { RUN_ON_CPU: 1, XDP_LIVE_FRAMES: 2, SKB_CHECKSUM_COMPLETE: 4 } as const;

/**
 * BPF_PROG_TEST_RUN (Linux 4.12+; ctx_in/out 5.2+, flags/cpu 5.10+, batch_size 5.18+).
 * Returns the result even when data_out was too small (ENOSPC) so callers can
 * retry with a larger buffer; throws `BpfError` otherwise.
 */
export function progTestRun(a: TestRunAttr): TestRunResult & { readonly errno: number } {
  const attr = new Attr(80);
  attr.u32(0, a.progFd).u32(8, a.dataIn?.byteLength ?? 0).u32(12, a.dataOut?.byteLength ?? 0);
  attr.u32(32, a.repeat ?? 0).u32(40, a.ctxIn?.byteLength ?? 0).u32(44, a.ctxOut?.byteLength ?? 0);
  attr.u32(64, a.flags ?? 0).u32(68, a.cpu ?? 0).u32(72, a.batchSize ?? 0);
  let r: number;
  // A pending signal interrupts long repeat loops with EINTR (net/bpf/test_run.c,
  // bpf_test_timer_continue): run again, as cilium/ebpf does. Bounded so a
  // signal storm cannot spin forever.
  let tries = 0;
  do {
    r = bpf(BpfCmd.PROG_TEST_RUN, attr.bytes, 16, a.dataIn ?? null, 24, a.dataOut ?? null, 48, a.ctxIn ?? null, 56, a.ctxOut ?? null);
  } while (r === -EINTR && ++tries < 100);
  if (r < 0 && r !== -ENOSPC) throw bpfError(-r, BpfCmd.PROG_TEST_RUN);
  return { retval: attr.getU32(4), duration: attr.getU32(36), dataSizeOut: attr.getU32(12), ctxSizeOut: attr.getU32(44), errno: r < 0 ? -r : 0 };
}

/** `struct bpf_prog_info`, decoded. */
export interface ProgInfo {
  readonly type: number;
  readonly id: number;
  /** The program tag (sha1 prefix of the instructions) as 16 hex digits, as bpftool prints it. */
  readonly tag: string;
  readonly jitedProgLen: number;
  readonly xlatedProgLen: number;
  /** Load time in ns since boot (CLOCK_BOOTTIME). */
  readonly loadTime: bigint;
  readonly createdByUid: number;
  readonly mapIds: readonly number[];
  readonly name: string;
  readonly ifindex: number;
  readonly gplCompatible: boolean;
  readonly netnsDev: bigint;
  readonly netnsIno: bigint;
  readonly nrJitedKsyms: number;
  readonly nrJitedFuncLens: number;
  readonly btfId: number;
  readonly nrFuncInfo: number;
  readonly nrLineInfo: number;
  /** Total run time and count, counted only while stats are enabled (sysctl kernel.bpf_stats_enabled or ENABLE_STATS). */
  readonly runTimeNs: bigint;
  readonly runCnt: bigint;
  readonly recursionMisses: bigint;
  readonly verifiedInsns: number;
  readonly attachBtfObjId: number;
  readonly attachBtfId: number;
  /** Translated instructions (only when asked for). */
  readonly xlated?: Uint8Array;
  /** JITed machine code (only when asked for). */
  readonly jited?: Uint8Array;
}

const PROG_INFO_SIZE = 232;

/**
 * OBJ_GET_INFO_BY_FD for a program, with its map ids and optionally its
 * translated and JITed code (two calls: sizes first, then the arrays).
 * Fields newer than the running kernel read as 0. Throws `BpfError`.
 */
export function progGetInfo(fd: number, options: { xlated?: boolean; jited?: boolean } = {}): ProgInfo {
  const first = new Uint8Array(new ArrayBuffer(PROG_INFO_SIZE));
  const r = objGetInfoByFd(fd, first);
  if (r < 0) throw bpfError(-r, BpfCmd.OBJ_GET_INFO_BY_FD, `program fd ${fd}`);
  const v = new DataView(first.buffer);
  const nrMaps = v.getUint32(52, HOST_LE);
  const xlatedLen = v.getUint32(20, HOST_LE);
  const jitedLen = v.getUint32(16, HOST_LE);
  const mapIds = new Uint32Array(nrMaps);
  const xlated = options.xlated && xlatedLen ? new Uint8Array(xlatedLen) : undefined;
  const jited = options.jited && jitedLen ? new Uint8Array(jitedLen) : undefined;
  let info = first;
  if (nrMaps || xlated || jited) {
    info = new Uint8Array(new ArrayBuffer(PROG_INFO_SIZE));
    const w = new DataView(info.buffer);
    w.setUint32(52, nrMaps, HOST_LE);
    w.setUint32(20, xlated ? xlatedLen : 0, HOST_LE);
    w.setUint32(16, jited ? jitedLen : 0, HOST_LE);
    const attr = new Attr(16).u32(0, fd).u32(4, PROG_INFO_SIZE).u64(8, 0);
    // Patch the array pointers into the info struct itself: the kernel reads them from there.
    const n = nativeAddress;
    if (nrMaps) w.setBigUint64(56, n(mapIds), HOST_LE);
    if (xlated) w.setBigUint64(32, n(xlated), HOST_LE);
    if (jited) w.setBigUint64(24, n(jited), HOST_LE);
    bpfOrThrow(BpfCmd.OBJ_GET_INFO_BY_FD, attr.bytes, `program fd ${fd}`, 8, info);
  }
  return decodeProgInfo(info, Array.from(mapIds.subarray(0, Math.min(nrMaps, new DataView(info.buffer).getUint32(52, HOST_LE)))), xlated, jited);
}

function nativeAddress(buf: ArrayBufferView): bigint {
  return native().addressOf(buf);
}

function decodeProgInfo(info: Uint8Array, mapIds: number[], xlated?: Uint8Array, jited?: Uint8Array): ProgInfo {
  const v = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const u32 = (o: number) => v.getUint32(o, HOST_LE);
  const u64 = (o: number) => v.getBigUint64(o, HOST_LE);
  let tag = '';
  for (let i = 8; i < 16; i++) tag += info[i]!.toString(16).padStart(2, '0');
  return {
    type: u32(0), id: u32(4), tag, jitedProgLen: u32(16), xlatedProgLen: u32(20), loadTime: u64(40),
    createdByUid: u32(48), mapIds, name: cString(info, 64, 16), ifindex: u32(80), gplCompatible: (u32(84) & 1) === 1,
    netnsDev: u64(88), netnsIno: u64(96), nrJitedKsyms: u32(104), nrJitedFuncLens: u32(108), btfId: u32(128),
    nrFuncInfo: u32(144), nrLineInfo: u32(148), runTimeNs: u64(192), runCnt: u64(200), recursionMisses: u64(208),
    verifiedInsns: u32(216), attachBtfObjId: u32(220), attachBtfId: u32(224),
    ...(xlated ? { xlated } : {}), ...(jited ? { jited } : {}),
  };
}

/** `BPF_F_QUERY_EFFECTIVE`: include programs inherited from parent cgroups. */
export const QUERY_EFFECTIVE = 1;

export interface ProgQueryResult {
  readonly attachFlags: number;
  readonly progIds: readonly number[];
  /** Link ids parallel to progIds (0 when attached without a link), Linux 6.6+ (tcx/netkit). */
  readonly linkIds: readonly number[];
  /** Attachment revision (tcx/netkit, Linux 6.6+), 0 elsewhere. */
  readonly revision: bigint;
}

/**
 * BPF_PROG_QUERY (Linux 4.15+): programs attached to a cgroup fd, or to an
 * ifindex for tcx/netkit/xdp-less hooks. Retries when more programs got attached meanwhile.
 * Throws `BpfError`.
 */
export function progQuery(target: number, attachType: number, queryFlags = 0): ProgQueryResult {
  let cap = 64;
  for (;;) {
    const ids = new Uint32Array(cap);
    const links = new Uint32Array(cap);
    const attr = new Attr(64).u32(0, target).u32(4, attachType).u32(8, queryFlags).u32(24, cap);
    let r = bpf(BpfCmd.PROG_QUERY, attr.bytes, 16, ids, 40, links);
    if (r === -22 /* EINVAL: pre-6.6 kernels reject link_ids */) {
      const plain = new Attr(64).u32(0, target).u32(4, attachType).u32(8, queryFlags).u32(24, cap);
      r = bpf(BpfCmd.PROG_QUERY, plain.bytes, 16, ids);
      if (r < 0 && r !== -ENOSPC) throw bpfError(-r, BpfCmd.PROG_QUERY);
      const n = plain.getU32(24);
      if (r === -ENOSPC) { cap = n; continue; }
      return { attachFlags: plain.getU32(12), progIds: Array.from(ids.subarray(0, n)), linkIds: [], revision: 0n };
    }
    const n = attr.getU32(24);
    if (r === -ENOSPC && n > cap) { cap = n; continue; }
    if (r < 0) throw bpfError(-r, BpfCmd.PROG_QUERY);
    return { attachFlags: attr.getU32(12), progIds: Array.from(ids.subarray(0, n)), linkIds: Array.from(links.subarray(0, n)), revision: attr.getU64(56) };
  }
}
