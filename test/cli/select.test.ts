/**
 * Finding pinned paths (`-f`) when bpffs is mounted more than once: two
 * bpffs stacked on one directory (what two tools racing to mount /sys/fs/bpf
 * leave behind), and a bpffs mounted inside another. Every pin must be listed
 * exactly once; bpftool lists it once per mount-table entry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelOnly } from '../helpers/kernel.ts';
import { bpffsRoots, pinnedObjectPaths } from '../../src/cli/select.ts';
import { createMap } from '../../src/index.ts';
import { mapInfoByFd } from '../../src/sys/map-cmds.ts';
import { mounts } from '../../src/sys/fs.ts';
import { native } from '../../src/sys/native.ts';

test('bpffsRoots: stacked mounts count once, nested ones are covered by their parent', () => {
  const bpf = (dir: string) => ({ dir, type: 'bpf' });
  assert.deepEqual(bpffsRoots([bpf('/sys/fs/bpf'), { dir: '/proc', type: 'proc' }, bpf('/sys/fs/bpf')]), ['/sys/fs/bpf']);
  assert.deepEqual(bpffsRoots([bpf('/sys/fs/bpf/inner'), bpf('/sys/fs/bpf'), bpf('/sys/fs/bpfx')]), ['/sys/fs/bpf', '/sys/fs/bpfx']);
  assert.deepEqual(bpffsRoots([bpf('/'), bpf('/a')]), ['/']);
  assert.deepEqual(bpffsRoots([]), []);
});

test('pinnedObjectPaths lists each pin once on stacked and nested bpffs mounts', kernelOnly(), (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-stacked-'));
  const mounted: string[] = [];
  const mount = (at: string) => {
    const r = native().mount('bpf', at, 'bpf', 0, 'mode=0700');
    assert.equal(r, 0, `mount bpffs at ${at}: errno ${-r}`);
    mounted.push(at);
  };
  const map = createMap({ type: 'array', key: 'u32', value: 'u32', maxEntries: 1 });
  t.after(() => {
    map.close();
    for (const at of mounted.reverse()) native().umount(at, 0);
    rmSync(dir, { recursive: true, force: true });
  });
  mount(dir);
  mount(dir); // stacked: only this top one is reachable by path
  assert.equal(mounts().filter((m) => m.dir === dir && m.type === 'bpf').length, 2);
  const inner = join(dir, 'inner');
  mkdirSync(inner);
  mount(inner);
  map.pin(join(dir, 'top'));
  map.pin(join(inner, 'nested'));
  const id = mapInfoByFd(map.fd).id;
  const paths = pinnedObjectPaths((fd) => mapInfoByFd(fd).id).get(id) ?? [];
  assert.deepEqual(paths.sort(), [join(dir, 'top'), join(inner, 'nested')].sort());
  // the kernel preloads iterator files (maps.debug, progs.debug) into some bpffs mounts
  assert.deepEqual(readdirSync(dir).filter((n) => !n.endsWith('.debug')).sort(), ['inner', 'top']);
});
