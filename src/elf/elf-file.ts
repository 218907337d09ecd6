/**
 * An ELF64 reader over a Uint8Array: header, section headers and names, symbols,
 * relocations and string tables, in either byte order. Pure parsing, no system call.
 *
 * Layout (System V gABI, include/uapi/linux/elf.h):
 *
 *   +--------------------+ 0
 *   | Elf64_Ehdr (64 B)  |  e_ident, e_type, e_machine, ..., e_shoff, e_shnum, e_shstrndx
 *   +--------------------+
 *   | section contents   |  .text, prog sections, maps, .BTF, .symtab, .strtab, .rel*
 *   +--------------------+ e_shoff
 *   | Elf64_Shdr[shnum]  |  64 B each; [0] is SHN_UNDEF (and holds extended counts)
 *   +--------------------+
 *
 * Every offset, size and count is checked against the input before use: a corrupt
 * file throws `ParseError` naming the offset, and no allocation exceeds what the
 * input's size allows.
 */
import { ParseError } from '../sys/errors.js';
import { ByteReader, cString } from './bytes.js';
import {
  BpfReloc, EM_BPF, ELF64_EHDR_SIZE, ELF64_REL_SIZE, ELF64_RELA_SIZE, ELF64_SHDR_SIZE, ELF64_SYM_SIZE,
  ElfClass, ElfData, SHN_UNDEF, SHN_XINDEX, SectionType,
} from './constants.js';

export interface ElfHeader {
  readonly littleEndian: boolean;
  readonly osabi: number;
  /** `e_type` (1 = relocatable, what clang emits for BPF). */
  readonly type: number;
  /** `e_machine` (247 = EM_BPF). */
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly flags: number;
  readonly sectionHeaderOffset: number;
  readonly sectionCount: number;
  readonly sectionNamesIndex: number;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  /** `sh_type` (`SectionType`). */
  readonly type: number;
  /** The low 32 bits of `sh_flags` (`SectionFlags`); the OS/processor bits above are dropped. */
  readonly flags: number;
  readonly addr: bigint;
  /** File offset of the contents. */
  readonly offset: number;
  /** Size in bytes (for NOBITS, the size in memory; there are no bytes in the file). */
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

export interface ElfSymbol {
  /** Index in the symbol table. */
  readonly index: number;
  readonly name: string;
  /** `ELF64_ST_BIND`: `SymbolBinding`. */
  readonly binding: number;
  /** `ELF64_ST_TYPE`: `SymbolType`. */
  readonly type: number;
  /** `ELF64_ST_VISIBILITY`: `SymbolVisibility`. */
  readonly visibility: number;
  /** Section index (`SHN_UNDEF` 0 for externs, `SHN_ABS`, `SHN_COMMON`), resolved through SYMTAB_SHNDX. */
  readonly sectionIndex: number;
  /**
   * `st_value`: the offset within the section for relocatable objects. Exact below 2^53;
   * `ElfFile.symbolValue64` gives any value exactly (only absolute symbols go above).
   */
  readonly value: number;
  readonly size: number;
}

export interface ElfRelocation {
  /** Byte offset in the target section. */
  readonly offset: number;
  /** `BpfReloc` type. */
  readonly type: number;
  readonly symbolIndex: number;
  /** RELA addend; 0n for REL. */
  readonly addend: bigint;
}

export interface ElfRelocationSection {
  /** The `.rel*` / `.rela*` section. */
  readonly section: ElfSection;
  /** The section the relocations apply to (`sh_info`). */
  readonly target: ElfSection;
  /** The symbol table they refer to (`sh_link`). */
  readonly symbolTable: ElfSection;
  readonly entries: readonly ElfRelocation[];
}

const MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const KNOWN_RELOCS: ReadonlySet<number> = new Set(Object.values(BpfReloc));

/**
 * A parsed ELF64 file. `parseElf` reads the header and section headers eagerly;
 * symbols and relocations are parsed on first use and cached.
 */
export class ElfFile {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  private readonly reader: ByteReader;
  private symbolCache: readonly ElfSymbol[] | undefined;
  private relocationCache: readonly ElfRelocationSection[] | undefined;
  private relocationTargets: Map<number, ElfSection> | undefined;
  private readonly relocationByIndex = new Map<number, ElfRelocationSection>();
  private readonly byName = new Map<string, ElfSection>();

  /** Use `parseElf`. */
  constructor(bytes: Uint8Array, reader: ByteReader, header: ElfHeader, sections: ElfSection[]) {
    this.bytes = bytes;
    this.reader = reader;
    this.header = header;
    this.sections = sections;
    for (const s of sections) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  get littleEndian(): boolean {
    return this.header.littleEndian;
  }

  /** The first section with this name. */
  sectionByName(name: string): ElfSection | undefined {
    return this.byName.get(name);
  }

  /** The section at `index`. Throws ParseError when out of range (`what` names the referrer). */
  section(index: number, what = 'section index'): ElfSection {
    const s = this.sections[index];
    if (s === undefined) throw new ParseError(what, 0, `section index ${index} out of range (${this.sections.length} sections)`);
    return s;
  }

  /**
   * The file offset to report for an error about byte `offset` of `section`, kept inside
   * the section and the input: corrupt headers can place a section anywhere (a NOBITS or
   * NULL section's sh_offset is never checked against the file), and a symbol value or
   * BTF offset can be anything, but an error should still point into the input.
   */
  errorOffset(section: ElfSection, offset = 0): number {
    const within = Number.isFinite(offset) ? Math.max(0, Math.min(offset, section.size)) : 0;
    return Math.min(section.offset + within, this.bytes.byteLength);
  }

  /**
   * The contents of a section as a view into the input (no copy); empty for NOBITS.
   * Throws ParseError when the section lies outside the file.
   */
  sectionData(section: ElfSection): Uint8Array {
    if (section.type === SectionType.NOBITS || section.type === SectionType.NULL) return new Uint8Array(0);
    return this.reader.slice(`contents of section ${section.index} (${section.name || 'unnamed'})`, section.offset, section.size);
  }

  /** The string at `offset` in the string table section `tableIndex`. */
  stringAt(tableIndex: number, offset: number): string {
    const table = this.section(tableIndex, 'string table index');
    if (table.type !== SectionType.STRTAB) throw new ParseError('string table', table.offset, `section ${tableIndex} is not a string table (type ${table.type})`);
    return cString(this.sectionData(table), offset, `string in section ${table.name}`, table.offset);
  }

  /** The first SHT_SYMTAB section, if any. */
  get symbolTable(): ElfSection | undefined {
    return this.sections.find((s) => s.type === SectionType.SYMTAB);
  }

  /** Symbols of the (first) symbol table, index 0 included; empty when there is none. */
  symbols(): readonly ElfSymbol[] {
    if (this.symbolCache === undefined) {
      const symtab = this.symbolTable;
      this.symbolCache = symtab ? this.readSymbols(symtab) : [];
    }
    return this.symbolCache;
  }

  /** The exact 64-bit `st_value` of a symbol of the (first) symbol table. */
  symbolValue64(sym: ElfSymbol): bigint {
    const symtab = this.symbolTable;
    if (!symtab) throw new ParseError('symbol table', 0, 'the file has no symbol table');
    return this.reader.u64('st_value', symtab.offset + sym.index * ELF64_SYM_SIZE + 8);
  }

  /** Every REL and RELA section with its decoded entries. */
  relocations(): readonly ElfRelocationSection[] {
    if (this.relocationCache === undefined) {
      this.relocationCache = this.sections
        .filter((s) => s.type === SectionType.REL || s.type === SectionType.RELA)
        .map((s) => this.relocationSection(s));
    }
    return this.relocationCache;
  }

  /**
   * The (first) relocation section applying to section `targetIndex`, decoded on first
   * use; undefined when there is none. Cheaper than `relocations()` when only a few
   * sections matter (DWARF's relocations are most of an object's entries).
   */
  relocationsFor(targetIndex: number): ElfRelocationSection | undefined {
    if (this.relocationTargets === undefined) {
      this.relocationTargets = new Map();
      for (const s of this.sections) {
        if ((s.type === SectionType.REL || s.type === SectionType.RELA) && !this.relocationTargets.has(s.info)) this.relocationTargets.set(s.info, s);
      }
    }
    const rel = this.relocationTargets.get(targetIndex);
    return rel ? this.relocationSection(rel) : undefined;
  }

  private relocationSection(rel: ElfSection): ElfRelocationSection {
    let r = this.relocationByIndex.get(rel.index);
    if (!r) this.relocationByIndex.set(rel.index, (r = this.readRelocations(rel)));
    return r;
  }

  private readSymbols(symtab: ElfSection): ElfSymbol[] {
    const r = this.reader;
    // In the file first, so the errors below point inside the input.
    r.check('symbol table', symtab.offset, symtab.size);
    if (symtab.size % ELF64_SYM_SIZE !== 0) {
      throw new ParseError('symbol table', symtab.offset, `size ${symtab.size} is not a multiple of ${ELF64_SYM_SIZE}`);
    }
    const strtab = this.section(symtab.link, 'symbol table sh_link');
    if (strtab.type !== SectionType.STRTAB) throw new ParseError('symbol table', symtab.offset, `sh_link ${symtab.link} is not a string table`);
    const names = this.sectionData(strtab);
    const shndx = this.sections.find((s) => s.type === SectionType.SYMTAB_SHNDX && s.link === symtab.index);
    const shndxData = shndx ? this.sectionData(shndx) : undefined;
    const count = symtab.size / ELF64_SYM_SIZE;
    const out: ElfSymbol[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const at = symtab.offset + i * ELF64_SYM_SIZE;
      const info = r.u8('st_info', at + 4);
      const other = r.u8('st_other', at + 5);
      let sectionIndex = r.u16('st_shndx', at + 6);
      if (sectionIndex === SHN_XINDEX && shndxData) {
        if ((i + 1) * 4 > shndxData.byteLength) throw new ParseError('SYMTAB_SHNDX', shndx!.offset, `no entry for symbol ${i}`);
        sectionIndex = new DataView(shndxData.buffer, shndxData.byteOffset).getUint32(i * 4, this.littleEndian);
      }
      const lo = r.u32('st_value', at + (this.littleEndian ? 8 : 12));
      const hi = r.u32('st_value', at + (this.littleEndian ? 12 : 8));
      out[i] = {
        index: i,
        name: cString(names, r.u32('st_name', at), () => `name of symbol ${i}`, strtab.offset),
        binding: info >> 4,
        type: info & 0xf,
        visibility: other & 0x3,
        sectionIndex,
        value: hi * 0x100000000 + lo,
        size: r.size64('st_size', at + 16),
      };
    }
    return out;
  }

  private readRelocations(rel: ElfSection): ElfRelocationSection {
    const r = this.reader;
    const isRela = rel.type === SectionType.RELA;
    const entSize = isRela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
    const what = `relocation section ${rel.name || rel.index}`;
    r.check(what, rel.offset, rel.size); // in the file first, so the errors below point inside the input
    if (rel.size % entSize !== 0) throw new ParseError(what, rel.offset, `size ${rel.size} is not a multiple of ${entSize}`);
    const target = this.section(rel.info, `${what} sh_info`);
    const symbolTable = this.section(rel.link, `${what} sh_link`);
    if (symbolTable.type !== SectionType.SYMTAB) throw new ParseError(what, rel.offset, `sh_link ${rel.link} is not a symbol table`);
    const symbolCount = Math.floor(symbolTable.size / ELF64_SYM_SIZE);
    const count = rel.size / entSize;
    const entries: ElfRelocation[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const at = rel.offset + i * entSize;
      const offset = r.size64('r_offset', at);
      // r_info = sym << 32 | type, read as two u32 halves (no BigInt per entry).
      const type = r.u32('r_info', at + (this.littleEndian ? 8 : 12));
      const symbolIndex = r.u32('r_info', at + (this.littleEndian ? 12 : 8));
      // Relocation types are per machine: only BPF's are checked (other machines' pass as numbers).
      if (this.header.machine === EM_BPF && !KNOWN_RELOCS.has(type)) throw new ParseError(what, at + 8, `unknown BPF relocation type ${type}`);
      if (symbolIndex >= symbolCount) throw new ParseError(what, at + 8, `symbol index ${symbolIndex} out of range (${symbolCount} symbols)`);
      entries[i] = { offset, type, symbolIndex, addend: isRela ? r.i64('r_addend', at + 16) : 0n };
    }
    return { section: rel, target, symbolTable, entries };
  }
}

/**
 * Parse an ELF64 file of either byte order.
 *
 * Throws `ParseError` for anything that is not a well-formed ELF64 file: bad magic,
 * ELF32 (`class 1`), unknown byte order, section headers or names outside the input.
 */
export function parseElf(input: Uint8Array): ElfFile {
  // A plain Uint8Array view: a Node Buffer's slice() would alias instead of copying, and
  // specs promise copies (instructions, initial values) that outlive the input.
  const bytes = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.byteLength < 16) throw new ParseError('ELF header', 0, `file of ${bytes.byteLength} bytes is too short for an ELF identification`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i]) throw new ParseError('ELF header', i, 'not an ELF file (bad magic, expected 7f 45 4c 46)');
  }
  const cls = bytes[4]!;
  if (cls === ElfClass.ELF32) throw new ParseError('ELF header', 4, 'ELF32 objects are not supported: BPF objects are ELF64 (clang -target bpf)');
  if (cls !== ElfClass.ELF64) throw new ParseError('ELF header', 4, `unknown ELF class ${cls}, expected 2 (ELF64)`);
  const data = bytes[5]!;
  if (data !== ElfData.LSB && data !== ElfData.MSB) throw new ParseError('ELF header', 5, `unknown ELF data encoding ${data}, expected 1 (little endian) or 2 (big endian)`);
  const r = new ByteReader(bytes, data === ElfData.LSB);
  r.check('ELF header', 0, ELF64_EHDR_SIZE);
  const shoff = r.size64('e_shoff', 40);
  const shentsize = r.u16('e_shentsize', 58);
  let shnum = r.u16('e_shnum', 60);
  let shstrndx = r.u16('e_shstrndx', 62);
  if (shoff !== 0 && shentsize !== ELF64_SHDR_SIZE) throw new ParseError('e_shentsize', 58, `section header size ${shentsize}, expected ${ELF64_SHDR_SIZE}`);
  // Extended numbering (gABI): counts that do not fit 16 bits live in section header 0.
  if (shoff !== 0 && (shnum === 0 || shstrndx === SHN_XINDEX)) {
    r.check('section header 0', shoff, ELF64_SHDR_SIZE);
    if (shnum === 0) shnum = r.size64('sh_size of section 0', shoff + 32);
    if (shstrndx === SHN_XINDEX) shstrndx = r.u32('sh_link of section 0', shoff + 40);
  }
  if (shoff === 0) shnum = 0;
  // A count the file cannot hold is corrupt: checked before allocating anything.
  if (shnum > 0) r.check(`${shnum} section headers`, shoff, shnum * ELF64_SHDR_SIZE);
  const header: ElfHeader = {
    littleEndian: r.littleEndian,
    osabi: bytes[7]!,
    type: r.u16('e_type', 16),
    machine: r.u16('e_machine', 18),
    version: r.u32('e_version', 20),
    entry: r.u64('e_entry', 24),
    flags: r.u32('e_flags', 48),
    sectionHeaderOffset: shoff,
    sectionCount: shnum,
    sectionNamesIndex: shstrndx,
  };
  const raw = readSectionHeaders(r, shoff, shnum);
  let names: Uint8Array = new Uint8Array(0);
  let namesOffset = 0;
  if (shnum > 0 && shstrndx !== SHN_UNDEF) {
    if (shstrndx >= shnum) {
      throw new ParseError('e_shstrndx', 62, `section name table index ${shstrndx} out of range (${shnum} sections)`);
    }
    const t = raw[shstrndx]!;
    if (t.type !== SectionType.STRTAB) throw new ParseError('e_shstrndx', 62, `section ${shstrndx} holding section names is not a string table (type ${t.type})`);
    names = r.slice('section name table', t.offset, t.size);
    namesOffset = t.offset;
  }
  const sections: ElfSection[] = new Array(shnum);
  for (let index = 0; index < shnum; index++) {
    const at = shoff + index * ELF64_SHDR_SIZE;
    const nameOffset = r.u32('sh_name', at);
    const s = raw[index]!;
    sections[index] = {
      index,
      name: names.byteLength === 0 && nameOffset === 0 ? '' : cString(names, nameOffset, () => `name of section ${index}`, namesOffset),
      type: s.type,
      flags: s.flags,
      addr: s.addr,
      offset: s.offset,
      size: s.size,
      link: s.link,
      info: s.info,
      addralign: s.addralign,
      entsize: s.entsize,
    };
  }
  return new ElfFile(bytes, r, header, sections);
}

/** The numeric fields of the section headers (names are resolved once the name table is known). */
function readSectionHeaders(r: ByteReader, shoff: number, shnum: number) {
  const out = new Array<Omit<ElfSection, 'index' | 'name'>>(shnum);
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * ELF64_SHDR_SIZE;
    out[i] = {
      type: r.u32('sh_type', at + 4),
      // Only the low bits carry flags anyone uses; SHF_MASKPROC/OS bits above 2^32 are dropped.
      flags: r.u32('sh_flags', at + (r.littleEndian ? 8 : 12)),
      addr: r.u64('sh_addr', at + 16),
      offset: r.size64('sh_offset', at + 24),
      size: r.size64('sh_size', at + 32),
      link: r.u32('sh_link', at + 40),
      info: r.u32('sh_info', at + 44),
      addralign: r.size64('sh_addralign', at + 48),
      entsize: r.size64('sh_entsize', at + 56),
    };
  }
  return out;
}
