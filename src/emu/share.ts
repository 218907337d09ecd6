/**
 * Sharing an emulated map with worker threads. A map created with
 * `{ shared: true }` keeps all its state (elements, indices, free lists, the
 * frozen flag, ring positions) in one SharedArrayBuffer; `shareEmulatedMap`
 * returns a structured-clonable handle and `attachEmulatedMap` (in the worker)
 * turns it back into a MapBackend over the same memory. Every operation on a
 * shared map takes the map's lock (an Atomics mutex in the arena), so threads
 * see each other's updates with the kernel's per-operation atomicity.
 *
 * Shareable: array, percpu_array, hash, percpu_hash, lru_hash, lru_percpu_hash,
 * queue, stack, bloom_filter, ringbuf. (LPM tries, devmap_hash and the object
 * maps keep their index in JavaScript objects and cannot be shared.)
 */
import type { MapBackend, MapDescriptor } from '../maps/backend.js';
import { MapType } from '../sys/constants.js';
import { InvalidArgumentError } from '../sys/errors.js';
import { Arena } from './arena.js';
import { ArrayMap } from './array-map.js';
import { BloomFilterMap } from './bloom-filter.js';
import { EmulatedMap } from './emulated-map.js';
import { HashMap } from './hash-map.js';
import { QueueStackMap } from './queue-stack.js';
import { RingbufMap } from './ringbuf.js';

/** What `postMessage` carries to a worker. */
export interface SharedMapHandle {
  readonly descriptor: MapDescriptor;
  readonly buffer: SharedArrayBuffer;
}

/** The handle of a map created with `{ shared: true }`. Throws InvalidArgumentError otherwise. */
export function shareEmulatedMap(map: MapBackend): SharedMapHandle {
  if (!(map instanceof EmulatedMap) || !map.arena.shared) {
    throw new InvalidArgumentError('shareEmulatedMap: the map must be an emulated map created with { shared: true }');
  }
  return { descriptor: map.descriptor, buffer: map.arena.buffer as SharedArrayBuffer };
}

/** A MapBackend over a shared map's memory, in any thread. Throws InvalidArgumentError for unshareable types. */
export function attachEmulatedMap(handle: SharedMapHandle): MapBackend {
  const d = handle.descriptor;
  const arena = new Arena(handle.buffer);
  switch (d.type) {
    case MapType.array:
    case MapType.percpu_array:
      return new ArrayMap(d, arena);
    case MapType.hash:
    case MapType.percpu_hash:
    case MapType.lru_hash:
    case MapType.lru_percpu_hash:
      return new HashMap(d, { shared: true }, arena);
    case MapType.queue:
    case MapType.stack:
      return new QueueStackMap(d, true, arena);
    case MapType.bloom_filter:
      return new BloomFilterMap(d, { shared: true }, arena);
    case MapType.ringbuf:
      return new RingbufMap(d, true, arena);
  }
  throw new InvalidArgumentError(`attachEmulatedMap: map type ${d.type} cannot be shared`);
}
