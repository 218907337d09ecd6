/**
 * Runs benchmarks, each in its own child process (so one's JIT state, heap and
 * CPU pinning never affect another):
 *
 *   node --import tsx bench/run.ts              # every bench/*.ts and bench/<dir>/run.ts
 *   node --import tsx bench/run.ts maps codec   # those whose name contains a word
 *
 * Arguments starting with `--` (e.g. `--write`) are passed to every benchmark.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const words = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));

const scripts: string[] = [];
for (const name of readdirSync(benchDir).sort()) {
  const p = join(benchDir, name);
  if (p === self || name === 'node_modules') continue;
  if (name.endsWith('.ts') && statSync(p).isFile()) scripts.push(p);
  else if (statSync(p).isDirectory() && existsSync(join(p, 'run.ts'))) scripts.push(join(p, 'run.ts'));
}
const chosen = words.length ? scripts.filter((s) => words.some((w) => relative(benchDir, s).includes(w))) : scripts;
if (chosen.length === 0) {
  console.error(`no benchmark matches ${words.join(', ')}; have: ${scripts.map((s) => relative(benchDir, s)).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const script of chosen) {
  console.error(`\n== ${relative(join(benchDir, '..'), script)}`);
  const r = spawnSync(process.execPath, [...process.execArgv, script, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${relative(benchDir, script)} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
