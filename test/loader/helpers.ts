/**
 * Shared helpers of the loader tests: object paths, BTF with shifted ids,
 * fd counting.
 */
import { readdirSync } from 'node:fs';
import type { BtfType } from '../../src/btf/types.js';
import { encodeBtf, type BtfTypeInput } from '../../src/btf/encode.js';
import { parseBtf, type Btf } from '../../src/btf/btf.js';

/** cilium/ebpf's compiled test objects (read-only, beside the repository). */
export const CILIUM = new URL('../../../shared/testdata/cilium-ebpf/', import.meta.url).pathname;

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function shiftType(t: BtfType, n: number): BtfTypeInput {
  const s = (id: number) => (id === 0 ? 0 : id + n);
  const { id: _id, ...rest } = t as BtfType & { id: number };
  switch (t.kind) {
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'func': case 'var': case 'decl_tag':
      return { ...rest, type: s(t.type) } as BtfTypeInput;
    case 'array':
      return { ...rest, elemType: s(t.elemType), indexType: s(t.indexType) } as BtfTypeInput;
    case 'struct': case 'union':
      return { ...rest, members: t.members.map((m) => ({ ...m, type: s(m.type) })) } as BtfTypeInput;
    case 'func_proto':
      return { ...rest, returnType: s(t.returnType), params: t.params.map((p) => ({ ...p, type: s(p.type) })) } as BtfTypeInput;
    case 'datasec':
      return { ...rest, vars: t.vars.map((v) => ({ ...v, type: s(v.type) })) } as BtfTypeInput;
    default:
      return rest as BtfTypeInput;
  }
}

/**
 * The same types with every id moved up by `n` (n dummy ints first), so that
 * "target type id" and "local type id" differ as they do against a kernel.
 */
export function shiftedBtf(btf: Btf, n: number): Btf {
  const dummies: BtfTypeInput[] = Array.from({ length: n }, (_, i) => ({ kind: 'int', name: `__pad${i}`, size: 4, encoding: 0, bitOffset: 0, bits: 32 }));
  return parseBtf(encodeBtf([...dummies, ...[...btf.types()].map((t) => shiftType(t, n))], { littleEndian: btf.littleEndian }));
}

import { Attr, bpf } from '../../src/sys/bpf.js';
import { native } from '../../src/sys/native.js';

/**
 * Load raw instructions as a program and run them once with BPF_PROG_TEST_RUN
 * over 64 zero bytes; returns the program's return value. Kept minimal and
 * independent of src/prog so CO-RE results are checked by the kernel alone.
 */
export function runRawProgram(progType: number, insns: Uint8Array, license = 'GPL'): number {
  const log = new Uint8Array(new ArrayBuffer(1 << 20));
  const lic = new TextEncoder().encode(`${license}\0`);
  const load = new Attr(128);
  load.u32(0, progType).u32(4, insns.byteLength / 8).u32(24, 1).u32(28, log.byteLength);
  const fd = bpf(5 /* BPF_PROG_LOAD */, load.bytes, 8, insns, 16, lic, 32, log);
  if (fd < 0) throw new Error(`load failed (errno ${-fd}): ${new TextDecoder().decode(log.subarray(0, log.indexOf(0))).split('\n').slice(-4).join(' | ')}`);
  try {
    const data = new Uint8Array(new ArrayBuffer(64));
    const run = new Attr(80);
    run.u32(0, fd).u32(8, data.byteLength);
    const r = bpf(10 /* BPF_PROG_TEST_RUN */, run.bytes, 16, data);
    if (r < 0) throw new Error(`test run failed (errno ${-r})`);
    return run.getU32(4);
  } finally {
    native().close(fd);
  }
}

import type { BpfMap } from '../../src/maps/map.js';
import { InvalidArgumentError } from '../../src/sys/errors.js';

/**
 * Look up integer key `n` whether the map types its keys (from BTF, as a
 * number) or takes raw bytes (a little-endian u32): map typing is the map
 * layer's business, these tests check what the loader put in the map.
 */
export function getAt(map: BpfMap<any, any>, n: number): unknown {
  try {
    return map.get(n);
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, n, true);
    return map.get(k);
  }
}
