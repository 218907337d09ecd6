/** eBPF instructions: model, binary encoding, builder and disassembler. Pure; never a syscall. */
export * from './opcodes.js';
export * from './instruction.js';
export * from './builder.js';
export * from './disasm.js';
export { HELPER_NAMES, helperId, helperName } from './helper-names.js';
