/**
 * `SEC(".struct_ops")` / `SEC(".struct_ops.link")` variables: each is a struct_ops map
 * (BPF_MAP_TYPE_STRUCT_OPS, Linux 5.6+; `.link` variants are BPF_F_LINK, 6.4+) whose
 * function pointer members point at programs, found through the section's relocations
 * (libbpf.c, bpf_object__init_struct_ops_maps and bpf_object__collect_st_ops_relos).
 * The value here is the object's struct; the loader translates it to the kernel's.
 */
import { MapFlags } from '../sys/constants.js';
import { ParseError } from '../sys/errors.js';
import { SymbolType } from '../elf/constants.js';
import type { ObjectContext } from './context.js';
import { ObjectError } from './errors.js';
import type { ObjectMapSpec, ProgramSpec } from './spec.js';

/** One map per struct_ops variable. Needs BTF (libbpf refuses struct_ops without it). */
export function readStructOpsMaps(ctx: ObjectContext, programs: readonly ProgramSpec[]): ObjectMapSpec[] {
  const out: ObjectMapSpec[] = [];
  for (const section of ctx.elf.sections) {
    if (ctx.kindOf(section.index) !== 'struct_ops' || section.size === 0) continue;
    const btf = ctx.btf;
    if (!btf) throw new ObjectError('struct_ops needs the object\'s BTF (compile with -g)', section.name);
    const datasec = btf.typeByName(section.name, 'datasec');
    if (!datasec) throw new ObjectError(`no DATASEC ${section.name} in the object's BTF`, section.name);
    const data = ctx.elf.sectionData(section);
    const symbols = new Map(ctx.namedSymbolsIn(section.index).map((s) => [s.name, s]));
    const rel = ctx.relocationsOf(section.index);
    for (const vsi of datasec.vars) {
      const v = ctx.btfType(vsi.type, `DATASEC ${section.name}`);
      if (v.kind !== 'var') continue;
      const t = btf.resolve(v.type);
      if (t.kind !== 'struct') throw new ObjectError(`struct_ops variable ${v.name} is a ${t.kind}, expected a struct`, section.name);
      const offset = symbols.get(v.name)?.value ?? vsi.offset;
      const size = t.size;
      if (!(offset + size <= data.byteLength)) {
        // The offset comes from a symbol value or BTF: it may be anywhere.
        throw new ParseError(`struct_ops ${v.name}`, ctx.elf.errorOffset(section, offset),
          `${size}-byte struct ${t.name || '(anon)'} at offset ${offset} runs past the end of ${section.name} (${data.byteLength} bytes)`);
      }
      const progs: { member: string; offset: number; program: string }[] = [];
      for (const r of rel?.entries ?? []) {
        if (r.offset < offset || r.offset >= offset + size) continue;
        const moff = r.offset - offset;
        const member = t.members.find((m) => m.bitOffset === moff * 8);
        const sym = ctx.symbol(r.symbolIndex);
        if (!member) throw new ObjectError(`struct_ops ${v.name}: relocation at byte ${moff} is not at a member`, section.name);
        if (sym.type !== SymbolType.FUNC && sym.type !== SymbolType.SECTION) throw new ObjectError(`struct_ops ${v.name}.${member.name} does not point to a function`, section.name);
        const target = sym.type === SymbolType.FUNC ? sym.name : programs.find((p) => p.sectionIndex === sym.sectionIndex && p.offset === 0)?.name;
        const prog = programs.find((p) => p.name === target);
        if (!prog) throw new ObjectError(`struct_ops ${v.name}.${member.name} points to ${ctx.symbolName(sym)}, which is not a program (use SEC("struct_ops/..."))`, section.name);
        progs.push({ member: member.name, offset: moff, program: prog.name });
      }
      out.push({
        name: v.name,
        realName: v.name,
        type: 'struct_ops',
        keySize: 4,
        valueSize: size,
        maxEntries: 1,
        flags: section.name === '.struct_ops.link' ? MapFlags.LINK : 0,
        pinning: 0,
        source: 'struct_ops',
        section: section.name,
        sectionOffset: offset,
        data: data.slice(offset, offset + size),
        freeze: false,
        btfDefTypeId: v.type,
        structOps: { typeName: t.name, btfTypeId: t.id, programs: progs },
      });
    }
  }
  return out;
}
