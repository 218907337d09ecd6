import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asm, decode, encode, disassemble, formatInstruction, slotCount, LD_IMM64, type Instruction } from '../../src/asm/index.js';
import { InvalidArgumentError, ParseError } from '../../src/sys/errors.js';

const arbInsn: fc.Arbitrary<Instruction> = fc.oneof(
  fc.record({
    opcode: fc.integer({ min: 0, max: 255 }).filter((o) => o !== LD_IMM64),
    dst: fc.integer({ min: 0, max: 15 }), src: fc.integer({ min: 0, max: 15 }),
    off: fc.integer({ min: -32768, max: 32767 }), imm: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  }).map((r) => ({ ...r })),
  fc.record({ dst: fc.integer({ min: 0, max: 15 }), src: fc.integer({ min: 0, max: 6 }), v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) })
    .map(({ dst, src, v }) => ({ opcode: LD_IMM64, dst, src, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v })),
);

test('encode/decode round-trips in both byte orders', () => {
  fc.assert(fc.property(fc.array(arbInsn, { maxLength: 40 }), fc.constantFrom('le' as const, 'be' as const), (insns, order) => {
    const bytes = encode(insns, order);
    assert.equal(bytes.byteLength, slotCount(insns) * 8);
    assert.deepEqual(decode(bytes, order), insns);
  }));
});

test('byte order: register nibbles and immediates swap between le and be', () => {
  const insn = asm.mov64Reg(1, 2); // opcode 0xbf, dst 1, src 2
  assert.deepEqual([...encode([insn], 'le')], [0xbf, 0x21, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encode([insn], 'be')], [0xbf, 0x12, 0, 0, 0, 0, 0, 0]);
  const imm = asm.mov64Imm(0, 0x01020304);
  assert.deepEqual([...encode([imm], 'be')].slice(4), [1, 2, 3, 4]);
  assert.deepEqual([...encode([imm], 'le')].slice(4), [4, 3, 2, 1]);
});

test('decoding arbitrary bytes never throws anything but ParseError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('le' as const, 'be' as const), (bytes, order) => {
    try {
      const insns = decode(bytes, order);
      for (const line of disassemble(insns)) assert.equal(typeof line, 'string');
    } catch (e) {
      assert.ok(e instanceof ParseError, String(e));
    }
  }));
});

test('truncated input and a cut-off ld_imm64 are ParseErrors with the offset', () => {
  assert.throws(() => decode(new Uint8Array(12)), (e: unknown) => e instanceof ParseError && e.offset === 8);
  const ld = encode([asm.ldImm64(1, 5n)]).subarray(0, 8);
  assert.throws(() => decode(ld), (e: unknown) => e instanceof ParseError && /ld_imm64/.test(e.message));
});

test('encode rejects out-of-range fields with InvalidArgumentError', () => {
  assert.throws(() => encode([{ opcode: 0xb7, dst: 16, src: 0, off: 0, imm: 0 }]), InvalidArgumentError);
  assert.throws(() => encode([{ opcode: 0xb7, dst: 0, src: 0, off: 40000, imm: 0 }]), InvalidArgumentError);
  assert.throws(() => asm.call('no_such_helper'), InvalidArgumentError);
});

test('builder produces the kernel encodings (include/linux/filter.h macros)', () => {
  assert.deepEqual(asm.exit(), { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
  assert.deepEqual(asm.call('map_lookup_elem'), { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 1 });
  assert.deepEqual(asm.call('bpf_ringbuf_output'), { opcode: 0x85, dst: 0, src: 0, off: 0, imm: 130 });
  const ld = asm.ldMapFd(1, 7);
  assert.equal(ld.opcode, 0x18);
  assert.equal(ld.src, 1);
  assert.equal(ld.imm64, 7n);
  assert.equal(asm.ldxMem('u32', 1, 0, 4).opcode, 0x61);
  assert.equal(asm.stxMem('u64', 10, 1, -8).opcode, 0x7b);
  assert.equal(asm.atomicAdd('u64', 0, 1, 0).opcode, 0xdb);
});

test('disassembler text follows kernel/bpf/disasm.c', () => {
  const lines = disassemble([
    asm.mov64Imm(0, 2), asm.mov32Imm(1, -1), asm.ldMapFd(1, 5), asm.call('map_lookup_elem'),
    asm.jmpImm('JEQ', 0, 0, 3), asm.ldxMem('u32', 1, 0, 0), asm.alu64Imm('ADD', 1, 1), asm.stxMem('u32', 0, 1, 0),
    asm.atomicAdd('u64', 0, 1, 8), asm.jmpReg('JSGT', 1, 2, -2), asm.ldImm64(2, 0x1234567890n), asm.exit(),
  ], { mapRef: 'id' });
  assert.deepEqual(lines, [
    '   0: (b7) r0 = 2',
    '   1: (b4) w1 = -1',
    '   2: (18) r1 = map[id:5]',
    '   4: (85) call bpf_map_lookup_elem#1',
    '   5: (15) if r0 == 0x0 goto pc+3',
    '   6: (61) r1 = *(u32 *)(r0 +0)',
    '   7: (07) r1 += 1',
    '   8: (63) *(u32 *)(r0 +0) = r1',
    '   9: (db) lock *(u64 *)(r0 +8) += r1',
    '  10: (6d) if r1 s> r2 goto pc-2',
    '  11: (18) r2 = 0x1234567890',
    '  13: (95) exit',
  ]);
  assert.equal(formatInstruction({ opcode: 0xff, dst: 0, src: 0, off: 0, imm: 0 }), '(ff) unknown opcode ff');
});
