/**
 * Linking one program: the entry function plus every function it calls (or
 * takes the address of, for callbacks), appended after it as libbpf does
 * (tools/lib/bpf/libbpf.c, bpf_object__reloc_code), and the per-function
 * `.BTF.ext` records (func_info, line_info, CO-RE relocations) moved with them.
 *
 *   entry  | sub A (called by entry) | sub B (called by A) ...
 *   call imm = start(callee) - (index(call) + 1)          BPF_PSEUDO_CALL (src 1)
 *   ld_imm64 imm = start(callback) - (index(ld) + 1)      BPF_PSEUDO_FUNC (src 4, Linux 5.13+)
 *
 * A call to a static function of the same section carries no ELF relocation:
 * its target is the section offset of the calling function + index + imm + 1.
 * Map, data and extern references are returned, with their final instruction
 * index, for the caller to fill in (they need file descriptors).
 */
import type { BtfExt } from '../btf/ext.js';
import type { CollectionSpec, FunctionSpec, ProgramRelocation, ProgramSpec } from '../object/spec.js';
import type { CoreRelocation } from './core-relocate.js';
import { LoaderError } from './errors.js';
import { HOST_LE } from '../sys/bpf.js';

const OP_CALL = 0x85;
const OP_LD_IMM64 = 0x18;
const PSEUDO_CALL = 1;
const PSEUDO_FUNC = 4;

/** A function placed in the linked program. */
export interface PlacedFunction {
  readonly fn: FunctionSpec;
  /** Index of its first instruction in the linked program. */
  readonly start: number;
}

/** A reference the caller resolves: a map, a data section or an extern, at its final index. */
export type PendingReference = Exclude<ProgramRelocation, { kind: 'call' | 'func_addr' }> & { readonly at: number; readonly fn: string };

export interface LinkedProgram {
  /** Instructions in the object's byte order, calls and callbacks fixed. */
  readonly insns: Uint8Array;
  readonly functions: readonly PlacedFunction[];
  readonly references: readonly PendingReference[];
  /** CO-RE relocations with final instruction indices. */
  readonly coreRelocations: readonly CoreRelocation[];
  /** `bpf_func_info` records (insn_off in instructions), host order; undefined without `.BTF.ext`. */
  readonly funcInfo: Uint8Array | undefined;
  readonly lineInfo: Uint8Array | undefined;
}

function key(section: string, offset: number): string {
  return `${section}\u0000${offset}`;
}

/** Index functions by section and start offset. */
export function functionIndex(spec: CollectionSpec): Map<string, FunctionSpec> {
  const m = new Map<string, FunctionSpec>();
  for (const f of spec.functions) m.set(key(f.section, f.offset), f);
  return m;
}

/** The function containing instruction `insn` of `section`, or undefined. */
function functionAt(index: Map<string, FunctionSpec>, spec: CollectionSpec, section: string, insn: number): FunctionSpec | undefined {
  const exact = index.get(key(section, insn));
  if (exact) return exact;
  return spec.functions.find((f) => f.section === section && insn >= f.offset && insn < f.offset + f.insnCount);
}

/**
 * Link `program` with the functions it reaches. Throws `LoaderError`
 * (`EBADCALL`) when a call or callback points outside every function, or at
 * the middle of one.
 */
export function linkProgram(spec: CollectionSpec, program: ProgramSpec, index: Map<string, FunctionSpec>, ext: BtfExt | undefined): LinkedProgram {
  const le = spec.littleEndian;
  const placed: PlacedFunction[] = [];
  const placedBy = new Map<FunctionSpec, number>();
  const place = (fn: FunctionSpec): number => {
    let start = placedBy.get(fn);
    if (start === undefined) {
      start = placed.length === 0 ? 0 : placed[placed.length - 1]!.start + placed[placed.length - 1]!.fn.insnCount;
      placed.push({ fn, start });
      placedBy.set(fn, start);
    }
    return start;
  };
  place(program);
  // Calls to patch once every function has a place: [index in linked program, target function, kind].
  const fixups: { at: number; target: FunctionSpec; kind: 'call' | 'func_addr' }[] = [];
  const references: PendingReference[] = [];
  for (let i = 0; i < placed.length; i++) {
    const { fn, start } = placed[i]!;
    const view = new DataView(fn.instructions.buffer, fn.instructions.byteOffset, fn.instructions.byteLength);
    const relocAt = new Map<number, ProgramRelocation>();
    for (const r of fn.relocations) relocAt.set(r.insn, r);
    for (let j = 0; j < fn.insnCount; j++) {
      const op = fn.instructions[j * 8]!;
      const regs = fn.instructions[j * 8 + 1]!;
      const src = le ? regs >> 4 : regs & 0x0f;
      const r = relocAt.get(j);
      if (r && (r.kind === 'call' || r.kind === 'func_addr')) {
        const target = functionAt(index, spec, r.section, r.target);
        if (!target || target.offset !== r.target) {
          throw new LoaderError('EBADCALL', `program ${program.name}`, `${fn.name}: ${r.kind === 'call' ? 'call' : 'callback address'} of ${r.function} at instruction ${r.target} of ${r.section} is not the start of a function`);
        }
        fixups.push({ at: start + j, target, kind: r.kind });
        place(target);
      } else if (r) {
        references.push({ ...r, at: start + j, fn: fn.name });
      } else if ((op === OP_CALL && src === PSEUDO_CALL) || (op === OP_LD_IMM64 && src === PSEUDO_FUNC)) {
        // A call within the section: no relocation, the imm is already relative.
        const t = fn.offset + j + view.getInt32(j * 8 + 4, le) + 1;
        const target = functionAt(index, spec, fn.section, t);
        if (!target || target.offset !== t) {
          throw new LoaderError('EBADCALL', `program ${program.name}`, `${fn.name}: instruction ${j} calls instruction ${t} of ${fn.section}, which is not the start of a function`);
        }
        fixups.push({ at: start + j, target, kind: op === OP_CALL ? 'call' : 'func_addr' });
        place(target);
      }
      if (op === OP_LD_IMM64) j++;
    }
  }
  const last = placed[placed.length - 1]!;
  const total = last.start + last.fn.insnCount;
  const insns = new Uint8Array(total * 8);
  for (const p of placed) insns.set(p.fn.instructions, p.start * 8);
  const view = new DataView(insns.buffer);
  for (const f of fixups) {
    const start = placedBy.get(f.target)!;
    view.setInt32(f.at * 8 + 4, start - (f.at + 1), le);
    const regs = insns[f.at * 8 + 1]!;
    const src = f.kind === 'call' ? PSEUDO_CALL : PSEUDO_FUNC;
    insns[f.at * 8 + 1] = le ? (regs & 0x0f) | (src << 4) : (regs & 0xf0) | src;
  }
  return { insns, functions: placed, references, ...extRecords(placed, ext) };
}

function inFunction(fn: FunctionSpec, insnOffBytes: number): boolean {
  const i = insnOffBytes / 8;
  return i >= fn.offset && i < fn.offset + fn.insnCount;
}

/** func_info, line_info and CO-RE records of the placed functions, re-based to the linked program. */
function extRecords(placed: readonly PlacedFunction[], ext: BtfExt | undefined): Pick<LinkedProgram, 'coreRelocations' | 'funcInfo' | 'lineInfo'> {
  const coreRelocations: CoreRelocation[] = [];
  if (!ext) return { coreRelocations, funcInfo: undefined, lineInfo: undefined };
  const funcs: [number, number][] = [];
  const lines: [number, number, number, number][] = [];
  for (const { fn, start } of placed) {
    const moved = (off: number) => off / 8 - fn.offset + start;
    for (const r of ext.funcInfos.get(fn.section) ?? []) if (inFunction(fn, r.insnOff)) funcs.push([moved(r.insnOff), r.typeId]);
    for (const r of ext.lineInfos.get(fn.section) ?? []) if (inFunction(fn, r.insnOff)) lines.push([moved(r.insnOff), r.fileNameOff, r.lineOff, r.lineCol]);
    for (const r of ext.coreRelos.get(fn.section) ?? []) {
      if (inFunction(fn, r.insnOff)) coreRelocations.push({ insn: moved(r.insnOff), typeId: r.typeId, accessString: r.accessString, kind: r.kind });
    }
  }
  const encode = (rows: number[][], width: number): Uint8Array | undefined => {
    if (rows.length === 0) return undefined;
    // A fresh ArrayBuffer (off-heap, fixed address) in host order: the kernel reads it during BPF_PROG_LOAD.
    const out = new Uint8Array(new ArrayBuffer(rows.length * width * 4));
    const view = new DataView(out.buffer);
    rows.forEach((row, i) => row.forEach((v, j) => view.setUint32((i * width + j) * 4, v >>> 0, HOST_LE)));
    return out;
  };
  return { coreRelocations, funcInfo: encode(funcs, 2), lineInfo: encode(lines, 4) };
}
