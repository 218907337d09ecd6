/**
 * eBPF opcode fields (include/uapi/linux/bpf_common.h, include/uapi/linux/bpf.h,
 * Documentation/bpf/standardization/instruction-set.rst).
 *
 * An 8-bit opcode is split by instruction class:
 *
 *   ALU/ALU64/JMP/JMP32:   | op (4 bits) | source (1 bit) | class (3 bits) |
 *   LD/LDX/ST/STX:         | mode (3)    | size (2)       | class (3)      |
 */

/** Instruction classes, the low 3 bits. */
export const Class = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;

/** Load/store sizes, bits 3-4. */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Load/store modes, bits 5-7. */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** Operand source, bit 3 of ALU/JMP opcodes: immediate (K) or source register (X). For BPF_END: TO_LE / TO_BE. */
export const Source = { K: 0x00, X: 0x08 } as const;

/** ALU operations, bits 4-7. */
export const AluOp = {
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0, MOV: 0xb0, ARSH: 0xc0, END: 0xd0,
} as const;

/** Jump operations, bits 4-7. */
export const JmpOp = {
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70,
  CALL: 0x80, EXIT: 0x90, JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0,
} as const;

/** Atomic operations in the imm field of BPF_STX|BPF_ATOMIC (kernel 5.12+ for all but ADD). */
export const AtomicOp = {
  ADD: 0x00, OR: 0x40, AND: 0x50, XOR: 0xa0, FETCH: 0x01, XCHG: 0xe0 | 0x01, CMPXCHG: 0xf0 | 0x01,
  LOAD_ACQ: 0x100, STORE_REL: 0x110,
} as const;

/** `src_reg` markers of ld_imm64 (BPF_LD|BPF_IMM|BPF_DW). */
export const PseudoLdImm64 = {
  MAP_FD: 1, MAP_VALUE: 2, BTF_ID: 3, FUNC: 4, MAP_IDX: 5, MAP_IDX_VALUE: 6,
} as const;

/** `src_reg` markers of BPF_CALL: helper (0), bpf-to-bpf call (1), kfunc (2). */
export const PseudoCall = { HELPER: 0, CALL: 1, KFUNC_CALL: 2 } as const;

/** Registers r0-r10; r10 is the read-only frame pointer. */
export const Reg = { R0: 0, R1: 1, R2: 2, R3: 3, R4: 4, R5: 5, R6: 6, R7: 7, R8: 8, R9: 9, R10: 10, FP: 10 } as const;

/** The opcode of the 16-byte ld_imm64 instruction. */
export const LD_IMM64 = Class.LD | Size.DW | Mode.IMM; // 0x18

/** The instruction class of an opcode. */
export function opClass(opcode: number): number {
  return opcode & 0x07;
}
