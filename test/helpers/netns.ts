/**
 * Network namespace fixtures for kernel tests: a fresh netns holding one end of
 * a veth pair, the other end in the test's own namespace. Addresses come from
 * 198.18.0.0/15 (RFC 2544 benchmarking, never routed), one /30 per pair, and
 * are only put on the two veth ends. Everything is removed in `t.after`, even
 * when the test fails; deleting the namespace also deletes the veth pair.
 *
 * Needs iproute2 (`ip`) and CAP_NET_ADMIN + CAP_SYS_ADMIN.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { native } from '../../src/sys/native.js';

const CLONE_NEWNET = 0x40000000;
let counter = 0;

export interface VethNs {
  /** Namespace name (in /run/netns). */
  readonly ns: string;
  /** Veth end in the test's namespace. */
  readonly hostIf: string;
  /** Veth end inside `ns`. */
  readonly peerIf: string;
  readonly hostAddr: string;
  readonly peerAddr: string;
}

interface Cleanup { after(fn: () => void | Promise<void>): void }

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run a command inside `ns`; returns { status, stdout } without throwing on a non-zero exit. */
export function nsExec(ns: string, cmd: string[], timeoutMs = 10_000): { status: number; stdout: string } {
  try {
    const stdout = execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    return { status: 0, stdout };
  } catch (e) {
    const err = e as { status?: number; stdout?: string };
    return { status: err.status ?? 1, stdout: err.stdout ?? '' };
  }
}

/**
 * Create a netns and a veth pair (host end here, peer end in the netns), both
 * up with a /30 each side. Registers cleanup with `t.after`.
 */
export function createVethNs(t: Cleanup): VethNs {
  counter++;
  const n = process.pid * 64 + counter;
  const ns = `ebpfts-${process.pid}-${counter}`;
  const hostIf = `ebh${process.pid % 100000}x${counter}`.slice(0, 15);
  const peerIf = `ebp${process.pid % 100000}x${counter}`.slice(0, 15);
  // 198.18.0.0/15 holds 32768 /30 subnets.
  const subnet = n % 32768;
  const base = (198 << 24) | (18 << 16) | (subnet << 2);
  const addr = (x: number) => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
  const hostAddr = addr(base + 1);
  const peerAddr = addr(base + 2);
  ip('netns', 'add', ns);
  t.after(() => deleteNetns(ns, hostIf));
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', ns);
  // No IPv6 on the test links: its router/neighbour solicitations would add packets tests count.
  quietIpv6(`/proc/sys/net/ipv6/conf/${hostIf}/disable_ipv6`);
  nsExec(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
  ip('link', 'set', hostIf, 'up');
  ip('-n', ns, 'addr', 'add', `${peerAddr}/30`, 'dev', peerIf);
  ip('-n', ns, 'link', 'set', peerIf, 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  return { ns, hostIf, peerIf, hostAddr, peerAddr };
}

function quietIpv6(path: string): void {
  try { writeFileSync(path, '1'); } catch { /* no IPv6 in this kernel */ }
}

/** The MAC address of `dev` (in `ns`, or here when omitted). */
export function macOf(dev: string, ns?: string): string {
  const out = ns ? ip('-n', ns, '-j', 'link', 'show', dev) : ip('-j', 'link', 'show', dev);
  return (JSON.parse(out) as { address: string }[])[0]!.address;
}

/** Add a permanent neighbour entry in `ns` so pings go out without ARP. */
export function addNeighbour(ns: string, dev: string, addr: string, mac: string): void {
  ip('-n', ns, 'neigh', 'replace', addr, 'lladdr', mac, 'dev', dev, 'nud', 'permanent');
}

/** `ping -c count` from inside `ns`; true when every echo got a reply. */
export function pingFrom(ns: string, addr: string, count = 3): boolean {
  return nsExec(ns, ['ping', '-q', '-c', String(count), '-i', '0.2', '-W', '1', addr]).status === 0;
}

function deleteNetns(ns: string, hostIf: string): void {
  try { ip('link', 'del', hostIf); } catch { /* gone with the namespace */ }
  try { ip('netns', 'del', ns); } catch { /* already gone */ }
}

/** Names of this process's test namespaces still present (for leak assertions). */
export function leftoverNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`ebpfts-${process.pid}-`));
}

/**
 * Run `fn` with this thread in network namespace `ns` (setns(2)), then switch
 * back. Synchronous code only: ifindex lookups and attachments made inside
 * refer to `ns`, and the resulting fds keep working afterwards.
 */
export function inNetns<T>(ns: string, fn: () => T): T {
  const path = `/run/netns/${ns}`;
  if (!existsSync(path)) throw new Error(`no network namespace ${ns}`);
  const self = openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(path, 'r');
  try {
    const r = native().setns(target, CLONE_NEWNET);
    if (r < 0) throw new Error(`setns(${ns}) failed: errno ${-r}`);
    try {
      return fn();
    } finally {
      const back = native().setns(self, CLONE_NEWNET);
      if (back < 0) throw new Error(`setns back to the original namespace failed: errno ${-back}`);
    }
  } finally {
    closeSync(target);
    closeSync(self);
  }
}
