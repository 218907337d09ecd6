/**
 * `BpfMap`: the map API shared by every backend. Keys and values pass through
 * codecs straight into the backend's scratch buffers; kernel answers come back
 * as `0`/`-errno` and become return values (`undefined` for a missing key) or
 * `BpfError`s here, in one place.
 */
import type { BatchCommand, MapBackend, MapDescriptor } from './backend.js';
import type { Codec } from '../codec/codec.js';
import { bpfError } from '../sys/bpf.js';
import { ElemFlags, KEYLESS_MAP_TYPES, MapType, mapTypeName } from '../sys/constants.js';
import { BpfError, EbpfError, InvalidArgumentError, SizeMismatchError } from '../sys/errors.js';
import { prepareBpffsPath } from '../sys/fs.js';
import { mapInfoByFd, objPin, type MapInfo } from '../sys/map-cmds.js';
import { MmapView } from './mmap-view.js';
import { describe } from './value-codecs.js';

const ENOENT = 2;
const EINVAL = 22;
const ENOSPC = 28;
const EOPNOTSUPP = 95;
const ENOTSUPP = 524;

export type UpdateFlag = 'any' | 'noexist' | 'exist';

export interface UpdateOptions {
  /** `'any'` (default, BPF_ANY), `'noexist'` (BPF_NOEXIST: fail with EEXIST if present), `'exist'` (BPF_EXIST: fail with ENOENT if absent). */
  readonly flag?: UpdateFlag;
  /** BPF_F_LOCK: update under the value's `struct bpf_spin_lock` (Linux 5.1+; the map needs BTF with a spin lock). */
  readonly lock?: boolean;
}

export interface LookupOptions {
  /** BPF_F_LOCK: read under the value's spin lock (Linux 5.1+). */
  readonly lock?: boolean;
}

/** An opaque position in a batch walk, returned by one batch call and passed to the next. */
export class BatchCursor {
  /** @internal */
  constructor(readonly bytes: Uint8Array) {}
}

export interface BatchOptions {
  /** Where to continue; omit to start from the beginning. */
  readonly cursor?: BatchCursor;
  /** Maximum elements to return (default 4096). The buffer grows if the kernel answers ENOSPC. */
  readonly count?: number;
  readonly lock?: boolean;
}

export interface BatchPage<K, V> {
  readonly keys: K[];
  readonly values: V[];
  /** Pass to the next call; `undefined` when the walk is complete. */
  readonly cursor: BatchCursor | undefined;
}

/** Raw result of a bulk dump: `count` keys and values packed back to back. */
export interface RawDump {
  readonly count: number;
  readonly keys: Uint8Array;
  readonly values: Uint8Array;
  readonly keySize: number;
  readonly valueStride: number;
}

/** Thrown when iteration sees more keys than max_entries (the map changed under the walk). Matches cilium/ebpf's ErrIterationAborted. */
export class IterationAbortedError extends EbpfError {
  constructor(name: string, maxEntries: number) {
    super('EITERATION', `map iterate (${name}): aborted after ${maxEntries} keys: the map changed during iteration`);
  }
}

const DEFAULT_BATCH = 4096;
/** Batch size of whole-map walks: large batches mean fewer syscalls and bucket restarts. */
const DUMP_BATCH = 8192;

/**
 * A BPF map. `K` and `V` are the key and value types of its codecs: `Uint8Array`
 * by default, numbers/bigints/objects for typed maps, and `V[]` (one per possible
 * CPU) for per-CPU maps.
 *
 * Every method throws `BpfError` (with `code` = errno name) for kernel errors,
 * `InvalidArgumentError`/`SizeMismatchError` before any syscall for malformed
 * keys or values, and `EbpfError('ECLOSED')` after `close()`.
 */
export class BpfMap<K = Uint8Array, V = Uint8Array> implements Disposable, Iterable<[K, V]> {
  readonly #backend: MapBackend;
  readonly #keyCodec: Codec<K>;
  readonly #valueCodec: Codec<V>;
  readonly #keyView: DataView;
  readonly #valueView: DataView;
  readonly #nextKeyView: DataView;
  #closed = false;
  #batchSupported: boolean | undefined;

  /** @internal Use `createMap` / `openMap`. */
  constructor(backend: MapBackend, keyCodec: Codec<K>, valueCodec: Codec<V>) {
    this.#backend = backend;
    this.#keyCodec = keyCodec;
    this.#valueCodec = valueCodec;
    const d = backend.descriptor;
    if (keyCodec.size !== d.keySize) {
      throw new InvalidArgumentError(`key type ${keyCodec.description} is ${keyCodec.size} bytes but map ${d.name || '(unnamed)'} has ${d.keySize}-byte keys`);
    }
    if (valueCodec.size !== d.valueBufferSize) {
      throw new InvalidArgumentError(`value type ${valueCodec.description} is ${valueCodec.size} bytes but map ${d.name || '(unnamed)'} has ${d.valueBufferSize}-byte values`);
    }
    const k = backend.key, v = backend.value, n = backend.nextKey;
    this.#keyView = new DataView(k.buffer, k.byteOffset, k.byteLength);
    this.#valueView = new DataView(v.buffer, v.byteOffset, v.byteLength);
    this.#nextKeyView = new DataView(n.buffer, n.byteOffset, n.byteLength);
  }

  /** The map's descriptor: type, sizes, flags, name, CPUs. */
  get descriptor(): MapDescriptor { return this.#backend.descriptor; }
  get name(): string { return this.#backend.descriptor.name; }
  /** The type's lower-case name (`'hash'`), or its number when unknown. */
  get type(): string | number { const t = this.#backend.descriptor.type; return mapTypeName(t) ?? t; }
  get keySize(): number { return this.#backend.descriptor.keySize; }
  get valueSize(): number { return this.#backend.descriptor.valueSize; }
  get maxEntries(): number { return this.#backend.descriptor.maxEntries; }
  get flags(): number { return this.#backend.descriptor.flags; }
  /**
   * The file descriptor (kernel backend); -1 once closed. For the emulator, the
   * map's handle: a number (>= 2^30, never a real fd) that emulated map-in-map
   * slots and `innerMap: { fd }` accept, so the same code works on both backends.
   */
  get fd(): number {
    if (this.#closed) return -1;
    const b = this.#backend;
    return b.kind === 'kernel' ? b.fd : ((b as { readonly handle?: number }).handle ?? -1);
  }
  /** `'kernel'` or `'emulator'`. */
  get backendKind(): 'kernel' | 'emulator' { return this.#backend.kind; }
  /** The backend (for the emulator VM and tests). */
  get backend(): MapBackend { return this.#backend; }
  get keyCodec(): Codec<K> { return this.#keyCodec; }
  get valueCodec(): Codec<V> { return this.#valueCodec; }
  get closed(): boolean { return this.#closed; }

  #live(): MapBackend {
    if (this.#closed) throw new EbpfError('ECLOSED', `map ${this.name || '(unnamed)'} is closed`);
    return this.#backend;
  }

  #fail(op: string, r: number): BpfError {
    // An element operation on an existing fd that fails with EPERM is about the
    // map, not about capabilities: frozen maps and BPF_F_RDONLY/WRONLY maps or
    // fds refuse writes or reads (kernel/bpf/syscall.c map_update_elem et al.).
    if (r === -1) {
      return new BpfError(1, `map ${op}`, `${this.name || '(unnamed)'}: the map is frozen, or this fd or map is read-only/write-only for user space`);
    }
    return bpfError(-r, `map ${op}`, this.name || undefined);
  }

  #encodeKey(key: K): void {
    try {
      this.#keyCodec.encode(this.#keyView, 0, key, 'key');
    } catch (e) {
      throw keyed('key', e, this.name);
    }
  }

  #encodeValue(value: V): void {
    try {
      this.#valueCodec.encode(this.#valueView, 0, value, 'value');
    } catch (e) {
      throw keyed('value', e, this.name);
    }
  }

  /** BPF_MAP_LOOKUP_ELEM. Returns `undefined` when the key is absent (ENOENT). */
  get(key: K, options?: LookupOptions): V | undefined {
    const b = this.#live();
    this.#encodeKey(key);
    const r = b.lookup(options === undefined ? 0 : options.lock ? ElemFlags.LOCK : 0);
    if (r === 0) return this.#valueCodec.decode(this.#valueView, 0);
    if (r === -ENOENT) return undefined;
    throw this.#fail('lookup', r);
  }

  /**
   * BPF_MAP_LOOKUP_ELEM into a buffer the caller owns, as libbpf's
   * `bpf_map_lookup_elem(fd, key, value)` and cilium/ebpf's `Lookup(key, valueOut)`
   * do: the value's raw bytes (for per-CPU maps, one 8-byte-aligned slot per
   * possible CPU) are copied into `out`, and nothing is allocated, which makes
   * it the cheapest lookup on hot paths. Returns false, leaving `out` untouched,
   * when the key is absent. Throws `SizeMismatchError` before any syscall when
   * `out` is not exactly the value buffer size (`descriptor.valueBufferSize`),
   * `InvalidArgumentError` when it is not a `Uint8Array`.
   */
  lookupInto(key: K, out: Uint8Array, options?: LookupOptions): boolean {
    const b = this.#live();
    const size = b.descriptor.valueBufferSize;
    if (!(out instanceof Uint8Array)) throw new InvalidArgumentError(`lookupInto: expected a Uint8Array of ${size} bytes to write the value into, got ${describe(out)}`);
    if (out.byteLength !== size) throw new SizeMismatchError('lookupInto output buffer', size, out.byteLength, this.name || undefined);
    this.#encodeKey(key);
    const r = b.lookup(options === undefined ? 0 : options.lock ? ElemFlags.LOCK : 0);
    if (r === 0) {
      const v = b.value;
      if (size <= 16) for (let i = 0; i < size; i++) out[i] = v[i]!;
      else out.set(v);
      return true;
    }
    if (r === -ENOENT) return false;
    throw this.#fail('lookup', r);
  }

  /** True when `get(key)` would return a value. */
  has(key: K): boolean {
    const b = this.#live();
    this.#encodeKey(key);
    const r = b.lookup(0);
    if (r === 0) return true;
    if (r === -ENOENT) return false;
    throw this.#fail('lookup', r);
  }

  /** BPF_MAP_UPDATE_ELEM with BPF_ANY. Throws E2BIG when a hash map is full, EINVAL/E2BIG for array indexes out of range. */
  set(key: K, value: V): this {
    const b = this.#live();
    this.#encodeKey(key);
    this.#encodeValue(value);
    const r = b.update(ElemFlags.ANY);
    if (r !== 0) throw this.#fail('update', r);
    return this;
  }

  /** BPF_MAP_UPDATE_ELEM with an explicit flag: `noexist` throws EEXIST on an existing key, `exist` throws ENOENT on a missing one. */
  update(key: K, value: V, options?: UpdateOptions): void {
    const b = this.#live();
    this.#encodeKey(key);
    this.#encodeValue(value);
    const r = b.update(updateFlags(options));
    if (r !== 0) throw this.#fail('update', r);
  }

  /** BPF_MAP_DELETE_ELEM. Returns false when the key was absent. Arrays cannot delete: EINVAL. */
  delete(key: K): boolean {
    const b = this.#live();
    this.#encodeKey(key);
    const r = b.delete();
    if (r === 0) return true;
    if (r === -ENOENT) return false;
    throw this.#fail('delete', r);
  }

  /**
   * BPF_MAP_GET_NEXT_KEY: the key after `key`, or the first key when `key` is
   * omitted; `undefined` at the end. From a missing key, hash maps restart at
   * their first key and arrays at index 0 (kernel semantics).
   */
  nextKey(key?: K): K | undefined {
    const b = this.#live();
    if (key !== undefined) this.#encodeKey(key);
    const r = b.getNextKey(key === undefined);
    if (r === 0) return this.#keyCodec.decode(this.#nextKeyView, 0);
    if (r === -ENOENT) return undefined;
    throw this.#fail('get_next_key', r);
  }

  /**
   * BPF_MAP_LOOKUP_AND_DELETE_ELEM: remove and return. For queue/stack the key is
   * omitted (pop; Linux 4.20+); for hash maps Linux 5.14+. `undefined` when empty/absent.
   */
  lookupAndDelete(key?: K, options?: LookupOptions): V | undefined {
    const b = this.#live();
    if (key !== undefined) this.#encodeKey(key);
    const r = b.lookupAndDelete(options?.lock ? ElemFlags.LOCK : 0);
    if (r === 0) return this.#valueCodec.decode(this.#valueView, 0);
    if (r === -ENOENT) return undefined;
    throw this.#fail('lookup_and_delete', r);
  }

  #requireKeyless(op: string): MapBackend {
    const b = this.#live();
    if (!KEYLESS_MAP_TYPES.has(b.descriptor.type)) {
      throw new InvalidArgumentError(`${op}: map ${this.name || '(unnamed)'} is a ${this.type} map; ${op} works on queue, stack and bloom_filter maps`);
    }
    return b;
  }

  /**
   * Queue/stack push (BPF_MAP_UPDATE_ELEM with no key; Linux 4.20+); bloom filter add (5.16+).
   * `flag: 'exist'` overwrites the oldest element when a queue/stack is full; otherwise a full map throws E2BIG.
   */
  push(value: V, options?: { flag?: 'any' | 'exist' }): void {
    const b = this.#requireKeyless('push');
    this.#encodeValue(value);
    const r = b.update(options?.flag === 'exist' ? ElemFlags.EXIST : ElemFlags.ANY);
    if (r !== 0) throw this.#fail('push', r);
  }

  /** Queue/stack pop: the next element, removed; `undefined` when empty. Linux 4.20+. */
  pop(): V | undefined {
    const b = this.#requireKeyless('pop');
    const r = b.lookupAndDelete(0);
    if (r === 0) return this.#valueCodec.decode(this.#valueView, 0);
    if (r === -ENOENT) return undefined;
    throw this.#fail('pop', r);
  }

  /**
   * Queue/stack peek: the next element without removing it; `undefined` when empty.
   * For a bloom filter, `peek(value)` tests membership: returns the value when possibly present, `undefined` when surely absent.
   */
  peek(value?: V): V | undefined {
    const b = this.#requireKeyless('peek');
    if (value !== undefined) this.#encodeValue(value);
    const r = b.lookup(0);
    if (r === 0) return this.#valueCodec.decode(this.#valueView, 0);
    if (r === -ENOENT) return undefined;
    throw this.#fail('peek', r);
  }

  /** BPF_MAP_FREEZE: make the map read-only from user space (Linux 5.2+). Further updates fail with EPERM. */
  freeze(): void {
    const r = this.#live().freeze();
    if (r !== 0) throw this.#fail('freeze', r);
  }

  // ---- batch operations (Linux 5.6+) -------------------------------------

  /**
   * One batch call of up to `count` elements (more after ENOSPC). `reuse` (a
   * previous call's buffers) is used again when large enough, so whole-map walks
   * allocate their page buffers once.
   */
  #batchCall(command: BatchCommand, cursor: BatchCursor | undefined, count: number, flags: number, reuse?: { keys: Uint8Array; values: Uint8Array }) {
    const b = this.#live();
    const d = b.descriptor;
    const cs = b.batchCursorSize;
    let n = Math.max(1, count);
    for (;;) {
      const fits = reuse !== undefined && reuse.keys.length >= n * d.keySize && reuse.values.length >= n * d.valueBufferSize;
      const keys = fits ? reuse.keys : new Uint8Array(n * d.keySize);
      const values = fits ? reuse.values : new Uint8Array(n * d.valueBufferSize);
      const outBatch = new Uint8Array(cs);
      const res = b.batch(command, {
        inBatch: cursor ? cursor.bytes : null, outBatch, keys, values, count: n, elemFlags: flags, flags: 0,
      });
      // hashtab answers ENOSPC when one bucket holds more than `count` elements.
      if (res.result === -ENOSPC && res.count === 0) {
        n *= 2;
        continue;
      }
      return { res, keys, values, outBatch };
    }
  }

  #page(command: 'lookup' | 'lookupAndDelete', options: BatchOptions | undefined): BatchPage<K, V> {
    const flags = options?.lock ? ElemFlags.LOCK : 0;
    const { res, keys, values, outBatch } = this.#batchCall(command, options?.cursor, options?.count ?? DEFAULT_BATCH, flags);
    if (res.result < 0 && res.result !== -ENOENT) throw this.#fail(command === 'lookup' ? 'lookup_batch' : 'lookup_and_delete_batch', res.result);
    const d = this.#backend.descriptor;
    const kv = new DataView(keys.buffer), vv = new DataView(values.buffer);
    const outKeys: K[] = new Array(res.count);
    const outValues: V[] = new Array(res.count);
    for (let i = 0; i < res.count; i++) {
      outKeys[i] = this.#keyCodec.decode(kv, i * d.keySize);
      outValues[i] = this.#valueCodec.decode(vv, i * d.valueBufferSize);
    }
    return { keys: outKeys, values: outValues, cursor: res.result === -ENOENT ? undefined : new BatchCursor(outBatch) };
  }

  /** BPF_MAP_LOOKUP_BATCH: up to `count` entries from `cursor`. Hash and array maps, Linux 5.6+. */
  lookupBatch(options?: BatchOptions): BatchPage<K, V> {
    return this.#page('lookup', options);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: like lookupBatch, removing what it returns. Hash maps, Linux 5.6+. */
  lookupAndDeleteBatch(options?: BatchOptions): BatchPage<K, V> {
    return this.#page('lookupAndDelete', options);
  }

  /**
   * BPF_MAP_UPDATE_BATCH: write all pairs in one call (Linux 5.6+). Returns how
   * many were written. The kernel takes only BPF_F_LOCK as a batch element flag:
   * `flag: 'noexist' | 'exist'` is passed through and answered with EINVAL. On failure throws a `BpfError` whose `processed` property
   * says how many were written before the failing one.
   */
  updateBatch(keys: readonly K[], values: readonly V[], options?: UpdateOptions): number {
    const b = this.#live();
    if (keys.length !== values.length) throw new InvalidArgumentError(`updateBatch: ${keys.length} keys but ${values.length} values`);
    const d = b.descriptor;
    const kb = new Uint8Array(Math.max(1, keys.length * d.keySize));
    const vb = new Uint8Array(Math.max(1, values.length * d.valueBufferSize));
    const kv = new DataView(kb.buffer), vv = new DataView(vb.buffer);
    for (let i = 0; i < keys.length; i++) {
      try { this.#keyCodec.encode(kv, i * d.keySize, keys[i] as K, `keys[${i}]`); } catch (e) { throw keyed(`keys[${i}]`, e, this.name); }
      try { this.#valueCodec.encode(vv, i * d.valueBufferSize, values[i] as V, `values[${i}]`); } catch (e) { throw keyed(`values[${i}]`, e, this.name); }
    }
    const res = b.batch('update', { inBatch: null, outBatch: null, keys: kb, values: vb, count: keys.length, elemFlags: updateFlags(options), flags: 0 });
    if (res.result < 0) throw withProcessed(this.#fail('update_batch', res.result), res.count);
    return res.count;
  }

  /** BPF_MAP_DELETE_BATCH: delete all keys (Linux 5.6+). Throws ENOENT (with `processed`) at the first missing key, as the kernel does. */
  deleteBatch(keys: readonly K[]): number {
    const b = this.#live();
    const d = b.descriptor;
    const kb = new Uint8Array(Math.max(1, keys.length * d.keySize));
    const kv = new DataView(kb.buffer);
    for (let i = 0; i < keys.length; i++) {
      try { this.#keyCodec.encode(kv, i * d.keySize, keys[i] as K, `keys[${i}]`); } catch (e) { throw keyed(`keys[${i}]`, e, this.name); }
    }
    const res = b.batch('delete', { inBatch: null, outBatch: null, keys: kb, values: null, count: keys.length, elemFlags: 0, flags: 0 });
    if (res.result < 0) throw withProcessed(this.#fail('delete_batch', res.result), res.count);
    return res.count;
  }

  /**
   * Every entry as packed bytes, using BPF_MAP_LOOKUP_BATCH where the map supports
   * it (else GET_NEXT_KEY + LOOKUP). The fastest way to read a whole map.
   */
  dumpRaw(batchSize = DUMP_BATCH): RawDump {
    const d = this.#live().descriptor;
    const chunksK: Uint8Array[] = [];
    const chunksV: Uint8Array[] = [];
    let total = 0;
    if (this.#canBatch()) {
      let cursor: BatchCursor | undefined;
      let first = true;
      for (;;) {
        const { res, keys, values, outBatch } = this.#batchCall('lookup', cursor, batchSize, 0);
        if (first && res.count === 0 && isUnsupported(res.result)) { this.#batchSupported = false; break; }
        first = false;
        this.#batchSupported = true;
        if (res.result < 0 && res.result !== -ENOENT) throw this.#fail('lookup_batch', res.result);
        chunksK.push(keys.subarray(0, res.count * d.keySize));
        chunksV.push(values.subarray(0, res.count * d.valueBufferSize));
        total += res.count;
        if (res.result === -ENOENT) return pack(total, chunksK, chunksV, d);
        cursor = new BatchCursor(outBatch);
      }
    }
    for (const [k, v] of this.#walk(true)) {
      chunksK.push(k);
      chunksV.push(v);
      total++;
    }
    return pack(total, chunksK, chunksV, d);
  }

  #canBatch(): boolean {
    if (this.#batchSupported === false) return false;
    return BATCHABLE.has(this.#backend.descriptor.type);
  }

  /** Raw key/value copies from a GET_NEXT_KEY walk; skips keys deleted between get_next_key and lookup. */
  *#walk(withValues: boolean): Generator<[Uint8Array, Uint8Array]> {
    const b = this.#live();
    const d = b.descriptor;
    const cursor = new Uint8Array(d.keySize);
    let first = true;
    let seen = 0;
    for (;;) {
      if (!first) b.key.set(cursor);
      const r = b.getNextKey(first);
      if (r === -ENOENT) return;
      if (r < 0) throw this.#fail('get_next_key', r);
      first = false;
      cursor.set(b.nextKey);
      if (++seen > d.maxEntries) throw new IterationAbortedError(this.name, d.maxEntries);
      if (!withValues) {
        yield [cursor.slice(), EMPTY];
        continue;
      }
      b.key.set(cursor);
      const l = b.lookup(0);
      if (l === -ENOENT) continue; // deleted between get_next_key and lookup
      if (l < 0) throw this.#fail('lookup', l);
      yield [cursor.slice(), b.value.slice()];
    }
  }

  /** Iterate all entries (batched where the kernel supports it). Bounded by max_entries. */
  entries(): IterableIterator<[K, V]> {
    const d = this.#live().descriptor;
    if (!this.#canBatch()) return this.#walkEntries();
    // A hand-written iterator over decoded pages: a generator's per-element
    // resumption cost dominated typed dumps (docs/performance.md, "Maps").
    let page: [K, V][] = [];
    let i = 0;
    let cursor: BatchCursor | undefined;
    let state: 'first' | 'more' | 'last' = 'first';
    let fallback: IterableIterator<[K, V]> | undefined;
    const batch = Math.min(DUMP_BATCH, Math.max(d.maxEntries, 1));
    const keyCodec = this.#keyCodec, valueCodec = this.#valueCodec;
    const fetch = (): void => {
      const { res, keys, values, outBatch } = this.#batchCall('lookup', cursor, batch, 0);
      if (state === 'first' && res.count === 0 && isUnsupported(res.result)) {
        this.#batchSupported = false;
        fallback = this.#walkEntries();
        return;
      }
      this.#batchSupported = true;
      if (res.result < 0 && res.result !== -ENOENT) throw this.#fail('lookup_batch', res.result);
      const kv = new DataView(keys.buffer), vv = new DataView(values.buffer);
      const n = res.count, ks = d.keySize, vs = d.valueBufferSize;
      page = new Array<[K, V]>(n);
      for (let j = 0; j < n; j++) page[j] = [keyCodec.decode(kv, j * ks), valueCodec.decode(vv, j * vs)];
      i = 0;
      state = res.result === -ENOENT ? 'last' : 'more';
      cursor = new BatchCursor(outBatch);
    };
    const it: IterableIterator<[K, V]> = {
      next(): IteratorResult<[K, V]> {
        for (;;) {
          if (fallback) return fallback.next();
          if (i < page.length) return { done: false, value: page[i++]! };
          if (state === 'last') return { done: true, value: undefined };
          fetch();
        }
      },
      [Symbol.iterator]() {
        return it;
      },
    };
    return it;
  }

  *#walkEntries(): IterableIterator<[K, V]> {
    const keyCodec = this.#keyCodec, valueCodec = this.#valueCodec;
    for (const [k, v] of this.#walk(true)) {
      yield [keyCodec.decode(new DataView(k.buffer), 0), valueCodec.decode(new DataView(v.buffer), 0)];
    }
  }

  /**
   * Every entry as arrays of keys and values, read with BPF_MAP_LOOKUP_BATCH where
   * the map supports it (else GET_NEXT_KEY + LOOKUP). The fastest way to
   * materialise a whole typed map.
   */
  dump(batchSize = DUMP_BATCH): { keys: K[]; values: V[] } {
    if (this.#canBatch()) {
      // One pair of page buffers serves every page; each page is decoded into its own arrays, joined at the end.
      const keyPages: K[][] = [], valuePages: V[][] = [];
      const d = this.#backend.descriptor;
      let cursor: BatchCursor | undefined;
      let buffers: { keys: Uint8Array; values: Uint8Array } | undefined;
      for (let first = true; ; first = false) {
        const call = this.#batchCall('lookup', cursor, batchSize, 0, buffers);
        const { res } = call;
        if (res.result < 0 && res.result !== -ENOENT) {
          if (first && isUnsupported(res.result)) { this.#batchSupported = false; break; }
          throw this.#fail('lookup_batch', res.result);
        }
        this.#batchSupported = true;
        buffers = call;
        const kv = new DataView(call.keys.buffer), vv = new DataView(call.values.buffer);
        const keyCodec = this.#keyCodec, valueCodec = this.#valueCodec;
        const n = res.count;
        const pageKeys: K[] = new Array(n), pageValues: V[] = new Array(n);
        for (let i = 0; i < n; i++) {
          pageKeys[i] = keyCodec.decode(kv, i * d.keySize);
          pageValues[i] = valueCodec.decode(vv, i * d.valueBufferSize);
        }
        keyPages.push(pageKeys);
        valuePages.push(pageValues);
        if (res.result === -ENOENT) return { keys: concat(keyPages), values: concat(valuePages) };
        cursor = new BatchCursor(call.outBatch);
      }
    }
    const keys: K[] = [], values: V[] = [];
    for (const [k, v] of this.#walkEntries()) { keys.push(k); values.push(v); }
    return { keys, values };
  }

  /** Iterate all keys with GET_NEXT_KEY. Bounded by max_entries. */
  *keys(): IterableIterator<K> {
    for (const [k] of this.#walk(false)) yield this.#keyCodec.decode(new DataView(k.buffer), 0);
  }

  /** Iterate all values. */
  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** BPF_OBJ_PIN at a path on bpffs (Linux 4.4+). Throws EEXIST if the path exists, ENOENT/EPERM outside bpffs. */
  pin(path: string): void {
    const b = this.#live();
    if (b.kind !== 'kernel') throw new InvalidArgumentError('pin: emulated maps cannot be pinned on bpffs; use save() instead');
    prepareBpffsPath(path);
    const r = objPin(b.fd, path);
    if (r < 0) throw bpfError(-r, 'map pin', `${this.name || '(unnamed)'} at ${path}`);
  }

  /** The kernel's view of the map (BPF_OBJ_GET_INFO_BY_FD, Linux 4.13+); for the emulator, the descriptor. */
  info(): MapInfo {
    const b = this.#live();
    if (b.kind === 'kernel') return mapInfoByFd(b.fd);
    const d = b.descriptor;
    return {
      type: d.type, id: (b as { readonly id?: number }).id ?? d.id, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, flags: d.flags,
      name: d.name, ifindex: 0, btfVmlinuxValueTypeId: 0, netnsDev: 0n, netnsIno: 0n, btfId: d.btfId,
      btfKeyTypeId: d.btfKeyTypeId, btfValueTypeId: d.btfValueTypeId, btfVmlinuxId: 0, mapExtra: d.mapExtra,
    };
  }

  /**
   * Memory-map a `BPF_F_MMAPABLE` array (Linux 5.5+): read and write values with no
   * syscall. Throws EINVAL for other maps, EPERM for writable maps of frozen arrays.
   */
  mmap(options?: { readonly?: boolean }): MmapView<V> {
    const b = this.#live();
    const d = b.descriptor;
    if (d.type !== MapType.array || (d.flags & 1024) === 0) {
      throw new InvalidArgumentError(`mmap: map ${this.name || '(unnamed)'} must be an array created with BPF_F_MMAPABLE (flags 0x400)`);
    }
    return MmapView.open(b, this.#valueCodec as unknown as Codec<V>, options?.readonly ?? false);
  }

  /**
   * Close the map's fd (the kernel frees the map when nothing else holds it). Idempotent.
   * A kernel map dropped without `close()` has its fd closed by a finalizer when the
   * garbage collector reclaims it (as cilium/ebpf does); `close()` or `using` releases it now.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#backend.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const EMPTY = new Uint8Array(0);

/** Map types with BPF_MAP_LOOKUP_BATCH (htab: all hash variants; generic: arrays). */
const BATCHABLE: ReadonlySet<number> = new Set([
  MapType.hash, MapType.percpu_hash, MapType.lru_hash, MapType.lru_percpu_hash,
  MapType.array, MapType.percpu_array,
]);

/** Concatenate pages into one array (Array.prototype.flat is several times slower here). */
function concat<T>(pages: T[][]): T[] {
  let n = 0;
  for (const p of pages) n += p.length;
  const out = new Array<T>(n);
  let o = 0;
  for (const p of pages) for (let i = 0; i < p.length; i++) out[o++] = p[i]!;
  return out;
}

function isUnsupported(result: number): boolean {
  return result === -EINVAL || result === -ENOTSUPP || result === -EOPNOTSUPP;
}

function updateFlags(o: UpdateOptions | undefined): number {
  let f: number;
  switch (o?.flag ?? 'any') {
    case 'any': f = ElemFlags.ANY; break;
    case 'noexist': f = ElemFlags.NOEXIST; break;
    case 'exist': f = ElemFlags.EXIST; break;
    default: throw new InvalidArgumentError(`update flag must be 'any', 'noexist' or 'exist', got '${String(o?.flag)}'`);
  }
  return o?.lock ? f | ElemFlags.LOCK : f;
}

function keyed(what: string, e: unknown, mapName: string): unknown {
  if (!(e instanceof EbpfError)) return e;
  // Codec messages start with the path they were given ('key.sport: expected u16 ...');
  // raw-byte codecs have no path, so name the part here.
  const msg = e.message.startsWith(what) ? e.message : `${what}: ${e.message}`;
  return new InvalidArgumentError(`map ${mapName || '(unnamed)'}: ${msg}`);
}

function withProcessed(e: BpfError, processed: number): BpfError {
  Object.defineProperty(e, 'processed', { value: processed, enumerable: true });
  e.message += ` after ${processed} elements`;
  return e;
}

function pack(total: number, ks: Uint8Array[], vs: Uint8Array[], d: MapDescriptor): RawDump {
  const keys = new Uint8Array(total * d.keySize);
  const values = new Uint8Array(total * d.valueBufferSize);
  let ko = 0, vo = 0;
  for (const k of ks) { keys.set(k, ko); ko += k.byteLength; }
  for (const v of vs) { values.set(v, vo); vo += v.byteLength; }
  return { count: total, keys, values, keySize: d.keySize, valueStride: d.valueBufferSize };
}

