/**
 * What programs, maps and links have in common in bpf(2): enumerating ids
 * (`*_GET_NEXT_ID`) and opening one by id (`*_GET_FD_BY_ID`) or by pin
 * (BPF_OBJ_GET), checking that a pin holds the expected kind of object.
 */
import { readlinkSync } from 'node:fs';
import { bpfError } from './bpf.js';
import { BpfCmd } from './constants.js';
import { InvalidArgumentError } from './errors.js';
import { getFdById, getNextId, objGet } from './map-cmds.js';
import { native } from './native.js';

const ENOENT = 2;

/** An object in the kernel named by its id or by a pin path on bpffs. */
export type ObjectSelector = { readonly id: number } | { readonly pinned: string };

/**
 * Every id a `*_GET_NEXT_ID` command walks through, in increasing order
 * (Linux 4.13+; links 5.8+). `label` names the operation in errors.
 * Throws `BpfError` (EPERM without CAP_SYS_ADMIN).
 */
export function objectIds(nextIdCmd: number, label: string | number = nextIdCmd): number[] {
  const ids: number[] = [];
  let id = 0;
  for (;;) {
    const r = getNextId(nextIdCmd, id);
    if (r === -ENOENT) return ids;
    if (r < 0) throw bpfError(-r, label);
    ids.push((id = r));
  }
}

/** The kinds of bpf objects, as the anon inode names their fds carry (kernel/bpf/syscall.c: bpf_prog_new_fd, bpf_map_new_fd, bpf_link_new_fd). */
export const ObjectInode = { prog: 'anon_inode:bpf-prog', map: 'anon_inode:bpf-map', link: 'anon_inode:bpf-link' } as const;

/**
 * Open a program, map or link by id (`byIdCmd`, e.g. PROG_GET_FD_BY_ID) or by
 * pin (BPF_OBJ_GET, Linux 4.4+), returning a new fd the caller owns. A pin must
 * hold an object whose fd is `inode` (when /proc/self/fd cannot tell, it is
 * accepted and the info query that follows decides). Throws `BpfError`
 * (ENOENT when missing), `InvalidArgumentError` naming `what` when the pin
 * holds another kind of object.
 */
export function openObjectFd(from: ObjectSelector, byIdCmd: number, inode: string, what: string): number {
  if ('id' in from) {
    const fd = getFdById(byIdCmd, from.id);
    if (fd < 0) throw bpfError(-fd, byIdCmd, `id ${from.id}`);
    return fd;
  }
  const fd = objGet(from.pinned);
  if (fd < 0) throw bpfError(-fd, BpfCmd.OBJ_GET, from.pinned);
  let kind: string;
  try { kind = readlinkSync(`/proc/self/fd/${fd}`); } catch { kind = inode; }
  if (kind !== inode) {
    native().close(fd);
    throw new InvalidArgumentError(`${from.pinned} is not a pinned ${what} (it is ${kind})`);
  }
  return fd;
}

/**
 * `openObjectFd`, then `infoOf(fd)` (an OBJ_GET_INFO_BY_FD decoder); the fd is
 * closed again when that throws. Returns the fd, which the caller owns, and
 * its info. Throws what `openObjectFd` and `infoOf` throw.
 */
export function openObjectWithInfo<T>(from: ObjectSelector, byIdCmd: number, inode: string, what: string, infoOf: (fd: number) => T): { readonly fd: number; readonly info: T } {
  const fd = openObjectFd(from, byIdCmd, inode, what);
  try {
    return { fd, info: infoOf(fd) };
  } catch (e) {
    native().close(fd);
    throw e;
  }
}
