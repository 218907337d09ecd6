/**
 * Pins live on bpffs. Distributions mount it at /sys/fs/bpf, but minimal
 * machines and containers often do not: mount it there on first use, as
 * libbpf-based tools do.
 */
import { readFileSync } from 'node:fs';
import { native } from '../sys/native.js';
import { bpfError } from '../sys/bpf.js';

export const DEFAULT_BPFFS = '/sys/fs/bpf';

/** True when `dir` is a bpffs mount point (per /proc/self/mounts). */
export function isBpffsMounted(dir = DEFAULT_BPFFS): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => {
      const f = l.split(' ');
      return f[1] === dir && f[2] === 'bpf';
    });
  } catch {
    return false;
  }
}

/** Mount bpffs at /sys/fs/bpf when `path` lies below it and it is not mounted yet. Throws BpfError (EPERM without CAP_SYS_ADMIN). */
export function ensureBpffsFor(path: string): void {
  if (!path.startsWith(DEFAULT_BPFFS + '/')) return;
  if (isBpffsMounted(DEFAULT_BPFFS)) return;
  const r = native().mount('bpf', DEFAULT_BPFFS, 'bpf', 0, 'mode=0700');
  if (r < 0 && !isBpffsMounted(DEFAULT_BPFFS)) throw bpfError(-r, 'mount bpffs', DEFAULT_BPFFS);
}
