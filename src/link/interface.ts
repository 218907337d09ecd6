/**
 * Network interface name → ifindex in the calling thread's network namespace,
 * with the SIOCGIFINDEX ioctl (what if_nametoindex(3) does). /sys/class/net
 * would show the namespace sysfs was mounted in, not necessarily ours.
 */
import { bpfError } from '../sys/bpf.js';
import { EbpfError, InvalidArgumentError } from '../sys/errors.js';
import { native } from '../sys/native.js';

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SIOCGIFINDEX = 0x8933;
const IFNAMSIZ = 16;

/**
 * The ifindex of `name`, or `iface` itself when it is already a number.
 * Throws `InvalidArgumentError` for malformed names, `EbpfError` (ENODEV) when no such interface exists.
 */
export function ifindexOf(iface: string | number): number {
  if (typeof iface === 'number') {
    if (!Number.isInteger(iface) || iface <= 0) throw new InvalidArgumentError(`ifindex ${iface}: expected a positive integer`);
    return iface;
  }
  const bytes = new TextEncoder().encode(iface);
  if (bytes.byteLength === 0 || bytes.byteLength >= IFNAMSIZ || bytes.includes(0) || iface.includes('/')) {
    throw new InvalidArgumentError(`interface name '${iface}': expected 1-15 characters without '/'`);
  }
  const ifreq = new Uint8Array(new ArrayBuffer(40));
  ifreq.set(bytes);
  const n = native();
  const fd = n.socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw bpfError(-fd, 'socket');
  try {
    const r = n.ioctl(fd, SIOCGIFINDEX, ifreq);
    if (r === -19 /* ENODEV */) throw new EbpfError('ENODEV', `no network interface named '${iface}' in this network namespace`);
    if (r < 0) throw bpfError(-r, 'SIOCGIFINDEX', iface);
  } finally {
    n.close(fd);
  }
  return new DataView(ifreq.buffer).getInt32(IFNAMSIZ, true) >>> 0;
}
