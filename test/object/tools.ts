/**
 * Oracles (llvm-readobj-19, bpftool) and object sets used by the object/ELF tests.
 * Outside CI a missing tool or data set skips with the reason; in CI (`CI` set) the
 * tests run and fail loudly, since .ci/run installs them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** node:test `skip` value: false when the tool exists or in CI, else the reason. */
export function toolSkip(...names: string[]): string | false {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0 || process.env.CI) return false;
  return `${missing.join(', ')} not installed`;
}

export const CILIUM_ROOT = join(import.meta.dirname, '../../../shared/testdata/cilium-ebpf');
export const FIXTURES_DIR = join(import.meta.dirname, '../fixtures');
export const DEBIAN_DIRS = ['/usr/lib/x86_64-linux-gnu/bpf', '/usr/libexec/xdp-tools'];

export function walkObjects(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walkObjects(p));
    else if (/\.(o|elf)$/.test(name)) out.push(p);
  }
  return out.sort();
}

/** Our BPF fixtures (test/fixtures/*.o without the non-BPF `other-*` objects). */
export function bpfFixtures(): string[] {
  return walkObjects(FIXTURES_DIR).filter((f) => !/\/other-[^/]*$/.test(f));
}

export function debianObjects(): string[] {
  return DEBIAN_DIRS.flatMap((d) => walkObjects(d));
}

/** Skip reason for Debian's objects: absent outside CI. */
export function debianSkip(): string | false {
  if (debianObjects().length > 0 || process.env.CI) return false;
  return 'Debian BPF objects not installed (apt-get install libxdp1 xdp-tools xdp-tests)';
}
