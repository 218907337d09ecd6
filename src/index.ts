/**
 * `ebpf`: eBPF maps, BTF, objects and programs from TypeScript.
 * The public entry point; importing it also registers the emulator backend.
 */
export * from './maps/index.js';
export * from './sys/errors.js';
export { MapType, MapFlags, ElemFlags, BpfCmd, mapTypeName, mapTypeNumber } from './sys/constants.js';
export type { MapTypeName } from './sys/constants.js';
export type { MapInfo } from './sys/map-cmds.js';
export { possibleCpuCount } from './sys/cpus.js';
export type { Codec } from './codec/codec.js';
export type { TypeDecl, ScalarTypeName } from './codec/declared-types.js';
export { codecFor } from './codec/index.js';
