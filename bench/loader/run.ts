/**
 * Loader benchmark: loading whole objects with `loadCollection` versus
 * libbpf through `bpftool prog loadall` (the reference; it also pays for a
 * process start and for pinning, measured separately as `bpftool version`).
 *
 *   node --import tsx bench/run.ts loader
 *
 * Needs root and bpffs. Reports the median of N runs per object.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadCollectionSpecSync } from '../../src/object/index.js';
import { loadCollection } from '../../src/loader/collection.js';
import { coreTarget } from '../../src/loader/core-relocate.js';
import { loadKernelBtf } from '../../src/btf/kernel.js';
import { ensureBpffs } from '../../src/sys/fs.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const OBJECTS: [string, string][] = [
  ['xdp-dispatcher (libxdp)', '/usr/lib/x86_64-linux-gnu/bpf/xdp-dispatcher.o'],
  ['xdpfilt_dny_all (xdp-tools)', '/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_dny_all.o'],
  ['map_in_map fixture', `${ROOT}test/fixtures/map_in_map-el.o`],
  ['CO-RE vs vmlinux', `${ROOT}test/loader/fixtures/core_vmlinux.bpf.o`],
];
const N = 15;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

ensureBpffs();
const dir = `/sys/fs/bpf/ebpf-bench-loader-${process.pid}`;
const coldIndex = time(() => coreTarget(loadKernelBtf()).idsByEssentialName('task_struct'));
const spawn = median(Array.from({ length: N }, () => time(() => execFileSync('bpftool', ['version'], { stdio: 'pipe' }))));
console.log(`one-time: kernel BTF parse + CO-RE name index ${coldIndex.toFixed(1)} ms; bpftool process start ${spawn.toFixed(1)} ms`);
console.log('| object | loadCollection + close (ms) | bpftool prog loadall (ms) | bpftool minus process start (ms) |');
console.log('|---|---|---|---|');
for (const [name, path] of OBJECTS) {
  loadCollection(path, { pinRoot: null }).close(); // warm up: JIT, kernel BTF cache
  const ours = median(Array.from({ length: N }, () => time(() => loadCollection(path, { pinRoot: null }).close())));
  // libbpf pins LIBBPF_PIN_BY_NAME maps under /sys/fs/bpf and would reuse them next time:
  // remove them after every run so both sides create every map.
  const byName = [...loadCollectionSpecSync(path).maps.values()].filter((m) => m.pinning === 1).map((m) => `/sys/fs/bpf/${m.realName}`);
  const preexisting = new Set(byName.filter((p) => existsSync(p)));
  const theirs = median(Array.from({ length: N }, () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const ms = time(() => execFileSync('bpftool', ['prog', 'loadall', path, `${dir}/p`], { stdio: 'pipe' }));
    for (const p of byName) if (!preexisting.has(p)) rmSync(p, { force: true });
    return ms;
  }));
  rmSync(dir, { recursive: true, force: true });
  console.log(`| ${name} | ${ours.toFixed(2)} | ${theirs.toFixed(2)} | ${(theirs - spawn).toFixed(2)} |`);
}
