/**
 * Programs on perf events: tracepoints and kprobes. The event is opened with
 * perf_event_open(2), then the program is attached with a bpf_link
 * (BPF_LINK_CREATE with BPF_PERF_EVENT, Linux 5.15+) or, on older kernels,
 * with the PERF_EVENT_IOC_SET_BPF ioctl (4.1+). Closing the link detaches the
 * program and closes the event.
 */
import { readFileSync } from 'node:fs';
import { BpfError, EbpfError, InvalidArgumentError } from '../sys/errors.js';
import { tracefsRoot } from '../sys/fs.js';
import { linkCreate } from '../sys/link-cmds.js';
import { native } from '../sys/native.js';
import { perfEventEnable, perfEventOpen, perfEventSetBpf, PerfType } from '../sys/perf-event.js';
import { AttachType } from '../sys/prog-types.js';
import type { Program } from '../prog/program.js';
import { Link } from './link.js';

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

/** The tracefs id of `category/name` (events/<category>/<name>/id). Throws `EbpfError` ENOENT when the tracepoint does not exist. */
export function tracepointId(category: string, name: string): number {
  for (const part of [category, name]) {
    if (!NAME_RE.test(part) || part === '.' || part === '..') throw new InvalidArgumentError(`tracepoint name '${category}/${name}': expected names of letters, digits, '_', '-', '.'`);
  }
  const root = tracefsRoot();
  const path = `${root}/events/${category}/${name}/id`;
  try {
    return Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new EbpfError('ENOENT', `no tracepoint ${category}/${name} (${path} does not exist; see ${root}/available_events)`);
    throw e;
  }
}

/**
 * Attach `program` to an open perf event fd, taking ownership of the fd.
 * Uses a bpf_link when the kernel has them for perf events, else the ioctl.
 */
export function attachToPerfEvent(program: Program, perfFd: number, kind: string, target: string, cookie?: bigint): Link {
  try {
    let linkFd = -1;
    try {
      linkFd = linkCreate('perf_event', { progFd: program.fd, target: perfFd, attachType: AttachType.perf_event, cookie }, target);
    } catch (e) {
      // Before Linux 5.15, LINK_CREATE does not know BPF_PERF_EVENT (EINVAL).
      if (!(e instanceof BpfError) || e.code !== 'EINVAL' || cookie) throw e;
      perfEventSetBpf(perfFd, program.fd);
    }
    perfEventEnable(perfFd);
    return new Link({ kind, linkFd, ownedFds: [perfFd], target });
  } catch (e) {
    native().close(perfFd);
    throw e;
  }
}

export interface PerfAttachOptions {
  /** A value the program reads with bpf_get_attach_cookie() (Linux 5.15+). */
  readonly cookie?: bigint;
}

/**
 * Run a `tracepoint` program on a tracefs tracepoint (e.g. `'syscalls'`,
 * `'sys_enter_execve'`). Mounts tracefs if needed. Linux 4.7+.
 * Throws `EbpfError` ENOENT for unknown tracepoints, `BpfError` (EINVAL when the
 * program type is not tracepoint), `NotSupportedError` without tracefs.
 */
export function attachTracepoint(program: Program, category: string, name: string, options: PerfAttachOptions = {}): Link {
  const id = tracepointId(category, name);
  const target = `tracepoint ${category}/${name}`;
  const fd = perfEventOpen({ type: PerfType.TRACEPOINT, config: id, samplePeriod: 1, wakeupEvents: 1 }, -1, 0, target);
  return attachToPerfEvent(program, fd, 'tracepoint', target, options.cookie);
}
