import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseBtf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import { encodeBtf, type BtfTypeInput } from '../../src/btf/encode.js';
import { BtfLoadError, btfGetFdById, btfGetNextId, btfIds, btfInfoByFd, btfLoad, btfRawByFd } from '../../src/sys/btf-cmds.js';
import { BpfError } from '../../src/sys/errors.js';
import { native } from '../../src/sys/native.js';
import { kernelOnly } from '../helpers/kernel.js';
import { FIXTURES, VMLINUX } from './helpers.js';

const pair: BtfTypeInput[] = [
  { kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 },
  { kind: 'struct', name: 'pair', size: 8, members: [{ name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: 1, bitOffset: 32, bitfieldSize: 0 }] },
];

test('BTF_LOAD: the kernel accepts encoded BTF and hands back the same bytes', kernelOnly(), (t) => {
  const blob = encodeBtf(pair);
  const fd = btfLoad(blob);
  t.after(() => native().close(fd));
  const info = btfInfoByFd(fd);
  assert.equal(info.size, blob.length);
  assert.equal(info.kernelBtf, false);
  assert.equal(info.name, '');
  assert.ok(btfIds().includes(info.id));
  const raw = btfRawByFd(fd);
  assert.deepEqual(raw.bytes, blob);
  assert.deepEqual(raw.info, info);
  // By id: a second fd to the same object.
  const again = btfGetFdById(info.id);
  t.after(() => native().close(again));
  assert.equal(btfInfoByFd(again).id, info.id);
});

test('BTF_LOAD: every kind from the clang fixture is accepted once DATASECs are laid out', kernelOnly(), (t) => {
  const btf = parseBtf(elfSections(readFileSync(`${FIXTURES}kinds-el.bpf.o`)).get('.BTF')!);
  // Object BTF has DATASEC sizes/offsets of 0 until a loader fills them in; give each var its own slot here.
  const types = [...btf.types()].map((ty) => {
    if (ty.kind !== 'datasec') return ty;
    let off = 0;
    const vars = ty.vars.map((v) => { const size = btf.sizeof(btf.typeById(v.type).kind === 'var' ? (btf.typeById(v.type) as { type: number }).type : v.type); const r = { ...v, offset: off, size }; off += Math.ceil(size / 8) * 8; return r; });
    return { ...ty, size: off, vars };
  });
  const fd = btfLoad(encodeBtf(types), { logLevel: 1 });
  t.after(() => native().close(fd));
  assert.deepEqual([...parseBtf(btfRawByFd(fd).bytes).types()], types);
});

test('BTF_LOAD failure carries the kernel verifier log', kernelOnly(), () => {
  const bad = encodeBtf([{ kind: 'ptr', name: '', type: 99 }]);
  assert.throws(() => btfLoad(bad), (e: unknown) => {
    assert.ok(e instanceof BtfLoadError);
    assert.equal(e.code, 'EINVAL');
    assert.match(e.log, /Invalid type_id/);
    assert.match(e.message, /Invalid type_id/);
    return true;
  });
});

test('vmlinux BTF by id: name, kernel flag and bytes equal /sys/kernel/btf/vmlinux', kernelOnly(), (t) => {
  const first = btfGetNextId(0);
  assert.ok(first !== undefined);
  let vmlinuxFd = -1;
  for (const id of btfIds()) {
    const fd = btfGetFdById(id);
    if (btfInfoByFd(fd).name === 'vmlinux') { vmlinuxFd = fd; break; }
    native().close(fd);
  }
  assert.ok(vmlinuxFd >= 0, 'vmlinux BTF is loaded');
  t.after(() => native().close(vmlinuxFd));
  const { info, bytes } = btfRawByFd(vmlinuxFd);
  assert.equal(info.kernelBtf, true);
  assert.deepEqual(Buffer.from(bytes), readFileSync(VMLINUX));
  assert.throws(() => btfGetFdById(0x7ffffff0), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
});
