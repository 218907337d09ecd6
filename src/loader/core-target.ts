/**
 * The target side of CO-RE: a BTF (the running kernel's vmlinux, a module's
 * split BTF, or any BtfSpec) with an index from essential names (without the
 * `___flavour` suffix) to type ids, which is how relocation candidates are
 * found (tools/lib/bpf/relo_core.c, bpf_core_add_cands).
 */
import { Buffer } from 'node:buffer';
import type { BtfSpec } from '../btf/types.js';
import { essentialName } from './core-compat.js';

/**
 * Where relocations resolve: a target BTF (vmlinux, a module's split BTF, or
 * any BtfSpec for tests) with a cached essential-name index.
 */
export class CoreTarget {
  readonly btf: BtfSpec;
  private index: Map<string, number[]> | undefined;
  constructor(btf: BtfSpec) {
    this.btf = btf;
  }

  /** Ids of named types whose essential name is `name`. Built once per target (one pass over its types). */
  idsByEssentialName(name: string): readonly number[] {
    if (!this.index) {
      const index = new Map<string, number[]>();
      const add = (id: number, n: string) => {
        if (n === '') return;
        const e = essentialName(n);
        const list = index.get(e);
        if (list) list.push(id);
        else index.set(e, [id]);
      };
      // Split BTF: the base's types come first, with their own ids.
      const chain: BtfSpec[] = [];
      for (let b: BtfSpec | undefined = this.btf; b; b = b.base) chain.unshift(b);
      for (const b of chain) {
        if (!scanNames(b, add)) for (let id = b.firstTypeId; id < b.typeCount; id++) add(id, b.typeById(id).name);
      }
      this.index = index;
    }
    return this.index.get(name) ?? [];
  }
}

/** Bytes after the 12-byte common header of each known BTF kind (include/uapi/linux/btf.h). */
function recordTail(kind: number, vlen: number): number | undefined {
  switch (kind) {
    case 1: case 14: case 17: return 4; // INT, VAR, DECL_TAG
    case 3: return 12; // ARRAY
    case 4: case 5: case 15: case 19: return 12 * vlen; // STRUCT, UNION, DATASEC, ENUM64
    case 6: case 13: return 8 * vlen; // ENUM, FUNC_PROTO
    case 0: return undefined;
    default: return kind <= 19 ? 0 : undefined;
  }
}

/**
 * Walk a BTF blob's own type records reading only their names, which is far
 * cheaper than decoding every type of vmlinux. Returns false (and the caller
 * falls back to `typeById`) for layouts it does not know, such as kinds newer
 * than ENUM64.
 */
function scanNames(btf: BtfSpec, add: (id: number, name: string) => void): boolean {
  const raw = btf.raw;
  if (raw.byteLength < 24) return false;
  const le = btf.littleEndian;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const hdrLen = v.getUint32(4, le);
  const typeStart = hdrLen + v.getUint32(8, le);
  const typeEnd = typeStart + v.getUint32(12, le);
  const strStart = hdrLen + v.getUint32(16, le);
  const strEnd = strStart + v.getUint32(20, le);
  if (typeEnd > raw.byteLength || strEnd > raw.byteLength) return false;
  // Split BTF string offsets continue after the base's strings.
  let strBase = 0;
  if (btf.base) {
    const bv = new DataView(btf.base.raw.buffer, btf.base.raw.byteOffset, btf.base.raw.byteLength);
    strBase = bv.getUint32(20, btf.base.littleEndian);
  }
  // One latin1 string for the whole section: offsets map 1:1 to characters, and names are C identifiers.
  const strings = Buffer.from(raw.buffer, raw.byteOffset + strStart, strEnd - strStart).toString('latin1');
  const names: [number, number][] = [];
  let pos = typeStart;
  for (let id = btf.firstTypeId; id < btf.typeCount; id++) {
    if (pos + 12 > typeEnd) return false;
    const nameOff = v.getUint32(pos, le);
    const info = v.getUint32(pos + 4, le);
    const tail = recordTail((info >>> 24) & 0x1f, info & 0xffff);
    if (tail === undefined && ((info >>> 24) & 0x1f) !== 0) return false;
    if (nameOff !== 0) names.push([id, nameOff]);
    pos += 12 + (tail ?? 0);
  }
  for (const [id, off] of names) {
    if (off < strBase) {
      add(id, btf.stringAt(off));
      continue;
    }
    const start = off - strBase;
    if (start >= strings.length) return false;
    const end = strings.indexOf('\0', start);
    add(id, strings.slice(start, end < 0 ? strings.length : end));
  }
  return true;
}

const targets = new WeakMap<BtfSpec, CoreTarget>();

/** The (cached) `CoreTarget` of a BTF. */
export function coreTarget(btf: BtfSpec): CoreTarget {
  let t = targets.get(btf);
  if (!t) targets.set(btf, (t = new CoreTarget(btf)));
  return t;
}

