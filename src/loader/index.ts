/** The collection loader: BPF ELF objects → live maps and programs, CO-RE, attach-all and pin-all. */
export { loadCollection, Collection, type LoadCollectionOptions } from './collection.js';
export { CoreRelocationError, IncompatibleMapError, LoaderError, AttachTargetError } from './errors.js';
export {
  relocateCore, calculateCoreRelocation, patchCoreInstruction, coreTarget, CoreTarget, CoreReloKind, coreReloKindName, POISON_HELPER_ID,
  type CoreRelocation, type CoreResult, type AppliedCoreRelocation,
} from './core-relocate.js';
export { essentialName } from './core-compat.js';
export { linkProgram, type LinkedProgram } from './link-program.js';
export { fixupObjectBtf } from './btf-fixup.js';
export { kernelConfig } from './kconfig.js';
export { GlobalVariable, type VariableValue } from './variables.js';
export { attachAll, attachProgram, attachKind, AttachedLinks, type AttachOptions } from './attach.js';
export { loadAllAndPin, type PinnedObject } from './pin-all.js';
