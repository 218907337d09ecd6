/**
 * Functions and programs: every `STT_FUNC` symbol of an executable section is a
 * function; those outside `.text` are programs whose type comes from the section name
 * (src/object/section-names.ts), those in `.text` are subprograms the loader links in
 * (libbpf.c, bpf_object__add_programs). Relocations of each instruction are resolved
 * to the map, data section, function or extern they name (bpf_program__record_reloc).
 *
 *   insn (8 bytes):  opcode u8 | dst:4 src:4 | off i16 | imm i32
 *   ld_imm64 (16 B): 0x18 ...  imm = low 32 bits | 0 0 0 0 imm = high 32 bits
 */
import { ParseError } from '../sys/errors.js';
import { ByteReader } from '../elf/bytes.js';
import { BpfReloc, SHN_UNDEF, SymbolBinding, SymbolType } from '../elf/constants.js';
import type { ElfSection, ElfSymbol } from '../elf/elf-file.js';
import type { ObjectContext } from './context.js';
import { ObjectError } from './errors.js';
import { lookupSection } from './section-names.js';
import type { CodeSectionSpec, FunctionSpec, ObjectMapSpec, ProgramRelocation, ProgramSpec } from './spec.js';

const INSN_SIZE = 8;
const OP_LD_IMM64 = 0x18;
const OP_CALL = 0x85;

interface MapLookup {
  /** Maps by defining section index, then by offset. */
  readonly bySection: Map<number, ObjectMapSpec[]>;
}

export interface ProgramsResult {
  readonly functions: FunctionSpec[];
  readonly programs: ProgramSpec[];
  readonly codeSections: CodeSectionSpec[];
}

/** Read every function of every executable section. */
export function readPrograms(ctx: ObjectContext, maps: readonly ObjectMapSpec[], license: string, kernelVersion: number): ProgramsResult {
  const lookup: MapLookup = { bySection: new Map() };
  const sectionIndexByName = new Map(ctx.elf.sections.map((s) => [s.name, s.index]));
  for (const m of maps) {
    if (m.source === 'kconfig') continue;
    const idx = sectionIndexByName.get(m.section);
    if (idx === undefined) continue;
    let list = lookup.bySection.get(idx);
    if (!list) lookup.bySection.set(idx, (list = []));
    list.push(m);
  }
  const functions: FunctionSpec[] = [];
  const programs: ProgramSpec[] = [];
  const codeSections: CodeSectionSpec[] = [];
  const funcsBySection = new Map<number, { sym: ElfSymbol; start: number; count: number }[]>();
  const execSections = ctx.elf.sections.filter((s) => ctx.kindOf(s.index) === 'program' && s.size > 0);
  for (const s of execSections) funcsBySection.set(s.index, functionRanges(ctx, s));
  for (const section of execSections) {
    // One copy per section; functions get views of it (one allocation instead of one per function).
    const code = ctx.elf.sectionData(section).slice();
    const r = new ByteReader(code, ctx.elf.littleEndian);
    const relocs = sectionRelocations(ctx, section, r, lookup, funcsBySection);
    const info = section.name === '.text' ? undefined : lookupSection(section.name);
    codeSections.push({
      name: section.name,
      index: section.index,
      insnCount: section.size / INSN_SIZE,
      functions: funcsBySection.get(section.index)!.map((f) => f.sym.name || section.name),
      programType: section.name === '.text' ? undefined : info ? info.type : 'unspec',
    });
    for (const f of funcsBySection.get(section.index)!) {
      const fn: FunctionSpec = {
        name: f.sym.name || section.name,
        section: section.name,
        sectionIndex: section.index,
        offset: f.start,
        instructions: code.subarray(f.start * INSN_SIZE, (f.start + f.count) * INSN_SIZE),
        insnCount: f.count,
        global: f.sym.binding !== SymbolBinding.LOCAL,
        weak: f.sym.binding === SymbolBinding.WEAK,
        relocations: relocs.length === 0 ? [] : relocs
          .filter((rel) => rel.insn >= f.start && rel.insn < f.start + f.count)
          .map((rel) => ({ ...rel, insn: rel.insn - f.start })),
      };
      functions.push(fn);
      if (section.name === '.text') continue;
      programs.push({
        name: fn.name,
        section: fn.section,
        sectionIndex: fn.sectionIndex,
        offset: fn.offset,
        instructions: fn.instructions,
        insnCount: fn.insnCount,
        global: fn.global,
        weak: fn.weak,
        relocations: fn.relocations,
        type: info ? info.type : 'unspec',
        attachType: info?.attachType,
        attachTo: info ? info.attachTo : '',
        programFlags: info ? info.programFlags : 0,
        isReturnProbe: info?.def.isReturnProbe ?? false,
        license,
        kernelVersion,
      });
    }
  }
  return { functions, programs, codeSections };
}

/**
 * Instruction ranges of the functions of a section, from their symbols. A section with
 * no function symbol (hand-written or stripped objects) is one function named after it.
 */
function functionRanges(ctx: ObjectContext, section: ElfSection): { sym: ElfSymbol; start: number; count: number }[] {
  // The section must lie in the file before its size and symbol values are checked, so the
  // errors below name offsets inside the input.
  ctx.elf.sectionData(section);
  if (section.size % INSN_SIZE !== 0) {
    throw new ParseError(`program section ${section.name}`, section.offset, `size ${section.size} is not a multiple of ${INSN_SIZE}`);
  }
  const total = section.size / INSN_SIZE;
  const syms = ctx.symbolsIn(section.index).filter((s) => s.type === SymbolType.FUNC).sort((a, b) => a.value - b.value);
  if (syms.length === 0) {
    const sym: ElfSymbol = { index: 0, name: section.name, binding: SymbolBinding.GLOBAL, type: SymbolType.FUNC, visibility: 0, sectionIndex: section.index, value: 0, size: section.size };
    return [{ sym, start: 0, count: total }];
  }
  return syms.map((sym, i) => {
    if (sym.value % INSN_SIZE !== 0 || sym.value >= section.size) {
      throw new ParseError(`function ${sym.name}`, section.offset, `symbol value ${sym.value} is not an instruction boundary inside the ${section.size}-byte section ${section.name}`);
    }
    const next = i + 1 < syms.length ? syms[i + 1]!.value : section.size;
    const size = sym.size || next - sym.value;
    if (size % INSN_SIZE !== 0 || sym.value + size > section.size) {
      throw new ParseError(`function ${sym.name}`, ctx.elf.errorOffset(section, sym.value), `size ${size} does not fit the ${section.size}-byte section ${section.name} in whole instructions`);
    }
    return { sym, start: sym.value / INSN_SIZE, count: size / INSN_SIZE };
  });
}

function sectionRelocations(
  ctx: ObjectContext,
  section: ElfSection,
  code: ByteReader,
  lookup: MapLookup,
  funcs: Map<number, { sym: ElfSymbol; start: number; count: number }[]>,
): ProgramRelocation[] {
  const rel = ctx.relocationsOf(section.index);
  if (!rel) return [];
  const out: ProgramRelocation[] = [];
  for (const entry of rel.entries) {
    const where = `relocation of ${section.name} at offset ${entry.offset}`;
    if (entry.offset % INSN_SIZE !== 0 || entry.offset + INSN_SIZE > section.size) {
      throw new ParseError(where, rel.section.offset, `offset is not an instruction inside the ${section.size}-byte section`);
    }
    if (entry.type === BpfReloc.NONE) continue;
    const insn = entry.offset / INSN_SIZE;
    const opcode = code.u8(where, entry.offset);
    const imm = code.i32(where, entry.offset + 4);
    const sym = ctx.symbol(entry.symbolIndex);
    const symbol = ctx.symbolName(sym);
    if (sym.sectionIndex === SHN_UNDEF) {
      if (sym.name === '') throw new ObjectError(`${where}: relocation against an unnamed undefined symbol`, section.name);
      out.push({ kind: 'extern', insn, symbol, extern: sym.name });
      continue;
    }
    const target = ctx.elf.sections[sym.sectionIndex];
    if (!target) throw new ParseError(where, rel.section.offset, `symbol ${symbol} has section index ${sym.sectionIndex} out of range`);
    const kind = ctx.kindOf(target.index);
    if (kind === 'program') {
      const isCall = opcode === OP_CALL;
      if (!isCall && opcode !== OP_LD_IMM64) throw new ObjectError(`${where}: reference to function ${symbol} from an instruction with opcode 0x${opcode.toString(16)}, expected call or ld_imm64`, section.name);
      // libbpf: call target = sym_off/8 + imm + 1; subprog address = (sym_off + imm)/8.
      const targetInsn = isCall ? sym.value / INSN_SIZE + imm + 1 : (sym.value + imm) / INSN_SIZE;
      const fn = funcs.get(target.index)?.find((f) => f.start === targetInsn);
      if (!fn || !Number.isInteger(targetInsn)) throw new ObjectError(`${where}: ${isCall ? 'call' : 'function address'} target instruction ${targetInsn} of ${target.name} is not the start of a function`, section.name);
      out.push({ kind: isCall ? 'call' : 'func_addr', insn, symbol, section: target.name, target: targetInsn, function: fn.sym.name || target.name });
      continue;
    }
    if (opcode !== OP_LD_IMM64) throw new ObjectError(`${where}: reference to ${symbol} (section ${target.name}) from an instruction with opcode 0x${opcode.toString(16)}, expected ld_imm64`, section.name);
    if (kind === 'legacy_maps' || kind === 'btf_maps') {
      const offset = sym.value + (sym.type === SymbolType.SECTION ? imm : 0);
      const map = lookup.bySection.get(target.index)?.find((m) => m.sectionOffset === offset);
      if (!map) throw new ObjectError(`${where}: no map defined at offset ${offset} of ${target.name} (symbol ${symbol})`, section.name);
      out.push({ kind: 'map', insn, symbol, map: map.realName });
      continue;
    }
    if (kind === 'data' || kind === 'rodata' || kind === 'bss') {
      const map = lookup.bySection.get(target.index)?.[0];
      if (!map) throw new ObjectError(`${where}: reference to empty data section ${target.name}`, section.name);
      const offset = sym.value + imm;
      if (offset < 0 || offset > target.size) throw new ObjectError(`${where}: offset ${offset} lies outside data section ${target.name} of ${target.size} bytes`, section.name);
      out.push({ kind: 'data', insn, symbol, map: map.realName, offset });
      continue;
    }
    throw new ObjectError(`${where}: relocation against ${symbol} in section ${target.name}, which is neither a map, a data section nor code`, section.name);
  }
  return out;
}
