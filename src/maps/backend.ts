/**
 * The seam between the map API and whatever holds the map: the kernel (through
 * bpf(2)) or the in-process emulator. Both implement exactly this interface, so
 * everything above it (typed views, iteration, batch, CLI) is shared, and the
 * emulator can be compared with the kernel call by call.
 *
 * Every operation mirrors one bpf(2) command and returns what the syscall
 * returns: `0` (or a count) on success, `-errno` on failure. No exceptions for
 * kernel answers: the map layer turns them into `BpfError`s or `undefined`.
 *
 * Operations read their inputs from and write their outputs into the backend's
 * own scratch buffers (`key`, `value`, `nextKey`), which stay at a fixed
 * address for the backend's life. That lets the kernel backend pre-encode each
 * command's attr once and make each call with no allocation.
 *
 *   caller ──encode──▶ backend.key ─┐
 *                                   ├─ lookup(flags) ─▶ backend.value ──decode──▶ caller
 *                       (kernel or emulator)
 */

/** What a map is, as created. Sizes are the kernel's: `valueSize` is one CPU's value for per-CPU maps. */
export interface MapDescriptor {
  /** `enum bpf_map_type` number. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  /** Number of possible CPUs for per-CPU maps, otherwise 1. */
  readonly nCpus: number;
  /** Bytes a value occupies in syscall buffers: `valueSize`, or `round_up(valueSize, 8) * nCpus` for per-CPU maps. */
  readonly valueBufferSize: number;
  /** 0 when unknown or for the emulator. */
  readonly id: number;
  readonly mapExtra: bigint;
  /** BTF ids from creation, 0 when none. */
  readonly btfId: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
}

/** One batch command's in/out arguments (`struct bpf_attr.batch`). */
export interface BatchRequest {
  /** Opaque cursor from the previous call; `null` to start. Size `batchCursorSize`. */
  readonly inBatch: Uint8Array | null;
  /** Receives the cursor for the next call. Size `batchCursorSize`. */
  readonly outBatch: Uint8Array | null;
  /** `count * keySize` bytes. */
  readonly keys: Uint8Array;
  /** `count * valueBufferSize` bytes (unused for delete). */
  readonly values: Uint8Array | null;
  /** Elements to process (in), at most keys.length / keySize. */
  readonly count: number;
  readonly elemFlags: number;
  readonly flags: number;
}

/** The answer of a batch command: `result` is 0 or -errno; `count` elements were processed either way. */
export interface BatchResult {
  result: number;
  count: number;
}

export type BatchCommand = 'lookup' | 'lookupAndDelete' | 'update' | 'delete';

/** Implemented by the kernel backend (src/maps/kernel-backend.ts) and the emulator (src/emu). */
export interface MapBackend {
  readonly kind: 'kernel' | 'emulator';
  readonly descriptor: MapDescriptor;
  /** The kernel fd, or -1 for the emulator. */
  readonly fd: number;
  /** Scratch key, exactly `keySize` bytes (a 0-byte array for keyless maps). */
  readonly key: Uint8Array;
  /** Scratch value, exactly `valueBufferSize` bytes. */
  readonly value: Uint8Array;
  /** Receives GET_NEXT_KEY's answer, `keySize` bytes. */
  readonly nextKey: Uint8Array;
  /** Size of the opaque batch cursor for this map type (the kernel uses keySize for hash maps, 4 for arrays). */
  readonly batchCursorSize: number;

  /** BPF_MAP_LOOKUP_ELEM: key → value. For queue/stack/bloom filter (no key) this is peek. */
  lookup(flags: number): number;
  /** BPF_MAP_UPDATE_ELEM: key, value. For queue/stack/bloom filter (no key) this is push. */
  update(flags: number): number;
  /** BPF_MAP_DELETE_ELEM: key. */
  delete(): number;
  /** BPF_MAP_GET_NEXT_KEY from `key` (or from the start when `fromStart`) into `nextKey`. */
  getNextKey(fromStart: boolean): number;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: key → value (no key for queue/stack: pop). */
  lookupAndDelete(flags: number): number;
  /** BPF_MAP_FREEZE. */
  freeze(): number;
  /** The four BPF_MAP_*_BATCH commands. */
  batch(command: BatchCommand, request: BatchRequest): BatchResult;
  /**
   * Map the values of a BPF_F_MMAPABLE array into memory (Linux 5.5+): the value of
   * index i sits at `i * round_up(valueSize, 8)`. Returns the memory and a release
   * function, or -errno. Optional: a backend without it answers EINVAL.
   */
  mmap?(writable: boolean): { buffer: ArrayBuffer; release(): void } | number;
  /** Release the map (close the fd). Idempotent. */
  close(): void;
}
