/**
 * Finding and mounting the pseudo file systems eBPF needs:
 *  - bpffs (`bpf`), for pins, at /sys/fs/bpf;
 *  - tracefs, for tracepoint ids and the trace pipe, at /sys/kernel/tracing
 *    (Linux 4.1+; older kernels only expose it under debugfs at /sys/kernel/debug/tracing).
 * Minimal machines and containers often have neither mounted; like libbpf-based
 * tools (bpftool mounts bpffs on demand) we mount them on first use.
 */
import { readFileSync, existsSync, mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { native } from './native.js';
import { bpfError } from './bpf.js';
import { NotSupportedError } from './errors.js';

export const BPFFS_DIR = '/sys/fs/bpf';
export const TRACEFS_DIR = '/sys/kernel/tracing';
export const DEBUGFS_DIR = '/sys/kernel/debug';
/** `f_type` of a bpffs in statfs(2) (BPF_FS_MAGIC, include/uapi/linux/magic.h). */
const BPF_FS_MAGIC = 0xcafe4a11;

interface MountEntry { readonly source: string; readonly dir: string; readonly type: string }

/** The current mount table (/proc/self/mounts); `[]` when unreadable. */
export function mounts(): MountEntry[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').filter(Boolean).map((l) => {
      const [source = '', dir = '', type = ''] = l.split(' ');
      // Octal escapes (\040 for space) as in fstab(5).
      return { source, dir: dir.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))), type };
    });
  } catch {
    return [];
  }
}

/** True when `dir` is a mount point of file system `type`. */
export function isMountedAs(dir: string, type: string): boolean {
  return mounts().some((m) => m.dir === dir && m.type === type);
}

function mountAt(type: string, dir: string, data: string | null, mounted: () => boolean): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const r = native().mount(type, dir, type, 0, data);
  // EBUSY: someone mounted it concurrently.
  if (r < 0 && !mounted()) throw bpfError(-r, `mount ${type}`, `${dir}; needs CAP_SYS_ADMIN`);
}

/** True when `dir` exists and lies on a bpffs, by statfs(2) as libbpf and bpftool check it. */
function onBpffs(dir: string): boolean {
  try {
    return statfsSync(dir).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Make sure bpffs is mounted at /sys/fs/bpf (mounting it with mode 0700 if not)
 * and return that directory. Throws `BpfError` (EPERM without CAP_SYS_ADMIN). Linux 4.4+.
 */
export function ensureBpffs(): string {
  if (!onBpffs(BPFFS_DIR)) mountAt('bpf', BPFFS_DIR, 'mode=0700', () => onBpffs(BPFFS_DIR));
  return BPFFS_DIR;
}

/**
 * True when `path` lies on a mounted bpffs: `path` itself when it exists, else
 * the nearest existing directory above it (where a new pin would be made).
 */
export function isOnBpffs(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if (existsSync(p)) return onBpffs(p);
    if (p === dirname(p)) return false;
  }
}

/**
 * Prepare `path` for a pin: when it lies below /sys/fs/bpf and no bpffs is
 * mounted there, mount one. Paths elsewhere are left to the kernel (which
 * answers EPERM for paths not on a bpffs). Throws `BpfError` when mounting fails.
 */
export function prepareBpffsPath(path: string): void {
  if (path.startsWith(BPFFS_DIR + '/') && !isOnBpffs(path)) ensureBpffs();
}

let tracefs: string | undefined;

/**
 * The tracefs root (where `events/` and `trace_pipe` live): an existing tracefs
 * mount, or debugfs's `tracing` directory, or else tracefs freshly mounted at
 * /sys/kernel/tracing. Throws `NotSupportedError` when the kernel has no tracefs
 * (CONFIG_TRACING unset), `BpfError` when mounting is not permitted.
 */
export function tracefsRoot(): string {
  if (tracefs && existsSync(`${tracefs}/events`)) return tracefs;
  const all = mounts();
  const t = all.find((m) => m.type === 'tracefs' && existsSync(`${m.dir}/events`));
  if (t) return (tracefs = t.dir);
  const d = all.find((m) => m.type === 'debugfs' && existsSync(`${m.dir}/tracing/events`));
  if (d) return (tracefs = `${d.dir}/tracing`);
  const fsTypes = readFileSafe('/proc/filesystems');
  if (!/\ttracefs$/m.test(fsTypes)) {
    throw new NotSupportedError('this kernel has no tracefs (not in /proc/filesystems): it was built without CONFIG_TRACING / CONFIG_FTRACE', '4.1');
  }
  mountAt('tracefs', TRACEFS_DIR, null, () => isMountedAs(TRACEFS_DIR, 'tracefs'));
  return (tracefs = TRACEFS_DIR);
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
