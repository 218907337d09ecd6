/**
 * perf_event_open(2) and the perf ioctls used to run BPF programs on
 * tracepoints/kprobes and to read BPF output (include/uapi/linux/perf_event.h).
 *
 * struct perf_event_attr, the part we write (PERF_ATTR_SIZE_VER5 = 112 bytes,
 * understood by Linux 4.1+; later kernels accept it as is):
 *    0 type u32 | 4 size u32 | 8 config u64 | 16 sample_period u64 | 24 sample_type u64
 *   32 read_format u64 | 40 flag bits u64 (bit 0 disabled, bit 14 watermark, ...)
 *   48 wakeup_events u32 | 52 bp_type u32 | 56 config1 u64 (kprobe_func) | 64 config2 u64 (probe_offset)
 */
import { bpfError, HOST_LE } from './bpf.js';
import { native } from './native.js';

export const PerfType = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, RAW: 4, BREAKPOINT: 5 } as const;
export const PerfCountSw = { CPU_CLOCK: 0, TASK_CLOCK: 1, DUMMY: 9, BPF_OUTPUT: 10 } as const;
export const PerfSample = { IP: 1 << 0, TID: 1 << 1, TIME: 1 << 2, RAW: 1 << 10 } as const;
/** perf_event_open flags. */
export const PerfFlag = { FD_NO_GROUP: 1, FD_OUTPUT: 2, PID_CGROUP: 4, FD_CLOEXEC: 8 } as const;
/** Record types in the mmap ring (struct perf_event_header.type). */
export const PerfRecord = { LOST: 2, SAMPLE: 9 } as const;

/** ioctl numbers: _IO('$', 0), _IO('$', 1), _IOW('$', 8, u32). */
export const PerfIoctl = { ENABLE: 0x2400, DISABLE: 0x2401, SET_BPF: 0x40042408 } as const;

const ATTR_SIZE = 112;

export interface PerfEventAttr {
  readonly type: number;
  readonly config?: bigint | number;
  readonly samplePeriod?: bigint | number;
  readonly sampleType?: bigint | number;
  readonly disabled?: boolean;
  /** `samplePeriod` is a frequency in Hz (the `freq` bit). */
  readonly frequency?: boolean;
  /** Wake up on `wakeupEvents` bytes instead of events (the `watermark` bit). */
  readonly watermark?: boolean;
  readonly wakeupEvents?: number;
  /** kprobe_func / uprobe_path: the string, passed by address in config1. */
  readonly config1String?: string;
  readonly config1?: bigint | number;
  /** probe_offset / bp_len. */
  readonly config2?: bigint | number;
}

/** Encode a perf_event_attr. `keepAlive` receives buffers whose addresses were written into it. */
export function encodePerfEventAttr(a: PerfEventAttr, keepAlive: Uint8Array[] = []): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(ATTR_SIZE));
  const v = new DataView(bytes.buffer);
  v.setUint32(0, a.type, HOST_LE);
  v.setUint32(4, ATTR_SIZE, HOST_LE);
  v.setBigUint64(8, BigInt(a.config ?? 0), HOST_LE);
  v.setBigUint64(16, BigInt(a.samplePeriod ?? 0), HOST_LE);
  v.setBigUint64(24, BigInt(a.sampleType ?? 0), HOST_LE);
  let bits = 0n;
  if (a.disabled) bits |= 1n;
  if (a.frequency) bits |= 1n << 10n;
  if (a.watermark) bits |= 1n << 14n;
  v.setBigUint64(40, bits, HOST_LE);
  v.setUint32(48, a.wakeupEvents ?? 0, HOST_LE);
  if (a.config1String !== undefined) {
    const s = new TextEncoder().encode(a.config1String + '\0');
    const buf = new Uint8Array(new ArrayBuffer(s.byteLength));
    buf.set(s);
    keepAlive.push(buf);
    v.setBigUint64(56, native().addressOf(buf), HOST_LE);
  } else {
    v.setBigUint64(56, BigInt(a.config1 ?? 0), HOST_LE);
  }
  v.setBigUint64(64, BigInt(a.config2 ?? 0), HOST_LE);
  return bytes;
}

/**
 * perf_event_open(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC). Returns the fd.
 * Throws `BpfError` with command `perf_event_open` (ENOENT/EINVAL for unknown events,
 * EACCES/EPERM when kernel.perf_event_paranoid forbids it).
 */
export function perfEventOpen(attr: PerfEventAttr, pid: number, cpu: number, what?: string): number {
  const keep: Uint8Array[] = [];
  const bytes = encodePerfEventAttr(attr, keep);
  const fd = native().perfEventOpen(bytes, pid, cpu, -1, PerfFlag.FD_CLOEXEC);
  keep.length = 0;
  if (fd < 0) throw bpfError(-fd, 'perf_event_open', what);
  return fd;
}

function ioctl(fd: number, request: number, arg: number, name: string): void {
  const r = native().ioctl(fd, request, arg);
  if (r < 0) throw bpfError(-r, name, `perf event fd ${fd}`);
}

/** PERF_EVENT_IOC_ENABLE. Throws `BpfError`. */
export function perfEventEnable(fd: number): void {
  ioctl(fd, PerfIoctl.ENABLE, 0, 'PERF_EVENT_IOC_ENABLE');
}
/** PERF_EVENT_IOC_DISABLE. Throws `BpfError`. */
export function perfEventDisable(fd: number): void {
  ioctl(fd, PerfIoctl.DISABLE, 0, 'PERF_EVENT_IOC_DISABLE');
}
/** PERF_EVENT_IOC_SET_BPF (Linux 4.1+): run `progFd` on each event. Throws `BpfError`. */
export function perfEventSetBpf(fd: number, progFd: number): void {
  ioctl(fd, PerfIoctl.SET_BPF, progFd, 'PERF_EVENT_IOC_SET_BPF');
}
