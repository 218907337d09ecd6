/**
 * Shared fixtures and oracles for the BTF tests: the committed kinds fixture,
 * cilium/ebpf's shared test data, the running kernel's BTF, and external
 * tools (bpftool, clang-19, llvm-objdump-19) used as oracles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** cilium/ebpf's compiled test data, beside the repository (CI puts shared/ there too). */
export const SHARED = fileURLToPath(new URL('../../../shared/testdata/cilium-ebpf/', import.meta.url));
export const SHARED_BTF = `${SHARED}btf/testdata/`;
export const VMLINUX = '/sys/kernel/btf/vmlinux';

const toolCache = new Map<string, boolean>();
function hasTool(tool: string): boolean {
  let ok = toolCache.get(tool);
  if (ok === undefined) {
    ok = spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
    toolCache.set(tool, ok);
  }
  return ok;
}

/**
 * Test options requiring external tools as oracles: skipped with the reason
 * when one is missing outside CI; in CI (`CI` set) the test runs and fails.
 */
export function needs(...paths: string[]): { skip: string | false } {
  if (process.env.CI) return { skip: false };
  for (const p of paths) {
    if (p.startsWith('/') ? !existsSync(p) : !hasTool(p)) return { skip: `${p} not available (apt: bpftool clang-19 llvm-19; kernel BTF)` };
  }
  return { skip: false };
}

/** Run a tool and return stdout (throws with stderr on failure). */
export function run(tool: string, args: string[], options: { cwd?: string } = {}): string {
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 30, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function read(path: string): Uint8Array {
  return readFileSync(path);
}
