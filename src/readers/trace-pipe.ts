/**
 * The kernel trace pipe (tracefs `trace_pipe`), where bpf_printk /
 * bpf_trace_printk output appears, as an async iterable of parsed lines.
 * Reading is consuming: every reader of the system's trace pipe competes for
 * the same lines. The fd is non-blocking and watched by libuv, so the event
 * loop never blocks and `close()` stops the stream at once.
 *
 * Line format (kernel/trace/trace_output.c, with the default options):
 *   "           <task>-<pid>     [<cpu>] <flags> <secs>.<usecs>: <event>: <message>"
 *   e.g. "            node-1234    [001] ...21  8123.456789: bpf_trace_printk: hello"
 * The flags column exists since Linux 4.x with irq-info on; a "(tgid)" column
 * appears with the record-tgid option. Both are optional here.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { bpfError } from '../sys/bpf.js';
import { tracefsRoot } from '../sys/fs.js';
import { native } from '../sys/native.js';
import { Readiness } from './readiness.js';

export interface TraceLine {
  /** Task (comm) name; may contain spaces and dashes. `<...>` when the kernel lost the name. */
  readonly task: string;
  readonly pid: number;
  readonly tgid?: number;
  readonly cpu: number;
  /** irq/preempt flags column (`'d..31'`), when present. */
  readonly flags?: string;
  /** Seconds since boot, microsecond resolution. */
  readonly timestamp: number;
  /** Event name: `'bpf_trace_printk'` for bpf_printk output. */
  readonly event: string;
  readonly message: string;
  /** The unparsed line. */
  readonly raw: string;
}

const LINE_RE = /^\s*(.*)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:([^\s[\]]{4,6})\s+)?(\d+\.\d+):\s+([^:\s]+):\s?(.*)$/s;

/** Parse one trace_pipe line; `undefined` when it does not have the trace format (never throws). */
export function parseTraceLine(raw: string): TraceLine | undefined {
  if (raw.length > 65536) return undefined;
  const m = LINE_RE.exec(raw);
  if (!m) return undefined;
  const tgid = m[3] !== undefined && /^\d+$/.test(m[3]) ? Number(m[3]) : undefined;
  return {
    task: m[1]!.trim(), pid: Number(m[2]), ...(tgid !== undefined ? { tgid } : {}), cpu: Number(m[4]),
    ...(m[5] !== undefined ? { flags: m[5] } : {}), timestamp: Number(m[6]), event: m[7]!, message: m[8]!, raw,
  };
}

const EAGAIN = 11;
/** A line longer than this is delivered in pieces rather than buffered without bound. */
const MAX_LINE = 64 * 1024;

/** A running reader of the trace pipe. */
export class TracePipe implements AsyncIterable<TraceLine>, Disposable {
  #fd: number;
  readonly #readiness: Readiness;
  readonly #buffer = new Uint8Array(16 * 1024);
  #partial = '';
  readonly #decoder = new TextDecoder();
  #queue: TraceLine[] = [];
  #closed = false;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    this.#readiness = new Readiness(this.#fd, path);
  }

  /** Read whatever is available now; returns parsed lines (unparseable lines are skipped). */
  read(): TraceLine[] {
    if (this.#closed) return [];
    const n = native();
    for (;;) {
      const r = n.read(this.#fd, this.#buffer);
      if (r === -EAGAIN || r === 0) break;
      if (r < 0) throw bpfError(-r, 'read', this.path);
      this.#partial += this.#decoder.decode(this.#buffer.subarray(0, r), { stream: true });
      if (r < this.#buffer.byteLength) break;
    }
    const lines = this.#partial.split('\n');
    this.#partial = lines.pop() ?? '';
    if (this.#partial.length > MAX_LINE) {
      lines.push(this.#partial);
      this.#partial = '';
    }
    const out: TraceLine[] = [];
    for (const l of lines) {
      const t = parseTraceLine(l);
      if (t) out.push(t);
    }
    return out;
  }

  /** Wait (on the event loop) up to `timeoutMs` for lines. Resolves `[]` on timeout or after close(). */
  async poll(timeoutMs?: number): Promise<TraceLine[]> {
    const now = this.read();
    if (now.length || this.#closed) return now;
    const ready = await this.#readiness.wait(timeoutMs);
    return ready ? this.read() : [];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TraceLine> {
    while (!this.#closed) {
      if (this.#queue.length === 0) this.#queue = await this.poll();
      while (this.#queue.length) yield this.#queue.shift()!;
    }
  }

  /** Stop reading and close the pipe (idempotent); iterators end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readiness.close();
    closeSync(this.#fd);
    this.#fd = -1;
  }

  get closed(): boolean {
    return this.#closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Open the trace pipe (mounting tracefs when needed). With `signal`, aborting
 * closes it. Throws `NotSupportedError` without tracefs, `BpfError` when mounting is not permitted.
 */
export function tracePipe(options: { signal?: AbortSignal } = {}): TracePipe {
  const pipe = new TracePipe(`${tracefsRoot()}/trace_pipe`);
  if (options.signal) {
    if (options.signal.aborted) pipe.close();
    else options.signal.addEventListener('abort', () => pipe.close(), { once: true });
  }
  return pipe;
}
