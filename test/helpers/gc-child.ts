/**
 * Runs `body` (an ES module snippet) in a child Node with --expose-gc and tsx,
 * after `const fds = () => <open fd count>`, and returns what it prints last as
 * JSON. For tests of finalizers: FinalizationRegistry callbacks need real GC
 * and later turns of the event loop, which the test runner's process cannot force.
 * `settle()` in the snippet collects until `fds()` is back to `target` or 50 rounds pass.
 */
import { execFileSync } from 'node:child_process';

export function runGcChild<T>(imports: string, body: string): T {
  const script = `
    import { readdirSync } from 'node:fs';
    ${imports}
    const fds = () => readdirSync('/proc/self/fd').length;
    const settle = async (target) => {
      for (let i = 0; i < 50 && fds() > target; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
    };
    ${body}`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/** An absolute path usable in an `import` of a snippet run by `runGcChild`. */
export function modulePath(relative: string, base: string): string {
  return JSON.stringify(new URL(relative, base).pathname);
}
