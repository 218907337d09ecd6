/**
 * A minimal program loader for map tests that need a program fd (prog_array
 * slots): `r0 = 0; exit`. Uses the sys layer directly so map tests do not
 * depend on the program API.
 */
import { bpf, Attr } from '../../src/sys/bpf.ts';

/** Load `mov r0, 0; exit` as the given program type (1 = socket filter). Returns the fd; throws on failure. */
export function loadTrivialProgram(progType = 1): number {
  const insns = new Uint8Array(new ArrayBuffer(16));
  insns[0] = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K, dst r0, imm 0
  insns[8] = 0x95; // BPF_JMP | BPF_EXIT
  const license = new Uint8Array(new ArrayBuffer(4));
  license.set([0x47, 0x50, 0x4c, 0]); // "GPL"
  const attr = new Attr(128).u32(0, progType).u32(4, 2);
  const fd = bpf(5 /* BPF_PROG_LOAD */, attr.bytes, 8, insns, 16, license);
  if (fd < 0) throw new Error(`trivial program load failed: errno ${-fd}`);
  return fd;
}
