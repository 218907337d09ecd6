import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { modulePath, runGcChild } from '../helpers/gc-child.ts';
import { kernelOnly } from '../helpers/kernel.ts';
import { createMap, openMap, listMaps } from '../../src/maps/index.ts';
import { BpfError } from '../../src/sys/errors.ts';

const openFds = () => readdirSync('/proc/self/fd').length;

test('no fd leaks over many create/use/close cycles', kernelOnly(), () => {
  const before = openFds();
  for (let i = 0; i < 300; i++) {
    const m = createMap({ type: i % 2 ? 'hash' : 'array', key: 'u32', value: 'u32', maxEntries: 8, flags: i % 2 ? 0 : 1024 });
    m.set(1, i);
    [...m.entries()];
    m.dumpRaw();
    if (!(i % 2)) m.mmap().close();
    m.close();
  }
  for (let i = 0; i < 50; i++) {
    try { createMap({ type: 'hash', keySize: 0, valueSize: 4, maxEntries: 1 }); } catch { /* EINVAL */ }
    try { createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } }).close(); } catch { /* */ }
  }
  assert.equal(openFds(), before);
});

test('pin, open by pinned path, id and name; unpin', kernelOnly(), (t) => {
  const dir = `/sys/fs/bpf/ebpf-test-${process.pid}`;
  using m = createMap({ type: 'hash', key: 'u32', value: 'u32', maxEntries: 8, name: `pin_${process.pid % 100000}` });
  m.set(1, 11);
  m.pin(`${dir}-probe`); // mounts bpffs when needed
  rmSync(`${dir}-probe`);
  mkdirSync(dir);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  m.pin(`${dir}/m`);
  assert.throws(() => m.pin(`${dir}/m`), (e: unknown) => e instanceof BpfError && e.code === 'EEXIST');
  using byPin = openMap({ pinned: `${dir}/m` }, { key: 'u32', value: 'u32' });
  assert.equal(byPin.get(1), 11);
  byPin.set(2, 22);
  assert.equal(m.get(2), 22);
  using byId = openMap({ id: m.info().id }, { key: 'u32', value: 'u32' });
  assert.equal(byId.get(2), 22);
  using byName = openMap({ name: m.name }, { key: 'u32', value: 'u32' });
  assert.equal(byName.info().id, m.info().id);
  assert.ok(listMaps().some((i) => i.id === m.info().id && i.name === m.name));
  using ro = openMap({ pinned: `${dir}/m` }, { access: 'readonly', key: 'u32', value: 'u32' });
  assert.equal(ro.get(1), 11);
  assert.throws(() => ro.set(1, 1), (e: unknown) => e instanceof BpfError && e.code === 'EPERM');
  rmSync(`${dir}/m`);
  assert.equal(existsSync(`${dir}/m`), false);
  assert.throws(() => openMap({ pinned: `${dir}/m` }), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
  assert.throws(() => openMap({ id: 0x7ffffff0 }), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
  assert.throws(() => openMap({ name: 'no_such_map_xyz' }), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
});

test('a map dropped without close() gives its fd back when garbage-collected', kernelOnly(), () => {
  const { held, left } = runGcChild<{ held: number; left: number }>(
    `import { createMap } from ${modulePath('../../src/maps/index.ts', import.meta.url)};`,
    `const before = fds();
    let maps = [];
    for (let i = 0; i < 100; i++) maps.push(createMap({ type: 'hash', key: 'u32', value: 'u32', maxEntries: 4 }).set(1, i));
    const held = fds() - before;
    maps = null;
    await settle(before);
    console.log(JSON.stringify({ held, left: fds() - before }));`);
  assert.ok(held >= 100, `the maps held their fds while alive (${held})`);
  assert.equal(left, 0);
});
