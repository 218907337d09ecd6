/**
 * What the object readers share while turning one ELF file into a spec: the parsed
 * ELF, its symbols by section, the object's BTF, and section classification.
 */
import type { BtfSpec, BtfType } from '../btf/types.js';
import { ParseError } from '../sys/errors.js';
import { ElfFile, type ElfSection, type ElfSymbol, type ElfRelocationSection } from '../elf/elf-file.js';
import { SectionFlags, SectionType, SymbolType } from '../elf/constants.js';

/** What a section holds, following libbpf's `bpf_object__elf_collect`. */
export type SectionKind =
  | 'program' | 'legacy_maps' | 'btf_maps' | 'data' | 'rodata' | 'bss' | 'license' | 'version'
  | 'btf' | 'btf_ext' | 'struct_ops' | 'other';

export class ObjectContext {
  readonly elf: ElfFile;
  readonly symbols: readonly ElfSymbol[];
  readonly btf: BtfSpec | undefined;
  readonly objectName: string;
  readonly kinds: readonly SectionKind[];
  private readonly bySection = new Map<number, ElfSymbol[]>();

  constructor(elf: ElfFile, btf: BtfSpec | undefined, objectName: string, symbols: readonly ElfSymbol[] = elf.symbols()) {
    this.elf = elf;
    this.btf = btf;
    this.objectName = objectName;
    this.symbols = symbols;
    for (const s of this.symbols) {
      let list = this.bySection.get(s.sectionIndex);
      if (!list) this.bySection.set(s.sectionIndex, (list = []));
      list.push(s);
    }
    this.kinds = elf.sections.map(classifySection);
  }

  /** The same object seen through other BTF (the fixed-up blob: same type ids). */
  withBtf(btf: BtfSpec): ObjectContext {
    return new ObjectContext(this.elf, btf, this.objectName, this.symbols);
  }

  /** The relocations applying to a section (decoded on demand: DWARF's are never read). */
  relocationsOf(sectionIndex: number): ElfRelocationSection | undefined {
    return this.elf.relocationsFor(sectionIndex);
  }

  /** Symbols defined in a section (section symbols included), in symbol table order. */
  symbolsIn(sectionIndex: number): readonly ElfSymbol[] {
    return this.bySection.get(sectionIndex) ?? [];
  }

  /** Named OBJECT/NOTYPE/FUNC symbols of a section (no section or file symbols). */
  namedSymbolsIn(sectionIndex: number): ElfSymbol[] {
    return this.symbolsIn(sectionIndex).filter((s) => s.name !== '' && s.type !== SymbolType.SECTION && s.type !== SymbolType.FILE);
  }

  symbol(index: number): ElfSymbol {
    const s = this.symbols[index];
    if (!s) throw new ParseError('symbol reference', 0, `symbol index ${index} out of range (${this.symbols.length} symbols)`);
    return s;
  }

  /** A symbol's name, or its section's name for section symbols (as llvm-readelf prints them). */
  symbolName(sym: ElfSymbol): string {
    if (sym.type === SymbolType.SECTION) return this.elf.sections[sym.sectionIndex]?.name ?? '';
    return sym.name;
  }

  section(index: number): ElfSection {
    return this.elf.section(index);
  }

  kindOf(index: number): SectionKind {
    return this.kinds[index] ?? 'other';
  }

  /** A BTF type by id; ParseError (not RangeError) when the id is outside the BTF. */
  btfType(id: number, what: string): BtfType {
    const btf = this.btf;
    if (!btf || !Number.isInteger(id) || id < 0 || id >= btf.typeCount) {
      throw new ParseError(what, 0, `BTF type id ${id} out of range (${btf?.typeCount ?? 0} types)`);
    }
    return btf.typeById(id);
  }
}

/** libbpf's rules (libbpf.c, bpf_object__elf_collect). */
export function classifySection(s: ElfSection): SectionKind {
  const name = s.name;
  if (name === 'license') return 'license';
  if (name === 'version') return 'version';
  if (name === 'maps') return 'legacy_maps';
  if (name === '.maps') return 'btf_maps';
  if (name === '.BTF') return 'btf';
  if (name === '.BTF.ext') return 'btf_ext';
  if (s.type === SectionType.PROGBITS && (s.flags & SectionFlags.EXECINSTR) !== 0) return 'program';
  if (s.type === SectionType.PROGBITS && (name === '.data' || name.startsWith('.data.'))) return 'data';
  if (s.type === SectionType.PROGBITS && (name === '.rodata' || name.startsWith('.rodata.'))) return 'rodata';
  if (s.type === SectionType.NOBITS && (name === '.bss' || name.startsWith('.bss.'))) return 'bss';
  if (s.type === SectionType.PROGBITS && (name === '.struct_ops' || name === '.struct_ops.link')) return 'struct_ops';
  return 'other';
}
