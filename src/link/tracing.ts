/** Raw tracepoints and BTF-typed tracing programs (fentry/fexit/fmod_ret/tp_btf/lsm). */
import { BpfError, InvalidArgumentError } from '../sys/errors.js';
import { linkCreate, rawTracepointOpen } from '../sys/link-cmds.js';
import { AttachType, attachTypeName, ProgType } from '../sys/prog-types.js';
import type { Program } from '../prog/program.js';
import { Link } from './link.js';

const NAME_RE = /^[A-Za-z0-9_]+$/;

/**
 * Run a `raw_tracepoint` (or `raw_tracepoint_writable`) program on a kernel
 * tracepoint by its name (`'sys_enter'`, `'sched_switch'`), with
 * BPF_RAW_TRACEPOINT_OPEN (Linux 4.17+). The result is a bpf_link.
 * Throws `BpfError` ENOENT when there is no such tracepoint.
 */
export function attachRawTracepoint(program: Program, name: string, options: { cookie?: bigint } = {}): Link {
  if (!NAME_RE.test(name)) throw new InvalidArgumentError(`raw tracepoint '${name}': expected a tracepoint name such as 'sys_enter'`);
  const fd = rawTracepointOpen(program.fd, name, options.cookie ?? 0n);
  return new Link({ kind: 'raw_tracepoint', linkFd: fd, target: `raw_tracepoint ${name}` });
}

/**
 * Attach a `tracing` program (fentry, fexit, fmod_ret, tp_btf) or an `lsm`
 * program to the target chosen at load time (`attachTo`/`attachBtfId`).
 * Uses BPF_LINK_CREATE when the program's attach type is known (Linux 5.7+;
 * cookies 6.0+), else BPF_RAW_TRACEPOINT_OPEN without a name (5.5+).
 * Throws `InvalidArgumentError` for other program types, `BpfError` from the kernel.
 */
export function attachTracing(program: Program, options: { cookie?: bigint } = {}): Link {
  if (program.type !== ProgType.tracing && program.type !== ProgType.lsm && program.type !== ProgType.ext) {
    throw new InvalidArgumentError(`attachTracing: program '${program.name}' is of type ${program.typeName}: expected tracing, lsm or ext`);
  }
  const attachType = program.attachType ?? (program.type === ProgType.lsm ? AttachType.lsm_mac : undefined);
  const kind = attachType === undefined ? program.typeName : (attachTypeName(attachType) ?? 'tracing').replace(/^trace_/, '');
  const target = `${kind} program ${program.name}`;
  if (attachType !== undefined && program.type !== ProgType.ext) {
    try {
      const fd = linkCreate('tracing', { progFd: program.fd, target: 0, attachType, cookie: options.cookie }, target);
      return new Link({ kind, linkFd: fd, target });
    } catch (e) {
      // Kernels before 5.7/6.0 reject LINK_CREATE for tracing with EINVAL: use raw_tracepoint_open.
      if (!(e instanceof BpfError) || e.code !== 'EINVAL' || options.cookie) throw e;
    }
  }
  const fd = rawTracepointOpen(program.fd, null);
  return new Link({ kind, linkFd: fd, target });
}
