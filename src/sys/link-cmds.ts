/**
 * bpf(2) link and attach commands: LINK_CREATE, LINK_UPDATE, LINK_DETACH,
 * OBJ_GET_INFO_BY_FD for links (struct bpf_link_info), RAW_TRACEPOINT_OPEN and
 * the legacy PROG_ATTACH / PROG_DETACH (include/uapi/linux/bpf.h, Linux 6.18;
 * offsets checked with offsetof() against the running kernel's BTF).
 *
 * LINK_CREATE attr (64 bytes used):
 *   0 prog_fd | 4 target_fd / target_ifindex | 8 attach_type | 12 flags
 *   16..  per-kind union: target_btf_id; perf_event.bpf_cookie (u64);
 *         tracing { target_btf_id u32, cookie u64 @24 }; tcx/netkit { relative_fd u32, expected_revision u64 @24 }
 */
import { Attr, bpf, bpfError, cString, HOST_LE } from './bpf.js';
import { BpfCmd } from './constants.js';
import { objGetInfoByFd } from './map-cmds.js';
import { native } from './native.js';
import { BpfError } from './errors.js';

/** `enum bpf_link_type`, lower-case kernel names without `BPF_LINK_TYPE_` (as bpftool prints them). */
export const LinkType = {
  unspec: 0, raw_tracepoint: 1, tracing: 2, cgroup: 3, iter: 4, netns: 5, xdp: 6, perf_event: 7,
  kprobe_multi: 8, struct_ops: 9, netfilter: 10, tcx: 11, uprobe_multi: 12, netkit: 13, sockmap: 14,
} as const;
export type LinkTypeName = keyof typeof LinkType;
const linkTypeNames = new Map<number, LinkTypeName>(Object.entries(LinkType).map(([k, v]) => [v, k as LinkTypeName]));
/** `'xdp'` for 6; `undefined` for link types newer than this library. */
export function linkTypeName(type: number): LinkTypeName | undefined {
  return linkTypeNames.get(type);
}

/** `XDP_FLAGS_*` for XDP attachment modes (include/uapi/linux/if_link.h). */
export const XdpFlags = { UPDATE_IF_NOEXIST: 1, SKB_MODE: 2, DRV_MODE: 4, HW_MODE: 8, REPLACE: 16 } as const;

/** `BPF_F_*` flags of PROG_ATTACH / tcx / netkit / cgroup multi-attach. */
export const AttachFlags = {
  ALLOW_OVERRIDE: 1 << 0, ALLOW_MULTI: 1 << 1, REPLACE: 1 << 2, BEFORE: 1 << 3, AFTER: 1 << 4, ID: 1 << 5, LINK: 1 << 13,
} as const;

/** Inputs of BPF_LINK_CREATE. Only the fields of the link kind in use are set. */
export interface LinkCreateAttr {
  readonly progFd: number;
  /** target_fd (cgroup fd, perf event fd, attach target prog fd) or target_ifindex (xdp, tcx, netkit). */
  readonly target: number;
  readonly attachType: number;
  readonly flags?: number;
  /** tracing: target_btf_id (for attaching to a BPF program, with `target` the program fd). */
  readonly targetBtfId?: number;
  /** perf_event (Linux 5.15+) / tracing (6.0+) BPF cookie. */
  readonly cookie?: bigint;
  /** tcx/netkit (6.6+): relative_fd or relative_id (with BPF_F_ID) and expected_revision. */
  readonly relative?: number;
  readonly expectedRevision?: bigint;
  /** iter: bpf_iter_link_info bytes. */
  readonly iterInfo?: Uint8Array;
}

/** Which union member LINK_CREATE uses for an attach type. */
export type LinkCreateKind = 'plain' | 'perf_event' | 'tracing' | 'tcx' | 'iter';

const LINK_CREATE_SIZE = 64;

/**
 * BPF_LINK_CREATE (Linux 5.7+; xdp 5.9, perf_event 5.15, tcx 6.6, netkit 6.7).
 * Returns the link fd. Throws `BpfError` (`PermissionError` for EPERM).
 */
export function linkCreate(kind: LinkCreateKind, a: LinkCreateAttr, what?: string): number {
  const attr = new Attr(LINK_CREATE_SIZE).u32(0, a.progFd).u32(4, a.target).u32(8, a.attachType).u32(12, a.flags ?? 0);
  switch (kind) {
    case 'perf_event':
      attr.u64(16, a.cookie ?? 0n);
      break;
    case 'tracing':
      attr.u32(16, a.targetBtfId ?? 0).u64(24, a.cookie ?? 0n);
      break;
    case 'tcx':
      attr.u32(16, a.relative ?? 0).u64(24, a.expectedRevision ?? 0n);
      break;
    case 'iter':
      if (a.iterInfo) attr.u32(24, a.iterInfo.byteLength);
      break;
    case 'plain':
      if (a.targetBtfId) attr.u32(16, a.targetBtfId);
      break;
  }
  const r = kind === 'iter' && a.iterInfo ? bpf(BpfCmd.LINK_CREATE, attr.bytes, 16, a.iterInfo) : bpf(BpfCmd.LINK_CREATE, attr.bytes);
  if (r < 0) throw bpfError(-r, BpfCmd.LINK_CREATE, what);
  return r;
}

/** BPF_LINK_UPDATE (Linux 5.7+): swap the link's program; with `oldProgFd` only if it still runs that one (BPF_F_REPLACE). Throws `BpfError`. */
export function linkUpdate(linkFd: number, newProgFd: number, oldProgFd?: number): void {
  const attr = new Attr(16).u32(0, linkFd).u32(4, newProgFd);
  if (oldProgFd !== undefined) attr.u32(8, AttachFlags.REPLACE).u32(12, oldProgFd);
  const r = bpf(BpfCmd.LINK_UPDATE, attr.bytes);
  // EPERM with BPF_F_REPLACE means "not running old_prog" (kernel/bpf/syscall.c, link_update), not a missing capability.
  if (r === -1 && oldProgFd !== undefined) throw new BpfError(1, 'BPF_LINK_UPDATE', 'the link does not run the expected old program');
  if (r < 0) throw bpfError(-r, BpfCmd.LINK_UPDATE);
}

/** BPF_LINK_DETACH (Linux 5.9+): detach now, leaving the fd open but defunct. Throws `BpfError`. */
export function linkDetach(linkFd: number): void {
  const r = bpf(BpfCmd.LINK_DETACH, new Attr(8).u32(0, linkFd).bytes);
  if (r < 0) throw bpfError(-r, BpfCmd.LINK_DETACH);
}

/** BPF_RAW_TRACEPOINT_OPEN (Linux 4.17+): attach a raw_tracepoint program (or a tracing program when `name` is null). Returns the link fd. */
export function rawTracepointOpen(progFd: number, name: string | null, cookie = 0n): number {
  const attr = new Attr(24).u32(8, progFd).u64(16, cookie);
  const bytes = name === null ? null : new TextEncoder().encode(name + '\0');
  const r = bpf(BpfCmd.RAW_TRACEPOINT_OPEN, attr.bytes, 0, bytes);
  if (r < 0) throw bpfError(-r, BpfCmd.RAW_TRACEPOINT_OPEN, name ?? undefined);
  return r;
}

/** BPF_PROG_ATTACH (Linux 4.10+): legacy attach to a cgroup, sockmap, flow dissector, lirc... Throws `BpfError`. */
export function progAttach(targetFd: number, progFd: number, attachType: number, flags = 0, replaceFd = 0): void {
  const attr = new Attr(32).u32(0, targetFd).u32(4, progFd).u32(8, attachType).u32(12, flags).u32(16, replaceFd);
  const r = bpf(BpfCmd.PROG_ATTACH, attr.bytes);
  if (r < 0) throw bpfError(-r, BpfCmd.PROG_ATTACH);
}

/** BPF_PROG_DETACH: undo `progAttach` (progFd 0 detaches whatever single program is attached). Throws `BpfError`. */
export function progDetach(targetFd: number, progFd: number, attachType: number): void {
  const attr = new Attr(32).u32(0, targetFd).u32(4, progFd).u32(8, attachType);
  const r = bpf(BpfCmd.PROG_DETACH, attr.bytes);
  if (r < 0) throw bpfError(-r, BpfCmd.PROG_DETACH);
}

/** `enum bpf_perf_event_type` in perf_event link info (Linux 6.6+). */
export const PerfEventLinkType = { unspec: 0, uprobe: 1, uretprobe: 2, kprobe: 3, kretprobe: 4, tracepoint: 5, event: 6 } as const;

/** `struct bpf_link_info`, decoded; kind-specific fields present for the link's type. */
export interface LinkInfo {
  readonly type: number;
  readonly id: number;
  readonly progId: number;
  /** raw_tracepoint links: the tracepoint; perf_event tracepoint links (6.6+): the tracepoint name. */
  readonly tpName?: string;
  /** tracing/cgroup/netns/tcx/netkit/sockmap links. */
  readonly attachType?: number;
  /** tracing: BTF object id and BTF type id of the target. */
  readonly targetObjId?: number;
  readonly targetBtfId?: number;
  /** cgroup links. */
  readonly cgroupId?: bigint;
  /** xdp/tcx/netkit links. */
  readonly ifindex?: number;
  readonly netnsIno?: number;
  /** perf_event links: `PerfEventLinkType`. */
  readonly perfEventType?: number;
  readonly mapId?: number;
  readonly cookie?: bigint;
}

const LINK_INFO_SIZE = 64;

/** OBJ_GET_INFO_BY_FD for a link. Throws `BpfError`. Linux 5.8+. */
export function linkGetInfo(fd: number): LinkInfo {
  let info = new Uint8Array(new ArrayBuffer(LINK_INFO_SIZE));
  let r = objGetInfoByFd(fd, info);
  if (r < 0) throw bpfError(-r, BpfCmd.OBJ_GET_INFO_BY_FD, `link fd ${fd}`);
  let v = new DataView(info.buffer);
  const type = v.getUint32(0, HOST_LE);
  const base = { type, id: v.getUint32(4, HOST_LE), progId: v.getUint32(8, HOST_LE) };
  const u32 = (o: number) => v.getUint32(o, HOST_LE);
  const u64 = (o: number) => v.getBigUint64(o, HOST_LE);
  // Names come back through a user buffer the second call provides (pointer + length in the info struct).
  const withName = (ptrOff: number, lenOff: number): string | undefined => {
    const len = u32(lenOff);
    if (!len) return undefined;
    const name = new Uint8Array(Math.min(len, 4096));
    info = new Uint8Array(new ArrayBuffer(LINK_INFO_SIZE));
    const w = new DataView(info.buffer);
    w.setBigUint64(ptrOff, native().addressOf(name), HOST_LE);
    w.setUint32(lenOff, name.byteLength, HOST_LE);
    if (type === LinkType.perf_event) w.setUint32(16, u32(16), HOST_LE);
    r = objGetInfoByFd(fd, info);
    if (r < 0) return undefined;
    v = new DataView(info.buffer);
    return cString(name, 0, name.byteLength);
  };
  switch (type) {
    case LinkType.raw_tracepoint: {
      const cookie = u64(32);
      return { ...base, tpName: withName(16, 24), cookie };
    }
    case LinkType.tracing:
      return { ...base, attachType: u32(16), targetObjId: u32(20), targetBtfId: u32(24), cookie: u64(32) };
    case LinkType.cgroup:
      return { ...base, cgroupId: u64(16), attachType: u32(24) };
    case LinkType.netns:
      return { ...base, netnsIno: u32(16), attachType: u32(20) };
    case LinkType.xdp:
      return { ...base, ifindex: u32(16) };
    case LinkType.tcx:
    case LinkType.netkit:
      return { ...base, ifindex: u32(16), attachType: u32(20) };
    case LinkType.sockmap:
      return { ...base, mapId: u32(16), attachType: u32(20) };
    case LinkType.perf_event: {
      const perfEventType = u32(16);
      if (perfEventType === PerfEventLinkType.tracepoint) {
        const tpName = withName(24, 32);
        return { ...base, perfEventType, tpName, cookie: u64(40) };
      }
      return { ...base, perfEventType };
    }
    default:
      return base;
  }
}
