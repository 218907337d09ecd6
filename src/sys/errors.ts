/**
 * Error classes shared by every layer.
 *
 * `BpfError` is both the domain meaning and the errno: `code` is the errno name
 * (`'ENOENT'`, `'EEXIST'`, ...) and stays stable across releases; `errno` is the
 * number; `command` names the bpf(2) command or operation that failed. Messages
 * are lowercase and chained, `"map update (counts): key already exists (EEXIST)"`.
 */
import { constants } from 'node:os';

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}
// Several names share a number; prefer the ones Linux's strerror and bpftool use.
errnoNames.set(95, 'EOPNOTSUPP');
errnoNames.set(11, 'EAGAIN');
errnoNames.set(35, 'EDEADLK');
// Linux-only errnos node does not list.
errnoNames.set(524, 'ENOTSUPP');
errnoNames.set(512, 'ERESTARTSYS');

/** The errno name for a positive errno number (`2` → `'ENOENT'`); `'E<n>'` when unknown. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** The errno number for a name (`'ENOENT'` → `2`). Throws `RangeError` for unknown names. */
export function errnoNumber(name: string): number {
  if (name === 'ENOTSUPP') return 524;
  const n = (constants.errno as Record<string, number>)[name];
  if (n === undefined) throw new RangeError(`unknown errno name ${name}`);
  return n;
}

const descriptions: Record<string, string> = {
  ENOENT: 'no such entry',
  EEXIST: 'already exists',
  E2BIG: 'too big (map full or size limit)',
  EINVAL: 'invalid argument',
  EPERM: 'operation not permitted',
  EACCES: 'permission denied',
  ENOSPC: 'buffer too small',
  EBADF: 'bad file descriptor',
  ENOMEM: 'out of memory',
  EBUSY: 'resource busy',
  EFAULT: 'bad address',
  ENOTSUPP: 'operation not supported by this map or kernel',
  EOPNOTSUPP: 'operation not supported',
  ENOSYS: 'bpf() not available',
  EAGAIN: 'try again',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
};

/** Base class of every error thrown by this library. */
export class EbpfError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A system call failed: `code` is the errno name, `errno` its number. */
export class BpfError extends EbpfError {
  readonly errno: number;
  /** The command or operation that failed, e.g. `'BPF_MAP_UPDATE_ELEM'` or `'map update'`. */
  readonly command: string;
  constructor(errno: number, command: string, detail?: string) {
    const code = errnoName(errno);
    const what = descriptions[code] ?? 'system call failed';
    super(code, `${command}${detail ? ` (${detail})` : ''}: ${what} (${code})`);
    this.errno = errno;
    this.command = command;
  }
}

/**
 * EPERM/EACCES from the kernel, with the capability that is missing:
 * CAP_BPF (or CAP_SYS_ADMIN before 5.8) for maps and most programs, CAP_PERFMON
 * for tracing, CAP_NET_ADMIN for networking programs.
 */
export class PermissionError extends BpfError {
  readonly capability: string;
  constructor(errno: number, command: string, capability: string, detail?: string) {
    super(errno, command, detail);
    this.capability = capability;
    this.message += `; needs ${capability} (run as root or grant the capability), and check kernel.unprivileged_bpf_disabled and locked-down kernels`;
  }
}

/** A caller passed a value of the wrong size, type or range. Thrown before any syscall. */
export class InvalidArgumentError extends EbpfError {
  constructor(message: string) {
    super('EINVAL', message);
  }
}

/** A key or value had the wrong byte length. */
export class SizeMismatchError extends InvalidArgumentError {
  readonly expected: number;
  readonly actual: number;
  constructor(what: string, expected: number, actual: number, mapName?: string) {
    super(`${what} of ${actual} bytes${mapName ? ` for map ${mapName}` : ''}: expected ${expected} bytes`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A binary input (ELF, BTF, instruction stream, map file) could not be parsed. */
export class ParseError extends EbpfError {
  /** Byte offset into the input where the problem was found. */
  readonly offset: number;
  constructor(what: string, offset: number, message: string) {
    super('EPARSE', `${what}: ${message} at offset ${offset} (0x${offset.toString(16)})`);
    this.offset = offset;
  }
}

/** The running kernel does not support a feature; `since` names the first kernel that does. */
export class NotSupportedError extends EbpfError {
  readonly since: string | undefined;
  constructor(message: string, since?: string) {
    super('ENOTSUPP', since ? `${message} (requires Linux ${since} or later)` : message);
    this.since = since;
  }
}
