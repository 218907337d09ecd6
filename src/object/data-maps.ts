/**
 * Global data: `.data`, `.rodata`, `.bss` and their `.data.*`/`.rodata.*`/`.bss.*`
 * variants become single-element array maps whose value is the section, as libbpf
 * does (libbpf.c, bpf_object__init_global_data_maps); the variables in them come from
 * the section's DATASEC in BTF (offsets from the symbol table: clang leaves global
 * variables at offset 0 in the DATASEC), or from the symbol table when there is no BTF.
 *
 * Flags follow libbpf: `.rodata*` maps are BPF_F_RDONLY_PROG and frozen after their
 * contents are written (BPF_MAP_FREEZE, Linux 5.2+); a map whose DATASEC holds a
 * non-static variable is BPF_F_MMAPABLE (Linux 5.5+) so user space can map it.
 */
import type { BtfDatasec } from '../btf/types.js';
import { MapFlags } from '../sys/constants.js';
import { ParseError } from '../sys/errors.js';
import { SymbolBinding } from '../elf/constants.js';
import type { ObjectContext } from './context.js';
import { ObjectError } from './errors.js';
import { internalMapName } from './map-names.js';
import type { ObjectMapSpec, VariableSpec } from './spec.js';

/**
 * Largest data section accepted. The kernel's own limit on an array value is
 * KMALLOC_MAX_SIZE (4 MiB on x86-64, kernel/bpf/arraymap.c), so this only stops corrupt
 * sizes (a NOBITS `.bss` has no bytes in the file to bound it) from allocating gigabytes.
 */
export const MAX_DATA_SECTION_SIZE = 64 * 1024 * 1024;

export interface DataMaps {
  readonly maps: ObjectMapSpec[];
  readonly variables: VariableSpec[];
}

/** The maps and variables of every non-empty data section. */
export function readDataMaps(ctx: ObjectContext): DataMaps {
  const maps: ObjectMapSpec[] = [];
  const variables: VariableSpec[] = [];
  for (const section of ctx.elf.sections) {
    const kind = ctx.kindOf(section.index);
    if (kind !== 'data' && kind !== 'rodata' && kind !== 'bss') continue;
    if (section.size === 0) continue; // libbpf skips empty data sections
    if (section.size > MAX_DATA_SECTION_SIZE) {
      throw new ObjectError(`data section of ${section.size} bytes is larger than ${MAX_DATA_SECTION_SIZE} bytes`, section.name);
    }
    const contents = kind === 'bss' ? new Uint8Array(section.size) : ctx.elf.sectionData(section).slice();
    const datasec = ctx.btf?.typeByName(section.name, 'datasec');
    const vars = datasec ? btfVariables(ctx, section.index, datasec, contents) : symbolVariables(ctx, section.index, contents);
    variables.push(...vars);
    const readOnly = kind === 'rodata';
    const mmapable = datasec !== undefined && vars.some((v) => v.linkage !== 'static');
    maps.push({
      name: internalMapName(ctx.objectName, section.name),
      realName: section.name,
      type: 'array',
      keySize: 4,
      valueSize: section.size,
      maxEntries: 1,
      flags: (readOnly ? MapFlags.RDONLY_PROG : 0) | (mmapable ? MapFlags.MMAPABLE : 0),
      pinning: 0,
      source: 'data',
      section: section.name,
      sectionOffset: 0,
      data: contents,
      freeze: readOnly,
      ...(datasec && ctx.btf ? { btf: { spec: ctx.btf, keyTypeId: 0, valueTypeId: datasec.id }, btfDefTypeId: datasec.id } : {}),
    });
  }
  return { maps, variables };
}

function btfVariables(ctx: ObjectContext, sectionIndex: number, datasec: BtfDatasec, contents: Uint8Array): VariableSpec[] {
  const section = ctx.section(sectionIndex);
  const symbols = new Map(ctx.namedSymbolsIn(sectionIndex).map((s) => [s.name, s]));
  const out: VariableSpec[] = [];
  for (const vsi of datasec.vars) {
    const v = ctx.btfType(vsi.type, `DATASEC ${section.name}`);
    if (v.kind !== 'var') continue;
    const sym = symbols.get(v.name);
    const offset = sym ? sym.value : vsi.offset;
    const size = vsi.size || sym?.size || 0;
    checkRange(section.name, ctx.elf.errorOffset(section, offset), offset, size, contents.byteLength, v.name);
    out.push({
      name: v.name,
      map: section.name,
      section: section.name,
      offset,
      size,
      btfTypeId: v.type,
      linkage: v.linkage === 0 ? 'static' : v.linkage === 2 ? 'extern' : 'global',
      value: contents.subarray(offset, offset + size),
    });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

function symbolVariables(ctx: ObjectContext, sectionIndex: number, contents: Uint8Array): VariableSpec[] {
  const section = ctx.section(sectionIndex);
  return ctx.namedSymbolsIn(sectionIndex)
    .filter((s) => !s.name.startsWith('.'))
    .map((s) => {
      checkRange(section.name, ctx.elf.errorOffset(section, s.value), s.value, s.size, contents.byteLength, s.name);
      return {
        name: s.name,
        map: section.name,
        section: section.name,
        offset: s.value,
        size: s.size,
        linkage: s.binding === SymbolBinding.LOCAL ? 'static' as const : 'global' as const,
        value: contents.subarray(s.value, s.value + s.size),
      };
    })
    .sort((a, b) => a.offset - b.offset);
}

/** `errorAt`: the file offset to report (ElfFile.errorOffset of the variable's offset). */
function checkRange(section: string, errorAt: number, offset: number, size: number, limit: number, name: string): void {
  if (offset < 0 || size < 0 || offset + size > limit) {
    throw new ParseError(`variable ${name} in ${section}`, errorAt, `${size} bytes at offset ${offset} lie outside the ${limit}-byte section`);
  }
}
