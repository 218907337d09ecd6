/**
 * BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c).
 *
 * The table is the kernel's: `roundup_pow_of_two(max_entries)` buckets, keys
 * hashed in place with jhash/jhash2 and the map's seed (0 with BPF_F_ZERO_SEED,
 * random otherwise), new elements linked at the head of their bucket, a replaced
 * element re-linked at the head (per-CPU maps update in place). With
 * BPF_F_ZERO_SEED the emulator therefore iterates and batches in exactly the
 * kernel's order.
 *
 * Arena layout (all offsets stable for the map's life):
 *
 *   0        64                 recBase
 *   | header | buckets (i32 × n) | record 0 | record 1 | ...
 *
 *   record:  0 next  4 hash  8 generation  12 freed-epoch  16 lru prev  20 lru next
 *            24 key (round_up(key_size, 8))  then the value (round_up(value_size, 8), × CPUs for per-CPU maps)
 *
 * Updates of an existing key write the value in place (its offset stays valid) and move
 * the element to its bucket head, as the kernel's replace does.
 *
 * Reuse rule (the emulator's RCU): a record freed by delete (or LRU replacement) goes to a
 * "limbo" FIFO stamped with the current epoch; the epoch advances once per
 * event-loop turn. A record is reused only after its epoch has passed, or, if
 * more than `slack` records were freed within one turn, oldest first. Its
 * generation number increments on every free, so a holder of `valueOffset()` can
 * check `generationAt()` to tell whether the slot still holds the same element.
 */
import type { BatchRequest, BatchResult, MapDescriptor } from '../maps/backend.js';
import { MapFlags, MapType } from '../sys/constants.js';
import { Arena } from './arena.js';
import { copyBytes, equalBytes, readU32, writeU32 } from './bytes.js';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOSPC } from './errno.js';
import { EmulatedMap, HEADER_WORDS } from './emulated-map.js';
import { jhashBytes, jhashWord, jhashWords } from './jhash.js';
import { effectiveMaxEntries, round8, roundupPowerOfTwo } from './validate.js';

// Header words after the common ones.
const H_COUNT = 3;
const H_CAPACITY = 4;
const H_USED = 5;
const H_FREE = 6;
const H_LIMBO_HEAD = 7;
const H_LIMBO_TAIL = 8;
const H_LIMBO_COUNT = 9;
const H_EPOCH = 10;
const H_SEED = 11;
const H_LRU_HEAD = 12;
const H_LRU_TAIL = 13;
const H_NBUCKETS = 14;

const REC_HEADER = 24;
const NIL = -1;

export interface HashMapOptions {
  readonly shared?: boolean;
  /** Hash seed (hashrnd). Ignored with BPF_F_ZERO_SEED (always 0); random when omitted. */
  readonly seed?: number;
}

export class HashMap extends EmulatedMap {
  readonly percpu: boolean;
  readonly lru: boolean;
  readonly nBuckets: number;
  /** Element limit: max_entries, rounded for BPF_F_NO_COMMON_LRU. */
  readonly maxEntries: number;
  readonly recordSize: number;
  readonly recordBase: number;
  /** Records beyond max_entries that keep freed values unreused for an event-loop turn. */
  readonly slack: number;
  readonly #ks: number;
  readonly #kpad: number;
  /** Bytes copied for a value in syscall buffers: value_size, or all CPUs' rounded slots. */
  readonly #vcopy: number;
  readonly #vregion: number;
  readonly #mask: number;
  readonly #words: Int32Array;
  #epochScheduled = false;
  /** Hot path for 4-byte keys and whole-word values on unshared maps (see lookup/update). */
  readonly #k32: Uint32Array;
  readonly #v32: Int32Array;
  readonly #vwords: number;
  #fast: boolean;

  constructor(d: MapDescriptor, options: HashMapOptions = {}, arena?: Arena) {
    const percpu = d.type === MapType.percpu_hash || d.type === MapType.lru_percpu_hash;
    const lru = d.type === MapType.lru_hash || d.type === MapType.lru_percpu_hash;
    const max = effectiveMaxEntries(d);
    const nBuckets = roundupPowerOfTwo(max);
    const kpad = round8(d.keySize);
    const vregion = percpu ? round8(d.valueSize) * d.nCpus : round8(Math.max(d.valueSize, 1));
    const recordSize = REC_HEADER + kpad + vregion;
    const recordBase = round8(HEADER_WORDS * 4 + nBuckets * 4);
    const slack = Math.min(max, 1024);
    const total = max + slack;
    const shared = options.shared ?? false;
    const initial = shared ? total : Math.min(total, 64);
    const fresh = !arena;
    super(d, arena ?? new Arena(recordBase + initial * recordSize, shared), 0, 4);
    this.percpu = percpu;
    this.lru = lru;
    this.nBuckets = nBuckets;
    this.maxEntries = max;
    this.recordSize = recordSize;
    this.recordBase = recordBase;
    this.slack = slack;
    this.#ks = d.keySize;
    this.#kpad = kpad;
    this.#vcopy = percpu ? vregion : d.valueSize;
    this.#vregion = vregion;
    this.#mask = nBuckets - 1;
    this.#words = new Int32Array(Math.ceil(d.keySize / 4));
    this.#k32 = new Uint32Array(this.key.buffer, 0, 1);
    this.#v32 = new Int32Array(this.value.buffer, 0, this.value.buffer.byteLength >> 2);
    this.#vwords = this.#vcopy % 4 === 0 ? this.#vcopy >> 2 : -1;
    this.#fast = !this.arena.shared && d.keySize === 4 && this.#vwords >= 0;
    if (fresh) {
      const i32 = this.arena.i32;
      i32[H_CAPACITY] = initial;
      i32[H_USED] = 0;
      i32[H_FREE] = NIL;
      i32[H_LIMBO_HEAD] = NIL;
      i32[H_LIMBO_TAIL] = NIL;
      i32[H_LRU_HEAD] = NIL;
      i32[H_LRU_TAIL] = NIL;
      i32[H_NBUCKETS] = nBuckets;
      // htab_map_alloc(): hashrnd = 0 with BPF_F_ZERO_SEED, else get_random_u32().
      i32[H_SEED] = d.flags & MapFlags.ZERO_SEED ? 0 : (options.seed ?? (Math.random() * 0x100000000) >>> 0) | 0;
      i32.fill(NIL, HEADER_WORDS, HEADER_WORDS + nBuckets);
    }
  }

  /** Elements in the map. */
  get count(): number {
    return this.arena.i32[H_COUNT]!;
  }

  get seed(): number {
    return this.arena.i32[H_SEED]! >>> 0;
  }

  // ---- hashing and lookup, on keys anywhere ----
  hashOf(k: Uint8Array, ko: number): number {
    const ks = this.#ks;
    const seed = this.arena.i32[H_SEED]!;
    if (ks === 4) return jhashWord(readU32(k, ko) | 0, seed);
    if ((ks & 3) === 0) {
      const w = this.#words;
      for (let i = 0; i < w.length; i++) w[i] = readU32(k, ko + 4 * i) | 0;
      return jhashWords(w, 0, w.length, seed);
    }
    return jhashBytes(k, ko, ks, seed);
  }

  #recOff(rec: number): number {
    return this.recordBase + rec * this.recordSize;
  }

  /** Record index of the key in bucket `hash & mask`, or NIL. */
  #find(k: Uint8Array, ko: number, hash: number): number {
    const i32 = this.arena.i32;
    const u8 = this.arena.u8;
    const ks = this.#ks;
    let rec = i32[HEADER_WORDS + (hash & this.#mask)]!;
    if (ks === 4) {
      const x = readU32(k, ko) | 0;
      while (rec !== NIL) {
        const w = (this.recordBase + rec * this.recordSize) >> 2;
        if (i32[w + 1] === (hash | 0) && i32[w + 6] === x) return rec;
        rec = i32[w]!;
      }
      return NIL;
    }
    while (rec !== NIL) {
      const off = this.recordBase + rec * this.recordSize;
      if (i32[(off >> 2) + 1] === (hash | 0) && equalBytes(u8, off + REC_HEADER, k, ko, ks)) return rec;
      rec = i32[off >> 2]!;
    }
    return NIL;
  }

  /** Byte offset in `arena.buffer` of the value stored for `key` (CPU 0's slot for per-CPU maps), or -1. */
  valueOffset(key: Uint8Array, keyOffset = 0): number {
    const rec = this.#find(key, keyOffset, this.hashOf(key, keyOffset));
    return rec === NIL ? -1 : this.#recOff(rec) + REC_HEADER + this.#kpad;
  }

  /** The generation of the record holding the value at `valueOffset`: it changes when that element is freed. */
  generationAt(valueOffset: number): number {
    return this.arena.i32[(valueOffset - REC_HEADER - this.#kpad + 8) >> 2]!;
  }

  // ---- record allocation with deferred reuse ----
  #alloc(): number {
    const i32 = this.arena.i32;
    let rec = i32[H_FREE]!;
    if (rec !== NIL) {
      i32[H_FREE] = i32[this.#recOff(rec) >> 2]!;
      return rec;
    }
    const used = i32[H_USED]!;
    if (used < i32[H_CAPACITY]!) {
      i32[H_USED] = used + 1;
      return used;
    }
    const head = i32[H_LIMBO_HEAD]!;
    const total = this.maxEntries + this.slack;
    const capacity = i32[H_CAPACITY]!;
    if (head !== NIL && (i32[(this.#recOff(head) >> 2) + 3]! !== i32[H_EPOCH] || capacity >= total)) {
      return this.#popLimbo();
    }
    if (capacity < total && !this.arena.shared) {
      const next = Math.min(total, capacity * 2);
      this.arena.grow(this.recordBase + next * this.recordSize);
      this.arena.i32[H_CAPACITY] = next;
      this.arena.i32[H_USED] = used + 1;
      return used;
    }
    return this.#popLimbo();
  }

  #popLimbo(): number {
    const i32 = this.arena.i32;
    const rec = i32[H_LIMBO_HEAD]!;
    const next = i32[this.#recOff(rec) >> 2]!;
    i32[H_LIMBO_HEAD] = next;
    if (next === NIL) i32[H_LIMBO_TAIL] = NIL;
    i32[H_LIMBO_COUNT]!--;
    return rec;
  }

  #free(rec: number): void {
    const i32 = this.arena.i32;
    const w = this.#recOff(rec) >> 2;
    i32[w + 2] = (i32[w + 2]! + 1) | 0; // generation
    i32[w + 3] = i32[H_EPOCH]!;
    i32[w] = NIL;
    const tail = i32[H_LIMBO_TAIL]!;
    if (tail === NIL) i32[H_LIMBO_HEAD] = rec;
    else i32[this.#recOff(tail) >> 2] = rec;
    i32[H_LIMBO_TAIL] = rec;
    i32[H_LIMBO_COUNT]!++;
    if (!this.#epochScheduled) {
      this.#epochScheduled = true;
      setImmediate(() => {
        this.#epochScheduled = false;
        Atomics.add(this.arena.i32, H_EPOCH, 1);
      }).unref();
    }
  }

  // ---- bucket and LRU list links ----
  #linkHead(rec: number, hash: number): void {
    const i32 = this.arena.i32;
    const b = HEADER_WORDS + (hash & this.#mask);
    const w = this.#recOff(rec) >> 2;
    i32[w] = i32[b]!;
    i32[w + 1] = hash | 0;
    i32[b] = rec;
  }

  #unlink(rec: number, hash: number): void {
    const i32 = this.arena.i32;
    const b = HEADER_WORDS + (hash & this.#mask);
    let cur = i32[b]!;
    if (cur === rec) {
      i32[b] = i32[this.#recOff(rec) >> 2]!;
      return;
    }
    while (cur !== NIL) {
      const w = this.#recOff(cur) >> 2;
      const next = i32[w]!;
      if (next === rec) {
        i32[w] = i32[this.#recOff(rec) >> 2]!;
        return;
      }
      cur = next;
    }
  }

  #lruPush(rec: number): void {
    const i32 = this.arena.i32;
    const w = this.#recOff(rec) >> 2;
    const head = i32[H_LRU_HEAD]!;
    i32[w + 4] = NIL;
    i32[w + 5] = head;
    if (head !== NIL) i32[(this.#recOff(head) >> 2) + 4] = rec;
    else i32[H_LRU_TAIL] = rec;
    i32[H_LRU_HEAD] = rec;
  }

  #lruRemove(rec: number): void {
    const i32 = this.arena.i32;
    const w = this.#recOff(rec) >> 2;
    const prev = i32[w + 4]!;
    const next = i32[w + 5]!;
    if (prev !== NIL) i32[(this.#recOff(prev) >> 2) + 5] = next;
    else i32[H_LRU_HEAD] = next;
    if (next !== NIL) i32[(this.#recOff(next) >> 2) + 4] = prev;
    else i32[H_LRU_TAIL] = prev;
  }

  /** Remove an element from the table and free its record. */
  #remove(rec: number): void {
    const i32 = this.arena.i32;
    this.#unlink(rec, i32[(this.#recOff(rec) >> 2) + 1]!);
    if (this.lru) this.#lruRemove(rec);
    i32[H_COUNT]!--;
    this.#free(rec);
  }

  /**
   * bpf_lru_pop_free(): take a free node, evicting the least recently used
   * element when none is left. The kernel's choice of victim depends on per-CPU
   * lists and reference bits; the emulator evicts the list tail (see docs/emulator.md).
   */
  #lruMakeRoom(): void {
    const i32 = this.arena.i32;
    if (i32[H_COUNT]! < this.maxEntries) return;
    const victim = i32[H_LRU_TAIL]!;
    if (victim !== NIL) this.#remove(victim);
  }

  // ---- map operations ----
  override lookup(flags: number): number {
    if (flags === 0 && this.#fast && this.canRead) {
      // u32 keys, whole-word values: hash and compare the key word, copy words.
      const i32 = this.arena.i32;
      const x = this.#k32[0]! | 0;
      const hash = jhashWord(x, i32[H_SEED]!);
      let rec = i32[HEADER_WORDS + (hash & this.#mask)]!;
      while (rec !== NIL) {
        const w = (this.recordBase + rec * this.recordSize) >> 2;
        if (i32[w + 1] === hash && i32[w + 6] === x) {
          const v = this.#v32;
          const src = w + ((REC_HEADER + this.#kpad) >> 2);
          for (let i = 0; i < this.#vwords; i++) v[i] = i32[src + i]!;
          return 0;
        }
        rec = i32[w]!;
      }
      return -ENOENT;
    }
    if (flags === 0 && this.canRead && !this.arena.shared && !this.closed) {
      return this.lookupAt(this.key, 0, this.value, 0);
    }
    return super.lookup(flags);
  }

  lookupAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number): number {
    const rec = this.#find(k, ko, this.hashOf(k, ko));
    if (rec === NIL) return -ENOENT;
    copyBytes(this.arena.u8, this.recordBase + rec * this.recordSize + REC_HEADER + this.#kpad, v, vo, this.#vcopy);
    return 0;
  }

  override close(): void {
    this.#fast = false;
    super.close();
  }

  override update(flags: number): number {
    if (this.#fast && flags === 0 && !this.lru && !this.percpu && this.writable()) {
      // BPF_ANY on a present u32 key: overwrite in place and move to the bucket head.
      const i32 = this.arena.i32;
      const x = this.#k32[0]! | 0;
      const hash = jhashWord(x, i32[H_SEED]!);
      const b = HEADER_WORDS + (hash & this.#mask);
      let prev = NIL;
      let rec = i32[b]!;
      while (rec !== NIL) {
        const w = (this.recordBase + rec * this.recordSize) >> 2;
        if (i32[w + 1] === hash && i32[w + 6] === x) {
          if (prev !== NIL) {
            i32[(this.recordBase + prev * this.recordSize) >> 2] = i32[w]!;
            i32[w] = i32[b]!;
            i32[b] = rec;
          }
          const v = this.#v32;
          const dst = w + ((REC_HEADER + this.#kpad) >> 2);
          for (let i = 0; i < this.#vwords; i++) i32[dst + i] = v[i]!;
          return 0;
        }
        prev = rec;
        rec = i32[w]!;
      }
      return this.updateAt(this.key, 0, this.value, 0, 0);
    }
    if (!this.arena.shared && this.writable() && !this.closed && (flags & 4) === 0) {
      return this.updateAt(this.key, 0, this.value, 0, flags);
    }
    return super.update(flags);
  }

  updateAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number {
    if (this.lru) {
      if (flags > 2) return -EINVAL;
      if (this.percpu) return this.#updateLruPercpu(k, ko, v, vo, flags);
      return this.#updateLru(k, ko, v, vo, flags);
    }
    if (this.percpu) {
      if (flags > 2) return -EINVAL; // __htab_percpu_map_update_elem()
    } else if (flags - (flags & 4) > 2) {
      return -EINVAL; // htab_map_update_elem(): (map_flags & ~BPF_F_LOCK) > BPF_EXIST
    }
    const f = flags & 3;
    const hash = this.hashOf(k, ko);
    const old = this.#find(k, ko, hash);
    // check_flags()
    if (old !== NIL && f === 1) return -EEXIST;
    if (old === NIL && f === 2) return -ENOENT;
    if (old !== NIL && (this.percpu || this.descriptor.type === MapType.hash_of_maps)) {
      // Per-CPU maps and (since Linux 6.8, htab_map_update_elem_in_place()) maps of maps
      // overwrite the value where it is: the element keeps its place in the bucket.
      copyBytes(v, vo, this.arena.u8, this.#recOff(old) + REC_HEADER + this.#kpad, this.#vcopy);
      return 0;
    }
    if (old !== NIL) {
      // The kernel links a fresh element at the bucket head and frees the old one
      // (htab_map_update_elem()); the emulator writes the value in place — its offset
      // stays valid for holders — and moves the element to the head: same order.
      const i32 = this.arena.i32;
      const b = HEADER_WORDS + (hash & this.#mask);
      if (i32[b] !== old) {
        this.#unlink(old, hash);
        i32[this.#recOff(old) >> 2] = i32[b]!;
        i32[b] = old;
      }
      copyBytes(v, vo, this.arena.u8, this.#recOff(old) + REC_HEADER + this.#kpad, this.#vcopy);
      return 0;
    }
    // alloc_htab_elem(): no free element (prealloc) or map full (is_map_full) → E2BIG
    if (this.arena.i32[H_COUNT]! >= this.maxEntries) return -E2BIG;
    const rec = this.#alloc();
    this.#fill(rec, k, ko, v, vo);
    this.#linkHead(rec, hash);
    this.arena.i32[H_COUNT]!++;
    return 0;
  }

  #fill(rec: number, k: Uint8Array, ko: number, v: Uint8Array, vo: number): void {
    const off = this.#recOff(rec);
    const u8 = this.arena.u8;
    copyBytes(k, ko, u8, off + REC_HEADER, this.#ks);
    copyBytes(v, vo, u8, off + REC_HEADER + this.#kpad, this.#vcopy);
  }

  /** htab_lru_map_update_elem(): a node is taken (maybe evicting) before the flags are checked. */
  #updateLru(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number {
    this.#lruMakeRoom();
    const hash = this.hashOf(k, ko);
    const old = this.#find(k, ko, hash);
    if (old !== NIL && flags === 1) return -EEXIST;
    if (old === NIL && flags === 2) return -ENOENT;
    const rec = this.#alloc();
    this.#fill(rec, k, ko, v, vo);
    this.#linkHead(rec, hash);
    this.#lruPush(rec);
    this.arena.i32[H_COUNT]!++;
    if (old !== NIL) this.#remove(old);
    return 0;
  }

  /** __htab_lru_percpu_map_update_elem(): in-place update; a node is taken first unless BPF_EXIST. */
  #updateLruPercpu(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number {
    if (flags !== 2) this.#lruMakeRoom();
    const hash = this.hashOf(k, ko);
    const old = this.#find(k, ko, hash);
    if (old !== NIL && flags === 1) return -EEXIST;
    if (old === NIL && flags === 2) return -ENOENT;
    if (old !== NIL) {
      this.#lruRemove(old);
      this.#lruPush(old);
      copyBytes(v, vo, this.arena.u8, this.#recOff(old) + REC_HEADER + this.#kpad, this.#vcopy);
      return 0;
    }
    const rec = this.#alloc();
    this.#fill(rec, k, ko, v, vo);
    this.#linkHead(rec, hash);
    this.#lruPush(rec);
    this.arena.i32[H_COUNT]!++;
    return 0;
  }

  deleteAt(k: Uint8Array, ko: number): number {
    const rec = this.#find(k, ko, this.hashOf(k, ko));
    if (rec === NIL) return -ENOENT;
    this.#remove(rec);
    return 0;
  }

  protected override lookupAndDeleteAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number): number {
    const rec = this.#find(k, ko, this.hashOf(k, ko));
    if (rec === NIL) return -ENOENT;
    copyBytes(this.arena.u8, this.#recOff(rec) + REC_HEADER + this.#kpad, v, vo, this.#vcopy);
    this.#remove(rec);
    return 0;
  }

  nextKeyAt(k: Uint8Array | null, ko: number, out: Uint8Array, oo: number): number {
    // htab_map_get_next_key(): the next element in the key's bucket, else the first of the
    // next non-empty bucket; a missing key restarts from bucket 0.
    const i32 = this.arena.i32;
    let i = 0;
    if (k) {
      const hash = this.hashOf(k, ko);
      const rec = this.#find(k, ko, hash);
      if (rec !== NIL) {
        const next = i32[this.#recOff(rec) >> 2]!;
        if (next !== NIL) {
          copyBytes(this.arena.u8, this.#recOff(next) + REC_HEADER, out, oo, this.#ks);
          return 0;
        }
        i = (hash & this.#mask) + 1;
      }
    }
    for (; i < this.nBuckets; i++) {
      const head = i32[HEADER_WORDS + i]!;
      if (head !== NIL) {
        copyBytes(this.arena.u8, this.#recOff(head) + REC_HEADER, out, oo, this.#ks);
        return 0;
      }
    }
    return -ENOENT;
  }

  protected override batchOps() {
    return { lookup: true, lookupAndDelete: true, update: true, delete: true };
  }

  /** The value bytes a batch or lookup returns for a record (hash of maps returns inner map ids instead). */
  protected copyValueOut(rec: number, v: Uint8Array, vo: number): void {
    copyBytes(this.arena.u8, this.#recOff(rec) + REC_HEADER + this.#kpad, v, vo, this.#vcopy);
  }

  /** __htab_map_lookup_and_delete_batch(): whole buckets at a time, the cursor is a bucket index. */
  protected override lookupBatch(r: BatchRequest, andDelete: boolean): BatchResult {
    if (r.elemFlags !== (r.elemFlags & 4) || (r.elemFlags & 4)) return { result: -EINVAL, count: r.count };
    if (r.flags) return { result: -EINVAL, count: r.count };
    const max = r.count;
    if (!max) return { result: 0, count: 0 };
    let batch = r.inBatch ? readU32(r.inBatch, 0) : 0;
    if (batch >= this.nBuckets) return { result: -ENOENT, count: 0 };
    const ks = this.#ks;
    const vs = this.descriptor.valueBufferSize;
    const i32 = this.arena.i32;
    let total = 0;
    let ret = 0;
    for (;;) {
      let cnt = 0;
      for (let rec = i32[HEADER_WORDS + batch]!; rec !== NIL; rec = i32[this.#recOff(rec) >> 2]!) cnt++;
      if (cnt > max - total) {
        if (total === 0) ret = -ENOSPC;
        break;
      }
      if (cnt) {
        let rec = i32[HEADER_WORDS + batch]!;
        let n = 0;
        while (rec !== NIL) {
          const next = i32[this.#recOff(rec) >> 2]!;
          copyBytes(this.arena.u8, this.#recOff(rec) + REC_HEADER, r.keys, (total + n) * ks, ks);
          if (r.values) this.copyValueOut(rec, r.values, (total + n) * vs);
          if (andDelete) this.#remove(rec);
          n++;
          rec = next;
        }
      }
      total += cnt;
      batch++;
      if (batch >= this.nBuckets) {
        ret = -ENOENT;
        break;
      }
    }
    if (r.outBatch) writeU32(r.outBatch, 0, batch);
    return { result: ret, count: total };
  }

  /** Every element, in iteration order, as (record index) — for saving and tests. */
  *records(): Generator<number> {
    const i32 = this.arena.i32;
    for (let b = 0; b < this.nBuckets; b++) {
      for (let rec = i32[HEADER_WORDS + b]!; rec !== NIL; rec = i32[this.#recOff(rec) >> 2]!) yield rec;
    }
  }

  /** Key bytes and value offset of a record. */
  recordKeyOffset(rec: number): number {
    return this.#recOff(rec) + REC_HEADER;
  }
}
