/**
 * Value slots for map types whose index structure lives in JavaScript (the LPM
 * trie): values still sit in the arena at stable offsets. Freed slots follow the
 * emulator's reuse rule (see hash-map.ts): reused only after the event-loop turn
 * that freed them, unless more than `slack` were freed within one turn.
 */
import { Arena } from './arena.js';

export class SlotAllocator {
  readonly arena: Arena;
  readonly slotSize: number;
  readonly capacity: number;
  #used = 0;
  readonly #free: number[] = [];
  readonly #limbo: { slot: number; epoch: number }[] = [];
  #epoch = 0;
  #scheduled = false;

  constructor(slotSize: number, maxEntries: number, headerBytes: number) {
    this.slotSize = Math.ceil(Math.max(slotSize, 1) / 8) * 8;
    this.capacity = maxEntries + Math.min(maxEntries, 1024);
    this.base = Math.ceil(headerBytes / 8) * 8;
    this.arena = new Arena(this.base + Math.min(this.capacity, 64) * this.slotSize);
  }

  /** Byte offset of the first slot (after the map's header). */
  readonly base: number;

  offset(slot: number): number {
    return this.base + slot * this.slotSize;
  }

  alloc(): number {
    const f = this.#free.pop();
    if (f !== undefined) return f;
    const head = this.#limbo[0];
    if (head && (head.epoch !== this.#epoch || this.#used >= this.capacity)) return this.#limbo.shift()!.slot;
    if (this.#used < this.capacity) {
      const need = this.base + (this.#used + 1) * this.slotSize;
      if (need > this.arena.byteLength) this.arena.grow(Math.min(this.base + this.capacity * this.slotSize, Math.max(need, this.arena.byteLength * 2)));
      return this.#used++;
    }
    return this.#limbo.shift()!.slot;
  }

  free(slot: number): void {
    this.#limbo.push({ slot, epoch: this.#epoch });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#epoch++;
      }).unref();
    }
  }
}
