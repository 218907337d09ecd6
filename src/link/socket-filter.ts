/** Socket filters: SO_ATTACH_BPF (Linux 3.19+) on a socket fd. */
import { bpfError } from '../sys/bpf.js';
import { InvalidArgumentError } from '../sys/errors.js';
import { native } from '../sys/native.js';
import type { Program } from '../prog/program.js';
import { Link } from './link.js';

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27; // = SO_DETACH_FILTER

/**
 * Attach a `socket_filter` program to a socket. The kernel keeps the filter
 * until it is detached or the socket closes; `close()` on the result detaches
 * it (SO_DETACH_BPF) unless the socket is already gone.
 * Throws `InvalidArgumentError` for a bad fd, `BpfError` from setsockopt.
 */
export function attachSocketFilter(program: Program, socketFd: number): Link {
  if (!Number.isInteger(socketFd) || socketFd < 0) throw new InvalidArgumentError(`socket fd ${socketFd}: expected a non-negative integer`);
  const value = new Int32Array([program.fd]);
  const n = native();
  const r = n.setsockopt(socketFd, SOL_SOCKET, SO_ATTACH_BPF, value);
  if (r < 0) throw bpfError(-r, 'setsockopt(SO_ATTACH_BPF)', `socket fd ${socketFd}`);
  return new Link({
    kind: 'socket_filter', linkFd: -1, target: `socket filter on fd ${socketFd}`,
    detach: () => {
      const d = n.setsockopt(socketFd, SOL_SOCKET, SO_DETACH_BPF, new Int32Array([0]));
      // EBADF/ENOTSOCK: the socket is closed, which detached the filter; ENOENT: already detached.
      if (d < 0 && d !== -9 && d !== -88 && d !== -2) throw bpfError(-d, 'setsockopt(SO_DETACH_BPF)', `socket fd ${socketFd}`);
    },
  });
}
