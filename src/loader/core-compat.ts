/**
 * Type compatibility rules of BPF CO-RE: when a type of the object's BTF
 * ("local") may stand for a type of the kernel's BTF ("target").
 *
 * Three relations, as libbpf defines them (tools/lib/bpf/relo_core.c):
 * - `typesAreCompatible`: loose, for TYPE_EXISTS/TYPE_SIZE/TYPE_ID_TARGET.
 *   Same kind after stripping modifiers and typedefs; pointers, arrays and
 *   function prototypes recurse; any two non-bitfield ints are compatible.
 * - `fieldsAreCompatible`: for the type of a matched struct field. Any two
 *   composites are compatible; enums and forward declarations must share an
 *   essential name.
 * - `typesMatch`: strict, for TYPE_MATCHES (`bpf_core_type_matches`, libbpf
 *   1.0+). Every local member/enumerator must exist in the target by name,
 *   ints must agree on size and sign, arrays on length.
 *
 * Names compare by "essential name": the part before a `___flavour` suffix,
 * so `struct task_struct___old` in an object matches `task_struct`.
 */
import type { BtfSpec, BtfType } from '../btf/types.js';

/** Recursion limits, as libbpf: 32 steps of modifier/pointer chains, 2 levels of nested prototypes. */
const MAX_DEPTH = 32;
const MAX_LEVEL = 2;

/** Thrown inside the comparisons for BTF that is malformed or loops; callers turn it into a relocation error. */
export class BadBtfError extends Error {}

/**
 * Length of the essential part of a name: up to the last `x___y` separator
 * (three underscores between two non-underscore characters), else the whole
 * name. libbpf's bpf_core_essential_name_len() scans the same way.
 */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

/** The name without its `___flavour` suffix. */
export function essentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}

/** Both names reduce to the same essential name. */
export function essentialNamesEqual(a: string, b: string): boolean {
  return essentialName(a) === essentialName(b);
}

/** Follow typedefs and qualifiers (const, volatile, restrict, type_tag). Returns the type reached and its id. */
export function skipModsAndTypedefs(btf: BtfSpec, id: number): { type: BtfType; id: number } {
  let type = btf.typeById(id);
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw new BadBtfError(`type chain from [${id}] is longer than ${MAX_DEPTH} (a loop?)`);
    switch (type.kind) {
      case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag':
        id = type.type;
        type = btf.typeById(id);
        continue;
      default:
        return { type, id };
    }
  }
}

/** Byte size of a type, or undefined when it has none (void, func_proto, fwd). */
export function sizeOf(btf: BtfSpec, id: number): number | undefined {
  try {
    return btf.sizeof(id);
  } catch {
    return undefined;
  }
}

export function isComposite(t: BtfType): t is Extract<BtfType, { kind: 'struct' | 'union' }> {
  return t.kind === 'struct' || t.kind === 'union';
}

export function isAnyEnum(t: BtfType): t is Extract<BtfType, { kind: 'enum' | 'enum64' }> {
  return t.kind === 'enum' || t.kind === 'enum64';
}

/** Same BTF kind, treating enum and enum64 as one (libbpf btf_kind_core_compat). */
export function kindsCoreCompatible(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

/** The wire kind_flag of a fwd (1 = union). */
function fwdIsUnion(t: BtfType): boolean {
  return t.kind === 'fwd' && t.fwdKind === 'union';
}

/**
 * Loose compatibility used by type-based relocations. Returns false for a
 * mismatch; throws `BadBtfError` when the chains are too deep.
 */
export function typesAreCompatible(local: BtfSpec, localId: number, target: BtfSpec, targetId: number, level = MAX_LEVEL): boolean {
  if (!kindsCoreCompatible(local.typeById(localId), target.typeById(targetId))) return false;
  for (let depth = 0; ; depth++) {
    if (depth >= MAX_DEPTH) throw new BadBtfError('type compatibility check recursed too deep');
    const l = skipModsAndTypedefs(local, localId);
    const t = skipModsAndTypedefs(target, targetId);
    if (!kindsCoreCompatible(l.type, t.type)) return false;
    const lt = l.type;
    const tt = t.type;
    switch (lt.kind) {
      case 'void': case 'struct': case 'union': case 'enum': case 'enum64': case 'fwd':
        return true;
      case 'int':
        // Deprecated bitfield-like ints (non-zero BTF_INT_OFFSET) are rejected.
        return lt.bitOffset === 0 && (tt as typeof lt).bitOffset === 0;
      case 'ptr':
        localId = lt.type;
        targetId = (tt as typeof lt).type;
        continue;
      case 'array':
        localId = lt.elemType;
        targetId = (tt as typeof lt).elemType;
        continue;
      case 'func_proto': {
        const tp = tt as typeof lt;
        if (lt.params.length !== tp.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw new BadBtfError('function prototypes nested too deep');
          const lp = skipModsAndTypedefs(local, lt.params[i]!.type).id;
          const tpId = skipModsAndTypedefs(target, tp.params[i]!.type).id;
          if (!typesAreCompatible(local, lp, target, tpId, level - 1)) return false;
        }
        localId = lt.returnType;
        targetId = tp.returnType;
        continue;
      }
      default:
        return false;
    }
  }
}

/** Compatibility of a matched field's type (libbpf bpf_core_fields_are_compat). */
export function fieldsAreCompatible(local: BtfSpec, localId: number, target: BtfSpec, targetId: number): boolean {
  for (let depth = 0; ; depth++) {
    if (depth >= MAX_DEPTH) throw new BadBtfError('field compatibility check recursed too deep');
    const lt = skipModsAndTypedefs(local, localId).type;
    const tt = skipModsAndTypedefs(target, targetId).type;
    if (isComposite(lt) && isComposite(tt)) return true;
    if (!kindsCoreCompatible(lt, tt)) return false;
    switch (lt.kind) {
      case 'ptr': case 'float':
        return true;
      case 'fwd': case 'enum': case 'enum64': {
        // An anonymous side matches anything; otherwise essential names must agree.
        const ln = essentialName(lt.name);
        const tn = essentialName(tt.name);
        return ln === '' || tn === '' || ln === tn;
      }
      case 'int':
        return lt.bitOffset === 0 && (tt as typeof lt).bitOffset === 0;
      case 'array':
        localId = lt.elemType;
        targetId = (tt as typeof lt).elemType;
        continue;
      default:
        return false;
    }
  }
}

/** Name equality of TYPE_MATCHES: an anonymous target matches only an anonymous local. */
function namesMatch(local: string, target: string): boolean {
  if (target === '') return local === '';
  return essentialName(local) === essentialName(target);
}

function enumsMatch(lt: Extract<BtfType, { kind: 'enum' | 'enum64' }>, tt: Extract<BtfType, { kind: 'enum' | 'enum64' }>): boolean {
  if (lt.size !== tt.size) return false;
  if (lt.values.length > tt.values.length) return false;
  return lt.values.every((lv) => tt.values.some((tv) => namesMatch(lv.name, tv.name)));
}

/**
 * Strict matching for TYPE_MATCHES relocations (libbpf __bpf_core_types_match,
 * Linux 6.2 kernel-side CO-RE / libbpf 1.0). Throws `BadBtfError` on loops.
 */
export function typesMatch(local: BtfSpec, localId: number, target: BtfSpec, targetId: number, behindPtr = false, level = MAX_LEVEL): boolean {
  if (level <= 0) throw new BadBtfError('type match nested too deep');
  for (let depth = 0; ; depth++) {
    if (depth >= MAX_DEPTH) throw new BadBtfError('type match recursed too deep');
    const lt = skipModsAndTypedefs(local, localId).type;
    const tt = skipModsAndTypedefs(target, targetId).type;
    if (!namesMatch(lt.name, tt.name)) return false;
    switch (lt.kind) {
      case 'void':
        return tt.kind === 'void';
      case 'fwd': {
        if (behindPtr) {
          if (tt.kind === 'fwd') return fwdIsUnion(lt) === fwdIsUnion(tt);
          return (tt.kind === 'struct' && !fwdIsUnion(lt)) || (tt.kind === 'union' && fwdIsUnion(lt));
        }
        return tt.kind === 'fwd' && fwdIsUnion(lt) === fwdIsUnion(tt);
      }
      case 'enum': case 'enum64':
        return isAnyEnum(tt) && enumsMatch(lt, tt);
      case 'struct': case 'union': {
        if (behindPtr) {
          if (lt.kind === tt.kind) return true;
          if (tt.kind !== 'fwd') return false;
          return (lt.kind === 'union') === fwdIsUnion(tt);
        }
        if (lt.kind !== tt.kind) return false;
        const tc = tt as typeof lt;
        if (lt.members.length > tc.members.length) return false;
        for (const lm of lt.members) {
          const ok = tc.members.some((tm) => namesMatch(lm.name, tm.name)
            && typesMatch(local, lm.type, target, tm.type, behindPtr, level - 1));
          if (!ok) return false;
        }
        return true;
      }
      case 'int': {
        if (tt.kind !== 'int') return false;
        return lt.bits === tt.bits && (lt.encoding & 1) === (tt.encoding & 1);
      }
      case 'ptr':
        if (tt.kind !== 'ptr') return false;
        behindPtr = true;
        localId = lt.type;
        targetId = tt.type;
        continue;
      case 'array':
        if (tt.kind !== 'array' || lt.nelems !== tt.nelems) return false;
        localId = lt.elemType;
        targetId = tt.elemType;
        continue;
      case 'func_proto': {
        if (tt.kind !== 'func_proto' || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatch(local, lt.params[i]!.type, target, tt.params[i]!.type, behindPtr, level - 1)) return false;
        }
        localId = lt.returnType;
        targetId = tt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
}
