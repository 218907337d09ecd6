/**
 * Configuration written by user space and obeyed by an XDP program: the
 * program drops IPv4 packets whose protocol user space put in the `config`
 * array map, and counts passed/dropped packets per CPU.
 *
 *   node --import tsx examples/xdp-config/main.ts IFACE [PROTOCOL]
 */
import { fileURLToPath } from 'node:url';
import { loadCollection, attachXdp, type Collection, type Link } from 'ebpf';

export interface Firewall extends Disposable {
  readonly collection: Collection;
  readonly link: Link;
  /** Drop IPv4 packets of this protocol number (1 ICMP, 6 TCP, 17 UDP); `undefined` stops dropping. */
  block(protocol: number | undefined): void;
  /** Packets passed and dropped so far, summed over CPUs. */
  counters(): { passed: bigint; dropped: bigint };
}

/** Load the firewall and attach it to `iface` (generic XDP mode works on every interface). */
export function startFirewall(iface: string | number, mode: 'skb' | 'native' = 'skb'): Firewall {
  const collection = loadCollection(fileURLToPath(new URL('./firewall.bpf.o', import.meta.url)));
  let link: Link;
  try {
    link = attachXdp(collection.program('firewall'), iface, { mode });
  } catch (e) {
    collection.close();
    throw e;
  }
  const config = collection.map('config');
  const counters = collection.map('counters');
  const sum = (slot: number) => (counters.get(slot) as bigint[]).reduce((a, b) => a + b, 0n);
  return {
    collection, link,
    block(protocol) {
      // struct config { __u32 blocked_protocol; __u32 enabled; } — typed from the object's BTF
      config.set(0, { blocked_protocol: protocol ?? 0, enabled: protocol === undefined ? 0 : 1 });
    },
    counters: () => ({ passed: sum(0), dropped: sum(1) }),
    [Symbol.dispose]() {
      link.close();
      collection.close();
    },
  };
}

async function main(): Promise<void> {
  const [iface, proto] = process.argv.slice(2);
  if (!iface) {
    console.error('usage: main.ts IFACE [PROTOCOL]');
    process.exit(1);
  }
  using fw = startFirewall(iface);
  fw.block(proto === undefined ? 1 : Number(proto));
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  while (!abort.signal.aborted) {
    await new Promise((r) => setTimeout(r, 1000));
    const c = fw.counters();
    console.log(`passed ${c.passed}  dropped ${c.dropped}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
