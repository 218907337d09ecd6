/**
 * Loads the native addon (build/Release/ebpf_native.node). This is the only
 * module that touches it; everything else goes through src/sys.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NotSupportedError } from './errors.js';

/** The addon's functions. Every call returns a result `>= 0` or `-errno`. */
export interface NativeAddon {
  bpf(cmd: number, attr: Uint8Array, ...pointers: (number | ArrayBufferView | null)[]): number;
  addressOf(buffer: ArrayBufferView | ArrayBuffer): bigint;
  /** Register an attr for `bpfSlot`; the caller keeps `attr` alive until `unregisterAttr`. */
  registerAttr(attr: Uint8Array): number;
  unregisterAttr(slot: number): number;
  /** bpf(cmd, registered attr, its size): the hot path of map element operations. */
  bpfSlot(cmd: number, slot: number): number;
  close(fd: number): number;
  dup(fd: number): number;
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): ArrayBuffer | number;
  munmap(buffer: ArrayBuffer): number;
  pageSize(): number;
  pollStart(fd: number, events: number, callback: (status: number, events: number) => void): object | number;
  pollStop(handle: object): number;
  perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  ioctl(fd: number, request: number | bigint, arg: number | bigint | ArrayBufferView): number;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): number;
  umount(target: string, flags: number): number;
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: ArrayBufferView): number;
  read(fd: number, buffer: ArrayBufferView): number;
  write(fd: number, buffer: ArrayBufferView): number;
  setns(fd: number, nstype: number): number;
}

let addon: NativeAddon | undefined;

function candidates(): string[] {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return [`${root}build/Release/ebpf_native.node`, `${root}build/Debug/ebpf_native.node`];
}

/**
 * The loaded addon. Throws `NotSupportedError` off Linux or when the addon was
 * not built (run `npm install`, which builds it with node-gyp).
 */
export function native(): NativeAddon {
  if (addon) return addon;
  if (process.platform !== 'linux') throw new NotSupportedError(`bpf(2) needs Linux; this is ${process.platform} (use the emulator backend)`);
  const path = candidates().find((p) => existsSync(p));
  if (!path) throw new NotSupportedError('native addon build/Release/ebpf_native.node is missing: run `npm install` (needs g++, make, python3)');
  addon = createRequire(import.meta.url)(path) as NativeAddon;
  return addon;
}
