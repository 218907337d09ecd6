import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { kernelOnly } from '../helpers/kernel.js';
import { asm } from '../../src/asm/index.js';
import { codecFor } from '../../src/codec/index.js';
import { createMap } from '../../src/maps/index.js';
import { loadProgram } from '../../src/prog/index.js';
import { readRingRecords, RingBuffer } from '../../src/readers/ring-buffer.js';
import { EbpfError, InvalidArgumentError, SizeMismatchError } from '../../src/sys/errors.js';
import { openFdCount } from '../prog/programs.js';

const ringbufSpec = { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 } as const;

/** An XDP program that sends the packet's first 8 bytes... simpler: a constant u64 `value`, via bpf_ringbuf_output. */
function outputProgram(mapFd: number, value: bigint) {
  return loadProgram({
    type: 'socket_filter', license: 'GPL',
    instructions: [
      asm.ldImm64(1, value), asm.stxMem('u64', 10, 1, -8),
      asm.ldMapFd(1, mapFd), asm.mov64Reg(2, 10), asm.add64Imm(2, -8), asm.mov64Imm(3, 8), asm.mov64Imm(4, 0),
      asm.call('ringbuf_output'), asm.mov64Imm(0, 2), asm.exit(),
    ],
  });
}

/** bpf_ringbuf_reserve(map, 8, 0), then discard it (bpf_ringbuf_discard). */
function discardProgram(mapFd: number) {
  return loadProgram({
    type: 'socket_filter', license: 'GPL',
    instructions: [
      asm.ldMapFd(1, mapFd), asm.mov64Imm(2, 8), asm.mov64Imm(3, 0), asm.call('ringbuf_reserve'),
      asm.jmpImm('JEQ', 0, 0, 4),
      asm.stMem('u64', 0, 0, 99), asm.mov64Reg(1, 0), asm.mov64Imm(2, 0), asm.call('ringbuf_discard'),
      asm.mov64Imm(0, 2), asm.exit(),
    ],
  });
}

const run = (p: { testRun(o: { dataIn: Uint8Array; repeat?: number }): unknown }, repeat = 1) => p.testRun({ dataIn: new Uint8Array(64), repeat });

test('consume() returns records written by bpf_ringbuf_output, skipping discarded ones', kernelOnly(), () => {
  using map = createMap(ringbufSpec);
  using out = outputProgram(map.fd, 0x1122334455667788n);
  using discard = discardProgram(map.fd);
  using rb = new RingBuffer(map);
  assert.deepEqual(rb.consume(), []);
  run(out);
  run(discard);
  run(out, 2);
  const recs = rb.consume();
  assert.equal(recs.length, 3);
  for (const r of recs) assert.equal(new DataView(r.buffer, r.byteOffset).getBigUint64(0, true), 0x1122334455667788n);
  assert.equal(rb.available, 0);
});

test('a codec decodes records; wrap-around over many laps loses nothing', kernelOnly(), () => {
  using map = createMap(ringbufSpec);
  using out = outputProgram(map.fd, 42n);
  using rb = new RingBuffer(map, { codec: codecFor<bigint>('u64') });
  let n = 0;
  // 16 bytes per record in a 4096-byte ring: 100 rounds of 100 records go around the ring ~390 times.
  for (let i = 0; i < 100; i++) {
    run(out, 100);
    for (const v of rb.consume()) {
      assert.equal(v, 42n);
      n++;
    }
  }
  assert.equal(n, 10_000);
});

test('a full ring drops (bpf_ringbuf_output fails), and consuming makes room again', kernelOnly(), () => {
  using map = createMap(ringbufSpec);
  using out = outputProgram(map.fd, 7n);
  using rb = new RingBuffer(map);
  run(out, 1000);
  // 16-byte records; the producer may run at most mask = 4095 bytes ahead
  // (kernel/bpf/ringbuf.c, __bpf_ringbuf_reserve), so 255 fit, not 256.
  assert.equal(rb.consume().length, 255);
  run(out, 3);
  assert.equal(rb.consume().length, 3);
});

test('poll() waits on the event loop and the async iterator streams until close()', kernelOnly(), async () => {
  using map = createMap(ringbufSpec);
  using out = outputProgram(map.fd, 5n);
  const rb = new RingBuffer(map);
  assert.deepEqual(await rb.poll(20), [], 'times out empty');
  const waiting = rb.poll(5000);
  setTimeout(() => run(out), 20);
  assert.equal((await waiting).length, 1);
  const seen: Uint8Array[] = [];
  const reading = (async () => { for await (const r of rb) seen.push(r); })();
  setTimeout(() => run(out, 3), 20);
  while (seen.length < 3) await new Promise((r) => setTimeout(r, 10));
  rb.close();
  await reading; // ends after close()
  assert.equal(seen.length, 3);
  assert.deepEqual(await rb.poll(10), []);
  assert.throws(() => rb.consume(), (e: unknown) => e instanceof EbpfError && e.code === 'EBADF');
});

test('only ringbuf maps are accepted; closing releases the mmap and fds', kernelOnly(), () => {
  using arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => new RingBuffer(arr), InvalidArgumentError);
  using map = createMap(ringbufSpec);
  const before = openFdCount();
  for (let i = 0; i < 20; i++) {
    using rb = new RingBuffer(map);
    void rb.available;
  }
  assert.equal(openFdCount(), before);
});

test('a record shorter than the codec is skipped with a SizeMismatchError, not stuck', kernelOnly(), () => {
  using map = createMap(ringbufSpec);
  using out = outputProgram(map.fd, 1n);
  using rb = new RingBuffer(map, { codec: codecFor<[bigint, bigint]>({ array: 'u64', length: 2 }) });
  run(out);
  assert.throws(() => rb.consume(), SizeMismatchError);
  assert.deepEqual(rb.consume(), []);
});

/** Build a synthetic ring (data area mapped twice, as the kernel does) from record specs. */
function synthRing(size: number, start: number, records: { len: number; discard?: boolean; busy?: boolean }[]) {
  const data = new Uint8Array(size * 2);
  const view = new DataView(data.buffer);
  let pos = start;
  for (const r of records) {
    const off = pos % size;
    const hdr = r.len | (r.busy ? 0x80000000 : 0) | (r.discard ? 0x40000000 : 0);
    const total = (r.len + 8 + 7) & ~7;
    // Write through both mappings, as the shared pages would show it.
    for (let i = 0; i < total; i++) {
      const b = i < 4 ? (hdr >>> (8 * i)) & 0xff : i < 8 ? 0 : (pos + i) & 0xff;
      data[(off + i) % size] = b;
      data[((off + i) % size) + size] = b;
    }
    pos += total;
  }
  // Little-endian header written above; the reader uses host order (little-endian on test hosts).
  return { view, end: BigInt(pos) };
}

test('synthetic rings: busy records stop the reader, discarded ones are skipped, wrap is contiguous', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 4095 }),
    fc.array(fc.record({ len: fc.integer({ min: 0, max: 100 }), discard: fc.boolean(), busy: fc.boolean() }), { maxLength: 20 }),
    (start, recs) => {
      const size = 4096;
      const total = recs.reduce((s, r) => s + ((r.len + 15) & ~7), 0);
      fc.pre(total <= size);
      const { view, end } = synthRing(size, start, recs);
      const got: number[] = [];
      const cons = readRingRecords(view, BigInt(start), end, BigInt(size - 1), (_o, len) => got.push(len));
      const firstBusy = recs.findIndex((r) => r.busy);
      const consumed = firstBusy < 0 ? recs : recs.slice(0, firstBusy);
      assert.deepEqual(got, consumed.filter((r) => !r.discard).map((r) => r.len));
      assert.equal(cons, BigInt(start + consumed.reduce((s, r) => s + ((r.len + 15) & ~7), 0)));
    },
  ));
});
