/**
 * Filling in what a linked program refers to, once maps exist
 * (include/uapi/linux/bpf.h, the `src_reg` markers of ld_imm64 and call):
 *
 *   map       ld_imm64 src=BPF_PSEUDO_MAP_FD (1)     imm = map fd
 *   data      ld_imm64 src=BPF_PSEUDO_MAP_VALUE (2)  imm = map fd, second imm = offset (Linux 5.2+)
 *   kconfig   as data, into the `.kconfig` map at the variable's offset
 *   ksym var  ld_imm64 src=BPF_PSEUDO_BTF_ID (3)     imm = vmlinux BTF id of the VAR (Linux 5.10+)
 *   typeless  ld_imm64 src=0                         imm = address from /proc/kallsyms
 *   kfunc     call src=BPF_PSEUDO_KFUNC_CALL (2)     imm = vmlinux BTF id of the FUNC (Linux 5.13+)
 * A `__weak` ksym or kfunc the kernel lacks resolves to 0 (ld_imm64) or to a
 * poisoned call the verifier accepts only in dead code, as libbpf does.
 */
import type { BtfSpec } from '../btf/types.js';
import type { CollectionSpec } from '../object/spec.js';
import type { PendingReference } from './link-program.js';
import type { LoadedMap } from './create-maps.js';
import { LoaderError } from './errors.js';
import { POISON_HELPER_ID } from './core-relocate.js';
import { kallsymsAddress } from './kallsyms.js';

const OP_LD_IMM64 = 0x18;
const OP_CALL = 0x85;

function setSrc(insns: Uint8Array, at: number, src: number, le: boolean): void {
  const regs = insns[at * 8 + 1]!;
  insns[at * 8 + 1] = le ? (regs & 0x0f) | (src << 4) : (regs & 0xf0) | src;
}

/**
 * Patch every map, data and extern reference of a linked program, in place.
 * `kernelBtf` is fetched only when a ksym or kfunc needs it. Throws
 * `LoaderError` (ENOMAP, ENOEXTERN, EBADREF) naming the program, the symbol
 * and what was expected.
 */
export function resolveReferences(
  insns: Uint8Array, le: boolean, program: string, refs: readonly PendingReference[], spec: CollectionSpec,
  maps: ReadonlyMap<string, LoadedMap>, kernelBtf: () => BtfSpec,
): void {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const fail = (code: string, msg: string) => new LoaderError(code, `program ${program}`, msg);
  for (const r of refs) {
    const pos = r.at * 8;
    const op = insns[pos]!;
    if (r.kind === 'map' || r.kind === 'data') {
      const m = maps.get(r.map);
      if (!m) throw fail('ENOMAP', `${r.fn} refers to map ${r.map} (symbol ${r.symbol}), which was not created`);
      if (op !== OP_LD_IMM64) throw fail('EBADREF', `${r.fn} instruction ${r.at} refers to ${r.map} but is not ld_imm64`);
      setSrc(insns, r.at, r.kind === 'map' ? 1 : 2, le);
      view.setInt32(pos + 4, m.fd, le);
      view.setInt32(pos + 12, r.kind === 'data' ? r.offset : 0, le);
      continue;
    }
    const ext = spec.externs.find((e) => e.name === r.extern);
    if (!ext) throw fail('ENOEXTERN', `${r.fn} refers to undefined symbol ${r.extern}, which is neither a map, a kconfig value, a ksym nor a kfunc`);
    if (ext.kind === 'kconfig') {
      const m = maps.get('.kconfig');
      if (!m || ext.offset === undefined) {
        // libbpf too needs BTF to lay out kconfig externs (libbpf.c, bpf_object__collect_externs).
        throw fail('ENOBTF', `kconfig extern ${ext.name} needs the object's BTF to be placed in .kconfig; compile with clang -g`);
      }
      if (op !== OP_LD_IMM64) throw fail('EBADREF', `kconfig ${ext.name} is used by a non-ld_imm64 instruction`);
      setSrc(insns, r.at, 2, le);
      view.setInt32(pos + 4, m.fd, le);
      view.setInt32(pos + 12, ext.offset + view.getInt32(pos + 12, le), le);
      continue;
    }
    if (ext.kind === 'ksym' && !ext.btfTypeId) {
      // A typeless ksym: just the address, from /proc/kallsyms.
      if (op !== OP_LD_IMM64) throw fail('EBADREF', `ksym ${ext.name} is referenced by opcode 0x${op.toString(16)}, expected ld_imm64`);
      const addr = kallsymsAddress(ext.name);
      if (addr === undefined && !ext.weak) throw fail('ENOEXTERN', `kernel symbol ${ext.name} is not in /proc/kallsyms (or addresses are hidden: needs CAP_SYSLOG, kernel.kptr_restrict); declare it __weak to make it optional`);
      setSrc(insns, r.at, 0, le);
      view.setUint32(pos + 4, Number((addr ?? 0n) & 0xffffffffn), le);
      view.setUint32(pos + 12, Number((addr ?? 0n) >> 32n), le);
      continue;
    }
    const btf = kernelBtf();
    const wantKind = ext.kind === 'kfunc' ? 'func' : 'var';
    const id = btf.typesByName(ext.name).find((t) => t.kind === wantKind)?.id;
    if (ext.kind === 'kfunc' && op === OP_CALL) {
      if (id === undefined) {
        if (!ext.weak) throw fail('ENOEXTERN', `kernel function ${ext.name} (kfunc) is not in the kernel's BTF; declare it __weak and check bpf_ksym_exists() to make it optional`);
        // An unreachable call to a bad helper id: the verifier rejects it only if reached.
        setSrc(insns, r.at, 0, le);
        view.setInt32(pos + 4, POISON_HELPER_ID, le);
        continue;
      }
      setSrc(insns, r.at, 2, le);
      view.setInt32(pos + 4, id, le);
      view.setInt16(pos + 2, 0, le);
      continue;
    }
    // ld_imm64 of a ksym variable, or of a kfunc's address (`bpf_ksym_exists(kfunc)`, Linux 5.19+).
    if (op !== OP_LD_IMM64) throw fail('EBADREF', `${ext.kind} ${ext.name} is referenced by opcode 0x${op.toString(16)}, expected ${ext.kind === 'kfunc' ? 'call or ' : ''}ld_imm64`);
    if (id === undefined) {
      if (!ext.weak) throw fail('ENOEXTERN', `kernel ${ext.kind === 'kfunc' ? 'function' : 'variable'} ${ext.name} (${ext.kind}) is not in the kernel's BTF; declare it __weak to make it optional`);
      setSrc(insns, r.at, 0, le);
      view.setInt32(pos + 4, 0, le);
      view.setInt32(pos + 12, 0, le);
      continue;
    }
    setSrc(insns, r.at, 3, le);
    view.setInt32(pos + 4, id, le);
    view.setInt32(pos + 12, 0, le);
  }
}
