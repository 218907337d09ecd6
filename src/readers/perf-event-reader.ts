/**
 * Reading BPF output from a BPF_MAP_TYPE_PERF_EVENT_ARRAY map: one perf
 * buffer per CPU (perf_event_open with PERF_COUNT_SW_BPF_OUTPUT, Linux 4.4+),
 * each stored in the map at its CPU's index so bpf_perf_event_output(ctx, map,
 * BPF_F_CURRENT_CPU, ...) lands in the buffer of the CPU the program runs on.
 *
 * Each buffer is a perf mmap ring (include/uapi/linux/perf_event.h):
 *
 *   page 0: struct perf_event_mmap_page  (data_head @1024, data_tail @1032,
 *           data_offset @1040, data_size @1048)
 *   pages 1..n: records, NOT double-mapped: a record may wrap around the end.
 *
 *   record: | type u32 | misc u16 | size u16 | body |
 *     PERF_RECORD_SAMPLE (9) with PERF_SAMPLE_RAW: | raw size u32 | raw bytes (padded to 8 with the u32) |
 *     PERF_RECORD_LOST   (2):                      | id u64 | lost u64 |
 */
import type { Codec } from '../codec/codec.js';
import { Attr, bpf, bpfError, HOST_LE } from '../sys/bpf.js';
import { BpfCmd, MapType } from '../sys/constants.js';
import { possibleCpuCount } from '../sys/cpus.js';
import { EbpfError, InvalidArgumentError } from '../sys/errors.js';
import { mapInfoByFd } from '../sys/map-cmds.js';
import { native } from '../sys/native.js';
import { perfEventEnable, perfEventOpen, PerfCountSw, PerfRecord, PerfSample, PerfType } from '../sys/perf-event.js';
import { Readiness, waitAny } from './readiness.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;

/** A reader dropped without close() still closes its perf event fds when garbage-collected (its mappings unmap themselves). */
const closer = new FinalizationRegistry<number[]>((fds) => { for (const fd of fds) native().close(fd); });

export interface PerfEventReaderOptions<T> {
  /** Data pages per CPU, a power of two. Default 8 (32 KiB with 4 KiB pages). */
  readonly pagesPerCpu?: number;
  /** Wake up after this many bytes instead of after every sample (fewer wakeups, more latency). */
  readonly watermarkBytes?: number;
  /** Decode sample bytes with a codec instead of copying them. */
  readonly codec?: Codec<T>;
}

/** One record from a perf buffer. */
export type PerfRecordOf<T> =
  /** `data` holds the raw sample; it may be longer than what the program wrote (padded to 8 bytes with its u32 size). */
  | { readonly type: 'sample'; readonly cpu: number; readonly data: T }
  /** The kernel dropped `lost` samples because this CPU's buffer was full. */
  | { readonly type: 'lost'; readonly cpu: number; readonly lost: bigint };

interface CpuRing {
  readonly cpu: number;
  readonly fd: number;
  mapping: ArrayBuffer | undefined;
  readonly head: BigUint64Array;
  readonly tail: BigUint64Array;
  readonly data: Uint8Array;
  readonly view: DataView;
  readonly size: number;
  readonly readiness: Readiness;
}

/**
 * Perf buffers for every CPU of a perf_event_array map. `consume()` drains
 * without waiting, `poll(timeoutMs)` waits on the event loop, and the async
 * iterator streams records until `close()`. `lostSamples` counts drops.
 */
export class PerfEventReader<T = Uint8Array> implements AsyncIterable<PerfRecordOf<T>>, Disposable {
  readonly #mapFd: number;
  readonly #codec: Codec<T> | undefined;
  #rings: CpuRing[] = [];
  #closed = false;
  /** Holds the map object (when given one) so a finalizer cannot close the borrowed fd while the reader lives. */
  readonly #map: object | undefined;
  /** The perf event fds, shared with the finalizer. */
  readonly #fds: number[] = [];
  /** Total samples the kernel reported lost so far. */
  lostSamples = 0n;

  /**
   * Open one perf buffer per possible CPU (up to the map's max_entries; offline
   * CPUs are skipped) and store their fds in the map. The map fd is borrowed;
   * a map object is kept reachable by the reader, so the GC cannot close its fd under it.
   * Throws `InvalidArgumentError` for a map of another type or a bad page count,
   * `BpfError` when perf_event_open, mmap or the map update fails.
   */
  constructor(map: { readonly fd: number } | number, options: PerfEventReaderOptions<T> = {}) {
    const mapFd = typeof map === 'number' ? map : map.fd;
    this.#map = typeof map === 'number' ? undefined : map;
    const info = mapInfoByFd(mapFd);
    if (info.type !== MapType.perf_event_array) throw new InvalidArgumentError(`map ${info.name || mapFd} is not a perf_event_array map (type ${info.type})`);
    const pages = options.pagesPerCpu ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0 || pages > 1 << 16) {
      throw new InvalidArgumentError(`pagesPerCpu ${pages}: expected a power of two from 1 to 65536`);
    }
    this.#mapFd = mapFd;
    this.#codec = options.codec;
    const n = native();
    const page = n.pageSize();
    const cpus = Math.min(possibleCpuCount(), info.maxEntries);
    closer.register(this, this.#fds, this);
    try {
      for (let cpu = 0; cpu < cpus; cpu++) {
        let fd: number;
        try {
          fd = perfEventOpen({
            type: PerfType.SOFTWARE, config: PerfCountSw.BPF_OUTPUT, sampleType: PerfSample.RAW, samplePeriod: 1,
            watermark: options.watermarkBytes !== undefined, wakeupEvents: options.watermarkBytes ?? 1,
          }, -1, cpu, `BPF output buffer on CPU ${cpu}`);
        } catch (e) {
          if (e instanceof EbpfError && e.code === 'ENODEV') continue; // offline CPU
          throw e;
        }
        const mapping = n.mmap(fd, page * (pages + 1), PROT_READ | PROT_WRITE, MAP_SHARED, 0);
        if (typeof mapping === 'number') {
          n.close(fd);
          throw bpfError(-mapping, 'mmap perf buffer', `CPU ${cpu}`);
        }
        const meta = new DataView(mapping);
        const dataOffset = Number(meta.getBigUint64(1040, HOST_LE)) || page;
        const dataSize = Number(meta.getBigUint64(1048, HOST_LE)) || page * pages;
        const ring: CpuRing = {
          cpu, fd, mapping, head: new BigUint64Array(mapping, 1024, 1), tail: new BigUint64Array(mapping, 1032, 1),
          data: new Uint8Array(mapping, dataOffset, dataSize), view: new DataView(mapping, dataOffset, dataSize),
          size: dataSize, readiness: new Readiness(fd, `perf buffer CPU ${cpu}`),
        };
        this.#rings.push(ring);
        this.#fds.push(fd);
        this.#setMapEntry(cpu, fd);
        perfEventEnable(fd);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  #setMapEntry(cpu: number, fd: number): void {
    const key = new Uint32Array([cpu]);
    const value = new Uint32Array([fd]);
    const attr = new Attr(32).u32(0, this.#mapFd);
    const r = bpf(BpfCmd.MAP_UPDATE_ELEM, attr.bytes, 8, key, 16, value);
    if (r < 0) throw bpfError(-r, BpfCmd.MAP_UPDATE_ELEM, `perf_event_array slot ${cpu}`);
  }

  #deleteMapEntry(cpu: number): void {
    const key = new Uint32Array([cpu]);
    bpf(BpfCmd.MAP_DELETE_ELEM, new Attr(32).u32(0, this.#mapFd).bytes, 8, key);
  }

  /** CPUs with a buffer. */
  get cpus(): number[] {
    return this.#rings.map((r) => r.cpu);
  }

  /** Read every record available now on every CPU, without waiting. Throws `EbpfError` EBADF after close(). */
  consume(): PerfRecordOf<T>[] {
    if (this.#closed) throw new EbpfError('EBADF', 'perf event reader: used after close()');
    const out: PerfRecordOf<T>[] = [];
    for (const ring of this.#rings) this.#drain(ring, out);
    return out;
  }

  #drain(ring: CpuRing, out: PerfRecordOf<T>[]): void {
    // data_head is written by the kernel; read it with acquire semantics before the data.
    const head = Atomics.load(ring.head, 0);
    let tail = Atomics.load(ring.tail, 0);
    const size = BigInt(ring.size);
    while (tail < head) {
      const off = Number(tail % size);
      const hdr = this.#read(ring, off, 8);
      const hv = new DataView(hdr.buffer, hdr.byteOffset, 8);
      const type = hv.getUint32(0, HOST_LE);
      const recSize = hv.getUint16(6, HOST_LE);
      if (recSize < 8) break; // corrupt: stop rather than loop forever
      const body = this.#read(ring, (off + 8) % ring.size, recSize - 8);
      const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      if (type === PerfRecord.SAMPLE && body.byteLength >= 4) {
        const rawSize = Math.min(bv.getUint32(0, HOST_LE), body.byteLength - 4);
        const data = this.#codec ? this.#codec.decode(bv, 4) : (body.slice(4, 4 + rawSize) as unknown as T);
        out.push({ type: 'sample', cpu: ring.cpu, data });
      } else if (type === PerfRecord.LOST && body.byteLength >= 16) {
        const lost = bv.getBigUint64(8, HOST_LE);
        this.lostSamples += lost;
        out.push({ type: 'lost', cpu: ring.cpu, lost });
      }
      tail += BigInt(recSize);
    }
    // Release: hand the space back only after reading it.
    Atomics.store(ring.tail, 0, tail);
  }

  /** `len` bytes at `off` of the ring, copying when the range wraps around the end. */
  #read(ring: CpuRing, off: number, len: number): Uint8Array {
    if (off + len <= ring.size) return ring.data.subarray(off, off + len);
    const out = new Uint8Array(len);
    const first = ring.size - off;
    out.set(ring.data.subarray(off), 0);
    out.set(ring.data.subarray(0, len - first), first);
    return out;
  }

  /** Wait up to `timeoutMs` (forever when omitted) for any CPU's buffer, then consume. Resolves `[]` on timeout/close. */
  async poll(timeoutMs?: number): Promise<PerfRecordOf<T>[]> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) return [];
      const now = this.consume();
      if (now.length) return now;
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) return [];
      // perf fds report a wakeup once even when the data was already read
      // (kernel/events/core.c, perf_poll), so an empty read means: wait again.
      if (!(await waitAny(this.#rings.map((r) => r.readiness), left))) return this.#closed ? [] : this.consume();
    }
  }

  /** Stream records until `close()`. */
  async *[Symbol.asyncIterator](): AsyncIterator<PerfRecordOf<T>> {
    while (!this.#closed) {
      const batch = this.consume();
      if (batch.length === 0) {
        for (const r of await this.poll()) yield r;
        continue;
      }
      for (const r of batch) yield r;
    }
  }

  /** Remove the buffers from the map, unmap them and close their fds (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closer.unregister(this);
    this.#fds.length = 0;
    const n = native();
    for (const ring of this.#rings) {
      ring.readiness.close();
      this.#deleteMapEntry(ring.cpu);
      if (ring.mapping) n.munmap(ring.mapping);
      ring.mapping = undefined;
      n.close(ring.fd);
    }
    this.#rings = [];
  }

  get closed(): boolean {
    return this.#closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
