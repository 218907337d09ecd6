/**
 * Disassembler producing the kernel verifier's / `bpftool prog dump xlated`
 * text (kernel/bpf/disasm.c, print_bpf_insn):
 *
 *    0: (b7) r0 = 2
 *    1: (18) r1 = map[id:5]
 *    3: (85) call bpf_map_lookup_elem#1
 *    4: (15) if r0 == 0x0 goto pc+1
 *    6: (95) exit
 *
 * Pure: never makes a syscall.
 */
import { helperName } from './helper-names.js';
import { slots, type Instruction } from './instruction.js';
import { AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLdImm64, Source } from './opcodes.js';

export interface DisasmOptions {
  /**
   * How to print a ld_imm64 map reference: `'id'` for translated code from the
   * kernel (the kernel stores map ids there, as bpftool shows), `'fd'` for code
   * not yet loaded. Default `'fd'`.
   */
  readonly mapRef?: 'id' | 'fd';
  /** Prefix each line with the slot index as bpftool does (`'   0: '`). Default true. */
  readonly indices?: boolean;
  /**
   * Name a helper call's target. Translated (xlated) code from the kernel holds
   * `address - __bpf_call_base` instead of the helper id (kernel/bpf/verifier.c,
   * do_misc_fixups), which callers can resolve with kallsyms as bpftool does.
   * Default: the helper name for the id.
   */
  readonly resolveCall?: (imm: number) => string | undefined;
}

const aluOps: Record<number, string> = {
  [AluOp.ADD]: '+=', [AluOp.SUB]: '-=', [AluOp.MUL]: '*=', [AluOp.DIV]: '/=', [AluOp.OR]: '|=', [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=', [AluOp.RSH]: '>>=', [AluOp.MOD]: '%=', [AluOp.XOR]: '^=', [AluOp.MOV]: '=', [AluOp.ARSH]: 's>>=',
};
const jmpOps: Record<number, string> = {
  [JmpOp.JEQ]: '==', [JmpOp.JGT]: '>', [JmpOp.JGE]: '>=', [JmpOp.JSET]: '&', [JmpOp.JNE]: '!=', [JmpOp.JSGT]: 's>',
  [JmpOp.JSGE]: 's>=', [JmpOp.JLT]: '<', [JmpOp.JLE]: '<=', [JmpOp.JSLT]: 's<', [JmpOp.JSLE]: 's<=',
};
const sizeNames = ['u32', 'u16', 'u8', 'u64'];
const atomicNames: Record<number, string> = { [AtomicOp.ADD]: 'add', [AtomicOp.AND]: 'and', [AtomicOp.OR]: 'or', [AtomicOp.XOR]: 'xor' };

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);

/** One instruction as text, without index (`'(b7) r0 = 2'`). Unknown opcodes print as `'(xx) unknown opcode xx'`. */
export function formatInstruction(insn: Instruction, options: DisasmOptions = {}): string {
  const code = `(${hex2(insn.opcode)})`;
  const cls = insn.opcode & 0x07;
  const body = formatBody(insn, cls, options);
  return `${code} ${body ?? `unknown opcode ${hex2(insn.opcode)}`}`;
}

function formatBody(insn: Instruction, cls: number, options: DisasmOptions): string | undefined {
  const { opcode, dst, src, off, imm } = insn;
  const size = sizeNames[(opcode >> 3) & 3]!;
  const mode = opcode & 0xe0;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const r = cls === Class.ALU64 ? 'r' : 'w';
      const op = opcode & 0xf0;
      const x = (opcode & Source.X) !== 0;
      if (op === AluOp.END) {
        // BPF_ALU|END: to-LE/to-BE byte swap; BPF_ALU64|END (Linux 6.6+): unconditional bswap.
        if (cls === Class.ALU64) return `r${dst} = bswap${imm} r${dst}`;
        return `r${dst} = ${x ? 'be' : 'le'}${imm} r${dst}`;
      }
      if (op === AluOp.NEG) return `${r}${dst} = -${r}${dst}`;
      let s = aluOps[op];
      if (s === undefined) return undefined;
      if ((op === AluOp.DIV || op === AluOp.MOD) && off === 1) s = `s${s}`;
      if (op === AluOp.MOV && x && off !== 0) return `${r}${dst} = (s${off})${r}${src}`;
      return x ? `${r}${dst} ${s} ${r}${src}` : `${r}${dst} ${s} ${imm}`;
    }
    case Class.STX:
      if (mode === Mode.MEM) return `*(${size} *)(r${dst} ${signed(off)}) = r${src}`;
      if (mode === Mode.ATOMIC) return formatAtomic(insn, size);
      return undefined;
    case Class.ST:
      if (mode === Mode.MEM) return `*(${size} *)(r${dst} ${signed(off)}) = ${imm}`;
      return undefined;
    case Class.LDX:
      if (mode === Mode.MEM) return `r${dst} = *(${size} *)(r${src} ${signed(off)})`;
      if (mode === Mode.MEMSX) return `r${dst} = *(s${size.slice(1)} *)(r${src} ${signed(off)})`;
      return undefined;
    case Class.LD:
      if (mode === Mode.ABS) return `r0 = *(${size} *)skb[${imm}]`;
      if (mode === Mode.IND) return `r0 = *(${size} *)skb[r${src} + ${imm}]`;
      if (opcode === LD_IMM64) return `r${dst} = ${formatImm64(insn, options)}`;
      return undefined;
    case Class.JMP:
    case Class.JMP32: {
      const op = opcode & 0xf0;
      const r = cls === Class.JMP32 ? 'w' : 'r';
      if (op === JmpOp.CALL && cls === Class.JMP) {
        if (src === PseudoCall.CALL) return `call pc${signed(imm)}`;
        if (src === PseudoCall.KFUNC_CALL) return `call kernel-function#${imm}`;
        return `call ${(options.resolveCall ? options.resolveCall(imm) : helperName(imm)) ?? 'unknown'}#${imm}`;
      }
      if (op === JmpOp.EXIT && cls === Class.JMP) return 'exit';
      if (op === JmpOp.JA) return cls === Class.JMP32 ? `gotol pc${signed(imm)}` : `goto pc${signed(off)}`;
      const s = jmpOps[op];
      if (s === undefined) return undefined;
      const rhs = (opcode & Source.X) !== 0 ? `${r}${src}` : `0x${(imm >>> 0).toString(16)}`;
      return `if ${r}${dst} ${s} ${rhs} goto pc${signed(off)}`;
    }
  }
  return undefined;
}

function formatAtomic(insn: Instruction, size: string): string | undefined {
  const { dst, src, off, imm } = insn;
  const width = size === 'u64' ? '64' : '';
  const mem = `(${size} *)(r${dst} ${signed(off)})`;
  if (imm === AtomicOp.XCHG) return `r${src} = atomic${width}_xchg(${mem}, r${src})`;
  if (imm === AtomicOp.CMPXCHG) return `r0 = atomic${width}_cmpxchg(${mem}, r0, r${src})`;
  // Linux 6.15+: load-acquire reads into dst from (src + off); store-release writes src to (dst + off).
  if (imm === AtomicOp.LOAD_ACQ) return `r${dst} = load_acquire((${size} *)(r${src} ${signed(off)}))`;
  if (imm === AtomicOp.STORE_REL) return `store_release(${mem}, r${src})`;
  const name = atomicNames[imm & ~AtomicOp.FETCH];
  if (name === undefined) return undefined;
  if (imm & AtomicOp.FETCH) return `r${src} = atomic${width}_fetch_${name}(${mem}, r${src})`;
  const sym = aluOps[imm];
  return `lock *${mem} ${sym} r${src}`;
}

function formatImm64(insn: Instruction, options: DisasmOptions): string {
  const value = insn.imm64 ?? BigInt(insn.imm >>> 0);
  const lo = Number(value & 0xffffffffn);
  const hi = Number(value >> 32n);
  const ref = options.mapRef ?? 'fd';
  switch (insn.src) {
    case PseudoLdImm64.MAP_FD: return `map[${ref}:${lo}]`;
    case PseudoLdImm64.MAP_VALUE: return `map[${ref}:${lo}][0]+${hi}`;
    case PseudoLdImm64.MAP_IDX: return `map[idx:${lo}]`;
    case PseudoLdImm64.MAP_IDX_VALUE: return `map[idx:${lo}][0]+${hi}`;
    case PseudoLdImm64.BTF_ID: return `btf_id[${lo}]`;
    case PseudoLdImm64.FUNC: return `func[pc${signed(insn.imm)}]`;
  }
  return `0x${value.toString(16)}`;
}

/**
 * A whole program, one line per instruction, each prefixed with its slot index
 * (ld_imm64 takes two slots, so the next index is +2), as `bpftool prog dump xlated`.
 */
export function disassemble(insns: readonly Instruction[], options: DisasmOptions = {}): string[] {
  const lines: string[] = [];
  let index = 0;
  for (const insn of insns) {
    const text = formatInstruction(insn, options);
    lines.push(options.indices === false ? text : `${String(index).padStart(4)}: ${text}`);
    index += slots(insn);
  }
  return lines;
}
