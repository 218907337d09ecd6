/**
 * Program type, expected attach type and flags from an ELF section name, following
 * libbpf's `section_defs` table (tools/lib/bpf/libbpf.c, libbpf 1.5) so that objects
 * written for libbpf load the same way here. Shared by the object reader and the loader.
 *
 * Matching, as libbpf 1.x: a pattern ending in `+` matches the name exactly or as a
 * prefix followed by `/` (the rest is the attach target: `kprobe/do_unlinkat`); other
 * patterns match exactly. Older objects (iproute2, cilium's tests, libbpf < 1.0 "sloppy"
 * mode) also use `xdp/foo`, `socket/2`, `classifier/x`: when nothing matches strictly, a
 * known name followed by `/` is accepted and `strict` is false.
 */
import { AttachType, ProgType, type AttachTypeName, type ProgTypeName } from '../sys/prog-types.js';

/** `BPF_F_SLEEPABLE`, BPF_PROG_LOAD prog_flags (Linux 5.10+). */
export const BPF_F_SLEEPABLE = 1 << 4;
/** `BPF_F_XDP_HAS_FRAGS`, BPF_PROG_LOAD prog_flags (Linux 5.18+). */
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

/** How libbpf attaches a program of this section automatically. */
export type AutoAttach =
  | 'none' | 'kprobe' | 'uprobe' | 'ksyscall' | 'usdt' | 'tracepoint' | 'raw_tracepoint' | 'trace' | 'lsm'
  | 'iter' | 'kprobe_multi' | 'uprobe_multi' | 'struct_ops';

export interface SectionDef {
  /** libbpf's pattern (`'kprobe+'`, `'xdp'`, `'cgroup/connect4'`). */
  readonly pattern: string;
  readonly type: ProgTypeName;
  readonly attachType: AttachTypeName | undefined;
  readonly sleepable: boolean;
  readonly xdpFrags: boolean;
  /** The attach target is a BTF id found by name (fentry, lsm, tp_btf, iter, freplace). */
  readonly attachBtf: boolean;
  readonly autoAttach: AutoAttach;
  /** kretprobe/uretprobe/kretsyscall/kretprobe.multi/uretprobe.multi. */
  readonly isReturnProbe: boolean;
}

type Opt = { sleep?: boolean; frags?: boolean; btf?: boolean; auto?: AutoAttach; ret?: boolean };
const d = (pattern: string, type: ProgTypeName, attachType: AttachTypeName | undefined, o: Opt = {}): SectionDef => ({
  pattern, type, attachType,
  sleepable: o.sleep ?? false,
  xdpFrags: o.frags ?? false,
  attachBtf: o.btf ?? false,
  autoAttach: o.auto ?? 'none',
  isReturnProbe: o.ret ?? false,
});

/** libbpf's table, in its order (first match wins). */
export const SECTION_DEFS: readonly SectionDef[] = [
  d('socket', 'socket_filter', undefined),
  d('sk_reuseport/migrate', 'sk_reuseport', 'sk_reuseport_select_or_migrate'),
  d('sk_reuseport', 'sk_reuseport', 'sk_reuseport_select'),
  d('kprobe+', 'kprobe', undefined, { auto: 'kprobe' }),
  d('uprobe+', 'kprobe', undefined, { auto: 'uprobe' }),
  d('uprobe.s+', 'kprobe', undefined, { auto: 'uprobe', sleep: true }),
  d('kretprobe+', 'kprobe', undefined, { auto: 'kprobe', ret: true }),
  d('uretprobe+', 'kprobe', undefined, { auto: 'uprobe', ret: true }),
  d('uretprobe.s+', 'kprobe', undefined, { auto: 'uprobe', ret: true, sleep: true }),
  d('kprobe.multi+', 'kprobe', 'trace_kprobe_multi', { auto: 'kprobe_multi' }),
  d('kretprobe.multi+', 'kprobe', 'trace_kprobe_multi', { auto: 'kprobe_multi', ret: true }),
  d('kprobe.session+', 'kprobe', 'trace_kprobe_session', { auto: 'kprobe_multi' }),
  d('uprobe.multi+', 'kprobe', 'trace_uprobe_multi', { auto: 'uprobe_multi' }),
  d('uretprobe.multi+', 'kprobe', 'trace_uprobe_multi', { auto: 'uprobe_multi', ret: true }),
  d('uprobe.session+', 'kprobe', 'trace_uprobe_session', { auto: 'uprobe_multi' }),
  d('uprobe.multi.s+', 'kprobe', 'trace_uprobe_multi', { auto: 'uprobe_multi', sleep: true }),
  d('uretprobe.multi.s+', 'kprobe', 'trace_uprobe_multi', { auto: 'uprobe_multi', ret: true, sleep: true }),
  d('uprobe.session.s+', 'kprobe', 'trace_uprobe_session', { auto: 'uprobe_multi', sleep: true }),
  d('ksyscall+', 'kprobe', undefined, { auto: 'ksyscall' }),
  d('kretsyscall+', 'kprobe', undefined, { auto: 'ksyscall', ret: true }),
  d('usdt+', 'kprobe', undefined, { auto: 'usdt' }),
  d('usdt.s+', 'kprobe', undefined, { auto: 'usdt', sleep: true }),
  d('tc/ingress', 'sched_cls', 'tcx_ingress'),
  d('tc/egress', 'sched_cls', 'tcx_egress'),
  d('tcx/ingress', 'sched_cls', 'tcx_ingress'),
  d('tcx/egress', 'sched_cls', 'tcx_egress'),
  d('netkit/primary', 'sched_cls', 'netkit_primary'),
  d('netkit/peer', 'sched_cls', 'netkit_peer'),
  d('tc', 'sched_cls', undefined),
  d('classifier', 'sched_cls', undefined),
  d('action', 'sched_act', undefined),
  d('tracepoint+', 'tracepoint', undefined, { auto: 'tracepoint' }),
  d('tp+', 'tracepoint', undefined, { auto: 'tracepoint' }),
  d('raw_tracepoint+', 'raw_tracepoint', undefined, { auto: 'raw_tracepoint' }),
  d('raw_tp+', 'raw_tracepoint', undefined, { auto: 'raw_tracepoint' }),
  d('raw_tracepoint.w+', 'raw_tracepoint_writable', undefined, { auto: 'raw_tracepoint' }),
  d('raw_tp.w+', 'raw_tracepoint_writable', undefined, { auto: 'raw_tracepoint' }),
  d('tp_btf+', 'tracing', 'trace_raw_tp', { btf: true, auto: 'trace' }),
  d('fentry+', 'tracing', 'trace_fentry', { btf: true, auto: 'trace' }),
  d('fmod_ret+', 'tracing', 'modify_return', { btf: true, auto: 'trace' }),
  d('fexit+', 'tracing', 'trace_fexit', { btf: true, auto: 'trace' }),
  d('fentry.s+', 'tracing', 'trace_fentry', { btf: true, auto: 'trace', sleep: true }),
  d('fmod_ret.s+', 'tracing', 'modify_return', { btf: true, auto: 'trace', sleep: true }),
  d('fexit.s+', 'tracing', 'trace_fexit', { btf: true, auto: 'trace', sleep: true }),
  d('freplace+', 'ext', undefined, { btf: true, auto: 'trace' }),
  d('lsm+', 'lsm', 'lsm_mac', { btf: true, auto: 'lsm' }),
  d('lsm.s+', 'lsm', 'lsm_mac', { btf: true, auto: 'lsm', sleep: true }),
  d('lsm_cgroup+', 'lsm', 'lsm_cgroup', { btf: true }),
  d('iter+', 'tracing', 'trace_iter', { btf: true, auto: 'iter' }),
  d('iter.s+', 'tracing', 'trace_iter', { btf: true, auto: 'iter', sleep: true }),
  d('syscall', 'syscall', undefined, { sleep: true }),
  d('xdp.frags/devmap', 'xdp', 'xdp_devmap', { frags: true }),
  d('xdp/devmap', 'xdp', 'xdp_devmap'),
  d('xdp.frags/cpumap', 'xdp', 'xdp_cpumap', { frags: true }),
  d('xdp/cpumap', 'xdp', 'xdp_cpumap'),
  d('xdp.frags', 'xdp', 'xdp', { frags: true }),
  d('xdp', 'xdp', 'xdp'),
  d('perf_event', 'perf_event', undefined),
  d('lwt_in', 'lwt_in', undefined),
  d('lwt_out', 'lwt_out', undefined),
  d('lwt_xmit', 'lwt_xmit', undefined),
  d('lwt_seg6local', 'lwt_seg6local', undefined),
  d('sockops', 'sock_ops', 'cgroup_sock_ops'),
  d('sk_skb/stream_parser', 'sk_skb', 'sk_skb_stream_parser'),
  d('sk_skb/stream_verdict', 'sk_skb', 'sk_skb_stream_verdict'),
  d('sk_skb/verdict', 'sk_skb', 'sk_skb_verdict'),
  d('sk_skb', 'sk_skb', undefined),
  d('sk_msg', 'sk_msg', 'sk_msg_verdict'),
  d('lirc_mode2', 'lirc_mode2', 'lirc_mode2'),
  d('flow_dissector', 'flow_dissector', 'flow_dissector'),
  d('cgroup_skb/ingress', 'cgroup_skb', 'cgroup_inet_ingress'),
  d('cgroup_skb/egress', 'cgroup_skb', 'cgroup_inet_egress'),
  d('cgroup/skb', 'cgroup_skb', undefined),
  d('cgroup/sock_create', 'cgroup_sock', 'cgroup_inet_sock_create'),
  d('cgroup/sock_release', 'cgroup_sock', 'cgroup_inet_sock_release'),
  d('cgroup/sock', 'cgroup_sock', 'cgroup_inet_sock_create'),
  d('cgroup/post_bind4', 'cgroup_sock', 'cgroup_inet4_post_bind'),
  d('cgroup/post_bind6', 'cgroup_sock', 'cgroup_inet6_post_bind'),
  d('cgroup/bind4', 'cgroup_sock_addr', 'cgroup_inet4_bind'),
  d('cgroup/bind6', 'cgroup_sock_addr', 'cgroup_inet6_bind'),
  d('cgroup/connect4', 'cgroup_sock_addr', 'cgroup_inet4_connect'),
  d('cgroup/connect6', 'cgroup_sock_addr', 'cgroup_inet6_connect'),
  d('cgroup/connect_unix', 'cgroup_sock_addr', 'cgroup_unix_connect'),
  d('cgroup/sendmsg4', 'cgroup_sock_addr', 'cgroup_udp4_sendmsg'),
  d('cgroup/sendmsg6', 'cgroup_sock_addr', 'cgroup_udp6_sendmsg'),
  d('cgroup/sendmsg_unix', 'cgroup_sock_addr', 'cgroup_unix_sendmsg'),
  d('cgroup/recvmsg4', 'cgroup_sock_addr', 'cgroup_udp4_recvmsg'),
  d('cgroup/recvmsg6', 'cgroup_sock_addr', 'cgroup_udp6_recvmsg'),
  d('cgroup/recvmsg_unix', 'cgroup_sock_addr', 'cgroup_unix_recvmsg'),
  d('cgroup/getpeername4', 'cgroup_sock_addr', 'cgroup_inet4_getpeername'),
  d('cgroup/getpeername6', 'cgroup_sock_addr', 'cgroup_inet6_getpeername'),
  d('cgroup/getpeername_unix', 'cgroup_sock_addr', 'cgroup_unix_getpeername'),
  d('cgroup/getsockname4', 'cgroup_sock_addr', 'cgroup_inet4_getsockname'),
  d('cgroup/getsockname6', 'cgroup_sock_addr', 'cgroup_inet6_getsockname'),
  d('cgroup/getsockname_unix', 'cgroup_sock_addr', 'cgroup_unix_getsockname'),
  d('cgroup/sysctl', 'cgroup_sysctl', 'cgroup_sysctl'),
  d('cgroup/getsockopt', 'cgroup_sockopt', 'cgroup_getsockopt'),
  d('cgroup/setsockopt', 'cgroup_sockopt', 'cgroup_setsockopt'),
  d('cgroup/dev', 'cgroup_device', 'cgroup_device'),
  d('struct_ops+', 'struct_ops', undefined, { auto: 'struct_ops' }),
  d('struct_ops.s+', 'struct_ops', undefined, { auto: 'struct_ops', sleep: true }),
  d('sk_lookup', 'sk_lookup', 'sk_lookup'),
  d('netfilter', 'netfilter', 'netfilter'),
];

/** What a section name says about its programs. */
export interface SectionInfo {
  readonly def: SectionDef;
  readonly type: ProgTypeName;
  readonly typeNumber: number;
  readonly attachType: AttachTypeName | undefined;
  readonly attachTypeNumber: number | undefined;
  /** The part after the pattern and its `/` (`'sys_enter_execve'`), `''` when none. */
  readonly attachTo: string;
  /** `BPF_F_SLEEPABLE` / `BPF_F_XDP_HAS_FRAGS` bits. */
  readonly programFlags: number;
  /** False when matched only by the pre-1.0 prefix rule (see module comment). */
  readonly strict: boolean;
}

function info(def: SectionDef, attachTo: string, strict: boolean): SectionInfo {
  return {
    def,
    type: def.type,
    typeNumber: ProgType[def.type],
    attachType: def.attachType,
    attachTypeNumber: def.attachType === undefined ? undefined : AttachType[def.attachType],
    attachTo,
    programFlags: (def.sleepable ? BPF_F_SLEEPABLE : 0) | (def.xdpFrags ? BPF_F_XDP_HAS_FRAGS : 0),
    strict,
  };
}

/**
 * Look a section name up in libbpf's table. Returns undefined when no definition
 * matches (libbpf then refuses to guess the program type; the reader reports 'unspec').
 */
export function lookupSection(name: string): SectionInfo | undefined {
  if (cache.has(name)) return cache.get(name);
  const found = lookupUncached(name);
  // Bounded: names come from untrusted files.
  if (cache.size >= 1024) cache.clear();
  cache.set(name, found);
  return found;
}

const cache = new Map<string, SectionInfo | undefined>();

function lookupUncached(name: string): SectionInfo | undefined {
  for (const def of SECTION_DEFS) {
    const isPrefix = def.pattern.endsWith('+');
    const base = isPrefix ? def.pattern.slice(0, -1) : def.pattern;
    if (name === base) return info(def, '', true);
    if (isPrefix && name.startsWith(base + '/')) return info(def, name.slice(base.length + 1), true);
  }
  for (const def of SECTION_DEFS) {
    const isPrefix = def.pattern.endsWith('+');
    const base = isPrefix ? def.pattern.slice(0, -1) : def.pattern;
    // `xdp/foo`: the suffix only names the program; it is no attach target.
    if (name.startsWith(base + '/')) return info(def, isPrefix ? name.slice(base.length + 1) : '', false);
  }
  return undefined;
}
