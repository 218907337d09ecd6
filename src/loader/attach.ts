/**
 * Attaching a collection's programs where their section names say, as
 * libbpf's skeleton `attach()` does (libbpf.c, `sec_def->prog_attach_fn`):
 *
 *   tracepoint/<cat>/<name>, tp/...     perf event on the tracepoint (Linux 4.7+)
 *   raw_tracepoint/<name>, raw_tp/...   BPF_RAW_TRACEPOINT_OPEN (4.17+)
 *   fentry/ fexit/ fmod_ret/ tp_btf/    BPF_LINK_CREATE to the BTF target chosen at load (5.5+)
 *   lsm/<hook>                          same, for LSM hooks (5.7+)
 *   kprobe/ kretprobe/ ksyscall/<fn>    kprobe perf event (needs CONFIG_KPROBES)
 * Programs that need a target only the caller knows attach when it is given:
 *   xdp                                  `iface` (XDP link, 5.9+)
 *   tc, tcx/ingress, tcx/egress          `iface` (tcx link, 6.6+; plain `tc`/`classifier` go to ingress)
 *   cgroup_skb/..., cgroup/...           `cgroup` (a cgroup v2 directory)
 *   socket                               `socketFd`
 * Everything else (struct_ops, iter, freplace, perf_event, sk_msg, ...) is
 * reported as not auto-attachable.
 */
import { arch } from 'node:os';
import type { Link } from '../link/link.js';
import {
  attachCgroup, attachKprobe, attachKretprobe, attachRawTracepoint, attachSocketFilter, attachTcx, attachTracepoint, attachTracing,
  attachXdp, type XdpMode,
} from '../link/index.js';
import type { ProgramSpec } from '../object/spec.js';
import type { Program } from '../prog/program.js';
import { InvalidArgumentError, NotSupportedError } from '../sys/errors.js';
import { lookupSection } from '../object/section-names.js';
import type { Collection } from './collection.js';

/** Targets for programs whose section does not name one. */
export interface AttachOptions {
  /** Interface (name or index) for xdp and tc/tcx programs. */
  readonly iface?: string | number;
  readonly xdpMode?: XdpMode;
  /** cgroup v2 directory for cgroup programs. */
  readonly cgroup?: string;
  /** Socket fd for socket filters. */
  readonly socketFd?: number;
}

/** The syscall entry symbol of `name` on this architecture (libbpf's ksyscall prefixes). */
function syscallSymbol(name: string): string {
  const prefix: Record<string, string> = { x64: '__x64_sys_', arm64: '__arm64_sys_', s390x: '__s390x_sys_', riscv64: '__riscv_sys_', ia32: '__ia32_sys_' };
  return `${prefix[arch()] ?? '__se_sys_'}${name}`;
}

/** What `attachProgram` would do for this program, or why it cannot: for `ebpf run` to report. */
export function attachKind(spec: ProgramSpec, options: AttachOptions = {}): { kind: string; target: string } | { kind: 'none'; reason: string } {
  const def = lookupSection(spec.section)?.def;
  const auto = def?.autoAttach ?? 'none';
  const t = spec.attachTo;
  switch (auto) {
    case 'tracepoint': return { kind: 'tracepoint', target: t };
    case 'raw_tracepoint': return { kind: 'raw_tracepoint', target: t };
    case 'trace': return spec.type === 'ext' ? { kind: 'none', reason: 'freplace programs need a target program fd' } : { kind: 'tracing', target: t };
    case 'lsm': return { kind: 'lsm', target: t };
    case 'kprobe': return { kind: spec.isReturnProbe ? 'kretprobe' : 'kprobe', target: t };
    case 'ksyscall': return { kind: spec.isReturnProbe ? 'kretprobe' : 'kprobe', target: syscallSymbol(t) };
    default: break;
  }
  switch (spec.type) {
    case 'xdp':
      return options.iface !== undefined ? { kind: 'xdp', target: String(options.iface) } : { kind: 'none', reason: 'xdp programs need an interface (iface)' };
    case 'sched_cls': case 'sched_act':
      return options.iface !== undefined ? { kind: 'tcx', target: String(options.iface) } : { kind: 'none', reason: 'tc programs need an interface (iface)' };
    case 'cgroup_skb': case 'cgroup_sock': case 'cgroup_sock_addr': case 'cgroup_sockopt': case 'cgroup_sysctl': case 'cgroup_device': case 'sock_ops':
      return options.cgroup !== undefined ? { kind: 'cgroup', target: options.cgroup } : { kind: 'none', reason: `${spec.type} programs need a cgroup directory (cgroup)` };
    case 'socket_filter':
      return options.socketFd !== undefined ? { kind: 'socket', target: `fd ${options.socketFd}` } : { kind: 'none', reason: 'socket filters need a socket (socketFd)' };
    default:
      return { kind: 'none', reason: `section '${spec.section}' (${typeof spec.type === 'number' ? spec.type : spec.type}) has no automatic attach point` };
  }
}

/**
 * Attach one loaded program as its section says. Throws `NotSupportedError`
 * naming the section when it cannot be attached automatically (or without the
 * needed option), `InvalidArgumentError` for bad options, and the link
 * layer's errors (`BpfError` ENOENT for a missing tracepoint or function,
 * `NotSupportedError` for kprobes on kernels without CONFIG_KPROBES).
 */
export function attachProgram(spec: ProgramSpec, program: Program, options: AttachOptions = {}): Link {
  const k = attachKind(spec, options);
  if (k.kind === 'none') throw new NotSupportedError(`program ${spec.name}: ${'reason' in k ? k.reason : ''}`);
  const target = (k as { target: string }).target;
  switch (k.kind) {
    case 'tracepoint': {
      const slash = target.indexOf('/');
      if (slash <= 0) throw new InvalidArgumentError(`program ${spec.name}: tracepoint section '${spec.section}' should be tracepoint/<category>/<name>`);
      return attachTracepoint(program, target.slice(0, slash), target.slice(slash + 1));
    }
    case 'raw_tracepoint': return attachRawTracepoint(program, target);
    case 'tracing': case 'lsm': return attachTracing(program);
    case 'kprobe': return attachKprobe(program, target);
    case 'kretprobe': return attachKretprobe(program, target);
    case 'xdp': return attachXdp(program, options.iface!, options.xdpMode ? { mode: options.xdpMode } : {});
    case 'tcx': return attachTcx(program, options.iface!, spec.attachType === 'tcx_egress' ? 'egress' : 'ingress');
    case 'cgroup': {
      if (spec.attachType === undefined) throw new NotSupportedError(`program ${spec.name}: section '${spec.section}' names no cgroup attach type`);
      return attachCgroup(program, options.cgroup!, spec.attachType);
    }
    case 'socket': return attachSocketFilter(program, options.socketFd!);
    default: throw new NotSupportedError(`program ${spec.name}: cannot attach ${k.kind}`);
  }
}

/** Links made by `attachAll`; closing detaches them all. */
export class AttachedLinks implements Disposable {
  /** Links by program name. */
  readonly links: Record<string, Link>;
  /** Programs left unattached, with the reason. */
  readonly skipped: Record<string, string>;
  constructor(links: Record<string, Link>, skipped: Record<string, string>) {
    this.links = links;
    this.skipped = skipped;
  }
  close(): void {
    for (const l of Object.values(this.links)) l.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Attach every program of the collection that has an attach point (from its
 * section, or from `options`); programs without one are listed in `skipped`.
 * All-or-nothing: if one attach fails, the links already made are closed and
 * the error is thrown.
 */
export function attachAll(collection: Collection, options: AttachOptions = {}): AttachedLinks {
  const links: Record<string, Link> = {};
  const skipped: Record<string, string> = {};
  try {
    for (const [name, program] of Object.entries(collection.programs)) {
      const spec = collection.spec.programs.get(name)!;
      const k = attachKind(spec, options);
      if (k.kind === 'none') {
        skipped[name] = (k as { reason: string }).reason;
        continue;
      }
      links[name] = attachProgram(spec, program, options);
    }
  } catch (e) {
    for (const l of Object.values(links)) l.close();
    throw e;
  }
  return new AttachedLinks(links, skipped);
}
