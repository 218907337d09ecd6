/**
 * Packets redirected with bpf_redirect_map: an XDP program on one interface
 * sends every frame out of the interface stored in a devmap slot.
 *
 *   node --import tsx examples/redirect/main.ts IN_IFACE OUT_IFACE
 */
import { fileURLToPath } from 'node:url';
import { loadCollection, attachXdp, ifindexOf, type Collection, type Link } from 'ebpf';

export interface Redirector extends Disposable {
  readonly collection: Collection;
  /** Frames seen (and redirected) by the program. */
  redirected(): bigint;
}

/**
 * Redirect frames arriving on `from` out of `to`. XDP_REDIRECT to a veth needs
 * an XDP program on the receiving peer too (the kernel only accepts
 * redirected frames on veths whose peer runs XDP), so `peerOfTo` gets a pass-through one.
 */
export function startRedirect(from: string, to: string, peerOfTo?: { iface: string; attach: (c: Collection) => Link }): Redirector {
  const collection = loadCollection(fileURLToPath(new URL('./redirect.bpf.o', import.meta.url)));
  const links: Link[] = [];
  try {
    collection.map('tx_port').set(0, ifindexOf(to));
    links.push(attachXdp(collection.program('redirect_all'), from, { mode: 'skb' }));
    if (peerOfTo) links.push(peerOfTo.attach(collection));
  } catch (e) {
    for (const l of links) l.close();
    collection.close();
    throw e;
  }
  return {
    collection,
    redirected: () => collection.map('redirected').get(0) as bigint,
    [Symbol.dispose]() {
      for (const l of links) l.close();
      collection.close();
    },
  };
}

async function main(): Promise<void> {
  const [from, to] = process.argv.slice(2);
  if (!from || !to) {
    console.error('usage: main.ts IN_IFACE OUT_IFACE');
    process.exit(1);
  }
  using r = startRedirect(from, to);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  while (!abort.signal.aborted) {
    await new Promise((res) => setTimeout(res, 1000));
    console.log(`redirected ${r.redirected()} frames from ${from} to ${to}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
