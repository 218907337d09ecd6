/**
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c) in process: a multi-producer,
 * single-consumer ring with the kernel's record format and space accounting,
 * so code written for a kernel ring buffer (records, BUSY/DISCARD bits,
 * "ring full" failures) behaves the same against the emulator.
 *
 * Producer side (what BPF programs do with bpf_ringbuf_reserve/submit/discard/
 * output): `reserve(size)` → a record to fill, `submit(record)` / `discard(record)`,
 * `output(bytes)`. Consumer side: `EmulatedRingBufferReader`, the same API as
 * src/readers' `RingBuffer` (consume, poll, async iteration, close).
 * From the syscall side the map answers like the kernel: lookup, update, delete
 * and get_next_key are ENOTSUPP.
 *
 * Arena layout (SharedArrayBuffer-able, so a worker can produce or consume):
 *
 *   0 consumer_pos (u64)  8 producer_pos (u64)  16 pending_pos (u64)  24 wakeup counter (i32)
 *   64 data: 2 × max_entries bytes — a record that wraps continues past the end,
 *      which is what the kernel's double mapping of the data pages shows a reader.
 *
 *   record: | len u32 (bit 31 BUSY, bit 30 DISCARD) | pg_off u32 | data | pad to 8 |
 */
import type { MapDescriptor } from '../maps/backend.js';
import { Arena } from './arena.js';
import { EAGAIN_RINGBUF, EINVAL, ENOTSUPP } from './errno.js';
import { EmulatedMap, HEADER_WORDS } from './emulated-map.js';

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HDR = 8;
/** RINGBUF_MAX_RECORD_SZ: UINT_MAX / 4. */
const MAX_RECORD = Math.floor(0xffffffff / 4);
/** BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP */
export const RingbufFlags = { NO_WAKEUP: 1, FORCE_WAKEUP: 2 } as const;

const DATA = 64;

/** Atomics.waitAsync (ES2024; in Node since 16), typed here because the build targets an older lib. */
interface AtomicsWithWaitAsync {
  waitAsync(a: Int32Array, index: number, value: number, timeout?: number): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

/** A reserved record: write the payload into `data`, then submit or discard it. */
export interface RingbufRecord {
  readonly data: Uint8Array;
  /** Position of the record header in the ring (opaque). */
  readonly position: number;
}

export class RingbufMap extends EmulatedMap {
  readonly size: number;
  readonly mask: number;
  readonly #pos: BigUint64Array;
  readonly #wake: Int32Array;
  readonly #view: DataView;

  constructor(d: MapDescriptor, shared = false, arena?: Arena) {
    const size = d.maxEntries;
    const a = arena ?? new Arena(DATA + 2 * size + HEADER_WORDS * 4, shared);
    super(d, a, DATA + 2 * size, 4);
    this.size = size;
    this.mask = size - 1;
    this.#pos = new BigUint64Array(this.arena.buffer, 0, 3);
    this.#wake = new Int32Array(this.arena.buffer, 24, 1);
    this.#view = new DataView(this.arena.buffer);
  }

  // ---- syscall side: ringbuf_map_{lookup,update,delete,get_next_key}_elem() are ENOTSUPP ----
  lookupAt(): number {
    return -ENOTSUPP;
  }
  updateAt(): number {
    return -ENOTSUPP;
  }
  deleteAt(): number {
    return -ENOTSUPP;
  }
  nextKeyAt(): number {
    return -ENOTSUPP;
  }

  /** @internal for readers: positions, the data area and the wakeup word. */
  get positions(): BigUint64Array {
    return this.#pos;
  }
  get wakeWord(): Int32Array {
    return this.#wake;
  }
  get dataView(): DataView {
    return this.#view;
  }
  get dataOffset(): number {
    return DATA;
  }

  /**
   * bpf_ringbuf_reserve(): room for `size` bytes, or null when the ring is full
   * (or `flags` is not 0, or the record could never fit), exactly when the
   * kernel's reserve returns NULL.
   */
  reserve(size: number, flags = 0): RingbufRecord | null {
    if (flags !== 0 || !Number.isInteger(size) || size < 0 || size > MAX_RECORD) return null;
    const len = (size + HDR + 7) & ~7;
    if (len > this.size) return null;
    this.lock();
    try {
      const pos = this.#pos;
      const cons = Number(Atomics.load(pos, 0));
      const prod = Number(pos[1]!);
      let pend = Number(pos[2]!);
      // Advance past records already committed, to know the oldest one still being written.
      while (pend < prod) {
        const l = this.#view.getUint32(DATA + (pend & this.mask), true);
        if (l & BUSY) break;
        pend += (((l & ~DISCARD) >>> 0) + HDR + 7) & ~7;
      }
      pos[2] = BigInt(pend);
      const next = prod + len;
      if (next - cons > this.mask || next - pend > this.mask) return null;
      const off = DATA + (prod & this.mask);
      this.#view.setUint32(off, (size | BUSY) >>> 0, true);
      this.#view.setUint32(off + 4, 2 + Math.floor((prod & this.mask) / 4096), true); // pg_off, informational
      Atomics.store(pos, 1, BigInt(next));
      return { data: new Uint8Array(this.arena.buffer, off + HDR, size), position: prod };
    } finally {
      this.unlock();
    }
  }

  /** bpf_ringbuf_submit(): publish a reserved record. */
  submit(record: RingbufRecord, flags = 0): void {
    this.#commit(record, flags, false);
  }

  /** bpf_ringbuf_discard(): drop a reserved record (readers skip it). */
  discard(record: RingbufRecord, flags = 0): void {
    this.#commit(record, flags, true);
  }

  #commit(record: RingbufRecord, flags: number, discard: boolean): void {
    const off = DATA + (record.position & this.mask);
    const len = this.#view.getUint32(off, true);
    if (!(len & BUSY)) throw new RangeError('ring buffer record was already submitted or discarded');
    const i32 = new Int32Array(this.arena.buffer, off, 1);
    Atomics.store(i32, 0, (((len ^ BUSY) | (discard ? DISCARD : 0)) >>> 0) | 0);
    // bpf_ringbuf_commit(): wake the consumer when forced, or when it has caught up to this record.
    const cons = Number(Atomics.load(this.#pos, 0));
    if ((flags & RingbufFlags.FORCE_WAKEUP) || (!(flags & RingbufFlags.NO_WAKEUP) && cons === record.position)) this.wakeup();
  }

  /** bpf_ringbuf_output(): reserve, copy, submit. 0, -EINVAL for unknown flags, -EAGAIN when full. */
  output(bytes: Uint8Array, flags = 0): number {
    if (flags & ~(RingbufFlags.NO_WAKEUP | RingbufFlags.FORCE_WAKEUP)) return -EINVAL;
    const r = this.reserve(bytes.length);
    if (!r) return -EAGAIN_RINGBUF;
    r.data.set(bytes);
    this.submit(r, flags);
    return 0;
  }

  readonly #local = new Set<() => void>();

  /** Wake readers waiting in poll() or async iteration (any thread for shared maps). */
  wakeup(): void {
    Atomics.add(this.#wake, 0, 1);
    if (this.arena.shared) Atomics.notify(this.#wake, 0);
    for (const w of [...this.#local]) w();
  }

  /**
   * @internal Wait until the wakeup counter moves past `seen` (or `timeoutMs`).
   * Shared rings use Atomics.waitAsync so producers on other threads wake the reader.
   */
  async waitForWakeup(seen: number, timeoutMs?: number): Promise<boolean> {
    if (this.arena.shared) {
      const w = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(this.#wake, 0, seen, timeoutMs ?? Infinity);
      return (w.async ? await w.value : w.value) !== 'timed-out';
    }
    if (Atomics.load(this.#wake, 0) !== seen) return true;
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (ok: boolean) => {
        this.#local.delete(wake);
        if (timer) clearTimeout(timer);
        resolve(ok);
      };
      const wake = () => done(true);
      this.#local.add(wake);
      if (timeoutMs !== undefined && timeoutMs !== Infinity) timer = setTimeout(() => done(false), timeoutMs);
    });
  }

  /** bpf_ringbuf_query(): BPF_RB_AVAIL_DATA (0), RING_SIZE (1), CONS_POS (2), PROD_POS (3). */
  query(what: 0 | 1 | 2 | 3): bigint {
    const pos = this.#pos;
    switch (what) {
      case 0: return Atomics.load(pos, 1) - Atomics.load(pos, 0);
      case 1: return BigInt(this.size);
      case 2: return Atomics.load(pos, 0);
      default: return Atomics.load(pos, 1);
    }
  }
}
