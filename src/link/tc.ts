/**
 * Classic tc attachment: a clsact qdisc plus a direct-action cls_bpf filter
 * (Linux 4.5+), the way `tc filter add dev X ingress bpf da fd N` does it, for
 * kernels without tcx (before 6.6) or setups that expect tc filters.
 * The link deletes its filter on close(), and the clsact qdisc too when this
 * process created it and no other of its filters remain.
 */
import { bpfError } from '../sys/bpf.js';
import { InvalidArgumentError } from '../sys/errors.js';
import type { Program } from '../prog/program.js';
import { ifindexOf } from './interface.js';
import { Link } from './link.js';
import { NlmFlags, RtmType, tcRequest, type NlAttr } from './netlink.js';

const TC_H_CLSACT = 0xfffffff1;
const TC_H_MIN_INGRESS = 0xfff2;
const TC_H_MIN_EGRESS = 0xfff3;
const TCA_KIND = 1;
const TCA_OPTIONS = 2;
const TCA_BPF_FD = 6;
const TCA_BPF_NAME = 7;
const TCA_BPF_FLAGS = 8;
const TCA_BPF_FLAG_ACT_DIRECT = 1;
const ETH_P_ALL = 0x0003;
const EEXIST = 17;
const ENOENT = 2;

/** Filters this process attached per ifindex, and whether it created that clsact qdisc. */
const ours = new Map<number, { filters: number; createdQdisc: boolean }>();

export interface TcOptions {
  /** Filter priority (1-65535); also the filter's identity. Default 1. */
  readonly priority?: number;
  /** Filter handle. Default 1. */
  readonly handle?: number;
}

const htons = (x: number) => ((x & 0xff) << 8) | ((x >> 8) & 0xff);

/**
 * Attach a `sched_cls` program as a direct-action cls_bpf filter on the clsact
 * qdisc of `iface` (created if missing). Throws `EbpfError` ENODEV for unknown
 * interfaces, `BpfError` EEXIST when a filter with this priority/handle exists,
 * `InvalidArgumentError` for bad options.
 */
export function attachTc(program: Program, iface: string | number, direction: 'ingress' | 'egress', options: TcOptions = {}): Link {
  if (direction !== 'ingress' && direction !== 'egress') throw new InvalidArgumentError(`tc direction '${String(direction)}': expected 'ingress' or 'egress'`);
  const priority = options.priority ?? 1;
  const handle = options.handle ?? 1;
  if (!Number.isInteger(priority) || priority < 1 || priority > 0xffff) throw new InvalidArgumentError(`tc priority ${priority}: expected 1-65535`);
  if (!Number.isInteger(handle) || handle < 1 || handle > 0xffffffff) throw new InvalidArgumentError(`tc handle ${handle}: expected a positive 32-bit integer`);
  const ifindex = ifindexOf(iface);
  const target = `tc ${direction} on ${iface} (prio ${priority})`;

  const q = tcRequest(RtmType.NEWQDISC, NlmFlags.CREATE | NlmFlags.EXCL, { ifindex, handle: 0xffff0000, parent: TC_H_CLSACT, info: 0 }, [[TCA_KIND, 'clsact']]);
  if (q < 0 && q !== -EEXIST) throw bpfError(-q, 'tc qdisc add clsact', String(iface));
  const state = ours.get(ifindex) ?? { filters: 0, createdQdisc: false };
  if (q === 0) state.createdQdisc = true;
  ours.set(ifindex, state);

  const parent = (TC_H_CLSACT & 0xffff0000) | (direction === 'ingress' ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
  const info = ((priority << 16) | htons(ETH_P_ALL)) >>> 0;
  const msg = { ifindex, handle, parent, info };
  const attrs: NlAttr[] = [
    [TCA_KIND, 'bpf'],
    [TCA_OPTIONS, [[TCA_BPF_FD, program.fd], [TCA_BPF_NAME, program.name || 'ebpf'], [TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT]]],
  ];
  const f = tcRequest(RtmType.NEWTFILTER, NlmFlags.CREATE | NlmFlags.EXCL, msg, attrs);
  if (f < 0) {
    releaseQdisc(ifindex);
    throw bpfError(-f, 'tc filter add bpf', target);
  }
  state.filters++;
  return new Link({
    kind: 'tc', linkFd: -1, target,
    detach: () => {
      const d = tcRequest(RtmType.DELTFILTER, 0, msg, [[TCA_KIND, 'bpf']]);
      // ENOENT/ENODEV: the filter or the device is already gone.
      const st = ours.get(ifindex);
      if (st) st.filters--;
      releaseQdisc(ifindex);
      if (d < 0 && d !== -ENOENT && d !== -19 && d !== -22) throw bpfError(-d, 'tc filter del', target);
    },
  });
}

function releaseQdisc(ifindex: number): void {
  const st = ours.get(ifindex);
  if (!st || st.filters > 0) return;
  ours.delete(ifindex);
  if (st.createdQdisc) tcRequest(RtmType.DELQDISC, 0, { ifindex, handle: 0xffff0000, parent: TC_H_CLSACT, info: 0 }, [[TCA_KIND, 'clsact']]);
}
