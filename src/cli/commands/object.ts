/**
 * `ebpf object`: what a BPF ELF object declares, without loading it.
 *
 *   ebpf object show FILE        sections, maps, global variables, programs, externs, BTF
 *   ebpf [-j|-p] object show FILE   the same as one JSON document
 *
 * Pure: reads the file and parses it (src/object); no bpf(2) call, so it works on any
 * machine and shows the same on every one.
 */
import { readFileSync } from 'node:fs';
import type { CliCommand, CliContext } from '../context.js';
import { CliUsageError, emit } from '../context.js';
import { readCollectionSpec } from '../../object/reader.js';
import { objectNameFromPath } from '../../object/map-names.js';
import type { CollectionSpec, ObjectMapSpec, ProgramRelocation, VariableSpec } from '../../object/spec.js';
import { parseElf, type ElfFile } from '../../elf/elf-file.js';
import { SectionFlags, SectionType } from '../../elf/constants.js';
import { classifySection } from '../../object/context.js';
import { MapFlags } from '../../sys/constants.js';
import { EbpfError } from '../../sys/errors.js';
import { btfTypeName } from '../../codec/btf-codec.js';
import { formatBtfJson } from '../../codec/btf-format.js';
import { parseBtfExt } from '../../btf/ext.js';
import { decode, formatInstruction, slots } from '../../asm/index.js';
import type { FunctionSpec } from '../../object/spec.js';

const USAGE = `Usage: ebpf object show FILE
       ebpf object dump FILE [{ prog | func } NAME]
       ebpf object help

       Shows the sections, maps (type, key/value types and sizes, flags, pinning,
       initial values), global variables with their values, programs (section,
       type, attach type, instruction count), externs and BTF of a BPF ELF object.
       'dump' disassembles its programs and subprograms (one or all), with what
       each relocated instruction refers to (map, global variable, call, extern).
       OPTIONS := { -j|--json [-p|--pretty] }`;

/** Larger initial values are given by size only in the JSON output. */
const MAX_VALUE_BYTES = 64 * 1024;

const SECTION_TYPES: Record<number, string> = Object.fromEntries(Object.entries(SectionType).map(([k, v]) => [v, k]));

function sectionFlags(flags: number): string {
  return [[SectionFlags.WRITE, 'W'], [SectionFlags.ALLOC, 'A'], [SectionFlags.EXECINSTR, 'X'], [SectionFlags.MERGE, 'M'], [SectionFlags.STRINGS, 'S'], [SectionFlags.INFO_LINK, 'I']]
    .filter(([bit]) => (flags & (bit as number)) !== 0).map(([, c]) => c).join('');
}

/** `BPF_F_*` names of a map flags word (`['no_prealloc', 'rdonly_prog']`), unknown bits as hex. */
export function mapFlagNames(flags: number): string[] {
  const out: string[] = [];
  let rest = flags;
  for (const [name, bit] of Object.entries(MapFlags)) {
    if ((flags & bit) !== 0) { out.push(name.toLowerCase()); rest &= ~bit; }
  }
  if (rest !== 0) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out;
}

function typeName(spec: CollectionSpec, id: number | undefined): string | undefined {
  return spec.btf && id ? btfTypeName(spec.btf, id) : undefined;
}

/** A variable's value: BTF-formatted JSON (as bpftool prints typed data) or hex bytes. */
/** Larger variable values are shown as their first bytes: a corrupt BTF size must not make `object show` build millions of strings. */
const MAX_SHOWN_VALUE = 64 * 1024;

function variableValue(spec: CollectionSpec, v: VariableSpec): unknown {
  if (v.value.byteLength > MAX_SHOWN_VALUE) {
    const head = Array.from(v.value.subarray(0, MAX_SHOWN_VALUE), (b) => `0x${b.toString(16).padStart(2, '0')}`);
    return [...head, `... (${v.value.byteLength} bytes, first ${MAX_SHOWN_VALUE} shown)`];
  }
  if (spec.btf && v.btfTypeId) {
    try {
      return JSON.parse(formatBtfJson(spec.btf, v.btfTypeId, v.value, spec.littleEndian));
    } catch {
      // A type without a value layout (or bad BTF) still shows as bytes.
    }
  }
  return Array.from(v.value, (b) => `0x${b.toString(16).padStart(2, '0')}`);
}

function mapRecord(spec: CollectionSpec, m: ObjectMapSpec): Record<string, unknown> {
  return {
    name: m.name,
    realName: m.realName,
    source: m.source,
    section: m.section,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    keyType: typeName(spec, m.btf?.keyTypeId),
    valueType: typeName(spec, m.btf?.valueTypeId),
    maxEntries: m.maxEntries,
    flags: m.flags,
    flagNames: mapFlagNames(m.flags),
    pinning: m.pinning === 0 ? 'none' : m.pinning === 1 ? 'by_name' : m.pinning,
    ...(m.numaNode !== undefined ? { numaNode: m.numaNode } : {}),
    ...(m.mapExtra !== undefined ? { mapExtra: m.mapExtra } : {}),
    freeze: m.freeze,
    ...(m.iproute2 ? { iproute2: m.iproute2 } : {}),
    ...(m.innerMap ? { innerMap: mapRecord(spec, m.innerMap) } : {}),
    ...(m.slots ? { initialSlots: m.slots } : {}),
    ...(m.structOps ? { structOps: m.structOps } : {}),
    // Initial value bytes (bpftool hex form); .bss and .kconfig start as zeros, and huge
    // sections are summarised by size so the document stays readable.
    ...(m.data && m.source !== 'kconfig' && !m.section.startsWith('.bss')
      ? (m.data.byteLength <= MAX_VALUE_BYTES ? { initialValue: m.data } : { initialValueSize: m.data.byteLength })
      : {}),
  };
}

/** Record counts of `.BTF.ext` (func_info, line_info, CO-RE relocations); an unparsable one says why. */
function btfExtSummary(spec: CollectionSpec): Record<string, unknown> {
  if (!spec.btf || !spec.btfExt) return {};
  try {
    const ext = parseBtfExt(spec.btfExt, spec.btf);
    const count = (m: ReadonlyMap<string, readonly unknown[]>) => [...m.values()].reduce((n, l) => n + l.length, 0);
    return { funcInfo: count(ext.funcInfos), lineInfo: count(ext.lineInfos), coreRelocations: count(ext.coreRelos) };
  } catch (e) {
    if (e instanceof EbpfError) return { btfExtError: e.message };
    throw e;
  }
}

function relocationSummary(relocs: readonly ProgramRelocation[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of relocs) out[r.kind] = (out[r.kind] ?? 0) + 1;
  return out;
}

/** The record `object show` prints (its JSON form). */
export function describeObject(path: string, bytes: Uint8Array): Record<string, unknown> {
  const elf: ElfFile = parseElf(bytes);
  const spec = readCollectionSpec(bytes, { objectName: objectNameFromPath(path) });
  return {
    file: path,
    objectName: spec.objectName,
    byteOrder: spec.littleEndian ? 'little' : 'big',
    license: spec.license,
    kernelVersion: spec.kernelVersion,
    btf: spec.btf ? { types: spec.btf.typeCount - spec.btf.firstTypeId, hasBtfExt: spec.btfExt !== undefined, btfExtSize: spec.btfExt?.byteLength ?? 0, ...btfExtSummary(spec) } : null,
    sections: elf.sections.filter((s) => s.index > 0).map((s) => ({
      index: s.index, name: s.name, type: SECTION_TYPES[s.type] ?? `0x${s.type.toString(16)}`, flags: sectionFlags(s.flags),
      size: s.size, kind: classifySection(s),
    })),
    maps: [...spec.maps.values()].map((m) => mapRecord(spec, m)),
    variables: [...spec.variables.values()].map((v) => ({
      name: v.name, map: v.map, offset: v.offset, size: v.size, linkage: v.linkage,
      type: typeName(spec, v.btfTypeId), value: variableValue(spec, v),
    })),
    programs: [...spec.programs.values()].map((p) => ({
      name: p.name, section: p.section, type: p.type, attachType: p.attachType ?? null, attachTo: p.attachTo,
      insns: p.insnCount, sleepable: (p.programFlags & (1 << 4)) !== 0, relocations: relocationSummary(p.relocations),
    })),
    codeSections: spec.codeSections,
    functions: spec.functions.filter((f) => f.section === '.text').map((f) => ({ name: f.name, section: f.section, offset: f.offset, insns: f.insnCount, global: f.global })),
    externs: spec.externs,
  };
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function short(value: unknown, max = 60): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function renderText(d: ReturnType<typeof describeObject>): string {
  const out: string[] = [];
  const btf = d.btf as { types: number; hasBtfExt: boolean } | null;
  out.push(`${d.file}: ELF64 ${d.byteOrder}-endian BPF object, license "${d.license}"${d.kernelVersion ? `, kernel version 0x${(d.kernelVersion as number).toString(16)}` : ''}`);
  const ext = d.btf as { funcInfo?: number; lineInfo?: number; coreRelocations?: number; btfExtError?: string } | null;
  const extText = !btf?.hasBtfExt ? ', no .BTF.ext'
    : ext?.btfExtError ? `, .BTF.ext unreadable (${ext.btfExtError})`
    : `, .BTF.ext: ${ext?.funcInfo} func_info, ${ext?.lineInfo} line_info, ${ext?.coreRelocations} CO-RE relocations`;
  out.push(btf ? `BTF: ${btf.types} types${extText}` : 'BTF: none');
  const sections = d.sections as { index: number; name: string; type: string; flags: string; size: number; kind: string }[];
  // DWARF is noise here: counted, not listed (the JSON form lists every section).
  const isDebug = (name: string) => /^(\.rel)?\.debug_/.test(name);
  const debug = sections.filter((s) => isDebug(s.name)).length;
  out.push('', 'Sections:', table(['IDX', 'NAME', 'TYPE', 'FLAGS', 'SIZE', 'KIND'], sections.filter((s) => !isDebug(s.name)).map((s) => [s.index, s.name, s.type, s.flags, s.size, s.kind])));
  if (debug) out.push(`  (and ${debug} DWARF sections)`);
  const maps = d.maps as Record<string, unknown>[];
  out.push('', `Maps (${maps.length}):`);
  if (maps.length) {
    out.push(table(['NAME', 'TYPE', 'KEY', 'VALUE', 'MAX', 'FLAGS', 'PIN', 'FROM'], maps.map((m) => [
      m.realName === m.name ? String(m.name) : `${m.realName} (${m.name})`,
      String(m.type) + (m.innerMap ? ` of ${(m.innerMap as { type: string }).type}` : ''),
      m.keyType ? `${m.keyType} (${m.keySize})` : String(m.keySize),
      m.valueType ? `${m.valueType} (${m.valueSize})` : String(m.valueSize),
      m.maxEntries as number,
      (m.flagNames as string[]).join(',') || '-',
      String(m.pinning),
      `${m.source}${m.freeze ? ', frozen' : ''}`,
    ])));
    for (const m of maps) {
      if (m.initialSlots) out.push(`  ${m.realName} initial slots: ${(m.initialSlots as { key: number; name: string }[]).map((s) => `[${s.key}] = ${s.name}`).join(', ')}`);
      if (m.iproute2) out.push(`  ${m.realName} iproute2: ${short(m.iproute2)}`);
      if (m.structOps) out.push(`  ${m.realName} struct_ops: ${short(m.structOps, 120)}`);
    }
  }
  const vars = d.variables as Record<string, unknown>[];
  out.push('', `Global variables (${vars.length}):`);
  if (vars.length) out.push(table(['NAME', 'MAP', 'OFFSET', 'SIZE', 'TYPE', 'VALUE'], vars.map((v) => [String(v.name), String(v.map), v.offset as number, v.size as number, String(v.type ?? '-'), short(v.value)])));
  const progs = d.programs as Record<string, unknown>[];
  out.push('', `Programs (${progs.length}):`);
  if (progs.length) out.push(table(['NAME', 'SECTION', 'TYPE', 'ATTACH', 'INSNS', 'RELOCATIONS'], progs.map((p) => [
    String(p.name), String(p.section), String(p.type), String(p.attachType ?? '-') + (p.sleepable ? ' (sleepable)' : ''), p.insns as number,
    Object.entries(p.relocations as Record<string, number>).map(([k, n]) => `${k}:${n}`).join(' ') || '-',
  ])));
  const fns = d.functions as Record<string, unknown>[];
  if (fns.length) out.push('', `Subprograms in .text (${fns.length}):`, table(['NAME', 'OFFSET', 'INSNS', 'LINKAGE'], fns.map((f) => [String(f.name), f.offset as number, f.insns as number, f.global ? 'global' : 'static'])));
  const externs = d.externs as { name: string; kind: string; weak: boolean }[];
  if (externs.length) out.push('', `Externs (${externs.length}):`, table(['NAME', 'KIND', 'WEAK'], externs.map((e) => [e.name, e.kind, e.weak ? 'yes' : 'no'])));
  return out.join('\n');
}

/** The bytes of an object file. Throws `EbpfError` with the fs error code when it cannot be read. */
function readObjectFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new EbpfError((e as NodeJS.ErrnoException).code ?? 'EIO', `can't read ${path}: ${(e as Error).message}`);
  }
}

function show(args: string[], ctx: CliContext): number {
  const [path, ...extra] = args;
  if (!path) throw new CliUsageError('expected FILE: ebpf object show FILE');
  if (extra.length) throw new CliUsageError(`unexpected argument '${extra[0]}'`);
  const bytes = readObjectFile(path);
  const d = describeObject(path, bytes);
  emit(ctx, d, () => renderText(d));
  return 0;
}

/** What a relocated instruction refers to, as a comment (`map counts`, `.rodata+8`). */
function relocationNote(r: ProgramRelocation): string {
  switch (r.kind) {
    case 'map': return `map ${r.map}`;
    case 'data': return `${r.map}+${r.offset}`;
    case 'call': return `call ${r.function}`;
    case 'func_addr': return `&${r.function}`;
    case 'extern': return `extern ${r.extern}`;
  }
}

/** One function's disassembly: slot index, text, relocation note. */
export function disassembleFunction(f: FunctionSpec, littleEndian: boolean): { index: number; text: string; relocation?: string }[] {
  const notes = new Map(f.relocations.map((r) => [r.insn, relocationNote(r)]));
  const out: { index: number; text: string; relocation?: string }[] = [];
  let index = 0;
  for (const insn of decode(f.instructions, littleEndian ? 'le' : 'be')) {
    const note = notes.get(index);
    out.push({ index, text: formatInstruction(insn), ...(note ? { relocation: note } : {}) });
    index += slots(insn);
  }
  return out;
}

function dump(args: string[], ctx: CliContext): number {
  const [path, kind, name, ...extra] = args;
  if (!path) throw new CliUsageError('expected FILE: ebpf object dump FILE [{ prog | func } NAME]');
  if (kind !== undefined && kind !== 'prog' && kind !== 'func') throw new CliUsageError(`expected 'prog NAME' or 'func NAME', got '${kind}'`);
  if (kind !== undefined && name === undefined) throw new CliUsageError(`expected a name after '${kind}'`);
  if (extra.length) throw new CliUsageError(`unexpected argument '${extra[0]}'`);
  const bytes = readObjectFile(path);
  const spec = readCollectionSpec(bytes, { objectName: objectNameFromPath(path) });
  const fns = spec.functions.filter((f) => name === undefined || f.name === name);
  if (fns.length === 0) throw new EbpfError('ENOENT', `no ${kind === 'prog' ? 'program' : 'function'} named '${name}' in ${path}`);
  const records = fns.map((f) => ({
    name: f.name,
    section: f.section,
    program: spec.programs.has(f.name) && spec.programs.get(f.name)!.section === f.section,
    insns: disassembleFunction(f, spec.littleEndian),
  }));
  emit(ctx, records, () => records.map((r) => {
    const head = `${r.program ? 'prog' : 'func'} ${r.name} (section ${r.section}):`;
    const width = Math.max(...r.insns.map((i) => i.text.length));
    return [head, ...r.insns.map((i) => `${String(i.index).padStart(4)}: ${i.relocation ? `${i.text.padEnd(width)}  ; ${i.relocation}` : i.text}`)].join('\n');
  }).join('\n\n'));
  return 0;
}

export const command: CliCommand = {
  name: 'object',
  summary: 'show the maps, variables and programs of a BPF ELF object (no kernel needed)',
  usage: USAGE,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const [verb, ...rest] = args;
    if (!verb || verb === 'help' || verb === '-h' || verb === '--help') {
      ctx.out(USAGE);
      return verb ? 0 : 1;
    }
    if ('show'.startsWith(verb) || 'list'.startsWith(verb)) return show(rest, ctx);
    if ('dump'.startsWith(verb)) return dump(rest, ctx);
    throw new CliUsageError(`unknown command '${verb}' for object\n${USAGE}`);
  },
};
