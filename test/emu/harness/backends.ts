/** Create the same spec on the kernel (bpf(2) via the map layer's kernel backend) and on the emulator. */
import type { MapBackend, MapDescriptor } from '../../../src/maps/backend.js';
import { KernelMapBackend } from '../../../src/maps/kernel-backend.js';
import { mapCreate } from '../../../src/sys/map-cmds.js';
import { possibleCpuCount } from '../../../src/sys/cpus.js';
import { PERCPU_MAP_TYPES } from '../../../src/sys/constants.js';
import { BpfError } from '../../../src/sys/errors.js';
import { createEmulatorBackend, type EmulatorOptions } from '../../../src/emu/index.js';
import type { SpecLite } from './gen.js';
import { readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';

/** Possible CPUs of the machine the answers come from (recorded with them). */
export function cpus(): number {
  return possibleCpuCount();
}

export function descriptorOf(s: SpecLite, nCpus: number, name = 'diff'): MapDescriptor {
  const percpu = PERCPU_MAP_TYPES.has(s.type);
  return {
    type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags: s.flags, name,
    nCpus: percpu ? nCpus : 1,
    valueBufferSize: percpu ? Math.ceil(s.valueSize / 8) * 8 * nCpus : s.valueSize,
    id: 0, mapExtra: BigInt(s.mapExtra ?? 0), btfId: 0, btfKeyTypeId: 0, btfValueTypeId: 0,
  };
}

/** A kernel map, or the negative errno of BPF_MAP_CREATE. */
export function createKernel(s: SpecLite, extra: { innerMapFd?: number } = {}): KernelMapBackend | number {
  const d = descriptorOf(s, cpus());
  const fd = mapCreate({ type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags: s.flags, mapExtra: s.mapExtra ?? 0, name: d.name, innerMapFd: extra.innerMapFd });
  if (fd < 0) return fd;
  return new KernelMapBackend(fd, d);
}

/** CONFIG_NR_CPUS of the running kernel (the cpumap size limit), from /boot/config-*, else 8192. */
export function kernelNrCpus(): number {
  try {
    const m = /^CONFIG_NR_CPUS=(\d+)$/m.exec(readFileSync(`/boot/config-${release()}`, 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // no kernel config to read
  }
  return 8192;
}

/** Interface indexes of this network namespace (devmap values). */
export function hostIfindexes(): number[] {
  try {
    return readdirSync('/sys/class/net').map((d) => Number(readFileSync(`/sys/class/net/${d}/ifindex`, 'utf8')));
  } catch {
    return [1];
  }
}

/** An emulated map, or the negative errno the emulator's BPF_MAP_CREATE check gave. */
export function createEmulated(s: SpecLite, nCpus: number, options: EmulatorOptions = {}): MapBackend | number {
  try {
    return createEmulatorBackend(descriptorOf(s, nCpus), { nrCpus: kernelNrCpus(), possibleCpus: nCpus, ...options });
  } catch (e) {
    if (e instanceof BpfError) return -e.errno;
    throw e;
  }
}
