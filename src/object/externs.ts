/**
 * Externs: undefined symbols the loader must resolve. `extern int CONFIG_X __kconfig`
 * variables sit in BTF DATASEC `.kconfig`; `__ksym` variables and kernel functions in
 * `.ksyms`. libbpf lays the kconfig values out in one read-only map `.kconfig`, sorted
 * by alignment (descending), then size (ascending), then name (libbpf.c, cmp_externs and
 * bpf_object__collect_externs); this reader computes the same layout.
 */
import type { BtfType } from '../btf/types.js';
import { MapFlags } from '../sys/constants.js';
import { SHN_UNDEF, SymbolBinding, SymbolType } from '../elf/constants.js';
import type { ObjectContext } from './context.js';
import { MAX_DATA_SECTION_SIZE } from './data-maps.js';
import { ObjectError } from './errors.js';
import { internalMapName } from './map-names.js';
import type { ExternSpec, ObjectMapSpec, VariableSpec } from './spec.js';

export interface Externs {
  readonly externs: ExternSpec[];
  readonly kconfigMap: ObjectMapSpec | undefined;
  readonly kconfigVariables: VariableSpec[];
}

/** Names of the BTF vars/funcs in a DATASEC, with their type ids. */
function datasecMembers(ctx: ObjectContext, name: string): Map<string, BtfType> {
  const out = new Map<string, BtfType>();
  const ds = ctx.btf?.typeByName(name, 'datasec');
  if (!ds) return out;
  for (const vsi of ds.vars) {
    const t = ctx.btfType(vsi.type, `DATASEC ${name}`);
    out.set(t.name, t);
  }
  return out;
}

/** Alignment of a BTF type, as btf__align_of (pointer size 8). */
function alignOf(ctx: ObjectContext, id: number, depth = 0): number {
  if (depth > 32) throw new ObjectError(`BTF type ${id}: type chain too long`);
  const t = ctx.btfType(id, 'extern type');
  switch (t.kind) {
    case 'int': case 'enum': case 'enum64': case 'float': return Math.max(1, Math.min(t.size, 8));
    case 'ptr': return 8;
    case 'array': return alignOf(ctx, t.elemType, depth + 1);
    case 'struct': case 'union': {
      let a = 1;
      for (const m of t.members) a = Math.max(a, alignOf(ctx, m.type, depth + 1));
      return a;
    }
    case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag': return alignOf(ctx, t.type, depth + 1);
    default: throw new ObjectError(`extern of BTF kind ${t.kind} has no alignment`);
  }
}

/**
 * Every extern of the object and, when there are kconfig externs with BTF, the `.kconfig` map.
 * Throws `ObjectError` for a kconfig extern that is not a BTF variable, or kconfig values
 * larger together than `MAX_DATA_SECTION_SIZE`; `ParseError` for corrupt BTF.
 */
export function readExterns(ctx: ObjectContext): Externs {
  const kconfig = datasecMembers(ctx, '.kconfig');
  const ksyms = datasecMembers(ctx, '.ksyms');
  const externs: ExternSpec[] = [];
  const kcfg: { name: string; align: number; size: number; typeId: number; weak: boolean }[] = [];
  for (const sym of ctx.symbols) {
    if (sym.index === 0 || sym.sectionIndex !== SHN_UNDEF || sym.name === '' || sym.type === SymbolType.SECTION || sym.type === SymbolType.FILE) continue;
    if (sym.binding !== SymbolBinding.GLOBAL && sym.binding !== SymbolBinding.WEAK) continue;
    const weak = sym.binding === SymbolBinding.WEAK;
    const kv = kconfig.get(sym.name);
    if (kv) {
      if (kv.kind !== 'var') throw new ObjectError(`kconfig extern ${sym.name} is a ${kv.kind}, expected a variable`, '.kconfig');
      const size = ctx.btf!.sizeof(kv.type);
      kcfg.push({ name: sym.name, align: alignOf(ctx, kv.type), size, typeId: kv.type, weak });
      continue;
    }
    const ks = ksyms.get(sym.name) ?? ctx.btf?.typeByName(sym.name, 'func');
    if (ks) {
      externs.push({ name: sym.name, kind: ks.kind === 'func' ? 'kfunc' : 'ksym', weak, btfTypeId: ks.kind === 'var' ? ks.type : ks.id });
      continue;
    }
    // No BTF to tell: libbpf's naming conventions (CONFIG_*, LINUX_* are kconfig values).
    const kind = /^(CONFIG_|LINUX_)/.test(sym.name) ? 'kconfig' : sym.type === SymbolType.FUNC ? 'kfunc' : 'ksym';
    externs.push({ name: sym.name, kind, weak });
  }
  kcfg.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let off = 0;
  const offsets: number[] = [];
  for (const k of kcfg) {
    const offset = Math.ceil(off / k.align) * k.align;
    offsets.push(offset);
    off = offset + k.size;
  }
  // The sizes come from BTF: a corrupt type (an array of 2^31 elements) must not allocate gigabytes.
  if (!(off <= MAX_DATA_SECTION_SIZE)) {
    const largest = kcfg.reduce((a, b) => (b.size > a.size ? b : a));
    throw new ObjectError(`kconfig externs need ${off} bytes (the largest, ${largest.name}, is ${largest.size} bytes by BTF type ${largest.typeId}): more than the ${MAX_DATA_SECTION_SIZE} bytes a data map may hold`, '.kconfig');
  }
  const data = new Uint8Array(off);
  const kconfigVariables: VariableSpec[] = [];
  kcfg.forEach((k, i) => {
    const offset = offsets[i]!;
    externs.push({ name: k.name, kind: 'kconfig', weak: k.weak, btfTypeId: k.typeId, offset, size: k.size });
    kconfigVariables.push({ name: k.name, map: '.kconfig', section: '.kconfig', offset, size: k.size, btfTypeId: k.typeId, linkage: 'extern', value: data.subarray(offset, offset + k.size) });
  });
  const kconfigMap: ObjectMapSpec | undefined = kcfg.length === 0 ? undefined : {
    name: internalMapName(ctx.objectName, '.kconfig'),
    realName: '.kconfig',
    type: 'array',
    keySize: 4,
    valueSize: off,
    maxEntries: 1,
    flags: MapFlags.RDONLY_PROG | MapFlags.MMAPABLE,
    pinning: 0,
    source: 'kconfig',
    section: '.kconfig',
    sectionOffset: 0,
    data,
    freeze: true,
  };
  return { externs, kconfigMap, kconfigVariables };
}
