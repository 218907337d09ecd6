/**
 * kprobes and kretprobes through the kprobe PMU (perf_event_open with
 * type = /sys/bus/event_source/devices/kprobe/type and the function name in
 * config1, Linux 4.17+), falling back to tracefs `kprobe_events` on older kernels.
 *
 * Kernels built without CONFIG_KPROBES have neither; we then say exactly that
 * (checking /proc/config.gz or /boot/config-*) instead of a bare ENOENT.
 */
import { readFileSync, appendFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { release } from 'node:os';
import { EbpfError, InvalidArgumentError, NotSupportedError } from '../sys/errors.js';
import { tracefsRoot } from '../sys/fs.js';
import { perfEventOpen, PerfType } from '../sys/perf-event.js';
import type { Program } from '../prog/program.js';
import { Link } from './link.js';
import { attachToPerfEvent, tracepointId, type PerfAttachOptions } from './perf-event.js';

const PMU_DIR = '/sys/bus/event_source/devices/kprobe';
const SYMBOL_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** A kernel config option's value from /proc/config.gz or /boot/config-<release>: `'y'`, `'m'`, `'n'` (unset) or `undefined` when no config is readable. */
export function kernelConfigOption(option: string): string | undefined {
  let text: string | undefined;
  try {
    text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    try {
      text = readFileSync(`/boot/config-${release()}`, 'utf8');
    } catch {
      return undefined;
    }
  }
  const set = new RegExp(`^${option}=(.*)$`, 'm').exec(text);
  if (set) return set[1]!.replace(/^"|"$/g, '');
  return 'n';
}

/** Why kprobes cannot work here, or undefined when they might. */
export function kprobesUnavailableReason(): string | undefined {
  if (existsSync(`${PMU_DIR}/type`)) return undefined;
  const opt = kernelConfigOption('CONFIG_KPROBES');
  if (opt === 'n') return `this kernel (${release()}) was built without kprobes: CONFIG_KPROBES is not set (per its config), so there is no kprobe PMU (${PMU_DIR}) and no kprobe_events; use a tracepoint (attachTracepoint, attachRawTracepoint) or fentry/fexit (attachTracing) instead`;
  return undefined;
}

function kprobePmu(): { type: number; retprobeBit: number } | undefined {
  try {
    const type = Number.parseInt(readFileSync(`${PMU_DIR}/type`, 'utf8').trim(), 10);
    // format/retprobe reads "config:0": the bit of config that selects a return probe.
    const fmt = readFileSync(`${PMU_DIR}/format/retprobe`, 'utf8').trim();
    const bit = /^config:(\d+)$/.exec(fmt);
    return { type, retprobeBit: bit ? Number(bit[1]) : 0 };
  } catch {
    return undefined;
  }
}

let legacyCounter = 0;

function attachProbe(program: Program, symbol: string, offset: number, ret: boolean, options: PerfAttachOptions): Link {
  if (!SYMBOL_RE.test(symbol)) throw new InvalidArgumentError(`kprobe symbol '${symbol}': expected a kernel function name`);
  if (!Number.isInteger(offset) || offset < 0) throw new InvalidArgumentError(`kprobe offset ${offset}: expected a non-negative integer`);
  if (ret && offset) throw new InvalidArgumentError('kretprobes take no offset');
  const kind = ret ? 'kretprobe' : 'kprobe';
  const target = `${kind} ${symbol}${offset ? `+${offset}` : ''}`;
  const reason = kprobesUnavailableReason();
  if (reason) throw new NotSupportedError(`${target}: ${reason}`);
  const pmu = kprobePmu();
  if (pmu) {
    let fd: number;
    try {
      fd = perfEventOpen({
        type: pmu.type, config: ret ? 1n << BigInt(pmu.retprobeBit) : 0n, config1String: symbol, config2: offset,
        samplePeriod: 1, wakeupEvents: 1,
      }, -1, 0, target);
    } catch (e) {
      if (e instanceof EbpfError && e.code === 'ENOENT') throw new EbpfError('ENOENT', `${target}: no such kernel function (or it cannot be probed: see /sys/kernel/debug/kprobes/blacklist)`);
      throw e;
    }
    return attachToPerfEvent(program, fd, kind, target, options.cookie);
  }
  return attachLegacy(program, symbol, offset, ret, kind, target, options);
}

/** Before Linux 4.17: create the probe by writing to tracefs kprobe_events, then open it as a tracepoint. */
function attachLegacy(program: Program, symbol: string, offset: number, ret: boolean, kind: string, target: string, options: PerfAttachOptions): Link {
  const root = tracefsRoot();
  const events = `${root}/kprobe_events`;
  if (!existsSync(events)) throw new NotSupportedError(`${target}: neither the kprobe PMU (${PMU_DIR}) nor ${events} exists; the kernel needs CONFIG_KPROBES`, '4.1');
  const name = `ebpf_${process.pid}_${legacyCounter++}_${symbol}`.slice(0, 63).replace(/\./g, '_');
  appendFileSync(events, `${ret ? 'r' : 'p'}:kprobes/${name} ${symbol}${offset ? `+${offset}` : ''}\n`);
  const remove = () => { try { appendFileSync(events, `-:kprobes/${name}\n`); } catch { /* already gone */ } };
  try {
    const id = tracepointId('kprobes', name);
    const fd = perfEventOpen({ type: PerfType.TRACEPOINT, config: id, samplePeriod: 1, wakeupEvents: 1 }, -1, 0, target);
    const inner = attachToPerfEvent(program, fd, kind, target, options.cookie);
    // The probe definition must outlive the perf event: close the event first, then remove the probe.
    return new Link({ kind, linkFd: -1, target, detach: () => { inner.close(); remove(); } });
  } catch (e) {
    remove();
    throw e;
  }
}

/**
 * Run a `kprobe` program at a kernel function entry (plus `offset` bytes).
 * Throws `NotSupportedError` when the kernel has no kprobes (CONFIG_KPROBES unset),
 * `EbpfError` ENOENT for unknown or unprobeable functions, `BpfError` otherwise.
 * Linux 4.17+ (kprobe PMU); 4.1+ through tracefs kprobe_events.
 */
export function attachKprobe(program: Program, symbol: string, offset = 0, options: PerfAttachOptions = {}): Link {
  return attachProbe(program, symbol, offset, false, options);
}

/** Run a `kprobe` program when a kernel function returns. Same errors and versions as `attachKprobe`. */
export function attachKretprobe(program: Program, symbol: string, options: PerfAttachOptions = {}): Link {
  return attachProbe(program, symbol, 0, true, options);
}
