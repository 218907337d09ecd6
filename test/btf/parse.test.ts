import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBtf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import { encodeBtf } from '../../src/btf/encode.js';
import { formatRaw } from '../../src/btf/format-raw.js';
import { loadKernelBtf, loadModuleBtf } from '../../src/btf/kernel.js';
import { InvalidArgumentError, ParseError } from '../../src/sys/errors.js';
import { FIXTURES, SHARED, SHARED_BTF, VMLINUX, needs, read, run } from './helpers.js';

function objectBtf(path: string) {
  return parseBtf(elfSections(read(path)).get('.BTF')!);
}

const objects = [
  `${FIXTURES}kinds-el.bpf.o`, `${FIXTURES}kinds-eb.bpf.o`,
  `${SHARED_BTF}tags-el.elf`, `${SHARED_BTF}tags-eb.elf`,
  `${SHARED_BTF}relocs-el.elf`, `${SHARED_BTF}relocs-eb.elf`,
  `${SHARED_BTF}relocs_read-eb.elf`, `${SHARED}testdata/loader-clang-22-el.elf`,
  `${SHARED}testdata/loader-clang-14-eb.elf`, `${SHARED}testdata/variables-el.elf`,
];

test('every kind, both byte orders: raw dump equals bpftool format raw', needs('bpftool'), () => {
  for (const path of objects) {
    assert.equal(formatRaw(objectBtf(path)), run('bpftool', ['btf', 'dump', 'file', path, 'format', 'raw']), path);
  }
});

test('32-byte header with a kind layout section (recent kernels) parses like bpftool reads it', needs('bpftool'), () => {
  const path = `${SHARED_BTF}vmlinux.btf`;
  const btf = parseBtf(read(path));
  assert.equal(btf.header.hdrLen, 32);
  assert.equal(btf.header.layoutLen, 80); // 20 kinds x struct btf_kind_layout
  assert.equal(formatRaw(btf), run('bpftool', ['btf', 'dump', 'file', path, 'format', 'raw']));
});

test('split BTF over a base: ids and strings continue the base, own types only in dumps', needs('bpftool'), () => {
  const base = parseBtf(read(`${SHARED_BTF}btf_testmod.btf.base`));
  const mod = parseBtf(read(`${SHARED_BTF}btf_testmod.btf`), { base });
  assert.equal(mod.firstTypeId, base.typeCount);
  assert.equal(mod.base, base);
  assert.equal(mod.typeById(1), base.typeById(1));
  assert.equal(formatRaw(mod), run('bpftool', ['btf', 'dump', 'file', `${SHARED_BTF}btf_testmod.btf`, '-B', `${SHARED_BTF}btf_testmod.btf.base`, 'format', 'raw']));
  // Name lookups see base types too.
  const int = base.typeByName('int', 'int');
  assert.ok(int);
  assert.equal(mod.typeByName('int', 'int'), int);
  assert.throws(() => parseBtf(read(`${SHARED_BTF}btf_testmod.btf`)), ParseError, 'split BTF without its base is rejected');
});

test('running kernel: /sys/kernel/btf/vmlinux equals bpftool raw dump', needs('bpftool', VMLINUX), () => {
  const btf = loadKernelBtf();
  assert.equal(loadKernelBtf(), btf, 'cached');
  assert.equal(formatRaw(btf), run('bpftool', ['btf', 'dump', 'file', VMLINUX, 'format', 'raw']));
});

test('lookups: names, resolve and sizeof agree with the C compiler (kinds fixture)', () => {
  for (const path of [`${FIXTURES}kinds-el.bpf.o`, `${FIXTURES}kinds-eb.bpf.o`]) {
    const btf = objectBtf(path);
    const inner = btf.typeByName('inner_anon', 'struct')!;
    assert.equal(inner.size, 160);
    assert.equal(btf.sizeof(inner.id), 160);
    const arr = inner.members.find((m) => m.name === 'arr')!;
    assert.equal(btf.sizeof(arr.type), 24); // int[2][3]
    assert.equal(btf.sizeof(inner.members.find((m) => m.name === 'self')!.type), 8);
    const bits = btf.typeByName('bits', 'struct')!;
    assert.deepEqual(bits.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), [['a', 0, 3], ['b', 3, 5], ['c', 8, 40], ['d', 48, 0]]);
    const fwdT = btf.typeByName('fwd_t', 'typedef')!;
    assert.equal(btf.resolve(fwdT.id).kind, 'fwd');
    assert.throws(() => btf.sizeof(fwdT.id), InvalidArgumentError);
    const big = btf.typeByName('big', 'enum64')!;
    assert.deepEqual(big.values.map((v) => v.value), [0x100000000n, 0xffffffffffffffffn]);
    const small = btf.typeByName('small', 'enum')!;
    assert.equal(small.signed, true);
    assert.deepEqual(small.values.map((v) => v.value), [-1n, 7n]);
    assert.equal(btf.typesByName('no such type').length, 0);
    assert.throws(() => btf.typeById(btf.typeCount), RangeError);
  }
  // Both byte orders decode to the same types.
  const le = objectBtf(`${FIXTURES}kinds-el.bpf.o`);
  const be = objectBtf(`${FIXTURES}kinds-eb.bpf.o`);
  assert.equal(le.littleEndian, true);
  assert.equal(be.littleEndian, false);
  assert.deepEqual([...be.types()], [...le.types()]);
});

/** A 32-byte-header blob with a kind layout section and a type of kind 20, unknown to this library. */
function blobWithFutureKind(withLayout: boolean): Uint8Array {
  const plain = encodeBtf([{ kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 }], { littleEndian: true });
  const v = new DataView(plain.buffer);
  const typeLen = v.getUint32(12, true);
  const strs = plain.subarray(24 + typeLen);
  // kind 20 with vlen 2, 4 bytes of info and 2 x 8-byte elements, then PTR -> int.
  const future = new DataView(new ArrayBuffer(12 + 4 + 16 + 12));
  future.setUint32(4, (20 << 24) | 2, true);
  future.setUint32(32 + 4, 2 << 24, true);
  future.setUint32(32 + 8, 1, true);
  const layout = new Uint8Array(withLayout ? 21 * 4 : 0);
  if (withLayout) { layout[20 * 4] = 4; layout[20 * 4 + 1] = 8; }
  const types = new Uint8Array(typeLen + future.byteLength);
  types.set(plain.subarray(24, 24 + typeLen));
  types.set(new Uint8Array(future.buffer), typeLen);
  const out = new Uint8Array(32 + types.length + layout.length + strs.length);
  const h = new DataView(out.buffer);
  h.setUint16(0, 0xeb9f, true); h.setUint8(2, 1); h.setUint32(4, 32, true);
  h.setUint32(8, 0, true); h.setUint32(12, types.length, true);
  h.setUint32(16, types.length + layout.length, true); h.setUint32(20, strs.length, true);
  h.setUint32(24, types.length, true); h.setUint32(28, layout.length, true);
  out.set(types, 32); out.set(layout, 32 + types.length); out.set(strs, 32 + types.length + layout.length);
  return out;
}

test('kinds newer than this library are skipped using the kind layout section', () => {
  const btf = parseBtf(blobWithFutureKind(true));
  assert.equal(btf.typeCount, 4);
  assert.deepEqual(btf.typeById(3), { id: 3, kind: 'ptr', name: '', type: 1 });
  assert.throws(() => btf.typeById(2), (e: unknown) => e instanceof ParseError && /kind 20/.test(e.message));
  assert.throws(() => parseBtf(blobWithFutureKind(false)), (e: unknown) => e instanceof ParseError && e.offset === 32 + 16 + 4);
});

test('bad input: typed ParseError naming the offset', () => {
  const good = encodeBtf([{ kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 }], { littleEndian: true });
  const mutate = (f: (v: DataView, b: Uint8Array) => void) => { const b = good.slice(); f(new DataView(b.buffer), b); return b; };
  const offsetOf = (b: Uint8Array) => { try { parseBtf(b); } catch (e) { assert.ok(e instanceof ParseError, String(e)); return e.offset; } assert.fail('parsed'); };
  assert.equal(offsetOf(mutate((v) => v.setUint16(0, 0x1234, true))), 0);
  assert.equal(offsetOf(mutate((v) => v.setUint8(2, 2))), 2);
  assert.equal(offsetOf(mutate((v) => v.setUint32(4, 1000, true))), 4);
  assert.equal(offsetOf(mutate((v) => v.setUint32(12, 4000, true))), 8);
  assert.equal(offsetOf(mutate((v, b) => { b[b.length - 1] = 0x41; })), good.length - 1);
  assert.equal(offsetOf(good.subarray(0, 10)), 0);
  // A name offset beyond the strings fails when the type is decoded, not at parse.
  const badName = parseBtf(mutate((v) => v.setUint32(24, 9999, true)));
  assert.throws(() => badName.typeById(1), ParseError);
});

test('kernel and module BTF loaders', needs(VMLINUX), () => {
  const vmlinux = loadKernelBtf();
  assert.equal(loadModuleBtf('vmlinux'), vmlinux);
  const task = vmlinux.typeByName('task_struct', 'struct');
  assert.ok(task && task.size > 1000);
  assert.throws(() => loadModuleBtf('no_such_module_here'), (e: unknown) => (e as { code?: string }).code === 'ENOENT');
  assert.throws(() => loadModuleBtf('../etc/passwd'), InvalidArgumentError);
});
