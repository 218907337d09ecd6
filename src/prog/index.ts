/** Program loading, test runs, pins and enumeration. */
export * from './program.js';
export { findAttachBtfId, attachTargetName } from './attach-target.js';
export { ProgType, AttachType, ProgLoadFlags, TestRunFlags, progTypeName, attachTypeName, progTypeNumber, attachTypeNumber } from '../sys/prog-cmds.js';
export type { ProgTypeName, AttachTypeName } from '../sys/prog-cmds.js';
export { kernelSymbolAt, kernelSymbolAddress, xlatedCallResolver } from './kallsyms.js';
