/**
 * `bpftool btf dump ... format raw` text and its `-j` JSON shape:
 *
 *   [1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
 *   [2] STRUCT 'pair' size=8 vlen=2
 *   	'a' type_id=1 bits_offset=0
 *
 * Anonymous names print as `(anon)`. Split BTF prints only its own types,
 * as bpftool does.
 */
import type { Btf } from './btf.js';
import { KIND_NAMES, MAX_KNOWN_KIND } from './kinds.js';
import { TextBuffer } from './text-buffer.js';
import { BtfKind, type BtfType } from './types.js';

const ANON = '(anon)';

function intEncoding(e: number): string {
  // bpftool prints exactly one name; a combination it does not know is UNKN.
  switch (e) {
    case 0: return '(none)';
    case 1: return 'SIGNED';
    case 2: return 'CHAR';
    case 4: return 'BOOL';
    default: return 'UNKN';
  }
}

function funcLinkage(l: number): string {
  return l === 0 ? 'static' : l === 1 ? 'global' : l === 2 ? 'extern' : '(unknown)';
}

function varLinkage(l: number): string {
  return l === 0 ? 'static' : l === 1 ? 'global' : l === 2 ? 'extern' : '(unknown)';
}

function nameOr(name: string): string {
  return name === '' ? ANON : name;
}

/** Which ids a dump covers: the blob's own types, or the given ones. */
function ids(btf: Btf, only?: readonly number[]): Iterable<number> {
  if (only) return only;
  const out: number[] = [];
  for (let id = btf.firstTypeId; id < btf.typeCount; id++) out.push(id);
  return out;
}

/** The type a DATASEC entry refers to, for the `(VAR 'name')` suffix; undefined if out of range. */
function described(btf: Btf, id: number): BtfType | undefined {
  return id > 0 && id < btf.typeCount ? btf.typeById(id) : undefined;
}

/** One type in bpftool's raw text (may span lines: members, values, params, vars). Throws `ParseError` for a corrupt record. */
export function formatRawType(btf: Btf, t: BtfType): string {
  const head = `[${t.id}] ${t.kind.toUpperCase()} '${nameOr(t.name)}'`;
  switch (t.kind) {
    case 'void': return `[0] VOID '(anon)'`;
    case 'int':
      return `${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${intEncoding(t.encoding)}`;
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      return `${head} type_id=${t.type}`;
    case 'array':
      return `${head} type_id=${t.elemType} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'struct': case 'union': {
      const lines = [`${head} size=${t.size} vlen=${t.members.length}`];
      for (const m of t.members) {
        lines.push(`\t'${nameOr(m.name)}' type_id=${m.type} bits_offset=${m.bitOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`);
      }
      return lines.join('\n');
    }
    case 'enum': case 'enum64': {
      const lines = [`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`];
      const suffix = t.kind === 'enum64' ? (t.signed ? 'LL' : 'ULL') : '';
      for (const v of t.values) lines.push(`\t'${nameOr(v.name)}' val=${v.value}${suffix}`);
      return lines.join('\n');
    }
    case 'fwd':
      return `${head} fwd_kind=${t.fwdKind}`;
    case 'func':
      return `${head} type_id=${t.type} linkage=${funcLinkage(t.linkage)}`;
    case 'func_proto': {
      const lines = [`${head} ret_type_id=${t.returnType} vlen=${t.params.length}`];
      for (const p of t.params) lines.push(`\t'${nameOr(p.name)}' type_id=${p.type}`);
      return lines.join('\n');
    }
    case 'var':
      return `${head} type_id=${t.type}, linkage=${varLinkage(t.linkage)}`;
    case 'datasec': {
      const lines = [`${head} size=${t.size} vlen=${t.vars.length}`];
      for (const v of t.vars) {
        const target = described(btf, v.type);
        lines.push(`\ttype_id=${v.type} offset=${v.offset} size=${v.size}${target ? ` (${target.kind.toUpperCase()} '${nameOr(target.name)}')` : ''}`);
      }
      return lines.join('\n');
    }
    case 'float':
      return `${head} size=${t.size}`;
    case 'decl_tag':
      return `${head} type_id=${t.type} component_idx=${t.componentIdx}`;
  }
}

/**
 * All own types (or `only`) in bpftool's raw text, one type per line group,
 * newline-terminated. Throws `ParseError` for corrupt records.
 */
export function formatRaw(btf: Btf, only?: readonly number[]): string {
  return formatRawBytes(btf, only).toString();
}

/**
 * `formatRaw` as UTF-8 bytes, for writing a whole dump out without building
 * it as a string first. Throws as `formatRaw`.
 */
export function formatRawBytes(btf: Btf, only?: readonly number[]): TextBuffer {
  const out = new TextBuffer(only ? 1 << 12 : btf.raw.length * 2 + 1024);
  const text = new RawText(btf, out);
  if (only) {
    for (const id of only) text.type(id);
  } else {
    for (let id = btf.firstTypeId; id < btf.typeCount; id++) text.type(id);
  }
  return out;
}

/** `INT '`, `STRUCT '`...: the kind and the name's opening quote. */
const KIND_HEAD = KIND_NAMES.map((k) => `${k.toUpperCase()} '`);

/**
 * `formatRawType` straight from the raw record into bytes: vmlinux has
 * ~150k types and ~1M members/params, and decoding each into objects and
 * strings first made the raw dump several times slower than bpftool (mostly
 * allocation and GC). Records this does not handle (base types, DATASEC,
 * unknown kinds) go through `decodeType` and `formatRawType`, so errors stay
 * the decoder's.
 */
class RawText {
  private readonly view: DataView;
  private readonly le: boolean;

  constructor(private readonly btf: Btf, private readonly out: TextBuffer) {
    const raw = btf.raw;
    this.view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    this.le = btf.littleEndian;
  }

  /** The name or `(anon)` (callers add the quotes). Throws `ParseError` for an offset outside the strings. */
  private q(off: number): void {
    this.out.name(this.btf, off, ANON);
  }

  /** One type and its newline. */
  type(id: number): void {
    const btf = this.btf;
    const out = this.out;
    if (id < btf.firstTypeId || id >= btf.typeCount) {
      out.utf8(formatRawType(btf, btf.decodeType(id)));
      out.ascii('\n');
      return;
    }
    const v = this.view;
    const le = this.le;
    const p = btf.typeOffset(id);
    const info = v.getUint32(p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    if (kind === 0 || kind > MAX_KNOWN_KIND || kind === BtfKind.DATASEC) {
      // DATASEC: few per BTF, and it names its variables' kinds.
      out.utf8(formatRawType(btf, btf.decodeType(id)));
      out.ascii('\n');
      return;
    }
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const st = v.getUint32(p + 8, le);
    const q = p + 12;
    out.ascii('[');
    out.uint(id);
    out.ascii('] ');
    out.ascii(KIND_HEAD[kind]!);
    this.q(v.getUint32(p, le));
    out.ascii("'");
    switch (kind) {
      case BtfKind.INT: {
        const data = v.getUint32(q, le);
        out.ascii(' size=');
        out.uint(st);
        out.ascii(' bits_offset=');
        out.uint((data >>> 16) & 0xff);
        out.ascii(' nr_bits=');
        out.uint(data & 0xff);
        out.ascii(' encoding=');
        out.ascii(intEncoding((data >>> 24) & 0x0f));
        break;
      }
      case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        out.ascii(' type_id=');
        out.uint(st);
        break;
      case BtfKind.ARRAY:
        out.ascii(' type_id=');
        out.uint(v.getUint32(q, le));
        out.ascii(' index_type_id=');
        out.uint(v.getUint32(q + 4, le));
        out.ascii(' nr_elems=');
        out.uint(v.getUint32(q + 8, le));
        break;
      case BtfKind.STRUCT: case BtfKind.UNION: {
        out.ascii(' size=');
        out.uint(st);
        out.ascii(' vlen=');
        out.uint(vlen);
        for (let j = 0, m = q; j < vlen; j++, m += 12) {
          const off = v.getUint32(m + 8, le);
          out.ascii("\n\t'");
          this.q(v.getUint32(m, le));
          out.ascii("' type_id=");
          out.uint(v.getUint32(m + 4, le));
          out.ascii(' bits_offset=');
          out.uint(kindFlag ? off & 0xffffff : off);
          const bits = kindFlag ? off >>> 24 : 0;
          if (bits) {
            out.ascii(' bitfield_size=');
            out.uint(bits);
          }
        }
        break;
      }
      case BtfKind.ENUM: case BtfKind.ENUM64: {
        out.ascii(kindFlag ? ' encoding=SIGNED size=' : ' encoding=UNSIGNED size=');
        out.uint(st);
        out.ascii(' vlen=');
        out.uint(vlen);
        if (kind === BtfKind.ENUM) {
          for (let j = 0, m = q; j < vlen; j++, m += 8) {
            out.ascii("\n\t'");
            this.q(v.getUint32(m, le));
            out.ascii("' val=");
            if (kindFlag) out.int(v.getInt32(m + 4, le));
            else out.uint(v.getUint32(m + 4, le));
          }
        } else {
          for (let j = 0, m = q; j < vlen; j++, m += 12) {
            const u = (BigInt(v.getUint32(m + 8, le)) << 32n) | BigInt(v.getUint32(m + 4, le));
            out.ascii("\n\t'");
            this.q(v.getUint32(m, le));
            out.ascii("' val=");
            out.ascii(String(kindFlag ? BigInt.asIntN(64, u) : u));
            out.ascii(kindFlag ? 'LL' : 'ULL');
          }
        }
        break;
      }
      case BtfKind.FWD:
        out.ascii(kindFlag ? ' fwd_kind=union' : ' fwd_kind=struct');
        break;
      case BtfKind.FUNC:
        out.ascii(' type_id=');
        out.uint(st);
        out.ascii(' linkage=');
        out.ascii(funcLinkage(vlen));
        break;
      case BtfKind.FUNC_PROTO:
        out.ascii(' ret_type_id=');
        out.uint(st);
        out.ascii(' vlen=');
        out.uint(vlen);
        for (let j = 0, m = q; j < vlen; j++, m += 8) {
          out.ascii("\n\t'");
          this.q(v.getUint32(m, le));
          out.ascii("' type_id=");
          out.uint(v.getUint32(m + 4, le));
        }
        break;
      case BtfKind.VAR:
        out.ascii(' type_id=');
        out.uint(st);
        out.ascii(', linkage=');
        out.ascii(varLinkage(v.getUint32(q, le)));
        break;
      case BtfKind.FLOAT:
        out.ascii(' size=');
        out.uint(st);
        break;
      case BtfKind.DECL_TAG:
        out.ascii(' type_id=');
        out.uint(st);
        out.ascii(' component_idx=');
        out.int(v.getInt32(q, le));
        break;
    }
    out.ascii('\n');
  }
}

/** bpftool's JSON object for one type. 64-bit enum values stay `bigint`. */
export function rawTypeJson(t: BtfType): Record<string, unknown> {
  const o: Record<string, unknown> = { id: t.id, kind: t.kind.toUpperCase(), name: nameOr(t.name) };
  switch (t.kind) {
    case 'int':
      Object.assign(o, { size: t.size, bits_offset: t.bitOffset, nr_bits: t.bits, encoding: intEncoding(t.encoding) });
      break;
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      o.type_id = t.type;
      break;
    case 'array':
      Object.assign(o, { type_id: t.elemType, index_type_id: t.indexType, nr_elems: t.nelems });
      break;
    case 'struct': case 'union':
      Object.assign(o, {
        size: t.size, vlen: t.members.length,
        members: t.members.map((m) => {
          const r: Record<string, unknown> = { name: nameOr(m.name), type_id: m.type, bits_offset: m.bitOffset };
          if (m.bitfieldSize) r.bitfield_size = m.bitfieldSize;
          return r;
        }),
      });
      break;
    case 'enum': case 'enum64':
      Object.assign(o, {
        encoding: t.signed ? 'SIGNED' : 'UNSIGNED', size: t.size, vlen: t.values.length,
        values: t.values.map((v) => ({ name: nameOr(v.name), val: v.value })),
      });
      break;
    case 'fwd':
      o.fwd_kind = t.fwdKind;
      break;
    case 'func':
      Object.assign(o, { type_id: t.type, linkage: funcLinkage(t.linkage) });
      break;
    case 'func_proto':
      Object.assign(o, { ret_type_id: t.returnType, vlen: t.params.length, params: t.params.map((p) => ({ name: nameOr(p.name), type_id: p.type })) });
      break;
    case 'var':
      Object.assign(o, { type_id: t.type, linkage: varLinkage(t.linkage) });
      break;
    case 'datasec':
      Object.assign(o, { size: t.size, vlen: t.vars.length, vars: t.vars.map((v) => ({ type_id: v.type, offset: v.offset, size: v.size })) });
      break;
    case 'float':
      o.size = t.size;
      break;
    case 'decl_tag':
      Object.assign(o, { type_id: t.type, component_idx: t.componentIdx });
      break;
    default:
      break;
  }
  return o;
}

/** `{ "types": [...] }` as `bpftool -j btf dump` prints it (64-bit values stay exact). */
export function formatJson(btf: Btf, options: { pretty?: boolean; only?: readonly number[] } = {}): string {
  const types: Record<string, unknown>[] = [];
  for (const id of ids(btf, options.only)) types.push(rawTypeJson(btf.decodeType(id)));
  return jsonWithBigints({ types }, options.pretty ?? false);
}

/** JSON.stringify that prints bigints as plain JSON numbers, exactly (as C's printf does). */
export function jsonWithBigints(value: unknown, pretty: boolean): string {
  const marker = '\u0000big:';
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${marker}${v}` : v), pretty ? 4 : undefined);
  return text.replace(/"\\u0000big:(-?\d+)"/g, '$1');
}
