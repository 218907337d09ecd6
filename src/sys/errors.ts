/**
 * Error classes shared by every layer.
 *
 * `BpfError` is both the domain meaning and the errno: `code` is the errno name
 * (`'ENOENT'`, `'EEXIST'`, ...) and stays stable across releases; `errno` is the
 * number; `command` names the bpf(2) command or operation that failed. Messages
 * are lowercase and chained, `"map update (counts): key already exists (EEXIST)"`.
 */
/**
 * Linux errno numbers (include/uapi/asm-generic/errno-base.h and errno.h; the
 * same on x86, arm64, riscv and s390). A fixed table rather than the host's
 * `os.constants.errno`, so the emulator reports Linux codes on macOS too.
 */
const LINUX_ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33,
  ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENOMSG: 42, EIDRM: 43, ENOSTR: 60, ENODATA: 61, ETIME: 62, ENOSR: 63, ENOLINK: 67, EPROTO: 71,
  EMULTIHOP: 72, EBADMSG: 74, EOVERFLOW: 75, EILSEQ: 84, EUSERS: 87, ENOTSOCK: 88,
  EDESTADDRREQ: 89, EMSGSIZE: 90, EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EPFNOSUPPORT: 96, EAFNOSUPPORT: 97, EADDRINUSE: 98,
  EADDRNOTAVAIL: 99, ENETDOWN: 100, ENETUNREACH: 101, ENETRESET: 102, ECONNABORTED: 103,
  ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111,
  EHOSTDOWN: 112, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115, ESTALE: 116, EDQUOT: 122,
  ECANCELED: 125, EOWNERDEAD: 130, ENOTRECOVERABLE: 131, ERFKILL: 132, EHWPOISON: 133,
  // kernel-internal codes that bpf(2) can leak to user space
  ERESTARTSYS: 512, ENOTSUPP: 524,
};

const errnoNames = new Map<number, string>(Object.entries(LINUX_ERRNO).map(([k, v]) => [v, k]));

/** The Linux errno name for a positive errno number (`2` → `'ENOENT'`); `'E<n>'` when unknown. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** The Linux errno number for a name (`'ENOENT'` → `2`; aliases `ENOTSUP` and `EWOULDBLOCK` too). Throws `RangeError` for unknown names. */
export function errnoNumber(name: string): number {
  const alias: Record<string, string> = { ENOTSUP: 'EOPNOTSUPP', EWOULDBLOCK: 'EAGAIN', EDEADLOCK: 'EDEADLK' };
  const n = LINUX_ERRNO[alias[name] ?? name];
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
