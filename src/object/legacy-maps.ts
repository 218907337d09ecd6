/**
 * Legacy map definitions in the `maps` section.
 *
 *   struct bpf_map_def {          struct bpf_elf_map {   (iproute2, include/bpf_elf.h)
 *     u32 type;          0          u32 type;        0
 *     u32 key_size;      4          u32 size_key;    4
 *     u32 value_size;    8          u32 size_value;  8
 *     u32 max_entries;  12          u32 max_elem;   12
 *     u32 map_flags;    16          u32 flags;      16
 *   };                  20 B        u32 id;         20
 *                                   u32 pinning;    24
 *                                   u32 inner_id;   28
 *                                   u32 inner_idx;  32
 *                                 };                36 B
 *
 * Each map is a symbol in `maps`. As libbpf (bpf_object__init_user_maps) does, the size
 * of one definition is the symbol's size, else the section size divided by the number
 * of map symbols; bytes past the 20 known ones must be zero, except for the 36-byte
 * iproute2 layout whose extra fields are kept. Static (STB_LOCAL) maps are refused
 * as libbpf refuses them. libbpf 1.0+ no longer reads this section at all; this reader
 * still does so that tc/iproute2 and older objects keep working.
 */
import { ParseError } from '../sys/errors.js';
import { mapTypeName } from '../sys/constants.js';
import { SymbolBinding } from '../elf/constants.js';
import { ByteReader } from '../elf/bytes.js';
import type { ObjectContext } from './context.js';
import { ObjectError } from './errors.js';
import type { ObjectMapSpec } from './spec.js';

const BPF_MAP_DEF_SIZE = 20;
const BPF_ELF_MAP_SIZE = 36;

/** Read every map of a `maps` section. Throws ParseError/ObjectError for malformed definitions. */
export function readLegacyMaps(ctx: ObjectContext, sectionIndex: number): ObjectMapSpec[] {
  const section = ctx.section(sectionIndex);
  const data = ctx.elf.sectionData(section);
  const symbols = ctx.namedSymbolsIn(sectionIndex).sort((a, b) => a.value - b.value);
  if (symbols.length === 0) return [];
  let defaultSize = 0;
  if (data.byteLength % symbols.length === 0) defaultSize = data.byteLength / symbols.length;
  const r = new ByteReader(data, ctx.elf.littleEndian);
  const maps: ObjectMapSpec[] = [];
  for (const sym of symbols) {
    const size = sym.size || defaultSize;
    if (size === 0) {
      throw new ObjectError(`map ${sym.name}: cannot tell the definition size (${data.byteLength} bytes for ${symbols.length} map symbols)`, section.name);
    }
    if (sym.binding === SymbolBinding.LOCAL) {
      throw new ObjectError(`map ${sym.name}: static maps are not supported (libbpf refuses them too); remove 'static'`, section.name);
    }
    if (size < BPF_MAP_DEF_SIZE) {
      throw new ParseError(`map ${sym.name}`, ctx.elf.errorOffset(section, sym.value), `definition of ${size} bytes is shorter than struct bpf_map_def (${BPF_MAP_DEF_SIZE} bytes)`);
    }
    // st_value comes from a 64-bit field: name the section's range rather than fail somewhere past it.
    if (!Number.isSafeInteger(sym.value) || sym.value > data.byteLength || size > data.byteLength - sym.value) {
      throw new ParseError(`map ${sym.name}`, ctx.elf.errorOffset(section, sym.value),
        `definition of ${size} bytes at symbol value 0x${ctx.elf.symbolValue64(sym).toString(16)} lies outside section ${section.name} (${data.byteLength} bytes${size > data.byteLength ? '' : `: values 0..${data.byteLength - size} fit`})`);
    }
    const at = sym.value;
    const u32 = (o: number) => r.u32(`map ${sym.name}`, at + o);
    const typeNumber = u32(0);
    const iproute2 = size === BPF_ELF_MAP_SIZE
      ? { id: u32(20), pinning: u32(24), innerId: u32(28), innerIdx: u32(32) }
      : undefined;
    if (!iproute2) {
      for (let o = BPF_MAP_DEF_SIZE; o < size; o++) {
        if (data[at + o] !== 0) {
          throw new ObjectError(`map ${sym.name}: definition of ${size} bytes has unrecognised non-zero bytes past struct bpf_map_def (at byte ${o})`, section.name);
        }
      }
    }
    maps.push({
      name: sym.name,
      realName: sym.name,
      type: mapTypeName(typeNumber) ?? typeNumber,
      keySize: u32(4),
      valueSize: u32(8),
      maxEntries: u32(12),
      flags: u32(16),
      pinning: 0,
      source: 'legacy',
      section: section.name,
      sectionOffset: at,
      freeze: false,
      ...(iproute2 ? { iproute2 } : {}),
    });
  }
  return resolveIproute2InnerMaps(maps, section.name);
}

/**
 * iproute2 map-in-map: an outer map names its template by `inner_id` = the inner map's
 * `id` (iproute2 lib/bpf_legacy.c, bpf_map_attach/bpf_fill_section_data). The template
 * becomes `innerMap`, as BTF's `__array(values, ...)` does.
 */
function resolveIproute2InnerMaps(maps: ObjectMapSpec[], section: string): ObjectMapSpec[] {
  return maps.map((m) => {
    const innerId = m.iproute2?.innerId ?? 0;
    if (innerId === 0 || (m.type !== 'array_of_maps' && m.type !== 'hash_of_maps')) return m;
    const inner = maps.find((x) => x !== m && x.iproute2?.id === innerId);
    if (!inner) throw new ObjectError(`map ${m.realName}: inner_id ${innerId} names no map in this object`, section);
    return { ...m, innerMap: inner };
  });
}
