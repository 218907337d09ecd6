/**
 * Possible CPUs: per-CPU maps hold one value slot per *possible* CPU
 * (kernel/bpf/syscall.c: num_possible_cpus()), not per online CPU.
 */
import { readFileSync } from 'node:fs';
import { ParseError } from './errors.js';

/** Parse a kernel CPU list such as `0-3,8,10-11` into the count of CPUs it names (ids may be sparse; slots are 0..max). */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  const s = text.trim();
  if (s === '') return cpus;
  let offset = 0;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ParseError('cpu list', offset, `expected N or N-M, got '${part}'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65536) throw new ParseError('cpu list', offset, `bad range '${part}'`);
    for (let c = lo; c <= hi; c++) cpus.push(c);
    offset += part.length + 1;
  }
  return cpus;
}

let cached: number | undefined;

/**
 * Number of possible CPUs, i.e. the number of value slots of a per-CPU map:
 * highest possible CPU id + 1, from /sys/devices/system/cpu/possible.
 * Throws `ParseError` if that file is malformed; falls back to 1 off Linux.
 */
export function possibleCpuCount(): number {
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync('/sys/devices/system/cpu/possible', 'utf8');
  } catch {
    return (cached = 1);
  }
  const cpus = parseCpuList(text);
  cached = cpus.length === 0 ? 1 : Math.max(...cpus) + 1;
  return cached;
}
