/**
 * A small instruction builder, mostly for tests and hand-written programs:
 *
 *   const insns = [asm.mov64Imm(0, 2), asm.exit()];
 *
 * Names follow the kernel's own macros (include/linux/filter.h: BPF_MOV64_IMM,
 * BPF_LD_MAP_FD, BPF_EMIT_CALL ...). Every function returns a plain `Instruction`.
 */
import { InvalidArgumentError } from '../sys/errors.js';
import { helperId } from './helper-names.js';
import type { Instruction } from './instruction.js';
import { AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLdImm64, Size, Source } from './opcodes.js';

export type SizeName = 'u8' | 'u16' | 'u32' | 'u64';
const sizeBits: Record<SizeName, number> = { u8: Size.B, u16: Size.H, u32: Size.W, u64: Size.DW };
export type AluOpName = keyof typeof AluOp;
export type JmpOpName = 'JEQ' | 'JGT' | 'JGE' | 'JSET' | 'JNE' | 'JSGT' | 'JSGE' | 'JLT' | 'JLE' | 'JSLT' | 'JSLE';

function insn(opcode: number, dst: number, src: number, off: number, imm: number): Instruction {
  return { opcode, dst, src, off, imm };
}
function sizeOf(size: SizeName): number {
  const s = sizeBits[size];
  if (s === undefined) throw new InvalidArgumentError(`size '${String(size)}': expected u8, u16, u32 or u64`);
  return s;
}

export const asm = {
  /** dst = imm (64-bit, sign-extended). */
  mov64Imm: (dst: number, imm: number) => insn(Class.ALU64 | AluOp.MOV | Source.K, dst, 0, 0, imm),
  /** dst = src (64-bit). */
  mov64Reg: (dst: number, src: number) => insn(Class.ALU64 | AluOp.MOV | Source.X, dst, src, 0, 0),
  /** wdst = imm (32-bit, upper half zeroed). */
  mov32Imm: (dst: number, imm: number) => insn(Class.ALU | AluOp.MOV | Source.K, dst, 0, 0, imm),
  /** wdst = wsrc. */
  mov32Reg: (dst: number, src: number) => insn(Class.ALU | AluOp.MOV | Source.X, dst, src, 0, 0),
  /** dst OP= imm, 64-bit. */
  alu64Imm: (op: AluOpName, dst: number, imm: number) => insn(Class.ALU64 | AluOp[op] | Source.K, dst, 0, 0, imm),
  /** dst OP= src, 64-bit. */
  alu64Reg: (op: AluOpName, dst: number, src: number) => insn(Class.ALU64 | AluOp[op] | Source.X, dst, src, 0, 0),
  /** wdst OP= imm, 32-bit. */
  alu32Imm: (op: AluOpName, dst: number, imm: number) => insn(Class.ALU | AluOp[op] | Source.K, dst, 0, 0, imm),
  /** wdst OP= wsrc, 32-bit. */
  alu32Reg: (op: AluOpName, dst: number, src: number) => insn(Class.ALU | AluOp[op] | Source.X, dst, src, 0, 0),
  add64Imm: (dst: number, imm: number) => insn(Class.ALU64 | AluOp.ADD | Source.K, dst, 0, 0, imm),
  /** dst = 64-bit constant (the two-slot ld_imm64). */
  ldImm64: (dst: number, value: bigint | number): Instruction => {
    const v = BigInt.asUintN(64, BigInt(value));
    return { opcode: LD_IMM64, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v };
  },
  /** dst = pointer to the map `fd` (ld_imm64 with BPF_PSEUDO_MAP_FD). */
  ldMapFd: (dst: number, fd: number): Instruction => ({ opcode: LD_IMM64, dst, src: PseudoLdImm64.MAP_FD, off: 0, imm: fd, imm64: BigInt(fd >>> 0) }),
  /** dst = pointer to byte `offset` of the map's value (BPF_PSEUDO_MAP_VALUE, Linux 5.2+; array maps). */
  ldMapValue: (dst: number, fd: number, offset = 0): Instruction => ({
    opcode: LD_IMM64, dst, src: PseudoLdImm64.MAP_VALUE, off: 0, imm: fd, imm64: (BigInt(offset >>> 0) << 32n) | BigInt(fd >>> 0),
  }),
  /** dst = *(size *)(src + off). */
  ldxMem: (size: SizeName, dst: number, src: number, off: number) => insn(Class.LDX | Mode.MEM | sizeOf(size), dst, src, off, 0),
  /** *(size *)(dst + off) = src. */
  stxMem: (size: SizeName, dst: number, src: number, off: number) => insn(Class.STX | Mode.MEM | sizeOf(size), dst, src, off, 0),
  /** *(size *)(dst + off) = imm. */
  stMem: (size: SizeName, dst: number, off: number, imm: number) => insn(Class.ST | Mode.MEM | sizeOf(size), dst, 0, off, imm),
  /** lock *(size *)(dst + off) += src (u32 or u64). */
  atomicAdd: (size: 'u32' | 'u64', dst: number, src: number, off: number) => insn(Class.STX | Mode.ATOMIC | sizeOf(size), dst, src, off, AtomicOp.ADD),
  /** r0 = *(size *)skb[imm] (legacy packet access, socket filters). */
  ldAbs: (size: 'u8' | 'u16' | 'u32', imm: number) => insn(Class.LD | Mode.ABS | sizeOf(size), 0, 0, 0, imm),
  /** if dst OP imm goto pc+off. */
  jmpImm: (op: JmpOpName, dst: number, imm: number, off: number) => insn(Class.JMP | JmpOp[op] | Source.K, dst, 0, off, imm),
  /** if dst OP src goto pc+off. */
  jmpReg: (op: JmpOpName, dst: number, src: number, off: number) => insn(Class.JMP | JmpOp[op] | Source.X, dst, src, off, 0),
  /** if wdst OP imm goto pc+off (32-bit compare, Linux 5.1+). */
  jmp32Imm: (op: JmpOpName, dst: number, imm: number, off: number) => insn(Class.JMP32 | JmpOp[op] | Source.K, dst, 0, off, imm),
  /** goto pc+off. */
  ja: (off: number) => insn(Class.JMP | JmpOp.JA, 0, 0, off, 0),
  /** Call a helper by id or name (`'map_lookup_elem'` / `'bpf_map_lookup_elem'`). Throws `InvalidArgumentError` for unknown names. */
  call: (helper: number | string): Instruction => {
    const id = typeof helper === 'number' ? helper : helperId(helper);
    if (id === undefined) throw new InvalidArgumentError(`unknown helper '${helper}': expected a name from enum bpf_func_id or a number`);
    return insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, id);
  },
  /** Call the bpf-to-bpf function at pc+1+off. */
  callLocal: (off: number) => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.CALL, 0, off),
  exit: () => insn(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0),
} as const;
