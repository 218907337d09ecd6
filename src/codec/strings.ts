/**
 * C strings in fixed-size char arrays (`char comm[16]`): UTF-8, terminated by
 * a NUL that must fit in the array, the rest NUL-padded. This is what libbpf,
 * bpftool and kernel helpers such as bpf_get_current_comm() produce and expect.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/**
 * Write `s` NUL-terminated and NUL-padded into `size` bytes at `at`.
 * Returns the number of string bytes, or -1 when the string needs more than
 * `size - 1` bytes, contains a NUL, or holds a lone surrogate (which UTF-8
 * cannot represent, so it would not read back the same).
 */
export function writeCString(v: DataView, at: number, size: number, s: string): number {
  const n = s.length;
  let i = 0;
  // ASCII fast path: one DataView write per character, no allocation.
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    if (c === 0 || i >= size - 1) return -1;
    v.setUint8(at + i, c);
  }
  if (i < n) {
    if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) return -1; // ES2024, in Node 20
    const bytes = encoder.encode(s);
    if (bytes.length > size - 1 || bytes.includes(0)) return -1;
    new Uint8Array(v.buffer, v.byteOffset + at, bytes.length).set(bytes);
    i = bytes.length;
  }
  const written = i;
  for (; i < size; i++) v.setUint8(at + i, 0);
  return written;
}

/** Read the NUL-terminated UTF-8 string in `size` bytes at `at` (all `size` bytes when there is no NUL). */
export function readCString(v: DataView, at: number, size: number): string {
  let end = 0;
  let ascii = true;
  for (; end < size; end++) {
    const c = v.getUint8(at + end);
    if (c === 0) break;
    if (c >= 0x80) ascii = false;
  }
  if (ascii && end <= 64) {
    let s = '';
    for (let i = 0; i < end; i++) s += String.fromCharCode(v.getUint8(at + i));
    return s;
  }
  return decoder.decode(new Uint8Array(v.buffer, v.byteOffset + at, end));
}

/**
 * Decode a BTF `char[size]` the way bpftool's formatted output does
 * (tools/bpf/bpftool/btf_dumper.c, is_str_array()): a string when a NUL
 * exists and every byte before it is printable ASCII (0x20..0x7e), otherwise
 * the array of numbers (signed for `char`/`signed char`).
 */
export function readChars(v: DataView, at: number, size: number, signed: boolean): string | number[] {
  for (let i = 0; i < size; i++) {
    const c = v.getUint8(at + i);
    if (c === 0) {
      let s = '';
      for (let j = 0; j < i; j++) s += String.fromCharCode(v.getUint8(at + j));
      return s;
    }
    if (c < 0x20 || c > 0x7e) break;
  }
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) out[i] = signed ? v.getInt8(at + i) : v.getUint8(at + i);
  return out;
}
