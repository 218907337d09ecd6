/**
 * `ebpf map`: bpftool's `map` command over the library, same grammar, same
 * JSON (tools/bpf/bpftool/map.c in bpftool v7.1), plus batch dumps, `--count`,
 * a progress line for long dumps on a terminal, and one-line errors.
 */
import type { CliCommand, CliContext } from '../context.js';
import { CliUsageError, toJson } from '../context.js';
import { createMap, type MapSpec } from '../../maps/index.js';
import { KEYLESS_MAP_TYPES, MapFlags, MapType, PERCPU_MAP_TYPES, mapTypeName } from '../../sys/constants.js';
import { BpfError, EbpfError, InvalidArgumentError } from '../../sys/errors.js';
import { native } from '../../sys/native.js';
import { HOST_LE } from '../../sys/bpf.js';
import {
  ArgReader, isPrefix, matchKeyword, parseU32, readData, readMapRef, readProgRef, type MapRef,
} from '../map-args.js';
import { fdinfo, fileMapFrozen, ifindexByName, mapFilePath, prepareMapFiles, saveMapFile, openMapRef, openMapRefs, openProgRefFd, pinnedMapPaths, type RawMap } from '../map-select.js';
import { countEntries, entryJson, entryPlain, mapBtfView, mapEntries, type MapBtfView, type RawEntry } from '../map-dump.js';
import { mapRecords, recordsTable } from '../map-show.js';
import { hexBlock, writeHexEntry } from '../hex.js';
import { jsonText, prettyJsonText } from '../map-json.js';
import { asEbpfError } from '../select.js';

const USAGE = `Usage: ebpf map { show | list }   [MAP]
       ebpf map create     FILE type TYPE key KEY_SIZE value VALUE_SIZE \\
                               entries MAX_ENTRIES name NAME [flags FLAGS] \\
                               [inner_map MAP] [offload_dev NAME]
       ebpf map dump       MAP [--count]
       ebpf map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]
       ebpf map lookup     MAP [key DATA]
       ebpf map getnext    MAP [key DATA]
       ebpf map delete     MAP  key DATA
       ebpf map pin        MAP  FILE
       ebpf map peek       MAP [value VALUE]
       ebpf map push       MAP value VALUE
       ebpf map pop        MAP
       ebpf map enqueue    MAP value VALUE
       ebpf map dequeue    MAP
       ebpf map freeze     MAP
       ebpf map help

       MAP := { id MAP_ID | pinned FILE | name MAP_NAME | file MAP_FILE }
       DATA := { [hex] BYTES }
       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       VALUE := { DATA | MAP | PROG }
       UPDATE_FLAGS := { any | exist | noexist }
       TYPE := { ${Object.keys(MapType).filter((t) => t !== 'unspec').join(' | ')} }
       FLAGS := { NUMBER | NAME[|NAME...] }  NAME := { ${Object.keys(MapFlags).map((f) => f.toLowerCase()).join(' | ')} }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-f|--bpffs} | --count }`;

/** Sub-commands in bpftool's order: an abbreviation picks the first that it prefixes (`p` is `pin`). */
const SUBCOMMANDS = [
  'show', 'list', 'help', 'dump', 'update', 'lookup', 'getnext', 'delete', 'pin', 'create',
  'peek', 'push', 'enqueue', 'pop', 'dequeue', 'freeze',
] as const;
type Sub = (typeof SUBCOMMANDS)[number];

interface MapOptions {
  /** -f/--bpffs: show pinned paths. */
  readonly bpffs: boolean;
  /** --count: dump prints the number of entries only. */
  readonly count: boolean;
}

export const command: CliCommand = {
  name: 'map',
  summary: 'inspect and manipulate eBPF maps (bpftool map)',
  usage: USAGE,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const rest: string[] = [];
    let bpffs = ctx.bpffs ?? false, count = false;
    for (const a of args) {
      if (a === '-f' || a === '--bpffs') bpffs = true;
      else if (a === '--count') count = true;
      else if (a === '-n' || a === '--nomount') { /* bpffs is mounted only when a path below /sys/fs/bpf needs it */ }
      else rest.push(a);
    }
    try {
      if (rest.some((a) => isPrefix(a, 'file'))) await prepareMapFiles();
      return runMap(rest, ctx, { bpffs, count });
    } catch (e) {
      throw asEbpfError(e);
    }
  },
};

function runMap(args: string[], ctx: CliContext, opts: MapOptions): number {
  const r = new ArgReader(args);
  const word = r.peek();
  if (word === undefined) return show(r, ctx, opts); // bpftool: `bpftool map` alone lists the maps
  const sub = matchKeyword<Sub>(word, SUBCOMMANDS);
  if (sub === undefined) throw new CliUsageError(`map: unknown command '${word}'; expected one of ${SUBCOMMANDS.join(', ')}`);
  r.next('command');
  switch (sub) {
    case 'help': return help(ctx);
    case 'show': case 'list': return show(r, ctx, opts);
    case 'dump': return dump(r, ctx, opts);
    case 'lookup': return lookup(r, ctx);
    case 'update': return update(r, ctx);
    case 'delete': return del(r, ctx);
    case 'getnext': return getnext(r, ctx);
    case 'create': return create(r, ctx);
    case 'pin': return pin(r, ctx);
    case 'freeze': return freeze(r, ctx);
    case 'peek': return peek(r, ctx);
    case 'push': case 'enqueue': return push(r, ctx, sub);
    case 'pop': case 'dequeue': return pop(r, ctx, sub);
  }
}

function help(ctx: CliContext): number {
  if (ctx.json) ctx.out('null');
  else ctx.out(USAGE);
  return 0;
}

/** bpftool prints `null` on stdout for a successful command without output under -j. */
function done(ctx: CliContext): number {
  if (ctx.json) ctx.out('null');
  return 0;
}

function withMap<T>(ref: MapRef, access: 'readonly' | 'readwrite', fn: (m: RawMap) => T): T {
  const m = openMapRef(ref, access);
  try {
    const result = fn(m);
    // A map file is changed in memory, then written back whole.
    if (access === 'readwrite' && mapFilePath(m) !== undefined) saveMapFile(m);
    return result;
  } catch (e) {
    throw explainFrozen(m, e);
  } finally {
    m.close();
  }
}

/** EPERM on a write to a frozen map means the freeze, not a missing capability (kernel/bpf/syscall.c: bpf_map_write_active / map->frozen). */
function explainFrozen(m: RawMap, e: unknown): unknown {
  const frozen = mapFilePath(m) !== undefined ? fileMapFrozen(m) : fdinfo(m.fd).frozen === '1';
  if (e instanceof BpfError && e.code === 'EPERM' && frozen) {
    return new EbpfError('EPERM', `${e.command}: map ${m.name || '(unnamed)'} is frozen: user space can no longer change it (BPF_MAP_FREEZE)`);
  }
  return e;
}

// ---- show -------------------------------------------------------------------

function show(r: ArgReader, ctx: CliContext, opts: MapOptions): number {
  const ref = r.done ? undefined : readMapRef(r, FILE_OK);
  r.end('map show');
  const pins = opts.bpffs ? pinnedMapPaths() : undefined;
  const records = mapRecords(ref, pins);
  if (ctx.json) {
    // bpftool: an array when listing or when a name matches several maps, else the one object.
    const one = ref !== undefined && records.length === 1;
    ctx.out(toJson(one ? records[0] : records, ctx.pretty));
  } else {
    ctx.out(recordsTable(records, opts.bpffs));
  }
  return 0;
}

// ---- dump -------------------------------------------------------------------

const FLUSH_EVERY = 4096;

function dump(r: ArgReader, ctx: CliContext, opts: MapOptions): number {
  if (r.done) throw new CliUsageError('map dump: expected MAP (id N | pinned FILE | name NAME)');
  const ref = readMapRef(r, FILE_OK);
  r.end('map dump');
  const maps = openMapRefs(ref);
  try {
    for (const m of maps) refuseKeyless(m, 'dump');
    if (opts.count) return dumpCount(maps, ctx);
    const several = maps.length > 1;
    if (ctx.json) {
      const sink = new JsonSink(ctx);
      if (several) sink.write('[');
      maps.forEach((m, i) => {
        if (i > 0) sink.write(',');
        dumpJson(m, sink, several);
      });
      if (several) sink.write(']');
      sink.finish();
    } else {
      maps.forEach((m, i) => {
        dumpPlain(m, ctx, several);
        if (several && i < maps.length - 1) ctx.out('');
      });
    }
    return 0;
  } finally {
    for (const m of maps) m.close();
  }
}

function refuseKeyless(m: RawMap, op: string): void {
  const type = m.descriptor.type;
  if (type === MapType.ringbuf || type === MapType.user_ringbuf) {
    // kernel/bpf/ringbuf.c: no get_next_key/lookup from user space; records are read through mmap.
    throw new InvalidArgumentError(`map ${op}: ${mapTypeName(type)} maps hold a stream of records, not keys; read them with the library's ring buffer reader`);
  }
  if (KEYLESS_MAP_TYPES.has(type)) {
    const t = mapTypeName(m.descriptor.type);
    throw new InvalidArgumentError(`map ${op}: ${t} maps have no keys to walk; use 'peek'${t === 'bloom_filter' ? ' MAP value VALUE to test membership' : ', or \'pop\' to drain'}`);
  }
}

function dumpCount(maps: RawMap[], ctx: CliContext): number {
  const counts = maps.map((m) => ({ id: m.info().id, name: m.name, count: countEntries(m) }));
  if (ctx.json) ctx.out(toJson(counts.length === 1 ? { count: counts[0]!.count } : counts, ctx.pretty));
  else if (counts.length === 1) ctx.out(String(counts[0]!.count));
  else ctx.out(counts.map((c) => `${c.id}: ${c.name || '-'}  ${c.count}`).join('\n'));
  return 0;
}

/** A progress line on stderr while a long dump runs, only when stderr is a terminal. */
class Progress {
  readonly #tty = Boolean(process.stderr.isTTY);
  readonly #start = Date.now();
  #shown = false;
  tick(n: number): void {
    if (!this.#tty || Date.now() - this.#start < 300) return;
    process.stderr.write(`\rdumping: ${n} entries...`);
    this.#shown = true;
  }
  clear(): void {
    if (this.#shown) process.stderr.write('\r\x1b[K');
  }
}

function btfFor(m: RawMap): MapBtfView | undefined {
  return mapBtfView(m.info());
}

/**
 * JSON text written in pieces: compact output goes through a 1 MiB byte buffer
 * flushed as it fills (the newline `out` adds between flushes falls between
 * entries: JSON whitespace), so a huge map never sits in memory as one string
 * and raw entries are written byte by byte without building strings.
 * -p collects and re-indents once.
 */
class JsonSink {
  #buf = Buffer.allocUnsafe(1 << 20);
  #pos = 0;
  #all: string[] = [];
  constructor(readonly ctx: CliContext) {}
  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.flushBuffer();
    if (n > this.#buf.length) this.#buf = Buffer.allocUnsafe(n);
  }
  flushBuffer(): void {
    if (this.#pos > 0) this.ctx.out(this.#buf.toString('utf8', 0, this.#pos));
    this.#pos = 0;
  }
  write(text: string): void {
    if (this.ctx.pretty) { this.#all.push(text); return; }
    this.#room(Buffer.byteLength(text));
    this.#pos += this.#buf.write(text, this.#pos, 'utf8');
  }
  /** A raw entry (no BTF, no error), bpftool's shape, straight into the buffer. */
  writeRaw(e: RawEntry): void {
    if (this.ctx.pretty) { this.#all.push(entryJson(e, undefined)); return; }
    const values = e.values ?? [e.value!];
    this.#room(32 + e.key.length * 7 + values.length * (40 + values[0]!.length * 7));
    this.#pos = writeHexEntry(this.#buf, this.#pos, e.key, e.values ? undefined : e.value, e.values);
  }
  finish(): void {
    if (this.ctx.pretty) this.ctx.out(prettyJsonText(this.#all.join('')));
    else this.flushBuffer();
  }
}

function dumpJson(m: RawMap, sink: JsonSink, withHeader: boolean): void {
  const info = m.info();
  const btf = btfFor(m);
  const progress = new Progress();
  if (withHeader) {
    const head = toJson({ id: info.id, type: mapTypeName(info.type) ?? info.type, ...(info.name ? { name: info.name } : {}), flags: info.flags }, false);
    sink.write(`${head.slice(0, -1)},"elements":`);
  }
  sink.write('[');
  let n = 0;
  for (const e of mapEntries(m)) {
    if (n > 0) sink.write(',');
    if (btf || e.error) sink.write(entryJson(e, btf));
    else sink.writeRaw(e);
    if (++n % FLUSH_EVERY === 0) progress.tick(n);
  }
  progress.clear();
  sink.write(withHeader ? ']}' : ']');
}

function dumpPlain(m: RawMap, ctx: CliContext, withHeader: boolean): void {
  const info = m.info();
  const btf = btfFor(m);
  const progress = new Progress();
  if (withHeader) ctx.out(`${info.id}: ${mapTypeName(info.type) ?? `type ${info.type}`}  ${info.name ? `name ${info.name}  ` : ''}flags 0x${info.flags.toString(16)}`);
  let lines: string[] = [];
  let n = 0;
  for (const e of mapEntries(m)) {
    lines.push(entryPlain(e, info, btf));
    if (!e.error) n++;
    if (lines.length >= FLUSH_EVERY) { ctx.out(lines.join('\n')); lines = []; progress.tick(n); }
  }
  progress.clear();
  if (lines.length) ctx.out(lines.join('\n'));
  ctx.out(`Found ${n} element${n === 1 ? '' : 's'}`);
}

// ---- element commands -----------------------------------------------------

/** `file PATH` (an emulator map file) is accepted wherever a command acts on the map it names. */
const FILE_OK = { file: true } as const;

const ELEM_KEYWORDS = ['key', 'value', 'any', 'noexist', 'exist'] as const;

function readKey(r: ArgReader, m: RawMap, cmd: string): Uint8Array {
  if (!r.accept('key')) throw new CliUsageError(`map ${cmd}: expected 'key DATA' (${m.keySize} bytes), got ${r.peek() === undefined ? 'nothing' : `'${r.peek()}'`}`);
  return readData(r, m.keySize, 'key', ELEM_KEYWORDS);
}

function printEntry(ctx: CliContext, m: RawMap, e: RawEntry): void {
  const info = m.info();
  const btf = btfFor(m);
  if (ctx.json) ctx.out(jsonText(entryJson(e, btf), ctx.pretty));
  else ctx.out(entryPlain(e, info, btf));
}

function asEntry(m: RawMap, key: Uint8Array, value: unknown): RawEntry {
  return PERCPU_MAP_TYPES.has(m.descriptor.type) ? { key, values: value as Uint8Array[] } : { key, value: value as Uint8Array };
}

function notFound(ctx: CliContext, text: string): number {
  if (ctx.json) ctx.out('null');
  else ctx.out(text);
  return 1;
}

function lookup(r: ArgReader, ctx: CliContext): number {
  const ref = readMapRef(r, FILE_OK);
  return withMap(ref, 'readonly', (m) => {
    if (KEYLESS_MAP_TYPES.has(m.descriptor.type)) {
      if (!r.done && r.accept('key')) throw new CliUsageError(`map lookup: ${mapTypeName(m.descriptor.type)} maps have no key`);
      r.end('map lookup');
      return peekMap(m, ctx, undefined);
    }
    const key = readKey(r, m, 'lookup');
    r.end('map lookup');
    const v = m.get(key);
    if (v === undefined) return notFound(ctx, `key:\n${hexBlock(key)}\n\nNot found`);
    printEntry(ctx, m, asEntry(m, key, v));
    return 0;
  });
}

function getnext(r: ArgReader, ctx: CliContext): number {
  const ref = readMapRef(r, FILE_OK);
  return withMap(ref, 'readonly', (m) => {
    refuseKeyless(m, 'getnext');
    const key = r.done ? undefined : readKey(r, m, 'getnext');
    r.end('map getnext');
    const next = m.nextKey(key);
    if (next === undefined) {
      throw new EbpfError('ENOENT', key ? `map getnext: no key after ${hexBlock(key).replace(/\n/g, ' ')} (it is the last key)` : 'map getnext: the map is empty');
    }
    if (ctx.json) {
      ctx.out(jsonText(`{"key":${key ? jsonBytes(key) : 'null'},"next_key":${jsonBytes(next)}}`, ctx.pretty));
    } else {
      ctx.out(`${key ? `key:\n${hexBlock(key)}` : 'key: None'}\nnext key:\n${hexBlock(next)}`);
    }
    return 0;
  });
}

function jsonBytes(b: Uint8Array): string {
  return toJson(b, false);
}

function del(r: ArgReader, ctx: CliContext): number {
  const ref = readMapRef(r, FILE_OK);
  return withMap(ref, 'readwrite', (m) => {
    refuseKeyless(m, 'delete');
    const key = readKey(r, m, 'delete');
    r.end('map delete');
    if (!m.delete(key)) throw new EbpfError('ENOENT', `map delete: key ${hexBlock(key).replace(/\n/g, ' ')} not found`);
    return done(ctx);
  });
}

/** Value bytes of `VALUE := DATA | MAP | PROG` for this map; `fds` collects fds to close after the update. */
function readValue(r: ArgReader, m: RawMap, ctx: CliContext, fds: number[]): Uint8Array | Uint8Array[] {
  const t = m.descriptor.type;
  if (t === MapType.array_of_maps || t === MapType.hash_of_maps || t === MapType.prog_array) {
    const isProg = t === MapType.prog_array;
    if (m.valueSize !== 4) throw new CliUsageError(`map update: value of a ${mapTypeName(t)} map is ${m.valueSize} bytes; expected 4 (an fd)`);
    // The kernel takes an fd in and stores the object (kernel/bpf/arraymap.c: bpf_fd_array_map_update_elem).
    let fd: number;
    if (isProg) {
      const pref = readProgRef(r);
      if (pref.kind === 'id') ctx.err('Warning: updating program array via MAP_ID, make sure this map is kept open\n         by some process or pinned otherwise update will be lost');
      fd = openProgRefFd(pref);
    } else {
      const inner = openMapRef(readMapRef(r), 'readonly');
      fd = native().dup(inner.fd);
      inner.close();
      if (fd < 0) throw new EbpfError('EBADF', 'map update: could not duplicate the inner map fd');
    }
    fds.push(fd);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, fd, HOST_LE);
    return b;
  }
  const v = readData(r, m.valueSize, 'value', ELEM_KEYWORDS);
  // bpftool copies one value to every CPU of a per-CPU map (fill_per_cpu_value).
  return PERCPU_MAP_TYPES.has(t) ? Array.from({ length: m.descriptor.nCpus }, () => v) : v;
}

function update(r: ArgReader, ctx: CliContext): number {
  const ref = readMapRef(r, FILE_OK);
  return withMap(ref, 'readwrite', (m) => {
    const keyless = KEYLESS_MAP_TYPES.has(m.descriptor.type);
    const fds: number[] = [];
    try {
      let key: Uint8Array | undefined;
      let value: Uint8Array | Uint8Array[] | undefined;
      let flag: 'any' | 'noexist' | 'exist' | undefined;
      // bpftool's parse_elem: key, value and flag in any order, each once.
      while (!r.done) {
        const w = matchKeyword(r.peek(), ELEM_KEYWORDS);
        if (w === 'key') {
          if (keyless) throw new CliUsageError(`map update: ${mapTypeName(m.descriptor.type)} maps have no key (unnecessary key)`);
          if (key) throw new CliUsageError('map update: duplicate key');
          key = readKey(r, m, 'update');
        } else if (w === 'value') {
          if (value) throw new CliUsageError('map update: duplicate value');
          r.next('value');
          value = readValue(r, m, ctx, fds);
        } else if (w !== undefined) {
          if (flag) throw new CliUsageError(`map update: flags specified multiple times: ${r.peek()}`);
          r.next('flag');
          flag = w;
        } else {
          throw new CliUsageError(`map update: expected key, value or a flag (any, noexist, exist), got '${r.peek()}'`);
        }
      }
      if (!keyless && !key) throw new CliUsageError(`map update: did not find key (expected 'key DATA' of ${m.keySize} bytes)`);
      if (!value) throw new CliUsageError(`map update: did not find value (expected 'value ${m.valueSize} bytes')`);
      if (keyless) {
        if (flag === 'noexist') throw new CliUsageError(`map update: ${mapTypeName(m.descriptor.type)} maps take 'any' or 'exist' (overwrite the oldest when full)`);
        m.push(value, { flag: flag ?? 'any' });
      } else {
        m.update(key!, value, { flag: flag ?? 'any' });
      }
      return done(ctx);
    } finally {
      for (const fd of fds) native().close(fd);
    }
  });
}

// ---- queue / stack / bloom filter ------------------------------------------

function requireKeyless(m: RawMap, op: string): void {
  if (!KEYLESS_MAP_TYPES.has(m.descriptor.type)) {
    throw new InvalidArgumentError(`map ${op}: ${mapTypeName(m.descriptor.type) ?? m.descriptor.type} maps have keys; ${op} works on queue and stack maps${op === 'peek' ? ' and bloom filters' : ''}`);
  }
}

function peekMap(m: RawMap, ctx: CliContext, probe: Uint8Array | undefined): number {
  const v = m.peek(probe);
  if (v === undefined) {
    if (probe) return notFound(ctx, 'Not found');
    if (ctx.json) { ctx.out('null'); return 1; }
    throw new EbpfError('ENOENT', 'empty map');
  }
  printEntry(ctx, m, { key: new Uint8Array(0), value: v as Uint8Array });
  return 0;
}

function peek(r: ArgReader, ctx: CliContext): number {
  const ref = readMapRef(r, FILE_OK);
  return withMap(ref, 'readonly', (m) => {
    requireKeyless(m, 'peek');
    let probe: Uint8Array | undefined;
    if (m.descriptor.type === MapType.bloom_filter) {
      if (!r.accept('value')) throw new CliUsageError(`map peek: a bloom filter is queried with 'value DATA' (${m.valueSize} bytes)`);
      probe = readData(r, m.valueSize, 'value');
    }
    r.end('map peek');
    return peekMap(m, ctx, probe);
  });
}

function push(r: ArgReader, ctx: CliContext, op: 'push' | 'enqueue'): number {
  const ref = readMapRef(r, FILE_OK);
  return withMap(ref, 'readwrite', (m) => {
    requireKeyless(m, op);
    if (!r.accept('value')) throw new CliUsageError(`map ${op}: expected 'value DATA' (${m.valueSize} bytes)`);
    const v = readData(r, m.valueSize, 'value', ['any', 'exist']);
    let flag: 'any' | 'exist' = 'any';
    if (!r.done) {
      const w = matchKeyword(r.peek(), ['any', 'exist'] as const);
      if (!w) throw new CliUsageError(`map ${op}: unexpected argument '${r.peek()}'`);
      r.next('flag');
      flag = w;
    }
    r.end(`map ${op}`);
    m.push(v, { flag });
    return done(ctx);
  });
}

function pop(r: ArgReader, ctx: CliContext, op: 'pop' | 'dequeue'): number {
  const ref = readMapRef(r, FILE_OK);
  r.end(`map ${op}`);
  return withMap(ref, 'readwrite', (m) => {
    requireKeyless(m, op);
    if (m.descriptor.type === MapType.bloom_filter) throw new InvalidArgumentError(`map ${op}: bloom filters cannot remove elements`);
    const v = m.pop();
    if (v === undefined) {
      if (ctx.json) { ctx.out('null'); return 1; }
      throw new EbpfError('ENOENT', 'empty map');
    }
    printEntry(ctx, m, { key: new Uint8Array(0), value: v as Uint8Array });
    return 0;
  });
}

// ---- create / pin / freeze --------------------------------------------------

function parseFlags(token: string): number {
  const n = token.match(/^[0-9+]/) ? parseU32(token, 'flags') : undefined;
  if (n !== undefined) return n;
  let flags = 0;
  for (const part of token.split(/[|,]/)) {
    const name = part.trim().toUpperCase().replace(/^BPF_F_/, '');
    const bit = (MapFlags as Record<string, number>)[name];
    if (bit === undefined) {
      throw new CliUsageError(`flags: unknown flag '${part}'; expected a number or names from ${Object.keys(MapFlags).map((f) => f.toLowerCase()).join(', ')}`);
    }
    flags |= bit;
  }
  return flags;
}

const CREATE_KEYWORDS = ['type', 'name', 'key', 'value', 'entries', 'flags', 'dev', 'offload_dev', 'inner_map'] as const;

function create(r: ArgReader, ctx: CliContext): number {
  const file = r.next('FILE (where to pin the new map)');
  let type: number | undefined, name: string | undefined;
  let keySize: number | undefined, valueSize: number | undefined, maxEntries: number | undefined;
  let flags = 0, ifindex = 0;
  let inner: RawMap | undefined;
  try {
    while (!r.done) {
      const w = matchKeyword(r.peek(), CREATE_KEYWORDS);
      if (w === undefined) throw new CliUsageError(`map create: unknown argument '${r.peek()}'`);
      r.next(w);
      switch (w) {
        case 'type': {
          if (type !== undefined) throw new CliUsageError('map create: map type already specified');
          const t = r.next('TYPE');
          // Exact names only, as bpftool (prefixes could be shadowed by future types).
          const n = t !== 'unspec' ? (MapType as Record<string, number>)[t] : undefined;
          if (n === undefined) throw new CliUsageError(`map create: unknown map type '${t}'; expected one of ${Object.keys(MapType).filter((x) => x !== 'unspec').join(', ')}`);
          type = n;
          break;
        }
        case 'name': name = r.next('NAME'); break;
        case 'key': keySize = parseU32(r.next('KEY_SIZE'), 'key size'); break;
        case 'value': valueSize = parseU32(r.next('VALUE_SIZE'), 'value size'); break;
        case 'entries': maxEntries = parseU32(r.next('MAX_ENTRIES'), 'max entries'); break;
        case 'flags': flags = parseFlags(r.next('FLAGS')); break;
        case 'dev': case 'offload_dev':
          if (ifindex) throw new CliUsageError('map create: offload device already specified');
          ifindex = ifindexByName(r.next('NAME'));
          break;
        case 'inner_map':
          if (inner) throw new CliUsageError('map create: inner_map already specified');
          inner = openMapRef(readMapRef(r), 'readonly');
          break;
      }
    }
    if (type === undefined) throw new CliUsageError('map create: map type not specified (type TYPE)');
    if (name === undefined) throw new CliUsageError('map create: map name not specified (name NAME)');
    if (maxEntries === undefined) throw new CliUsageError('map create: max entries not specified (entries MAX_ENTRIES)');
    if (valueSize === undefined && type !== MapType.ringbuf && type !== MapType.user_ringbuf) {
      throw new CliUsageError('map create: value size not specified (value VALUE_SIZE)');
    }
    if ((type === MapType.array_of_maps || type === MapType.hash_of_maps) && !inner) {
      throw new CliUsageError(`map create: a ${mapTypeName(type)} map needs 'inner_map MAP' as the template of its values`);
    }
    const spec: MapSpec = {
      type, name, keySize: keySize ?? 0, valueSize: valueSize ?? 0, maxEntries, flags,
      ...(ifindex ? { ifindex } : {}),
      ...(inner ? { innerMap: { fd: inner.fd } } : {}),
    };
    const m = createMap(spec);
    try {
      m.pin(file);
    } finally {
      m.close();
    }
    return done(ctx);
  } finally {
    inner?.close();
  }
}

function pin(r: ArgReader, ctx: CliContext): number {
  const ref = readMapRef(r, FILE_OK);
  const file = r.next('FILE (the pin path on bpffs)');
  r.end('map pin');
  return withMap(ref, 'readonly', (m) => {
    m.pin(file);
    return done(ctx);
  });
}

function freeze(r: ArgReader, ctx: CliContext): number {
  const ref = readMapRef(r, FILE_OK);
  r.end('map freeze');
  // BPF_MAP_FREEZE needs a writable fd (kernel/bpf/syscall.c: map_freeze checks FMODE_CAN_WRITE).
  return withMap(ref, 'readwrite', (m) => {
    m.freeze();
    return done(ctx);
  });
}
