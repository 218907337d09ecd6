/**
 * uprobes and uretprobes through the uprobe PMU (perf_event_open with
 * type = /sys/bus/event_source/devices/uprobe/type, the binary's path in config1
 * and the file offset in config2; Linux 4.17+). Functions are found by name in
 * the binary's ELF symbol tables.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EbpfError, InvalidArgumentError, NotSupportedError } from '../sys/errors.js';
import { perfEventOpen } from '../sys/perf-event.js';
import type { Program } from '../prog/program.js';
import { symbolFileOffset } from './elf-symbols.js';
import { Link } from './link.js';
import { attachToPerfEvent } from './perf-event.js';
import { kernelConfigOption } from './kprobe.js';

const PMU_DIR = '/sys/bus/event_source/devices/uprobe';

export interface UprobeOptions {
  /** Only this process (default: every process that maps the binary). */
  readonly pid?: number;
  /** Value for bpf_get_attach_cookie() (Linux 5.15+). */
  readonly cookie?: bigint;
}

function uprobePmu(): { type: number; retprobeBit: number } {
  if (!existsSync(`${PMU_DIR}/type`)) {
    const opt = kernelConfigOption('CONFIG_UPROBE_EVENTS');
    const why = opt === 'n' ? 'the kernel was built without CONFIG_UPROBE_EVENTS' : 'the kernel is older than 4.17 or lacks CONFIG_UPROBE_EVENTS';
    throw new NotSupportedError(`uprobes need the uprobe PMU (${PMU_DIR}): ${why}`, '4.17');
  }
  const type = Number.parseInt(readFileSync(`${PMU_DIR}/type`, 'utf8').trim(), 10);
  const bit = /^config:(\d+)$/.exec(readFileSync(`${PMU_DIR}/format/retprobe`, 'utf8').trim());
  return { type, retprobeBit: bit ? Number(bit[1]) : 0 };
}

function attach(program: Program, binary: string, target: string | number, ret: boolean, options: UprobeOptions): Link {
  if (typeof binary !== 'string' || binary === '' || binary.includes('\0')) throw new InvalidArgumentError(`uprobe binary '${binary}': expected a file path`);
  const offset = typeof target === 'number' ? target : symbolFileOffset(binary, target);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`uprobe offset ${offset}: expected a non-negative integer`);
  const pid = options.pid ?? -1;
  if (!Number.isInteger(pid) || pid < -1) throw new InvalidArgumentError(`uprobe pid ${pid}: expected a process id`);
  const pmu = uprobePmu();
  const kind = ret ? 'uretprobe' : 'uprobe';
  const where = `${kind} ${binary}:${typeof target === 'number' ? `0x${offset.toString(16)}` : target}`;
  let fd: number;
  try {
    // All CPUs: pid -1 with cpu 0 (the program runs wherever the probe hits), or one process on any CPU.
    fd = perfEventOpen({
      type: pmu.type, config: ret ? 1n << BigInt(pmu.retprobeBit) : 0n, config1String: binary, config2: offset,
      samplePeriod: 1, wakeupEvents: 1,
    }, pid, pid === -1 ? 0 : -1, where);
  } catch (e) {
    if (e instanceof EbpfError && e.code === 'ESRCH') throw new EbpfError('ESRCH', `${where}: no process ${pid}`);
    throw e;
  }
  return attachToPerfEvent(program, fd, kind, where, options.cookie);
}

/**
 * Run a `kprobe`-type program when a user-space function is entered: `target`
 * is a function name (looked up in the ELF symbol tables) or a file offset.
 * Throws `EbpfError` ENOENT for unknown functions, `NotSupportedError` without
 * the uprobe PMU, `ParseError` for malformed binaries. Linux 4.17+.
 */
export function attachUprobe(program: Program, binary: string, target: string | number, options: UprobeOptions = {}): Link {
  return attach(program, binary, target, false, options);
}

/** Like `attachUprobe`, when the function returns. */
export function attachUretprobe(program: Program, binary: string, target: string | number, options: UprobeOptions = {}): Link {
  return attach(program, binary, target, true, options);
}
