/**
 * Where a function lives in an ELF file, for uprobes: the kernel wants a file
 * offset, the symbol table gives a virtual address, and the PT_LOAD program
 * headers map one to the other (offset = vaddr - p_vaddr + p_offset).
 *
 * Reads only the headers, the symbol tables and their string tables with
 * positional reads (binaries like node are ~100 MB). ELF64, both byte orders.
 *
 *   Elf64_Ehdr: 0x20 e_phoff | 0x28 e_shoff | 0x36 e_phentsize | 0x38 e_phnum | 0x3a e_shentsize | 0x3c e_shnum
 *   Elf64_Shdr: 0x04 sh_type | 0x18 sh_offset | 0x20 sh_size | 0x28 sh_link | 0x38 sh_entsize
 *   Elf64_Sym:  0x00 st_name | 0x04 st_info | 0x06 st_shndx | 0x08 st_value | 0x10 st_size
 *   Elf64_Phdr: 0x00 p_type | 0x08 p_offset | 0x10 p_vaddr | 0x20 p_filesz
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EbpfError, NotSupportedError, ParseError } from '../sys/errors.js';

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
/** Upper bound on one table read, so a corrupt header cannot make us allocate gigabytes. */
const MAX_TABLE = 256 << 20;

function readAt(fd: number, offset: number, length: number, size: number, what: string): DataView {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || length > MAX_TABLE || offset + length > size) {
    throw new ParseError(what, Math.max(0, Math.min(offset, Number.MAX_SAFE_INTEGER)), `range of ${length} bytes does not fit in the ${size}-byte file`);
  }
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done);
    if (n <= 0) throw new ParseError(what, offset + done, 'unexpected end of file');
    done += n;
  }
  return new DataView(buf.buffer);
}

/**
 * The file offset of function `symbol` in the ELF file at `path` (searching
 * .symtab, then .dynsym). Throws `EbpfError` ENOENT when the file has no such
 * function, `ParseError` for malformed files, `NotSupportedError` for ELF32.
 */
export function symbolFileOffset(path: string, symbol: string): number {
  const fd = openSync(path, 'r');
  try {
    return lookup(fd, fstatSync(fd).size, path, symbol);
  } finally {
    closeSync(fd);
  }
}

function lookup(fd: number, size: number, path: string, symbol: string): number {
  const eh = readAt(fd, 0, Math.min(64, size), size, path);
  if (eh.byteLength < 64 || eh.getUint32(0, false) !== 0x7f454c46) throw new ParseError(path, 0, 'not an ELF file');
  if (eh.getUint8(4) !== 2) throw new NotSupportedError(`${path}: only 64-bit ELF files are supported for uprobes`);
  const le = eh.getUint8(5) === 1;
  const u16 = (v: DataView, o: number) => v.getUint16(o, le);
  const u32 = (v: DataView, o: number) => v.getUint32(o, le);
  const u64 = (v: DataView, o: number) => Number(v.getBigUint64(o, le));
  const shoff = u64(eh, 0x28), shentsize = u16(eh, 0x3a), shnum = u16(eh, 0x3c);
  const phoff = u64(eh, 0x20), phentsize = u16(eh, 0x36), phnum = u16(eh, 0x38);
  if (shentsize < 64 || phentsize < 56) throw new ParseError(path, 0x36, 'bad header entry sizes');
  const sh = readAt(fd, shoff, shnum * shentsize, size, `${path} section headers`);
  const section = (i: number) => ({
    type: u32(sh, i * shentsize + 4), offset: u64(sh, i * shentsize + 0x18), size: u64(sh, i * shentsize + 0x20),
    link: u32(sh, i * shentsize + 0x28), entsize: u64(sh, i * shentsize + 0x38),
  });
  const target = new TextEncoder().encode(symbol);
  let vaddr: number | undefined;
  for (const wanted of [SHT_SYMTAB, SHT_DYNSYM]) {
    for (let i = 0; i < shnum && vaddr === undefined; i++) {
      const s = section(i);
      if (s.type !== wanted || s.entsize < 24 || s.link >= shnum) continue;
      const strs = section(s.link);
      const str = readAt(fd, strs.offset, strs.size, size, `${path} string table`);
      const syms = readAt(fd, s.offset, s.size, size, `${path} symbol table`);
      const strBytes = new Uint8Array(str.buffer);
      for (let o = 0; o + 24 <= syms.byteLength; o += s.entsize) {
        const type = syms.getUint8(o + 4) & 0xf;
        if (type !== STT_FUNC && type !== STT_GNU_IFUNC) continue;
        if (u16(syms, o + 6) === 0) continue; // undefined (imported) symbol
        const name = u32(syms, o);
        if (name + target.length >= strBytes.length || strBytes[name + target.length] !== 0) continue;
        let same = true;
        for (let k = 0; k < target.length && same; k++) same = strBytes[name + k] === target[k];
        if (same && u64(syms, o + 8) !== 0) { vaddr = u64(syms, o + 8); break; }
      }
    }
    if (vaddr !== undefined) break;
  }
  if (vaddr === undefined) throw new EbpfError('ENOENT', `${path}: no function '${symbol}' in its symbol tables`);
  const ph = readAt(fd, phoff, phnum * phentsize, size, `${path} program headers`);
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    if (u32(ph, o) !== PT_LOAD) continue;
    const pOffset = u64(ph, o + 0x08), pVaddr = u64(ph, o + 0x10), pFilesz = u64(ph, o + 0x20);
    if (vaddr >= pVaddr && vaddr < pVaddr + pFilesz) return vaddr - pVaddr + pOffset;
  }
  throw new ParseError(path, phoff, `function '${symbol}' at 0x${vaddr.toString(16)} is in no loadable segment`);
}
