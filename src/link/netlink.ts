/**
 * A minimal rtnetlink client for traffic control (include/uapi/linux/netlink.h,
 * rtnetlink.h, pkt_sched.h): enough to add a clsact qdisc and cls_bpf filters.
 *
 *   nlmsghdr (16):  len u32 | type u16 | flags u16 | seq u32 | pid u32
 *   tcmsg (20):     family u8 | pad u8 | pad u16 | ifindex s32 | handle u32 | parent u32 | info u32
 *   rtattr:         len u16 | type u16 | payload | pad to 4
 *
 * Requests carry NLM_F_ACK; the kernel answers synchronously with an
 * NLMSG_ERROR whose error field is 0 (success) or -errno.
 */
import { bpfError } from '../sys/bpf.js';
import { native } from '../sys/native.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const NETLINK_ROUTE = 0;
const NLMSG_ERROR = 2;
export const NlmFlags = { REQUEST: 0x1, ACK: 0x4, EXCL: 0x200, CREATE: 0x400 } as const;
export const RtmType = { NEWQDISC: 36, DELQDISC: 37, NEWTFILTER: 44, DELTFILTER: 45 } as const;

/** A netlink attribute: a number (u32), a string (NUL-terminated), bytes, or nested attributes. */
export type NlAttr = readonly [type: number, value: number | string | Uint8Array | readonly NlAttr[]];

const NLA_F_NESTED = 1 << 15;

function encodeAttrs(attrs: readonly NlAttr[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [type, value] of attrs) {
    let payload: Uint8Array;
    let t = type;
    if (typeof value === 'number') {
      payload = new Uint8Array(4);
      new DataView(payload.buffer).setUint32(0, value >>> 0, true);
    } else if (typeof value === 'string') {
      payload = new TextEncoder().encode(value + '\0');
    } else if (value instanceof Uint8Array) {
      payload = value;
    } else {
      payload = encodeAttrs(value);
      t |= NLA_F_NESTED;
    }
    const len = 4 + payload.byteLength;
    const buf = new Uint8Array((len + 3) & ~3);
    const v = new DataView(buf.buffer);
    v.setUint16(0, len, true);
    v.setUint16(2, t, true);
    buf.set(payload, 4);
    parts.push(buf);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

export interface TcMsg {
  readonly ifindex: number;
  readonly handle: number;
  readonly parent: number;
  readonly info: number;
}

let seq = 1;

/**
 * Send one tc request and wait for its acknowledgement. Returns 0 or -errno
 * (never throws for kernel answers); throws `BpfError` when the socket itself fails.
 */
export function tcRequest(type: number, flags: number, msg: TcMsg, attrs: readonly NlAttr[]): number {
  const body = encodeAttrs(attrs);
  const buf = new Uint8Array(new ArrayBuffer(16 + 20 + body.byteLength));
  const v = new DataView(buf.buffer);
  // Netlink headers are in host byte order (little-endian on the hosts this runs on; see HOST_LE uses elsewhere).
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  v.setUint32(0, buf.byteLength, le);
  v.setUint16(4, type, le);
  v.setUint16(6, flags | NlmFlags.REQUEST | NlmFlags.ACK, le);
  const s = seq++;
  v.setUint32(8, s, le);
  v.setUint32(12, 0, le);
  v.setInt32(16 + 4, msg.ifindex, le);
  v.setUint32(16 + 8, msg.handle >>> 0, le);
  v.setUint32(16 + 12, msg.parent >>> 0, le);
  v.setUint32(16 + 16, msg.info >>> 0, le);
  buf.set(body, 36);
  const n = native();
  const fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  if (fd < 0) throw bpfError(-fd, 'socket(AF_NETLINK)');
  try {
    const w = n.write(fd, buf);
    if (w < 0) throw bpfError(-w, 'netlink send');
    // The kernel processes the request inside write() and queues the ACK, so this read does not wait.
    const reply = new Uint8Array(new ArrayBuffer(8192));
    for (let i = 0; i < 16; i++) {
      const r = n.read(fd, reply);
      if (r < 0) throw bpfError(-r, 'netlink receive');
      const rv = new DataView(reply.buffer, 0, r);
      for (let off = 0; off + 16 <= r;) {
        const len = rv.getUint32(off, le);
        if (len < 16) break;
        if (rv.getUint16(off + 4, le) === NLMSG_ERROR && rv.getUint32(off + 8, le) === s) return rv.getInt32(off + 16, le);
        off += (len + 3) & ~3;
      }
    }
    return -5; // EIO: no acknowledgement
  } finally {
    n.close(fd);
  }
}
