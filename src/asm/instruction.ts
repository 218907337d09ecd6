/**
 * The eBPF instruction model and its binary form (Documentation/bpf/standardization/instruction-set.rst).
 *
 * One instruction is 8 bytes:
 *
 *   byte  0        1                  2-3         4-7
 *        +--------+--------+--------+-----------+-------------------+
 *        | opcode | regs            | off (s16) | imm (s32)         |
 *        +--------+--------+--------+-----------+-------------------+
 *   regs, little-endian: src << 4 | dst;   big-endian: dst << 4 | src
 *
 * ld_imm64 (opcode 0x18) spans two slots: the second slot is all zero except its
 * imm, which holds the upper 32 bits of the constant. It is modelled here as one
 * `Instruction` with `imm64` and a size of 16 bytes.
 */
import { ParseError, InvalidArgumentError } from '../sys/errors.js';
import { LD_IMM64 } from './opcodes.js';

export type ByteOrder = 'le' | 'be';

/** One decoded instruction. `imm64` is present exactly for ld_imm64. */
export interface Instruction {
  readonly opcode: number;
  readonly dst: number;
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate; for ld_imm64 the low 32 bits (as stored in the first slot). */
  readonly imm: number;
  /** The full 64-bit constant of ld_imm64 (unsigned). */
  readonly imm64?: bigint;
  /** Optional annotation a loader may attach (a symbol defined here, e.g. a function name); ignored by `encode`. */
  readonly symbol?: string;
  /** Optional annotation: the name this instruction refers to (map or function) before relocation; ignored by `encode`. */
  readonly reference?: string;
}

/** Number of 8-byte slots an instruction occupies: 2 for ld_imm64, else 1. */
export function slots(insn: Instruction): 1 | 2 {
  return insn.opcode === LD_IMM64 ? 2 : 1;
}

/** Total 8-byte slots of a program (what the kernel calls `insn_cnt`). */
export function slotCount(insns: readonly Instruction[]): number {
  let n = 0;
  for (const i of insns) n += slots(i);
  return n;
}

/**
 * Decode raw instructions. Throws `ParseError` when the length is not a multiple
 * of 8 or a ld_imm64 is cut off at the end. Never allocates more than the input implies.
 */
export function decode(bytes: Uint8Array, order: ByteOrder = hostOrder()): Instruction[] {
  if (bytes.byteLength % 8 !== 0) throw new ParseError('instructions', bytes.byteLength - (bytes.byteLength % 8), `length ${bytes.byteLength} is not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = order === 'le';
  const out: Instruction[] = [];
  for (let pos = 0; pos < bytes.byteLength; pos += 8) {
    const opcode = bytes[pos]!;
    const regs = bytes[pos + 1]!;
    const dst = le ? regs & 0x0f : regs >> 4;
    const src = le ? regs >> 4 : regs & 0x0f;
    const off = view.getInt16(pos + 2, le);
    const imm = view.getInt32(pos + 4, le);
    if (opcode === LD_IMM64) {
      if (pos + 16 > bytes.byteLength) throw new ParseError('instructions', pos, 'ld_imm64 needs a second 8-byte slot but the input ends');
      const hi = view.getUint32(pos + 12, le);
      const imm64 = (BigInt(hi) << 32n) | BigInt(imm >>> 0);
      out.push({ opcode, dst, src, off, imm, imm64 });
      pos += 8;
    } else {
      out.push({ opcode, dst, src, off, imm });
    }
  }
  return out;
}

/**
 * Encode instructions to bytes. Throws `InvalidArgumentError` for registers
 * outside 0-15, offsets outside s16 or immediates outside s32/u32.
 */
export function encode(insns: readonly Instruction[], order: ByteOrder = hostOrder()): Uint8Array {
  const out = new Uint8Array(slotCount(insns) * 8);
  const view = new DataView(out.buffer);
  const le = order === 'le';
  let pos = 0;
  insns.forEach((insn, index) => {
    check(insn, index);
    out[pos] = insn.opcode;
    out[pos + 1] = le ? (insn.src << 4) | insn.dst : (insn.dst << 4) | insn.src;
    view.setInt16(pos + 2, insn.off, le);
    if (insn.opcode === LD_IMM64) {
      const v = insn.imm64 ?? BigInt(insn.imm >>> 0);
      view.setUint32(pos + 4, Number(v & 0xffffffffn), le);
      view.setUint32(pos + 12, Number((v >> 32n) & 0xffffffffn), le);
      pos += 16;
    } else {
      view.setInt32(pos + 4, insn.imm | 0, le);
      pos += 8;
    }
  });
  return out;
}

function check(insn: Instruction, index: number): void {
  const bad = (what: string) => new InvalidArgumentError(`instruction ${index}: ${what}`);
  if (!Number.isInteger(insn.opcode) || insn.opcode < 0 || insn.opcode > 0xff) throw bad(`opcode ${insn.opcode} is not a byte`);
  if (!Number.isInteger(insn.dst) || insn.dst < 0 || insn.dst > 15) throw bad(`dst register ${insn.dst}: expected 0-15`);
  if (!Number.isInteger(insn.src) || insn.src < 0 || insn.src > 15) throw bad(`src register ${insn.src}: expected 0-15`);
  if (!Number.isInteger(insn.off) || insn.off < -32768 || insn.off > 32767) throw bad(`offset ${insn.off}: expected a signed 16-bit integer`);
  if (!Number.isInteger(insn.imm) || insn.imm < -0x80000000 || insn.imm > 0xffffffff) throw bad(`immediate ${insn.imm}: expected a 32-bit integer`);
  if (insn.imm64 !== undefined && (insn.imm64 < -(1n << 63n) || insn.imm64 >= 1n << 64n)) throw bad(`64-bit immediate ${insn.imm64} out of range`);
}

/** The host's byte order, which the kernel expects for loaded programs. */
export function hostOrder(): ByteOrder {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'le' : 'be';
}
