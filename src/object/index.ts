/** BPF ELF objects → specs (pure). */
export * from './spec.js';
export { readCollectionSpec, loadCollectionSpec, loadCollectionSpecSync } from './reader.js';
export type { ReadCollectionOptions } from './reader.js';
export { ObjectError } from './errors.js';
export { lookupSection, SECTION_DEFS, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS } from './section-names.js';
export type { SectionDef, SectionInfo, AutoAttach } from './section-names.js';
export * from '../sys/prog-types.js';
export { internalMapName, objectNameFromPath, BPF_OBJ_NAME_LEN } from './map-names.js';
export { fixupObjectBtf, type BtfFixupSpec } from './btf-fixup.js';
