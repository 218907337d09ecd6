/**
 * `ebpf prog`: bpftool's `prog` command (tools/bpf/bpftool/prog.c, v7.1) over
 * the library, with the same grammar and the same -j JSON:
 *
 *   ebpf prog { show | list } [PROG]
 *   ebpf prog run PROG data_in FILE [data_out FILE [data_size_out L]] [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] [repeat N]
 *   ebpf prog pin PROG FILE
 *   ebpf prog dump xlated PROG [opcodes]
 *   ebpf prog loadall OBJ PATH [pinmaps MAP_DIR]
 *   PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { CliCommand, CliContext } from '../context.js';
import { CliUsageError, toJson } from '../context.js';
import { ArgReader, describeRef, matchKeyword, parseU32, readProgRef, type ProgRef } from '../map-args.js';
import { fdinfo, openProgRefFd } from '../map-select.js';
import { asEbpfError, pinnedObjectPaths } from '../select.js';
import { decode, disassemble, hostOrder, slots } from '../../asm/index.js';
import { xlatedCallResolver } from '../../prog/index.js';
import { Program } from '../../prog/program.js';
import { bpfError } from '../../sys/bpf.js';
import { BpfCmd } from '../../sys/constants.js';
import { EbpfError } from '../../sys/errors.js';
import { prepareBpffsPath } from '../../sys/fs.js';
import { getFdById, getNextId, objPin } from '../../sys/map-cmds.js';
import { native } from '../../sys/native.js';
import { progGetInfo, type ProgInfo } from '../../sys/prog-cmds.js';
import { progTypeName } from '../../sys/prog-types.js';

const USAGE = `Usage: ebpf prog { show | list } [PROG]
       ebpf prog dump xlated PROG [opcodes]
       ebpf prog pin   PROG FILE
       ebpf prog run   PROG data_in FILE [data_out FILE [data_size_out L]] \\
                            [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] [repeat N]
       ebpf prog loadall OBJ PATH [pinmaps MAP_DIR]
       ebpf prog help

       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-f|--bpffs} }`;

const SUBCOMMANDS = ['show', 'list', 'help', 'dump', 'pin', 'run', 'loadall'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

export const command: CliCommand = {
  name: 'prog',
  summary: 'inspect, test-run and pin eBPF programs (bpftool prog)',
  usage: USAGE,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const rest: string[] = [];
    let bpffs = ctx.bpffs ?? false;
    for (const a of args) {
      if (a === '-f' || a === '--bpffs') bpffs = true;
      else rest.push(a);
    }
    try {
      return await runProg(rest, ctx, bpffs);
    } catch (e) {
      throw asEbpfError(e);
    }
  },
};

async function runProg(args: string[], ctx: CliContext, bpffs: boolean): Promise<number> {
  const r = new ArgReader(args);
  const word = r.peek();
  if (word === undefined) return help(ctx);
  const sub = matchKeyword<Sub>(word, SUBCOMMANDS);
  if (sub === undefined) throw new CliUsageError(`prog: unknown command '${word}'; expected one of ${SUBCOMMANDS.join(', ')}`);
  r.next('command');
  switch (sub) {
    case 'help': return help(ctx);
    case 'show': case 'list': return show(r, ctx, bpffs);
    case 'dump': return dump(r, ctx);
    case 'pin': return pin(r, ctx);
    case 'run': return run(r, ctx);
    case 'loadall': return loadall(r, ctx);
  }
}

function help(ctx: CliContext): number {
  if (ctx.json) ctx.out('null');
  else ctx.out(USAGE);
  return 0;
}

// ---- show -------------------------------------------------------------------

/** Program ids a reference selects: all (no ref), one (id/pinned), or every match (name/tag), as bpftool. */
function selectedIds(ref: ProgRef | undefined): number[] {
  if (ref && (ref.kind === 'id' || ref.kind === 'pinned')) {
    const fd = openProgRefFd(ref);
    try {
      return [progGetInfo(fd).id];
    } finally {
      native().close(fd);
    }
  }
  const ids: number[] = [];
  for (let id = getNextId(BpfCmd.PROG_GET_NEXT_ID, 0); id > 0; id = getNextId(BpfCmd.PROG_GET_NEXT_ID, id)) {
    if (!ref) { ids.push(id); continue; }
    const fd = getFdById(BpfCmd.PROG_GET_FD_BY_ID, id);
    if (fd < 0) continue;
    try {
      const info = progGetInfo(fd);
      if (ref.kind === 'name' ? info.name === ref.name : info.tag === ref.tag) ids.push(id);
    } finally {
      native().close(fd);
    }
  }
  if (ref && ids.length === 0) throw new EbpfError('ENOENT', `no program with ${describeRef(ref)}`);
  return ids;
}

/** bpftool's wall-clock load time: realtime - boottime + load_time, in whole seconds (prog.c, print_boot_time). */
function loadedAt(loadTimeNs: bigint): number {
  let uptime = 0;
  try { uptime = Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])); } catch { /* 0 */ }
  return Math.floor(Date.now() / 1000) - uptime + Number(loadTimeNs / 1_000_000_000n);
}

/** One `prog show` record, keys in bpftool's order (prog.c, print_prog_header_json + print_prog_json). */
export function progRecord(info: ProgInfo, memlock: string | undefined, pins: string[] | undefined): Record<string, unknown> {
  const rec: Record<string, unknown> = { id: info.id, type: progTypeName(info.type) ?? info.type };
  if (info.name) rec.name = info.name;
  rec.tag = info.tag;
  rec.gpl_compatible = info.gplCompatible;
  if (info.runTimeNs) { rec.run_time_ns = info.runTimeNs; rec.run_cnt = info.runCnt; }
  if (info.recursionMisses) rec.recursion_misses = info.recursionMisses;
  if (info.ifindex) rec.dev = { ifindex: info.ifindex };
  if (info.loadTime) { rec.loaded_at = loadedAt(info.loadTime); rec.uid = info.createdByUid; }
  rec.bytes_xlated = info.xlatedProgLen;
  rec.jited = info.jitedProgLen > 0;
  if (info.jitedProgLen) rec.bytes_jited = info.jitedProgLen;
  if (memlock !== undefined) rec.bytes_memlock = Number(memlock);
  if (info.mapIds.length) rec.map_ids = [...info.mapIds];
  if (pins && pins.length) rec.pinned = pins;
  if (info.btfId) rec.btf_id = info.btfId;
  return rec;
}

function formatTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const tz = `${off >= 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${tz}`;
}

/** bpftool's plain `prog show` lines for one record (prog.c, show_prog_plain). */
export function progText(rec: Record<string, unknown>): string {
  let head = `${rec.id}: ${typeof rec.type === 'number' ? `type ${rec.type}` : rec.type}`;
  if (rec.name) head += `  name ${rec.name}`;
  head += `  tag ${rec.tag}`;
  if (rec.gpl_compatible) head += '  gpl';
  if (rec.run_time_ns !== undefined) head += ` run_time_ns ${rec.run_time_ns} run_cnt ${rec.run_cnt}`;
  if (rec.recursion_misses !== undefined) head += ` recursion_misses ${rec.recursion_misses}`;
  const lines = [head];
  if (rec.loaded_at !== undefined) lines.push(`\tloaded_at ${formatTime(rec.loaded_at as number)}  uid ${rec.uid}`);
  let sizes = `\txlated ${rec.bytes_xlated}B${rec.jited ? `  jited ${rec.bytes_jited}B` : '  not jited'}`;
  if (rec.bytes_memlock !== undefined) sizes += `  memlock ${rec.bytes_memlock}B`;
  if (rec.map_ids) sizes += `  map_ids ${(rec.map_ids as number[]).join(',')}`;
  lines.push(sizes);
  for (const p of (rec.pinned as string[] | undefined) ?? []) lines.push(`\tpinned ${p}`);
  if (rec.btf_id) lines.push(`\tbtf_id ${rec.btf_id}`);
  return lines.join('\n');
}

/** Program id → pinned paths on every mounted bpffs (bpftool's -f). */
function pinnedProgPaths(): Map<number, string[]> {
  // maps and links have no prog_type line in fdinfo
  return pinnedObjectPaths((fd) => (fdinfo(fd).prog_type === undefined ? undefined : progGetInfo(fd).id));
}

function show(r: ArgReader, ctx: CliContext, bpffs: boolean): number {
  const ref = r.done ? undefined : readProgRef(r);
  r.end('prog show');
  const pins = bpffs ? pinnedProgPaths() : undefined;
  const records: Record<string, unknown>[] = [];
  for (const id of selectedIds(ref)) {
    const fd = getFdById(BpfCmd.PROG_GET_FD_BY_ID, id);
    if (fd < 0) continue; // unloaded meanwhile
    try {
      records.push(progRecord(progGetInfo(fd), fdinfo(fd).memlock, pins?.get(id)));
    } finally {
      native().close(fd);
    }
  }
  if (ctx.json) {
    const one = ref !== undefined && records.length === 1;
    ctx.out(toJson(one ? records[0] : records, ctx.pretty));
  } else if (records.length) {
    ctx.out(records.map(progText).join('\n'));
  }
  return 0;
}

// ---- dump xlated ----------------------------------------------------------------

function dump(r: ArgReader, ctx: CliContext): number {
  const what = r.next("'xlated'");
  if (!'xlated'.startsWith(what)) {
    throw new CliUsageError(what === 'jited' || 'jited'.startsWith(what) ? "prog dump jited is not supported (no disassembler for machine code); use 'xlated'" : `prog dump: expected 'xlated', got '${what}'`);
  }
  const ref = readProgRef(r);
  const opcodes = r.accept('opcodes');
  r.end('prog dump xlated');
  const fd = openProgRefFd(ref);
  let info: ProgInfo;
  try {
    info = progGetInfo(fd, { xlated: true });
  } finally {
    native().close(fd);
  }
  if (!info.xlated) throw new EbpfError('EPERM', 'prog dump xlated: the kernel returned no instructions (needs CAP_SYS_ADMIN, and not for offloaded programs)');
  const insns = decode(info.xlated, hostOrder());
  const lines = disassemble(insns, { mapRef: 'id', resolveCall: xlatedCallResolver(), indices: false });
  if (ctx.json) {
    let slot = 0;
    const out = insns.map((insn, i) => {
      const rec: Record<string, unknown> = { disasm: lines[i]! };
      if (opcodes) {
        const bytes = info.xlated!.subarray(slot * 8, (slot + slots(insn)) * 8);
        // bpftool prints ld_imm64's imm as the 12 bytes after off (both slots' immediates and the zero fields between).
        rec.opcodes = { code: `0x${insn.opcode.toString(16).padStart(2, '0')}`, src_reg: `0x${insn.src.toString(16)}`, dst_reg: `0x${insn.dst.toString(16)}`, off: [...bytes.subarray(2, 4)].map(hex), imm: [...bytes.subarray(4)].map(hex) };
      }
      slot += slots(insn);
      return rec;
    });
    ctx.out(toJson(out, ctx.pretty));
    return 0;
  }
  const text: string[] = [];
  let slot = 0;
  insns.forEach((insn, i) => {
    text.push(`${String(slot).padStart(4)}: ${lines[i]}`);
    if (opcodes) {
      const bytes = info.xlated!.subarray(slot * 8, (slot + slots(insn)) * 8);
      text.push(`       ${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
    }
    slot += slots(insn);
  });
  ctx.out(text.join('\n'));
  return 0;
}

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0')}`;

// ---- pin ------------------------------------------------------------------------

function pin(r: ArgReader, ctx: CliContext): number {
  const ref = readProgRef(r);
  const path = r.next('FILE');
  r.end('prog pin');
  const fd = openProgRefFd(ref);
  try {
    prepareBpffsPath(path);
    const res = objPin(fd, path);
    if (res < 0) throw bpfError(-res, BpfCmd.OBJ_PIN, path);
  } finally {
    native().close(fd);
  }
  if (ctx.json) ctx.out('null');
  return 0;
}

// ---- run ------------------------------------------------------------------------

/** Largest input file `prog run` reads, as bpftool (prog.c, read_fd_into_buffer caps at 32 MiB). */
const MAX_RUN_INPUT = 32 << 20;

function readInput(file: string, what: string): Uint8Array {
  const bytes = file === '-' ? readFileSync(0) : readFileSync(file);
  if (bytes.byteLength > MAX_RUN_INPUT) throw new EbpfError('E2BIG', `${what} ${file}: ${bytes.byteLength} bytes, more than the ${MAX_RUN_INPUT} bytes bpftool accepts`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** bpftool's hex_print: `%07x\t` offset, 16 bytes in pairs, then the printable characters. */
export function hexPrint(data: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += 16) {
    let s = `${i.toString(16).padStart(7, '0')}\t`;
    let j = i;
    for (; j < i + 16 && j < data.length; j++) s += data[j]!.toString(16).padStart(2, '0') + (j % 2 ? ' ' : '');
    for (; j < i + 16; j++) s += `  ${j % 2 ? ' ' : ''}`;
    s += '| ';
    for (j = i; j < i + 16 && j < data.length; j++) {
      const c = data[j]!;
      s += (c < 0x20 || c > 0x7e ? '.' : String.fromCharCode(c)) + (j === i + 7 ? ' ' : '');
    }
    lines.push(s);
  }
  return lines.join('\n');
}

function run(r: ArgReader, ctx: CliContext): number {
  const ref = readProgRef(r);
  let dataIn: Uint8Array | undefined, ctxIn: Uint8Array | undefined;
  let dataOutFile: string | undefined, ctxOutFile: string | undefined;
  let dataSizeOut: number | undefined, ctxSizeOut: number | undefined;
  let repeat = 1;
  while (!r.done) {
    const kw = r.next('keyword');
    if (kw === 'data_in') dataIn = readInput(r.next('data_in FILE'), 'data_in');
    else if (kw === 'data_out') dataOutFile = r.next('data_out FILE');
    else if (kw === 'data_size_out') dataSizeOut = parseU32(r.next('data_size_out L'), 'data_size_out');
    else if (kw === 'ctx_in') ctxIn = readInput(r.next('ctx_in FILE'), 'ctx_in');
    else if (kw === 'ctx_out') ctxOutFile = r.next('ctx_out FILE');
    else if (kw === 'ctx_size_out') ctxSizeOut = parseU32(r.next('ctx_size_out M'), 'ctx_size_out');
    else if (kw === 'repeat') repeat = parseU32(r.next('repeat N'), 'repeat');
    else throw new CliUsageError(`prog run: unknown keyword '${kw}'; expected data_in, data_out, data_size_out, ctx_in, ctx_out, ctx_size_out or repeat`);
  }
  const fd = openProgRefFd(ref);
  const prog = new Program(fd, progGetInfo(fd).type, '');
  try {
    // Like bpftool, a buffer for outputs only when a file was named; default sizes 32 KiB data, ctx_in's size.
    const result = prog.testRun({
      dataIn,
      dataOut: dataOutFile !== undefined ? Math.max(dataSizeOut ?? 32 * 1024, 1) : 0,
      ctxIn,
      ctxOut: ctxOutFile !== undefined ? Math.max(ctxSizeOut ?? ctxIn?.byteLength ?? 32 * 1024, 1) : 0,
      repeat,
    });
    const json: Record<string, unknown> = {};
    const outputs: string[] = [];
    for (const [name, file, bytes] of [['data_out', dataOutFile, result.dataOut], ['ctx_out', ctxOutFile, result.ctxOut]] as const) {
      if (file === undefined || bytes.byteLength === 0) continue;
      if (file !== '-') writeFileSync(file, bytes);
      else if (ctx.json) json[name] = [...bytes];
      else outputs.push(hexPrint(bytes));
    }
    if (ctx.json) {
      json.retval = result.retval;
      json.duration = result.duration;
      ctx.out(toJson(json, ctx.pretty));
    } else {
      outputs.push(`Return value: ${result.retval}, duration${repeat > 1 ? ' (average)' : ''}: ${result.duration}ns`);
      ctx.out(outputs.join('\n'));
    }
  } finally {
    prog.close();
  }
  return 0;
}

// ---- loadall (needs the loader) ---------------------------------------------------

async function loadall(r: ArgReader, ctx: CliContext): Promise<number> {
  const obj = r.next('OBJ');
  const dir = r.next('PATH');
  let pinmaps: string | undefined;
  if (r.accept('pinmaps')) pinmaps = r.next('pinmaps MAP_DIR');
  r.end('prog loadall');
  // The loader sits above src/cli's other imports; load it only for this command.
  const loader = await import('../../loader/index.js');
  loader.loadAllAndPin(obj, dir, pinmaps);
  if (ctx.json) ctx.out('null');
  return 0;
}
