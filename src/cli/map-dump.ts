/**
 * Reading a whole map for `ebpf map dump` and rendering entries the way
 * bpftool does (tools/bpf/bpftool/map.c: print_entry_plain, print_entry_json,
 * do_dump_btf), so scripts written against bpftool keep working.
 *
 * Unlike bpftool, which walks with GET_NEXT_KEY + LOOKUP (two syscalls per
 * entry), hash and array maps are read with BPF_MAP_LOOKUP_BATCH (Linux 5.6+),
 * a page of thousands of entries per syscall; other types, and kernels without
 * batch support, fall back to the key walk.
 */
import type { BtfSpec } from '../btf/types.js';
import { formatBtfJson, formatMapEntryJson } from '../codec/index.js';
import { kernelBtfById } from '../maps/map-btf.js';
import { loadKernelBtf } from '../btf/kernel.js';
import { MapType, PERCPU_MAP_TYPES } from '../sys/constants.js';
import type { MapInfo } from '../sys/map-cmds.js';
import { BpfError } from '../sys/errors.js';
import { hexBlock, hexJson } from './hex.js';
import type { RawMap } from './map-select.js';

/** One map entry as raw bytes: a value, one value per possible CPU, or the error its lookup gave. */
export interface RawEntry {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  readonly values?: readonly Uint8Array[];
  /** The lookup failed with this errno (bpftool prints such entries with the error instead of a value). */
  readonly error?: BpfError;
}

/** Map types whose kernel code implements BPF_MAP_LOOKUP_BATCH (kernel/bpf/hashtab.c, arraymap.c via generic_map_lookup_batch). */
const BATCH_TYPES: ReadonlySet<number> = new Set([
  MapType.hash, MapType.percpu_hash, MapType.lru_hash, MapType.lru_percpu_hash, MapType.array, MapType.percpu_array,
]);


function toEntry(map: RawMap, key: Uint8Array, value: unknown): RawEntry {
  if (PERCPU_MAP_TYPES.has(map.descriptor.type)) return { key, values: value as Uint8Array[] };
  return { key, value: value as Uint8Array };
}

/**
 * Every entry of `map`, batched where possible. Bounded by max_entries (the
 * key walk throws `IterationAbortedError` when the map keeps changing).
 * Lookups that fail with an errno other than ENOENT yield an entry with `error`.
 */
export function* mapEntries(map: RawMap, batchSize = 8192): Generator<RawEntry> {
  const d = map.descriptor;
  if (BATCH_TYPES.has(d.type)) {
    // One packed copy of the map (bounded by max_entries), read a page per syscall
    // (falls back to the key walk inside dumpRaw on kernels before 5.6); entries
    // are views into it, so nothing is allocated per entry.
    const dump = map.dumpRaw(batchSize);
    const perCpu = PERCPU_MAP_TYPES.has(d.type);
    const stride = perCpu ? (d.valueSize + 7) & ~7 : d.valueSize;
    for (let i = 0; i < dump.count; i++) {
      const key = dump.keys.subarray(i * dump.keySize, (i + 1) * dump.keySize);
      const at = i * dump.valueStride;
      if (perCpu) {
        const values: Uint8Array[] = new Array(d.nCpus);
        for (let c = 0; c < d.nCpus; c++) values[c] = dump.values.subarray(at + c * stride, at + c * stride + d.valueSize);
        yield { key, values };
      } else {
        yield { key, value: dump.values.subarray(at, at + d.valueSize) };
      }
    }
    return;
  }
  for (const key of map.keys()) {
    let value: unknown;
    try {
      value = map.get(key);
    } catch (e) {
      if (e instanceof BpfError) { yield { key, error: e }; continue; }
      throw e;
    }
    if (value === undefined) continue; // deleted since get_next_key, or an empty prog_array / map-in-map slot
    yield toEntry(map, key, value);
  }
}

/** Number of entries, read with batch lookups where possible. */
export function countEntries(map: RawMap): number {
  if (BATCH_TYPES.has(map.descriptor.type)) return map.dumpRaw().count;
  let n = 0;
  for (const e of mapEntries(map)) if (!e.error) n++;
  return n;
}

/** A map's BTF for the `formatted` section: its own key/value types, or vmlinux's for struct_ops values. */
export interface MapBtfView {
  readonly spec: BtfSpec;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

/**
 * The BTF bpftool would format this map's entries with (get_map_kv_btf), or
 * undefined for maps without value BTF. Throws `BpfError` when the map's BTF
 * cannot be fetched (bpftool fails the same way: "failed to get btf").
 */
export function mapBtfView(info: MapInfo): MapBtfView | undefined {
  if (info.btfVmlinuxValueTypeId) return { spec: loadKernelBtf(), keyTypeId: info.btfKeyTypeId, valueTypeId: info.btfVmlinuxValueTypeId };
  if (info.btfValueTypeId) return { spec: kernelBtfById(info.btfId), keyTypeId: info.btfKeyTypeId, valueTypeId: info.btfValueTypeId };
  return undefined;
}

/** Friendly text of a lookup error, as strerror() would say it (bpftool's `{"error": strerror(errno)}`). */
function errorText(e: BpfError): string {
  return e.message.replace(/^.*?: /, '');
}

/**
 * One entry as bpftool -j prints it: `{"key":[..],"value":[..]}`, per-CPU
 * `{"key":[..],"values":[{"cpu":0,"value":[..]},..]}`, plus `"formatted"` when
 * the map has BTF. A failed lookup is `{"key":[..],"value":{"error":".."}}`.
 * An entry the BTF cannot format is printed without `formatted`.
 */
export function entryJson(e: RawEntry, btf: MapBtfView | undefined): string {
  if (e.error) return `{"key":${hexJson(e.key)},"value":{"error":${JSON.stringify(errorText(e.error))}}}`;
  if (btf) {
    try {
      return formatMapEntryJson(e, btf);
    } catch {
      // a value the BTF does not describe (size drift): raw bytes only
    }
  }
  return rawEntryJson(e);
}

/** The entry without BTF, built straight from the bytes (the hot path of a big dump). */
function rawEntryJson(e: RawEntry): string {
  if (e.values) {
    let s = `{"key":${hexJson(e.key)},"values":[`;
    for (let c = 0; c < e.values.length; c++) s += `${c ? ',' : ''}{"cpu":${c},"value":${hexJson(e.values[c]!)}}`;
    return s + ']}';
  }
  return `{"key":${hexJson(e.key)},"value":${hexJson(e.value!)}}`;
}

/**
 * One entry as plain text. Without BTF exactly bpftool's print_entry_plain:
 *
 *   key: 01 00 00 00  value: 0a 00 00 00              (key + value <= 24 bytes, both <= 16)
 *   key:\n<hex>\nvalue:\n<hex>                       (bigger ones)
 *   key:\n<hex>\nvalue (CPU 00): <hex>\n...           (per-CPU maps)
 *
 * With BTF, one line per entry of the formatted JSON: `key: {"addr":1}  value: 7`.
 */
export function entryPlain(e: RawEntry, info: MapInfo, btf: MapBtfView | undefined): string {
  const ks = info.keySize, vs = info.valueSize;
  if (e.error) {
    const msg = e.error.code === 'ENOENT' ? '<no entry>' : errorText(e.error);
    const breakNames = ks > 16 || msg.length > 16;
    const single = ks + msg.length <= 24 && !breakNames;
    return `key:${breakNames ? '\n' : ' '}${hexBlock(e.key)}${single ? '  ' : '\n'}value:${breakNames ? '\n' : ' '}${msg}`;
  }
  if (btf) {
    const text = formattedPlain(e, btf);
    if (text !== undefined) return text;
  }
  if (e.values) {
    const lines: string[] = [];
    if (ks) lines.push('key:', hexBlock(e.key));
    if (vs) e.values.forEach((v, cpu) => lines.push(`value (CPU ${String(cpu).padStart(2, '0')}):${vs > 16 ? '\n' : ' '}${hexBlock(v)}`));
    return lines.join('\n');
  }
  const breakNames = ks > 16 || vs > 16;
  const single = ks + vs <= 24 && !breakNames;
  let s = '';
  if (ks) s += `key:${breakNames ? '\n' : ' '}${hexBlock(e.key)}${single ? '  ' : '\n'}`;
  if (vs) s += `value:${breakNames ? '\n' : ' '}${hexBlock(e.value!)}`;
  return s.replace(/\n$/, '');
}

function formattedPlain(e: RawEntry, btf: MapBtfView): string | undefined {
  try {
    const key = btf.keyTypeId ? formatBtfJson(btf.spec, btf.keyTypeId, e.key) : hexJson(e.key);
    if (e.values) {
      const lines = e.values.map((v, cpu) => `value (CPU ${String(cpu).padStart(2, '0')}): ${formatBtfJson(btf.spec, btf.valueTypeId, v)}`);
      return [`key: ${key}`, ...lines].join('\n');
    }
    return `key: ${key}  value: ${formatBtfJson(btf.spec, btf.valueTypeId, e.value!)}`;
  } catch {
    return undefined;
  }
}
