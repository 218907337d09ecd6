/** XDP and tcx attachments through BPF_LINK_CREATE. */
import { AttachFlags, linkCreate, XdpFlags } from '../sys/link-cmds.js';
import { AttachType } from '../sys/prog-types.js';
import { InvalidArgumentError } from '../sys/errors.js';
import type { Program } from '../prog/program.js';
import { ifindexOf } from './interface.js';
import { Link } from './link.js';

export type XdpMode = 'skb' | 'generic' | 'drv' | 'native' | 'hw' | 'offload';

export interface XdpOptions {
  /** Attach mode: `'skb'`/`'generic'` (any device), `'drv'`/`'native'` (driver support), `'hw'`/`'offload'`. Default: the kernel picks (native when supported, else generic). */
  readonly mode?: XdpMode;
}

const modeFlags: Record<XdpMode, number> = {
  skb: XdpFlags.SKB_MODE, generic: XdpFlags.SKB_MODE, drv: XdpFlags.DRV_MODE, native: XdpFlags.DRV_MODE,
  hw: XdpFlags.HW_MODE, offload: XdpFlags.HW_MODE,
};

/**
 * Attach an XDP program to an interface with a bpf_link (Linux 5.9+). The
 * program runs until the link is closed (or its pin removed).
 * Throws `EbpfError` ENODEV for unknown interfaces, `BpfError` EBUSY when another
 * XDP program is attached without a link, EOPNOTSUPP when the mode is unsupported.
 */
export function attachXdp(program: Program, iface: string | number, options: XdpOptions = {}): Link {
  const ifindex = ifindexOf(iface);
  let flags = 0;
  if (options.mode !== undefined) {
    const f = modeFlags[options.mode];
    if (f === undefined) throw new InvalidArgumentError(`XDP mode '${options.mode}': expected skb, drv or hw`);
    flags = f;
  }
  const target = `xdp on ${iface}`;
  const fd = linkCreate('plain', { progFd: program.fd, target: ifindex, attachType: AttachType.xdp, flags }, target);
  return new Link({ kind: 'xdp', linkFd: fd, target });
}

export type TcxDirection = 'ingress' | 'egress';

export interface TcxOptions {
  /** Run before (`'before'`) or after (`'after'`) `relativeTo`, or first/last in the chain when `relativeTo` is omitted. Default: appended last. */
  readonly order?: 'before' | 'after';
  /** A program or link already attached at the same hook. */
  readonly relativeTo?: Program | Link;
  /** Fail with ESTALE unless the hook's revision is still this (from `progQuery`). */
  readonly expectedRevision?: bigint;
}

/**
 * Attach a sched_cls program to an interface's tcx hook (Linux 6.6+), the
 * link-based successor of clsact/cls_bpf. Several programs can be chained.
 * Throws `NotSupportedError`-like `BpfError` EINVAL on kernels before 6.6, ENODEV for unknown interfaces.
 */
export function attachTcx(program: Program, iface: string | number, direction: TcxDirection, options: TcxOptions = {}): Link {
  if (direction !== 'ingress' && direction !== 'egress') throw new InvalidArgumentError(`tcx direction '${String(direction)}': expected 'ingress' or 'egress'`);
  const ifindex = ifindexOf(iface);
  let flags = 0;
  if (options.order === 'before') flags |= AttachFlags.BEFORE;
  if (options.order === 'after') flags |= AttachFlags.AFTER;
  let relative = 0;
  if (options.relativeTo) {
    relative = options.relativeTo.fd;
    if (options.relativeTo instanceof Link) flags |= AttachFlags.LINK;
  }
  const target = `tcx ${direction} on ${iface}`;
  const fd = linkCreate('tcx', {
    progFd: program.fd, target: ifindex, attachType: direction === 'ingress' ? AttachType.tcx_ingress : AttachType.tcx_egress,
    flags, relative, expectedRevision: options.expectedRevision,
  }, target);
  return new Link({ kind: 'tcx', linkFd: fd, target });
}
