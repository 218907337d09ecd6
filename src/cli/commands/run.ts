/**
 * `ebpf run OBJ`: load an object, attach every program whose section names an
 * attach point (plus xdp/tc/cgroup ones when given a target), and show the
 * object's maps live until interrupted: a refreshing table on a terminal,
 * numeric values with their rate per second, or one JSON line per refresh
 * with -j.
 */
import { loadCollection, type Collection } from '../../loader/collection.js';
import { attachAll, type AttachOptions, type AttachedLinks } from '../../loader/attach.js';
import { RingBuffer } from '../../readers/ring-buffer.js';
import { MapType, mapTypeName } from '../../sys/constants.js';
import type { BpfMap } from '../../maps/map.js';
import { CliUsageError, toJson, type CliCommand, type CliContext } from '../context.js';

const USAGE = `Usage: ebpf run OBJ [iface IFACE] [xdpmode { skb | native }] [cgroup DIR] [interval MS] [duration SECONDS] [rows N]
       Loads OBJ, attaches its programs and shows its maps live until Ctrl-C.
       With -j, prints one JSON object per refresh.`;

interface RunArgs {
  object: string;
  attach: AttachOptions;
  intervalMs: number;
  durationMs: number | undefined;
  rows: number;
}

function parseArgs(args: string[]): RunArgs {
  const [object, ...rest] = args;
  if (!object || object === 'help') throw new CliUsageError(USAGE);
  const out: RunArgs = { object, attach: {}, intervalMs: 1000, durationMs: undefined, rows: 20 };
  const attach: { -readonly [K in keyof AttachOptions]: AttachOptions[K] } = {};
  for (let i = 0; i < rest.length; i += 2) {
    const kw = rest[i]!;
    const v = rest[i + 1];
    if (v === undefined) throw new CliUsageError(`'${kw}' needs a value\n${USAGE}`);
    const num = (what: string, min: number) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < min) throw new CliUsageError(`${what} must be a number >= ${min}, got '${v}'`);
      return n;
    };
    switch (kw) {
      case 'iface': case 'dev': attach.iface = /^\d+$/.test(v) ? Number(v) : v; break;
      case 'xdpmode':
        if (v !== 'skb' && v !== 'native') throw new CliUsageError(`xdpmode must be skb or native, got '${v}'`);
        attach.xdpMode = v;
        break;
      case 'cgroup': attach.cgroup = v; break;
      case 'interval': out.intervalMs = num('interval', 50); break;
      case 'duration': out.durationMs = num('duration', 0) * 1000; break;
      case 'rows': out.rows = num('rows', 1); break;
      default: throw new CliUsageError(`unknown keyword '${kw}'\n${USAGE}`);
    }
  }
  out.attach = attach;
  return out;
}

/** A map's state at one refresh. */
interface MapSample {
  name: string;
  type: string;
  entries: { key: unknown; value: unknown; rate?: number }[];
  total: number;
  /** Ring buffers: records read since start and per second. */
  records?: number;
  recordRate?: number;
}

/** Sum per-CPU arrays; numbers and bigints as they are; anything else is not a counter. */
function counterValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' || typeof x === 'bigint')) {
    return v.reduce((a: number, x) => a + Number(x), 0);
  }
  return undefined;
}

const ITERABLE_EXCLUDED: ReadonlySet<number> = new Set([
  MapType.ringbuf, MapType.perf_event_array, MapType.queue, MapType.stack, MapType.bloom_filter,
  MapType.user_ringbuf, MapType.arena, MapType.struct_ops, MapType.sk_storage, MapType.inode_storage,
  MapType.task_storage, MapType.cgrp_storage,
]);

class LiveView {
  readonly #previous = new Map<string, { at: number; values: Map<string, number> }>();
  readonly #rings = new Map<string, { rb: RingBuffer; count: number; lastCount: number }>();

  constructor(private readonly collection: Collection, private readonly rows: number) {
    for (const [name, map] of Object.entries(collection.maps)) {
      if (map.descriptor.type === MapType.ringbuf) {
        this.#rings.set(name, { rb: new RingBuffer(map), count: 0, lastCount: 0 });
      }
    }
  }

  sample(now: number): MapSample[] {
    const out: MapSample[] = [];
    for (const [name, map] of Object.entries(this.collection.maps)) {
      const type = String(mapTypeName(map.descriptor.type) ?? map.descriptor.type);
      const ring = this.#rings.get(name);
      if (ring) {
        ring.count += ring.rb.consume().length;
        const prev = this.#previous.get(name);
        const dt = prev ? (now - prev.at) / 1000 : 0;
        out.push({ name, type, entries: [], total: 0, records: ring.count, recordRate: dt > 0 ? (ring.count - ring.lastCount) / dt : 0 });
        ring.lastCount = ring.count;
        this.#previous.set(name, { at: now, values: new Map() });
        continue;
      }
      if (ITERABLE_EXCLUDED.has(map.descriptor.type)) {
        out.push({ name, type, entries: [], total: 0 });
        continue;
      }
      out.push(this.#sampleMap(name, type, map, now));
    }
    return out;
  }

  #sampleMap(name: string, type: string, map: BpfMap<any, any>, now: number): MapSample {
    const prev = this.#previous.get(name);
    const dt = prev ? (now - prev.at) / 1000 : 0;
    const values = new Map<string, number>();
    const entries: MapSample['entries'] = [];
    for (const [key, value] of map.entries()) {
      const id = toJson(key, false);
      const c = counterValue(value);
      const entry: MapSample['entries'][number] = { key, value };
      if (c !== undefined) {
        values.set(id, c);
        const before = prev?.values.get(id);
        if (dt > 0) entry.rate = (c - (before ?? 0)) / dt;
      }
      entries.push(entry);
    }
    this.#previous.set(name, { at: now, values });
    entries.sort((a, b) => (counterValue(b.value) ?? 0) - (counterValue(a.value) ?? 0));
    return { name, type, entries: entries.slice(0, this.rows), total: entries.length };
  }

  close(): void {
    for (const r of this.#rings.values()) r.rb.close();
  }
}

function renderText(samples: MapSample[], links: AttachedLinks, elapsed: number): string {
  const lines: string[] = [];
  lines.push(`ebpf run — ${Object.keys(links.links).length} program(s) attached, ${(elapsed / 1000).toFixed(1)} s (Ctrl-C to stop)`);
  for (const s of samples) {
    lines.push('');
    if (s.records !== undefined) {
      lines.push(`${s.name} (${s.type}): ${s.records} records, ${s.recordRate!.toFixed(1)}/s`);
      continue;
    }
    lines.push(`${s.name} (${s.type}): ${s.total} entries${s.total > s.entries.length ? `, top ${s.entries.length}` : ''}`);
    if (s.entries.length === 0) continue;
    const keys = s.entries.map((e) => toJson(e.key, false));
    const vals = s.entries.map((e) => toJson(e.value, false));
    const kw = Math.min(40, Math.max(3, ...keys.map((k) => k.length)));
    const vw = Math.min(60, Math.max(5, ...vals.map((v) => v.length)));
    lines.push(`  ${'KEY'.padEnd(kw)}  ${'VALUE'.padStart(vw)}  ${'RATE/s'.padStart(10)}`);
    s.entries.forEach((e, i) => {
      const rate = e.rate === undefined ? '' : e.rate.toFixed(1);
      lines.push(`  ${keys[i]!.padEnd(kw)}  ${vals[i]!.padStart(vw)}  ${rate.padStart(10)}`);
    });
  }
  return lines.join('\n');
}

export const command: CliCommand = {
  name: 'run',
  summary: 'load an object, attach its programs and show its maps live',
  usage: USAGE,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const a = parseArgs(args);
    using collection = loadCollection(a.object);
    using links = attachAll(collection, a.attach);
    const view = new LiveView(collection, a.rows);
    try {
      for (const [name, reason] of Object.entries(links.skipped)) ctx.err(`not attached: ${name}: ${reason}`);
      const started = Date.now();
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        view.sample(started); // baseline for rates
        while (!stop.signal.aborted) {
          const left = a.durationMs === undefined ? a.intervalMs : Math.min(a.intervalMs, started + a.durationMs - Date.now());
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, Math.max(0, left));
            stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
          });
          const now = Date.now();
          const samples = view.sample(now);
          if (ctx.json) ctx.out(toJson({ time: new Date(now).toISOString(), elapsed_ms: now - started, programs: Object.keys(links.links), maps: samples }, false));
          else {
            if (ctx.isTTY) ctx.out('\x1b[H\x1b[2J');
            ctx.out(renderText(samples, links, now - started));
          }
          if (a.durationMs !== undefined && now - started >= a.durationMs) break;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    } finally {
      view.close();
    }
    return 0;
  },
};
