/**
 * `ebpf map show`: one record per map with bpftool's JSON fields, in bpftool's
 * order (tools/bpf/bpftool/map.c: show_map_close_json):
 *
 *   {"id":7,"type":"hash","name":"flows","flags":0,"bytes_key":8,"bytes_value":16,
 *    "max_entries":1024,"bytes_memlock":...,"frozen":0,"btf_id":12,"pinned":[...]}
 *
 * `name` is left out for unnamed maps, `btf_id` for maps without BTF, `pinned`
 * unless -f was given; prog_array maps add `owner_prog_type`/`owner_jited` once
 * a program owns them; offloaded maps add `dev`.
 */
import { mapTypeName } from '../sys/constants.js';
import { progTypeName } from '../sys/prog-types.js';
import type { MapInfo } from '../sys/map-cmds.js';
import { mapIds } from '../maps/index.js';
import { EbpfError } from '../sys/errors.js';
import { fdinfo, fileMapFrozen, mapFilePath, openMapRefs, type RawMap } from './map-select.js';
import { renderTable, type Column } from './table.js';
import type { MapRef } from './map-args.js';

/** What `map show` prints for one map (bpftool's JSON member names). */
export interface MapRecord {
  readonly id: number;
  readonly type: string | number;
  readonly name?: string;
  readonly flags: number;
  readonly dev?: { readonly ifindex: number; readonly ns_dev: bigint; readonly ns_inode: bigint };
  readonly bytes_key: number;
  readonly bytes_value: number;
  readonly max_entries: number;
  readonly bytes_memlock?: number;
  readonly owner_prog_type?: string | number;
  readonly owner_jited?: boolean;
  readonly frozen: number;
  readonly btf_id?: number;
  readonly pinned?: string[];
}

/** The record of an open map: its info plus memlock/frozen/owner from /proc/self/fdinfo. */
export function mapRecord(map: RawMap, pinned?: Map<number, string[]>): MapRecord {
  const info: MapInfo = map.info();
  const fromFile = mapFilePath(map) !== undefined;
  const fi = fromFile ? { frozen: fileMapFrozen(map) ? '1' : '0' } as Record<string, string> : fdinfo(map.fd);
  // A map file is not in the kernel: it has no kernel id (its emulator id is process-local).
  const r: Record<string, unknown> = { id: fromFile ? 0 : info.id, type: mapTypeName(info.type) ?? info.type };
  if (info.name) r.name = info.name;
  r.flags = info.flags;
  if (info.ifindex) r.dev = { ifindex: info.ifindex, ns_dev: info.netnsDev, ns_inode: info.netnsIno };
  r.bytes_key = info.keySize;
  r.bytes_value = info.valueSize;
  r.max_entries = info.maxEntries;
  if (fi.memlock !== undefined) r.bytes_memlock = Number(fi.memlock);
  if (fi.owner_prog_type !== undefined) {
    const t = Number(fi.owner_prog_type);
    r.owner_prog_type = progTypeName(t) ?? t;
  }
  if (fi.owner_jited !== undefined) r.owner_jited = Number(fi.owner_jited) !== 0;
  r.frozen = fi.frozen !== undefined ? Number(fi.frozen) : 0;
  if (info.btfId) r.btf_id = info.btfId;
  if (pinned) r.pinned = pinned.get(info.id) ?? [];
  return r as unknown as MapRecord;
}

/**
 * Records for `ref` (every map with that name for `name`), or for every map
 * on the system when `ref` is undefined; maps that vanish while listing are skipped.
 * Throws `EbpfError` ENOENT when `ref` matches nothing.
 */
export function mapRecords(ref: MapRef | undefined, pinned?: Map<number, string[]>): MapRecord[] {
  if (ref) {
    const maps = openMapRefs(ref);
    try {
      return maps.map((m) => mapRecord(m, pinned));
    } finally {
      for (const m of maps) m.close();
    }
  }
  const out: MapRecord[] = [];
  for (const id of mapIds()) {
    let maps: RawMap[];
    try {
      maps = openMapRefs({ kind: 'id', id });
    } catch (e) {
      if (e instanceof EbpfError && e.code === 'ENOENT') continue;
      throw e;
    }
    try {
      out.push(mapRecord(maps[0]!, pinned));
    } finally {
      maps[0]!.close();
    }
  }
  return out;
}

const COLUMNS: readonly Column<MapRecord>[] = [
  { header: 'ID', cell: (r) => r.id, align: 'right' },
  { header: 'TYPE', cell: (r) => String(r.type), align: 'left' },
  { header: 'NAME', cell: (r) => r.name ?? '', align: 'left' },
  { header: 'FLAGS', cell: (r) => `0x${r.flags.toString(16)}`, align: 'left' },
  { header: 'KEY', cell: (r) => `${r.bytes_key}B`, align: 'right' },
  { header: 'VALUE', cell: (r) => `${r.bytes_value}B`, align: 'right' },
  { header: 'MAX_ENTRIES', cell: (r) => r.max_entries, align: 'right' },
  { header: 'MEMLOCK', cell: (r) => (r.bytes_memlock === undefined ? '-' : `${r.bytes_memlock}B`), align: 'right' },
  { header: 'BTF', cell: (r) => (r.btf_id === undefined ? '-' : r.btf_id), align: 'right' },
  { header: 'FROZEN', cell: (r) => (r.frozen ? 'yes' : 'no'), align: 'left' },
];

/** The plain `map show` table; with -f a PINNED column lists each map's pins. */
export function recordsTable(records: readonly MapRecord[], withPins: boolean): string {
  const cols = withPins
    ? [...COLUMNS, { header: 'PINNED', cell: (r: MapRecord) => (r.pinned ?? []).join(','), align: 'left' as const }]
    : COLUMNS;
  return renderTable(cols, records);
}
