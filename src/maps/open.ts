/**
 * Open existing kernel maps: by id, by pin path on bpffs, or by name, and list
 * all maps of the system.
 */
import type { MapDescriptor } from './backend.js';
import type { TypeDecl } from '../codec/declared-types.js';
import type { Codec } from '../codec/codec.js';
import { codecFor } from '../codec/index.js';
import { BpfMap } from './map.js';
import { KernelMapBackend } from './kernel-backend.js';
import { perCpuCodec, rawCodec } from './value-codecs.js';
import { bpfError } from '../sys/bpf.js';
import { BpfCmd, PERCPU_MAP_TYPES } from '../sys/constants.js';
import { EbpfError, InvalidArgumentError, SizeMismatchError } from '../sys/errors.js';
import { getFdById, mapInfoByFd, objGet, type MapInfo } from '../sys/map-cmds.js';
import { possibleCpuCount } from '../sys/cpus.js';
import { prepareBpffsPath } from '../sys/fs.js';
import { native } from '../sys/native.js';
import { objectIds } from '../sys/objects.js';
import { kernelBtfCodecs, safeBtfCodecs } from './map-btf.js';
import type { MapBtf } from './spec.js';

export type MapSelector = { readonly id: number } | { readonly pinned: string } | { readonly name: string } | { readonly fd: number };

export interface OpenMapOptions {
  /** Typed keys; by default taken from the map's BTF when it has any, else raw bytes. */
  readonly key?: TypeDecl;
  readonly value?: TypeDecl;
  /** Open read-only (BPF_F_RDONLY) or write-only (BPF_F_WRONLY). */
  readonly access?: 'readwrite' | 'readonly' | 'writeonly';
  /** Ignore the map's BTF and use raw bytes (or the declared types). */
  readonly raw?: boolean;
  /**
   * Types to use when the kernel holds no BTF for the map (e.g. a devmap or prog_array
   * created from an object whose BTF describes it: the kernel refuses BTF for fd maps).
   */
  readonly btf?: MapBtf;
}

const ENOENT = 2;

/**
 * Open an existing kernel map.
 *
 * - `{ id }`: BPF_MAP_GET_FD_BY_ID (Linux 4.13+).
 * - `{ pinned }`: BPF_OBJ_GET on a bpffs path (Linux 4.4+).
 * - `{ name }`: the one map with this name (names are not unique: throws when several match).
 * - `{ fd }`: a dup of an fd you own.
 *
 * A map created with BTF gets typed keys and values from it unless `raw` is set.
 * @throws BpfError ENOENT (no such id/path/name), PermissionError, InvalidArgumentError for an ambiguous name.
 */
export function openMap(selector: MapSelector, options?: OpenMapOptions): BpfMap<any, any> {
  const fd = openFd(selector, options?.access ?? 'readwrite');
  try {
    const info = mapInfoByFd(fd);
    return wrapFd(fd, info, options);
  } catch (e) {
    native().close(fd);
    throw e;
  }
}

function accessFlags(access: string): number {
  if (access === 'readonly') return 1 << 3;
  if (access === 'writeonly') return 1 << 4;
  if (access === 'readwrite') return 0;
  throw new InvalidArgumentError(`access must be 'readwrite', 'readonly' or 'writeonly', got '${access}'`);
}

function openFd(selector: MapSelector, access: string): number {
  const flags = accessFlags(access);
  if (selector === null || typeof selector !== 'object') throw new InvalidArgumentError('openMap: expected { id } | { pinned } | { name } | { fd }');
  if ('id' in selector) {
    const fd = getFdById(BpfCmd.MAP_GET_FD_BY_ID, selector.id, flags);
    if (fd < 0) throw bpfError(-fd, 'map open', `id ${selector.id}`);
    return fd;
  }
  if ('pinned' in selector) {
    prepareBpffsPath(selector.pinned);
    const fd = objGet(selector.pinned, flags);
    if (fd < 0) throw bpfError(-fd, 'map open', `pinned ${selector.pinned}`);
    return fd;
  }
  if ('fd' in selector) {
    const fd = native().dup(selector.fd);
    if (fd < 0) throw bpfError(-fd, 'map open', `fd ${selector.fd}`);
    return fd;
  }
  if ('name' in selector) {
    const matches = listMaps().filter((m) => m.name === selector.name);
    if (matches.length === 0) throw bpfError(ENOENT, 'map open', `no map named '${selector.name}'`);
    if (matches.length > 1) {
      throw new EbpfError('EAMBIGUOUS', `map open: ${matches.length} maps are named '${selector.name}' (ids ${matches.map((m) => m.id).join(', ')}); open one by id`);
    }
    return openFd({ id: matches[0]!.id }, access);
  }
  throw new InvalidArgumentError('openMap: expected { id } | { pinned } | { name } | { fd }');
}

/** Wrap an fd the caller hands over (it is closed with the map). */
export function wrapFd(fd: number, info: MapInfo, options?: OpenMapOptions): BpfMap<any, any> {
  const perCpu = PERCPU_MAP_TYPES.has(info.type);
  const nCpus = perCpu ? possibleCpuCount() : 1;
  const descriptor: MapDescriptor = {
    type: info.type, keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries,
    flags: info.flags, name: info.name, nCpus,
    valueBufferSize: perCpu ? ((info.valueSize + 7) & ~7) * nCpus : info.valueSize,
    id: info.id, mapExtra: info.mapExtra, btfId: info.btfId,
    btfKeyTypeId: info.btfKeyTypeId, btfValueTypeId: info.btfValueTypeId,
  };
  let key: Codec<unknown> | undefined = options?.key !== undefined ? codecFor(options.key) : undefined;
  let value: Codec<unknown> | undefined = options?.value !== undefined ? codecFor(options.value) : undefined;
  if (key && key.size !== info.keySize) throw new SizeMismatchError(`key type ${key.description}`, info.keySize, key.size, info.name);
  if (value && value.size !== info.valueSize) throw new SizeMismatchError(`value type ${value.description}`, info.valueSize, value.size, info.name);
  if (!options?.raw && (!key || !value) && (info.btfId !== 0 || options?.btf)) {
    const typed = info.btfId !== 0 ? kernelBtfCodecs(info) : safeBtfCodecs(options!.btf!);
    key ??= typed.key && typed.key.size === info.keySize ? typed.key : undefined;
    value ??= typed.value && typed.value.size === info.valueSize ? typed.value : undefined;
  }
  key ??= rawCodec(info.keySize);
  value ??= rawCodec(info.valueSize);
  return new BpfMap(new KernelMapBackend(fd, descriptor), key, perCpu ? perCpuCodec(value, nCpus) : value);
}

/** Ids of all maps on the system (BPF_MAP_GET_NEXT_ID, Linux 4.13+). */
export function mapIds(): number[] {
  return objectIds(BpfCmd.MAP_GET_NEXT_ID, 'map list');
}

/** Info records of all maps on the system. Maps that vanish while listing are skipped. */
export function listMaps(): MapInfo[] {
  const out: MapInfo[] = [];
  for (const id of mapIds()) {
    const fd = getFdById(BpfCmd.MAP_GET_FD_BY_ID, id);
    if (fd === -ENOENT) continue;
    if (fd < 0) throw bpfError(-fd, 'map list', `id ${id}`);
    try {
      out.push(mapInfoByFd(fd));
    } finally {
      native().close(fd);
    }
  }
  return out;
}
