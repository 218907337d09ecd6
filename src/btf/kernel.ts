/**
 * The running kernel's BTF, read from sysfs: /sys/kernel/btf/vmlinux
 * (CONFIG_DEBUG_INFO_BTF, Linux 5.4+) and one file per module with BTF
 * (CONFIG_DEBUG_INFO_BTF_MODULES, Linux 5.11+), split BTF over vmlinux.
 * Reading a file is not a bpf(2) call, so this stays in the pure layer.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { EbpfError, InvalidArgumentError, NotSupportedError } from '../sys/errors.js';
import { parseBtf, type Btf } from './btf.js';

/** Where the kernel exposes its BTF. */
export const KERNEL_BTF_DIR = '/sys/kernel/btf';

let vmlinux: Btf | undefined;
const modules = new Map<string, Btf>();

function readOrExplain(path: string, missing: () => Error): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw e;
  }
}

/**
 * The kernel's own BTF, parsed once and cached for the process.
 * Throws `NotSupportedError` when /sys/kernel/btf/vmlinux is missing (kernel
 * built without CONFIG_DEBUG_INFO_BTF, or older than 5.4), `ParseError` when
 * it cannot be parsed.
 */
export function loadKernelBtf(): Btf {
  if (!vmlinux) {
    const bytes = readOrExplain(`${KERNEL_BTF_DIR}/vmlinux`, () =>
      new NotSupportedError(`kernel BTF not found at ${KERNEL_BTF_DIR}/vmlinux: the kernel needs CONFIG_DEBUG_INFO_BTF`, '5.4'));
    vmlinux = parseBtf(bytes);
  }
  return vmlinux;
}

/**
 * A kernel module's split BTF over vmlinux, parsed once and cached.
 * Throws `InvalidArgumentError` for a name that is not a plain file name,
 * `EbpfError` with code `ENOENT` when the module has no BTF (not loaded, or
 * built without CONFIG_DEBUG_INFO_BTF_MODULES, Linux 5.11+), `ParseError`
 * when it cannot be parsed.
 */
export function loadModuleBtf(name: string): Btf {
  if (name === 'vmlinux') return loadKernelBtf();
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') {
    throw new InvalidArgumentError(`module name '${name}': expected a module name such as 'nf_tables'`);
  }
  let btf = modules.get(name);
  if (!btf) {
    const base = loadKernelBtf();
    const bytes = readOrExplain(`${KERNEL_BTF_DIR}/${name}`, () =>
      new EbpfError('ENOENT', `no BTF for module '${name}' in ${KERNEL_BTF_DIR}: is it loaded, and built with CONFIG_DEBUG_INFO_BTF_MODULES (Linux 5.11+)?`));
    btf = parseBtf(bytes, { base });
    modules.set(name, btf);
  }
  return btf;
}

/** Names of the modules with BTF in sysfs (without `vmlinux`); `[]` when there is no kernel BTF. */
export function listModuleBtf(): string[] {
  try {
    return readdirSync(KERNEL_BTF_DIR).filter((n) => n !== 'vmlinux').sort();
  } catch {
    return [];
  }
}
