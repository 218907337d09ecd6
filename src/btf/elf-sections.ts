/**
 * Just enough ELF to find a section's bytes by name (`.BTF`, `.BTF.ext`) in a
 * BPF object, both byte orders, ELF32 and ELF64. The full ELF reader lives in
 * src/elf; this lets the BTF layer and `ebpf btf dump file x.o` stand alone.
 *
 *   e_ident[4] EI_CLASS (1 = 32-bit, 2 = 64-bit), e_ident[5] EI_DATA (1 = LE, 2 = BE)
 *   ELF64: e_shoff @0x28 (u64), e_shentsize @0x3a, e_shnum @0x3c, e_shstrndx @0x3e
 *   ELF32: e_shoff @0x20 (u32), e_shentsize @0x2e, e_shnum @0x30, e_shstrndx @0x32
 */
import { ParseError } from '../sys/errors.js';

/** True when `bytes` starts with the ELF magic `\x7fELF`. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * The bytes of every named section (SHT_NOBITS sections are skipped), keyed by
 * name. Throws `ParseError` with the offset for truncated headers or section
 * ranges outside the file.
 */
export function elfSections(bytes: Uint8Array): Map<string, Uint8Array> {
  const what = 'elf';
  if (!isElf(bytes) || bytes.length < 52) throw new ParseError(what, 0, 'not an ELF file (expected \\x7fELF and a full header)');
  const is64 = bytes[4] === 2;
  if (bytes[4] !== 1 && bytes[4] !== 2) throw new ParseError(what, 4, `bad EI_CLASS ${bytes[4]}: expected 1 or 2`);
  if (bytes[5] !== 1 && bytes[5] !== 2) throw new ParseError(what, 5, `bad EI_DATA ${bytes[5]}: expected 1 (LE) or 2 (BE)`);
  const le = bytes[5] === 1;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (is64 && bytes.length < 64) throw new ParseError(what, 0, 'truncated ELF64 header');
  const shoffBig = is64 ? v.getBigUint64(0x28, le) : BigInt(v.getUint32(0x20, le));
  const shentsize = v.getUint16(is64 ? 0x3a : 0x2e, le);
  const shnum = v.getUint16(is64 ? 0x3c : 0x30, le);
  const shstrndx = v.getUint16(is64 ? 0x3e : 0x32, le);
  const minEnt = is64 ? 64 : 40;
  if (shnum === 0) return new Map();
  if (shentsize < minEnt) throw new ParseError(what, is64 ? 0x3a : 0x2e, `section header size ${shentsize}: expected at least ${minEnt}`);
  if (shoffBig > BigInt(bytes.length) || BigInt(shnum) * BigInt(shentsize) > BigInt(bytes.length) - shoffBig) {
    throw new ParseError(what, is64 ? 0x28 : 0x20, `${shnum} section headers at ${shoffBig} lie outside the ${bytes.length}-byte file`);
  }
  const shoff = Number(shoffBig);
  const header = (i: number) => {
    const h = shoff + i * shentsize;
    const num = (o64: number, o32: number): number => (is64 ? Number(v.getBigUint64(h + o64, le)) : v.getUint32(h + o32, le));
    const offset = num(0x18, 0x10);
    const size = num(0x20, 0x14);
    return { at: h, name: v.getUint32(h, le), type: v.getUint32(h + 4, le), offset, size };
  };
  const range = (s: { at: number; offset: number; size: number }): Uint8Array => {
    if (s.offset > bytes.length || s.size > bytes.length - s.offset) {
      throw new ParseError(what, s.at, `section data [${s.offset}, +${s.size}) lies outside the ${bytes.length}-byte file`);
    }
    return bytes.subarray(s.offset, s.offset + s.size);
  };
  if (shstrndx >= shnum) throw new ParseError(what, is64 ? 0x3e : 0x32, `section name table index ${shstrndx} >= ${shnum} sections`);
  const names = range(header(shstrndx));
  const out = new Map<string, Uint8Array>();
  for (let i = 1; i < shnum; i++) {
    const s = header(i);
    if (s.type === 8 /* SHT_NOBITS */ || s.name >= names.length) continue;
    let end = s.name;
    while (end < names.length && names[end] !== 0) end++;
    const name = new TextDecoder().decode(names.subarray(s.name, end));
    if (!out.has(name)) out.set(name, range(s));
  }
  return out;
}
