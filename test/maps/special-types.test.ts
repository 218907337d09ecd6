import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { kernelOnly } from '../helpers/kernel.ts';
import { loadTrivialProgram } from '../helpers/trivial-prog.ts';
import { createMap } from '../../src/maps/index.ts';
import { BpfError } from '../../src/sys/errors.ts';
import { native } from '../../src/sys/native.ts';
import { possibleCpuCount } from '../../src/sys/cpus.ts';
import { MapType } from '../../src/sys/constants.ts';

const code = (e: unknown) => (e instanceof BpfError ? e.code : String(e));

test('lpm_trie: longest prefix match on IPv4 prefixes', kernelOnly(), () => {
  const key = { struct: [['prefixlen', 'u32'], ['addr', { bytes: 4 }]] } as const;
  using t = createMap({ type: 'lpm_trie', key, value: 'u32', maxEntries: 16, flags: 1 /* BPF_F_NO_PREALLOC, required */ });
  const k = (len: number, a: number[]) => ({ prefixlen: len, addr: new Uint8Array(a) });
  t.set(k(8, [10, 0, 0, 0]), 1);
  t.set(k(16, [10, 1, 0, 0]), 2);
  assert.equal(t.get(k(32, [10, 1, 2, 3])), 2);
  assert.equal(t.get(k(32, [10, 2, 0, 0])), 1);
  assert.equal(t.get(k(32, [11, 0, 0, 0])), undefined);
  assert.equal([...t.keys()].length, 2);
  assert.equal(t.delete(k(16, [10, 1, 0, 0])), true);
  assert.equal(t.get(k(32, [10, 1, 2, 3])), 1);
  // without BPF_F_NO_PREALLOC the kernel refuses the trie
  assert.throws(() => createMap({ type: 'lpm_trie', key, value: 'u32', maxEntries: 16 }), (e: unknown) => code(e) === 'EINVAL');
});

test('array_of_maps and hash_of_maps: inner map fds in, ids out', kernelOnly(), () => {
  using inner = createMap({ type: 'array', key: 'u32', value: 'u32', maxEntries: 1 });
  for (const type of ['array_of_maps', 'hash_of_maps'] as const) {
    using outer = createMap({ type, key: 'u32', value: 'u32', maxEntries: 4, innerMap: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } });
    outer.set(2, inner.fd);
    assert.equal(outer.get(2), inner.info().id);
    // an inner map of another shape is rejected by the kernel
    using wrong = createMap({ type: 'hash', key: 'u32', value: 'u32', maxEntries: 1 });
    assert.throws(() => outer.set(1, wrong.fd), (e: unknown) => code(e) === 'EINVAL');
    assert.equal(outer.delete(2), true);
  }
});

test('prog_array: program fds in, program ids out', kernelOnly(), () => {
  const prog = loadTrivialProgram(1);
  try {
    using pa = createMap({ type: 'prog_array', key: 'u32', value: 'u32', maxEntries: 4 });
    pa.set(0, prog);
    assert.ok((pa.get(0) ?? 0) > 0);
    assert.equal(pa.get(1), undefined);
    assert.equal(pa.delete(0), true);
    assert.throws(() => pa.set(5, prog), (e: unknown) => code(e) === 'E2BIG');
  } finally {
    native().close(prog);
  }
});

function perfEventOpenBpfOutput(cpu: number): number {
  const attr = new Uint8Array(new ArrayBuffer(128));
  const v = new DataView(attr.buffer);
  v.setUint32(0, 1, true); // PERF_TYPE_SOFTWARE
  v.setUint32(4, 128, true); // size
  v.setBigUint64(8, 10n, true); // PERF_COUNT_SW_BPF_OUTPUT
  v.setBigUint64(24, 1n << 10n, true); // PERF_SAMPLE_RAW
  return native().perfEventOpen(attr, -1, cpu, -1, 8 /* PERF_FLAG_FD_CLOEXEC */);
}

test('perf_event_array: perf event fds per CPU', kernelOnly(), () => {
  const n = possibleCpuCount();
  using m = createMap({ type: 'perf_event_array', key: 'u32', value: 'u32', maxEntries: n });
  const fd = perfEventOpenBpfOutput(0);
  assert.ok(fd >= 0, `perf_event_open: errno ${-fd}`);
  try {
    m.set(0, fd);
    assert.equal(m.delete(0), true);
    assert.equal(m.delete(0), false);
    // a non-perf fd is refused
    assert.throws(() => m.set(0, 0), (e: unknown) => e instanceof BpfError);
  } finally {
    native().close(fd);
  }
});

test('devmap and devmap_hash: ifindex values', kernelOnly(), () => {
  using dm = createMap({ type: 'devmap', key: 'u32', value: 'u32', maxEntries: 4 });
  dm.set(0, 1); // loopback
  assert.equal(dm.get(0), 1);
  assert.equal(dm.delete(0), true);
  // kernel/bpf/devmap.c: an ifindex with no device is EINVAL
  assert.throws(() => dm.set(1, 999999), (e: unknown) => code(e) === 'EINVAL');
  using dh = createMap({ type: 'devmap_hash', key: 'u32', value: { struct: [['ifindex', 'u32'], ['progFd', 'i32']] }, maxEntries: 4 });
  dh.set(77, { ifindex: 1, progFd: 0 });
  assert.deepEqual(dh.get(77), { ifindex: 1, progFd: 0 });
  assert.deepEqual([...dh.keys()], [77]);
});

test('cpumap: queue size values', kernelOnly(), () => {
  using cm = createMap({ type: 'cpumap', key: 'u32', value: 'u32', maxEntries: possibleCpuCount() });
  cm.set(0, 192);
  assert.equal(cm.get(0), 192);
  assert.equal(cm.delete(0), true);
  assert.throws(() => cm.set(possibleCpuCount(), 192), (e: unknown) => e instanceof BpfError);
});

test('xskmap: creation, and non-XSK sockets are refused', kernelOnly(), () => {
  using xm = createMap({ type: 'xskmap', key: 'u32', value: 'u32', maxEntries: 4 });
  assert.equal(xm.info().type, MapType.xskmap);
  const sock = native().socket(2, 2, 0); // AF_INET, SOCK_DGRAM
  try {
    assert.throws(() => xm.set(0, sock), (e: unknown) => code(e) === 'EOPNOTSUPP' || code(e) === 'ENOTSUPP' || code(e) === 'EINVAL');
  } finally {
    native().close(sock);
  }
  // kernel/net/xdp/xskmap.c: deleting an empty slot succeeds (returns 0)
  assert.equal(xm.delete(0), true);
});

test('sockmap and sockhash hold listening TCP sockets', kernelOnly(), async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    using sm = createMap({ type: 'sockmap', key: 'u32', value: 'u32', maxEntries: 2 });
    sm.set(0, fd);
    assert.equal(sm.delete(0), true);
    using sh = createMap({ type: 'sockhash', key: 'u32', value: 'u32', maxEntries: 2 });
    sh.set(42, fd);
    assert.deepEqual([...sh.keys()], [42]);
    assert.equal(sh.delete(42), true);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('cgroup_array holds cgroup directory fds', kernelOnly(), () => {
  using ca = createMap({ type: 'cgroup_array', key: 'u32', value: 'u32', maxEntries: 2 });
  // cgroup2 may be mounted at /sys/fs/cgroup or, on hybrid hierarchies, below it.
  const dir = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2')?.[1];
  assert.ok(dir && existsSync(dir), 'cgroup2 must be mounted');
  const fd = openSync(dir, 'r');
  try {
    ca.set(0, fd);
    assert.equal(ca.delete(0), true);
  } finally {
    closeSync(fd);
  }
});

test('ringbuf: created with a power-of-two page-multiple size; element ops unsupported', kernelOnly(), () => {
  using rb = createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 * 4 });
  assert.equal(rb.info().type, MapType.ringbuf);
  assert.throws(() => createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 1000 }), (e: unknown) => code(e) === 'EINVAL');
});

test('arena: created where the kernel supports it (Linux 6.9+)', kernelOnly(), () => {
  using a = createMap({ type: 'arena', keySize: 0, valueSize: 0, maxEntries: 10, flags: 1024 /* BPF_F_MMAPABLE is required */ });
  assert.equal(a.info().type, MapType.arena);
  assert.throws(() => createMap({ type: 'arena', keySize: 0, valueSize: 0, maxEntries: 10 }), (e: unknown) => code(e) === 'EINVAL');
});

test('unknown numeric map types pass through to the kernel', kernelOnly(), () => {
  assert.throws(() => createMap({ type: 999, keySize: 4, valueSize: 4, maxEntries: 1 }), (e: unknown) => code(e) === 'EINVAL');
  using m = createMap({ type: 1, keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.equal(m.type, 'hash');
});
