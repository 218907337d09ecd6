/**
 * `ebpf btf`: bpftool's `btf` command (tools/bpf/bpftool/btf.c, v7.1 grammar):
 *
 *   ebpf btf { show | list } [id BTF_ID]
 *   ebpf btf dump BTF_SRC [format { raw | c | json }] [root_id ID]...
 *     BTF_SRC := { id BTF_ID | map MAP [{ key | value | kv | all }] | file FILE }
 *     MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
 *   -B|--base-btf FILE  base for split BTF files (module BTF under /sys/kernel/btf
 *                       gets vmlinux automatically, as in bpftool)
 *
 * `file` takes raw BTF or an ELF object (its `.BTF` section). `format json`
 * is the same as `-j` with raw format.
 */
import { readFileSync } from 'node:fs';
import type { CliCommand, CliContext } from '../context.js';
import { CliUsageError } from '../context.js';
import { parseBtf, type Btf } from '../../btf/btf.js';
import { isElf } from '../../elf/sections.js';
import type { BtfInfo } from '../../sys/btf-cmds.js';
import { BpfCmd } from '../../sys/constants.js';
import { EbpfError, ParseError } from '../../sys/errors.js';
import { native } from '../../sys/native.js';

// Loaded on demand: the map layer alone costs ~100 ms of startup, and `dump file` of raw BTF needs none of these.
const mapsModule = () => import('../../maps/index.js');
const btfCmds = () => import('../../sys/btf-cmds.js');
/** The running kernel's vmlinux BTF (the base of module BTF). */
async function loadKernelBtf(): Promise<Btf> {
  return (await import('../../btf/kernel.js')).loadKernelBtf();
}

const USAGE = `Usage: ebpf btf { show | list } [id BTF_ID]
       ebpf btf dump BTF_SRC [format FORMAT] [root_id ROOT_ID]
       ebpf btf help

       BTF_SRC := { id BTF_ID | map MAP [{key | value | kv | all}] | file FILE }
       FORMAT  := { raw | c | json }
       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-B|--base-btf} FILE }`;

function isPrefix(word: string, of: string): boolean {
  return word.length > 0 && of.startsWith(word);
}

function parseId(what: string, s: string | undefined): number {
  if (s === undefined) throw new CliUsageError(`expected ${what}`);
  const n = Number(s);
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(s) || !Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
    throw new CliUsageError(`can't parse ${what} '${s}': expected a non-negative integer`);
  }
  return n;
}

function closeFd(fd: number): void {
  native().close(fd);
}

/** Raw BTF bytes from a file: raw BTF as is, or an ELF object's `.BTF` section. */
async function fileBtfBytes(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new EbpfError((e as NodeJS.ErrnoException).code ?? 'EIO', `can't read ${path}: ${(e as Error).message}`);
  }
  if (!isElf(bytes)) return bytes;
  const { parseElf } = await import('../../elf/index.js');
  const elf = parseElf(bytes);
  const section = elf.sectionByName('.BTF');
  if (!section) throw new ParseError(path, 0, 'ELF object has no .BTF section (compile with -g)');
  return elf.sectionData(section);
}

/** Kernel module BTF (not vmlinux) is split BTF over vmlinux. */
async function kernelBase(info: BtfInfo): Promise<Btf | undefined> {
  return info.kernelBtf && info.name !== 'vmlinux' ? await loadKernelBtf() : undefined;
}

async function btfById(id: number): Promise<Btf> {
  const { btfGetFdById, btfRawByFd } = await btfCmds();
  const fd = btfGetFdById(id);
  try {
    const { info, bytes } = btfRawByFd(fd);
    return parseBtf(bytes, { base: await kernelBase(info) });
  } finally {
    closeFd(fd);
  }
}

interface DumpRequest {
  btf: Btf;
  rootIds?: number[];
}

function readMapSelector(args: string[]): { id: number } | { pinned: string } | { name: string } {
  const [kind, value] = [args.shift(), args.shift()];
  if (kind === undefined || value === undefined) throw new CliUsageError('expected MAP := { id MAP_ID | pinned FILE | name MAP_NAME }');
  if (isPrefix(kind, 'id')) return { id: parseId('map id', value) };
  if (isPrefix(kind, 'pinned')) return { pinned: value };
  if (isPrefix(kind, 'name')) return { name: value };
  throw new CliUsageError(`expected 'id', 'pinned' or 'name', got '${kind}'`);
}

async function dumpSource(args: string[], base: Btf | undefined): Promise<DumpRequest> {
  const src = args.shift();
  if (src === undefined) throw new CliUsageError('expected BTF_SRC := { id BTF_ID | map MAP | file FILE }');
  if (isPrefix(src, 'file')) {
    const path = args.shift();
    if (path === undefined) throw new CliUsageError('expected FILE');
    const autoBase = !base && path.startsWith('/sys/kernel/btf/') && !path.endsWith('/vmlinux') ? await loadKernelBtf() : undefined;
    return { btf: parseBtf(await fileBtfBytes(path), { base: base ?? autoBase }) };
  }
  if (isPrefix(src, 'id')) return { btf: await btfById(parseId('BTF id', args.shift())) };
  if (isPrefix(src, 'map')) {
    const { openMap } = await mapsModule();
    const map = openMap(readMapSelector(args), { raw: true });
    let info;
    try {
      info = map.info();
    } finally {
      map.close();
    }
    if (!info.btfId) throw new EbpfError('ENOENT', `map ${info.id} (${info.name || 'unnamed'}) has no BTF`);
    const btf = await btfById(info.btfId);
    const which = args[0];
    if (which !== undefined && isPrefix(which, 'all')) { args.shift(); return { btf }; }
    let rootIds = [info.btfKeyTypeId, info.btfValueTypeId];
    if (which !== undefined && isPrefix(which, 'key')) { args.shift(); rootIds = [info.btfKeyTypeId]; }
    else if (which !== undefined && isPrefix(which, 'value')) { args.shift(); rootIds = [info.btfValueTypeId]; }
    else if (which !== undefined && isPrefix(which, 'kv')) args.shift();
    return { btf, rootIds: rootIds.filter((id) => id !== 0) };
  }
  throw new CliUsageError(`unrecognized BTF source '${src}': expected id, map or file`);
}

async function dump(args: string[], ctx: CliContext, base: Btf | undefined): Promise<number> {
  const req = await dumpSource(args, base);
  let format = ctx.json ? 'json' : 'raw';
  const roots: number[] = [];
  while (args.length) {
    const word = args.shift()!;
    if (isPrefix(word, 'format')) {
      const f = args.shift();
      if (f === 'raw' || f === 'c' || f === 'json') format = f === 'raw' && ctx.json ? 'json' : f;
      else throw new CliUsageError(`unknown format '${f ?? ''}': expected raw, c or json`);
    } else if (word === 'root_id') {
      const id = parseId('root_id', args.shift());
      if (id >= req.btf.typeCount) throw new CliUsageError(`root_id ${id} is out of range: the BTF has ids 0..${req.btf.typeCount - 1}`);
      roots.push(id);
    } else {
      throw new CliUsageError(`unexpected argument '${word}'`);
    }
  }
  const only = roots.length ? roots : req.rootIds;
  if (format === 'c') {
    if (ctx.json) throw new CliUsageError('format c is not supported with -j/--json (as in bpftool)');
    const { formatC } = await import('../../btf/format-c.js');
    ctx.out(formatC(req.btf, { rootIds: only }));
  } else if (format === 'json') {
    const { formatJson } = await import('../../btf/format-raw.js');
    ctx.out(formatJson(req.btf, { pretty: ctx.pretty, only }));
  } else {
    const { formatRaw } = await import('../../btf/format-raw.js');
    const text = formatRaw(req.btf, only);
    // A sliced string: a regex replace would copy the whole (~12 MB for vmlinux) dump.
    ctx.out(text.endsWith('\n') ? text.slice(0, -1) : text);
  }
  return 0;
}

interface BtfRecord {
  id: number;
  size: number;
  prog_ids: number[];
  map_ids: number[];
  kernel: boolean;
  name?: string;
}

/** Which programs and maps use each BTF id (bpftool builds the same table for `btf show`). */
async function users(): Promise<{ progs: Map<number, number[]>; maps: Map<number, number[]> }> {
  const { listMaps } = await mapsModule();
  const { getFdById, getNextId } = await import('../../sys/map-cmds.js');
  const { progGetInfo } = await import('../../sys/prog-cmds.js');
  const progs = new Map<number, number[]>();
  const maps = new Map<number, number[]>();
  const add = (m: Map<number, number[]>, btfId: number, id: number) => {
    if (!btfId) return;
    const list = m.get(btfId);
    if (list) list.push(id);
    else m.set(btfId, [id]);
  };
  for (const info of listMaps()) add(maps, info.btfId, info.id);
  for (let id = getNextId(BpfCmd.PROG_GET_NEXT_ID, 0); id > 0; id = getNextId(BpfCmd.PROG_GET_NEXT_ID, id)) {
    const fd = getFdById(BpfCmd.PROG_GET_FD_BY_ID, id);
    if (fd < 0) continue; // unloaded in between
    try {
      add(progs, progGetInfo(fd).btfId, id);
    } finally {
      closeFd(fd);
    }
  }
  return { progs, maps };
}

async function show(args: string[], ctx: CliContext): Promise<number> {
  const { btfGetFdById, btfIds, btfInfoByFd } = await btfCmds();
  let ids: number[];
  const single = args.length > 0;
  if (args.length) {
    const word = args.shift()!;
    if (!isPrefix(word, 'id')) throw new CliUsageError(`expected 'id BTF_ID', got '${word}'`);
    ids = [parseId('BTF id', args.shift())];
    if (args.length) throw new CliUsageError(`unexpected argument '${args[0]}'`);
  } else {
    ids = btfIds();
  }
  const { progs, maps } = await users();
  const records: BtfRecord[] = [];
  for (const id of ids) {
    let fd: number;
    try {
      fd = btfGetFdById(id);
    } catch (e) {
      if (!single && e instanceof EbpfError && e.code === 'ENOENT') continue; // freed meanwhile
      throw e;
    }
    try {
      const info = btfInfoByFd(fd);
      const r: BtfRecord = { id: info.id, size: info.size, prog_ids: progs.get(id) ?? [], map_ids: maps.get(id) ?? [], kernel: info.kernelBtf };
      if (info.name) r.name = info.name;
      records.push(r);
    } finally {
      closeFd(fd);
    }
  }
  if (ctx.json) {
    // bpftool prints one object for `show id N`, an array for the full list.
    const { jsonWithBigints } = await import('../../btf/format-raw.js');
    ctx.out(jsonWithBigints(single ? records[0] : records, ctx.pretty));
    return 0;
  }
  const lines = records.map((r) => {
    let s = `${r.id}: name ${r.name ? `[${r.name}]` : '<anon>'}  size ${r.size}B`;
    if (r.prog_ids.length) s += `  prog_ids ${r.prog_ids.join(',')}`;
    if (r.map_ids.length) s += `  map_ids ${r.map_ids.join(',')}`;
    return s;
  });
  if (lines.length) ctx.out(lines.join('\n'));
  return 0;
}

/** Pull `-B/--base-btf FILE` out of the arguments (bpftool accepts it anywhere). */
async function takeBase(args: string[]): Promise<Btf | undefined> {
  const i = args.findIndex((a) => a === '-B' || a === '--base-btf');
  if (i < 0) return undefined;
  const path = args[i + 1];
  if (path === undefined) throw new CliUsageError(`${args[i]} needs a FILE`);
  args.splice(i, 2);
  return parseBtf(await fileBtfBytes(path));
}

export const command: CliCommand = {
  name: 'btf',
  summary: 'inspect BTF: list loaded BTF objects, dump types as raw text, JSON or a C header (vmlinux.h)',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const args = [...argv];
    const base = await takeBase(args);
    const sub = args.shift();
    if (sub === undefined || sub === 'help' || sub === '-h' || sub === '--help') {
      ctx.out(USAGE);
      return sub === undefined ? 1 : 0;
    }
    if (isPrefix(sub, 'show') || isPrefix(sub, 'list')) return show(args, ctx);
    if (isPrefix(sub, 'dump')) return dump(args, ctx, base);
    throw new CliUsageError(`unknown btf command '${sub}'\n${USAGE}`);
  },
};
