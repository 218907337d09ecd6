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
  let s = '[';
  for (let i = 0; i < bytes.length; i++) s += (i ? ',"0x' : '"0x') + HEX[bytes[i]!] + '"';
  return s + ']';
}

/** `01 00 00 00` on one line, for messages. */
export function hexInline(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => HEX[b]).join(' ');
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
