/**
 * Turning a parsed `MAP` reference into open maps, plus the facts bpftool
 * shows that the bpf(2) info record lacks: `memlock` and `frozen` come from
 * /proc/self/fdinfo (kernel/bpf/syscall.c: bpf_map_show_fdinfo), pinned paths
 * from walking bpffs (`-f`), offload devices from /sys/class/net.
 *
 * Maps are always opened raw (`{ raw: true }`): the CLI speaks bytes, as
 * bpftool does, and adds BTF formatting on top.
 */
import { readFileSync, readlinkSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { openMap, listMaps, BpfMap } from '../maps/index.js';
import { perCpuCodec, rawCodec } from '../maps/value-codecs.js';
import type { Codec } from '../codec/codec.js';
import { BpfCmd, PERCPU_MAP_TYPES } from '../sys/constants.js';
import { bpfError } from '../sys/bpf.js';
import { native } from '../sys/native.js';
import { isOnBpffs, prepareBpffsPath } from '../sys/fs.js';
import { EbpfError, InvalidArgumentError } from '../sys/errors.js';
import { progGetInfo } from '../sys/prog-cmds.js';
import { getFdById, getNextId, mapInfoByFd, objGet } from '../sys/map-cmds.js';
import { describeRef, type MapRef, type ProgRef } from './map-args.js';
import { pinnedObjectPaths } from './select.js';

/** A raw map as the CLI handles it: bytes in, bytes (or per-CPU arrays of bytes) out. */
export type RawMap = BpfMap<Uint8Array, any>;

export type Access = 'readonly' | 'readwrite';

const ENOENT = 2;

/** The anon inode name of map fds (kernel/bpf/syscall.c: bpf_map_new_fd → "bpf-map"). */
function fdKind(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return 'unknown';
  }
}

function accessFlags(access: Access): number {
  return access === 'readonly' ? 1 << 3 /* BPF_F_RDONLY */ : 0;
}

/** Ids of the maps named `name` (names are not unique). Throws `BpfError`. */
export function mapIdsNamed(name: string): number[] {
  return listMaps().filter((m) => m.name === name).map((m) => m.id);
}

function openId(id: number, access: Access): RawMap {
  const fd = getFdById(BpfCmd.MAP_GET_FD_BY_ID, id, accessFlags(access));
  if (fd === -ENOENT) throw new EbpfError('ENOENT', `map id ${id}: no such map`);
  if (fd < 0) throw bpfError(-fd, 'map open', `id ${id}`);
  try {
    return openMap({ fd }, { raw: true });
  } finally {
    native().close(fd);
  }
}

/** Pins exist only on bpffs: say so instead of the kernel's EPERM/EACCES for other paths. */
function requireBpffs(path: string): void {
  prepareBpffsPath(path);
  if (!isOnBpffs(path)) throw new InvalidArgumentError(`pinned ${path}: not on a bpffs mount (pins live under /sys/fs/bpf)`);
}

function openPinned(path: string, access: Access): RawMap {
  requireBpffs(path);
  const fd = objGet(path, accessFlags(access));
  if (fd === -ENOENT) throw new EbpfError('ENOENT', `pinned ${path}: no such file`);
  if (fd < 0) throw bpfError(-fd, 'map open', `pinned ${path}`);
  try {
    const kind = fdKind(fd);
    if (kind !== 'anon_inode:bpf-map') {
      throw new InvalidArgumentError(`pinned ${path}: not a map (it is a ${kind.replace(/^anon_inode:bpf-/, 'bpf ')})`);
    }
    return openMap({ fd }, { raw: true });
  } finally {
    native().close(fd);
  }
}

type EmuModule = typeof import('../emu/index.js');
let emu: EmuModule | undefined;

/** Load the emulator module, needed by `file PATH` references (kept out of every other command's start-up). */
export async function prepareMapFiles(): Promise<void> {
  emu ??= await import('../emu/index.js');
}

/** Map files larger than this are refused before reading (the emulator's own load limit is 64 MiB of map memory). */
const MAX_MAP_FILE = 256 << 20;
const fileOfMap = new WeakMap<RawMap, string>();

/** Open a map file saved by the emulator (`saveEmulatedMap`) as a raw map. Throws `EbpfError` ENOENT, `ParseError` for corrupt files. */
function openFile(path: string): RawMap {
  if (!emu) throw new EbpfError('EINTERNAL', 'map files need prepareMapFiles() first');
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new EbpfError('ENOENT', `map file ${path}: no such file`);
  }
  if (size > MAX_MAP_FILE) throw new InvalidArgumentError(`map file ${path}: ${size} bytes, more than the ${MAX_MAP_FILE}-byte limit`);
  const buf = readFileSync(path);
  const backend = emu.loadEmulatedMap(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  const d = backend.descriptor;
  const value = rawCodec(d.valueSize);
  try {
    const valueCodec = (PERCPU_MAP_TYPES.has(d.type) ? perCpuCodec(value, d.nCpus) : value) as Codec<Uint8Array | Uint8Array[]>;
    const m: RawMap = new BpfMap(backend, rawCodec(d.keySize), valueCodec);
    fileOfMap.set(m, path);
    return m;
  } catch (e) {
    backend.close();
    throw e;
  }
}

/** The file a map was loaded from (`file PATH`), or undefined for kernel maps. */
export function mapFilePath(m: RawMap): string | undefined {
  return fileOfMap.get(m);
}

/** Write a map loaded from a file back to it, atomically (a temporary file renamed over it). */
export function saveMapFile(m: RawMap): void {
  const path = fileOfMap.get(m);
  if (!path || !emu) return;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, emu.saveEmulatedMap(m.backend));
  renameSync(tmp, path);
}

/** Frozen state of a map loaded from a file (the kernel's comes from fdinfo). */
export function fileMapFrozen(m: RawMap): boolean {
  return Boolean((m.backend as { frozen?: boolean }).frozen);
}

/**
 * All maps `ref` names: one for `id`/`pinned`, every match for `name`
 * (bpftool's map_parse_fds). Throws `EbpfError` ENOENT when nothing matches.
 */
export function openMapRefs(ref: MapRef, access: Access = 'readonly'): RawMap[] {
  if (ref.kind === 'id') return [openId(ref.id, access)];
  if (ref.kind === 'pinned') return [openPinned(ref.path, access)];
  if (ref.kind === 'file') return [openFile(ref.path)];
  const ids = mapIdsNamed(ref.name);
  if (ids.length === 0) throw new EbpfError('ENOENT', `no map named '${ref.name}'`);
  const maps: RawMap[] = [];
  try {
    for (const id of ids) {
      try {
        maps.push(openId(id, access));
      } catch (e) {
        if (!(e instanceof EbpfError && e.code === 'ENOENT')) throw e; // gone since listing
      }
    }
  } catch (e) {
    for (const m of maps) m.close();
    throw e;
  }
  if (maps.length === 0) throw new EbpfError('ENOENT', `no map named '${ref.name}'`);
  return maps;
}

/**
 * Exactly one map (bpftool's map_parse_fd). Throws `EbpfError` ENOENT when
 * nothing matches, EAMBIGUOUS when a name matches several maps.
 */
export function openMapRef(ref: MapRef, access: Access = 'readonly'): RawMap {
  if (ref.kind === 'name') {
    const ids = mapIdsNamed(ref.name);
    if (ids.length === 0) throw new EbpfError('ENOENT', `no map named '${ref.name}'`);
    if (ids.length > 1) throw new EbpfError('EAMBIGUOUS', `${ids.length} maps are named '${ref.name}' (ids ${ids.join(', ')}): select one with 'id N'`);
    return openId(ids[0]!, access);
  }
  return openMapRefs(ref, access)[0]!;
}

/**
 * A program fd for a `PROG` reference (a prog_array value). The caller closes it.
 * Throws `EbpfError` ENOENT / EAMBIGUOUS, `InvalidArgumentError` for a pin that is not a program.
 */
export function openProgRefFd(ref: ProgRef): number {
  if (ref.kind === 'id') {
    const fd = getFdById(BpfCmd.PROG_GET_FD_BY_ID, ref.id);
    if (fd === -ENOENT) throw new EbpfError('ENOENT', `program id ${ref.id}: no such program`);
    if (fd < 0) throw bpfError(-fd, 'program open', `id ${ref.id}`);
    return fd;
  }
  if (ref.kind === 'pinned') {
    requireBpffs(ref.path);
    const fd = objGet(ref.path);
    if (fd === -ENOENT) throw new EbpfError('ENOENT', `pinned ${ref.path}: no such file`);
    if (fd < 0) throw bpfError(-fd, 'program open', `pinned ${ref.path}`);
    if (fdKind(fd) !== 'anon_inode:bpf-prog') {
      native().close(fd);
      throw new InvalidArgumentError(`pinned ${ref.path}: not a program`);
    }
    return fd;
  }
  // name / tag: walk the loaded programs (src/prog owns their info records).
  return openProgByInfo(ref);
}

function openProgByInfo(ref: Extract<ProgRef, { kind: 'name' } | { kind: 'tag' }>): number {
  const matches: number[] = [];
  // PROG_GET_NEXT_ID walk (Linux 4.13+): ids strictly increase, so the walk ends.
  for (let id = getNextId(BpfCmd.PROG_GET_NEXT_ID, 0); id > 0; id = getNextId(BpfCmd.PROG_GET_NEXT_ID, id)) {
    const fd = getFdById(BpfCmd.PROG_GET_FD_BY_ID, id);
    if (fd < 0) continue; // unloaded meanwhile
    try {
      const p = progGetInfo(fd);
      if (ref.kind === 'name' ? p.name === ref.name : p.tag === ref.tag) matches.push(id);
    } finally {
      native().close(fd);
    }
  }
  if (matches.length === 0) throw new EbpfError('ENOENT', `no program with ${describeRef(ref)}`);
  if (matches.length > 1) throw new EbpfError('EAMBIGUOUS', `${matches.length} programs match ${describeRef(ref)} (ids ${matches.join(', ')}): select one with 'id N'`);
  return openProgRefFd({ kind: 'id', id: matches[0]! });
}

/** The fields of /proc/self/fdinfo/<fd> (`memlock`, `frozen`, `owner_prog_type`, ...). Empty when unreadable. */
export function fdinfo(fd: number): Record<string, string> {
  const out: Record<string, string> = {};
  let text: string;
  try {
    text = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Map id → pinned paths on every mounted bpffs (bpftool's `-f`). Never throws. */
export function pinnedMapPaths(): Map<number, string[]> {
  return pinnedObjectPaths((fd) => (fdKind(fd) === 'anon_inode:bpf-map' ? mapInfoByFd(fd).id : undefined));
}

/** The ifindex of a network device (`offload_dev NAME`). Throws `InvalidArgumentError` for unknown devices. */
export function ifindexByName(name: string): number {
  if (!/^[^/\s]{1,15}$/.test(name) || name === '.' || name === '..') throw new InvalidArgumentError(`unrecognized netdevice '${name}'`);
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    throw new InvalidArgumentError(`unrecognized netdevice '${name}': no such device`);
  }
}
