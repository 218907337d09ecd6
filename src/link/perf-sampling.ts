/**
 * `perf_event` programs on sampling events: one perf event per CPU (software
 * cpu-clock, a hardware counter, ...), each running the program on overflow.
 * This is how profilers sample stacks (perf_event_open(2), Linux 4.9+).
 */
import { possibleCpuCount } from '../sys/cpus.js';
import { EbpfError, InvalidArgumentError } from '../sys/errors.js';
import { perfEventOpen, PerfType } from '../sys/perf-event.js';
import type { Program } from '../prog/program.js';
import { Link } from './link.js';
import { attachToPerfEvent } from './perf-event.js';

export interface PerfSamplingOptions {
  /** `'software'`, `'hardware'`, or a PMU type number. Default `'software'`. */
  readonly type?: 'software' | 'hardware' | number;
  /** The event within the type: PERF_COUNT_SW_CPU_CLOCK (0) by default; PERF_COUNT_HW_CPU_CYCLES is 0 too. */
  readonly config?: number | bigint;
  /** Sample this many times per second (default 99 Hz), or... */
  readonly frequency?: number;
  /** ...every `period` events. */
  readonly period?: number | bigint;
  /** Only this process (default -1: every process). */
  readonly pid?: number;
  /** CPUs to sample on (default: every online CPU). */
  readonly cpus?: readonly number[];
}

/**
 * Attach a `perf_event` program to a sampling event on every CPU. The returned
 * link closes all per-CPU events. Throws `BpfError` (ENOENT/EOPNOTSUPP when the
 * PMU lacks the event, e.g. hardware counters in most VMs), `InvalidArgumentError`.
 */
export function attachPerfEvent(program: Program, options: PerfSamplingOptions = {}): Link {
  const type = options.type === undefined || options.type === 'software' ? PerfType.SOFTWARE : options.type === 'hardware' ? PerfType.HARDWARE : options.type;
  if (options.frequency !== undefined && options.period !== undefined) throw new InvalidArgumentError('attachPerfEvent: give frequency or period, not both');
  const freq = options.period === undefined ? options.frequency ?? 99 : undefined;
  if (freq !== undefined && (!Number.isInteger(freq) || freq <= 0)) throw new InvalidArgumentError(`sampling frequency ${freq}: expected a positive integer (Hz)`);
  const cpus = options.cpus ?? Array.from({ length: possibleCpuCount() }, (_, i) => i);
  const links: Link[] = [];
  try {
    for (const cpu of cpus) {
      let fd: number;
      try {
        fd = perfEventOpen({
          type, config: options.config ?? 0, samplePeriod: freq ?? options.period!, frequency: freq !== undefined,
        }, options.pid ?? -1, cpu, `perf event ${type}:${options.config ?? 0} on CPU ${cpu}`);
      } catch (e) {
        if (e instanceof EbpfError && e.code === 'ENODEV' && options.cpus === undefined) continue; // offline CPU
        throw e;
      }
      links.push(attachToPerfEvent(program, fd, 'perf_event', `perf_event on CPU ${cpu}`));
    }
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
  return new Link({
    kind: 'perf_event', linkFd: -1, target: `perf_event ${type}:${options.config ?? 0} on ${links.length} CPUs`,
    detach: () => { for (const l of links) l.close(); },
  });
}
