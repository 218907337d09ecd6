/**
 * `createMap`: turn a `MapSpec` into a live map on a backend. All validation
 * that can happen before the syscall happens here, with the expected value in
 * the message; what only the kernel knows comes back as its errno.
 */
import type { MapBackend, MapDescriptor } from './backend.js';
import type { MapSpec } from './spec.js';
import type { Codec } from '../codec/codec.js';
import type { TypeDecl } from '../codec/declared-types.js';
import { codecFor } from '../codec/index.js';
import { BpfMap } from './map.js';
import { KernelMapBackend } from './kernel-backend.js';
import { perCpuCodec, rawCodec } from './value-codecs.js';
import { bpfError } from '../sys/bpf.js';
import { KEYLESS_MAP_TYPES, MapFlags, MapType, NO_BTF_MAP_TYPES, PERCPU_MAP_TYPES, mapTypeName, mapTypeNumber } from '../sys/constants.js';
import { InvalidArgumentError, SizeMismatchError } from '../sys/errors.js';
import { mapCreate, mapInfoByFd } from '../sys/map-cmds.js';
import { possibleCpuCount } from '../sys/cpus.js';
import { native } from '../sys/native.js';
import { backendFactory } from './backend-registry.js';
import { loadMapBtf, btfCodecs } from './map-btf.js';
import type { DeclValue, PerCpu } from './typing.js';

export type BackendName = 'kernel' | 'emulator';

const ARRAY_LIKE: ReadonlySet<number> = new Set([MapType.array, MapType.percpu_array]);

export interface CreateMapOptions {
  /**
   * `'kernel'` (default) creates the map with bpf(2); `'emulator'` keeps it in this process with the
   * kernel's semantics. The default can be changed with the EBPF_DEFAULT_BACKEND environment variable.
   */
  readonly backend?: BackendName;
}

/** BPF_OBJ_NAME_LEN is 16 including the NUL; kernel/bpf/syscall.c bpf_obj_name_cpy() allows [A-Za-z0-9_.]. */
const NAME_RE = /^[A-Za-z0-9_.]*$/;

/** Key and value types of the map `createMap(spec)` returns. */
export type MapOf<S extends MapSpec> = BpfMap<
  S['key'] extends TypeDecl ? DeclValue<S['key']> : S['btf'] extends object ? any : Uint8Array,
  PerCpu<S['type'], S['value'] extends TypeDecl ? DeclValue<S['value']> : S['btf'] extends object ? any : Uint8Array>
>;

/**
 * Create a map.
 *
 * @throws InvalidArgumentError / SizeMismatchError before any syscall: unknown type name, sizes that
 *   disagree with the declared key/value types, non-integer sizes, a name with characters the kernel rejects.
 * @throws BpfError with the kernel's errno: EINVAL (bad size/flags for this type), E2BIG, ENOMEM,
 *   PermissionError (EPERM: needs CAP_BPF, or CAP_SYS_ADMIN before Linux 5.8).
 *   Map types appeared over time: hash/array 3.19, percpu 4.6, lru 4.10, lpm_trie 4.11, map-in-map 4.12,
 *   devmap 4.14, cpumap/xskmap 4.15, queue/stack 4.20, devmap_hash 5.4, ringbuf 5.8, bloom_filter 5.16, arena 6.9.
 */
export function createMap<const S extends MapSpec>(spec: S, options?: CreateMapOptions): MapOf<S> {
  const { descriptor, keyCodec, valueCodec } = resolveSpec(spec);
  // EBPF_DEFAULT_BACKEND=emulator runs code written for the kernel on the emulator (tests without root).
  const backendName = options?.backend ?? (process.env.EBPF_DEFAULT_BACKEND as BackendName | undefined) ?? 'kernel';
  let backend: MapBackend;
  if (backendName === 'kernel') backend = createKernelBackend(spec, descriptor);
  else if (backendName === 'emulator') backend = backendFactory('emulator')(descriptor, spec);
  else throw new InvalidArgumentError(`backend must be 'kernel' or 'emulator', got '${String(backendName)}'`);
  try {
    return new BpfMap(backend, keyCodec, valueCodec) as unknown as MapOf<S>;
  } catch (e) {
    backend.close();
    throw e;
  }
}

function positiveInt(what: string, v: unknown, allowZero = true): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff || (!allowZero && v === 0)) {
    throw new InvalidArgumentError(`${what} must be an integer ${allowZero ? '>= 0' : '> 0'} and < 2^32, got ${String(v)}`);
  }
  return v;
}

/** Validate a spec and derive its descriptor and codecs (no syscall except reading the possible-CPU count). */
export function resolveSpec(spec: MapSpec): { descriptor: MapDescriptor; keyCodec: Codec<unknown>; valueCodec: Codec<unknown> } {
  if (spec === null || typeof spec !== 'object') throw new InvalidArgumentError('map spec must be an object');
  let type: number;
  try {
    type = mapTypeNumber(spec.type);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  const name = spec.name ?? '';
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new InvalidArgumentError(`map name '${String(name)}' may only contain letters, digits, '_' and '.'`);
  }
  const btfCodec = spec.btf ? btfCodecs(spec.btf) : undefined;
  let keyTyped: Codec<unknown> | undefined = spec.key !== undefined ? codecFor(spec.key) : btfCodec?.key;
  let valueTyped: Codec<unknown> | undefined = spec.value !== undefined ? codecFor(spec.value) : btfCodec?.value;
  const keySize = spec.keySize !== undefined
    ? positiveInt('keySize', spec.keySize)
    : keyTyped ? keyTyped.size : KEYLESS_MAP_TYPES.has(type) ? 0 : missing('keySize', spec);
  const valueSize = spec.valueSize !== undefined
    ? positiveInt('valueSize', spec.valueSize)
    : valueTyped ? valueTyped.size : missing('valueSize', spec);
  // BTF of a map the kernel gets no BTF for may describe something else than what the
  // map holds (a perf event array's BTF value is the event struct, the map holds fds):
  // there a type of the wrong size is not used. Everywhere else a mismatch is an error.
  const ignoreBtf = NO_BTF_MAP_TYPES.has(type);
  if (keyTyped && keyTyped.size !== keySize) {
    if (ignoreBtf && spec.key === undefined) keyTyped = undefined;
    else throw new SizeMismatchError(`key type ${keyTyped.description}`, keySize, keyTyped.size, name);
  }
  if (valueTyped && valueTyped.size !== valueSize) {
    if (ignoreBtf && spec.value === undefined) valueTyped = undefined;
    else throw new SizeMismatchError(`value type ${valueTyped.description}`, valueSize, valueTyped.size, name);
  }
  const maxEntries = positiveInt('maxEntries', spec.maxEntries);
  const flags = positiveInt('flags', spec.flags ?? 0) | (spec.numaNode !== undefined ? MapFlags.NUMA_NODE : 0);
  const perCpu = PERCPU_MAP_TYPES.has(type);
  const nCpus = perCpu ? possibleCpuCount() : 1;
  const valueBufferSize = perCpu ? ((valueSize + 7) & ~7) * nCpus : valueSize;
  const descriptor: MapDescriptor = {
    type, keySize, valueSize, maxEntries, flags, name: name.slice(0, 15), nCpus, valueBufferSize, id: 0,
    mapExtra: BigInt(spec.mapExtra ?? 0), btfId: 0,
    btfKeyTypeId: spec.btf?.keyTypeId ?? 0, btfValueTypeId: spec.btf?.valueTypeId ?? 0,
  };
  // Array-like maps whose BTF names no key type (global data sections) are indexed by a u32.
  if (!keyTyped && spec.btf && keySize === 4 && ARRAY_LIKE.has(type)) keyTyped = codecFor('u32');
  keyTyped ??= rawCodec(keySize);
  valueTyped ??= rawCodec(valueSize);
  return { descriptor, keyCodec: keyTyped, valueCodec: perCpu ? perCpuCodec(valueTyped, nCpus) : valueTyped };
}

function missing(what: string, spec: MapSpec): never {
  const t = typeof spec.type === 'number' ? (mapTypeName(spec.type) ?? spec.type) : spec.type;
  throw new InvalidArgumentError(`map spec for a ${t} map needs ${what} (or a typed ${what === 'keySize' ? 'key' : 'value'} declaration)`);
}

function createKernelBackend(spec: MapSpec, d: MapDescriptor): MapBackend {
  const toClose: number[] = [];
  try {
    let innerMapFd = 0;
    if (spec.innerMap) {
      if ('fd' in spec.innerMap && typeof spec.innerMap.fd === 'number') innerMapFd = spec.innerMap.fd;
      else {
        // The kernel copies the inner map's shape at creation (kernel/bpf/map_in_map.c),
        // so a template made only for this call can be closed right after.
        const template = createMap(spec.innerMap as MapSpec);
        innerMapFd = native().dup(template.fd);
        template.close();
        if (innerMapFd < 0) throw bpfError(-innerMapFd, 'map create', 'dup inner map fd');
        toClose.push(innerMapFd);
      }
    }
    // The kernel takes BTF only for maps that can describe their values with it:
    // fd maps and keyless maps get none, nor maps with no value type (a prog array
    // declared with __array(values)). Their keys and values are still typed from it.
    const sendBtf = spec.btf !== undefined && spec.btf.valueTypeId !== 0 && !NO_BTF_MAP_TYPES.has(d.type);
    let btfFd = 0;
    if (sendBtf) {
      btfFd = loadMapBtf(spec.btf!.spec);
      toClose.push(btfFd);
    }
    const fd = mapCreate({
      type: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, flags: d.flags,
      innerMapFd, numaNode: spec.numaNode ?? 0, name: d.name, ifindex: spec.ifindex ?? 0,
      btfFd, btfKeyTypeId: sendBtf ? spec.btf!.keyTypeId : 0, btfValueTypeId: sendBtf ? spec.btf!.valueTypeId : 0,
      mapExtra: d.mapExtra,
    });
    if (fd < 0) throw bpfError(-fd, 'map create', createDetail(d));
    let id = 0, btfId = 0;
    try {
      const info = mapInfoByFd(fd);
      id = info.id;
      btfId = info.btfId;
    } catch {
      // Pre-4.13 kernels have no OBJ_GET_INFO_BY_FD; the id stays unknown.
    }
    return new KernelMapBackend(fd, { ...d, id, btfId });
  } finally {
    for (const fd of toClose) native().close(fd);
  }
}

function createDetail(d: MapDescriptor): string {
  const t = mapTypeName(d.type) ?? `type ${d.type}`;
  return `${d.name || 'unnamed'}: ${t}, key ${d.keySize}, value ${d.valueSize}, max_entries ${d.maxEntries}, flags 0x${d.flags.toString(16)}`;
}
