/**
 * Programs and readers benchmark: the ring buffer consumer and BPF_PROG_TEST_RUN
 * round trips, side by side with C using libbpf (bench/programs/c/reference.c,
 * built here with `cc -O2 -lbpf`) on the SAME kernel objects (pinned).
 *
 *   ring buffer: a 16 MiB ringbuf map is filled with RECORDS 8-byte records by a
 *     test-run program (bpf_ringbuf_output), then drained once by each contender:
 *       (a) C: libbpf ring_buffer__consume with a callback reading each payload
 *       (b) RingBuffer.consumeRaw(fn) reading each payload (zero copy)
 *       (c) RingBuffer.consume() returning a Uint8Array copy per record
 *       (d) RingBuffer with a u64 codec returning bigints
 *   test run: CALLS BPF_PROG_TEST_RUN calls of a 2-instruction socket filter on a 64-byte packet:
 *       (a) C: bpf_prog_test_run_opts in a loop   (b) Program.testRun in a loop
 * Runs are interleaved and the median is reported (ns per record / per call).
 *
 *   node --import tsx bench/programs/run.ts [--write]
 * Env: BENCH_PROG_RECORDS (default 500000), BENCH_PROG_CALLS (default 100000), BENCH_PROG_RUNS (default 5).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asm } from '../../src/asm/index.js';
import { codecFor } from '../../src/codec/index.js';
import { createMap } from '../../src/maps/index.js';
import { loadProgram } from '../../src/prog/index.js';
import { RingBuffer } from '../../src/readers/index.js';
import { ensureBpffs } from '../../src/sys/fs.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const RECORDS = Number(process.env.BENCH_PROG_RECORDS ?? 500_000);
const CALLS = Number(process.env.BENCH_PROG_CALLS ?? 100_000);
const RUNS = Number(process.env.BENCH_PROG_RUNS ?? 5);
const WRITE = process.argv.includes('--write');

const outDir = join(root, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const ref = join(outDir, 'programs-reference');
execFileSync('cc', ['-O2', '-o', ref, join(here, 'c', 'reference.c'), '-lbpf']);

ensureBpffs();
const rbPin = `/sys/fs/bpf/ebpf_bench_rb_${process.pid}`;
const progPin = `/sys/fs/bpf/ebpf_bench_prog_${process.pid}`;
const ring = createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 1 << 24 });
const producer = loadProgram({
  type: 'socket_filter', license: 'GPL',
  instructions: [
    asm.ldImm64(1, 42n), asm.stxMem('u64', 10, 1, -8), asm.ldMapFd(1, ring.fd), asm.mov64Reg(2, 10), asm.add64Imm(2, -8),
    asm.mov64Imm(3, 8), asm.mov64Imm(4, 0), asm.call('ringbuf_output'), asm.mov64Imm(0, 0), asm.exit(),
  ],
});
const trivial = loadProgram({ type: 'socket_filter', instructions: [asm.mov64Imm(0, 0), asm.exit()] });
ring.pin(rbPin);
trivial.pin(progPin);

function fill(): void {
  producer.testRun({ dataIn: new Uint8Array(64), repeat: RECORDS });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const results: Record<string, number[]> = { c: [], raw: [], copy: [], codec: [], tc: [], tours: [] };
const rbRaw = new RingBuffer(ring);
const rbCodec = new RingBuffer(ring, { codec: codecFor<bigint>('u64') });
try {
  for (let run = 0; run < RUNS; run++) {
    fill();
    const [n, ns] = execFileSync(ref, ['ringbuf', rbPin], { encoding: 'utf8' }).trim().split(' ').map(Number);
    if (n !== RECORDS) throw new Error(`C consumed ${n} records, expected ${RECORDS}`);
    results.c!.push(ns! / n!);

    fill();
    let sum = 0n;
    let t = process.hrtime.bigint();
    const k = rbRaw.consumeRaw((view, off) => { sum += view.getBigUint64(off, true); });
    results.raw!.push(Number(process.hrtime.bigint() - t) / k);
    if (k !== RECORDS || sum !== 42n * BigInt(RECORDS)) throw new Error(`consumeRaw got ${k}`);

    fill();
    t = process.hrtime.bigint();
    const recs = rbRaw.consume();
    results.copy!.push(Number(process.hrtime.bigint() - t) / recs.length);

    fill();
    t = process.hrtime.bigint();
    const vals = rbCodec.consume();
    results.codec!.push(Number(process.hrtime.bigint() - t) / vals.length);

    results.tc!.push(Number(execFileSync(ref, ['testrun', progPin, String(CALLS)], { encoding: 'utf8' }).trim()));
    const input = new Uint8Array(64);
    t = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) trivial.testRun({ dataIn: input });
    results.tours!.push(Number(process.hrtime.bigint() - t) / CALLS);
  }
} finally {
  rbRaw.close();
  rbCodec.close();
  rmSync(rbPin, { force: true });
  rmSync(progPin, { force: true });
  producer.close();
  trivial.close();
  ring.close();
}

const f = (x: number) => x.toFixed(0);
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
const table = `| operation | C (libbpf) | ebpf (this library) | ratio |
|---|---:|---:|---:|
| ring buffer, zero-copy callback (\`consumeRaw\`) | ${f(m.c!)} ns/record | ${f(m.raw!)} ns/record | ${(m.raw! / m.c!).toFixed(1)}x |
| ring buffer, a \`Uint8Array\` per record (\`consume()\`) | ${f(m.c!)} ns/record | ${f(m.copy!)} ns/record | ${(m.copy! / m.c!).toFixed(1)}x |
| ring buffer, decoded with a u64 codec | ${f(m.c!)} ns/record | ${f(m.codec!)} ns/record | ${(m.codec! / m.c!).toFixed(1)}x |
| \`BPF_PROG_TEST_RUN\`, 64-byte packet, one call | ${f(m.tc!)} ns/call | ${f(m.tours!)} ns/call | ${(m.tours! / m.tc!).toFixed(1)}x |`;
const env = `Linux ${release()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ${RECORDS} records of 8 bytes, ${CALLS} test runs; median of ${RUNS} interleaved runs; load average ${loadavg()[0]!.toFixed(1)} while measuring (other test suites were running: compare ratios rather than absolute times).`;
console.log(table);
console.log(env);

if (WRITE) {
  const path = join(root, 'docs', 'performance.md');
  const section = `## Programs and readers\n\nReproduce: \`node --import tsx bench/programs/run.ts --write\`\n\n${table}\n\n${env}\n\nThe C side is libbpf 1.1 (\`ring_buffer__consume\`, \`bpf_prog_test_run_opts\`), timed in its own process around the same call on the same pinned map/program.\n`;
  let doc = readFileSync(path, 'utf8');
  const re = /## Programs and readers\n[\s\S]*?(?=\n## |$)/;
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}`;
  writeFileSync(path, doc);
}
