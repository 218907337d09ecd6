/**
 * BTF benchmark: parsing /sys/kernel/btf/vmlinux (index only; index + decode
 * of every type) and dumping it as a C header, in process, side by side with
 * `bpftool btf dump file /sys/kernel/btf/vmlinux format c` and our CLI end to
 * end, spawned and interleaved in the same run.
 *
 *   npm run build && node --import tsx bench/btf-parse.ts [--write] [--runs=N]
 *
 * Reports the median wall time and the median CPU time (user + system) of
 * each: on a loaded machine CPU time is the fairer figure. `--write` replaces
 * the "## BTF" section of docs/performance.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBtf } from '../src/btf/btf.js';
import { formatC } from '../src/btf/format-c.js';
import { formatRaw } from '../src/btf/format-raw.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.find((a) => a.startsWith('--runs='));
const RUNS = runsArg ? Number(runsArg.slice(7)) : 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

interface Row { name: string; wall: number; cpu: number; note: string }

function inProcess(name: string, runs: number, fn: () => unknown, note = ''): Row {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    fn();
    walls.push(performance.now() - t0);
    cpus.push(cpuMs() - c0);
  }
  return { name, wall: median(walls), cpu: median(cpus), note };
}

/** Wall time and the children's CPU time (bash `times`) of a command with stdout discarded. */
function spawned(cmd: string): { wall: number; cpu: number } {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', `${cmd} > /dev/null; times`], { encoding: 'utf8', cwd: root });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  // `times`: shell user/sys, then children user/sys, as "0m0.123s 0m0.045s".
  const line = r.stdout.trim().split('\n').at(-1)!;
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wall, cpu: (secs[0]! + secs[1]!) * 1000 };
}

/** Kept in the written section; the figures it cites are in the tables above it. */
const ASSESSMENT = `
Assessment: the parse target is met with a wide margin (the index pass is a few ms warm and
~15 ms in a fresh process, against the 60 ms target). The dump target ("no slower than
bpftool") is **not** met: a whole \`vmlinux.h\` still costs our CLI about 4x bpftool's CPU time
(raw: about 3x). What was done (2026-11-28): the dumpers no longer decode \`BtfType\` objects;
they read the raw records (\`format c\` through typed arrays of kind, name offset, size/type,
vlen, flag and record offset per id, filled in one pass; names decoded only when printed;
\`format raw\` straight into one growing byte buffer); the C dump writes each finished
definition into a byte buffer at once; and \`ebpf btf dump file\` no longer loads the map layer
(~100 ms of module loading). Against the previous implementation, built from commit 77cc119 and
timed alternately with it on the same machine (5 runs each, \`/usr/bin/time\`, medians):
format c 1.20 s -> 0.83 s CPU (0.82 -> 0.60 s wall), format raw 1.27 s -> 0.68 s CPU
(0.89 -> 0.52 s wall); both outputs byte-identical to before. GC, which was ~300-430 ms of a
run, is now ~60 ms. What is left (CPU profile): Node startup (~130 ms, the \`node -e 0\` row,
fixed), then the dump running mostly in V8's interpreter and baseline tiers: a fresh process
needs ~450 ms wall for the C dump that takes ~200 ms once warmed up, and the compiler threads
add CPU on top of the wall time. Warmed up in a long-running process the dumps are at
bpftool's level. Closing the rest needs less code on the cold path (e.g. emitting
declarations into the byte buffer instead of building declarator strings) or a
snapshot/code cache, which Node 20 does not offer for ES modules; the V8 flags tried
(\`--max-semi-space-size\`, \`--single-threaded-gc\`, \`--no-concurrent-recompilation\`) made
no difference beyond the noise.
`;

function main(): void {
  if (!existsSync(VMLINUX)) throw new Error(`${VMLINUX} is missing: the kernel has no BTF`);
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const bytes = readFileSync(VMLINUX);

  // Cold first: what one CLI invocation pays (JIT not warmed up).
  const coldRows: Row[] = [
    inProcess('parse (index), first call', 1, () => parseBtf(bytes)),
    inProcess('index + decode every type, first call', 1, () => { const b = parseBtf(bytes); for (let id = 1; id < b.typeCount; id++) b.typeById(id); }),
    inProcess('format c, first call', 1, () => formatC(parseBtf(bytes))),
  ];
  const warmRows: Row[] = [
    inProcess('parse (index)', 30, () => parseBtf(bytes), 'target < 60 ms'),
    inProcess('index + decode every type', RUNS, () => { const b = parseBtf(bytes); for (let id = 1; id < b.typeCount; id++) b.typeById(id); }),
    inProcess('index + format c (vmlinux.h)', RUNS, () => formatC(parseBtf(bytes))),
    inProcess('index + format raw', RUNS, () => formatRaw(parseBtf(bytes))),
  ];

  const commands: [string, string][] = [
    ['bpftool btf dump file vmlinux format c', `bpftool btf dump file ${VMLINUX} format c`],
    ['ebpf btf dump file vmlinux format c', `node bin/ebpf btf dump file ${VMLINUX} format c`],
    ['bpftool btf dump file vmlinux format raw', `bpftool btf dump file ${VMLINUX} format raw`],
    ['ebpf btf dump file vmlinux format raw', `node bin/ebpf btf dump file ${VMLINUX} format raw`],
    ['node -e 0 (Node startup floor)', `node -e 0`],
    ['node bench/btf-dump-floor.mjs (names-only emitter: the floor of a JS dump)', `node bench/btf-dump-floor.mjs ${VMLINUX}`],
  ];
  const samples = new Map<string, { wall: number[]; cpu: number[] }>(commands.map(([n]) => [n, { wall: [], cpu: [] }]));
  for (let i = 0; i < RUNS; i++) {
    // Interleaved so load changes hit every contender alike.
    for (const [name, cmd] of commands) {
      const r = spawned(cmd);
      samples.get(name)!.wall.push(r.wall);
      samples.get(name)!.cpu.push(r.cpu);
    }
  }
  const spawnRows: Row[] = commands.map(([name]) => ({ name, wall: median(samples.get(name)!.wall), cpu: median(samples.get(name)!.cpu), note: '' }));

  const fmt = (rows: Row[]) => rows.map((r) => `| ${r.name} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${r.note} |`).join('\n');
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const table = `Measured ${new Date().toISOString().slice(0, 16)}Z, Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, Node ${process.version}, ` +
    `vmlinux BTF of ${bytes.length} bytes, load average ${load}; medians of ${RUNS} runs (30 for the index).

In process (library, warmed up):

| what | wall ms | CPU ms | |
|---|---:|---:|---|
${fmt(warmRows)}

In process, first call of a fresh process (what one CLI run pays):

| what | wall ms | CPU ms | |
|---|---:|---:|---|
${fmt(coldRows)}

Spawned end to end, interleaved, stdout to /dev/null (CPU = children user + system):

| command | wall ms | CPU ms | |
|---|---:|---:|---|
${fmt(spawnRows)}`;
  console.log(table);

  if (process.argv.includes('--write')) {
    const path = join(root, 'docs/performance.md');
    const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Performance\n';
    const section = `## BTF

What is measured: \`parseBtf\` of the running kernel's BTF (\`/sys/kernel/btf/vmlinux\`): the
index pass alone (header checks plus one pass recording where each type starts), then index
plus decoding every type into objects, then the \`vmlinux.h\` C dump and the raw text dump;
beside them, spawned in the same run and interleaved, \`bpftool btf dump ... format c|raw\`
(bpftool v7.1, libbpf 1.1) and our CLI doing the same job end to end.

Reproduce:

\`\`\`sh
npm run build && node --import tsx bench/btf-parse.ts   # add --write to refresh this section
\`\`\`

<!-- btf-bench:start -->
${table}
<!-- btf-bench:end -->
${ASSESSMENT}`;
    const start = doc.indexOf('## BTF\n');
    let next = start < 0 ? -1 : doc.indexOf('\n## ', start + 1);
    if (next >= 0) next += 1;
    const updated = start < 0 ? `${doc.trimEnd()}\n\n${section}` : `${doc.slice(0, start)}${section}${next >= 0 ? `\n${doc.slice(next)}` : ''}`;
    writeFileSync(path, updated);
    console.error(`wrote ${path}`);
  }
}

main();
