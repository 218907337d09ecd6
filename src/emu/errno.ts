/**
 * Linux errno numbers the emulator returns, negated as bpf(2) returns them.
 * Fixed Linux values (include/uapi/asm-generic/errno-base.h, errno.h and
 * include/linux/errno.h for ENOTSUPP), never the host's: the emulator answers
 * exactly as a Linux kernel would, on any operating system.
 */
export const EPERM = 1;
export const ENOENT = 2;
export const E2BIG = 7;
export const EBADF = 9;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
/** Kernel-internal "operation not supported" (include/linux/errno.h), which bpf(2) leaks to user space. */
export const ENOTSUPP = 524;
/** EAGAIN: bpf_ringbuf_output() on a full ring. */
export const EAGAIN_RINGBUF = 11;
