/** Small hand-assembled programs shared by the program, link and reader tests. */
import { readdirSync } from 'node:fs';
import { asm, slotCount, type Instruction } from '../../src/asm/index.js';

/** Increment the u64 at `key` of an array map, then return `ret`. Works in any program type. */
export function countInto(mapFd: number, key: number, ret: number): Instruction[] {
  return [
    asm.stMem('u32', 10, -4, key),
    asm.mov64Reg(2, 10),
    asm.add64Imm(2, -4),
    asm.ldMapFd(1, mapFd),
    asm.call('map_lookup_elem'),
    asm.jmpImm('JEQ', 0, 0, 2),
    asm.mov64Imm(1, 1),
    asm.atomicAdd('u64', 0, 1, 0),
    asm.mov64Imm(0, ret),
    asm.exit(),
  ];
}

/** Number of open fds of this process. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Like `countInto`, but only when the current task's tgid is `pid` (bpf_get_current_pid_tgid() >> 32). */
export function countIfPid(mapFd: number, key: number, pid: number, ret: number): Instruction[] {
  const count = countInto(mapFd, key, ret);
  return [
    asm.call('get_current_pid_tgid'),
    asm.alu64Imm('RSH', 0, 32),
    asm.jmpImm('JNE', 0, pid, slotCount(count.slice(0, -2))),
    ...count.slice(0, -2),
    asm.mov64Imm(0, ret),
    asm.exit(),
  ];
}
