/**
 * The consumer of an emulated ring buffer, with the API of src/readers'
 * `RingBuffer` (kernel ring buffers): `consume()`, `poll(timeoutMs)`, async
 * iteration until `close()`, `size`, `available`. Records are copied out
 * (or decoded with a codec-like `{ size, decode(view, offset) }`), DISCARDed ones
 * skipped, and the consumer position published for producers to reuse the space.
 * Waiting uses `Atomics.waitAsync` on the ring's wakeup word, so a producer on
 * another thread (SharedArrayBuffer maps) wakes this reader too.
 */
import { RingbufMap } from './ringbuf.js';

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HDR = 8;

/** The decoding half of a codec (src/codec's `Codec`). */
export interface RecordDecoder<T> {
  readonly size: number;
  decode(view: DataView, offset: number): T;
}

export class EmulatedRingBufferReader<T = Uint8Array> implements AsyncIterable<T>, Disposable {
  readonly #rb: RingbufMap;
  readonly #codec: RecordDecoder<T> | undefined;
  #closed = false;

  constructor(map: RingbufMap, options: { readonly codec?: RecordDecoder<T> } = {}) {
    this.#rb = map;
    this.#codec = options.codec;
  }

  get size(): number {
    return this.#rb.size;
  }

  get available(): number {
    const p = this.#rb.positions;
    return Number(Atomics.load(p, 1) - Atomics.load(p, 0));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Every committed record available now; stops at a record still being written. */
  consume(onRecord?: (record: T) => void): T[] {
    if (this.#closed) throw Object.assign(new Error('ring buffer: used after close()'), { code: 'EBADF' });
    const rb = this.#rb;
    const pos = rb.positions;
    const view = rb.dataView;
    const base = rb.dataOffset;
    const prod = Atomics.load(pos, 1);
    let cons = Atomics.load(pos, 0);
    const out: T[] = [];
    while (cons < prod) {
      const off = base + Number(cons & BigInt(rb.mask));
      const len = Atomics.load(new Int32Array(view.buffer, off, 1), 0) >>> 0;
      if (len & BUSY) break;
      const dataLen = (len & ~(BUSY | DISCARD)) >>> 0;
      if (!(len & DISCARD)) {
        const codec = this.#codec;
        out.push(codec ? codec.decode(view, off + HDR) : (new Uint8Array(view.buffer, off + HDR, dataLen).slice() as unknown as T));
      }
      cons += BigInt((dataLen + HDR + 7) & ~7);
    }
    Atomics.store(pos, 0, cons);
    if (onRecord) for (const r of out) onRecord(r);
    return out;
  }

  /** Wait up to `timeoutMs` (forever when omitted) for a wakeup, then consume. `[]` on timeout or after close(). */
  async poll(timeoutMs?: number): Promise<T[]> {
    if (this.#closed) return [];
    const seen = Atomics.load(this.#rb.wakeWord, 0);
    const now = this.consume();
    if (now.length) return now;
    if (!(await this.#wait(seen, timeoutMs)) || this.#closed) return [];
    return this.consume();
  }

  #wait(seen: number, timeoutMs?: number): Promise<boolean> {
    return this.#rb.waitForWakeup(seen, timeoutMs);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (!this.#closed) {
      const seen = Atomics.load(this.#rb.wakeWord, 0);
      const batch = this.consume();
      for (const r of batch) yield r;
      if (batch.length === 0) await this.#wait(seen);
    }
  }

  /** Stop reading; pending waits and iterations end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rb.wakeup();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
