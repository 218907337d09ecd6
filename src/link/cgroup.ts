/** cgroup attachments: a bpf_link (Linux 5.7+) or, on older kernels, BPF_PROG_ATTACH. */
import { openSync, closeSync } from 'node:fs';
import { BpfError, EbpfError } from '../sys/errors.js';
import { AttachFlags, linkCreate, progAttach, progDetach } from '../sys/link-cmds.js';
import { attachTypeNumber, attachTypeName, type AttachTypeName } from '../sys/prog-types.js';
import { native } from '../sys/native.js';
import type { Program } from '../prog/program.js';
import { Link } from './link.js';

/**
 * Attach a cgroup program (cgroup_skb, cgroup_sock, cgroup_sock_addr, sock_ops,
 * cgroup_device, cgroup_sysctl, cgroup_sockopt) to the cgroup v2 directory
 * `cgroupPath` (e.g. '/sys/fs/cgroup/my.slice') for `attachType`
 * (`'cgroup_inet_ingress'`, `'cgroup_inet4_connect'`, ...).
 * With `legacy: true` (or on kernels without cgroup links, before 5.7) it uses
 * BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI (4.15+) and detaches on close().
 * Throws `EbpfError` ENOENT for a missing cgroup, `BpfError` from the kernel.
 */
export function attachCgroup(program: Program, cgroupPath: string, attachType: AttachTypeName | number, options: { legacy?: boolean } = {}): Link {
  const type = attachTypeNumber(attachType);
  const name = attachTypeName(type) ?? String(type);
  const target = `${name} on cgroup ${cgroupPath}`;
  let cgroupFd: number;
  try {
    cgroupFd = openSync(cgroupPath, 'r');
  } catch (e) {
    throw new EbpfError((e as NodeJS.ErrnoException).code ?? 'ENOENT', `cgroup ${cgroupPath}: ${(e as Error).message}`);
  }
  try {
    if (!options.legacy) {
      try {
        const fd = linkCreate('plain', { progFd: program.fd, target: cgroupFd, attachType: type }, target);
        return new Link({ kind: 'cgroup', linkFd: fd, target });
      } catch (e) {
        if (!(e instanceof BpfError) || e.code !== 'EINVAL') throw e;
      }
    }
    progAttach(cgroupFd, program.fd, type, AttachFlags.ALLOW_MULTI);
    // Keep our own fds for detaching: the caller may close the Program or the cgroup path may be renamed.
    const progFd = native().dup(program.fd);
    const cgFd = native().dup(cgroupFd);
    return new Link({
      kind: 'cgroup', linkFd: -1, target, ownedFds: [progFd, cgFd],
      detach: () => progDetach(cgFd, progFd, type),
    });
  } finally {
    closeSync(cgroupFd);
  }
}
