/**
 * Finding the BTF id a BTF-typed program attaches to (attach_btf_id of
 * BPF_PROG_LOAD), in the kernel's own BTF. The names follow the kernel's
 * conventions (kernel/bpf/verifier.c, bpf_check_attach_target()):
 *   fentry/fexit/fmod_ret  FUNC `name`
 *   tp_btf (trace_raw_tp)  TYPEDEF `btf_trace_<name>`
 *   lsm                    FUNC `bpf_lsm_<name>`
 *   iter                   FUNC `bpf_iter_<name>`
 */
import { loadKernelBtf } from '../btf/kernel.js';
import { BtfKind } from '../btf/types.js';
import { EbpfError } from '../sys/errors.js';
import { AttachType, ProgType } from '../sys/prog-types.js';

/** The BTF kind and name to look up for a program of `progType` with `attachType` attaching to `target`. */
export function attachTargetName(progType: number, attachType: number, target: string): { name: string; kind: number } {
  if (progType === ProgType.lsm) return { name: `bpf_lsm_${target}`, kind: BtfKind.FUNC };
  if (attachType === AttachType.trace_raw_tp) return { name: `btf_trace_${target}`, kind: BtfKind.TYPEDEF };
  if (attachType === AttachType.trace_iter) return { name: `bpf_iter_${target}`, kind: BtfKind.FUNC };
  return { name: target, kind: BtfKind.FUNC };
}

/**
 * The vmlinux BTF id for a tracing/lsm program target. Throws `EbpfError`
 * (`ENOENT`) naming what was looked for when the kernel has no such function or
 * tracepoint, `NotSupportedError` without kernel BTF (CONFIG_DEBUG_INFO_BTF, Linux 5.4+).
 */
export function findAttachBtfId(progType: number, attachType: number, target: string): number {
  const { name, kind } = attachTargetName(progType, attachType, target);
  const btf = loadKernelBtf();
  const id = btf.idsByName(name).find((i) => btf.kindOf(i) === kind);
  if (id === undefined) {
    const what = kind === BtfKind.TYPEDEF ? 'BTF tracepoint (typedef)' : 'function';
    throw new EbpfError('ENOENT', `attach target '${target}': no ${what} '${name}' in the kernel's BTF (/sys/kernel/btf/vmlinux); kernel module targets are not searched`);
  }
  return id;
}
