/**
 * `ebpf`: eBPF maps, BTF, objects and programs from TypeScript.
 * The public entry point; importing it also registers the emulator backend
 * (`createMap(spec, { backend: 'emulator' })`).
 */
import { registerBackend } from './maps/backend-registry.js';
import { resolveSpec } from './maps/create.js';
import type { MapSpec } from './maps/spec.js';
import { createEmulatorBackend } from './emu/index.js';

registerBackend('emulator', (descriptor, spec) => createEmulatorBackend(descriptor, {
  numaNode: spec.numaNode ?? 0,
  // map-in-map: the template's descriptor, or the handle of an existing emulated map (its `fd`)
  ...(spec.innerMap ? { innerMap: 'fd' in spec.innerMap ? spec.innerMap.fd : resolveSpec(spec.innerMap as MapSpec).descriptor } : {}),
}));

// Maps
export * from './maps/index.js';
export { MapType, MapFlags, ElemFlags, BpfCmd, mapTypeName, mapTypeNumber } from './sys/constants.js';
export type { MapTypeName } from './sys/constants.js';
export type { MapInfo } from './sys/map-cmds.js';
export { possibleCpuCount } from './sys/cpus.js';

// Errors
export * from './sys/errors.js';

// Typed keys and values
export type { Codec } from './codec/codec.js';
export type { TypeDecl, ScalarTypeName } from './codec/declared-types.js';
export { codecFor, compileTypeDecl, compileBtfCodec, btfTypeName, formatMapEntryJson } from './codec/index.js';

// BTF
export { parseBtf, Btf } from './btf/btf.js';
export type { ParseBtfOptions } from './btf/btf.js';
export type { BtfSpec, BtfType, BtfKindName, BtfMember } from './btf/types.js';
export { loadKernelBtf, loadModuleBtf, listModuleBtf } from './btf/kernel.js';
export { parseBtfExt } from './btf/ext.js';
export { encodeBtf, BtfBuilder } from './btf/encode.js';
export { formatC } from './btf/format-c.js';
export { formatRaw, formatJson } from './btf/format-raw.js';

// Objects and loading
export { readCollectionSpec, loadCollectionSpec, loadCollectionSpecSync, lookupSection, SECTION_DEFS, ObjectError } from './object/index.js';
export type { ReadCollectionOptions, SectionDef, SectionInfo } from './object/index.js';
export type { CollectionSpec, ObjectMapSpec, ProgramSpec } from './object/spec.js';
export { loadCollection, Collection, attachAll, attachProgram, AttachedLinks, loadAllAndPin,
  CoreRelocationError, IncompatibleMapError, LoaderError, AttachTargetError } from './loader/index.js';
export type { LoadCollectionOptions, AttachOptions } from './loader/index.js';

// Programs, links, readers
export { loadProgram, openProgram, Program, VerifierError, ProgType, AttachType, progTypeName, attachTypeName, progTypeNumber, attachTypeNumber } from './prog/index.js';
export type { ProgramLoadSpec, TestRunOptions, TestRunResult, ProgInfo, ProgTypeName, AttachTypeName } from './prog/index.js';
export * from './link/index.js';
export * from './readers/index.js';

// The in-process emulator (also reachable as createMap(spec, { backend: 'emulator' }))
export {
  createEmulatorBackend, validateEmulatedMapSpec, EMULATED_MAP_TYPES, saveEmulatedMap, loadEmulatedMap,
  saveEmulatedMapFile, loadEmulatedMapFile, shareEmulatedMap, attachEmulatedMap, RingbufMap, RingbufFlags,
  EmulatedRingBufferReader,
} from './emu/index.js';
export type { EmulatorOptions, SharedMapHandle, RingbufRecord } from './emu/index.js';

// Low-level building blocks, namespaced
export * as asm from './asm/index.js';
export * as elf from './elf/index.js';
