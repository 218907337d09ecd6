/** Possible CPUs of the emulated machine: the host's (/sys/devices/system/cpu/possible), else os.availableParallelism(). */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

let cached: number | undefined;

export function possibleCpus(): number {
  if (cached !== undefined) return cached;
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let max = 0;
    for (const part of text.split(',')) {
      const hi = Number(part.split('-').pop());
      if (Number.isInteger(hi)) max = Math.max(max, hi);
    }
    cached = max + 1;
  } catch {
    cached = availableParallelism();
  }
  return cached;
}
