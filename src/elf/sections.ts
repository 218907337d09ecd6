/**
 * Section contents by name, for callers that need only a few sections of an
 * object (`.BTF`, `.BTF.ext`) and not symbols or relocations.
 */
import { parseElf } from './elf-file.js';
import { SectionType } from './constants.js';

/** True when `bytes` starts with the ELF magic `\x7fELF`. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * The bytes of every named section with contents (NOBITS and NULL sections are
 * skipped), keyed by name; views into `bytes`, not copies. Throws `ParseError`
 * with the offset for malformed ELF (see `parseElf`).
 */
export function elfSections(bytes: Uint8Array): Map<string, Uint8Array> {
  const elf = parseElf(bytes);
  const out = new Map<string, Uint8Array>();
  for (const s of elf.sections) {
    if (!s.name || s.type === SectionType.NOBITS || s.type === SectionType.NULL) continue;
    if (!out.has(s.name)) out.set(s.name, elf.sectionData(s));
  }
  return out;
}
