/**
 * The maps of a collection: created from their specs (with the object's BTF
 * when it loaded), reused from the caller or from a pin, and filled with
 * their initial contents.
 *
 * Reuse follows libbpf (libbpf.c, map_is_reuse_compat): an existing map
 * stands in for a definition only when type, key size, value size,
 * max_entries, flags and map_extra all agree; otherwise the object would run
 * against a map of a different shape, so loading stops with
 * `IncompatibleMapError`. Reused maps keep their contents: initial values are
 * written only into maps this load created.
 */
import { mkdirSync, readlinkSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BpfMap } from '../maps/map.js';
import { wrapFd, type OpenMapOptions } from '../maps/open.js';
import type { ObjectMapSpec } from '../object/spec.js';
import { Attr, bpf, bpfError, HOST_LE } from '../sys/bpf.js';
import { BpfCmd, MapType, NO_BTF_MAP_TYPES, mapTypeNumber } from '../sys/constants.js';
import { mapCreate, mapFreeze, mapInfoByFd, objGet, objPin, type MapInfo } from '../sys/map-cmds.js';
import { prepareBpffsPath } from '../sys/fs.js';
import { native } from '../sys/native.js';
import { possibleCpuCount } from '../sys/cpus.js';
import { IncompatibleMapError, LoaderError } from './errors.js';

/** One map of a loading collection. */
export interface LoadedMap {
  readonly spec: ObjectMapSpec;
  readonly fd: number;
  /** True when the map came from `options.maps` or a pin: not ours to fill, pin or (for options.maps) close. */
  readonly reused: boolean;
  /** Pin path (LIBBPF_PIN_BY_NAME) this map should have, when it has one. */
  readonly pinPath: string | undefined;
}

/** Fds and pins to release if loading fails half-way. */
export class Cleanup {
  readonly fds: number[] = [];
  readonly pins: string[] = [];
  fd(fd: number): number {
    this.fds.push(fd);
    return fd;
  }
  /** Close every fd and remove every pin, newest first. Never throws. */
  run(): void {
    for (const p of this.pins.splice(0).reverse()) {
      try {
        // A pin is a file on bpffs: removing it drops that reference.
        unlinkSync(p);
      } catch {
        // already gone
      }
    }
    for (const fd of this.fds.splice(0).reverse()) native().close(fd);
  }
}

/** Compare an existing map with a definition. Throws `IncompatibleMapError` naming the first difference. */
export function checkMapCompatible(spec: ObjectMapSpec, info: MapInfo, where: string): void {
  const want: [string, number, number][] = [
    ['type', mapTypeNumber(spec.type), info.type],
    ['keySize', effectiveSizes(spec).keySize, info.keySize],
    ['valueSize', effectiveSizes(spec).valueSize, info.valueSize],
    ['maxEntries', effectiveMaxEntries(spec), info.maxEntries],
    ['flags', spec.flags, info.flags],
    ['mapExtra', Number(spec.mapExtra ?? 0), Number(info.mapExtra)],
  ];
  for (const [field, expected, actual] of want) {
    if (expected !== actual) throw new IncompatibleMapError(spec.realName, field, expected, actual, where);
  }
}

/** perf event arrays declared without max_entries get one slot per possible CPU, as libbpf does. */
function effectiveMaxEntries(spec: ObjectMapSpec): number {
  if (mapTypeNumber(spec.type) === MapType.perf_event_array && spec.maxEntries === 0) return possibleCpuCount();
  return spec.maxEntries;
}

/** BPF_MAP_UPDATE_ELEM with raw key/value bytes. Throws `BpfError`. */
export function updateElem(fd: number, key: Uint8Array, value: Uint8Array, what: string): void {
  const k = new Uint8Array(new ArrayBuffer(key.byteLength));
  k.set(key);
  const v = new Uint8Array(new ArrayBuffer(value.byteLength));
  v.set(value);
  const attr = new Attr(32).u32(0, fd);
  const r = bpf(BpfCmd.MAP_UPDATE_ELEM, attr.bytes, 8, k, 16, v);
  if (r < 0) throw bpfError(-r, 'map update', what);
}

/** A u32 in host order. */
export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, HOST_LE);
  return b;
}

/**
 * Map types whose values are fds or ids: their key/value BTF means nothing to
 * the kernel, which rejects it, so libbpf creates them without (libbpf.c,
 * bpf_object__create_map).
 */

/** Key and value sizes the kernel requires: a perf event array holds 4-byte fds under 4-byte indices. */
function effectiveSizes(spec: ObjectMapSpec): { keySize: number; valueSize: number } {
  if (mapTypeNumber(spec.type) === MapType.perf_event_array) return { keySize: 4, valueSize: 4 };
  return { keySize: spec.keySize, valueSize: spec.valueSize };
}

function createOne(spec: ObjectMapSpec, btfFd: number | undefined, cleanup: Cleanup, existingInner?: number): number {
  let innerFd = 0;
  try {
    if (spec.innerMap) innerFd = createOne(spec.innerMap, btfFd, cleanup);
    const type = mapTypeNumber(spec.type);
    if (NO_BTF_MAP_TYPES.has(type)) btfFd = undefined;
    const base = {
      type, ...effectiveSizes(spec), maxEntries: effectiveMaxEntries(spec),
      flags: spec.flags, innerMapFd: existingInner ?? innerFd, numaNode: spec.numaNode ?? 0, name: spec.name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15),
      ifindex: spec.ifindex ?? 0, mapExtra: spec.mapExtra ?? 0,
    };
    let fd = -22;
    if (btfFd !== undefined && spec.btf) {
      fd = mapCreate({ ...base, btfFd, btfKeyTypeId: spec.btf.keyTypeId, btfValueTypeId: spec.btf.valueTypeId });
      // libbpf retries without BTF when the kernel rejects the map's types (old kernels, odd layouts).
      if (fd === -22 || fd === -524 || fd === -95) {
        const plain = mapCreate(base);
        if (plain >= 0) fd = plain;
      }
    } else {
      fd = mapCreate(base);
    }
    if (fd < 0) {
      const t = typeof spec.type === 'number' ? `type ${spec.type}` : spec.type;
      throw new LoaderError('EMAPCREATE', `map ${spec.realName}`, `create ${t} (key ${spec.keySize}, value ${spec.valueSize}, max_entries ${base.maxEntries}, flags 0x${spec.flags.toString(16)})`, { cause: bpfError(-fd, 'BPF_MAP_CREATE', spec.realName) });
    }
    return fd;
  } finally {
    // The kernel copied the inner template's shape (kernel/bpf/map_in_map.c); the template itself is not kept.
    if (innerFd > 0) {
      native().close(innerFd);
      const i = cleanup.fds.indexOf(innerFd);
      if (i >= 0) cleanup.fds.splice(i, 1);
    }
  }
}

export interface CreateMapsOptions {
  readonly btfFd: number | undefined;
  /** Existing maps to use instead of creating (by real name). They stay owned by the caller. */
  readonly reuse: Readonly<Record<string, BpfMap<any, any>>>;
  /** Directory for LIBBPF_PIN_BY_NAME maps; undefined disables pinning. */
  readonly pinRoot: string | undefined;
  /** Initial value overrides of data maps (realName → bytes). */
  readonly data: ReadonlyMap<string, Uint8Array>;
}

/**
 * Create or reuse every map. Fds the load owns are registered in `cleanup`.
 * Throws `IncompatibleMapError`, `LoaderError` (EMAPCREATE with the kernel's
 * error as cause) or `BpfError`.
 */
export function createMaps(maps: readonly ObjectMapSpec[], options: CreateMapsOptions, cleanup: Cleanup): Map<string, LoadedMap> {
  const out = new Map<string, LoadedMap>();
  const byIproute2Id = new Map<number, ObjectMapSpec>();
  for (const m of maps) if (m.iproute2 && m.iproute2.id !== 0) byIproute2Id.set(m.iproute2.id, m);
  const ensure = (spec: ObjectMapSpec, depth = 0): LoadedMap => {
    const done = out.get(spec.realName);
    if (done) return done;
    if (depth > 8) throw new LoaderError('EBADMAP', `map ${spec.realName}`, 'iproute2 inner_id references form a loop');
    // iproute2 map-in-map: the outer names its inner template by `inner_id` (include/bpf_elf.h).
    let innerFd: number | undefined;
    const innerId = spec.iproute2?.innerId ?? 0;
    if (!spec.innerMap && innerId !== 0) {
      const inner = byIproute2Id.get(innerId);
      if (!inner) throw new LoaderError('ENOMAP', `map ${spec.realName}`, `inner_id ${innerId} names no map of the object`);
      innerFd = ensure(inner, depth + 1).fd;
    }
    const loaded = openOrCreate(spec, options, cleanup, innerFd);
    out.set(spec.realName, loaded);
    return loaded;
  };
  for (const spec of maps) ensure(spec);
  // Map-in-map slots refer to other maps of the object, so they are filled once all exist.
  for (const m of out.values()) {
    if (m.reused) continue;
    for (const slot of m.spec.slots ?? []) {
      if (slot.kind !== 'map') continue;
      const inner = out.get(slot.name);
      if (!inner) throw new LoaderError('ENOMAP', `map ${m.spec.realName}`, `slot ${slot.key} refers to map ${slot.name}, which the object does not define`);
      updateElem(m.fd, u32Bytes(slot.key), u32Bytes(inner.fd), `${m.spec.realName}[${slot.key}] = ${slot.name}`);
    }
    const innerId = m.spec.iproute2?.innerId ?? 0;
    if (innerId !== 0 && !m.spec.innerMap) {
      // The inner map goes into the outer at its own `inner_idx`, as tc does.
      const inner = out.get(byIproute2Id.get(innerId)!.realName)!;
      const idx = inner.spec.iproute2?.innerIdx ?? 0;
      updateElem(m.fd, u32Bytes(idx), u32Bytes(inner.fd), `${m.spec.realName}[${idx}] = ${inner.spec.realName}`);
    }
  }
  return out;
}

function openOrCreate(spec: ObjectMapSpec, options: CreateMapsOptions, cleanup: Cleanup, innerFd: number | undefined): LoadedMap {
  const given = options.reuse[spec.realName];
  const pinPath = pinPathOf(spec, options.pinRoot);
  if (given) {
    checkMapCompatible(spec, mapInfoByFd(given.fd), 'the map given in options.maps');
    return { spec, fd: given.fd, reused: true, pinPath: undefined };
  }
  if (pinPath) {
    prepareBpffsPath(pinPath);
    const fd = objGet(pinPath);
    if (fd >= 0) {
      cleanup.fd(fd);
      if (!isMapFd(fd)) throw new LoaderError('ENOTMAP', `map ${spec.realName}`, `${pinPath} holds a pinned object that is not a map`);
      checkMapCompatible(spec, mapInfoByFd(fd), `the map pinned at ${pinPath}`);
      return { spec, fd, reused: true, pinPath };
    }
    if (fd !== -2) throw bpfError(-fd, 'map open', `pinned ${pinPath}`);
  }
  const fd = cleanup.fd(createOne(spec, options.btfFd, cleanup, innerFd));
  const data = options.data.get(spec.realName) ?? spec.data;
  // .bss starts zeroed in the kernel; write it only when the caller set something.
  if (data && (!spec.section.startsWith('.bss') || data.some((b) => b !== 0))) {
    updateElem(fd, u32Bytes(0), data, `initial value of ${spec.realName}`);
  }
  return { spec, fd, reused: false, pinPath };
}

/** The kernel names map fds `anon_inode:bpf-map` (kernel/bpf/syscall.c, bpf_map_new_fd). */
function isMapFd(fd: number): boolean {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:bpf-map';
  } catch {
    return true; // no /proc: let the info call decide
  }
}

/** Where a map is pinned: libbpf LIBBPF_PIN_BY_NAME under the root; iproute2 PIN_GLOBAL_NS under `<root>/tc/globals`. */
function pinPathOf(spec: ObjectMapSpec, root: string | undefined): string | undefined {
  if (root === undefined) return undefined;
  if (spec.pinning === 1) return join(root, spec.realName);
  if (spec.iproute2?.pinning === 2) return join(root, 'tc', 'globals', spec.realName);
  return undefined;
}

/** Freeze maps that must be read-only for user space (`.rodata`, `.kconfig`), once their contents are final. */
export function freezeMaps(maps: Map<string, LoadedMap>): void {
  for (const m of maps.values()) {
    if (m.reused || !m.spec.freeze) continue;
    const r = mapFreeze(m.fd);
    if (r < 0) throw bpfError(-r, 'BPF_MAP_FREEZE', m.spec.realName);
  }
}

/** Pin newly created LIBBPF_PIN_BY_NAME maps. Pins are registered in `cleanup`. */
export function pinMaps(maps: Map<string, LoadedMap>, cleanup: Cleanup): void {
  for (const m of maps.values()) {
    if (m.reused || !m.pinPath) continue;
    prepareBpffsPath(m.pinPath);
    // libbpf creates missing directories below the pin root as well.
    mkdirSync(dirname(m.pinPath), { recursive: true });
    const r = objPin(m.fd, m.pinPath);
    if (r < 0) throw bpfError(-r, 'map pin', `${m.spec.realName} at ${m.pinPath}`);
    cleanup.pins.push(m.pinPath);
  }
}

/**
 * How a loaded map's keys and values are typed: the object's BTF types the map
 * even where the kernel holds none for it (fd maps such as devmap refuse BTF),
 * and data maps are one-element arrays keyed by a u32 index.
 */
export function loadedMapTypes(s: ObjectMapSpec): OpenMapOptions {
  return {
    ...(s.btf ? { btf: s.btf } : {}),
    ...(s.source === 'data' || s.source === 'kconfig' ? { key: 'u32' as const } : {}),
  };
}

/** Wrap a loaded map's fd in a `BpfMap` (a dup, so the collection and the wrapper close independently). */
export function wrapLoadedMap(m: LoadedMap): BpfMap<any, any> {
  const fd = native().dup(m.fd);
  if (fd < 0) throw bpfError(-fd, 'dup', `map ${m.spec.realName}`);
  try {
    return wrapFd(fd, mapInfoByFd(fd), loadedMapTypes(m.spec));
  } catch (e) {
    native().close(fd);
    throw e;
  }
}
