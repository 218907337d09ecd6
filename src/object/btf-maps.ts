/**
 * BTF-defined maps: variables in the `.maps` section whose type is a struct of
 * `__uint`/`__type`/`__array`/`__ulong` members (tools/lib/bpf/bpf_helpers.h):
 *
 *   __uint(name, val)    int (*name)[val]        → pointer to an array of `val` elements
 *   __type(name, T)      T *name                 → pointer to the key/value type
 *   __array(name, T)     T *name[]               → array of pointers (inner map / prog)
 *   __ulong(name, val)   enum { x = val } name   → 64-bit value as an enumerator
 *
 * Field rules follow libbpf's `parse_btf_map_def`: unknown fields are refused for
 * outer maps, `key`/`key_size` must agree, `__array(values, ...)` makes a map-in-map
 * (inner template named `<outer>.inner`) or, for a prog array, declares programs.
 * Initial slots (`.values = { [1] = &inner }`) come from `.rel.maps`.
 */
import type { BtfComposite, BtfType } from '../btf/types.js';
import { MapType, mapTypeName } from '../sys/constants.js';
import { ParseError } from '../sys/errors.js';
import { SectionType, SymbolType } from '../elf/constants.js';
import type { ObjectContext } from './context.js';
import { ObjectError } from './errors.js';
import type { MapSlot, ObjectMapSpec } from './spec.js';

interface MapDef {
  type: number;
  keySize: number;
  valueSize: number;
  keyTypeId: number;
  valueTypeId: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  mapExtra: bigint;
  pinning: number;
  /** Byte offset of the `values` member, when there is one. */
  valuesOffset: number | undefined;
  inner: ObjectMapSpec | undefined;
  hasProgValues: boolean;
}

const MAX_RESOLVE = 32;

/** Read every map of the `.maps` section. Needs the object's BTF. */
export function readBtfMaps(ctx: ObjectContext, sectionIndex: number): ObjectMapSpec[] {
  const section = ctx.section(sectionIndex);
  const btf = ctx.btf;
  if (!btf) throw new ObjectError('BTF-defined maps need the object\'s .BTF section, which is missing (compile with clang -g)', section.name);
  const datasec = btf.typeByName('.maps', 'datasec');
  if (!datasec) throw new ObjectError('no DATASEC .maps in the object\'s BTF', section.name);
  const symbols = new Map(ctx.namedSymbolsIn(sectionIndex).map((s) => [s.name, s]));
  const maps: ObjectMapSpec[] = [];
  const defs = new Map<ObjectMapSpec, MapDef>();
  for (const vsi of datasec.vars) {
    const v = ctx.btfType(vsi.type, 'DATASEC .maps');
    if (v.kind !== 'var') throw new ObjectError(`DATASEC .maps entry ${vsi.type} is a ${v.kind}, expected a var`, section.name);
    const sym = symbols.get(v.name);
    const offset = sym ? sym.value : vsi.offset;
    const def = parseMapDef(ctx, v.name, v.type, true, false, section.name);
    checkNoInitializer(ctx, sectionIndex, v.name, offset, sym?.size || vsi.size);
    const spec = toSpec(v.name, def, section.name, offset, v.type, ctx);
    defs.set(spec, def);
    maps.push(spec);
  }
  readInitialSlots(ctx, sectionIndex, maps, defs, symbols);
  return maps;
}

/**
 * The fields of a BTF map definition are markers for BTF only: their bytes must be zero
 * (cilium/ebpf refuses `.key = (void *)1` the same way). `.values` slots are zero in the
 * section too; their targets are relocations.
 */
function checkNoInitializer(ctx: ObjectContext, sectionIndex: number, name: string, offset: number, size: number): void {
  const section = ctx.section(sectionIndex);
  if (section.type === SectionType.NOBITS) return;
  const data = ctx.elf.sectionData(section);
  if (offset < 0 || offset + size > data.byteLength) {
    throw new ParseError(`map ${name}`, ctx.elf.errorOffset(section, offset), `definition of ${size} bytes at ${offset} lies outside the ${data.byteLength}-byte .maps section`);
  }
  for (let i = 0; i < size; i++) {
    if (data[offset + i] !== 0) {
      throw new ObjectError(`map ${name}: non-zero initializer at byte ${i} of its definition; only __array(values, ...) slots of map-in-map and prog array maps can be initialised`, section.name);
    }
  }
}

function toSpec(name: string, def: MapDef, section: string, offset: number, defTypeId: number, ctx: ObjectContext): ObjectMapSpec {
  const btf = ctx.btf!;
  const spec: ObjectMapSpec & { slots?: MapSlot[] } = {
    name,
    realName: name,
    type: mapTypeName(def.type) ?? def.type,
    keySize: def.keySize,
    valueSize: def.valueSize,
    maxEntries: def.maxEntries,
    flags: def.flags,
    pinning: def.pinning,
    source: 'btf',
    section,
    sectionOffset: offset,
    freeze: false,
    btfDefTypeId: defTypeId,
    ...(def.numaNode ? { numaNode: def.numaNode } : {}),
    ...(def.mapExtra ? { mapExtra: def.mapExtra } : {}),
    ...(def.inner ? { innerMap: def.inner } : {}),
    ...(def.keyTypeId || def.valueTypeId ? { btf: { spec: btf, keyTypeId: def.keyTypeId, valueTypeId: def.valueTypeId } } : {}),
  };
  return spec;
}

/** Follow typedefs and modifiers, refusing loops. */
function resolve(ctx: ObjectContext, id: number, what: string): BtfType {
  let t = ctx.btfType(id, what);
  for (let i = 0; i < MAX_RESOLVE; i++) {
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') {
      t = ctx.btfType(t.type, what);
    } else return t;
  }
  throw new ParseError(what, 0, `type chain from BTF id ${id} is longer than ${MAX_RESOLVE}`);
}

function sizeOf(ctx: ObjectContext, id: number, what: string): number {
  try {
    return ctx.btf!.sizeof(id);
  } catch (e) {
    throw new ObjectError(`${what}: BTF type ${id} has no size (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** `__uint(name, val)`: pointer to an array with `val` elements; or `__ulong`: an enum's first value. */
function intField(ctx: ObjectContext, mapName: string, field: string, typeId: number): bigint {
  const what = `map ${mapName} field ${field}`;
  const t = resolve(ctx, typeId, what);
  if (t.kind === 'ptr') {
    const arr = resolve(ctx, t.type, what);
    if (arr.kind !== 'array') throw new ObjectError(`${what}: expected __uint() (pointer to array), found pointer to ${arr.kind}`);
    return BigInt(arr.nelems);
  }
  if ((t.kind === 'enum' || t.kind === 'enum64') && t.values.length > 0) return t.values[0]!.value;
  throw new ObjectError(`${what}: expected __uint() or __ulong(), found ${t.kind}`);
}

function u32Field(ctx: ObjectContext, mapName: string, field: string, typeId: number): number {
  const v = intField(ctx, mapName, field, typeId);
  if (v < 0n || v > 0xffffffffn) throw new ObjectError(`map ${mapName} field ${field}: value ${v} does not fit 32 bits`);
  return Number(v);
}

function parseMapDef(ctx: ObjectContext, name: string, typeId: number, strict: boolean, isInner: boolean, section: string): MapDef {
  const what = `map ${name}`;
  const t = resolve(ctx, typeId, what);
  if (t.kind !== 'struct') throw new ObjectError(`${what}: definition is a ${t.kind}, expected a struct`, section);
  const def: MapDef = {
    type: 0, keySize: 0, valueSize: 0, keyTypeId: 0, valueTypeId: 0, maxEntries: 0, flags: 0,
    numaNode: 0, mapExtra: 0n, pinning: 0, valuesOffset: undefined, inner: undefined, hasProgValues: false,
  };
  let valuesMember: BtfComposite['members'][number] | undefined;
  for (const m of (t as BtfComposite).members) {
    switch (m.name) {
      case 'type': def.type = u32Field(ctx, name, m.name, m.type); break;
      case 'max_entries': def.maxEntries = u32Field(ctx, name, m.name, m.type); break;
      case 'map_flags': def.flags = u32Field(ctx, name, m.name, m.type); break;
      case 'numa_node': def.numaNode = u32Field(ctx, name, m.name, m.type); break;
      case 'map_extra': def.mapExtra = intField(ctx, name, m.name, m.type); break;
      case 'pinning': def.pinning = u32Field(ctx, name, m.name, m.type); break;
      case 'key_size':
      case 'value_size': {
        const sz = u32Field(ctx, name, m.name, m.type);
        const cur = m.name === 'key_size' ? def.keySize : def.valueSize;
        if (cur !== 0 && cur !== sz) throw new ObjectError(`${what}: conflicting ${m.name} ${sz} and the ${m.name === 'key_size' ? 'key' : 'value'} type's size ${cur}`, section);
        if (m.name === 'key_size') def.keySize = sz; else def.valueSize = sz;
        break;
      }
      case 'key':
      case 'value': {
        const p = resolve(ctx, m.type, `${what} field ${m.name}`);
        if (p.kind !== 'ptr') throw new ObjectError(`${what}: field ${m.name} must be __type() (a pointer), found ${p.kind}`, section);
        const sz = sizeOf(ctx, p.type, `${what} ${m.name}`);
        const cur = m.name === 'key' ? def.keySize : def.valueSize;
        if (cur !== 0 && cur !== sz) throw new ObjectError(`${what}: ${m.name} type of ${sz} bytes conflicts with ${m.name}_size ${cur}`, section);
        if (m.name === 'key') { def.keySize = sz; def.keyTypeId = p.type; } else { def.valueSize = sz; def.valueTypeId = p.type; }
        break;
      }
      case 'values': valuesMember = m; break;
      default:
        if (strict) throw new ObjectError(`${what}: unknown field '${m.name}' in the map definition`, section);
    }
  }
  if (valuesMember) {
    if (isInner) throw new ObjectError(`${what}: multi-level map-in-map is not supported`, section);
    const arr = resolve(ctx, valuesMember.type, `${what} field values`);
    if (arr.kind !== 'array') throw new ObjectError(`${what}: field values must be __array(), found ${arr.kind}`, section);
    const ptr = resolve(ctx, arr.elemType, `${what} field values`);
    if (ptr.kind !== 'ptr') throw new ObjectError(`${what}: field values must be an array of pointers, found ${ptr.kind}`, section);
    def.valuesOffset = valuesMember.bitOffset / 8;
    if (def.type === MapType.prog_array) {
      const target = resolve(ctx, ptr.type, `${what} field values`);
      if (target.kind !== 'func_proto') throw new ObjectError(`${what}: prog array values must be __array(values, int (void *)), found ${target.kind}`, section);
      def.hasProgValues = true;
    } else if (def.type === MapType.array_of_maps || def.type === MapType.hash_of_maps) {
      const innerName = `${name}.inner`;
      const innerDef = parseMapDef(ctx, innerName, ptr.type, false, true, section);
      def.inner = toSpec(innerName, innerDef, section, 0, ptr.type, ctx);
    } else {
      throw new ObjectError(`${what}: __array(values, ...) is only valid for array_of_maps, hash_of_maps and prog_array maps`, section);
    }
    // Slots hold fds: the kernel wants 4-byte values (kernel/bpf/map_in_map.c, arraymap.c).
    if (def.valueSize !== 0 && def.valueSize !== 4) throw new ObjectError(`${what}: value_size ${def.valueSize} of a map-in-map or prog array must be 4`, section);
    def.valueSize = 4;
    if (def.keySize === 0) def.keySize = 4;
  }
  return def;
}

/**
 * Initial slots from `.rel.maps`: a relocation at `<map offset> + <values offset> + 8*i`
 * names the map (map-in-map) or program (prog array) stored at key `i`
 * (libbpf: bpf_object__collect_map_relos).
 */
function readInitialSlots(ctx: ObjectContext, sectionIndex: number, maps: ObjectMapSpec[], defs: Map<ObjectMapSpec, MapDef>, symbols: Map<string, { value: number; size: number }>): void {
  const rel = ctx.relocationsOf(sectionIndex);
  if (!rel) return;
  const section = ctx.section(sectionIndex);
  const slots = new Map<ObjectMapSpec, MapSlot[]>();
  for (const r of rel.entries) {
    const target = ctx.symbol(r.symbolIndex);
    const map = maps.find((m) => {
      const s = symbols.get(m.realName);
      return s !== undefined && r.offset >= s.value && r.offset < s.value + Math.max(s.size, 1);
    });
    if (!map) throw new ObjectError(`relocation at offset ${r.offset} is not inside any map definition`, section.name);
    const valuesOffset = defs.get(map)?.valuesOffset;
    if (valuesOffset === undefined) {
      throw new ObjectError(`map ${map.realName}: has initial values but is a ${String(map.type)} map; only array_of_maps, hash_of_maps and prog_array maps can be initialised with __array(values, ...)`, section.name);
    }
    const delta = r.offset - map.sectionOffset - valuesOffset;
    if (delta < 0 || delta % 8 !== 0) throw new ObjectError(`map ${map.realName}: relocation at offset ${r.offset} is not a values[] slot`, section.name);
    const key = delta / 8;
    if (key >= map.maxEntries) throw new ObjectError(`map ${map.realName}: initial value at index ${key} is beyond max_entries ${map.maxEntries}`, section.name);
    let slot: MapSlot;
    if (defs.get(map)?.hasProgValues) {
      const sec = ctx.elf.sections[target.sectionIndex];
      if (target.type !== SymbolType.FUNC || !sec || ctx.kindOf(sec.index) !== 'program') {
        throw new ObjectError(`map ${map.realName}: slot ${key} refers to ${ctx.symbolName(target) || 'an unnamed symbol'}, which is not a BPF program`, section.name);
      }
      slot = { key, kind: 'program', name: target.name };
    } else {
      if (target.sectionIndex !== sectionIndex || !maps.some((m) => m.realName === target.name)) {
        throw new ObjectError(`map ${map.realName}: slot ${key} refers to ${ctx.symbolName(target) || 'an unnamed symbol'}, which is not a map in .maps`, section.name);
      }
      slot = { key, kind: 'map', name: target.name };
    }
    let list = slots.get(map);
    if (!list) slots.set(map, (list = []));
    list.push(slot);
  }
  for (const [map, list] of slots) {
    const i = maps.indexOf(map);
    maps[i] = { ...map, slots: list.sort((a, b) => a.key - b.key) };
  }
}
