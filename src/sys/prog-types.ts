/**
 * Program and attach type numbers, `enum bpf_prog_type` and `enum bpf_attach_type`
 * from include/uapi/linux/bpf.h (Linux 6.18), with name <-> number helpers.
 * Pure constants (no syscalls), so the object reader (src/object) and the
 * program/link layers share this one table. Numbers never change once released.
 */
import { InvalidArgumentError } from './errors.js';

/** `enum bpf_prog_type`, keyed by the kernel name without `BPF_PROG_TYPE_`, lower case (as bpftool prints them). */
export const ProgType = {
  unspec: 0, socket_filter: 1, kprobe: 2, sched_cls: 3, sched_act: 4, tracepoint: 5, xdp: 6, perf_event: 7,
  cgroup_skb: 8, cgroup_sock: 9, lwt_in: 10, lwt_out: 11, lwt_xmit: 12, sock_ops: 13, sk_skb: 14,
  cgroup_device: 15, sk_msg: 16, raw_tracepoint: 17, cgroup_sock_addr: 18, lwt_seg6local: 19, lirc_mode2: 20,
  sk_reuseport: 21, flow_dissector: 22, cgroup_sysctl: 23, raw_tracepoint_writable: 24, cgroup_sockopt: 25,
  tracing: 26, struct_ops: 27, ext: 28, lsm: 29, sk_lookup: 30, syscall: 31, netfilter: 32,
} as const;
export type ProgTypeName = keyof typeof ProgType;

/** `enum bpf_attach_type`, keyed by the kernel name without `BPF_`, lower case (bpftool's names differ for a few). */
export const AttachType = {
  cgroup_inet_ingress: 0, cgroup_inet_egress: 1, cgroup_inet_sock_create: 2, cgroup_sock_ops: 3,
  sk_skb_stream_parser: 4, sk_skb_stream_verdict: 5, cgroup_device: 6, sk_msg_verdict: 7, cgroup_inet4_bind: 8,
  cgroup_inet6_bind: 9, cgroup_inet4_connect: 10, cgroup_inet6_connect: 11, cgroup_inet4_post_bind: 12,
  cgroup_inet6_post_bind: 13, cgroup_udp4_sendmsg: 14, cgroup_udp6_sendmsg: 15, lirc_mode2: 16,
  flow_dissector: 17, cgroup_sysctl: 18, cgroup_udp4_recvmsg: 19, cgroup_udp6_recvmsg: 20,
  cgroup_getsockopt: 21, cgroup_setsockopt: 22, trace_raw_tp: 23, trace_fentry: 24, trace_fexit: 25,
  modify_return: 26, lsm_mac: 27, trace_iter: 28, cgroup_inet4_getpeername: 29, cgroup_inet6_getpeername: 30,
  cgroup_inet4_getsockname: 31, cgroup_inet6_getsockname: 32, xdp_devmap: 33, cgroup_inet_sock_release: 34,
  xdp_cpumap: 35, sk_lookup: 36, xdp: 37, sk_skb_verdict: 38, sk_reuseport_select: 39,
  sk_reuseport_select_or_migrate: 40, perf_event: 41, trace_kprobe_multi: 42, lsm_cgroup: 43, struct_ops: 44,
  netfilter: 45, tcx_ingress: 46, tcx_egress: 47, trace_uprobe_multi: 48, cgroup_unix_connect: 49,
  cgroup_unix_sendmsg: 50, cgroup_unix_recvmsg: 51, cgroup_unix_getpeername: 52, cgroup_unix_getsockname: 53,
  netkit_primary: 54, netkit_peer: 55, trace_kprobe_session: 56, trace_uprobe_session: 57,
} as const;
export type AttachTypeName = keyof typeof AttachType;

const progTypeNames = new Map<number, ProgTypeName>(Object.entries(ProgType).map(([k, v]) => [v, k as ProgTypeName]));
const attachTypeNames = new Map<number, AttachTypeName>(Object.entries(AttachType).map(([k, v]) => [v, k as AttachTypeName]));

/** `'xdp'` for 6; `undefined` for numbers newer than this library. */
export function progTypeName(type: number): ProgTypeName | undefined {
  return progTypeNames.get(type);
}
/** `'xdp'` for 37; `undefined` for unknown numbers. */
export function attachTypeName(type: number): AttachTypeName | undefined {
  return attachTypeNames.get(type);
}
/** A program type name (`'xdp'`, `'BPF_PROG_TYPE_XDP'`) or number → number. Throws `InvalidArgumentError` for unknown names. */
export function progTypeNumber(type: string | number): number {
  if (typeof type === 'number') return type;
  const n = (ProgType as Record<string, number>)[type.toLowerCase().replace(/^bpf_prog_type_/, '')];
  if (n === undefined) throw new InvalidArgumentError(`unknown program type '${type}': expected one of ${Object.keys(ProgType).join(', ')} or a number`);
  return n;
}
/** An attach type name (`'xdp'`, `'BPF_TRACE_FENTRY'`, `'trace_fentry'`) or number → number. Throws `InvalidArgumentError` for unknown names. */
export function attachTypeNumber(type: string | number): number {
  if (typeof type === 'number') return type;
  const n = (AttachType as Record<string, number>)[type.toLowerCase().replace(/^bpf_/, '')];
  if (n === undefined) throw new InvalidArgumentError(`unknown attach type '${type}': expected one of ${Object.keys(AttachType).join(', ')} or a number`);
  return n;
}
