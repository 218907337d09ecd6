/**
 * Kernel test gating. A kernel test may skip only when bpf() is unavailable AND
 * the CI environment variable is unset; in CI a missing bpf() is a failure.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let probed: string | null | undefined;

/** Why bpf() is unusable here, or null when it works. */
export function bpfUnavailableReason(): string | null {
  if (probed !== undefined) return probed;
  if (process.platform !== 'linux') return (probed = `not Linux (${process.platform})`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return (probed = 'not root: kernel tests need CAP_BPF/CAP_SYS_ADMIN');
  if (!existsSync(new URL('../../build/Release/ebpf_native.node', import.meta.url)))
    return (probed = 'native addon not built (run npm install)');
  try {
    // Create and close a tiny array map through the addon to prove bpf() works.
    execFileSync(process.execPath, ['-e', `
      const a = require(${JSON.stringify(new URL('../../build/Release/ebpf_native.node', import.meta.url).pathname)});
      const attr = new Uint8Array(72); const v = new DataView(attr.buffer);
      v.setUint32(0, 2, true); v.setUint32(4, 4, true); v.setUint32(8, 4, true); v.setUint32(12, 1, true);
      const fd = a.bpf(0, attr); if (fd < 0) { console.error('errno ' + -fd); process.exit(1); } a.close(fd);`], { stdio: 'pipe' });
  } catch (e) {
    return (probed = `bpf() failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e)}`);
  }
  return (probed = null);
}

/**
 * Options for node:test's `test()`/`describe()` that skip with the reason when
 * bpf() is unavailable outside CI. In CI (`CI` set) the test always runs, so a
 * broken environment fails loudly instead of hiding behind a skip.
 */
export function kernelOnly(): { skip: string | false } {
  const reason = bpfUnavailableReason();
  if (reason === null || process.env.CI) return { skip: false };
  return { skip: `bpf() unavailable: ${reason}` };
}
