/**
 * Events sent through a ring buffer: one record per execve() with pid, uid
 * and command name, decoded with the object's BTF (`struct exec_event`).
 *
 *   node --import tsx examples/ringbuf-events/main.ts
 */
import { fileURLToPath } from 'node:url';
import { loadCollection, attachAll, RingBuffer, compileBtfCodec, type Codec } from 'ebpf';

export interface ExecEvent {
  pid: number;
  uid: number;
  comm: string;
}

/** Stream execve events until `signal` aborts or `limit` events arrived. */
export async function* execEvents(options: { signal?: AbortSignal; limit?: number } = {}): AsyncGenerator<ExecEvent> {
  using collection = loadCollection(fileURLToPath(new URL('./events.bpf.o', import.meta.url)));
  const btf = collection.spec.btf!;
  const eventType = btf.typeByName('exec_event', 'struct')!;
  const codec = compileBtfCodec(btf, eventType.id) as Codec<ExecEvent>;
  using rb = new RingBuffer(collection.map('events'), { codec });
  using _links = attachAll(collection);
  const onAbort = () => rb.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let n = 0;
  try {
    for await (const event of rb) {
      yield event;
      if (options.limit !== undefined && ++n >= options.limit) return;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function main(): Promise<void> {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  console.log(`${'PID'.padStart(7)} ${'UID'.padStart(6)}  COMM`);
  for await (const e of execEvents({ signal: abort.signal })) {
    console.log(`${String(e.pid).padStart(7)} ${String(e.uid).padStart(6)}  ${e.comm}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
