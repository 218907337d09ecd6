/**
 * readCollectionSpec vs libbpf's bpf_object__open_mem (+ close) on the same objects.
 * Both parse ELF, BTF, maps, programs and relocations without a system call. Rounds
 * alternate C and TS (5 rounds; medians) so machine load hits both alike.
 *
 *   node --import tsx bench/run.ts object            # or: node --import tsx bench/object/run.ts [iterations]
 *
 * Needs cc and libbpf-dev for the reference (built into a temp dir).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCollectionSpec } from '../../src/object/index.js';

const ROOT = join(import.meta.dirname, '../..');
const FILES = [
  'test/fixtures/btf_maps-el.o',
  'test/fixtures/map_in_map-el.o',
  'test/fixtures/global_data-el.o',
  'test/fixtures/subprogs-el.o',
  '../shared/testdata/cilium-ebpf/testdata/kconfig-el.elf',
  '../shared/testdata/cilium-ebpf/testdata/variables-el.elf',
  '/usr/lib/x86_64-linux-gnu/bpf/xdpdump_bpf.o',
].map((f) => (f.startsWith('/') ? f : join(ROOT, f))).filter(existsSync);

const iterations = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
const ROUNDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'ebpf-bench-'));
try {
  const bin = join(dir, 'libbpf-open');
  execFileSync('cc', ['-O2', '-o', bin, join(import.meta.dirname, 'libbpf-open.c'), '-lbpf']);
  const ours = new Map<string, number[]>(FILES.map((f) => [f, []]));
  const ref = new Map<string, number[]>(FILES.map((f) => [f, []]));
  const inputs = new Map(FILES.map((f) => [f, new Uint8Array(readFileSync(f))]));
  for (const bytes of inputs.values()) for (let i = 0; i < 200; i++) readCollectionSpec(bytes, { objectName: 'bench' });
  const load = loadavg()[0]!;
  for (let round = 0; round < ROUNDS; round++) {
    for (const line of execFileSync(bin, [String(iterations), ...FILES]).toString().trim().split('\n')) {
      const [f, ns] = line.split(' ');
      ref.get(f!)!.push(Number(ns));
    }
    for (const [f, bytes] of inputs) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) readCollectionSpec(bytes, { objectName: 'bench' });
      ours.get(f)!.push(Number(process.hrtime.bigint() - start) / iterations);
    }
  }
  console.log(`${iterations} parses x ${ROUNDS} rounds per object, medians; 1-minute load average at start ${load.toFixed(1)} on ${process.env.NPROC ?? '2'} cores`);
  console.log('| object | size | readCollectionSpec | libbpf open_mem+close | ratio |');
  console.log('|---|---|---|---|---|');
  for (const f of FILES) {
    const a = median(ours.get(f)!);
    const b = median(ref.get(f)!);
    console.log(`| ${f.replace(/^.*\//, '')} | ${inputs.get(f)!.length} B | ${(a / 1000).toFixed(1)} µs | ${(b / 1000).toFixed(1)} µs | ${(a / b).toFixed(2)}x |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
