import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { kernelOnly } from '../helpers/kernel.js';
import { asm } from '../../src/asm/index.js';
import { createMap } from '../../src/maps/index.js';
import { loadProgram } from '../../src/prog/index.js';
import { PerfEventReader } from '../../src/readers/perf-event-reader.js';
import { parseTraceLine, tracePipe } from '../../src/readers/trace-pipe.js';
import { InvalidArgumentError } from '../../src/sys/errors.js';
import { openFdCount } from '../prog/programs.js';
import { modulePath, runGcChild } from '../helpers/gc-child.ts';

const BPF_F_CURRENT_CPU = 0xffffffffn;

/** bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, &12 bytes 1..12, 12). */
function perfOutputProgram(mapFd: number) {
  return loadProgram({
    type: 'socket_filter', license: 'GPL',
    instructions: [
      asm.mov64Reg(6, 1),
      asm.ldImm64(1, 0x0807060504030201n), asm.stxMem('u64', 10, 1, -16), asm.stMem('u32', 10, -8, 0x0c0b0a09),
      asm.mov64Reg(1, 6), asm.ldMapFd(2, mapFd), asm.ldImm64(3, BPF_F_CURRENT_CPU), asm.mov64Reg(4, 10), asm.add64Imm(4, -16),
      asm.mov64Imm(5, 12), asm.call('perf_event_output'), asm.mov64Imm(0, 0), asm.exit(),
    ],
  });
}
const run = (p: { testRun(o: { dataIn: Uint8Array; repeat?: number }): unknown }, repeat = 1) => p.testRun({ dataIn: new Uint8Array(64), repeat });
const cpuCount = () => createMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 1 });

test('PerfEventReader receives bpf_perf_event_output samples on the running CPU', kernelOnly(), async () => {
  using map = createMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 64 });
  using prog = perfOutputProgram(map.fd);
  using reader = new PerfEventReader(map);
  assert.ok(reader.cpus.length >= 1);
  run(prog, 3);
  const recs = reader.consume();
  assert.equal(recs.length, 3);
  for (const r of recs) {
    assert.equal(r.type, 'sample');
    if (r.type === 'sample') {
      // The raw sample is padded so that its u32 size + data is a multiple of 8 (kernel/events/core.c, perf_prepare_sample).
      assert.deepEqual([...r.data.subarray(0, 12)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      assert.ok(reader.cpus.includes(r.cpu));
    }
  }
  const waiting = reader.poll(5000);
  setTimeout(() => run(prog), 20);
  assert.equal((await waiting).length, 1);
  assert.deepEqual(await reader.poll(20), []);
});

test('a full perf buffer reports lost samples; wrap-around keeps records intact', kernelOnly(), () => {
  using map = createMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 64 });
  using prog = perfOutputProgram(map.fd);
  using reader = new PerfEventReader(map, { pagesPerCpu: 1 });
  run(prog, 2000); // 32-byte records in one 4 KiB page: most are lost
  let samples = reader.consume().filter((r) => r.type === 'sample').length;
  run(prog); // the next write carries the PERF_RECORD_LOST
  const after = reader.consume();
  samples += after.filter((r) => r.type === 'sample').length;
  assert.ok(reader.lostSamples > 0n, 'lost samples are counted');
  assert.equal(BigInt(samples) + reader.lostSamples, 2001n, 'every write is either delivered or counted lost');
  let n = 0;
  for (let i = 0; i < 50; i++) {
    run(prog, 50);
    for (const r of reader.consume()) {
      if (r.type !== 'sample') continue;
      assert.deepEqual([...r.data.subarray(0, 12)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      n++;
    }
  }
  assert.equal(n, 2500);
});

test('PerfEventReader validates its map and options, and cleans up', kernelOnly(), () => {
  using arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => new PerfEventReader(arr), InvalidArgumentError);
  using map = cpuCount();
  assert.throws(() => new PerfEventReader(map, { pagesPerCpu: 3 }), InvalidArgumentError);
  const before = openFdCount();
  for (let i = 0; i < 10; i++) {
    using r = new PerfEventReader(map, { pagesPerCpu: 1 });
    void r.cpus;
  }
  assert.equal(openFdCount(), before);
});

test('a PerfEventReader dropped without close() closes its perf event fds when garbage-collected', kernelOnly(), () => {
  const { held, left } = runGcChild<{ held: number; left: number }>(
    `import { createMap } from ${modulePath('../../src/maps/index.ts', import.meta.url)};
    import { PerfEventReader } from ${modulePath('../../src/readers/perf-event-reader.ts', import.meta.url)};`,
    `const map = createMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 64 });
    const before = fds();
    let readers = [];
    for (let i = 0; i < 5; i++) readers.push(new PerfEventReader(map, { pagesPerCpu: 1 }));
    const held = fds() - before;
    readers = null;
    await settle(before);
    console.log(JSON.stringify({ held, left: fds() - before }));
    map.close();`);
  assert.ok(held >= 5, `the readers held perf event fds while alive (${held})`);
  assert.equal(left, 0);
});

test('parseTraceLine reads the kernel formats, and never throws', () => {
  const a = parseTraceLine('            node-25840   [000] b..11  1172.884106: bpf_trace_printk: ebpfts 42');
  assert.deepEqual(a && { ...a, raw: '' }, { task: 'node', pid: 25840, cpu: 0, flags: 'b..11', timestamp: 1172.884106, event: 'bpf_trace_printk', message: 'ebpfts 42', raw: '' });
  const b = parseTraceLine(' Web Content-3411  ( 3400) [003] d..2. 99.000001: bpf_trace_printk: a: b');
  assert.equal(b?.task, 'Web Content');
  assert.equal(b?.tgid, 3400);
  assert.equal(b?.message, 'a: b');
  const c = parseTraceLine('          <idle>-0     [001]   123.5: bpf_trace_printk: old format');
  assert.equal(c?.pid, 0);
  assert.equal(c?.flags, undefined);
  assert.equal(parseTraceLine('garbage'), undefined);
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    const r = parseTraceLine(s);
    assert.ok(r === undefined || typeof r.message === 'string');
  }));
});

test('tracePipe streams bpf_trace_printk output and stops on abort', kernelOnly(), async () => {
  const marker = `ebpfts${process.pid % 10000}`;
  const fmt = new Uint8Array(16);
  fmt.set(new TextEncoder().encode(`${marker} %d\n`.slice(0, 15)));
  const dv = new DataView(fmt.buffer);
  using prog = loadProgram({
    type: 'socket_filter', license: 'GPL',
    instructions: [
      asm.ldImm64(1, dv.getBigUint64(0, true)), asm.stxMem('u64', 10, 1, -16),
      asm.ldImm64(1, dv.getBigUint64(8, true)), asm.stxMem('u64', 10, 1, -8),
      asm.mov64Reg(1, 10), asm.add64Imm(1, -16), asm.mov64Imm(2, 16), asm.mov64Imm(3, 42),
      asm.call('trace_printk'), asm.mov64Imm(0, 0), asm.exit(),
    ],
  });
  const ac = new AbortController();
  const pipe = tracePipe({ signal: ac.signal });
  setTimeout(() => run(prog, 3), 50);
  const mine: string[] = [];
  const timer = setTimeout(() => ac.abort(), 5000);
  for await (const line of pipe) {
    if (!line.message.startsWith(marker)) continue;
    assert.equal(line.event, 'bpf_trace_printk');
    assert.equal(line.pid, process.pid);
    mine.push(line.message);
    if (mine.length === 3) ac.abort();
  }
  clearTimeout(timer);
  assert.deepEqual(mine, [`${marker} 42`, `${marker} 42`, `${marker} 42`]);
  assert.ok(pipe.closed);
});
