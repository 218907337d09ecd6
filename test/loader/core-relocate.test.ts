import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { elfSections } from '../../src/elf/sections.js';
import { parseBtf, type Btf } from '../../src/btf/btf.js';
import { parseBtfExt } from '../../src/btf/ext.js';
import { encodeBtf, type BtfTypeInput } from '../../src/btf/encode.js';
import type { BtfComposite } from '../../src/btf/types.js';
import { encode, decode } from '../../src/asm/instruction.js';
import {
  calculateCoreRelocation, coreTarget, CoreReloKind, CoreTarget, patchCoreInstruction, POISON_HELPER_ID, relocateCore,
  type CoreRelocation,
} from '../../src/loader/core-relocate.js';
import { essentialName } from '../../src/loader/core-compat.js';
import { CoreRelocationError } from '../../src/loader/errors.js';
import { kernelOnly } from '../helpers/kernel.js';
import { CILIUM, runRawProgram, shiftedBtf } from './helpers.js';

const SOCKET_FILTER = 1;

function object(path: string) {
  const secs = elfSections(new Uint8Array(readFileSync(path)));
  const btf = parseBtf(secs.get('.BTF')!);
  const ext = parseBtfExt(secs.get('.BTF.ext')!, btf);
  return { secs, btf, ext };
}

function relosOf(ext: ReturnType<typeof parseBtfExt>, section: string): CoreRelocation[] {
  return (ext.coreRelos.get(section) ?? []).map((r) => ({ insn: r.insnOff / 8, typeId: r.typeId, accessString: r.accessString, kind: r.kind }));
}

// ---- synthetic BTF: exact expectations computed by hand from the layouts ----

const int: BtfTypeInput = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 };
const uint: BtfTypeInput = { kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 };
const ulong: BtfTypeInput = { kind: 'int', name: 'unsigned long', size: 8, encoding: 0, bitOffset: 0, bits: 64 };
const long: BtfTypeInput = { kind: 'int', name: 'long', size: 8, encoding: 1, bitOffset: 0, bits: 64 };

// local: [1] int, [2] unsigned int, [3] struct foo___old { int a; int b; unsigned int c; int d; },
//        [4] struct bf { unsigned int pad:5; unsigned int x:3; }, [5] enum color { RED, GREEN }, [6] struct gone { int z; }
const local = parseBtf(encodeBtf([
  int, uint,
  { kind: 'struct', name: 'foo___old', size: 16, members: [
    { name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: 1, bitOffset: 32, bitfieldSize: 0 },
    { name: 'c', type: 2, bitOffset: 64, bitfieldSize: 0 }, { name: 'd', type: 1, bitOffset: 96, bitfieldSize: 0 }] },
  { kind: 'struct', name: 'bf', size: 4, members: [
    { name: 'pad', type: 2, bitOffset: 0, bitfieldSize: 5 }, { name: 'x', type: 2, bitOffset: 5, bitfieldSize: 3 }] },
  { kind: 'enum', name: 'color', size: 4, signed: false, values: [{ name: 'RED', value: 0n }, { name: 'GREEN', value: 1n }] },
  { kind: 'struct', name: 'gone', size: 4, members: [{ name: 'z', type: 1, bitOffset: 0, bitfieldSize: 0 }] },
], { littleEndian: true }));

// target: [1] int, [2] unsigned int, [3] unsigned long, [4] long,
//         [5] struct foo { long pad; int a; unsigned long c; long d; }  (b missing, c and d widened)
//         [6] struct bf { int pad[10]; unsigned int x:3 at bit 328 }, [7] enum color { BLUE=7, GREEN=5 }
const target = parseBtf(encodeBtf([
  int, uint, ulong, long,
  { kind: 'struct', name: 'foo', size: 32, members: [
    { name: 'pad', type: 4, bitOffset: 0, bitfieldSize: 0 }, { name: 'a', type: 1, bitOffset: 64, bitfieldSize: 0 },
    { name: 'c', type: 3, bitOffset: 128, bitfieldSize: 0 }, { name: 'd', type: 4, bitOffset: 192, bitfieldSize: 0 }] },
  { kind: 'struct', name: 'bf', size: 48, members: [
    { name: 'pad', type: 8, bitOffset: 0, bitfieldSize: 0 }, { name: 'x', type: 2, bitOffset: 328, bitfieldSize: 3 }] },
  { kind: 'enum', name: 'color', size: 4, signed: false, values: [{ name: 'BLUE', value: 7n }, { name: 'GREEN', value: 5n }] },
  { kind: 'array', name: '', elemType: 1, indexType: 1, nelems: 10 },
], { littleEndian: true }));

const tgt = new CoreTarget(target);
const calc = (typeId: number, accessString: string, kind: number) => calculateCoreRelocation(local, { insn: 0, typeId, accessString, kind }, tgt);

test('essential names strip the last ___flavour suffix only', () => {
  assert.equal(essentialName('task_struct___old'), 'task_struct');
  assert.equal(essentialName('a___b___c'), 'a___b');
  assert.equal(essentialName('____x'), '____x');
  assert.equal(essentialName('plain'), 'plain');
  assert.equal(essentialName('x____y'), 'x____y');
});

test('field relocations follow the target layout, through a ___flavour', () => {
  assert.equal(calc(3, '0:0', CoreReloKind.FIELD_BYTE_OFFSET).newValue, 8n);
  assert.equal(calc(3, '0:2', CoreReloKind.FIELD_BYTE_OFFSET).newValue, 16n);
  assert.equal(calc(3, '0:2', CoreReloKind.FIELD_BYTE_SIZE).newValue, 8n);
  assert.equal(calc(3, '0:0', CoreReloKind.FIELD_EXISTS).newValue, 1n);
  assert.equal(calc(3, '0:1', CoreReloKind.FIELD_EXISTS).newValue, 0n);
  assert.equal(calc(3, '0:0', CoreReloKind.FIELD_SIGNED).newValue, 1n);
  assert.equal(calc(3, '0:2', CoreReloKind.FIELD_SIGNED).newValue, 0n);
  // Array step on the root: foo[1].a is 32 + 8 bytes in.
  assert.equal(calc(3, '1:0', CoreReloKind.FIELD_BYTE_OFFSET).newValue, 40n);
});

test('a missing field poisons the instruction; existence kinds resolve to 0 instead', () => {
  const r = calc(3, '0:1', CoreReloKind.FIELD_BYTE_OFFSET);
  assert.equal(r.poison, true);
  const insns = encode([{ opcode: 0x61, dst: 1, src: 2, off: 4, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }], 'le');
  patchCoreInstruction(insns, true, 0, r);
  const [call] = decode(insns, 'le');
  assert.deepEqual([call!.opcode, call!.imm >>> 0, call!.dst, call!.src, call!.off], [0x85, POISON_HELPER_ID, 0, 0, 0]);
  assert.equal(calc(6, '0', CoreReloKind.TYPE_EXISTS).newValue, 0n);
  assert.equal(calc(6, '0', CoreReloKind.TYPE_SIZE).newValue, 0n);
  assert.equal(calc(6, '0:0', CoreReloKind.FIELD_EXISTS).newValue, 0n);
});

test('bitfield offset, size and shifts', () => {
  // Target x: bits 328..330, read with a naturally aligned u32 at byte 40.
  assert.equal(calc(4, '0:1', CoreReloKind.FIELD_BYTE_OFFSET).newValue, 40n);
  assert.equal(calc(4, '0:1', CoreReloKind.FIELD_BYTE_SIZE).newValue, 4n);
  assert.equal(calc(4, '0:1', CoreReloKind.FIELD_LSHIFT_U64).newValue, BigInt(64 - (328 + 3 - 320)));
  assert.equal(calc(4, '0:1', CoreReloKind.FIELD_RSHIFT_U64).newValue, 61n);
  assert.equal(calc(4, '0:1', CoreReloKind.FIELD_LSHIFT_U64).oldValue, BigInt(64 - 8));
});

test('enum values: found by name, missing ones poison ld_imm64 in both slots', () => {
  const green = calc(5, '1', CoreReloKind.ENUMVAL_VALUE);
  assert.deepEqual([green.oldValue, green.newValue], [1n, 5n]);
  assert.equal(calc(5, '0', CoreReloKind.ENUMVAL_EXISTS).newValue, 0n);
  const red = calc(5, '0', CoreReloKind.ENUMVAL_VALUE);
  assert.equal(red.poison, true);
  const insns = encode([{ opcode: 0x18, dst: 1, src: 0, off: 0, imm: 0, imm64: 0n }], 'le');
  patchCoreInstruction(insns, true, 0, red);
  assert.equal(insns[0], 0x85);
  assert.equal(insns[8], 0x85);
  const ld = encode([{ opcode: 0x18, dst: 1, src: 0, off: 0, imm: 1, imm64: 1n }], 'le');
  patchCoreInstruction(ld, true, 0, green);
  assert.equal(decode(ld, 'le')[0]!.imm64, 5n);
});

test('load sizes follow widened unsigned fields; widened signed fields poison the load', () => {
  const c = calc(3, '0:2', CoreReloKind.FIELD_BYTE_OFFSET);
  const ldx = encode([{ opcode: 0x61 /* ldxw */, dst: 0, src: 1, off: 8, imm: 0 }], 'le');
  patchCoreInstruction(ldx, true, 0, c);
  assert.deepEqual(decode(ldx, 'le')[0], { opcode: 0x79 /* ldxdw */, dst: 0, src: 1, off: 16, imm: 0 });
  const d = calc(3, '0:3', CoreReloKind.FIELD_BYTE_OFFSET);
  assert.equal(d.failMemSizeAdjust, true);
  const ldx2 = encode([{ opcode: 0x61, dst: 0, src: 1, off: 12, imm: 0 }], 'le');
  patchCoreInstruction(ldx2, true, 0, d);
  assert.equal(ldx2[0], 0x85);
});

test('an instruction that does not hold the compiled value is rejected', () => {
  const r = calc(3, '0:0', CoreReloKind.FIELD_BYTE_OFFSET);
  const insns = encode([{ opcode: 0x61, dst: 0, src: 1, off: 99, imm: 0 }], 'le');
  assert.throws(() => patchCoreInstruction(insns, true, 0, r, 'p'), (e: unknown) => e instanceof CoreRelocationError && /got 99, expected 0/.test(e.message));
  const jmp = encode([{ opcode: 0x05, dst: 0, src: 0, off: 0, imm: 0 }], 'le');
  assert.throws(() => patchCoreInstruction(jmp, true, 0, r), CoreRelocationError);
});

test('bad access strings and out-of-range indices are typed errors', () => {
  for (const [id, acc, kind] of [[3, '0:9', 0], [3, 'x', 0], [3, '0:0', 8], [5, '5', 10], [99, '0', 8], [3, '', 0]] as const) {
    assert.throws(() => calc(id, acc, kind), CoreRelocationError, `${id} ${acc} ${kind}`);
  }
});

test('fuzz: any relocation record yields a result or a CoreRelocationError', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 10 }), fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 0, maxLength: 6 }), fc.integer({ min: 0, max: 14 }),
    (typeId, access, kind) => {
      try {
        const r = calc(typeId, access.join(':'), kind);
        assert.equal(typeof r.newValue, 'bigint');
      } catch (e) {
        if (!(e instanceof CoreRelocationError)) throw e;
      }
    }), { numRuns: 2000 });
});

// ---- cilium/ebpf's CO-RE objects: their programs return the failing source line, or 0 ----

const RELOCS = `${CILIUM}btf/testdata/`;

test('relocs-el.elf: every program relocated against its own types (ids shifted) returns 0', kernelOnly(), () => {
  const { secs, btf, ext } = object(`${RELOCS}relocs-el.elf`);
  // Shift ids so that bpf_core_type_id_kernel() differs from bpf_core_type_id_local(), as against a kernel.
  const tgtBtf = coreTarget(shiftedBtf(btf as Btf, 3));
  const seen: string[] = [];
  for (const section of ext.coreRelos.keys()) {
    const insns = new Uint8Array(secs.get(section)!);
    if (section.includes('err_ambiguous')) {
      assert.throws(() => relocateCore(insns, true, btf, relosOf(ext, section), tgtBtf, section),
        (e: unknown) => e instanceof CoreRelocationError && /ambiguity/.test(e.message), section);
      continue;
    }
    relocateCore(insns, true, btf, relosOf(ext, section), tgtBtf, section);
    assert.equal(runRawProgram(SOCKET_FILTER, insns), 0, `${section} returned the line of a failed check`);
    seen.push(section);
  }
  assert.deepEqual(seen.sort(), ['socket/enums', 'socket/fields', 'socket/type_ids', 'socket/types']);
});

test('relocs_enum-el.elf: 64-bit enum values through ld_imm64', kernelOnly(), () => {
  const { secs, btf, ext } = object(`${RELOCS}relocs_enum-el.elf`);
  const insns = new Uint8Array(secs.get('socket/core_ld64imm')!);
  relocateCore(insns, true, btf, relosOf(ext, 'socket/core_ld64imm'), coreTarget(btf), 'core_ld64imm');
  assert.equal(runRawProgram(SOCKET_FILTER, insns), 0);
});

test('big-endian twins relocate to the same values as little-endian objects', () => {
  for (const name of ['relocs', 'relocs_enum', 'relocs_read']) {
    const le = object(`${RELOCS}${name}-el.elf`);
    const be = object(`${RELOCS}${name}-eb.elf`);
    const tl = coreTarget(le.btf);
    const tb = coreTarget(be.btf);
    for (const [section] of le.ext.coreRelos) {
      if (section.includes('err_')) continue;
      const a = relosOf(le.ext, section).map((r) => calculateCoreRelocation(le.btf, r, tl).newValue);
      const b = relosOf(be.ext, section).map((r) => calculateCoreRelocation(be.btf, r, tb).newValue);
      assert.deepEqual(b.filter((_, i) => relosOf(be.ext, section)[i]!.kind !== CoreReloKind.FIELD_LSHIFT_U64),
        a.filter((_, i) => relosOf(le.ext, section)[i]!.kind !== CoreReloKind.FIELD_LSHIFT_U64), `${name} ${section}`);
    }
  }
});

test('relocations against the kernel: vmlinux types resolve with the kernel layout', kernelOnly(), async () => {
  const { loadKernelBtf } = await import('../../src/btf/kernel.js');
  const vmlinux = loadKernelBtf();
  const task = vmlinux.typesByName('task_struct').find((t) => t.kind === 'struct') as BtfComposite;
  const pidIndex = task.members.findIndex((m) => m.name === 'pid');
  // Local: a minimal `struct task_struct___mine { int pid; }` as a CO-RE program would declare it.
  const mine = parseBtf(encodeBtf([int, { kind: 'struct', name: 'task_struct___mine', size: 4, members: [{ name: 'pid', type: 1, bitOffset: 0, bitfieldSize: 0 }] }]));
  const r = calculateCoreRelocation(mine, { insn: 0, typeId: 2, accessString: '0:0', kind: CoreReloKind.FIELD_BYTE_OFFSET }, coreTarget(vmlinux));
  assert.equal(r.newValue, BigInt(task.members[pidIndex]!.bitOffset / 8));
  const id = calculateCoreRelocation(mine, { insn: 0, typeId: 2, accessString: '0', kind: CoreReloKind.TYPE_ID_TARGET }, coreTarget(vmlinux));
  assert.equal(id.newValue, BigInt(task.id));
});

test('the candidate index matches a full decode of every type (vmlinux with a layout section, split module BTF)', () => {
  const base = parseBtf(gunzipSync(readFileSync(`${RELOCS}vmlinux.btf.gz`)));
  const baseTm = parseBtf(new Uint8Array(readFileSync(`${RELOCS}btf_testmod.btf.base`)));
  const mod = parseBtf(new Uint8Array(readFileSync(`${RELOCS}btf_testmod.btf`)), { base: baseTm });
  for (const btf of [base, mod]) {
    const fast = new CoreTarget(btf);
    const expected = new Map<string, number[]>();
    for (let id = 1; id < btf.typeCount; id++) {
      const n = btf.typeById(id).name;
      if (!n) continue;
      const e = essentialName(n);
      expected.set(e, [...(expected.get(e) ?? []), id]);
    }
    for (const [e, ids] of expected) assert.deepEqual(fast.idsByEssentialName(e), ids, e);
  }
});

test('an object built for this kernel relocates against another kernel\'s BTF (cilium\'s vmlinux.btf.gz) to that kernel\'s layout', () => {
  const other = parseBtf(gunzipSync(readFileSync(`${RELOCS}vmlinux.btf.gz`)));
  const { btf, ext } = object(new URL('./fixtures/core_vmlinux.bpf.o', import.meta.url).pathname);
  const target = coreTarget(other);
  const task = other.typesByName('task_struct').find((t) => t.kind === 'struct') as BtfComposite;
  const offsetOf = (name: string) => BigInt(task.members.find((m) => m.name === name)!.bitOffset / 8);

  const mapTypes = other.typesByName('bpf_map_type').find((t) => t.kind === 'enum')!;
  const ringbuf = (mapTypes as unknown as { values: { name: string; value: bigint }[] }).values.find((v) => v.name === 'BPF_MAP_TYPE_RINGBUF')!.value;
  let checked = 0;
  for (const r of relosOf(ext, 'raw_tp/sys_enter')) {
    const local = btf.typeById(r.typeId);
    const res = calculateCoreRelocation(btf, r, target, 'core_checks');
    if (r.kind === CoreReloKind.FIELD_BYTE_OFFSET && local.name.startsWith('task_struct')) {
      const member = (local as BtfComposite).members[Number(r.accessString.split(':')[1])]!.name;
      if (task.members.some((m) => m.name === member)) assert.equal(res.newValue, offsetOf(member), `${local.name}.${member}`);
      else assert.equal(res.poison, true, `${local.name}.${member} is missing there: poisoned`);
      checked++;
    }
    if (r.kind === CoreReloKind.ENUMVAL_VALUE && r.accessString === '1') {
      assert.equal(res.newValue, ringbuf);
      checked++;
    }
    if (r.kind === CoreReloKind.FIELD_EXISTS && local.name === 'task_struct___mini' && r.accessString === '0:3') {
      assert.equal(res.newValue, 0n, 'not_in_kernel does not exist there either');
      checked++;
    }
  }
  assert.ok(checked >= 4, `checked ${checked} relocations`);
});
