import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelOnly } from '../helpers/kernel.ts';
import { createMap, openMap } from '../../src/maps/index.ts';
import { BtfBuilder } from '../../src/btf/encode.ts';
import { parseBtf } from '../../src/btf/btf.ts';

function flowBtf() {
  const b = new BtfBuilder();
  const u16 = b.add({ kind: 'int', name: 'unsigned short', size: 2, encoding: 0, bitOffset: 0, bits: 16 });
  const u32 = b.add({ kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
  const u64 = b.add({ kind: 'int', name: 'unsigned long long', size: 8, encoding: 0, bitOffset: 0, bits: 64 });
  const key = b.add({
    kind: 'struct', name: 'flow', size: 8,
    members: [
      { name: 'addr', type: u32, bitOffset: 0, bitfieldSize: 0 },
      { name: 'port', type: u16, bitOffset: 32, bitfieldSize: 0 },
    ],
  });
  const value = b.add({
    kind: 'struct', name: 'stats', size: 16,
    members: [
      { name: 'packets', type: u64, bitOffset: 0, bitfieldSize: 0 },
      { name: 'bytes', type: u64, bitOffset: 64, bitfieldSize: 0 },
    ],
  });
  return { spec: parseBtf(b.encode()), keyTypeId: key, valueTypeId: value };
}

test('a map with BTF: typed from BTF, BTF in the kernel, typed again on open, formatted by bpftool', kernelOnly(), () => {
  const btf = flowBtf();
  using m = createMap({ type: 'hash', maxEntries: 16, name: 'flows', btf });
  assert.equal(m.keySize, 8);
  assert.equal(m.valueSize, 16);
  m.set({ addr: 0x0a000001, port: 443 }, { packets: 3n, bytes: 1500n });
  assert.deepEqual(m.get({ addr: 0x0a000001, port: 443 }), { packets: 3n, bytes: 1500n });
  const info = m.info();
  assert.ok(info.btfId > 0);
  assert.equal(info.btfKeyTypeId, btf.keyTypeId);
  using again = openMap({ id: info.id });
  assert.deepEqual([...again.entries()], [[{ addr: 0x0a000001, port: 443 }, { packets: 3n, bytes: 1500n }]]);
  // bpftool reads the same BTF from the kernel and prints the entry formatted
  const out = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(info.id)], { encoding: 'utf8' }));
  assert.deepEqual(out[0].formatted, { key: { addr: 0x0a000001, port: 443 }, value: { packets: 3, bytes: 1500 } });
  using raw = openMap({ id: info.id }, { raw: true });
  assert.ok(raw.get(new Uint8Array([1, 0, 0, 10, 0xbb, 1, 0, 0])) instanceof Uint8Array);
});

test('BPF_F_LOCK lookups and updates on a value with a bpf_spin_lock', kernelOnly(), () => {
  const b = new BtfBuilder();
  const u32 = b.add({ kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
  const lock = b.add({ kind: 'struct', name: 'bpf_spin_lock', size: 4, members: [{ name: 'val', type: u32, bitOffset: 0, bitfieldSize: 0 }] });
  const value = b.add({
    kind: 'struct', name: 'locked', size: 8,
    members: [
      { name: 'lock', type: lock, bitOffset: 0, bitfieldSize: 0 },
      { name: 'counter', type: u32, bitOffset: 32, bitfieldSize: 0 },
    ],
  });
  const spec = parseBtf(b.encode());
  using m = createMap({ type: 'hash', maxEntries: 4, btf: { spec, keyTypeId: u32, valueTypeId: value } });
  m.update(1, { lock: { val: 0 }, counter: 5 }, { lock: true });
  assert.deepEqual(m.get(1, { lock: true }), { lock: { val: 0 }, counter: 5 });
  // BPF_F_LOCK on a map whose value has no spin lock → EINVAL (kernel/bpf/syscall.c)
  using plain = createMap({ type: 'hash', key: 'u32', value: 'u64', maxEntries: 4 });
  assert.throws(() => plain.update(1, 1n, { lock: true }), (e: unknown) => (e as { code?: string }).code === 'EINVAL');
  assert.throws(() => plain.get(1, { lock: true }), (e: unknown) => (e as { code?: string }).code === 'EINVAL');
});
