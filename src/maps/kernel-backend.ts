/**
 * The kernel implementation of `MapBackend`: each operation is one bpf(2)
 * call. Attrs are encoded once per map with the addresses of the backend's own
 * key/value buffers already in place, so a lookup is `bpf(cmd, attr)` and
 * nothing else — the floor that a C program doing raw syscalls sets.
 */
import type { BatchCommand, BatchRequest, BatchResult, MapBackend, MapDescriptor } from './backend.js';
import { BpfCmd, MapType } from '../sys/constants.js';
import { ELEM_ATTR_SIZE, ElemAttr, mapBatch, mapFreeze } from '../sys/map-cmds.js';
import { native } from '../sys/native.js';

const batchCmd: Record<BatchCommand, number> = {
  lookup: BpfCmd.MAP_LOOKUP_BATCH,
  lookupAndDelete: BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH,
  update: BpfCmd.MAP_UPDATE_BATCH,
  delete: BpfCmd.MAP_DELETE_BATCH,
};

const HASH_LIKE: ReadonlySet<number> = new Set([
  MapType.hash, MapType.percpu_hash, MapType.lru_hash, MapType.lru_percpu_hash, MapType.hash_of_maps,
]);

/** A map dropped without close() still gives its fd back, when the GC collects it (as cilium/ebpf's finalizers do). */
const closer = new FinalizationRegistry<number>((fd) => { native().close(fd); });

export class KernelMapBackend implements MapBackend {
  readonly kind = 'kernel' as const;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly nextKey: Uint8Array;
  readonly batchCursorSize: number;
  #fd: number;
  // One attr per command shape; CHECK_ATTR in kernel/bpf/syscall.c requires every
  // byte after a command's last field to be zero, so DELETE (last field: key) and
  // GET_NEXT_KEY (last field: next_key) cannot share the lookup attr.
  readonly #keyValue: ElemAttr;
  readonly #keyOnly: ElemAttr;
  readonly #next: ElemAttr;
  readonly #nextFirst: ElemAttr;

  constructor(fd: number, readonly descriptor: MapDescriptor) {
    this.#fd = fd;
    closer.register(this, fd, this);
    // Attrs, key, value and next key share one buffer, as a C caller's stack frame
    // would: the hot lookup touches two or three adjacent cache lines, not five
    // scattered allocations.
    //   [4 attrs × 32][key][value][next key], each part 8-byte aligned
    const r8 = (n: number) => (n + 7) & ~7;
    const attrs = 4 * ELEM_ATTR_SIZE;
    const keyOff = attrs, valueOff = keyOff + r8(descriptor.keySize), nextOff = valueOff + r8(descriptor.valueBufferSize);
    const all = new Uint8Array(new ArrayBuffer(nextOff + r8(descriptor.keySize) + 8));
    this.key = all.subarray(keyOff, keyOff + descriptor.keySize);
    this.value = all.subarray(valueOff, valueOff + descriptor.valueBufferSize);
    this.nextKey = all.subarray(nextOff, nextOff + descriptor.keySize);
    // htab batch cursors are u32 bucket indices; the generic (array, lpm) ones are keys.
    this.batchCursorSize = HASH_LIKE.has(descriptor.type) ? 4 : Math.max(descriptor.keySize, 4);
    const n = native();
    const addr = (b: Uint8Array) => n.addressOf(b);
    const slot = (i: number) => all.subarray(i * ELEM_ATTR_SIZE, (i + 1) * ELEM_ATTR_SIZE);
    this.#keyValue = new ElemAttr(fd, this.key, this.value, addr, slot(0));
    this.#keyOnly = new ElemAttr(fd, this.key, null, addr, slot(1));
    this.#next = new ElemAttr(fd, this.key, this.nextKey, addr, slot(2));
    this.#nextFirst = new ElemAttr(fd, null, this.nextKey, addr, slot(3));
  }

  get fd(): number {
    return this.#fd;
  }

  #flags = 0;

  #withFlags(flags: number): ElemAttr {
    const a = this.#keyValue;
    if (flags !== this.#flags) {
      a.setFlags(flags);
      this.#flags = flags;
    }
    return a;
  }

  lookup(flags: number): number {
    return this.#withFlags(flags).call(BpfCmd.MAP_LOOKUP_ELEM);
  }

  update(flags: number): number {
    return this.#withFlags(flags).call(BpfCmd.MAP_UPDATE_ELEM);
  }

  delete(): number {
    return this.#keyOnly.call(BpfCmd.MAP_DELETE_ELEM);
  }

  getNextKey(fromStart: boolean): number {
    return (fromStart ? this.#nextFirst : this.#next).call(BpfCmd.MAP_GET_NEXT_KEY);
  }

  lookupAndDelete(flags: number): number {
    return this.#withFlags(flags).call(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM);
  }

  freeze(): number {
    return mapFreeze(this.#fd);
  }

  batch(command: BatchCommand, r: BatchRequest): BatchResult {
    return mapBatch(batchCmd[command], this.#fd, r.inBatch, r.outBatch, r.keys, r.values, r.count, r.elemFlags, r.flags);
  }

  mmap(writable: boolean): { buffer: ArrayBuffer; release(): void } | number {
    const n = native();
    const d = this.descriptor;
    const page = n.pageSize();
    const stride = (d.valueSize + 7) & ~7;
    const length = Math.max(page, Math.ceil((stride * d.maxEntries) / page) * page);
    const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
    const r = n.mmap(this.#fd, length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, 0);
    if (typeof r === 'number') return r;
    return { buffer: r, release: () => void n.munmap(r) };
  }

  /**
   * Give up the fd without closing it and return it (-1 when already closed):
   * the backend stops using it and its finalizer will not close it, so the caller
   * now owns it (e.g. to close it on another thread, as the test suite does).
   */
  detachFd(): number {
    const fd = this.#fd;
    if (fd >= 0) {
      for (const a of [this.#keyValue, this.#keyOnly, this.#next, this.#nextFirst]) a.registered.release();
      closer.unregister(this);
      this.#fd = -1;
    }
    return fd;
  }

  close(): void {
    const fd = this.detachFd();
    if (fd >= 0) native().close(fd);
  }
}
