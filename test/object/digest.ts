/**
 * A byte-order independent summary of a CollectionSpec, for comparing el/eb twins:
 * instructions are decoded into fields; data bytes are compared by length only
 * (their integers are in the object's byte order).
 */
import type { CollectionSpec, FunctionSpec, ObjectMapSpec } from '../../src/object/index.js';

export function decodeInstructions(bytes: Uint8Array, littleEndian: boolean): number[][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[][] = [];
  for (let i = 0; i + 8 <= bytes.byteLength; i += 8) {
    const regs = bytes[i + 1]!;
    const dst = littleEndian ? regs & 0xf : regs >> 4;
    const src = littleEndian ? regs >> 4 : regs & 0xf;
    out.push([bytes[i]!, dst, src, view.getInt16(i + 2, littleEndian), view.getInt32(i + 4, littleEndian)]);
  }
  return out;
}

function mapDigest(m: ObjectMapSpec): unknown {
  return {
    name: m.name, realName: m.realName, type: m.type, keySize: m.keySize, valueSize: m.valueSize,
    maxEntries: m.maxEntries, flags: m.flags, pinning: m.pinning, source: m.source, section: m.section,
    sectionOffset: m.sectionOffset, slots: m.slots, freeze: m.freeze, iproute2: m.iproute2,
    dataLength: m.data?.byteLength, inner: m.innerMap ? mapDigest(m.innerMap) : undefined,
    btf: m.btf ? [m.btf.keyTypeId, m.btf.valueTypeId] : undefined, structOps: m.structOps,
    numaNode: m.numaNode, mapExtra: m.mapExtra,
  };
}

function functionDigest(f: FunctionSpec, le: boolean, code: boolean): unknown {
  if (!code) return { name: f.name, section: f.section, global: f.global, weak: f.weak, relocations: f.relocations.map(({ insn: _, ...r }) => r) };
  return {
    name: f.name, section: f.section, offset: f.offset, insnCount: f.insnCount, global: f.global, weak: f.weak,
    relocations: f.relocations,
    // imm/off can legitimately differ: clang folds byte-order dependent constants and bitfield offsets.
    instructions: decodeInstructions(f.instructions, le).map(([op, dst, src]) => [op, dst, src]),
  };
}

export function specDigest(s: CollectionSpec, code = true): unknown {
  const le = s.littleEndian;
  return {
    license: s.license,
    kernelVersion: s.kernelVersion,
    maps: [...s.maps.values()].map(mapDigest),
    programs: [...s.programs.values()].map((p) => ({
      ...(functionDigest(p, le, code) as object), type: p.type, attachType: p.attachType, attachTo: p.attachTo,
      programFlags: p.programFlags, isReturnProbe: p.isReturnProbe,
    })),
    functions: s.functions.map((f) => functionDigest(f, le, code)),
    codeSections: code ? s.codeSections : s.codeSections.map(({ insnCount: _, ...c }) => c),
    variables: [...s.variables.values()].map((v) => ({ ...v, value: v.value.byteLength })),
    externs: s.externs,
    btfTypes: s.btf?.typeCount,
    btfExt: code ? s.btfExt?.byteLength : undefined,
  };
}
