/**
 * CO-RE access specs: what a relocation refers to, in the object's BTF
 * ("local") and in a candidate target type.
 *
 * Clang records each `__builtin_preserve_*` access as a root type id plus an
 * access string of indices, `"0:1:2"`: the first index steps over an array of
 * the root type (almost always 0), the others pick a member of a struct/union
 * or an element of an array. Only named members take part in matching; an
 * anonymous embedded struct is looked through, by name, on the target side.
 *
 *   struct s { int a; struct { int b; } ; };      access "0:1:0" on `s`
 *     raw:   [0, 1, 0]     accessors: [s#0 (root), b (member 0 of the anon struct)]
 *     bit offset = 0*sizeof(s)*8 + offset(anon) + offset(b)
 *
 * Semantics follow tools/lib/bpf/relo_core.c (bpf_core_parse_spec,
 * bpf_core_spec_match, bpf_core_match_member).
 */
import { CoreReloKind } from '../btf/ext.js';
import type { BtfSpec } from '../btf/types.js';
import {
  BadBtfError, essentialName, fieldsAreCompatible, isAnyEnum, isComposite, sizeOf, skipModsAndTypedefs, typesAreCompatible,
  typesMatch,
} from './core-compat.js';

// The kind numbers live with the .BTF.ext parser that reads them; re-exported here for the loader's API.
export { CoreReloKind };

// libbpf's short kind names (core_relo_kind_str() in tools/lib/bpf/relo_core.c), which messages use;
// btf/ext.ts's coreReloKindName gives the enum names instead.
const KIND_NAMES = ['byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id',
  'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches'];

/** libbpf's short name of a relocation kind (`'byte_off'`), for messages. */
export function coreReloKindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

export function isFieldBased(kind: number): boolean {
  return kind >= CoreReloKind.FIELD_BYTE_OFFSET && kind <= CoreReloKind.FIELD_RSHIFT_U64;
}
export function isTypeBased(kind: number): boolean {
  return (kind >= CoreReloKind.TYPE_ID_LOCAL && kind <= CoreReloKind.TYPE_SIZE) || kind === CoreReloKind.TYPE_MATCHES;
}
export function isEnumValueBased(kind: number): boolean {
  return kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
}

/** One step of an access: a named member of a composite, an array element, or an enumerator. */
export interface CoreAccessor {
  /** The struct/union holding the member, the array element type, or the enum. */
  readonly typeId: number;
  readonly index: number;
  /** Member or enumerator name; undefined for array accesses. */
  readonly name: string | undefined;
}

export interface CoreSpec {
  readonly btf: BtfSpec;
  readonly rootTypeId: number;
  readonly kind: number;
  /** Named/array accessors used for matching. */
  readonly accessors: CoreAccessor[];
  /** The raw access string, parsed. */
  readonly raw: number[];
  /** Offset of the accessed field from the start of the root, in bits. */
  bitOffset: number;
}

/** Longest access chain libbpf accepts (BPF_CORE_SPEC_MAX_LEN). */
export const CORE_SPEC_MAX_LEN = 64;

/** An access spec that cannot be parsed: the object is malformed. */
export class BadSpecError extends Error {}

function isFlexArray(btf: BtfSpec, prev: CoreAccessor | undefined, nelems: number): boolean {
  // A zero-length array that is the last member of its struct (`char data[];`).
  if (prev === undefined || prev.name === undefined || nelems > 0) return false;
  const t = btf.typeById(prev.typeId);
  return isComposite(t) && prev.index === t.members.length - 1;
}

/** Parse a relocation's access string against the local BTF. Throws `BadSpecError`. */
export function parseCoreSpec(btf: BtfSpec, rootTypeId: number, access: string, kind: number): CoreSpec {
  const spec: CoreSpec = { btf, rootTypeId, kind, accessors: [], raw: [], bitOffset: 0 };
  if (access === '' || access.startsWith(':')) throw new BadSpecError(`empty or malformed access string '${access}'`);
  if (isTypeBased(kind)) {
    if (access !== '0') throw new BadSpecError(`type-based relocation with access string '${access}', expected '0'`);
    return spec;
  }
  for (const part of access.split(':')) {
    if (!/^\d+$/.test(part)) throw new BadSpecError(`access string '${access}' is not a list of indices`);
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new BadSpecError(`access string longer than ${CORE_SPEC_MAX_LEN}`);
    spec.raw.push(Number(part));
  }
  const root = skipModsAndTypedefs(btf, rootTypeId);
  let id = root.id;
  const first = spec.raw[0]!;
  if (isEnumValueBased(kind)) {
    const t = root.type;
    if (!isAnyEnum(t) || spec.raw.length > 1 || first >= t.values.length) {
      throw new BadSpecError(`enum value relocation on [${rootTypeId}] ${t.kind} with access '${access}'`);
    }
    spec.accessors.push({ typeId: id, index: first, name: t.values[first]!.name });
    return spec;
  }
  if (!isFieldBased(kind)) throw new BadSpecError(`unknown relocation kind ${kind}`);
  spec.accessors.push({ typeId: id, index: first, name: undefined });
  const rootSize = sizeOf(btf, id);
  if (rootSize === undefined) throw new BadSpecError(`root type [${rootTypeId}] has no size`);
  spec.bitOffset = first * rootSize * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    const { type: t, id: tid } = skipModsAndTypedefs(btf, id);
    const idx = spec.raw[i]!;
    if (isComposite(t)) {
      const m = t.members[idx];
      if (m === undefined) throw new BadSpecError(`member index ${idx} out of range for [${tid}] ${t.kind} ${t.name}`);
      spec.bitOffset += m.bitOffset;
      if (m.name !== '') spec.accessors.push({ typeId: tid, index: idx, name: m.name });
      id = m.type;
    } else if (t.kind === 'array') {
      const elem = skipModsAndTypedefs(btf, t.elemType);
      const prev = spec.accessors[spec.accessors.length - 1];
      if (!isFlexArray(btf, prev, t.nelems) && idx >= t.nelems) throw new BadSpecError(`array index ${idx} out of range (${t.nelems} elements)`);
      spec.accessors.push({ typeId: elem.id, index: idx, name: undefined });
      const sz = sizeOf(btf, elem.id);
      if (sz === undefined) throw new BadSpecError(`array element [${elem.id}] has no size`);
      spec.bitOffset += idx * sz * 8;
      id = elem.id;
    } else {
      throw new BadSpecError(`access '${access}' step ${i} reaches [${tid}] of kind ${t.kind}, expected a struct, union or array`);
    }
  }
  return spec;
}

/**
 * Find a named member of `local`'s accessor in target composite `targetId`,
 * descending into anonymous members. Pushes the matched accessor on `spec`.
 * Returns the member's type id, or undefined when absent or incompatible.
 */
function matchMember(local: BtfSpec, acc: CoreAccessor, target: BtfSpec, targetId: number, spec: CoreSpec): number | undefined {
  const localType = local.typeById(acc.typeId);
  if (!isComposite(localType)) return undefined;
  const localMember = localType.members[acc.index]!;
  const { type: t, id: tid } = skipModsAndTypedefs(target, targetId);
  if (!isComposite(t)) return undefined;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new BadBtfError('target member nesting deeper than 64');
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const found = matchMember(local, acc, target, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === localMember.name) {
      if (!fieldsAreCompatible(local, localMember.type, target, m.type)) {
        spec.bitOffset -= m.bitOffset;
        spec.raw.pop();
        return undefined;
      }
      spec.accessors.push({ typeId: tid, index: i, name: m.name });
      return m.type;
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return undefined;
}

/**
 * Match a parsed local spec against one target candidate type. Returns the
 * target spec, or undefined when the candidate does not match. Throws
 * `BadBtfError` for malformed target BTF.
 */
export function matchCoreSpec(local: CoreSpec, target: BtfSpec, targetId: number): CoreSpec | undefined {
  const spec: CoreSpec = { btf: target, rootTypeId: targetId, kind: local.kind, accessors: [], raw: [], bitOffset: 0 };
  if (isTypeBased(local.kind)) {
    const ok = local.kind === CoreReloKind.TYPE_MATCHES
      ? typesMatch(local.btf, local.rootTypeId, target, targetId)
      : typesAreCompatible(local.btf, local.rootTypeId, target, targetId);
    return ok ? spec : undefined;
  }
  const first = local.accessors[0]!;
  if (isEnumValueBased(local.kind)) {
    const { type: t, id } = skipModsAndTypedefs(target, targetId);
    if (!isAnyEnum(t)) return undefined;
    const want = essentialName(first.name ?? '');
    const i = t.values.findIndex((v) => essentialName(v.name) === want);
    if (i < 0) return undefined;
    spec.accessors.push({ typeId: id, index: i, name: t.values[i]!.name });
    spec.raw.push(i);
    return spec;
  }
  let id = targetId;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i]!;
    const { type: t, id: tid } = skipModsAndTypedefs(target, id);
    id = tid;
    if (acc.name !== undefined) {
      const next = matchMember(local.btf, acc, target, id, spec);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    // Array access. The first accessor indexes the root itself.
    if (i > 0) {
      if (t.kind !== 'array') return undefined;
      const prev = spec.accessors[spec.accessors.length - 1];
      if (!isFlexArray(target, prev, t.nelems) && acc.index >= t.nelems) return undefined;
      id = skipModsAndTypedefs(target, t.elemType).id;
    }
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new BadBtfError('target access deeper than 64');
    spec.accessors.push({ typeId: id, index: acc.index, name: undefined });
    spec.raw.push(acc.index);
    const sz = sizeOf(target, id);
    if (sz === undefined) throw new BadBtfError(`target type [${id}] has no size`);
    spec.bitOffset += acc.index * sz * 8;
  }
  return spec;
}

/** `s.x[1].y` style rendering of a spec, for error messages. */
export function describeSpec(spec: CoreSpec): string {
  const root = spec.btf.typeById(spec.rootTypeId);
  let s = `[${spec.rootTypeId}] ${root.kind} ${root.name || '(anon)'}`;
  if (isTypeBased(spec.kind)) return s;
  if (isEnumValueBased(spec.kind)) return `${s}::${spec.accessors[0]?.name ?? '?'}`;
  s += ` ${spec.raw.join(':')}`;
  const names = spec.accessors.map((a, i) => (a.name !== undefined ? `.${a.name}` : i === 0 && a.index === 0 ? '' : `[${a.index}]`)).join('');
  return names ? `${s} (${names.replace(/^\./, '')})` : s;
}
