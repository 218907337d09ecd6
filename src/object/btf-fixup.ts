/**
 * Object BTF as the kernel will take it (BPF_BTF_LOAD, Linux 4.18+). Pure: the
 * fix-ups depend on the object only, never on the running kernel, so
 * `readCollectionSpec` applies them when it reads the object (as libbpf does in
 * bpf_object_open) and every spec carries BTF that BPF_BTF_LOAD accepts.
 *
 * Clang leaves every DATASEC with size 0 and its variables at offset 0: only
 * the ELF knows where a section ends and where each symbol sits. The kernel's
 * BTF verifier (kernel/bpf/btf.c, btf_datasec_check_meta) rejects that, so,
 * like libbpf (btf_fixup_datasec, bpf_object__collect_externs):
 *   - DATASEC sizes come from the ELF section, variable offsets from the
 *     symbols, and variables are sorted by offset;
 *   - a global variable whose symbol has hidden or internal visibility
 *     (`__hidden`) becomes a static VAR, as libbpf marks it;
 *   - `extern` VARs (kconfig/ksym) become allocated globals, since the kernel
 *     accepts only static and allocated VAR linkage (btf_var_check_meta);
 *   - kfunc FUNCs listed in `.ksyms` are replaced by placeholder int VARs of
 *     the same name, because a DATASEC may only list VARs;
 *   - `.kconfig` variables get the offsets of the `.kconfig` map.
 *
 * The blob is patched in place rather than re-encoded: string offsets stay
 * valid (line_info points into the string section for file names and source
 * lines) and type ids do not move (func_info, map key/value ids). Placeholder
 * types and their one new string are appended at the ends of the sections.
 *
 *   header (hdr_len) | types (type_off, type_len) | strings (str_off, str_len)
 */
import type { BtfSpec } from '../btf/types.js';
import type { ElfFile } from '../elf/elf-file.js';
import { ParseError } from '../sys/errors.js';
import { SymbolVisibility } from '../elf/constants.js';
import type { CollectionSpec } from './spec.js';

/** What the fix-ups read from a spec: kconfig extern offsets, the `.kconfig` map size, and (without an ELF) symbol offsets. */
export type BtfFixupSpec = Pick<CollectionSpec, 'externs' | 'maps' | 'variables'>;

const VAR_STATIC = 0;
const VAR_GLOBAL_ALLOCATED = 1;
const VAR_EXTERN = 2;

// BTF_KIND_* numbers used here (include/uapi/linux/btf.h).
const K = { INT: 1, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, DECL_TAG: 17, ENUM64: 19 } as const;

/** Bytes after the 12-byte common header of a type record. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case K.INT: case K.VAR: case K.DECL_TAG: return 4;
    case K.ARRAY: return 12;
    case K.STRUCT: case K.UNION: case K.DATASEC: case K.ENUM64: return 12 * vlen;
    case K.ENUM: case K.FUNC_PROTO: return 8 * vlen;
    default: return 0;
  }
}

/**
 * The object's BTF with DATASEC and extern fixes applied, in the object's byte
 * order, as one blob (24-byte header, types, strings). Type ids and string
 * offsets of the input stay valid; placeholder types are appended. Applying it
 * twice gives the same blob. `elf` supplies section sizes and symbol offsets;
 * without it (a spec built by hand) they come from the spec's maps and
 * variables. `readCollectionSpec` already returns fixed BTF, so callers rarely
 * need this.
 *
 * Throws `ParseError` for split BTF (objects carry self-contained BTF) or a blob
 * whose type records run past its type section.
 */
export function fixupObjectBtf(btf: BtfSpec, spec: BtfFixupSpec, elf: ElfFile | undefined): Uint8Array {
  const raw = btf.raw;
  const le = btf.littleEndian;
  const v0 = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const hdrLen = v0.getUint32(4, le);
  const typeOff = v0.getUint32(8, le);
  const typeLen = v0.getUint32(12, le);
  const strOff = v0.getUint32(16, le);
  const strLen = v0.getUint32(20, le);
  if (btf.base !== undefined) throw new ParseError('.BTF', 0, 'object BTF is split BTF on a base; expected self-contained BTF');
  if (hdrLen + Math.max(typeOff + typeLen, strOff + strLen) > raw.byteLength) {
    throw new ParseError('.BTF', 0, `BTF sections (types ${typeOff}+${typeLen}, strings ${strOff}+${strLen}) run past the ${raw.byteLength}-byte blob`);
  }
  // Copies (Buffer.slice would share memory, and its .buffer is the whole pool).
  const types = new Uint8Array(raw.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen));
  const strings = new Uint8Array(raw.subarray(hdrLen + strOff, hdrLen + strOff + strLen));
  const view = new DataView(types.buffer);
  const newTypes: number[] = [];
  let newStrings = new Uint8Array(0);
  let intId = 0;
  let nextId = btf.typeCount;
  const intType = (): number => {
    if (intId) return intId;
    // Reuse a 4-byte signed `int` (clang's, or ours from an earlier pass: fixing twice adds nothing).
    for (let id = btf.firstTypeId; id < btf.typeCount; id++) {
      const t = btf.typeById(id);
      if (t.kind === 'int' && t.name === 'int' && t.size === 4 && t.encoding === 1 && t.bits === 32 && t.bitOffset === 0) return (intId = id);
    }
    const name = strLen + newStrings.length;
    const enc = new TextEncoder().encode('int\0');
    const s = new Uint8Array(newStrings.length + enc.length);
    s.set(newStrings);
    s.set(enc, newStrings.length);
    newStrings = s;
    // INT: name, info (kind INT), size 4, then encoding SIGNED | bits 32.
    newTypes.push(name, K.INT << 24, 4, (1 << 24) | 32);
    return (intId = nextId++);
  };
  const placeholderVar = (nameOff: number): number => {
    const type = intType();
    newTypes.push(nameOff, K.VAR << 24, type, VAR_GLOBAL_ALLOCATED);
    return nextId++;
  };

  try {
    patchTypes(btf, view, types.length, le, spec, elf, placeholderVar, intType);
  } catch (e) {
    if (e instanceof RangeError) throw new ParseError('.BTF', 0, `object BTF is malformed: ${e.message}`);
    throw e;
  }

  const added = new Uint8Array(newTypes.length * 4);
  const av = new DataView(added.buffer);
  newTypes.forEach((w, i) => av.setUint32(i * 4, w >>> 0, le));
  const out = new Uint8Array(24 + types.length + added.length + strings.length + newStrings.length);
  out.set(raw.subarray(0, 24));
  const ov = new DataView(out.buffer);
  ov.setUint32(4, 24, le); // hdr_len: a longer header's extra fields must be zero (btf_parse_hdr), so none are lost
  ov.setUint32(8, 0, le);
  ov.setUint32(12, types.length + added.length, le);
  ov.setUint32(16, types.length + added.length, le);
  ov.setUint32(20, strings.length + newStrings.length, le);
  out.set(types, 24);
  out.set(added, 24 + types.length);
  out.set(strings, 24 + types.length + added.length);
  out.set(newStrings, 24 + types.length + added.length + strings.length);
  return out;
}

function patchTypes(
  btf: BtfSpec, view: DataView, typesLength: number, le: boolean, spec: BtfFixupSpec, elf: ElfFile | undefined,
  placeholderVar: (nameOff: number) => number, intType: () => number,
): void {
  // Byte position of every type record, by id - firstTypeId.
  const positions: number[] = [];
  let pos = 0;
  for (let id = btf.firstTypeId; id < btf.typeCount; id++) {
    if (pos + 12 > typesLength) throw new ParseError('.BTF', 0, `BTF type ${id} runs past the type section`);
    positions.push(pos);
    const info = view.getUint32(pos + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === K.VAR && view.getUint32(pos + 12, le) === VAR_EXTERN) view.setUint32(pos + 12, VAR_GLOBAL_ALLOCATED, le);
    pos += 12 + extraBytes(kind, vlen);
    if (pos > typesLength) throw new ParseError('.BTF', 0, `BTF type ${id} runs past the type section`);
  }
  const at: TypeAt = (id) => positions[id - btf.firstTypeId];
  for (let id = btf.firstTypeId; id < btf.typeCount; id++) {
    const p = at(id)!;
    const info = view.getUint32(p + 4, le);
    if (((info >>> 24) & 0x1f) === K.DATASEC) fixDatasec(btf, id, view, p, info & 0xffff, le, spec, elf, placeholderVar, at, intType);
  }
}

/** Byte position of a type record in the type section (undefined outside the BTF). */
type TypeAt = (id: number) => number | undefined;

function fixDatasec(
  btf: BtfSpec, id: number, view: DataView, pos: number, vlen: number, le: boolean, spec: BtfFixupSpec,
  elf: ElfFile | undefined, placeholderVar: (nameOff: number) => number, at: TypeAt, intType: () => number,
): void {
  const t = btf.typeById(id);
  if (t.kind !== 'datasec') return;
  const section = t.name;
  const entry = (i: number) => pos + 12 + i * 12;
  if (section === '.ksyms') {
    // Functions cannot sit in a DATASEC; each entry becomes a 4-byte int VAR.
    for (let i = 0; i < vlen; i++) {
      const typeId = view.getUint32(entry(i), le);
      const vt = btf.typeById(typeId);
      const tpos = at(typeId);
      if (vt.kind === 'func' && tpos !== undefined) view.setUint32(entry(i), placeholderVar(view.getUint32(tpos, le)), le);
      // A ksym's own type may be larger than its 4-byte slot, or void (a typeless `extern
      // void x __ksym`), which the kernel refuses in a DATASEC (btf_datasec_resolve): libbpf
      // retypes every .ksyms VAR as int. Externs keep their real type (ExternSpec.btfTypeId).
      else if (vt.kind === 'var' && tpos !== undefined) view.setUint32(tpos + 8, intType(), le);
      view.setUint32(entry(i) + 4, i * 4, le);
      view.setUint32(entry(i) + 8, 4, le);
    }
    view.setUint32(pos + 8, vlen * 4, le);
    return;
  }
  const syms = new Map<string, number>();
  // Global symbols with hidden/internal visibility (libbpf.c, btf_fixup_datasec).
  const hidden = new Set<string>();
  let size = t.size;
  if (section === '.kconfig') {
    for (const e of spec.externs) if (e.kind === 'kconfig' && e.offset !== undefined) syms.set(e.name, e.offset);
    size = spec.maps.get('.kconfig')?.valueSize ?? size;
  } else if (elf) {
    const s = elf.sectionByName(section);
    if (s) {
      if (size === 0) size = s.size;
      for (const sym of elf.symbols()) {
        if (sym.sectionIndex !== s.index || !sym.name) continue;
        syms.set(sym.name, sym.value);
        if (sym.visibility === SymbolVisibility.HIDDEN || sym.visibility === SymbolVisibility.INTERNAL) hidden.add(sym.name);
      }
    }
  } else {
    for (const v of spec.variables.values()) if (v.section === section) syms.set(v.name, v.offset);
    for (const m of spec.maps.values()) if (m.section === section && m.source !== 'data') syms.set(m.realName, m.sectionOffset);
    if (size === 0) size = spec.maps.get(section)?.valueSize ?? 0;
  }
  const fixOffsets = t.size === 0 || section === '.kconfig';
  const vars = t.vars.map((v) => {
    const vt = btf.typeById(v.type);
    const vpos = at(v.type);
    if (vt.kind === 'var' && vpos !== undefined && hidden.has(vt.name) && view.getUint32(vpos + 12, le) === VAR_GLOBAL_ALLOCATED) {
      view.setUint32(vpos + 12, VAR_STATIC, le);
    }
    return { type: v.type, offset: fixOffsets ? syms.get(vt.name) ?? v.offset : v.offset, size: v.size };
  }).sort((a, b) => a.offset - b.offset);
  if (size === 0) for (const v of vars) size = Math.max(size, v.offset + v.size);
  view.setUint32(pos + 8, size, le);
  vars.forEach((v, i) => {
    view.setUint32(entry(i), v.type, le);
    view.setUint32(entry(i) + 4, v.offset, le);
    view.setUint32(entry(i) + 8, v.size, le);
  });
}
