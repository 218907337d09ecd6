/**
 * BTF → C header (`vmlinux.h`), the shape `bpftool btf dump ... format c`
 * produces, so BPF programs can `#include "vmlinux.h"`.
 *
 * Two passes, as in libbpf's btf_dump.c (read for its rules, not copied):
 *  1. ordering: a depth-first walk finds, for each named struct/union/enum/
 *     typedef/fwd, the definitions it needs first. Embedding a type is a
 *     strong link (the definition must come first); reaching it through a
 *     pointer is weak (a forward declaration suffices), which is how cycles
 *     such as `struct list_head { struct list_head *next; }` resolve.
 *  2. emission: definitions in that order; anonymous types inline in their
 *     user; `struct x;` forward declarations where a pointer needs a type not
 *     yet defined; explicit `type: N;` padding members and
 *     `__attribute__((packed))` so clang reproduces every BTF offset.
 *
 * Names that collide (two different `struct foo` in one BTF, or enumerators
 * that repeat across enums) get `___N` suffixes in order of first use, as
 * bpftool does, so the header compiles.
 */
import { ParseError } from '../sys/errors.js';
import type { Btf } from './btf.js';
import { BtfKind, type BtfComposite, type BtfEnum, type BtfType } from './types.js';

export interface FormatCOptions {
  /** Include guard macro; `__VMLINUX_H__` by default (as bpftool). */
  readonly guard?: string;
  /** Wrap in `#pragma clang attribute push(__attribute__((preserve_access_index)))` for CO-RE (default true). */
  readonly preserveAccessIndex?: boolean;
  /** Dump only these types and what they need (bpftool's `root_id`); all types by default. */
  readonly rootIds?: readonly number[];
}

const ORDERING = 1;
const ORDERED = 2;
const EMITTING = 1;
const EMITTED = 2;
/** Deeper nesting than this is corrupt input (a modifier loop), not C. */
const MAX_DEPTH = 2048;
const POINTER_SIZE = 8;
/** Gaps wider than this (64 KiB) are filled by a byte array rather than bitfield padding, keeping output proportional to input. */
const LARGE_GAP_BITS = 64 * 1024 * 8;

const PADS: readonly (readonly [string, number])[] = [['long', POINTER_SIZE * 8], ['int', 32], ['short', 16], ['char', 8]];

const TABS: string[] = [''];
function tabs(n: number): string {
  while (TABS.length <= n) TABS.push(TABS[TABS.length - 1] + '\t');
  return TABS[n]!;
}

/**
 * Dump every type of `btf` (including the base of split BTF), or only
 * `options.rootIds` and their dependencies, as a C header.
 * Throws `ParseError` for corrupt BTF (reference loops that C cannot
 * express, ids out of range), `RangeError` for root ids out of range.
 */
export function formatC(btf: Btf, options: FormatCOptions = {}): string {
  return new CDumper(btf).dump(options);
}

class CDumper {
  private readonly n: number;
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly referenced: Uint8Array;
  private readonly aligns: Int32Array;
  private readonly names: (string | undefined)[];
  private readonly typeNames = new Map<string, number>();
  private readonly identNames = new Map<string, number>();
  private readonly queue: number[] = [];
  private out: string[] = [];

  constructor(private readonly btf: Btf) {
    this.n = btf.typeCount;
    this.order = new Uint8Array(this.n);
    this.emit = new Uint8Array(this.n);
    this.fwdEmitted = new Uint8Array(this.n);
    this.referenced = new Uint8Array(this.n);
    this.aligns = new Int32Array(this.n);
    this.names = new Array(this.n);
    // void is always defined.
    this.order[0] = ORDERED;
    this.emit[0] = EMITTED;
  }

  dump(options: FormatCOptions): string {
    const guard = options.guard ?? '__VMLINUX_H__';
    const pai = options.preserveAccessIndex ?? true;
    const out = this.out;
    out.push(`#ifndef ${guard}\n#define ${guard}\n\n`);
    if (pai) out.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n');
    this.markReferenced();
    const roots = options.rootIds;
    for (let i = roots ? 0 : 1, end = roots ? roots.length : this.n; i < end; i++) {
      const id = roots ? roots[i]! : i;
      if (!Number.isInteger(id) || id < 0 || id >= this.n) throw new RangeError(`root type id ${id} out of range: expected 0..${this.n - 1}`);
      // Functions, variables, sections and tags are not part of a header: skip them undecoded.
      const kind = this.btf.kindOf(id);
      if (kind === BtfKind.FUNC || kind === BtfKind.VAR || kind === BtfKind.DATASEC || kind === BtfKind.DECL_TAG) continue;
      this.orderType(id, false, 0);
      for (const q of this.queue) this.emitType(q, 0, 0);
      this.queue.length = 0;
    }
    if (pai) out.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n');
    out.push(`#endif /* ${guard} */\n`);
    const text = out.join('');
    this.out = [];
    return text;
  }

  private type(id: number, from: number): BtfType {
    if (id >= this.n) throw new ParseError('btf', 0, `type ${from} refers to type ${id}, beyond the last id ${this.n - 1}`);
    return this.btf.typeById(id);
  }

  private deep(depth: number, id: number): void {
    if (depth > MAX_DEPTH) throw new ParseError('btf', 0, `type ${id}: references nest deeper than ${MAX_DEPTH} (a loop?)`);
  }

  /** Anonymous enums nobody refers to are emitted at top level; referenced ones inline. */
  private markReferenced(): void {
    const ref = this.referenced;
    const n = this.n;
    // From the raw records: decoding every FUNC and FUNC_PROTO of vmlinux just to read ids would double the work.
    for (let id = 1; id < n; id++) {
      for (const r of this.btf.references(id)) if (r < n) ref[r] = 1;
    }
  }

  /**
   * Queue the definitions `id` needs, then `id` itself when it is a named
   * definition. Returns 1 when `id` is now fully ordered (a strong link may
   * use it), 0 when only a forward declaration is possible.
   */
  private orderType(id: number, throughPtr: boolean, depth: number): number {
    if (this.order[id] === ORDERED) return 1;
    this.deep(depth, id);
    const t = this.type(id, id);
    if (this.order[id] === ORDERING) {
      if ((t.kind === 'struct' || t.kind === 'union') && throughPtr && t.name !== '') return 0;
      throw new ParseError('btf', 0, `type ${id} (${t.kind} '${t.name}') is part of a cycle C cannot express`);
    }
    switch (t.kind) {
      case 'int': case 'float':
        this.order[id] = ORDERED;
        return 0;
      case 'ptr': {
        const r = this.orderType(t.type, true, depth + 1);
        this.order[id] = ORDERED;
        return r;
      }
      case 'array':
        return this.orderType(t.elemType, false, depth + 1);
      case 'struct': case 'union': {
        // Through a pointer, a named struct needs only `struct x;`.
        if (throughPtr && t.name !== '') return 0;
        this.order[id] = ORDERING;
        for (const m of t.members) this.orderType(m.type, false, depth + 1);
        if (t.name !== '') this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case 'enum': case 'enum64': case 'fwd':
        if (t.name !== '' || !this.referenced[id]) this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      case 'typedef': {
        const strong = this.orderType(t.type, throughPtr, depth + 1);
        if (throughPtr && !strong) return 0;
        this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case 'volatile': case 'const': case 'restrict': case 'type_tag':
        return this.orderType(t.type, throughPtr, depth + 1);
      case 'func_proto': {
        let strong = this.orderType(t.returnType, throughPtr, depth + 1);
        for (const p of t.params) if (this.orderType(p.type, throughPtr, depth + 1) > 0) strong = 1;
        return strong;
      }
      default: // func, var, datasec, decl_tag: not part of a header
        this.order[id] = ORDERED;
        return 0;
    }
  }

  /** Emit `id`'s definition (top level when `contId` is 0) or what a use inside `contId` needs first. */
  private emitType(id: number, contId: number, depth: number): void {
    if (this.emit[id] === EMITTED) return;
    this.deep(depth, id);
    const t = this.type(id, id);
    const topLevel = contId === 0;
    if (this.emit[id] === EMITTING) {
      if (this.fwdEmitted[id]) return;
      if (t.kind === 'struct' || t.kind === 'union') {
        // Fields of the container are being emitted in place: no forward declaration for itself.
        if (id === contId || t.name === '') return;
        this.out.push(`${t.kind} ${this.typeName(id)};\n\n`);
        this.fwdEmitted[id] = 1;
      } else if (t.kind === 'typedef') {
        // A typedef used through a pointer while its target is still being defined.
        if (!this.skippedTypedef(t.name)) this.out.push(`${this.typedefDef(id, t.type, 0)};\n\n`);
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    switch (t.kind) {
      case 'int': case 'float':
        this.emit[id] = EMITTED;
        return;
      case 'enum': case 'enum64':
        if (topLevel) this.out.push(`${this.enumDef(t, 0)};\n\n`);
        this.emit[id] = EMITTED;
        return;
      case 'ptr': case 'volatile': case 'const': case 'restrict': case 'type_tag':
        this.emitType(t.type, contId, depth + 1);
        return;
      case 'array':
        this.emitType(t.elemType, contId, depth + 1);
        return;
      case 'fwd':
        this.out.push(`${t.fwdKind} ${this.typeName(id)};\n\n`);
        this.emit[id] = EMITTED;
        return;
      case 'typedef':
        this.emit[id] = EMITTING;
        this.emitType(t.type, id, depth + 1);
        if (!this.fwdEmitted[id] && !this.skippedTypedef(t.name)) this.out.push(`${this.typedefDef(id, t.type, 0)};\n\n`);
        this.emit[id] = EMITTED;
        return;
      case 'struct': case 'union':
        this.emit[id] = EMITTING;
        if (topLevel || t.name === '') {
          const inner = t.name === '' ? contId : id;
          for (const m of t.members) this.emitType(m.type, inner, depth + 1);
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.out.push(`${t.kind} ${this.typeName(id)};\n\n`);
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.out.push(`${this.structDef(t, 0)};\n\n`);
          this.emit[id] = EMITTED;
        } else {
          this.emit[id] = 0;
        }
        return;
      case 'func_proto':
        this.emitType(t.returnType, contId, depth + 1);
        for (const p of t.params) this.emitType(p.type, contId, depth + 1);
        return;
      default:
        this.emit[id] = EMITTED;
    }
  }

  /** GCC's `typedef __builtin_va_list` cannot be redeclared; clang predefines it. */
  private skippedTypedef(name: string): boolean {
    return name === '__builtin_va_list';
  }

  private resolveName(id: number, name: string, map: Map<string, number>): string {
    const cached = this.names[id];
    if (cached !== undefined) return cached;
    let r = name;
    if (name !== '') {
      const count = (map.get(name) ?? 0) + 1;
      map.set(name, count);
      if (count > 1) r = `${name}___${count}`;
    }
    this.names[id] = r;
    return r;
  }

  /** struct/union/enum/fwd tags share one namespace in C. */
  private typeName(id: number): string {
    return this.names[id] ?? this.resolveName(id, this.btf.typeById(id).name, this.typeNames);
  }

  /** Typedef names and enumerators share the ordinary identifier namespace. */
  private identName(id: number): string {
    return this.names[id] ?? this.resolveName(id, this.btf.typeById(id).name, this.identNames);
  }

  private typedefDef(id: number, target: number, lvl: number): string {
    const name = this.identName(id);
    // Old GCC emitted __gnuc_va_list as a typedef of void.
    if (target === 0 && this.btf.typeById(id).name === '__gnuc_va_list') return `typedef __builtin_va_list ${name}`;
    return `typedef ${this.decl(target, name, lvl, 0)}`;
  }

  private enumDef(t: BtfEnum, lvl: number): string {
    this.deep(lvl, t.id);
    const head = t.name ? `enum ${this.typeName(t.id)}` : 'enum';
    if (t.values.length === 0) return head;
    const parts = [head, ' {'];
    const is64 = t.kind === 'enum64';
    for (const v of t.values) {
      const count = (this.identNames.get(v.name) ?? 0) + 1;
      this.identNames.set(v.name, count);
      const name = count > 1 ? `${v.name}___${count}` : v.name;
      const suffix = is64 ? (t.signed ? 'LL' : 'ULL') : '';
      parts.push(`\n${tabs(lvl + 1)}${name} = ${v.value}${suffix},`);
    }
    parts.push(`\n${tabs(lvl)}}`);
    // C sizes an enum by its values; pin BTF's size when they would not give it (e.g. a 64-bit enum of small values).
    const natural = this.naturalEnumSize(t);
    if (natural !== t.size) {
      const mode = t.size === 1 ? 'QI' : t.size === 2 ? 'HI' : t.size === 4 ? 'SI' : t.size === 8 ? 'DI' : undefined;
      if (mode) parts.push(` __attribute__((mode(${mode})))`);
    }
    return parts.join('');
  }

  private naturalEnumSize(t: BtfEnum): number {
    for (const v of t.values) if (v.value > 0xffffffffn || v.value < -0x80000000n) return 8;
    return 4;
  }

  private structDef(t: BtfComposite, lvl: number): string {
    this.deep(lvl, t.id); // an anonymous struct nested in itself would recurse forever
    const parts: string[] = [t.kind];
    if (t.name) parts.push(' ', this.typeName(t.id));
    parts.push(' {');
    const packed = this.isPacked(t);
    const isStruct = t.kind === 'struct';
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      const align = packed ? 1 : this.alignOf(m.type, 0);
      if (isStruct) this.padding(parts, off, m.bitOffset, align, prevBitfield && m.bitfieldSize !== 0, lvl + 1, packed);
      parts.push('\n', tabs(lvl + 1), this.decl(m.type, m.name, lvl + 1, 0));
      if (m.bitfieldSize) {
        parts.push(`: ${m.bitfieldSize}`);
        off = m.bitOffset + m.bitfieldSize;
        prevBitfield = true;
      } else {
        off = m.bitOffset + this.sizeOrZero(m.type) * 8;
        prevBitfield = false;
      }
      parts.push(';');
    }
    if (isStruct) this.padding(parts, off, t.size * 8, packed ? 1 : this.alignOf(t.id, 0), false, lvl + 1, packed);
    if (t.members.length || t.size) parts.push('\n', tabs(lvl));
    parts.push('}');
    if (packed) parts.push(' __attribute__((packed))');
    return parts.join('');
  }

  /**
   * Unnamed bitfield members that move the next field from `cur` to `next`
   * bits. First align to the widest of long/int/short/char that does not
   * overshoot (`T: 0` forces the alignment when the compiler would not
   * otherwise reach it), then fill whole units, then the remainder with the
   * smallest type that holds it.
   */
  private padding(parts: string[], cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number, packed = false): void {
    if (cur >= next) return;
    if (packed && next - cur <= LARGE_GAP_BITS) {
      // In a packed struct nothing aligns by itself, so the gap is filled bit for bit
      // (bpftool 7.1 relies on natural alignment here and gets such structs a few bytes short).
      while (cur < next) {
        const bits = Math.min(next - cur, POINTER_SIZE * 8);
        const name = bits <= 8 ? 'char' : bits <= 16 ? 'short' : bits <= 32 ? 'int' : 'long';
        parts.push(`\n${tabs(lvl)}${name}: ${bits};`);
        cur += bits;
      }
      return;
    }
    // Output must stay proportional to the input: a gap of megabytes (corrupt or absurd BTF)
    // becomes one byte array instead of millions of `long: 64;` lines.
    if (next - cur > LARGE_GAP_BITS) {
      const from = Math.ceil(cur / 8) * 8;
      const to = Math.floor(next / 8) * 8;
      this.padding(parts, cur, from, 1, true, lvl);
      parts.push(`\n${tabs(lvl)}char __pad_${from / 8}[${(to - from) / 8}];`);
      this.padding(parts, to, next, nextAlign, true, lvl);
      return;
    }
    const pads = PADS;
    let padName = 'char';
    let padBits = 8;
    let aligned = cur;
    for (const [name, bits] of pads) {
      padName = name;
      padBits = bits;
      aligned = Math.ceil(cur / bits) * bits;
      if (aligned <= next) break;
    }
    if (aligned > cur && aligned <= next) {
      const naturalReach = Math.ceil(cur / (nextAlign * 8)) * nextAlign * 8;
      if (inBitfield || (aligned === next && naturalReach !== aligned) || (aligned !== next && next - aligned <= aligned - cur)) {
        parts.push(`\n${tabs(lvl)}${padName}: ${inBitfield ? aligned - cur : 0};`);
      }
      cur = aligned;
    }
    while (cur < next) {
      const bits = Math.min(next - cur, padBits);
      if (bits === padBits) {
        parts.push(`\n${tabs(lvl)}${padName}: ${padBits};`);
      } else {
        const name = bits <= 8 ? 'char' : bits <= 16 ? 'short' : bits <= 32 ? 'int' : 'long';
        parts.push(`\n${tabs(lvl)}${name}: ${bits};`);
      }
      cur += bits;
    }
  }

  private sizeOrZero(id: number): number {
    try {
      return this.btf.sizeof(id);
    } catch (e) {
      if (e instanceof ParseError) throw e;
      return 0;
    }
  }

  /** Natural alignment as the compiler sees it; 1 for structs that must be packed. */
  private alignOf(id: number, depth: number): number {
    const cached = this.aligns[id];
    if (cached) return cached;
    this.deep(depth, id);
    const t = this.type(id, id);
    let a: number;
    switch (t.kind) {
      case 'int': case 'enum': case 'enum64': case 'float':
        a = Math.max(1, Math.min(POINTER_SIZE, t.size));
        break;
      case 'ptr':
        a = POINTER_SIZE;
        break;
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
        a = this.alignOf(t.type, depth + 1);
        break;
      case 'array':
        a = this.alignOf(t.elemType, depth + 1);
        break;
      case 'struct': case 'union': {
        a = 1;
        let misaligned = false;
        for (const m of t.members) {
          const ma = this.alignOf(m.type, depth + 1);
          a = Math.max(a, ma);
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * ma) !== 0) misaligned = true;
        }
        if (misaligned || t.size % a !== 0) a = 1;
        break;
      }
      default:
        a = 1;
    }
    this.aligns[id] = a;
    return a;
  }

  /** BTF cannot say "packed": infer it when natural alignment would not give BTF's offsets or size. */
  private isPacked(t: BtfComposite): boolean {
    let max = 1;
    for (const m of t.members) {
      const a = this.alignOf(m.type, 0);
      if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return true;
      max = Math.max(max, a);
    }
    return t.size % max !== 0;
  }

  /**
   * A C declaration of `inner` (a name, or a partial declarator) with type
   * `id`: built outside-in, pointers prefix `*`, arrays and functions suffix,
   * parentheses when a pointer declarator meets an array or function.
   */
  private decl(id: number, inner: string, lvl: number, depth: number): string {
    this.deep(depth, id);
    const t = this.type(id, id);
    switch (t.kind) {
      case 'void': return withInner('void', inner);
      case 'int': case 'float': return withInner(t.name, inner);
      case 'struct': case 'union':
        return withInner(t.name ? `${t.kind} ${this.typeName(id)}` : this.structDef(t, lvl), inner);
      case 'enum': case 'enum64':
        return withInner(t.name ? `enum ${this.typeName(id)}` : this.enumDef(t, lvl), inner);
      case 'fwd': return withInner(`${t.fwdKind} ${this.typeName(id)}`, inner);
      case 'typedef': return withInner(this.identName(id), inner);
      case 'ptr':
        // `* const p`, `* (*f)(void)`: bpftool's spacing, kept so the two headers diff cleanly.
        return this.decl(t.type, inner && (inner[0] === '(' || /^(const|volatile|restrict)\b/.test(inner)) ? `* ${inner}` : `*${inner}`, lvl, depth + 1);
      case 'const': case 'volatile': case 'restrict': {
        const target = this.type(t.type, id);
        // Before a plain base type, qualifiers read naturally in front: `const char *`.
        // C cannot qualify an array itself: the qualifier goes to the element, as the compiler would.
        if (target.kind !== 'ptr' && target.kind !== 'func_proto' && target.kind !== 'type_tag') {
          const rest = this.decl(t.type, inner, lvl, depth + 1);
          // Qualifiers nearer the base type print first (`volatile const int`, as bpftool);
          // `const` over an array of `const` (pahole emits both) prints once.
          const lead = /^(?:(?:const|volatile|restrict) )*/.exec(rest)![0];
          if (lead.split(' ').includes(t.kind)) return rest;
          return `${lead}${t.kind} ${rest.slice(lead.length)}`;
        }
        return this.decl(t.type, inner ? `${t.kind} ${inner}` : t.kind, lvl, depth + 1);
      }
      case 'type_tag': {
        const attr = t.kindFlag ? `__attribute__((${t.name}))` : `__attribute__((btf_type_tag("${t.name}")))`;
        return this.decl(t.type, inner ? `${attr} ${inner}` : attr, lvl, depth + 1);
      }
      case 'array': {
        const d = needsParens(inner) ? `(${inner})` : inner;
        return this.decl(t.elemType, `${d}[${t.nelems}]`, lvl, depth + 1);
      }
      case 'func_proto': {
        const d = needsParens(inner) ? `(${inner})` : inner;
        let params = '';
        const ps = t.params;
        for (let i = 0; i < ps.length; i++) {
          if (i > 0) params += ', ';
          params += ps[i]!.type === 0 && i === ps.length - 1 && i > 0 ? '...' : this.decl(ps[i]!.type, '', lvl, depth + 1);
        }
        return this.decl(t.returnType, `${d}(${params || 'void'})`, lvl, depth + 1);
      }
      default:
        throw new ParseError('btf', 0, `type ${id} (${t.kind}) cannot appear in a C declaration`);
    }
  }
}

function withInner(base: string, inner: string): string {
  return inner ? `${base} ${inner}` : base;
}

/** A pointer or qualified declarator must be parenthesised before `[]` or `()` binds to it. */
function needsParens(inner: string): boolean {
  return inner.startsWith('*') || inner.startsWith('const ') || inner.startsWith('volatile ') || inner.startsWith('restrict ') || inner.startsWith('__attribute__') || inner === 'const' || inner === 'volatile' || inner === 'restrict';
}
