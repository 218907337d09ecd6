/**
 * Loaded programs: `loadProgram(spec)` returns a `Program` that owns its fd.
 *
 *   using prog = loadProgram({ type: 'xdp', license: 'GPL', instructions: [asm.mov64Imm(0, 2), asm.exit()] });
 *   prog.testRun({ dataIn: new Uint8Array(64) }).retval; // 2 (XDP_PASS)
 */
import { release } from 'node:os';
import { encode, hostOrder, type Instruction } from '../asm/instruction.js';
import { bpfError } from '../sys/bpf.js';
import { BpfCmd } from '../sys/constants.js';
import { EbpfError, InvalidArgumentError, PermissionError } from '../sys/errors.js';
import { isOnBpffs, prepareBpffsPath } from '../sys/fs.js';
import { getFdById, objPin } from '../sys/map-cmds.js';
import { native } from '../sys/native.js';
import { ObjectInode, objectIds, openObjectWithInfo, type ObjectSelector } from '../sys/objects.js';
import { progGetInfo, progLoad, progTestRun, type ProgInfo, type TestRunInputs } from '../sys/prog-cmds.js';
import {
  AttachType, attachTypeNumber, ProgType, progTypeName, progTypeNumber, type AttachTypeName, type ProgTypeName,
} from '../sys/prog-types.js';
import { findAttachBtfId } from './attach-target.js';

export { VerifierError } from '../sys/prog-cmds.js';
export type { ProgInfo } from '../sys/prog-cmds.js';

/** What to load. Everything kernel-dependent happens in `loadProgram`. */
export interface ProgramLoadSpec {
  /** `'xdp'`, `'socket_filter'`, `'sched_cls'`, `'tracepoint'`, `'kprobe'`, `'raw_tracepoint'`, `'tracing'`, `'cgroup_skb'`, ... or the number. */
  readonly type: ProgTypeName | number;
  /** Instructions, or their encoding in host byte order. */
  readonly instructions: readonly Instruction[] | Uint8Array;
  /** License string; GPL-only helpers (bpf_trace_printk, perf output, ...) need a GPL-compatible one. Default `''`. */
  readonly license?: string;
  /** Up to 15 characters (BPF_OBJ_NAME_LEN - 1), letters, digits, `_` and `.`; longer names are truncated. */
  readonly name?: string;
  /** expected_attach_type (needed by tracing, cgroup_sock_addr, xdp devmap/cpumap programs, ...). */
  readonly attachType?: AttachTypeName | number;
  /**
   * For tracing (fentry/fexit/fmod_ret/tp_btf/iter) and lsm programs: the kernel
   * function or tracepoint name; its BTF id is looked up in vmlinux BTF.
   */
  readonly attachTo?: string;
  /** attach_btf_id, when already known (skips the `attachTo` lookup). */
  readonly attachBtfId?: number;
  /** attach_btf_obj_fd: a kernel module's BTF fd (Linux 5.11+). */
  readonly attachBtfObjFd?: number;
  /** attach_prog_fd: a BPF program to attach to (freplace, fentry on BPF). */
  readonly attachProgFd?: number;
  /** `BPF_F_*` load flags (`ProgLoadFlags`). */
  readonly flags?: number;
  /** kern_version; only Linux < 5.0 checks it, for kprobes. Defaults to the running kernel's version for kprobe programs. */
  readonly kernelVersion?: number;
  /** Device to offload to / bind to (prog_ifindex). */
  readonly ifindex?: number;
  /** The program's BTF (prog_btf_fd) with func_info / line_info records (Linux 5.0+). */
  readonly btf?: {
    readonly fd: number;
    readonly funcInfo?: Uint8Array;
    readonly funcInfoRecSize?: number;
    readonly lineInfo?: Uint8Array;
    readonly lineInfoRecSize?: number;
  };
  /** fd_array for BPF_PSEUDO_MAP_IDX references (Linux 5.14+). */
  readonly fdArray?: readonly number[];
  /** Verifier log level (1 normal, 2 verbose, 4 stats). 0 (default): a log is fetched only if loading fails. */
  readonly logLevel?: number;
  /** Initial verifier log buffer size (grown on demand). */
  readonly logSize?: number;
}

/** Options of `Program.testRun`. */
export interface TestRunOptions extends TestRunInputs {
  /** Size of the data_out buffer, or the buffer itself. Default: dataIn length + 512 (room for XDP head adjustments). */
  readonly dataOut?: number | Uint8Array;
  /** Size of the ctx_out buffer, or the buffer itself. Default: ctxIn's length when ctxIn is given. */
  readonly ctxOut?: number | Uint8Array;
}

export interface TestRunResult {
  /** The program's return value (r0), as u32. */
  readonly retval: number;
  /** The output data (trimmed to what the kernel wrote). */
  readonly dataOut: Uint8Array;
  /** The output context (trimmed), empty without ctxIn/ctxOut. */
  readonly ctxOut: Uint8Array;
  /** Average run time in ns. */
  readonly duration: number;
}

const closer = new FinalizationRegistry<number>((fd) => { native().close(fd); });

/** A loaded program. Owns its fd: `close()` (or `using`) releases it; links and pins keep the program alive in the kernel. */
export class Program implements Disposable {
  #fd: number;
  /** Program type number. */
  readonly type: number;
  /** Name as given at load (the kernel keeps 15 characters). */
  readonly name: string;
  /** expected_attach_type given at load, when known (tracing and cgroup links need it). */
  readonly attachType: number | undefined;

  /** Wrap an existing program fd; the `Program` takes ownership. */
  constructor(fd: number, type: number, name: string, attachType?: number) {
    this.#fd = fd;
    this.type = type;
    this.name = name;
    this.attachType = attachType;
    closer.register(this, fd, this);
  }

  /** The program fd. Throws `EbpfError` (`EBADF`) after close(). */
  get fd(): number {
    if (this.#fd < 0) throw new EbpfError('EBADF', `program ${this.name || ''}: used after close()`.replace('  ', ' '));
    return this.#fd;
  }

  /** True until close(). */
  get open(): boolean {
    return this.#fd >= 0;
  }

  /** Type name (`'xdp'`), or the number as a string for types newer than this library. */
  get typeName(): string {
    return progTypeName(this.type) ?? String(this.type);
  }

  /**
   * The kernel's view: id, tag, map ids, lengths, run stats. `xlated`/`jited`
   * also fetch the translated instructions / machine code. Throws `BpfError`.
   */
  info(options: { xlated?: boolean; jited?: boolean } = {}): ProgInfo {
    return progGetInfo(this.fd, options);
  }

  /** The kernel-assigned program id. */
  get id(): number {
    return this.info().id;
  }

  /**
   * Pin at `path` on bpffs (BPF_OBJ_PIN, Linux 4.4+); bpffs is mounted at
   * /sys/fs/bpf first if needed. The pin keeps the program loaded until unlinked.
   * Throws `BpfError` (EEXIST when the path exists, EPERM when not on bpffs).
   */
  pin(path: string): void {
    prepareBpffsPath(path);
    const r = objPin(this.fd, path);
    // EPERM for a path outside bpffs is not about capabilities (fs/bpf/inode.c, bpf_obj_do_pin).
    if (r === -1 && !isOnBpffs(path)) throw new InvalidArgumentError(`pin path ${path} is not on a bpffs mount (mount one, e.g. at /sys/fs/bpf)`);
    if (r < 0) throw bpfError(-r, BpfCmd.OBJ_PIN, path);
  }

  /**
   * BPF_PROG_TEST_RUN (Linux 4.12+; only some program types: socket filters,
   * tc, xdp, cgroup_skb, flow dissector, raw_tracepoint (5.10+), tracing, syscall...).
   * Throws `BpfError` (ENOTSUPP for types without test runs, ENOSPC when dataOut is too small).
   */
  testRun(options: TestRunOptions = {}): TestRunResult {
    const dataOut = buffer(options.dataOut, options.dataIn ? options.dataIn.byteLength + 512 : 0);
    const ctxOut = buffer(options.ctxOut, options.ctxIn?.byteLength ?? 0);
    const r = progTestRun({
      progFd: this.fd, dataIn: options.dataIn, dataOut: dataOut?.byteLength ? dataOut : undefined,
      ctxIn: options.ctxIn, ctxOut: ctxOut?.byteLength ? ctxOut : undefined,
      repeat: options.repeat, flags: options.flags, cpu: options.cpu, batchSize: options.batchSize,
    });
    if (r.errno) throw bpfError(r.errno, BpfCmd.PROG_TEST_RUN, `output needs ${r.dataSizeOut} bytes of data_out and ${r.ctxSizeOut} of ctx_out`);
    return {
      retval: r.retval,
      dataOut: dataOut ? dataOut.subarray(0, Math.min(r.dataSizeOut, dataOut.byteLength)) : new Uint8Array(0),
      ctxOut: ctxOut ? ctxOut.subarray(0, Math.min(r.ctxSizeOut, ctxOut.byteLength)) : new Uint8Array(0),
      duration: r.duration,
    };
  }

  /** A second `Program` over a dup of the fd (independent lifetime). Throws `BpfError`. */
  clone(): Program {
    const fd = native().dup(this.fd);
    if (fd < 0) throw bpfError(-fd, 'dup', `program fd ${this.fd}`);
    return new Program(fd, this.type, this.name, this.attachType);
  }

  /** Close the fd (idempotent). The program stays loaded while links, pins or other fds refer to it. */
  close(): void {
    if (this.#fd < 0) return;
    closer.unregister(this);
    native().close(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function buffer(b: number | Uint8Array | undefined, dflt: number): Uint8Array | undefined {
  if (b instanceof Uint8Array) return b;
  const n = b ?? dflt;
  if (!Number.isInteger(n) || n < 0 || n > 1 << 30) throw new InvalidArgumentError(`output buffer size ${n}: expected an integer from 0 to 2^30`);
  return n ? new Uint8Array(n) : undefined;
}

/** LINUX_VERSION_CODE of the running kernel (release 6.18.44 → 0x0612ff; sublevel capped at 255 as the kernel does). */
export function kernelVersionCode(): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release());
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
}

const NAME_RE = /[^A-Za-z0-9_.]/g;

/**
 * Load a program (BPF_PROG_LOAD). Throws `VerifierError` (with `.log` lines)
 * when the verifier rejects it, `PermissionError` without CAP_BPF/CAP_SYS_ADMIN,
 * `InvalidArgumentError` for bad specs, `EbpfError` ENOENT when `attachTo`
 * names nothing in kernel BTF, `BpfError` for other kernel errors.
 * Linux 3.18+ (socket filters); each program type has its own minimum version.
 */
export function loadProgram(spec: ProgramLoadSpec): Program {
  const type = progTypeNumber(spec.type);
  const insns = spec.instructions instanceof Uint8Array ? spec.instructions : encode(spec.instructions, hostOrder());
  if (insns.byteLength === 0) throw new InvalidArgumentError('program has no instructions');
  const attachType = spec.attachType === undefined ? undefined : attachTypeNumber(spec.attachType);
  let attachBtfId = spec.attachBtfId;
  if (attachBtfId === undefined && spec.attachTo && needsBtfTarget(type) && spec.attachProgFd === undefined) {
    if (attachType === undefined && type === ProgType.tracing) throw new InvalidArgumentError(`tracing program '${spec.name ?? ''}': attachType is required (trace_fentry, trace_fexit, modify_return, trace_raw_tp or trace_iter)`);
    attachBtfId = findAttachBtfId(type, attachType ?? 0, spec.attachTo);
  }
  // The kernel rejects names with other characters (kernel/bpf/syscall.c, bpf_obj_name_cpy).
  const name = (spec.name ?? '').replace(NAME_RE, '_').slice(0, 15);
  const { fd } = withTrampolineHint(type, attachType, () => progLoad({
    progType: type,
    insns,
    license: spec.license ?? '',
    logLevel: spec.logLevel,
    logSize: spec.logSize,
    kernVersion: spec.kernelVersion ?? (type === ProgType.kprobe ? kernelVersionCode() : 0),
    progFlags: spec.flags,
    progName: name,
    progIfindex: spec.ifindex,
    expectedAttachType: attachType,
    progBtfFd: spec.btf?.fd,
    funcInfo: spec.btf?.funcInfo,
    funcInfoRecSize: spec.btf?.funcInfoRecSize,
    lineInfo: spec.btf?.lineInfo,
    lineInfoRecSize: spec.btf?.lineInfoRecSize,
    attachBtfId,
    attachBtfObjFd: spec.attachBtfObjFd,
    attachProgFd: spec.attachProgFd,
    fdArray: spec.fdArray ? Int32Array.from(spec.fdArray) : undefined,
  }));
  return new Program(fd, type, spec.name ?? '', attachType);
}

/**
 * Like `loadProgram`, but also returns the verifier log (set `logLevel`, e.g. 1
 * or 4 for statistics). Same errors as `loadProgram`.
 */
export function loadProgramWithLog(spec: ProgramLoadSpec): { program: Program; log: readonly string[] } {
  const type = progTypeNumber(spec.type);
  const insns = spec.instructions instanceof Uint8Array ? spec.instructions : encode(spec.instructions, hostOrder());
  const attachType = spec.attachType === undefined ? undefined : attachTypeNumber(spec.attachType);
  const attachBtfId = spec.attachBtfId ?? (spec.attachTo && needsBtfTarget(type) ? findAttachBtfId(type, attachType ?? 0, spec.attachTo) : undefined);
  const { fd, log } = progLoad({
    progType: type, insns, license: spec.license ?? '', logLevel: spec.logLevel || 1, logSize: spec.logSize,
    kernVersion: spec.kernelVersion ?? (type === ProgType.kprobe ? kernelVersionCode() : 0), progFlags: spec.flags,
    progName: (spec.name ?? '').replace(NAME_RE, '_').slice(0, 15), progIfindex: spec.ifindex, expectedAttachType: attachType,
    progBtfFd: spec.btf?.fd, funcInfo: spec.btf?.funcInfo, funcInfoRecSize: spec.btf?.funcInfoRecSize,
    lineInfo: spec.btf?.lineInfo, lineInfoRecSize: spec.btf?.lineInfoRecSize, attachBtfId,
    attachBtfObjFd: spec.attachBtfObjFd, attachProgFd: spec.attachProgFd,
    fdArray: spec.fdArray ? Int32Array.from(spec.fdArray) : undefined,
  });
  return { program: new Program(fd, type, spec.name ?? '', attachType), log };
}

const TRAMPOLINE_ATTACH_TYPES = new Set<number>([AttachType.trace_fentry, AttachType.trace_fexit, AttachType.modify_return, AttachType.lsm_mac]);

/**
 * EPERM for root loading an fentry/fexit/fmod_ret/lsm program means the kernel
 * refused the BPF trampoline, not a missing capability: say so.
 */
function withTrampolineHint<T>(type: number, attachType: number | undefined, load: () => T): T {
  try {
    return load();
  } catch (e) {
    const trampoline = type === ProgType.lsm || (type === ProgType.tracing && attachType !== undefined && TRAMPOLINE_ATTACH_TYPES.has(attachType));
    if (trampoline && e instanceof PermissionError && e.code === 'EPERM' && process.getuid?.() === 0) {
      e.message += '; as root this usually means the kernel refuses BPF trampoline programs (fentry/fexit/fmod_ret/lsm): check the lockdown LSM (/sys/kernel/security/lockdown), CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS and, for lsm, that "bpf" is in the lsm= boot list; tp_btf, raw tracepoints and tracepoints do not need trampolines';
    }
    throw e;
  }
}

function needsBtfTarget(type: number): boolean {
  return type === ProgType.tracing || type === ProgType.lsm;
}

/**
 * Open an existing program by id (PROG_GET_FD_BY_ID, Linux 4.13+) or pin path
 * (BPF_OBJ_GET, 4.4+). Throws `BpfError` (ENOENT when missing), `InvalidArgumentError`
 * when the pinned object is not a program.
 */
export function openProgram(from: ObjectSelector): Program {
  // A pin may hold a map or link too; OBJ_GET_INFO_BY_FD would answer for those as well.
  const { fd, info } = openObjectWithInfo(from, BpfCmd.PROG_GET_FD_BY_ID, ObjectInode.prog, 'program', (f) => progGetInfo(f));
  return new Program(fd, info.type, info.name);
}

/** Ids of all loaded programs, in id order (PROG_GET_NEXT_ID, Linux 4.13+). Throws `BpfError`. */
export function programIds(): number[] {
  return objectIds(BpfCmd.PROG_GET_NEXT_ID);
}

/**
 * Info for every loaded program (skipping programs unloaded while listing).
 * Throws `BpfError` (EPERM without privileges).
 */
export function listPrograms(): ProgInfo[] {
  const out: ProgInfo[] = [];
  for (const id of programIds()) {
    const fd = getFdById(BpfCmd.PROG_GET_FD_BY_ID, id);
    if (fd === -2) continue;
    if (fd < 0) throw bpfError(-fd, BpfCmd.PROG_GET_FD_BY_ID, `id ${id}`);
    try {
      out.push(progGetInfo(fd));
    } finally {
      native().close(fd);
    }
  }
  return out;
}
