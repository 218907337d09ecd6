/**
 * readCollectionSpec vs libbpf's bpf_object__open_mem (+ close) on the same objects, in
 * one run. Both parse ELF, BTF, maps, programs and relocations without a system call.
 *
 *   node --import tsx bench/object/object-bench.ts [iterations]
 *
 * Needs cc and libbpf-dev for the reference (built into a temp dir).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
].map((f) => (f.startsWith('/') ? f : join(ROOT, f)));

const iterations = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'ebpf-bench-'));
try {
  const bin = join(dir, 'libbpf-open');
  execFileSync('cc', ['-O2', '-o', bin, join(import.meta.dirname, 'libbpf-open.c'), '-lbpf']);
  const ref = new Map(execFileSync(bin, [String(iterations), ...FILES]).toString().trim().split('\n').map((l) => {
    const [f, ns] = l.split(' ');
    return [f!, Number(ns)] as const;
  }));
  console.log('| object | size | readCollectionSpec | libbpf open_mem+close | ratio |');
  console.log('|---|---|---|---|---|');
  for (const f of FILES) {
    const bytes = new Uint8Array(readFileSync(f));
    for (let i = 0; i < iterations / 10 + 50; i++) readCollectionSpec(bytes, { objectName: 'bench' });
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) readCollectionSpec(bytes, { objectName: 'bench' });
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    const r = ref.get(f)!;
    console.log(`| ${f.replace(ROOT + '/', '').replace(/^.*\//, '')} | ${bytes.length} B | ${(ns / 1000).toFixed(1)} µs | ${(r / 1000).toFixed(1)} µs | ${(ns / r).toFixed(2)}x |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
