/**
 * ELF constants used by BPF objects (include/uapi/linux/elf.h, the System V gABI and
 * llvm/BinaryFormat/ELFRelocs/BPF.def for the BPF relocation types).
 */

/** `e_ident[EI_CLASS]`. */
export const ElfClass = { NONE: 0, ELF32: 1, ELF64: 2 } as const;
/** `e_ident[EI_DATA]`. */
export const ElfData = { NONE: 0, LSB: 1, MSB: 2 } as const;
/** `e_type`. */
export const ElfType = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
/** `e_machine` of BPF objects. */
export const EM_BPF = 247;

/** `sh_type`. */
export const SectionType = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  SHLIB: 10,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  PREINIT_ARRAY: 16,
  GROUP: 17,
  SYMTAB_SHNDX: 18,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

/** `sh_flags` bits. */
export const SectionFlags = {
  WRITE: 0x1,
  ALLOC: 0x2,
  EXECINSTR: 0x4,
  MERGE: 0x10,
  STRINGS: 0x20,
  INFO_LINK: 0x40,
} as const;

/** Special section indexes. */
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** `ELF64_ST_BIND`. */
export const SymbolBinding = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
/** `ELF64_ST_TYPE`. */
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, COMMON: 5, TLS: 6 } as const;
/** `ELF64_ST_VISIBILITY`. */
export const SymbolVisibility = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;

/**
 * BPF relocation types (llvm BPF.def; Documentation/bpf/llvm_reloc.rst).
 * 64_64: ld_imm64 of a symbol address; ABS64/ABS32: data words (.BTF, .BTF.ext, .maps
 * initialisers); 64_32: call target in instructions; NODYLD32: DWARF/BTF words.
 */
export const BpfReloc = {
  NONE: 0,
  R_BPF_64_64: 1,
  R_BPF_64_ABS64: 2,
  R_BPF_64_ABS32: 3,
  R_BPF_64_NODYLD32: 4,
  R_BPF_64_32: 10,
} as const;

export const ELF64_EHDR_SIZE = 64;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_SYM_SIZE = 24;
export const ELF64_REL_SIZE = 16;
export const ELF64_RELA_SIZE = 24;
