/**
 * Targets of `freplace/<function>` (BPF_PROG_TYPE_EXT, Linux 5.6+) programs: a
 * global function of an already loaded program, named by the BTF FUNC id in
 * that program's BTF (kernel/bpf/verifier.c, bpf_check_attach_target).
 * The target is either a program of the same collection (its BTF is the
 * object's, so the id comes from the object BTF) or a program the caller
 * passes, whose BTF is read back from the kernel.
 */
import { parseBtf } from '../btf/btf.js';
import type { BtfSpec } from '../btf/types.js';
import type { Program } from '../prog/program.js';
import { btfGetFdById, btfRawByFd } from '../sys/btf-cmds.js';
import { progGetInfo } from '../sys/prog-cmds.js';
import { native } from '../sys/native.js';
import { AttachTargetError } from './errors.js';

/** The FUNC id of global function `name` in `btf`, or undefined. */
function funcId(btf: BtfSpec, name: string): number | undefined {
  return btf.typesByName(name).find((t) => t.kind === 'func')?.id;
}

/**
 * `attachProgFd` and `attachBtfId` for an ext program replacing `fn` in
 * `target`. Throws `AttachTargetError` when the target program has no BTF or
 * no such function.
 */
export function freplaceTarget(program: string, fn: string, target: Program, objectBtf: BtfSpec | undefined, sameObject: boolean): { attachProgFd: number; attachBtfId: number } {
  let btf: BtfSpec | undefined = sameObject ? objectBtf : undefined;
  if (!btf) {
    const info = progGetInfo(target.fd);
    if (!info.btfId) throw new AttachTargetError(program, fn, `target program ${target.name} was loaded without BTF, so its functions cannot be replaced`);
    const fd = btfGetFdById(info.btfId);
    try {
      btf = parseBtf(btfRawByFd(fd).bytes);
    } finally {
      native().close(fd);
    }
  }
  const id = funcId(btf, fn);
  if (id === undefined) throw new AttachTargetError(program, fn, `program ${target.name} has no function ${fn} in its BTF`);
  return { attachProgFd: target.fd, attachBtfId: id };
}
