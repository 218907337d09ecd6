/**
 * Reading a BPF ring buffer map (BPF_MAP_TYPE_RINGBUF, Linux 5.8+) from user
 * space, as kernel/bpf/ringbuf.c lays it out:
 *
 *   mmap offset 0, 1 page, read-write:   consumer_pos (u64)
 *   mmap offset 1 page, read-only:       producer_pos (u64) page, then the data
 *                                         area mapped TWICE back to back, so a
 *                                         record that wraps is contiguous.
 *
 *   record: | len u32 (bit 31 BUSY, bit 30 DISCARD) | pg_off u32 | data... | pad to 8 |
 *
 * The consumer reads records from consumer_pos up to producer_pos, stops at a
 * record still marked BUSY (being written), skips DISCARDed ones, and publishes
 * the new consumer_pos so the kernel can reuse the space.
 */
import type { Codec } from '../codec/codec.js';
import { bpfError } from '../sys/bpf.js';
import { MapType } from '../sys/constants.js';
import { EbpfError, InvalidArgumentError, SizeMismatchError } from '../sys/errors.js';
import { mapInfoByFd } from '../sys/map-cmds.js';
import { native } from '../sys/native.js';
import { Readiness } from './readiness.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const BUSY_BIT = 0x80000000;
const DISCARD_BIT = 0x40000000;
const HDR = 8;

export interface RingBufferOptions<T> {
  /** Decode each record with this codec (reads `codec.size` bytes at the record start) instead of copying bytes. */
  readonly codec?: Codec<T>;
}

/**
 * A consumer of one ring buffer map. Use `consume()` to drain what is there
 * now, `poll(timeoutMs)` to wait (on the event loop) and drain, or
 * `for await (const rec of rb)` to stream records until `close()`.
 */
export class RingBuffer<T = Uint8Array> implements AsyncIterable<T>, Disposable {
  readonly #fd: number;
  /** Holds the map object (when given one) so a finalizer cannot close the borrowed fd while the reader lives. */
  readonly #map: object | undefined;
  readonly #size: number;
  readonly #mask: bigint;
  readonly #codec: Codec<T> | undefined;
  #consumerMap: ArrayBuffer | undefined;
  #producerMap: ArrayBuffer | undefined;
  #consumerPos: BigUint64Array | undefined;
  #producerPos: BigUint64Array | undefined;
  #data: Uint8Array | undefined;
  #dataView: DataView | undefined;
  readonly #readiness: Readiness;
  #closed = false;

  /**
   * Map the ring buffer of `map` (an object with `fd`, or the fd). The fd is
   * borrowed, not owned: keep the map open while reading. A map object is kept
   * reachable by the reader, so the GC cannot close its fd under it.
   * Throws `InvalidArgumentError` for maps of another type, `BpfError` when mmap fails.
   */
  constructor(map: { readonly fd: number } | number, options: RingBufferOptions<T> = {}) {
    const fd = typeof map === 'number' ? map : map.fd;
    this.#map = typeof map === 'number' ? undefined : map;
    const info = mapInfoByFd(fd);
    if (info.type !== MapType.ringbuf) throw new InvalidArgumentError(`map ${info.name || fd} is not a ringbuf map (type ${info.type})`);
    this.#fd = fd;
    this.#size = info.maxEntries;
    this.#mask = BigInt(info.maxEntries - 1);
    this.#codec = options.codec;
    const n = native();
    const page = n.pageSize();
    const consumer = n.mmap(fd, page, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
    if (typeof consumer === 'number') throw bpfError(-consumer, 'mmap ringbuf consumer page', info.name);
    const producer = n.mmap(fd, page + 2 * info.maxEntries, PROT_READ, MAP_SHARED, page);
    if (typeof producer === 'number') {
      n.munmap(consumer);
      throw bpfError(-producer, 'mmap ringbuf data pages', info.name);
    }
    this.#consumerMap = consumer;
    this.#producerMap = producer;
    this.#consumerPos = new BigUint64Array(consumer, 0, 1);
    this.#producerPos = new BigUint64Array(producer, 0, 1);
    this.#data = new Uint8Array(producer, page, 2 * info.maxEntries);
    this.#dataView = new DataView(producer, page, 2 * info.maxEntries);
    this.#readiness = new Readiness(fd, `ringbuf ${info.name}`);
  }

  /** Data area size in bytes (the map's max_entries). */
  get size(): number {
    return this.#size;
  }

  /** Bytes written by producers and not yet consumed. */
  get available(): number {
    if (!this.#producerPos || !this.#consumerPos) return 0;
    return Number(Atomics.load(this.#producerPos, 0) - Atomics.load(this.#consumerPos, 0));
  }

  /**
   * Read every complete record available now, without waiting. Calls `onRecord`
   * for each (if given) and returns them. Throws `EbpfError` EBADF after close().
   */
  consume(onRecord?: (record: T) => void): T[] {
    if (this.#closed || !this.#consumerPos || !this.#producerPos || !this.#data || !this.#dataView) {
      throw new EbpfError('EBADF', 'ring buffer: used after close()');
    }
    const out: T[] = [];
    const cpos = this.#consumerPos;
    const ppos = this.#producerPos;
    const codec = this.#codec;
    const data = this.#data;
    const view = this.#dataView;
    let mismatch: SizeMismatchError | undefined;
    // Acquire: read producer_pos before the records it covers (Atomics are sequentially consistent).
    const cons = Atomics.load(cpos, 0);
    const first = Number(cons & this.#mask);
    const offsets: number[] = [];
    const next = readRingRecords(view, cons, Atomics.load(ppos, 0), this.#mask, (off, len) => {
      // A record too short for the codec is skipped (and reported below) rather than blocking the ring.
      if (codec && len < codec.size) mismatch ??= new SizeMismatchError('ring buffer record', codec.size, len);
      else if (codec) out.push(codec.decode(view, off));
      else offsets.push(off, len);
    });
    if (offsets.length) {
      // One copy of the whole (contiguous, thanks to the double mapping) batch,
      // then a view per record: far cheaper than one allocation per record.
      const copy = data.slice(first, first + Number(next - cons)).buffer;
      for (let i = 0; i < offsets.length; i += 2) out.push(new Uint8Array(copy, offsets[i]! - first, offsets[i + 1]!) as unknown as T);
    }
    // Release: hand the space back to producers after the records were copied out.
    Atomics.store(cpos, 0, next);
    if (mismatch) throw mismatch;
    if (onRecord) for (const r of out) onRecord(r);
    return out;
  }

  /**
   * Zero-copy variant of `consume()`: calls `fn(view, offset, length)` for each
   * record while it is still in the ring (the view is only valid during the
   * call), then releases the space. Returns the number of records.
   * Throws `EbpfError` EBADF after close(), and whatever `fn` throws (then
   * nothing of this batch is released: the records are delivered again).
   */
  consumeRaw(fn: (view: DataView, offset: number, length: number) => void): number {
    if (this.#closed || !this.#consumerPos || !this.#producerPos || !this.#dataView) {
      throw new EbpfError('EBADF', 'ring buffer: used after close()');
    }
    const cpos = this.#consumerPos;
    const view = this.#dataView;
    const cons = Atomics.load(cpos, 0);
    let count = 0;
    const next = readRingRecords(view, cons, Atomics.load(this.#producerPos, 0), this.#mask, (off, len) => {
      fn(view, off, len);
      count++;
    });
    Atomics.store(cpos, 0, next);
    return count;
  }

  /**
   * Wait up to `timeoutMs` (forever when omitted) for data, on the event loop,
   * then consume. Resolves `[]` on timeout or after close().
   */
  async poll(timeoutMs?: number): Promise<T[]> {
    if (this.#closed) return [];
    const now = this.consume();
    if (now.length) return now;
    const ready = await this.#readiness.wait(timeoutMs);
    if (!ready || this.#closed) return [];
    return this.consume();
  }

  /** Stream records until `close()` (which ends the iteration). */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (!this.#closed) {
      const batch = this.consume();
      for (const r of batch) yield r;
      if (batch.length === 0 && !(await this.#readiness.wait())) return;
    }
  }

  /** Unmap the ring and stop polling (idempotent). Pending iterators finish. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readiness.close();
    const n = native();
    this.#consumerPos = this.#producerPos = undefined;
    this.#data = undefined;
    this.#dataView = undefined;
    if (this.#consumerMap) n.munmap(this.#consumerMap);
    if (this.#producerMap) n.munmap(this.#producerMap);
    this.#consumerMap = this.#producerMap = undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Walk the records between `cons` and `prod` of a ring's data area (mapped
 * twice, so `view` spans 2 * (mask + 1) bytes): calls `onRecord(offset, length)`
 * for each committed, non-discarded record. Stops at a record whose BUSY bit
 * is set (still being written). Returns the new consumer position, which the
 * caller publishes once for the whole batch (one release store instead of one
 * per record; the batch never exceeds the ring). Positions are u64 in the
 * kernel, but a batch spans at most the ring size, so the walk uses numbers.
 * Pure over the view: exported for tests with synthetic rings.
 */
export function readRingRecords(
  view: DataView, cons: bigint, prod: bigint, mask: bigint, onRecord: (offset: number, length: number) => void,
): bigint {
  const size = Number(mask) + 1;
  const pending = prod > cons ? Number(prod - cons) : 0;
  const start = Number(cons & mask);
  let done = 0;
  while (done < pending) {
    // Offsets grow past the ring's end into the second mapping, so every record is contiguous.
    const off = start + done;
    // The header is in host byte order; the kernel clears BUSY with a release store (kernel/bpf/ringbuf.c).
    const len = view.getUint32(off, littleEndian);
    if (len & BUSY_BIT) break;
    const dataLen = len & ~(BUSY_BIT | DISCARD_BIT);
    // A corrupt length can never exceed the ring: stop instead of reading past the mapping.
    if (dataLen + HDR > size) break;
    const total = (dataLen + HDR + 7) & ~7;
    // A committed record never extends past producer_pos; if it seems to, the header is corrupt.
    if (done + total > pending) break;
    if ((len & DISCARD_BIT) === 0) onRecord(off + HDR, dataLen);
    done += total;
  }
  return cons + BigInt(done);
}
