/** ELF64 reader for BPF objects: pure parsing over a Uint8Array. */
export * from './constants.js';
export { ElfFile, parseElf } from './elf-file.js';
export type { ElfHeader, ElfSection, ElfSymbol, ElfRelocation, ElfRelocationSection } from './elf-file.js';
export { cString } from './bytes.js';
export { isElf, elfSections } from './sections.js';
