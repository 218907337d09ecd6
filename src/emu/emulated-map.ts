/**
 * What every emulated map shares: the syscall-side checks of
 * kernel/bpf/syscall.c that run before a map type's own code (flags, file
 * permissions from BPF_F_RDONLY / BPF_F_WRONLY, freeze), scratch buffers, the
 * generic batch commands (generic_map_lookup_batch / update / delete) and the
 * map's identity (id and handle).
 *
 * Each public method returns what bpf(2) would: 0 / a count, or -errno.
 */
import type { BatchCommand, BatchRequest, BatchResult, MapBackend, MapDescriptor } from '../maps/backend.js';
import { ElemFlags, MapFlags } from '../sys/constants.js';
import { Arena, lockWord, unlockWord } from './arena.js';
import { EBADF, EBUSY, EFAULT, EINVAL, ENOENT, ENOTSUPP, EPERM } from './errno.js';

const LOCK = ElemFlags.LOCK;

/** Emulated map ids and handles come from one counter each, like the kernel's IDR. */
let nextId = 1;
/**
 * Handles stand in for file descriptors where a map is named by number (a map-in-map
 * value, `innerMapFd`). They start high so they never collide with a real fd.
 */
const HANDLE_BASE = 0x40000000;
let nextHandle = HANDLE_BASE;
const liveHandles = new Map<number, WeakRef<EmulatedMap>>();

/** The emulated map a handle names, if it is still open. */
export function mapByHandle(handle: number): EmulatedMap | undefined {
  const m = liveHandles.get(handle)?.deref();
  return m && !m.closed ? m : undefined;
}

/** A buffer of `size` bytes whose backing store is 8-byte aligned (and at least 8 bytes long). */
export function scratch(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(Math.max(8, Math.ceil(size / 8) * 8)), 0, size);
}

/** Header words every arena carries (at `headerOffset`): */
export const H_LOCK = 0;
export const H_FROZEN = 1;
export const H_WRITECNT = 2;
/** Words 3..15 belong to the map type. */
export const HEADER_WORDS = 16;

export abstract class EmulatedMap implements MapBackend {
  readonly kind = 'emulator' as const;
  readonly fd = -1;
  readonly descriptor: MapDescriptor;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly nextKey: Uint8Array;
  readonly batchCursorSize: number;
  /** The map's id (what a map-in-map lookup returns for it). */
  readonly id: number;
  /** A number standing for this map where a file descriptor is expected (inner map values, `innerMapFd`). */
  readonly handle: number;
  readonly arena: Arena;
  /** Int32 index of the common header in `arena.i32`. */
  protected readonly hdr: number;
  protected readonly canRead: boolean;
  protected readonly canWriteFlags: boolean;
  #closed = false;

  protected constructor(descriptor: MapDescriptor, arena: Arena, headerOffset: number, batchCursorSize: number) {
    this.descriptor = descriptor;
    this.arena = arena;
    this.hdr = headerOffset >> 2;
    this.key = scratch(descriptor.keySize);
    this.value = scratch(descriptor.valueBufferSize);
    this.nextKey = scratch(descriptor.keySize);
    this.batchCursorSize = batchCursorSize;
    // bpf_get_file_flag(): the fd of a BPF_F_RDONLY map is O_RDONLY, of BPF_F_WRONLY O_WRONLY.
    this.canRead = (descriptor.flags & MapFlags.WRONLY) === 0;
    this.canWriteFlags = (descriptor.flags & MapFlags.RDONLY) === 0;
    this.id = descriptor.id || nextId++;
    this.handle = nextHandle++;
    liveHandles.set(this.handle, new WeakRef(this));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get frozen(): boolean {
    return this.arena.i32[this.hdr + H_FROZEN] !== 0;
  }

  /** @internal Restore the frozen state of a loaded map. */
  restoreFrozen(): void {
    Atomics.store(this.arena.i32, this.hdr + H_FROZEN, 1);
  }

  /** map_get_sys_perms(): a frozen map is not writable from the syscall side. */
  protected writable(): boolean {
    return this.canWriteFlags && this.arena.i32[this.hdr + H_FROZEN] === 0;
  }

  protected lock(): void {
    if (this.arena.shared) lockWord(this.arena.i32, this.hdr + H_LOCK);
  }

  protected unlock(): void {
    if (this.arena.shared) unlockWord(this.arena.i32, this.hdr + H_LOCK);
  }

  // ---- what each map type implements, on arbitrary buffers (used by single and batch commands) ----
  /** Copy the value for the key at k[ko] to v[vo]; 0 or -errno. */
  abstract lookupAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number;
  abstract updateAt(k: Uint8Array, ko: number, v: Uint8Array, vo: number, flags: number): number;
  abstract deleteAt(k: Uint8Array, ko: number): number;
  /** Next key after k[ko] (or the first when k is null) into out[oo]. */
  abstract nextKeyAt(k: Uint8Array | null, ko: number, out: Uint8Array, oo: number): number;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM after the syscall checks; ENOTSUPP for types without it. */
  protected lookupAndDeleteAt(_k: Uint8Array, _ko: number, _v: Uint8Array, _vo: number, _flags: number): number {
    return -ENOTSUPP;
  }
  /** Which batch commands the type has (bpf_map_ops.map_*_batch); absent ones answer ENOTSUPP. */
  protected batchOps(): { lookup?: boolean; lookupAndDelete?: boolean; update?: boolean; delete?: boolean } {
    return {};
  }

  // ---- MapBackend: kernel/bpf/syscall.c checks, then the type ----
  lookup(flags: number): number {
    if (this.#closed) return -EBADF;
    if (flags !== (flags & LOCK)) return -EINVAL; // map_lookup_elem(): flags & ~BPF_F_LOCK
    if (!this.canRead) return -EPERM;
    if (flags & LOCK) return -EINVAL; // no bpf_spin_lock in emulated values
    this.lock();
    try {
      return this.lookupAt(this.key, 0, this.value, 0, flags);
    } finally {
      this.unlock();
    }
  }

  update(flags: number): number {
    if (this.#closed) return -EBADF;
    if (!this.writable()) return -EPERM;
    if (flags & LOCK) return -EINVAL;
    this.lock();
    try {
      return this.updateAt(this.key, 0, this.value, 0, flags);
    } finally {
      this.unlock();
    }
  }

  delete(): number {
    if (this.#closed) return -EBADF;
    if (!this.writable()) return -EPERM;
    this.lock();
    try {
      return this.deleteAt(this.key, 0);
    } finally {
      this.unlock();
    }
  }

  getNextKey(fromStart: boolean): number {
    if (this.#closed) return -EBADF;
    if (!this.canRead) return -EPERM;
    this.lock();
    try {
      return this.nextKeyAt(fromStart ? null : this.key, 0, this.nextKey, 0);
    } finally {
      this.unlock();
    }
  }

  lookupAndDelete(flags: number): number {
    if (this.#closed) return -EBADF;
    if (flags !== (flags & LOCK)) return -EINVAL;
    if (!this.canRead || !this.writable()) return -EPERM;
    if (flags !== 0 && this.keyless()) return -EINVAL; // queue/stack take no flags
    if (flags & LOCK) return -EINVAL;
    this.lock();
    try {
      return this.lookupAndDeleteAt(this.key, 0, this.value, 0, flags);
    } finally {
      this.unlock();
    }
  }

  /** Queue and stack: pop takes no flags (map_lookup_and_delete_elem()). */
  protected keyless(): boolean {
    return false;
  }

  freeze(): number {
    if (this.#closed) return -EBADF;
    // map_freeze(): needs write permission (so a second freeze is EPERM), no writable mmap.
    if (!this.writable()) return -EPERM;
    const i32 = this.arena.i32;
    if (Atomics.load(i32, this.hdr + H_WRITECNT) > 0) return -EBUSY;
    Atomics.store(i32, this.hdr + H_FROZEN, 1);
    return 0;
  }

  batch(command: BatchCommand, r: BatchRequest): BatchResult {
    if (this.#closed) return { result: -EBADF, count: r.count };
    // bpf_map_do_batch(): read and write permission, then the type's op or ENOTSUPP.
    const read = command === 'lookup' || command === 'lookupAndDelete';
    const write = command !== 'lookup';
    if (read && !this.canRead) return { result: -EPERM, count: r.count };
    if (write && !this.writable()) return { result: -EPERM, count: r.count };
    const ops = this.batchOps();
    if (!ops[command]) return { result: -ENOTSUPP, count: r.count };
    // Buffers shorter than `count` elements: the kernel would fault copying (EFAULT); never read past them.
    const d = this.descriptor;
    const needKeys = r.count * d.keySize;
    const needValues = command === 'delete' ? 0 : r.count * d.valueBufferSize;
    if (r.keys.length < needKeys || (needValues && (!r.values || r.values.length < needValues)) ||
        (r.inBatch && r.inBatch.length < this.batchCursorSize) || (r.outBatch && r.outBatch.length < this.batchCursorSize)) {
      return { result: -EFAULT, count: 0 };
    }
    this.lock();
    try {
      switch (command) {
        case 'lookup': return this.lookupBatch(r, false);
        case 'lookupAndDelete': return this.lookupBatch(r, true);
        case 'update': return this.genericUpdateBatch(r);
        case 'delete': return this.genericDeleteBatch(r);
      }
    } finally {
      this.unlock();
    }
    return { result: -EINVAL, count: r.count };
  }

  /** Batch lookup: generic_map_lookup_batch() unless the type walks its own way (hash maps). */
  protected lookupBatch(r: BatchRequest, _andDelete: boolean): BatchResult {
    return this.genericLookupBatch(r);
  }

  /** generic_map_lookup_batch(): walk with get_next_key from the cursor key; ENOENT at the end. */
  protected genericLookupBatch(r: BatchRequest): BatchResult {
    // batch.flags is not checked by generic_map_lookup_batch().
    if (r.elemFlags !== (r.elemFlags & LOCK) || (r.elemFlags & LOCK)) return { result: -EINVAL, count: r.count };
    const max = r.count;
    if (!max) return { result: 0, count: 0 };
    const ks = this.descriptor.keySize;
    const vs = this.descriptor.valueBufferSize;
    let prev: Uint8Array | null = null;
    let a = scratch(ks);
    let b = scratch(ks);
    if (r.inBatch) {
      a.set(r.inBatch.subarray(0, ks));
      prev = a;
    }
    let cur = b;
    let cp = 0;
    let err = 0;
    const value = scratch(vs);
    while (cp < max) {
      err = this.nextKeyAt(prev, 0, cur, 0);
      if (err) break;
      err = this.lookupAt(cur, 0, value, 0, 0);
      if (err === -ENOENT) {
        err = 0;
      } else if (err) {
        return { result: err, count: 0 };
      } else {
        r.keys.set(cur, cp * ks);
        if (r.values) r.values.set(value, cp * vs);
        cp++;
      }
      // swap(prev_key, key)
      const t: Uint8Array = prev ?? (cur === a ? b : a);
      prev = cur;
      cur = t;
    }
    if (cp && r.outBatch && prev) r.outBatch.set(prev.subarray(0, ks));
    return { result: err, count: cp };
  }

  /** generic_map_update_batch(): elem_flags may only be BPF_F_LOCK; stop at the first failure. */
  protected genericUpdateBatch(r: BatchRequest): BatchResult {
    if (r.elemFlags !== (r.elemFlags & LOCK) || (r.elemFlags & LOCK)) return { result: -EINVAL, count: r.count };
    const max = r.count;
    if (!max) return { result: 0, count: 0 };
    const ks = this.descriptor.keySize;
    const vs = this.descriptor.valueBufferSize;
    const values = r.values ?? new Uint8Array(0); // present and long enough (checked in batch())
    let cp = 0;
    let err = 0;
    for (; cp < max; cp++) {
      err = this.updateAt(r.keys, cp * ks, values, cp * vs, r.elemFlags);
      if (err) break;
    }
    return { result: err, count: cp };
  }

  /** generic_map_delete_batch(): stop at the first failure. */
  protected genericDeleteBatch(r: BatchRequest): BatchResult {
    if (r.elemFlags !== (r.elemFlags & LOCK) || (r.elemFlags & LOCK)) return { result: -EINVAL, count: r.count };
    const max = r.count;
    if (!max) return { result: 0, count: 0 };
    const ks = this.descriptor.keySize;
    let cp = 0;
    let err = 0;
    for (; cp < max; cp++) {
      err = this.deleteAt(r.keys, cp * ks);
      if (err) break;
    }
    return { result: err, count: cp };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    liveHandles.delete(this.handle);
  }
}
