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
import { KIND_NAMES, MAX_KNOWN_KIND } from './kinds.js';
import { TextBuffer } from './text-buffer.js';
import { BtfKind } from './types.js';

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
/** As `Btf.sizeof` (and libbpf's MAX_RESOLVE_DEPTH). */
const MAX_RESOLVE_DEPTH = 32;
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

/** `struct btf_member` and `struct btf_var_secinfo` are 12 bytes, `btf_enum` and `btf_param` 8. */
const MEMBER_SIZE = 12;
const PARAM_SIZE = 8;

/**
 * Works from the raw records through typed arrays filled in one pass (kind,
 * name offset, size/type, vlen, kind_flag and record offset per id) rather
 * than `BtfType` objects: vmlinux has ~150k types, and decoding the ~60k a
 * header needs, with their members, cost more than the whole dump otherwise
 * (allocation while the JIT warms up, then GC promoting the cache). Names are
 * decoded only when printed.
 */
class CDumper {
  private readonly n: number;
  private readonly kinds: Uint8Array;
  private readonly flags: Uint8Array;
  private readonly vlens: Uint16Array;
  private readonly nameOffs: Uint32Array;
  private readonly sizeOrType: Uint32Array;
  /** Byte offset of the record after `struct btf_type` (members, array info...) in its blob's view. */
  private readonly recs: Uint32Array;
  /** Index into `views` of the blob holding each id (split BTF: base blobs first). */
  private readonly blobs: Uint8Array;
  private readonly views: DataView[] = [];
  private readonly le: boolean;
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly referenced: Uint8Array;
  private readonly aligns: Int32Array;
  private readonly names: (string | undefined)[];
  /** Raw names by id, decoded on first use. */
  private readonly rawNames: (string | undefined)[];
  private readonly typeNames = new Map<string, number>();
  private readonly identNames = new Map<string, number>();
  private readonly queue: number[] = [];
  /** Top-level definitions go out as soon as they are complete, so their strings die young instead of being promoted by the GC. */
  private readonly out: TextBuffer;

  constructor(private readonly btf: Btf) {
    const n = btf.typeCount;
    this.n = n;
    this.le = btf.littleEndian;
    this.kinds = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.vlens = new Uint16Array(n);
    this.nameOffs = new Uint32Array(n);
    this.sizeOrType = new Uint32Array(n);
    this.recs = new Uint32Array(n);
    this.blobs = new Uint8Array(n);
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.aligns = new Int32Array(n);
    this.names = new Array(n);
    this.rawNames = new Array(n);
    // A header is about half the size of the BTF it comes from (vmlinux: 5.5 MB -> 2.8 MB): rarely grows.
    this.out = new TextBuffer(Math.max(1 << 16, btf.raw.length));
    this.index();
    // void is always defined.
    this.order[0] = ORDERED;
    this.emit[0] = EMITTED;
    this.rawNames[0] = '';
  }

  /** One pass over every blob (base first) filling the per-id arrays. */
  private index(): void {
    const chain: Btf[] = [];
    for (let b: Btf | undefined = this.btf; b; b = b.base) chain.unshift(b);
    const le = this.le;
    for (let bi = 0; bi < chain.length; bi++) {
      const b = chain[bi]!;
      const raw = b.raw;
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      this.views.push(v);
      for (let id = b.firstTypeId; id < b.typeCount; id++) {
        const p = b.typeOffset(id);
        const info = v.getUint32(p + 4, le);
        this.nameOffs[id] = v.getUint32(p, le);
        this.kinds[id] = (info >>> 24) & 0x1f;
        this.flags[id] = info >>> 31;
        this.vlens[id] = info & 0xffff;
        this.sizeOrType[id] = v.getUint32(p + 8, le);
        this.recs[id] = p + 12;
        this.blobs[id] = bi;
      }
    }
  }

  dump(options: FormatCOptions): string {
    const guard = options.guard ?? '__VMLINUX_H__';
    const pai = options.preserveAccessIndex ?? true;
    const out = this.out;
    out.utf8(`#ifndef ${guard}\n#define ${guard}\n\n`);
    if (pai) out.ascii('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n');
    this.markReferenced();
    const roots = options.rootIds;
    const kinds = this.kinds;
    const queue = this.queue;
    for (let i = roots ? 0 : 1, end = roots ? roots.length : this.n; i < end; i++) {
      const id = roots ? roots[i]! : i;
      if (!Number.isInteger(id) || id < 0 || id >= this.n) throw new RangeError(`root type id ${id} out of range: expected 0..${this.n - 1}`);
      // Functions, variables, sections and tags are not part of a header: skip them.
      const kind = kinds[id]!;
      if (kind === BtfKind.FUNC || kind === BtfKind.VAR || kind === BtfKind.DATASEC || kind === BtfKind.DECL_TAG) continue;
      this.orderType(id, false, 0);
      for (let j = 0; j < queue.length; j++) this.emitType(queue[j]!, 0, 0);
      queue.length = 0;
    }
    if (pai) out.ascii('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n');
    out.utf8(`#endif /* ${guard} */\n`);
    return out.toString();
  }

  /**
   * The kind of `id`, referenced from `from`: ids out of range and kinds this
   * library cannot decode are corrupt input (`ParseError`).
   */
  private kind(id: number, from: number): number {
    if (id >= this.n) throw new ParseError('btf', 0, `type ${from} refers to type ${id}, beyond the last id ${this.n - 1}`);
    const k = this.kinds[id]!;
    if (k > MAX_KNOWN_KIND || (k === 0 && id !== 0)) {
      // Let the decoder name the record and its offset.
      this.btf.typeById(id);
      throw new ParseError('btf', 0, `type ${id} has kind ${k}, which this library cannot decode`);
    }
    return k;
  }

  /** The raw name of `id`. Throws `ParseError` for a bad string offset. */
  private name(id: number): string {
    let s = this.rawNames[id];
    if (s === undefined) {
      s = this.btf.stringAt(this.nameOffs[id]!);
      this.rawNames[id] = s;
    }
    return s;
  }

  private u32(id: number, at: number): number {
    return this.views[this.blobs[id]!]!.getUint32(this.recs[id]! + at, this.le);
  }

  private i32(id: number, at: number): number {
    return this.views[this.blobs[id]!]!.getInt32(this.recs[id]! + at, this.le);
  }

  /** Member `j` of a struct/union: its type id. */
  private memberType(id: number, j: number): number {
    return this.u32(id, j * MEMBER_SIZE + 4);
  }

  private memberBitOffset(id: number, j: number): number {
    const off = this.u32(id, j * MEMBER_SIZE + 8);
    return this.flags[id] ? off & 0xffffff : off;
  }

  private memberBitfieldSize(id: number, j: number): number {
    return this.flags[id] ? this.u32(id, j * MEMBER_SIZE + 8) >>> 24 : 0;
  }

  private memberName(id: number, j: number): string {
    return this.btf.stringAt(this.u32(id, j * MEMBER_SIZE));
  }

  private paramType(id: number, j: number): number {
    return this.u32(id, j * PARAM_SIZE + 4);
  }

  private deep(depth: number, id: number): void {
    if (depth > MAX_DEPTH) throw new ParseError('btf', 0, `type ${id}: references nest deeper than ${MAX_DEPTH} (a loop?)`);
  }

  /** Anonymous enums nobody refers to are emitted at top level; referenced ones inline. */
  private markReferenced(): void {
    const ref = this.referenced;
    const n = this.n;
    const kinds = this.kinds;
    const st = this.sizeOrType;
    for (let id = 1; id < n; id++) {
      const vlen = this.vlens[id]!;
      switch (kinds[id]) {
        case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
        case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.DECL_TAG: case BtfKind.TYPE_TAG: {
          const r = st[id]!;
          if (r < n) ref[r] = 1;
          break;
        }
        case BtfKind.ARRAY: {
          const e = this.u32(id, 0);
          const x = this.u32(id, 4);
          if (e < n) ref[e] = 1;
          if (x < n) ref[x] = 1;
          break;
        }
        case BtfKind.STRUCT: case BtfKind.UNION:
          for (let j = 0; j < vlen; j++) {
            const r = this.u32(id, j * MEMBER_SIZE + 4);
            if (r < n) ref[r] = 1;
          }
          break;
        case BtfKind.DATASEC:
          for (let j = 0; j < vlen; j++) {
            const r = this.u32(id, j * MEMBER_SIZE);
            if (r < n) ref[r] = 1;
          }
          break;
        case BtfKind.FUNC_PROTO: {
          const r = st[id]!;
          if (r < n) ref[r] = 1;
          for (let j = 0; j < vlen; j++) {
            const p = this.u32(id, j * PARAM_SIZE + 4);
            if (p < n) ref[p] = 1;
          }
          break;
        }
        default:
          break;
      }
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
    const kind = this.kind(id, id);
    if (this.order[id] === ORDERING) {
      if ((kind === BtfKind.STRUCT || kind === BtfKind.UNION) && throughPtr && this.name(id) !== '') return 0;
      throw new ParseError('btf', 0, `type ${id} (${KIND_NAMES[kind]} '${this.name(id)}') is part of a cycle C cannot express`);
    }
    switch (kind) {
      case BtfKind.INT: case BtfKind.FLOAT:
        this.name(id);
        this.order[id] = ORDERED;
        return 0;
      case BtfKind.PTR: {
        this.name(id);
        const r = this.orderType(this.sizeOrType[id]!, true, depth + 1);
        this.order[id] = ORDERED;
        return r;
      }
      case BtfKind.ARRAY:
        return this.orderType(this.u32(id, 0), false, depth + 1);
      case BtfKind.STRUCT: case BtfKind.UNION: {
        const named = this.name(id) !== '';
        // Through a pointer, a named struct needs only `struct x;`.
        if (throughPtr && named) return 0;
        this.order[id] = ORDERING;
        for (let j = 0, vlen = this.vlens[id]!; j < vlen; j++) this.orderType(this.memberType(id, j), false, depth + 1);
        if (named) this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.FWD:
        if (this.name(id) !== '' || !this.referenced[id]) this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      case BtfKind.TYPEDEF: {
        this.name(id);
        const strong = this.orderType(this.sizeOrType[id]!, throughPtr, depth + 1);
        if (throughPtr && !strong) return 0;
        this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        this.name(id);
        return this.orderType(this.sizeOrType[id]!, throughPtr, depth + 1);
      case BtfKind.FUNC_PROTO: {
        this.name(id);
        let strong = this.orderType(this.sizeOrType[id]!, throughPtr, depth + 1);
        for (let j = 0, vlen = this.vlens[id]!; j < vlen; j++) {
          if (this.orderType(this.paramType(id, j), throughPtr, depth + 1) > 0) strong = 1;
        }
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
    const kind = this.kind(id, id);
    const topLevel = contId === 0;
    if (this.emit[id] === EMITTING) {
      if (this.fwdEmitted[id]) return;
      if (kind === BtfKind.STRUCT || kind === BtfKind.UNION) {
        // Fields of the container are being emitted in place: no forward declaration for itself.
        if (id === contId || this.name(id) === '') return;
        this.out.utf8(`${KIND_NAMES[kind]} ${this.typeName(id)};\n\n`);
        this.fwdEmitted[id] = 1;
      } else if (kind === BtfKind.TYPEDEF) {
        // A typedef used through a pointer while its target is still being defined.
        if (!this.skippedTypedef(this.name(id))) this.out.utf8(`${this.typedefDef(id, this.sizeOrType[id]!, 0)};\n\n`);
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    switch (kind) {
      case BtfKind.INT: case BtfKind.FLOAT:
        this.emit[id] = EMITTED;
        return;
      case BtfKind.ENUM: case BtfKind.ENUM64:
        if (topLevel) this.out.utf8(`${this.enumDef(id, 0)};\n\n`);
        this.emit[id] = EMITTED;
        return;
      case BtfKind.PTR: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        this.emitType(this.sizeOrType[id]!, contId, depth + 1);
        return;
      case BtfKind.ARRAY:
        this.emitType(this.u32(id, 0), contId, depth + 1);
        return;
      case BtfKind.FWD:
        this.out.utf8(`${this.flags[id] ? 'union' : 'struct'} ${this.typeName(id)};\n\n`);
        this.emit[id] = EMITTED;
        return;
      case BtfKind.TYPEDEF:
        this.emit[id] = EMITTING;
        this.emitType(this.sizeOrType[id]!, id, depth + 1);
        if (!this.fwdEmitted[id] && !this.skippedTypedef(this.name(id))) this.out.utf8(`${this.typedefDef(id, this.sizeOrType[id]!, 0)};\n\n`);
        this.emit[id] = EMITTED;
        return;
      case BtfKind.STRUCT: case BtfKind.UNION: {
        this.emit[id] = EMITTING;
        const anon = this.name(id) === '';
        if (topLevel || anon) {
          const inner = anon ? contId : id;
          for (let j = 0, vlen = this.vlens[id]!; j < vlen; j++) this.emitType(this.memberType(id, j), inner, depth + 1);
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.out.utf8(`${KIND_NAMES[kind]} ${this.typeName(id)};\n\n`);
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.out.utf8(`${this.structDef(id, 0)};\n\n`);
          this.emit[id] = EMITTED;
        } else {
          this.emit[id] = 0;
        }
        return;
      }
      case BtfKind.FUNC_PROTO:
        this.emitType(this.sizeOrType[id]!, contId, depth + 1);
        for (let j = 0, vlen = this.vlens[id]!; j < vlen; j++) this.emitType(this.paramType(id, j), contId, depth + 1);
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
    return this.names[id] ?? this.resolveName(id, this.name(id), this.typeNames);
  }

  /** Typedef names and enumerators share the ordinary identifier namespace. */
  private identName(id: number): string {
    return this.names[id] ?? this.resolveName(id, this.name(id), this.identNames);
  }

  private typedefDef(id: number, target: number, lvl: number): string {
    const name = this.identName(id);
    // Old GCC emitted __gnuc_va_list as a typedef of void.
    if (target === 0 && this.name(id) === '__gnuc_va_list') return `typedef __builtin_va_list ${name}`;
    return `typedef ${this.decl(target, name, lvl, 0)}`;
  }

  /** Value `j` of an enum or enum64, as C source digits. */
  private enumValue(id: number, j: number, is64: boolean): bigint | number {
    const signed = this.flags[id] === 1;
    if (!is64) return signed ? this.i32(id, j * PARAM_SIZE + 4) : this.u32(id, j * PARAM_SIZE + 4);
    const u = (BigInt(this.u32(id, j * MEMBER_SIZE + 8)) << 32n) | BigInt(this.u32(id, j * MEMBER_SIZE + 4));
    return signed ? BigInt.asIntN(64, u) : u;
  }

  private enumDef(id: number, lvl: number): string {
    this.deep(lvl, id);
    const rawName = this.name(id);
    const is64 = this.kinds[id] === BtfKind.ENUM64;
    const head = rawName ? `enum ${this.typeName(id)}` : 'enum';
    const vlen = this.vlens[id]!;
    if (vlen === 0) return head;
    const parts = [head, ' {'];
    const signed = this.flags[id] === 1;
    const suffix = is64 ? (signed ? 'LL' : 'ULL') : '';
    const elem = is64 ? MEMBER_SIZE : PARAM_SIZE;
    // A 32-bit enum's values always fit C's int; only enum64 can need 8 bytes.
    let natural = 4;
    for (let j = 0; j < vlen; j++) {
      const vname = this.btf.stringAt(this.u32(id, j * elem));
      const count = (this.identNames.get(vname) ?? 0) + 1;
      this.identNames.set(vname, count);
      const name = count > 1 ? `${vname}___${count}` : vname;
      const value = this.enumValue(id, j, is64);
      if (is64 && (value > 0xffffffffn || value < -0x80000000n)) natural = 8;
      parts.push(`\n${tabs(lvl + 1)}${name} = ${value}${suffix},`);
    }
    parts.push(`\n${tabs(lvl)}}`);
    // C sizes an enum by its values; pin BTF's size when they would not give it (e.g. a 64-bit enum of small values).
    const size = this.sizeOrType[id]!;
    if (natural !== size) {
      const mode = size === 1 ? 'QI' : size === 2 ? 'HI' : size === 4 ? 'SI' : size === 8 ? 'DI' : undefined;
      if (mode) parts.push(` __attribute__((mode(${mode})))`);
    }
    return parts.join('');
  }

  private structDef(id: number, lvl: number): string {
    this.deep(lvl, id); // an anonymous struct nested in itself would recurse forever
    const kind = this.kinds[id]!;
    const parts: string[] = [KIND_NAMES[kind]!];
    if (this.name(id)) parts.push(' ', this.typeName(id));
    parts.push(' {');
    const packed = this.isPacked(id);
    const isStruct = kind === BtfKind.STRUCT;
    const vlen = this.vlens[id]!;
    const size = this.sizeOrType[id]!;
    let off = 0;
    let prevBitfield = false;
    for (let j = 0; j < vlen; j++) {
      const type = this.memberType(id, j);
      const bitOffset = this.memberBitOffset(id, j);
      const bitfieldSize = this.memberBitfieldSize(id, j);
      const align = packed ? 1 : this.alignOf(type, 0);
      if (isStruct) this.padding(parts, off, bitOffset, align, prevBitfield && bitfieldSize !== 0, lvl + 1, packed);
      parts.push('\n', tabs(lvl + 1), this.decl(type, this.memberName(id, j), lvl + 1, 0));
      if (bitfieldSize) {
        parts.push(`: ${bitfieldSize}`);
        off = bitOffset + bitfieldSize;
        prevBitfield = true;
      } else {
        off = bitOffset + this.sizeOrZero(type) * 8;
        prevBitfield = false;
      }
      parts.push(';');
    }
    if (isStruct) this.padding(parts, off, size * 8, packed ? 1 : this.alignOf(id, 0), false, lvl + 1, packed);
    if (vlen || size) parts.push('\n', tabs(lvl));
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

  /**
   * `Btf.sizeof` from the arrays: the byte size through modifiers and arrays,
   * 0 for unsized kinds. Throws `ParseError` for loops, ids out of range and
   * sizes beyond 2^32, as `sizeof` does.
   */
  private sizeOrZero(id: number): number {
    let multiplier = 1;
    let t = id;
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      switch (this.kind(t, id)) {
        case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.FLOAT: case BtfKind.DATASEC: {
          const size = multiplier * this.sizeOrType[t]!;
          if (size > 0xffffffff) throw new ParseError('btf', 0, `type ${id} is larger than 4 GiB`);
          return size;
        }
        case BtfKind.PTR:
          return multiplier * POINTER_SIZE;
        case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
          t = this.sizeOrType[t]!;
          break;
        case BtfKind.ARRAY:
          multiplier *= this.u32(t, 8);
          if (multiplier > 0xffffffff) throw new ParseError('btf', 0, `type ${id} is larger than 4 GiB`);
          t = this.u32(t, 0);
          break;
        default:
          return 0;
      }
    }
    throw new ParseError('btf', 0, `type ${id}: type chain longer than ${MAX_RESOLVE_DEPTH} (a loop?)`);
  }

  /** Natural alignment as the compiler sees it; 1 for structs that must be packed. */
  private alignOf(id: number, depth: number): number {
    const cached = this.aligns[id];
    if (cached) return cached;
    this.deep(depth, id);
    const kind = this.kind(id, id);
    let a: number;
    switch (kind) {
      case BtfKind.INT: case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.FLOAT:
        a = Math.max(1, Math.min(POINTER_SIZE, this.sizeOrType[id]!));
        break;
      case BtfKind.PTR:
        a = POINTER_SIZE;
        break;
      case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        a = this.alignOf(this.sizeOrType[id]!, depth + 1);
        break;
      case BtfKind.ARRAY:
        a = this.alignOf(this.u32(id, 0), depth + 1);
        break;
      case BtfKind.STRUCT: case BtfKind.UNION: {
        a = 1;
        let misaligned = false;
        for (let j = 0, vlen = this.vlens[id]!; j < vlen; j++) {
          const ma = this.alignOf(this.memberType(id, j), depth + 1);
          a = Math.max(a, ma);
          if (this.memberBitfieldSize(id, j) === 0 && this.memberBitOffset(id, j) % (8 * ma) !== 0) misaligned = true;
        }
        if (misaligned || this.sizeOrType[id]! % a !== 0) a = 1;
        break;
      }
      default:
        a = 1;
    }
    this.aligns[id] = a;
    return a;
  }

  /** BTF cannot say "packed": infer it when natural alignment would not give BTF's offsets or size. */
  private isPacked(id: number): boolean {
    let max = 1;
    for (let j = 0, vlen = this.vlens[id]!; j < vlen; j++) {
      const a = this.alignOf(this.memberType(id, j), 0);
      if (this.memberBitfieldSize(id, j) === 0 && this.memberBitOffset(id, j) % (8 * a) !== 0) return true;
      max = Math.max(max, a);
    }
    return this.sizeOrType[id]! % max !== 0;
  }

  /**
   * A C declaration of `inner` (a name, or a partial declarator) with type
   * `id`: built outside-in, pointers prefix `*`, arrays and functions suffix,
   * parentheses when a pointer declarator meets an array or function.
   */
  private decl(id: number, inner: string, lvl: number, depth: number): string {
    this.deep(depth, id);
    const kind = this.kind(id, id);
    switch (kind) {
      case 0: return withInner('void', inner);
      case BtfKind.INT: case BtfKind.FLOAT: return withInner(this.name(id), inner);
      case BtfKind.STRUCT: case BtfKind.UNION:
        return withInner(this.name(id) ? `${KIND_NAMES[kind]} ${this.typeName(id)}` : this.structDef(id, lvl), inner);
      case BtfKind.ENUM: case BtfKind.ENUM64:
        return withInner(this.name(id) ? `enum ${this.typeName(id)}` : this.enumDef(id, lvl), inner);
      case BtfKind.FWD: return withInner(`${this.flags[id] ? 'union' : 'struct'} ${this.typeName(id)}`, inner);
      case BtfKind.TYPEDEF: return withInner(this.identName(id), inner);
      case BtfKind.PTR:
        this.name(id);
        // `* const p`, `* (*f)(void)`: bpftool's spacing, kept so the two headers diff cleanly.
        return this.decl(this.sizeOrType[id]!, inner && (inner[0] === '(' || startsWithQualifier(inner)) ? `* ${inner}` : `*${inner}`, lvl, depth + 1);
      case BtfKind.CONST: case BtfKind.VOLATILE: case BtfKind.RESTRICT: {
        this.name(id);
        const qual = KIND_NAMES[kind]!;
        const targetId = this.sizeOrType[id]!;
        const target = this.kind(targetId, id);
        // Before a plain base type, qualifiers read naturally in front: `const char *`.
        // C cannot qualify an array itself: the qualifier goes to the element, as the compiler would.
        if (target !== BtfKind.PTR && target !== BtfKind.FUNC_PROTO && target !== BtfKind.TYPE_TAG) {
          const rest = this.decl(targetId, inner, lvl, depth + 1);
          // Qualifiers nearer the base type print first (`volatile const int`, as bpftool);
          // `const` over an array of `const` (pahole emits both) prints once.
          const lead = /^(?:(?:const|volatile|restrict) )*/.exec(rest)![0];
          if (lead.split(' ').includes(qual)) return rest;
          return `${lead}${qual} ${rest.slice(lead.length)}`;
        }
        return this.decl(targetId, inner ? `${qual} ${inner}` : qual, lvl, depth + 1);
      }
      case BtfKind.TYPE_TAG: {
        const name = this.name(id);
        const attr = this.flags[id] ? `__attribute__((${name}))` : `__attribute__((btf_type_tag("${name}")))`;
        return this.decl(this.sizeOrType[id]!, inner ? `${attr} ${inner}` : attr, lvl, depth + 1);
      }
      case BtfKind.ARRAY: {
        this.name(id);
        const d = needsParens(inner) ? `(${inner})` : inner;
        return this.decl(this.u32(id, 0), `${d}[${this.u32(id, 8)}]`, lvl, depth + 1);
      }
      case BtfKind.FUNC_PROTO: {
        this.name(id);
        const d = needsParens(inner) ? `(${inner})` : inner;
        let params = '';
        const n = this.vlens[id]!;
        for (let i = 0; i < n; i++) {
          if (i > 0) params += ', ';
          const pt = this.paramType(id, i);
          params += pt === 0 && i === n - 1 && i > 0 ? '...' : this.decl(pt, '', lvl, depth + 1);
        }
        return this.decl(this.sizeOrType[id]!, `${d}(${params || 'void'})`, lvl, depth + 1);
      }
      default:
        throw new ParseError('btf', 0, `type ${id} (${KIND_NAMES[kind]}) cannot appear in a C declaration`);
    }
  }
}

/** `/^(const|volatile|restrict)\b/` without a regex per pointer. */
function startsWithQualifier(s: string): boolean {
  for (const q of QUALIFIERS) {
    if (s.startsWith(q)) {
      // \b: end of string or a non-word character follows (no read past the end: V8 deoptimizes on it).
      if (s.length === q.length) return true;
      const c = s.charCodeAt(q.length);
      if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return true;
    }
  }
  return false;
}

const QUALIFIERS = ['const', 'volatile', 'restrict'] as const;

function withInner(base: string, inner: string): string {
  return inner ? `${base} ${inner}` : base;
}

/** A pointer or qualified declarator must be parenthesised before `[]` or `()` binds to it. */
function needsParens(inner: string): boolean {
  return inner.startsWith('*') || inner.startsWith('const ') || inner.startsWith('volatile ') || inner.startsWith('restrict ') || inner.startsWith('__attribute__') || inner === 'const' || inner === 'volatile' || inner === 'restrict';
}
