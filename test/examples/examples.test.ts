/**
 * Every example runs end to end on the real kernel. The examples import the
 * package by name (`ebpf`, i.e. dist/), so `npm run build` must have run —
 * `npm test` does that first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { kernelOnly } from '../helpers/kernel.ts';
import { createVethNs, pingFrom, nsExec, leftoverNamespaces, addNeighbour, macOf } from '../helpers/netns.ts';
import { countExecvesPerUid } from '../../examples/execve-per-uid/main.ts';
import { startFirewall } from '../../examples/xdp-config/main.ts';
import { startRedirect } from '../../examples/redirect/main.ts';
import { execEvents } from '../../examples/ringbuf-events/main.ts';
import { sumInKernel } from '../../examples/for-each-sum/main.ts';

const runTrue = (n: number) => { for (let i = 0; i < n; i++) execFileSync('/bin/true'); };

test('execve-per-uid counts this user\'s execve() calls while it runs', kernelOnly(), async () => {
  const uid = BigInt(process.getuid!());
  let spawned = false;
  const counts = await countExecvesPerUid({
    durationMs: 1500, intervalMs: 300,
    onSample: () => { if (!spawned) { spawned = true; runTrue(7); } },
  });
  assert.ok((counts.get(uid) ?? 0n) >= 7n, `uid ${uid} ran at least 7 programs, map says ${counts.get(uid)}`);
});

test('ringbuf-events streams one decoded record per execve()', kernelOnly(), async () => {
  const seen: { pid: number; uid: number; comm: string }[] = [];
  const timer = setInterval(() => runTrue(1), 100);
  try {
    for await (const e of execEvents({ limit: 3, signal: AbortSignal.timeout(10_000) })) seen.push(e);
  } finally {
    clearInterval(timer);
  }
  assert.equal(seen.length, 3);
  for (const e of seen) {
    assert.ok(e.pid > 0);
    assert.equal(typeof e.comm, 'string');
  }
  assert.ok(seen.some((e) => e.uid === process.getuid!()));
});

test('for-each-sum: bpf_for_each_map_elem sums the map in the kernel', kernelOnly(), () => {
  const values = Array.from({ length: 100 }, (_, i) => BigInt(i + 1));
  assert.deepEqual(sumInKernel(values), { total: 5050n, visited: 100 });
  assert.deepEqual(sumInKernel([]), { total: 0n, visited: 0 });
});

test('xdp-config: the XDP program obeys the protocol user space blocks', kernelOnly(), (t) => {
  const v = createVethNs(t);
  using fw = startFirewall(v.hostIf, 'skb');
  fw.block(undefined);
  assert.equal(pingFrom(v.ns, v.hostAddr, 3), true, 'ping passes while nothing is blocked');
  const before = fw.counters();
  assert.ok(before.passed >= 3n);
  fw.block(1); // ICMP
  assert.equal(pingFrom(v.ns, v.hostAddr, 3), false, 'ping is dropped once ICMP is blocked');
  const after = fw.counters();
  assert.ok(after.dropped >= 3n, `dropped ${after.dropped}`);
  fw.block(undefined);
  assert.equal(pingFrom(v.ns, v.hostAddr, 2), true);
});

test('redirect: bpf_redirect_map sends frames out of the devmap\'s interface', kernelOnly(), (t) => {
  const a = createVethNs(t);
  const b = createVethNs(t);
  const rx = () => Number(nsExec(b.ns, ['cat', `/sys/class/net/${b.peerIf}/statistics/rx_packets`]).stdout.trim());
  // A static neighbour entry: echo requests leave at once instead of waiting for ARP replies that never come.
  addNeighbour(a.ns, a.peerIf, a.hostAddr, macOf(a.hostIf));
  const rxBefore = rx();
  {
    using r = startRedirect(a.hostIf, b.hostIf);
    pingFrom(a.ns, a.hostAddr, 4); // no replies: every frame is redirected away
    assert.ok(r.redirected() >= 4n, `program saw ${r.redirected()} frames`);
  }
  assert.ok(rx() - rxBefore >= 4, `frames arrived on the other pair: ${rx() - rxBefore}`);
  // with the program detached, ping works again on the first pair
  assert.equal(pingFrom(a.ns, a.hostAddr, 1), true);
});

test('examples leave no namespaces behind', () => {
  assert.deepEqual(leftoverNamespaces().filter((n) => n.includes(`-${process.pid}-`)), []);
});
