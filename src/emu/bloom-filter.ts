/**
 * BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bit array of
 * `roundup_pow_of_two(max_entries * nr_hash_funcs * 7 / 5)` bits (at least 64),
 * set and tested with `nr_hash_funcs` seeded jhash / jhash2 hashes of the value,
 * exactly as the kernel computes them. With BPF_F_ZERO_SEED the emulator's
 * answers, false positives included, are the kernel's.
 *
 * Syscall side: update = push (BPF_ANY only), lookup = peek (the value is the
 * input: 0 when maybe present, ENOENT when surely absent); pop, delete and
 * get_next_key are EOPNOTSUPP.
 */
import type { MapDescriptor } from '../maps/backend.js';
import { MapFlags } from '../sys/constants.js';
import { Arena } from './arena.js';
import { readU32 } from './bytes.js';
import { EINVAL, ENOENT, EOPNOTSUPP } from './errno.js';
import { EmulatedMap, HEADER_WORDS } from './emulated-map.js';
import { jhashBytes, jhashWords } from './jhash.js';
import { bloomGeometry } from './validate.js';

const H_SEED = 3;

export class BloomFilterMap extends EmulatedMap {
  readonly hashes: number;
  readonly bitMask: number;
  readonly bitsetBytes: number;
  readonly #vs: number;
  readonly #words: Int32Array;

  constructor(d: MapDescriptor, options: { shared?: boolean; seed?: number } = {}, arena?: Arena) {
    const g = bloomGeometry(d.maxEntries, Number(BigInt(d.mapExtra) & 0xfn));
    const fresh = !arena;
    super(d, arena ?? new Arena(g.bytes + HEADER_WORDS * 4, options.shared ?? false), g.bytes, 4);
    this.hashes = g.hashes;
    this.bitMask = g.mask;
    this.bitsetBytes = g.bytes;
    this.#vs = d.valueSize;
    this.#words = new Int32Array(d.valueSize % 4 === 0 ? d.valueSize / 4 : 0);
    if (fresh) {
      this.arena.i32[this.hdr + H_SEED] = d.flags & MapFlags.ZERO_SEED ? 0 : (options.seed ?? (Math.random() * 0x100000000) >>> 0) | 0;
    }
  }

  protected override keyless(): boolean {
    return false; // pop on a bloom filter is EOPNOTSUPP whatever the flags
  }

  /** hash(): jhash2 when the value is whole u32 words, else jhash; seed + index per function. */
  #bit(v: Uint8Array, vo: number, i: number): number {
    const seed = (this.arena.i32[this.hdr + H_SEED]! + i) | 0;
    let h: number;
    if (this.#words.length) {
      const w = this.#words;
      for (let j = 0; j < w.length; j++) w[j] = readU32(v, vo + 4 * j) | 0;
      h = jhashWords(w, 0, w.length, seed);
    } else {
      h = jhashBytes(v, vo, this.#vs, seed);
    }
    return (h & this.bitMask) >>> 0;
  }

  /** Peek: the value is read from the value buffer. */
  lookupAt(_k: Uint8Array, _ko: number, v: Uint8Array, vo: number): number {
    const u8 = this.arena.u8;
    for (let i = 0; i < this.hashes; i++) {
      const b = this.#bit(v, vo, i);
      if (!(u8[b >>> 3]! & (1 << (b & 7)))) return -ENOENT;
    }
    return 0;
  }

  /** Push: only BPF_ANY. */
  updateAt(_k: Uint8Array, _ko: number, v: Uint8Array, vo: number, flags: number): number {
    if (flags !== 0) return -EINVAL;
    const u8 = this.arena.u8;
    for (let i = 0; i < this.hashes; i++) {
      const b = this.#bit(v, vo, i);
      u8[b >>> 3] = u8[b >>> 3]! | (1 << (b & 7));
    }
    return 0;
  }

  deleteAt(): number {
    return -EOPNOTSUPP;
  }

  nextKeyAt(): number {
    return -EOPNOTSUPP;
  }
}
