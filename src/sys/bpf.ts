/**
 * The single chokepoint every bpf(2) call passes through. Tests can swap the
 * implementation (`setBpfImplementation`) to unit-test errno mapping without
 * privileges, as aya does with its fake syscall.
 */
import { native } from './native.js';
import { BpfError, PermissionError } from './errors.js';
import { BpfCmd } from './constants.js';

export type BpfPointer = number | ArrayBufferView | null;
export type BpfImplementation = (cmd: number, attr: Uint8Array, ...pointers: BpfPointer[]) => number;

let implementation: BpfImplementation | undefined;

/**
 * Issue bpf(cmd, attr, attr.byteLength). Each (offset, buffer) pair in `pointers`
 * stores the buffer's address as a u64 at that offset of `attr` first.
 * Returns the syscall result (>= 0) or `-errno`; never throws for kernel answers.
 */
export function bpf(cmd: number, attr: Uint8Array, ...pointers: BpfPointer[]): number {
  if (implementation) return implementation(cmd, attr, ...pointers);
  const n = native();
  implementation = n.bpf.bind(n) as BpfImplementation;
  return implementation(cmd, attr, ...pointers);
}

/** Replace the syscall (tests only). `undefined` restores the real one. */
export function setBpfImplementation(fn: BpfImplementation | undefined): void {
  implementation = fn;
  replaced = fn !== undefined;
}

let replaced = false;
const slotRegistry = new FinalizationRegistry<number>((slot) => {
  native().unregisterAttr(slot);
});

/**
 * An attr registered once with the addon, for commands issued many times with
 * the same attr (map element operations). `call(cmd)` costs one N-API call
 * with two integers, with no typed-array introspection. Still honours
 * `setBpfImplementation`.
 */
export class RegisteredAttr {
  readonly bytes: Uint8Array;
  #slot: number;
  readonly #call: (cmd: number, slot: number) => number;
  constructor(bytes: Uint8Array) {
    const n = native();
    this.bytes = bytes;
    this.#slot = n.registerAttr(bytes);
    this.#call = n.bpfSlot.bind(n);
    slotRegistry.register(this, this.#slot, this);
  }
  /** bpf(cmd, attr): result or -errno. */
  call(cmd: number): number {
    if (replaced) return implementation!(cmd, this.bytes);
    return this.#call(cmd, this.#slot);
  }
  /** Unregister (idempotent). Later calls fail with -EBADF. */
  release(): void {
    if (this.#slot < 0) return;
    slotRegistry.unregister(this);
    native().unregisterAttr(this.#slot);
    this.#slot = -1;
  }
}

const cmdNames = new Map<number, string>(Object.entries(BpfCmd).map(([k, v]) => [v, `BPF_${k}`]));

/** `BPF_MAP_CREATE` for 0, and so on. */
export function bpfCommandName(cmd: number): string {
  return cmdNames.get(cmd) ?? `bpf command ${cmd}`;
}

const PROG_CMDS = new Set<number>([BpfCmd.PROG_LOAD, BpfCmd.PROG_ATTACH, BpfCmd.LINK_CREATE, BpfCmd.RAW_TRACEPOINT_OPEN]);

/**
 * The error for a failed command. EPERM/EACCES become `PermissionError` naming
 * the capability the command needs (kernel/bpf/syscall.c: bpf_capable() checks
 * CAP_BPF, and CAP_SYS_ADMIN before Linux 5.8; attaching networking and
 * tracing programs also needs CAP_NET_ADMIN / CAP_PERFMON).
 */
export function bpfError(errno: number, command: string | number, detail?: string): BpfError {
  const name = typeof command === 'number' ? bpfCommandName(command) : command;
  if (errno === 1 /* EPERM */ || errno === 13 /* EACCES */) {
    const cap = typeof command === 'number' && PROG_CMDS.has(command)
      ? 'CAP_BPF plus CAP_PERFMON (tracing) or CAP_NET_ADMIN (networking), or CAP_SYS_ADMIN'
      : 'CAP_BPF (or CAP_SYS_ADMIN before Linux 5.8)';
    return new PermissionError(errno, name, cap, detail);
  }
  return new BpfError(errno, name, detail);
}

/** Like `bpf()`, but throws the mapped `BpfError` on failure and returns the non-negative result. */
export function bpfOrThrow(cmd: number, attr: Uint8Array, detail: string | undefined, ...pointers: BpfPointer[]): number {
  const r = bpf(cmd, attr, ...pointers);
  if (r < 0) throw bpfError(-r, cmd, detail);
  return r;
}

/** A zeroed attr of `size` bytes with a little-endian-agnostic (host order) writer. */
export class Attr {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /**
   * A zeroed attr of `size` bytes, or a view over `backing` (which must be zeroed
   * and live in an ArrayBuffer, whose address is stable).
   */
  constructor(size: number, backing?: Uint8Array) {
    // A fresh ArrayBuffer is always off-heap, so its address is stable.
    this.bytes = backing ? backing.subarray(0, size) : new Uint8Array(new ArrayBuffer(size));
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, size);
  }
  u32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, HOST_LE);
    return this;
  }
  i32(offset: number, value: number): this {
    this.view.setInt32(offset, value, HOST_LE);
    return this;
  }
  u64(offset: number, value: bigint | number): this {
    this.view.setBigUint64(offset, BigInt(value), HOST_LE);
    return this;
  }
  /** A NUL-terminated string truncated to `max - 1` bytes. */
  str(offset: number, value: string, max: number): this {
    const enc = new TextEncoder().encode(value);
    this.bytes.set(enc.subarray(0, max - 1), offset);
    return this;
  }
  getU32(offset: number): number {
    return this.view.getUint32(offset, HOST_LE);
  }
  getU64(offset: number): bigint {
    return this.view.getBigUint64(offset, HOST_LE);
  }
}

import { endianness } from 'node:os';
/** True on little-endian hosts: the kernel ABI uses host byte order. */
export const HOST_LE = endianness() === 'LE';

/** A NUL-terminated C string from a byte range. */
export function cString(bytes: Uint8Array, offset: number, max: number): string {
  let end = offset;
  while (end < offset + max && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(offset, end));
}
