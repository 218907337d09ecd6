/**
 * A `Link` is one attachment of a program, detached when closed (or disposed).
 *
 * Most are kernel bpf_links (BPF_LINK_CREATE, Linux 5.7+): they have an fd, an
 * id, info, can be pinned to outlive the process and can swap programs
 * atomically. Older attach methods (perf event ioctl, SO_ATTACH_BPF,
 * BPF_PROG_ATTACH) are wrapped in the same class; those answer
 * `NotSupportedError` for pin/info/update and detach on close.
 */
import { bpfError } from '../sys/bpf.js';
import { BpfCmd } from '../sys/constants.js';
import { EbpfError, InvalidArgumentError, NotSupportedError } from '../sys/errors.js';
import { isOnBpffs, prepareBpffsPath } from '../sys/fs.js';
import { linkDetach, linkGetInfo, linkTypeName, linkUpdate, type LinkInfo } from '../sys/link-cmds.js';
import { getFdById, objPin } from '../sys/map-cmds.js';
import { native } from '../sys/native.js';
import { ObjectInode, objectIds, openObjectWithInfo, type ObjectSelector } from '../sys/objects.js';
import type { Program } from '../prog/program.js';

export type { LinkInfo } from '../sys/link-cmds.js';

/** Fds a link owns, closed when the link object is collected without close(). */
const closer = new FinalizationRegistry<number[]>((fds) => { for (const fd of fds) native().close(fd); });

export interface LinkParts {
  /** What was attached: `'xdp'`, `'tcx'`, `'tracepoint'`, `'kprobe'`, `'raw_tracepoint'`, `'tracing'`, `'cgroup'`, `'socket_filter'`, ... */
  readonly kind: string;
  /** The bpf_link fd, or -1 for attachments without one. */
  readonly linkFd: number;
  /** Other fds the attachment owns (a perf event fd), closed after the link. */
  readonly ownedFds?: readonly number[];
  /** For attachments without a bpf_link: how to detach. */
  readonly detach?: () => void;
  /** Human description of the target for messages (`'xdp on veth0'`). */
  readonly target?: string;
}

export class Link implements Disposable {
  readonly kind: string;
  readonly target: string;
  #linkFd: number;
  #owned: number[];
  #detach: (() => void) | undefined;
  #closed = false;

  constructor(parts: LinkParts) {
    this.kind = parts.kind;
    this.target = parts.target ?? parts.kind;
    this.#linkFd = parts.linkFd;
    this.#owned = [...(parts.ownedFds ?? [])];
    this.#detach = parts.detach;
    const fds = [...(parts.linkFd >= 0 ? [parts.linkFd] : []), ...this.#owned];
    if (fds.length) closer.register(this, fds, this);
  }

  /** True for kernel bpf_links (pinnable, with info and update). */
  get isBpfLink(): boolean {
    return this.#linkFd >= 0;
  }

  /**
   * The bpf_link fd; for perf-event attachments without a bpf_link, the perf
   * event fd. Throws `EbpfError` EBADF after close(), `NotSupportedError` for
   * attachments that have no fd (socket filters, legacy cgroup attach).
   */
  get fd(): number {
    if (this.#closed) throw new EbpfError('EBADF', `link ${this.target}: used after close()`);
    if (this.#linkFd >= 0) return this.#linkFd;
    if (this.#owned.length) return this.#owned[0]!;
    throw new NotSupportedError(`${this.target} is attached without a bpf_link and has no fd`);
  }

  private requireLink(what: string): number {
    if (this.#closed) throw new EbpfError('EBADF', `link ${this.target}: used after close()`);
    if (this.#linkFd < 0) throw new NotSupportedError(`${what}: ${this.target} is attached without a bpf_link (the kernel is too old for BPF_LINK_CREATE of this kind)`);
    return this.#linkFd;
  }

  /** The kernel's link info (type, id, program id, target). Throws `NotSupportedError` without a bpf_link, `BpfError`. Linux 5.8+. */
  info(): LinkInfo & { readonly typeName: string } {
    const i = linkGetInfo(this.requireLink('link info'));
    return { ...i, typeName: linkTypeName(i.type) ?? String(i.type) };
  }

  /** Kernel link id. */
  get id(): number {
    return this.info().id;
  }

  /**
   * Pin the link on bpffs (Linux 5.7+): the attachment then survives this
   * process until the pin is removed. Throws `NotSupportedError` without a bpf_link, `BpfError`.
   */
  pin(path: string): void {
    const fd = this.requireLink('pin');
    prepareBpffsPath(path);
    const r = objPin(fd, path);
    // EPERM for a path outside bpffs is not about capabilities (fs/bpf/inode.c, bpf_obj_do_pin).
    if (r === -1 && !isOnBpffs(path)) throw new InvalidArgumentError(`pin path ${path} is not on a bpffs mount (mount one, e.g. at /sys/fs/bpf)`);
    if (r < 0) throw bpfError(-r, BpfCmd.OBJ_PIN, path);
  }

  /** Atomically replace the program (BPF_LINK_UPDATE, Linux 5.7+; not all link types). Throws `BpfError`. */
  update(program: Program, expectedOld?: Program): void {
    linkUpdate(this.requireLink('update'), program.fd, expectedOld?.fd);
  }

  /** Detach now, keeping the object usable only for close() (BPF_LINK_DETACH, Linux 5.9+). */
  detach(): void {
    if (this.#linkFd >= 0) linkDetach(this.#linkFd);
    else this.runDetach();
  }

  private runDetach(): void {
    const d = this.#detach;
    this.#detach = undefined;
    d?.();
  }

  /** Detach and release every fd (idempotent). A pinned link stays attached until its pin is removed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closer.unregister(this);
    let error: unknown;
    try {
      this.runDetach();
    } catch (e) {
      error = e;
    }
    if (this.#linkFd >= 0) native().close(this.#linkFd);
    for (const fd of this.#owned) native().close(fd);
    this.#linkFd = -1;
    this.#owned = [];
    if (error) throw error;
  }

  get closed(): boolean {
    return this.#closed;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Open an existing bpf_link by id (LINK_GET_FD_BY_ID, Linux 5.8+) or pin (BPF_OBJ_GET).
 * Closing the returned object only closes this fd; the link stays while other fds or pins hold it.
 * Throws `BpfError` (ENOENT), `InvalidArgumentError` when the pin is not a link.
 */
export function openLink(from: ObjectSelector): Link {
  const { fd, info } = openObjectWithInfo(from, BpfCmd.LINK_GET_FD_BY_ID, ObjectInode.link, 'link', linkGetInfo);
  const kind = linkTypeName(info.type) ?? String(info.type);
  return new Link({ kind, linkFd: fd, target: `${kind} link ${info.id}`, detach: undefined });
}

/** Ids of all bpf_links (LINK_GET_NEXT_ID, Linux 5.8+). Throws `BpfError`. */
export function linkIds(): number[] {
  return objectIds(BpfCmd.LINK_GET_NEXT_ID);
}

/** Info of every bpf_link in the system (skipping links that vanish meanwhile). Throws `BpfError`. */
export function listLinks(): (LinkInfo & { readonly typeName: string })[] {
  const out: (LinkInfo & { readonly typeName: string })[] = [];
  for (const id of linkIds()) {
    const fd = getFdById(BpfCmd.LINK_GET_FD_BY_ID, id);
    if (fd === -2) continue;
    if (fd < 0) throw bpfError(-fd, BpfCmd.LINK_GET_FD_BY_ID, `id ${id}`);
    try {
      const i = linkGetInfo(fd);
      out.push({ ...i, typeName: linkTypeName(i.type) ?? String(i.type) });
    } finally {
      native().close(fd);
    }
  }
  return out;
}
