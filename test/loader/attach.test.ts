import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadCollection } from '../../src/loader/collection.js';
import { attachAll, attachKind } from '../../src/loader/attach.js';
import { loadAllAndPin } from '../../src/loader/pin-all.js';
import { linkIds } from '../../src/link/index.js';
import { ensureBpffs } from '../../src/sys/fs.js';
import { kernelOnly } from '../helpers/kernel.js';
import { CILIUM, getAt, openFds } from './helpers.js';
import { createVethNs, pingFrom } from '../helpers/netns.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = `${ROOT}test/fixtures/`;

test('tp_btf program with static/global subprograms and a bpf_loop callback runs once attached', kernelOnly(), async () => {
  const fds = openFds();
  const links = linkIds().length;
  {
    using c = loadCollection(`${FIXTURES}subprogs-el.o`, { pinRoot: null, programs: ['with_calls'] });
    using attached = attachAll(c);
    assert.deepEqual(Object.keys(attached.links), ['with_calls']);
    // sched_switch fires constantly; the program stores square(0+1+2+3) + global_helper(1) = 38.
    for (let i = 0; i < 50 && c.maps.results!.get(0) !== 38n; i++) await sleep(20);
    assert.equal(c.maps.results!.get(0), 38n);
  }
  assert.equal(linkIds().length, links, 'links detached on close');
  assert.equal(openFds(), fds);
});

test('tracepoint program attached from its section counts execve calls', kernelOnly(), () => {
  using c = loadCollection(`${ROOT}examples/execve-per-uid/counter.bpf.o`, { pinRoot: null });
  using attached = attachAll(c);
  assert.equal(attachKind(c.spec.programs.get('count_execve')!).kind, 'tracepoint');
  for (let i = 0; i < 3; i++) execFileSync('/bin/true');
  const uid = BigInt(process.getuid!());
  assert.ok((c.maps.execs_by_uid!.get(uid) as bigint) >= 3n);
  attached.close();
});

test('attachAll skips programs that need a target and says why', kernelOnly(), () => {
  using c = loadCollection(`${CILIUM}testdata/raw_tracepoint-el.elf`, { pinRoot: null });
  using a = attachAll(c);
  assert.ok(a.links.sched_process_exec);
  using one = c.attach('sched_process_exec');
  assert.equal(one.kind, 'raw_tracepoint');
  assert.throws(() => c.attach('nope'), /no program 'nope'/);
  using x = loadCollection('/usr/libexec/xdp-tools/xdp_pass.o', { pinRoot: null });
  using b = attachAll(x);
  assert.deepEqual(Object.keys(b.links), []);
  assert.match(b.skipped.xdp_pass!, /interface/);
});

test('attachAll with an interface: an XDP drop program attached from its section stops traffic until closed', kernelOnly(), (t) => {
  const v = createVethNs(t);
  assert.equal(pingFrom(v.ns, v.hostAddr, 1), true, 'the pair works without XDP');
  {
    using c = loadCollection('/usr/libexec/xdp-tools/xdp_drop.o', { pinRoot: null });
    using links = attachAll(c, { iface: v.hostIf });
    assert.deepEqual(Object.keys(links.links), ['xdp_drop']);
    assert.equal(pingFrom(v.ns, v.hostAddr, 1), false, 'XDP drops the echo requests');
  }
  assert.equal(pingFrom(v.ns, v.hostAddr, 1), true, 'detached on close');
  // All or nothing: two XDP programs cannot share the interface, and the first link is undone.
  const links = linkIds().length;
  using two = loadCollection('/usr/libexec/xdp-tools/test_long_func_name.o', { pinRoot: null });
  assert.equal(Object.keys(two.programs).length, 2);
  assert.throws(() => attachAll(two, { iface: v.hostIf }));
  assert.equal(linkIds().length, links, 'the link made before the failure is gone');
});

test('callbacks: bpf_for_each_map_elem sums a map (examples/for-each-sum)', kernelOnly(), () => {
  using c = loadCollection(`${ROOT}examples/for-each-sum/sum.bpf.o`, { pinRoot: null });
  for (let k = 1; k <= 10; k++) c.maps.numbers!.set(k, BigInt(k * 100));
  c.programs.sum_numbers!.testRun({ dataIn: new Uint8Array(64) });
  const bss = getAt(c.maps['.bss']!, 0) as Record<string, unknown> | Uint8Array;
  const total = bss instanceof Uint8Array ? new DataView(bss.buffer, bss.byteOffset).getBigUint64(0, true) : bss.total;
  assert.equal(total, 5500n);
  // The same through the collection's variable view, typed by BTF.
  assert.equal(c.variable('total').get(), 5500n);
  assert.equal(c.variable('visited').get(), 10);
  c.variable('total').set(1n);
  assert.equal(c.variable('total').get(), 1n);
  assert.equal(c.variable('visited').get(), 10, 'neighbouring variable untouched');
  assert.throws(() => c.variable('nope'), /no global variable 'nope'.*total/);
});

test('loadAllAndPin pins what bpftool prog loadall pins, and leaves nothing open', kernelOnly(), () => {
  ensureBpffs();
  const base = `/sys/fs/bpf/ebpf-loader-pinall-${process.pid}`;
  // map_in_map: maps by symbol; global_data: data and kconfig maps, whose names hold dots bpffs refuses.
  for (const obj of [`${FIXTURES}map_in_map-el.o`, `${FIXTURES}global_data-el.o`]) {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base);
    try {
      execFileSync('bpftool', ['prog', 'loadall', obj, `${base}/bpftool`, 'pinmaps', `${base}/bpftool-maps`], { stdio: 'pipe' });
      const fds = openFds();
      const r = loadAllAndPin(obj, `${base}/ours`, `${base}/ours-maps`);
      assert.equal(openFds(), fds);
      assert.deepEqual(readdirSync(`${base}/ours`).sort(), readdirSync(`${base}/bpftool`).sort(), obj);
      assert.deepEqual(readdirSync(`${base}/ours-maps`).sort(), readdirSync(`${base}/bpftool-maps`).sort(), obj);
      for (const p of Object.values(r.programs)) {
        const info = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', p]).toString()) as { id: number };
        assert.ok(info.id > 0);
      }
      // Pinning over existing pins fails and removes what it had pinned.
      assert.throws(() => loadAllAndPin(obj, `${base}/ours`), /EEXIST|already exists/);
      assert.deepEqual(readdirSync(`${base}/ours`).sort(), readdirSync(`${base}/bpftool`).sort());
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
  assert.ok(!existsSync(base));
});
