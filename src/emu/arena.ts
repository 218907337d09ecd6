/**
 * The memory a map's elements live in: one `ArrayBuffer` (or
 * `SharedArrayBuffer` for maps shared with worker threads). Every element has a
 * stable byte offset for the map's life, so code that holds an offset (a future
 * eBPF VM, `valueOffset()` callers, `Atomics` on a value) reads and writes the
 * map's own bytes in place.
 *
 * Growth (non-shared hash maps created below their capacity) allocates a larger
 * buffer and copies: offsets stay valid, the `buffer` object changes and
 * `version` increments, so a holder of raw views re-reads `buffer` when
 * `version` moved. Shared arenas never grow: they are allocated at full
 * capacity because other threads hold views of the original buffer.
 */
export class Arena {
  #buffer: ArrayBuffer | SharedArrayBuffer;
  u8: Uint8Array;
  i32: Int32Array;
  /** Incremented whenever `buffer` is replaced by a larger copy. */
  version = 0;
  readonly shared: boolean;

  constructor(bytesOrBuffer: number | ArrayBuffer | SharedArrayBuffer, shared = false) {
    if (typeof bytesOrBuffer === 'number') {
      const size = Math.ceil(Math.max(bytesOrBuffer, 8) / 8) * 8;
      this.#buffer = shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    } else {
      this.#buffer = bytesOrBuffer;
    }
    this.shared = this.#buffer instanceof SharedArrayBuffer;
    this.u8 = new Uint8Array(this.#buffer);
    this.i32 = new Int32Array(this.#buffer, 0, this.#buffer.byteLength >> 2);
  }

  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.#buffer;
  }

  get byteLength(): number {
    return this.#buffer.byteLength;
  }

  /** Make the arena at least `bytes` long (non-shared arenas only), keeping every offset. */
  grow(bytes: number): void {
    if (bytes <= this.#buffer.byteLength) return;
    if (this.shared) throw new RangeError('a shared arena cannot grow');
    const next = new ArrayBuffer(Math.ceil(bytes / 8) * 8);
    new Uint8Array(next).set(this.u8);
    this.#buffer = next;
    this.u8 = new Uint8Array(next);
    this.i32 = new Int32Array(next, 0, next.byteLength >> 2);
    this.version++;
  }
}

/**
 * A lock word for maps shared between threads: a spin-then-wait mutex on one
 * Int32 of the arena (Atomics). Unshared maps never lock.
 */
export function lockWord(i32: Int32Array, index: number): void {
  for (let spins = 0; ; spins++) {
    if (Atomics.compareExchange(i32, index, 0, 1) === 0) return;
    if (spins > 100) Atomics.wait(i32, index, 1, 1);
  }
}

export function unlockWord(i32: Int32Array, index: number): void {
  Atomics.store(i32, index, 0);
  Atomics.notify(i32, index, 1);
}
