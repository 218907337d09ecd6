/**
 * Kernel symbol lookup in /proc/kallsyms, to name helper calls in translated
 * programs: the kernel stores `helper address - __bpf_call_base` in the call's
 * imm (kernel/bpf/verifier.c, do_misc_fixups), so the name is the symbol at
 * `__bpf_call_base + imm`, exactly as bpftool resolves it.
 * Addresses read as zero without CAP_SYSLOG (kernel.kptr_restrict); then nothing resolves.
 */
import { readFileSync } from 'node:fs';

let symbols: Map<bigint, string> | undefined;

function load(): Map<bigint, string> {
  if (symbols) return symbols;
  symbols = new Map();
  let text = '';
  try {
    text = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    return symbols;
  }
  for (const line of text.split('\n')) {
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0) continue;
    const type = line[sp1 + 1];
    if (type !== 't' && type !== 'T' && type !== 'W' && type !== 'w') continue;
    let end = line.indexOf('\t', sp2 + 1);
    if (end < 0) end = line.length;
    const addr = BigInt(`0x${line.slice(0, sp1)}`);
    if (addr !== 0n && !symbols.has(addr)) symbols.set(addr, line.slice(sp2 + 1, end));
  }
  return symbols;
}

/** The text symbol at exactly `address`, if any. */
export function kernelSymbolAt(address: bigint): string | undefined {
  return load().get(address);
}

/** The address of a kernel text symbol by name, if visible. */
export function kernelSymbolAddress(name: string): bigint | undefined {
  for (const [addr, n] of load()) if (n === name) return addr;
  return undefined;
}

/**
 * A `resolveCall` for the disassembler over translated code: names the helper
 * a call jumps to (`__htab_map_lookup_elem`, `bpf_ktime_get_ns`). Returns
 * undefined for everything when kallsyms addresses are hidden.
 */
export function xlatedCallResolver(): (imm: number) => string | undefined {
  const base = kernelSymbolAddress('__bpf_call_base');
  return (imm) => (base === undefined ? undefined : kernelSymbolAt(base + BigInt(imm)));
}
