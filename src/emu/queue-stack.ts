/**
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c):
 * a ring of `max_entries + 1` value slots with head and tail indices, kept in
 * the arena header so threads sharing the map agree on them.
 *
 * From the syscall side: update = push (BPF_EXIST overwrites the oldest when
 * full), lookup = peek, lookup_and_delete = pop; delete and get_next_key are EINVAL.
 *
 *   0                 size * value_size
 *   | slot 0 | slot 1 | ... | header (head, tail) |
 */
import type { MapDescriptor } from '../maps/backend.js';
import { MapType } from '../sys/constants.js';
import { Arena } from './arena.js';
import { copyBytes } from './bytes.js';
import { E2BIG, EINVAL, ENOENT } from './errno.js';
import { EmulatedMap, HEADER_WORDS } from './emulated-map.js';

const H_HEAD = 3;
const H_TAIL = 4;

export class QueueStackMap extends EmulatedMap {
  readonly isStack: boolean;
  /** Slots in the ring: max_entries + 1 (one always empty to tell full from empty). */
  readonly size: number;
  readonly #vs: number;

  constructor(d: MapDescriptor, shared = false, arena?: Arena) {
    const size = d.maxEntries + 1;
    const header = Math.ceil((size * d.valueSize) / 8) * 8;
    super(d, arena ?? new Arena(header + HEADER_WORDS * 4, shared), header, 4);
    this.isStack = d.type === MapType.stack;
    this.size = size;
    this.#vs = d.valueSize;
  }

  get head(): number {
    return this.arena.i32[this.hdr + H_HEAD]!;
  }

  get tail(): number {
    return this.arena.i32[this.hdr + H_TAIL]!;
  }

  /** Elements held. */
  get length(): number {
    return (this.head - this.tail + this.size) % this.size;
  }

  protected override keyless(): boolean {
    return true;
  }

  /** Peek: the oldest element for a queue, the newest for a stack. */
  lookupAt(_k: Uint8Array, _ko: number, v: Uint8Array, vo: number): number {
    return this.#take(v, vo, false);
  }

  /** Push (queue_stack_map_push_elem()). */
  updateAt(_k: Uint8Array, _ko: number, v: Uint8Array, vo: number, flags: number): number {
    if ((flags & 1) || flags > 2) return -EINVAL;
    const i32 = this.arena.i32;
    let head = i32[this.hdr + H_HEAD]!;
    let tail = i32[this.hdr + H_TAIL]!;
    if ((head + 1) % this.size === tail) {
      if (!(flags & 2)) return -E2BIG;
      // BPF_EXIST: drop the oldest element to make room.
      if (++tail >= this.size) tail = 0;
      i32[this.hdr + H_TAIL] = tail;
    }
    copyBytes(v, vo, this.arena.u8, head * this.#vs, this.#vs);
    if (++head >= this.size) head = 0;
    i32[this.hdr + H_HEAD] = head;
    return 0;
  }

  deleteAt(): number {
    return -EINVAL;
  }

  nextKeyAt(): number {
    return -EINVAL;
  }

  /** Pop. */
  protected override lookupAndDeleteAt(_k: Uint8Array, _ko: number, v: Uint8Array, vo: number): number {
    return this.#take(v, vo, true);
  }

  #take(v: Uint8Array, vo: number, remove: boolean): number {
    const i32 = this.arena.i32;
    const head = i32[this.hdr + H_HEAD]!;
    const tail = i32[this.hdr + H_TAIL]!;
    if (head === tail) return -ENOENT;
    if (this.isStack) {
      const index = head === 0 ? this.size - 1 : head - 1;
      copyBytes(this.arena.u8, index * this.#vs, v, vo, this.#vs);
      if (remove) i32[this.hdr + H_HEAD] = index;
    } else {
      copyBytes(this.arena.u8, tail * this.#vs, v, vo, this.#vs);
      if (remove) i32[this.hdr + H_TAIL] = tail + 1 >= this.size ? 0 : tail + 1;
    }
    return 0;
  }
}
