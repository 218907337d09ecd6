/**
 * BPF CO-RE ("compile once, run everywhere") relocation: rewrite the
 * instructions clang marked in `.BTF.ext` so that field offsets, sizes,
 * existence checks, type ids and enum values agree with the kernel the
 * program is loaded into (its BTF, /sys/kernel/btf/vmlinux), not with the
 * headers it was compiled against.
 *
 * For each relocation:
 *   1. parse the local access spec (core-spec.ts);
 *   2. find target candidates: types of the same kind whose essential name
 *      (without `___flavour`) equals the local one's;
 *   3. match the spec against every candidate; all matches must agree on the
 *      result, else the relocation is ambiguous (an error);
 *   4. compute the old and new value and patch the instruction: the imm of an
 *      ALU op or ld_imm64, or the offset (and size) of a load/store.
 * When no candidate matches, existence kinds resolve to 0, type-based kinds
 * to 0, and everything else poisons the instruction: it becomes a call to the
 * invalid helper 0xbad2310, which the verifier only rejects if it is reachable,
 * so `if (bpf_core_field_exists(...))` guards keep working. These rules are
 * libbpf's (tools/lib/bpf/relo_core.c), also applied by the kernel itself for
 * light skeletons (kernel/bpf/btf.c, Linux 5.17+).
 */
import type { BtfSpec } from '../btf/types.js';
import { Class, LD_IMM64, Size, Source } from '../asm/opcodes.js';
import { CoreRelocationError } from './errors.js';
import { BadBtfError, essentialName, isAnyEnum, isComposite, kindsCoreCompatible, sizeOf, skipModsAndTypedefs } from './core-compat.js';
import {
  BadSpecError, CoreReloKind, type CoreSpec, coreReloKindName, describeSpec, isEnumValueBased, isFieldBased, matchCoreSpec,
  parseCoreSpec,
} from './core-spec.js';

export { CoreReloKind, coreReloKindName } from './core-spec.js';
export { CoreTarget, coreTarget } from './core-target.js';
import type { CoreTarget } from './core-target.js';

/** One `struct bpf_core_relo` record of `.BTF.ext`, with its instruction made relative to the program. */
export interface CoreRelocation {
  /** Index (8-byte slots) of the instruction to patch. */
  readonly insn: number;
  /** Root type id in the object's BTF. */
  readonly typeId: number;
  /** `"0:1:2"`. */
  readonly accessString: string;
  /** `CoreReloKind`. */
  readonly kind: number;
}

/** The computed outcome of one relocation, before patching. */
export interface CoreResult {
  /** Value the compiler put in the instruction (from the local BTF). */
  readonly oldValue: bigint;
  /** Value for the target kernel. */
  readonly newValue: bigint;
  /** Replace the instruction with a call to the invalid helper 0xbad2310. */
  readonly poison: boolean;
  /** Check that the instruction really holds `oldValue` (off for bitfields, whose encoding is the compiler's choice). */
  readonly validate: boolean;
  /** Load/store sizes for byte-offset relocations, 0 when not applicable. */
  readonly oldSize: number;
  readonly newSize: number;
  /** The size changed in a way a load cannot follow (e.g. signed int widening): poison loads/stores. */
  readonly failMemSizeAdjust: boolean;
  /** The target spec matched, for messages; undefined when nothing matched. */
  readonly target: string | undefined;
}

/** The helper id libbpf writes into poisoned instructions ("bad relo"), 195896080. */
export const POISON_HELPER_ID = 0xbad2310;

type Calc = { value: bigint; size: number; typeId: number; validate: boolean } | 'poison';

/** libbpf bpf_core_calc_field_relo: value of a field-based relocation for one side. */
function calcField(kind: number, spec: CoreSpec | undefined, littleEndian: boolean): Calc {
  if (kind === CoreReloKind.FIELD_EXISTS) return { value: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return 'poison';
  const acc = spec.accessors[spec.accessors.length - 1]!;
  const btf = spec.btf;
  if (acc.name === undefined) {
    // The access ends in an array element (`a[n]`): only offset and size make sense.
    const sz = sizeOf(btf, acc.typeId);
    if (sz === undefined) throw new BadSpecError(`array element [${acc.typeId}] has no size`);
    if (kind === CoreReloKind.FIELD_BYTE_OFFSET) return { value: BigInt(spec.bitOffset / 8), size: sz, typeId: acc.typeId, validate: true };
    if (kind === CoreReloKind.FIELD_BYTE_SIZE) return { value: BigInt(sz), size: 0, typeId: 0, validate: true };
    throw new BadSpecError(`${coreReloKindName(kind)} cannot be applied to an array element access`);
  }
  const holder = btf.typeById(acc.typeId);
  if (!isComposite(holder)) throw new BadSpecError(`accessor type [${acc.typeId}] is not a struct or union`);
  const member = holder.members[acc.index]!;
  const { type: mt, id: fieldTypeId } = skipModsAndTypedefs(btf, member.type);
  const bitOff = spec.bitOffset;
  let bitSize = member.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    // Smallest naturally aligned load that covers the whole bitfield.
    byteSize = sizeOf(btf, fieldTypeId) ?? 0;
    if (byteSize === 0) throw new BadSpecError(`bitfield ${member.name} has an unsized type`);
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new BadSpecError(`bitfield ${member.name} cannot be read with one 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    const sz = sizeOf(btf, fieldTypeId);
    if (sz === undefined) throw new BadSpecError(`field ${member.name} has an unsized type`);
    byteSize = sz;
    byteOff = bitOff / 8;
    bitSize = byteSize * 8;
  }
  // For bitfields the compiler's choice of load is not ours to second-guess, except sign and right shift.
  let validate = !bitfield;
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      return { value: BigInt(byteOff), size: bitfield ? 0 : byteSize, typeId: bitfield ? 0 : fieldTypeId, validate };
    case CoreReloKind.FIELD_BYTE_SIZE:
      return { value: BigInt(byteSize), size: 0, typeId: 0, validate };
    case CoreReloKind.FIELD_SIGNED: {
      const signed = (isAnyEnum(mt) && mt.signed) || (mt.kind === 'int' && (mt.encoding & 1) !== 0);
      return { value: signed ? 1n : 0n, size: 0, typeId: 0, validate: true };
    }
    case CoreReloKind.FIELD_LSHIFT_U64: {
      // The shift that moves the bitfield to the top of a u64 after the load; depends on the program's byte order.
      const v = littleEndian ? 64 - (bitOff + bitSize - byteOff * 8) : (8 - byteSize) * 8 + (bitOff - byteOff * 8);
      return { value: BigInt(v), size: 0, typeId: 0, validate };
    }
    case CoreReloKind.FIELD_RSHIFT_U64:
      validate = true;
      return { value: BigInt(64 - bitSize), size: 0, typeId: 0, validate };
    default:
      throw new BadSpecError(`unknown field relocation kind ${kind}`);
  }
}

function calcType(kind: number, spec: CoreSpec | undefined): Calc {
  // Type-based relocations resolve to zero when the target type is missing.
  if (!spec) return { value: 0n, size: 0, typeId: 0, validate: true };
  switch (kind) {
    case CoreReloKind.TYPE_ID_LOCAL:
    case CoreReloKind.TYPE_ID_TARGET:
      return { value: BigInt(spec.rootTypeId), size: 0, typeId: 0, validate: true };
    case CoreReloKind.TYPE_EXISTS:
    case CoreReloKind.TYPE_MATCHES:
      return { value: 1n, size: 0, typeId: 0, validate: true };
    case CoreReloKind.TYPE_SIZE: {
      const sz = sizeOf(spec.btf, spec.rootTypeId);
      if (sz === undefined) throw new BadSpecError(`type [${spec.rootTypeId}] has no size`);
      return { value: BigInt(sz), size: 0, typeId: 0, validate: true };
    }
    default:
      throw new BadSpecError(`unknown type relocation kind ${kind}`);
  }
}

function calcEnum(kind: number, spec: CoreSpec | undefined): Calc {
  if (kind === CoreReloKind.ENUMVAL_EXISTS) return { value: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return 'poison';
  const acc = spec.accessors[0]!;
  const t = spec.btf.typeById(acc.typeId);
  if (!isAnyEnum(t)) throw new BadSpecError(`[${acc.typeId}] is not an enum`);
  // The instruction holds the value as a u64 bit pattern.
  return { value: BigInt.asUintN(64, t.values[acc.index]!.value), size: 0, typeId: 0, validate: true };
}

function calc(kind: number, spec: CoreSpec | undefined, le: boolean): Calc {
  if (isFieldBased(kind)) return calcField(kind, spec, le);
  if (isEnumValueBased(kind)) return calcEnum(kind, spec);
  return calcType(kind, spec);
}

/** libbpf bpf_core_calc_relo: the old value from the local spec, the new from the target. */
function calcResult(kind: number, local: CoreSpec, target: CoreSpec | undefined, le: boolean): CoreResult {
  const old = calc(kind, local, le);
  if (old === 'poison') throw new BadSpecError('local spec cannot be evaluated');
  const neu = calc(kind, target, le);
  const describe = target ? describeSpec(target) : undefined;
  if (neu === 'poison') {
    return { oldValue: old.value, newValue: 0n, poison: true, validate: old.validate, oldSize: old.size, newSize: 0, failMemSizeAdjust: false, target: describe };
  }
  let failMemSizeAdjust = false;
  if (target && old.size !== neu.size) {
    // Narrowing or widening a load is safe only for pointers and unsigned ints (zero extension keeps the value).
    const ot = local.btf.typeById(old.typeId);
    const nt = target.btf.typeById(neu.typeId);
    const bothPtr = ot.kind === 'ptr' && nt.kind === 'ptr';
    const bothUnsigned = ot.kind === 'int' && nt.kind === 'int' && (ot.encoding & 1) === 0 && (nt.encoding & 1) === 0;
    failMemSizeAdjust = !bothPtr && !bothUnsigned;
  }
  return {
    oldValue: old.value, newValue: neu.value, poison: false, validate: old.validate, oldSize: old.size, newSize: neu.size,
    failMemSizeAdjust, target: describe,
  };
}

/**
 * Compute one relocation against `target` without touching instructions.
 * Throws `CoreRelocationError` for a malformed access spec, an anonymous
 * root type, or candidates that disagree (ambiguity).
 */
export function calculateCoreRelocation(local: BtfSpec, relo: CoreRelocation, target: CoreTarget, program = ''): CoreResult {
  const fail = (msg: string, cause?: unknown) => new CoreRelocationError(program, relo.insn, `${coreReloKindName(relo.kind)}: ${msg}`, { cause });
  let localSpec: CoreSpec;
  try {
    localSpec = parseCoreSpec(local, relo.typeId, relo.accessString, relo.kind);
  } catch (e) {
    if (e instanceof BadSpecError || e instanceof BadBtfError || e instanceof RangeError) throw fail(`bad access spec '${relo.accessString}' on type [${relo.typeId}]: ${e.message}`, e);
    throw e;
  }
  try {
    if (relo.kind === CoreReloKind.TYPE_ID_LOCAL) {
      const v = BigInt(relo.typeId);
      return { oldValue: v, newValue: v, poison: false, validate: true, oldSize: 0, newSize: 0, failMemSizeAdjust: false, target: undefined };
    }
    const localType = local.typeById(relo.typeId);
    if (localType.name === '') throw fail(`relocation on anonymous type [${relo.typeId}] ${localType.kind} is not supported`);
    let chosen: { spec: CoreSpec; result: CoreResult } | undefined;
    for (const id of target.idsByEssentialName(essentialName(localType.name))) {
      const cand = target.btf.typeById(id);
      if (!kindsCoreCompatible(localType, cand)) continue;
      const spec = matchCoreSpec(localSpec, target.btf, id);
      if (!spec) continue;
      const result = calcResult(relo.kind, localSpec, spec, local.littleEndian);
      if (!chosen) {
        chosen = { spec, result };
      } else if (spec.bitOffset !== chosen.spec.bitOffset) {
        throw fail(`field offset ambiguity for ${describeSpec(localSpec)}: ${describeSpec(chosen.spec)} at bit ${chosen.spec.bitOffset} vs ${describeSpec(spec)} at bit ${spec.bitOffset}`);
      } else if (result.poison !== chosen.result.poison || result.newValue !== chosen.result.newValue) {
        throw fail(`relocation decision ambiguity for ${describeSpec(localSpec)}: ${describeSpec(chosen.spec)} gives ${chosen.result.newValue}, ${describeSpec(spec)} gives ${result.newValue}`);
      }
    }
    return chosen ? chosen.result : calcResult(relo.kind, localSpec, undefined, local.littleEndian);
  } catch (e) {
    if (e instanceof BadSpecError || e instanceof BadBtfError || e instanceof RangeError) throw fail(e.message, e);
    throw e;
  }
}

// ---- patching raw instructions -------------------------------------------------------------

const BYTES_OF_SIZE: Record<number, number> = { [Size.W]: 4, [Size.H]: 2, [Size.B]: 1, [Size.DW]: 8 };
const SIZE_OF_BYTES: Record<number, number> = { 4: Size.W, 2: Size.H, 1: Size.B, 8: Size.DW };

function poisonSlot(view: DataView, bytes: Uint8Array, pos: number, le: boolean): void {
  bytes[pos] = Class.JMP | 0x80; // BPF_JMP | BPF_CALL
  bytes[pos + 1] = 0;
  view.setInt16(pos + 2, 0, le);
  view.setInt32(pos + 4, POISON_HELPER_ID, le);
}

/**
 * Apply a computed result to the instruction at `insn` (8-byte slot index) of
 * raw instructions in the given byte order, in place. Throws
 * `CoreRelocationError` when the instruction does not hold the expected value
 * or cannot carry the new one.
 */
export function patchCoreInstruction(insns: Uint8Array, littleEndian: boolean, insn: number, result: CoreResult, program = ''): void {
  const fail = (msg: string) => new CoreRelocationError(program, insn, msg);
  const pos = insn * 8;
  if (insn < 0 || pos + 8 > insns.byteLength) throw fail(`instruction index out of range (program has ${insns.byteLength / 8} slots)`);
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const le = littleEndian;
  const code = insns[pos]!;
  const isLdImm64 = code === LD_IMM64;
  const poison = () => {
    if (isLdImm64 && pos + 16 <= insns.byteLength) poisonSlot(view, insns, pos + 8, le);
    poisonSlot(view, insns, pos, le);
  };
  if (result.poison) return poison();
  const cls = code & 0x07;
  switch (cls) {
    case Class.ALU: case Class.ALU64: {
      if ((code & 0x08) !== Source.K) throw fail(`ALU instruction 0x${code.toString(16)} uses a register operand, expected an immediate`);
      const imm = view.getInt32(pos + 4, le);
      if (result.validate && BigInt.asUintN(64, BigInt(imm)) !== BigInt.asUintN(64, result.oldValue)) {
        throw fail(`unexpected ALU value: got ${imm}, expected ${result.oldValue} -> ${result.newValue}`);
      }
      view.setInt32(pos + 4, Number(BigInt.asIntN(32, result.newValue)), le);
      return;
    }
    case Class.LDX: case Class.ST: case Class.STX: {
      const off = view.getInt16(pos + 2, le);
      if (result.validate && BigInt(off) !== result.oldValue) throw fail(`unexpected load/store offset: got ${off}, expected ${result.oldValue} -> ${result.newValue}`);
      if (result.newValue > 0x7fffn) throw fail(`offset ${result.newValue} does not fit a load/store (max 32767)`);
      if (result.failMemSizeAdjust) return poison();
      view.setInt16(pos + 2, Number(result.newValue), le);
      if (result.newSize !== result.oldSize) {
        const have = BYTES_OF_SIZE[code & 0x18]!;
        if (have !== result.oldSize) throw fail(`load/store of ${have} bytes, expected ${result.oldSize}`);
        const size = SIZE_OF_BYTES[result.newSize];
        if (size === undefined) throw fail(`field of ${result.newSize} bytes cannot be loaded with one instruction`);
        insns[pos] = (code & 0xe0) | size | cls;
      }
      return;
    }
    case Class.LD: {
      if (!isLdImm64 || pos + 16 > insns.byteLength) throw fail(`LD instruction 0x${code.toString(16)} is not a complete ld_imm64`);
      const regs = insns[pos + 1]!;
      const src = le ? regs >> 4 : regs & 0x0f;
      if (src !== 0 || view.getInt16(pos + 2, le) !== 0 || insns[pos + 8] !== 0 || insns[pos + 9] !== 0 || view.getInt16(pos + 10, le) !== 0) {
        throw fail('ld_imm64 has an unexpected form (a pseudo source register or non-zero fields)');
      }
      const imm = BigInt(view.getUint32(pos + 4, le)) | (BigInt(view.getUint32(pos + 12, le)) << 32n);
      if (result.validate && imm !== BigInt.asUintN(64, result.oldValue)) throw fail(`unexpected ld_imm64 value: got ${imm}, expected ${result.oldValue} -> ${result.newValue}`);
      const v = BigInt.asUintN(64, result.newValue);
      view.setUint32(pos + 4, Number(v & 0xffffffffn), le);
      view.setUint32(pos + 12, Number(v >> 32n), le);
      return;
    }
    default:
      throw fail(`cannot relocate instruction with opcode 0x${code.toString(16)} (mode 0x${(code & 0xe0).toString(16)}, class ${cls}); expected ALU, load/store or ld_imm64`);
  }
}


/** One relocation as applied, for `relocateCore`'s report. */
export interface AppliedCoreRelocation extends CoreRelocation {
  readonly result: CoreResult;
}

/**
 * Resolve and apply every relocation of one program's instructions (in
 * place), against `target` (the running kernel's BTF for a real load).
 * Results for the same (type, access, kind) are computed once. Throws
 * `CoreRelocationError` on the first relocation that cannot be resolved; a
 * relocation that resolves to "absent" poisons its instruction instead.
 */
export function relocateCore(
  insns: Uint8Array, littleEndian: boolean, local: BtfSpec, relos: readonly CoreRelocation[], target: CoreTarget, program = '',
): AppliedCoreRelocation[] {
  const cache = new Map<string, CoreResult>();
  const applied: AppliedCoreRelocation[] = [];
  for (const relo of relos) {
    const key = `${relo.typeId}/${relo.accessString}/${relo.kind}`;
    let result = cache.get(key);
    if (!result) {
      result = calculateCoreRelocation(local, relo, target, program);
      cache.set(key, result);
    }
    patchCoreInstruction(insns, littleEndian, relo.insn, result, program);
    applied.push({ ...relo, result });
  }
  return applied;
}
