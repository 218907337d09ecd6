/** Create the same spec on the kernel (bpf(2) via the map layer's kernel backend) and on the emulator. */
import type { MapBackend, MapDescriptor } from '../../../src/maps/backend.js';
import { KernelMapBackend } from '../../../src/maps/kernel-backend.js';
import { mapCreate } from '../../../src/sys/map-cmds.js';
import { possibleCpuCount } from '../../../src/sys/cpus.js';
import { PERCPU_MAP_TYPES } from '../../../src/sys/constants.js';
import { BpfError } from '../../../src/sys/errors.js';
import { createEmulatorBackend, type EmulatorOptions } from '../../../src/emu/index.js';
import type { SpecLite } from './gen.js';

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
export function createKernel(s: SpecLite, extra: { innerMapFd?: number } = {}): MapBackend | number {
  const d = descriptorOf(s, cpus());
  const fd = mapCreate({ type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags: s.flags, mapExtra: s.mapExtra ?? 0, name: d.name, innerMapFd: extra.innerMapFd });
  if (fd < 0) return fd;
  return new KernelMapBackend(fd, d);
}

/** An emulated map, or the negative errno the emulator's BPF_MAP_CREATE check gave. */
export function createEmulated(s: SpecLite, nCpus: number, options: EmulatorOptions = {}): MapBackend | number {
  try {
    return createEmulatorBackend(descriptorOf(s, nCpus), { nrCpus: 256, ...options });
  } catch (e) {
    if (e instanceof BpfError) return -e.errno;
    throw e;
  }
}
