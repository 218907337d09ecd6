/**
 * `readCollectionSpec`: BPF ELF object → `CollectionSpec`. Pure: no system call, and
 * nothing depends on the running kernel, so the output is the same on every machine.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { parseBtf, type Btf } from '../btf/btf.js';
import type { BtfSpec } from '../btf/types.js';
import { EbpfError, ParseError } from '../sys/errors.js';
import { EM_BPF, ElfType } from '../elf/constants.js';
import { parseElf, type ElfFile } from '../elf/elf-file.js';
import { fixupObjectBtf } from './btf-fixup.js';
import { ObjectContext } from './context.js';
import { readBtfMaps } from './btf-maps.js';
import { readDataMaps } from './data-maps.js';
import { ObjectError } from './errors.js';
import { readExterns, type Externs } from './externs.js';
import { readLegacyMaps } from './legacy-maps.js';
import { objectNameFromPath } from './map-names.js';
import { readPrograms } from './programs.js';
import { readStructOpsMaps } from './struct-ops.js';
import type { CollectionSpec, ObjectMapSpec, ProgramSpec, VariableSpec } from './spec.js';

export interface ReadCollectionOptions {
  /**
   * Object name used to derive data map names (`<name>.rodata`), as libbpf's
   * `bpf_object__open_mem` `object_name` option. Default `''`: data maps are named
   * after their section (`.rodata`). `loadCollectionSpec` passes the file name up to
   * its first dot, as libbpf does.
   */
  readonly objectName?: string;
}

/**
 * Parse a BPF ELF object (clang `-target bpf`, either byte order).
 *
 * Throws `ParseError` (with the offset) for malformed ELF or BTF; `ObjectError` for a
 * well-formed object using something unsupported (static legacy maps, unknown BTF map
 * fields, initial values on maps that cannot hold them, relocations against unknown
 * sections). Never makes a system call.
 */
export function readCollectionSpec(bytes: Uint8Array, options: ReadCollectionOptions = {}): CollectionSpec {
  const elf = parseElf(bytes);
  if (elf.header.machine !== EM_BPF && elf.header.machine !== 0) {
    throw new ObjectError(`ELF machine ${elf.header.machine} is not BPF (${EM_BPF}); compile with clang -target bpf`);
  }
  if (elf.header.type !== ElfType.REL) {
    throw new ObjectError(`ELF type ${elf.header.type} is not a relocatable object (1)`);
  }
  const btfSection = elf.sectionByName('.BTF');
  let btf: BtfSpec | undefined;
  if (btfSection) {
    const raw = elf.sectionData(btfSection).slice(); // the spec must not alias the caller's buffer
    btf = wrapBtfErrors(btfSection.offset, () => parseBtf(raw));
    if (btf.littleEndian !== elf.littleEndian) throw new ParseError('.BTF', btfSection.offset, 'BTF byte order differs from the ELF byte order');
  }
  const extSection = elf.sectionByName('.BTF.ext');
  const rawCtx = new ObjectContext(elf, btf, options.objectName ?? '');
  return wrapBtfErrors(btfSection?.offset ?? 0, () => {
    // Externs are read from clang's BTF (its .ksyms DATASEC still lists kfuncs as FUNCs);
    // everything else from the fixed BTF, as libbpf runs bpf_object__collect_externs,
    // then bpf_object_fixup_btf, then bpf_object__init_maps.
    const ext = readExterns(rawCtx);
    const fixedBtf = btf && fixedObjectBtf(btf, elf, ext);
    // libbpf types the .kconfig map by its DATASEC, as the other data maps (map_fill_btf_type_info).
    const kconfigSec = fixedBtf && ext.kconfigMap ? fixedBtf.typeByName('.kconfig', 'datasec') : undefined;
    const kconfigMap = ext.kconfigMap && kconfigSec && kconfigSec.size === ext.kconfigMap.valueSize
      ? { ...ext.kconfigMap, btf: { spec: fixedBtf!, keyTypeId: 0, valueTypeId: kconfigSec.id }, btfDefTypeId: kconfigSec.id }
      : ext.kconfigMap;
    const ctx = fixedBtf ? rawCtx.withBtf(fixedBtf) : rawCtx;
    const license = readLicense(ctx);
    const kernelVersion = readVersion(ctx);
    const maps: ObjectMapSpec[] = [];
    for (const s of elf.sections) {
      const kind = ctx.kindOf(s.index);
      if (kind === 'legacy_maps') maps.push(...readLegacyMaps(ctx, s.index));
      else if (kind === 'btf_maps') maps.push(...readBtfMaps(ctx, s.index));
    }
    const data = readDataMaps(ctx);
    maps.push(...data.maps);
    if (kconfigMap) maps.push(kconfigMap);
    const { functions, programs, codeSections } = readPrograms(ctx, maps, license, kernelVersion);
    maps.push(...readStructOpsMaps(ctx, programs));
    const mapsByName = new Map<string, ObjectMapSpec>();
    for (const m of maps) {
      if (mapsByName.has(m.realName)) throw new ObjectError(`two maps named ${m.realName}`);
      mapsByName.set(m.realName, m);
    }
    const programsByName = new Map<string, ProgramSpec>();
    for (const p of programs) {
      if (programsByName.has(p.name)) throw new ObjectError(`two programs named ${p.name}`, p.section);
      programsByName.set(p.name, p);
    }
    const variables = new Map<string, VariableSpec>();
    for (const v of [...data.variables, ...ext.kconfigVariables]) if (!variables.has(v.name)) variables.set(v.name, v);
    return {
      objectName: ctx.objectName,
      littleEndian: elf.littleEndian,
      license,
      kernelVersion,
      maps: mapsByName,
      programs: programsByName,
      functions,
      codeSections,
      variables,
      externs: ext.externs,
      btf: fixedBtf,
      btfExt: extSection ? elf.sectionData(extSection).slice() : undefined,
    };
  });
}

/**
 * The object's BTF with libbpf's open-time fix-ups (DATASEC sizes and variable offsets
 * from the ELF, extern and hidden VAR linkage, kfunc placeholders, the `.kconfig`
 * layout), parsed: what BPF_BTF_LOAD accepts, in the object's byte order.
 */
function fixedObjectBtf(btf: BtfSpec, elf: ElfFile, ext: Externs): Btf {
  const maps = new Map<string, ObjectMapSpec>();
  if (ext.kconfigMap) maps.set('.kconfig', ext.kconfigMap);
  return parseBtf(fixupObjectBtf(btf, { externs: ext.externs, maps, variables: new Map() }, elf));
}

/**
 * Read and parse an object file; data maps are named after the file as libbpf names
 * them (`<name up to the first dot>.rodata`, truncated to 15 characters).
 * Throws as `readCollectionSpec`, and an `EbpfError` with the errno name as `code`
 * (`ENOENT`, `EISDIR`, `EACCES`) when the file cannot be read.
 */
export async function loadCollectionSpec(path: string, options: ReadCollectionOptions = {}): Promise<CollectionSpec> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
  return readCollectionSpec(bytes, { objectName: objectNameFromPath(path), ...options });
}

/** Synchronous `loadCollectionSpec`. */
export function loadCollectionSpecSync(path: string, options: ReadCollectionOptions = {}): CollectionSpec {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  return readCollectionSpec(bytes, { objectName: objectNameFromPath(path), ...options });
}

/** An fs error as an EbpfError whose code is the errno name (`ENOENT`, `EISDIR`, `EACCES`). */
function readError(path: string, e: unknown): EbpfError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return new EbpfError(code, `read object ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

const utf8 = new TextDecoder();

function readLicense(ctx: ObjectContext): string {
  const s = ctx.elf.sectionByName('license');
  if (!s) return '';
  const data = ctx.elf.sectionData(s);
  const end = data.indexOf(0);
  return utf8.decode(end < 0 ? data : data.subarray(0, end));
}

function readVersion(ctx: ObjectContext): number {
  const s = ctx.elf.sectionByName('version');
  if (!s) return 0;
  const data = ctx.elf.sectionData(s);
  if (data.byteLength !== 4) throw new ParseError('version section', ctx.elf.errorOffset(s), `size ${data.byteLength}, expected 4 (a u32 kernel version)`);
  return new DataView(data.buffer, data.byteOffset, 4).getUint32(0, ctx.elf.littleEndian);
}

/**
 * The BTF model's lookups throw RangeError for ids outside the BTF; in an object those
 * come from corrupt input, so they become ParseError.
 */
function wrapBtfErrors<T>(offset: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof EbpfError) throw e;
    if (e instanceof RangeError) throw new ParseError('.BTF', offset, e.message);
    throw e;
  }
}
