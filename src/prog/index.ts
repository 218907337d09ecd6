/** Program loading, test runs, pins and enumeration. */
export * from './program.js';
export { findAttachBtfId, attachTargetName } from './attach-target.js';
export { ProgLoadFlags, TestRunFlags } from '../sys/prog-cmds.js';
export { ProgType, AttachType, progTypeName, attachTypeName, progTypeNumber, attachTypeNumber } from '../sys/prog-types.js';
export type { ProgTypeName, AttachTypeName } from '../sys/prog-types.js';
export { kernelSymbolAt, kernelSymbolAddress, xlatedCallResolver } from './kallsyms.js';
