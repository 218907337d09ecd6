/**
 * Bytes as text, the way bpftool prints them, so output can be compared and
 * scripts keep working:
 *
 *   plain (fprint_hex):  "01 02 03 04 05 06 07 08  09 0a 0b 0c 0d 0e 0f 10\n11 12"
 *                        one space between bytes, two after every 8th, a new line after every 16th
 *   JSON:                ["0x01","0x02"]
 */

/** Two lower-case hex digits per byte, bpftool's plain layout (see the file comment). */
export function hexBlock(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) s += i % 16 === 0 ? '\n' : i % 8 === 0 ? '  ' : ' ';
    s += HEX[bytes[i]!];
  }
  return s;
}

/** bpftool's JSON byte array: `["0x01","0x00"]`. */
export function hexJson(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n === 0) return '[]';
  let s = '[' + QUOTED[bytes[0]!];
  for (let i = 1; i < n; i++) s += ',' + QUOTED[bytes[i]!];
  return s + ']';
}

/** `01 00 00 00` on one line, for messages. */
export function hexInline(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => HEX[b]).join(' ');
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const QUOTED: readonly string[] = HEX.map((h) => `"0x${h}"`);

const QUOTED_BYTES: readonly Buffer[] = QUOTED.map((q) => Buffer.from(q, 'latin1'));

function ascii(buf: Buffer, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

function hexArrayInto(buf: Buffer, pos: number, bytes: Uint8Array): number {
  buf[pos++] = 0x5b; // [
  for (let i = 0; i < bytes.length; i++) {
    if (i) buf[pos++] = 0x2c; // ,
    QUOTED_BYTES[bytes[i]!]!.copy(buf, pos);
    pos += 6;
  }
  buf[pos++] = 0x5d; // ]
  return pos;
}

/**
 * Write one bpftool -j dump entry, `{"key":[...],"value":[...]}` or the per-CPU
 * `{"key":[...],"values":[{"cpu":0,"value":[...]},...]}`, as ASCII into `buf`
 * at `pos` and return the new position. The caller makes room:
 * 32 + 7 per key byte + per value (40 + 7 per byte) is enough.
 */
export function writeHexEntry(buf: Buffer, pos: number, key: Uint8Array, value: Uint8Array | undefined, values?: readonly Uint8Array[]): number {
  pos = ascii(buf, pos, '{"key":');
  pos = hexArrayInto(buf, pos, key);
  if (values) {
    pos = ascii(buf, pos, ',"values":[');
    for (let c = 0; c < values.length; c++) {
      pos = ascii(buf, pos, `${c ? ',' : ''}{"cpu":${c},"value":`);
      pos = hexArrayInto(buf, pos, values[c]!);
      buf[pos++] = 0x7d; // }
    }
    buf[pos++] = 0x5d; // ]
  } else {
    pos = ascii(buf, pos, ',"value":');
    pos = hexArrayInto(buf, pos, value!);
  }
  buf[pos++] = 0x7d; // }
  return pos;
}
