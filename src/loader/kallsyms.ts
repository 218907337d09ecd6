/**
 * Kernel symbol addresses from /proc/kallsyms, for typeless `__ksym` externs
 * (`extern const void sym __ksym;`), which libbpf resolves the same way
 * (libbpf.c, bpf_object__read_kallsyms_file). Addresses read as 0 without
 * CAP_SYSLOG or when kptr_restrict hides them; then nothing resolves.
 */
import { readFileSync } from 'node:fs';

let cache: Map<string, bigint> | undefined;

/** The address of a kernel symbol (the first one listed), or undefined when absent or hidden. */
export function kallsymsAddress(name: string): bigint | undefined {
  if (!cache) {
    cache = new Map();
    let text = '';
    try {
      text = readFileSync('/proc/kallsyms', 'latin1');
    } catch {
      text = '';
    }
    for (const line of text.split('\n')) {
      // "ffffffff837b8d00 t bpf_init" or "... [module]"
      const first = line.indexOf(' ');
      const second = line.indexOf(' ', first + 1);
      if (first < 0 || second < 0) continue;
      let end = line.indexOf('\t', second + 1);
      if (end < 0) end = line.length;
      const sym = line.slice(second + 1, end);
      if (!cache.has(sym)) cache.set(sym, BigInt(`0x${line.slice(0, first)}`));
    }
  }
  const a = cache.get(name);
  return a === undefined || a === 0n ? undefined : a;
}
