import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync, existsSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { kernelOnly } from '../helpers/kernel.js';
import { addNeighbour, createVethNs, inNetns, leftoverNamespaces, macOf, pingFrom } from '../helpers/netns.js';
import { asm } from '../../src/asm/index.js';
import { createMap } from '../../src/maps/index.js';
import { loadProgram } from '../../src/prog/index.js';
import { attachCgroup, attachSocketFilter, attachTc, attachTcx, attachXdp, ifindexOf, progQuery } from '../../src/link/index.js';
import { AttachType } from '../../src/prog/index.js';
import { EbpfError, InvalidArgumentError } from '../../src/sys/errors.js';
import { countInto, openFdCount } from '../prog/programs.js';

const XDP_DROP = 1;
const XDP_PASS = 2;
const TCX_PASS = 0;
const TCX_DROP = 2;

function counters() {
  return createMap({ type: 'array', key: 'u32', value: 'u64', maxEntries: 4 });
}

test('XDP on the host end of a veth counts pings from the netns; XDP_DROP drops them', kernelOnly(), (t) => {
  const v = createVethNs(t);
  using m = counters();
  using pass = loadProgram({ type: 'xdp', name: 'count_pass', instructions: countInto(m.fd, 0, XDP_PASS) });
  using drop = loadProgram({ type: 'xdp', name: 'count_drop', instructions: countInto(m.fd, 1, XDP_DROP) });
  assert.equal(pingFrom(v.ns, v.hostAddr, 1), true, 'the pair works without XDP');
  {
    using link = attachXdp(pass, v.hostIf);
    assert.equal(pingFrom(v.ns, v.hostAddr, 3), true);
    assert.ok(m.get(0)! >= 3n, `saw ${m.get(0)} packets`);
    const info = link.info();
    assert.equal(info.typeName, 'xdp');
    assert.equal(info.ifindex, ifindexOf(v.hostIf));
    const ipLink = JSON.parse(execFileSync('ip', ['-j', '-d', 'link', 'show', v.hostIf], { encoding: 'utf8' }))[0];
    assert.equal(ipLink.xdp?.prog?.id ?? ipLink.xdp?.attached?.[0]?.prog?.id, pass.info().id, 'iproute2 sees our program');
    // BPF_LINK_UPDATE swaps the program in place; with the wrong expected old program it fails.
    link.update(drop, pass);
    assert.equal(link.info().progId, drop.info().id);
    assert.equal(pingFrom(v.ns, v.hostAddr, 1), false);
    assert.throws(() => link.update(pass, pass), (e: unknown) => e instanceof EbpfError && e.code === 'EPERM');
    link.update(pass);
    assert.equal(pingFrom(v.ns, v.hostAddr, 1), true);
  }
  {
    using link = attachXdp(drop, v.hostIf, { mode: 'skb' });
    assert.equal(pingFrom(v.ns, v.hostAddr, 2), false, 'XDP_DROP drops the echo requests');
    assert.ok(m.get(1)! >= 2n);
    void link;
  }
  assert.equal(pingFrom(v.ns, v.hostAddr, 1), true, 'closing the link detached XDP');
});

test('XDP argument errors', kernelOnly(), () => {
  using pass = loadProgram({ type: 'xdp', instructions: [asm.mov64Imm(0, XDP_PASS), asm.exit()] });
  assert.throws(() => attachXdp(pass, 'no-such-if0'), (e: unknown) => e instanceof EbpfError && e.code === 'ENODEV');
  assert.throws(() => attachXdp(pass, 'a/b'), InvalidArgumentError);
  assert.throws(() => attachXdp(pass, 'lo', { mode: 'fast' as 'skb' }), InvalidArgumentError);
});

test('bpf_redirect_map with a devmap moves packets from one veth pair to another', kernelOnly(), (t) => {
  const a = createVethNs(t);
  const b = createVethNs(t);
  using m = counters();
  using devmap = createMap({ type: 'devmap', key: 'u32', value: 'u32', maxEntries: 1 });
  devmap.set(0, ifindexOf(b.hostIf));
  // Count (key 0), then return bpf_redirect_map(&devmap, 0, XDP_PASS-on-miss = 0 flags).
  using redirect = loadProgram({
    type: 'xdp', name: 'redirect', license: 'GPL',
    instructions: [
      ...countInto(m.fd, 0, 0).slice(0, -2),
      asm.ldMapFd(1, devmap.fd), asm.mov64Imm(2, 0), asm.mov64Imm(3, 0), asm.call('redirect_map'), asm.exit(),
    ],
  });
  // On the far side (b's peer, inside b's netns), count what arrives (key 1). An XDP program
  // there also enables the veth's XDP receive path that redirected frames need (drivers/net/veth.c).
  using arrive = loadProgram({ type: 'xdp', name: 'arrive', instructions: countInto(m.fd, 1, XDP_PASS) });
  using far = inNetns(b.ns, () => attachXdp(arrive, b.peerIf));
  // No ARP: a static neighbour makes the echo requests go out at once.
  addNeighbour(a.ns, a.peerIf, a.hostAddr, macOf(a.hostIf));
  using link = attachXdp(redirect, a.hostIf);
  assert.equal(pingFrom(a.ns, a.hostAddr, 3), false, 'the requests were redirected away from a.hostIf');
  assert.equal(m.get(0), 3n, 'three echo requests entered the redirect program');
  assert.ok(m.get(1)! >= 3n, `and came out in the other namespace (${m.get(1)})`);
  void far; void link;
});

test('tcx ingress counts and drops; programs are listed by PROG_QUERY', kernelOnly(), (t) => {
  const v = createVethNs(t);
  using m = counters();
  using pass = loadProgram({ type: 'sched_cls', name: 'tcx_pass', license: 'GPL', instructions: countInto(m.fd, 0, TCX_PASS) });
  using drop = loadProgram({ type: 'sched_cls', name: 'tcx_drop', license: 'GPL', instructions: countInto(m.fd, 1, TCX_DROP) });
  addNeighbour(v.ns, v.peerIf, v.hostAddr, macOf(v.hostIf));
  {
    using link = attachTcx(pass, v.hostIf, 'ingress');
    assert.equal(pingFrom(v.ns, v.hostAddr, 3), true);
    // Three echo requests, plus the ARP reply when the host resolves the peer to answer.
    assert.ok(m.get(0)! >= 3n && m.get(0)! <= 4n, `counted ${m.get(0)}`);
    const q = progQuery(ifindexOf(v.hostIf), AttachType.tcx_ingress);
    assert.deepEqual(q.progIds, [pass.info().id]);
    assert.deepEqual(q.linkIds, [link.info().id]);
    assert.equal(link.info().typeName, 'tcx');
    // A second program before the first: its TCX_DROP verdict ends the chain
    // (only TCX_NEXT continues, include/net/tcx.h), so the first no longer runs.
    using second = attachTcx(drop, v.hostIf, 'ingress', { order: 'before', relativeTo: link });
    const passed = m.get(0)!;
    assert.equal(pingFrom(v.ns, v.hostAddr, 2), false);
    assert.ok(m.get(1)! >= 2n);
    assert.equal(m.get(0), passed);
    assert.deepEqual(progQuery(ifindexOf(v.hostIf), AttachType.tcx_ingress).progIds, [drop.info().id, pass.info().id]);
    void second;
  }
  assert.deepEqual(progQuery(ifindexOf(v.hostIf), AttachType.tcx_ingress).progIds, []);
  assert.equal(pingFrom(v.ns, v.hostAddr, 1), true);
});

test('classic tc: clsact + direct-action cls_bpf filter, seen by tc(8), removed on close', kernelOnly(), (t) => {
  const v = createVethNs(t);
  using m = counters();
  using pass = loadProgram({ type: 'sched_cls', name: 'tc_pass', license: 'GPL', instructions: countInto(m.fd, 0, 0 /* TC_ACT_OK */) });
  using shot = loadProgram({ type: 'sched_cls', name: 'tc_shot', license: 'GPL', instructions: countInto(m.fd, 1, 2 /* TC_ACT_SHOT */) });
  addNeighbour(v.ns, v.peerIf, v.hostAddr, macOf(v.hostIf));
  const tc = (...a: string[]) => execFileSync('tc', a, { encoding: 'utf8' });
  {
    using link = attachTc(pass, v.hostIf, 'ingress');
    assert.match(tc('filter', 'show', 'dev', v.hostIf, 'ingress'), new RegExp(`bpf chain 0 handle 0x1 tc_pass direct-action .*id ${pass.info().id} `));
    assert.match(tc('qdisc', 'show', 'dev', v.hostIf), /qdisc clsact ffff:/);
    assert.equal(pingFrom(v.ns, v.hostAddr, 3), true);
    assert.ok(m.get(0)! >= 3n);
    assert.throws(() => attachTc(pass, v.hostIf, 'ingress'), (e: unknown) => e instanceof EbpfError && e.code === 'EEXIST');
    void link;
  }
  assert.equal(tc('filter', 'show', 'dev', v.hostIf, 'ingress').trim(), '');
  assert.doesNotMatch(tc('qdisc', 'show', 'dev', v.hostIf), /clsact/, 'the qdisc this process created is gone');
  {
    using link = attachTc(shot, v.hostIf, 'ingress', { priority: 7 });
    assert.equal(pingFrom(v.ns, v.hostAddr, 2), false);
    assert.ok(m.get(1)! >= 2n);
    void link;
  }
  assert.equal(pingFrom(v.ns, v.hostAddr, 1), true);
});

const CGROUP2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => existsSync(`${d}/cgroup.procs`) && existsSync(`${d}/cgroup.subtree_control`) || existsSync(`${d}/cgroup.controllers`));

test('cgroup_skb egress on a cgroup v2 directory, as a link and legacy', { ...kernelOnly(), skip: kernelOnly().skip || (CGROUP2 ? false : 'no cgroup v2 mount') }, (t) => {
  const dir = `${CGROUP2}/ebpfts-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  t.after(() => { try { rmdirSync(dir); } catch { /* busy or gone */ } });
  const pingInCgroup = () => spawnSync('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ping -q -c 2 -i 0.2 -W 1 127.0.0.1`], { stdio: 'ignore' }).status === 0;
  using m = counters();
  using allow = loadProgram({ type: 'cgroup_skb', attachType: 'cgroup_inet_egress', license: 'GPL', instructions: countInto(m.fd, 0, 1) });
  using deny = loadProgram({ type: 'cgroup_skb', attachType: 'cgroup_inet_egress', license: 'GPL', instructions: countInto(m.fd, 1, 0) });
  {
    using link = attachCgroup(allow, dir, 'cgroup_inet_egress');
    assert.equal(pingInCgroup(), true);
    assert.ok(m.get(0)! >= 2n);
    assert.equal(link.info().typeName, 'cgroup');
  }
  {
    using legacy = attachCgroup(deny, dir, 'cgroup_inet_egress', { legacy: true });
    assert.equal(pingInCgroup(), false, 'egress denied');
    assert.ok(m.get(1)! >= 1n);
    void legacy;
  }
  const before = m.get(0)!;
  assert.equal(pingInCgroup(), true, 'both detached');
  assert.equal(m.get(0), before);
  assert.throws(() => attachCgroup(allow, `${dir}/missing`, 'cgroup_inet_egress'), (e: unknown) => e instanceof EbpfError && e.code === 'ENOENT');
});

test('socket filter with SO_ATTACH_BPF sees the packets of one TCP socket until detached', kernelOnly(), async () => {
  using m = counters();
  using prog = loadProgram({ type: 'socket_filter', license: 'GPL', instructions: countInto(m.fd, 0, -1) });
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = createConnection(port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
  const link = attachSocketFilter(prog, fd);
  const got = once(client, 'data');
  peer.write('hello');
  assert.equal(String((await got)[0]), 'hello');
  const seen = m.get(0)!;
  assert.ok(seen >= 1n);
  link.close();
  const again = once(client, 'data');
  peer.write('again');
  await again;
  assert.equal(m.get(0), seen, 'no packets counted after detaching');
  client.destroy();
  peer.destroy();
  server.close();
  assert.throws(() => attachSocketFilter(prog, -1), InvalidArgumentError);
});

test('network attachments leave no fds and no namespaces behind', kernelOnly(), async (t) => {
  const before = openFdCount();
  await t.test('inner', (tt) => {
    const v = createVethNs(tt);
    using p = loadProgram({ type: 'xdp', instructions: [asm.mov64Imm(0, XDP_PASS), asm.exit()] });
    using c = loadProgram({ type: 'sched_cls', instructions: [asm.mov64Imm(0, TCX_PASS), asm.exit()] });
    for (let i = 0; i < 5; i++) {
      using a = attachXdp(p, v.hostIf);
      using b = attachTcx(c, v.hostIf, 'egress');
      void a; void b;
    }
  });
  assert.equal(openFdCount(), before);
  assert.deepEqual(leftoverNamespaces(), []);
});
