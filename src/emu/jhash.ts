/**
 * Bob Jenkins' lookup3 hash as the kernel implements it (include/linux/jhash.h):
 * `jhash` over bytes and `jhash2` over 32-bit words. The emulator hashes keys
 * exactly as kernel/bpf/hashtab.c does (`htab_map_hash`: jhash2 when the key
 * length is a multiple of 4, else jhash, seeded with `hashrnd`), so a map
 * created with BPF_F_ZERO_SEED has the kernel's bucket layout and therefore its
 * iteration order. Words are read in host byte order, as the kernel does
 * (`__get_unaligned_cpu32`); this implementation reads little-endian, which is
 * the host order of every platform Node supports for this purpose (x86-64, arm64).
 *
 * All arithmetic wraps at 32 bits (`| 0`). Hashes are returned as int32 (the
 * same 32 bits as the kernel's u32; `>>> 0` gives the unsigned value) so hot
 * paths never box a number above 2^31.
 */

/** JHASH_INITVAL: an arbitrary start value. */
const INITVAL = 0xdeadbeef | 0;

function rol(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Hash `length` bytes of `bytes` from `offset` (kernel `jhash`). Returns the u32 as an int32. */
export function jhashBytes(bytes: Uint8Array, offset: number, length: number, seed: number): number {
  let a = (INITVAL + length + seed) | 0;
  let b = a;
  let c = a;
  let k = offset;
  while (length > 12) {
    a = (a + (bytes[k]! | (bytes[k + 1]! << 8) | (bytes[k + 2]! << 16) | (bytes[k + 3]! << 24))) | 0;
    b = (b + (bytes[k + 4]! | (bytes[k + 5]! << 8) | (bytes[k + 6]! << 16) | (bytes[k + 7]! << 24))) | 0;
    c = (c + (bytes[k + 8]! | (bytes[k + 9]! << 8) | (bytes[k + 10]! << 16) | (bytes[k + 11]! << 24))) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c | 0;
  // The tail: the kernel's fall-through switch on the remaining byte count.
  const n = length;
  if (n >= 12) c = (c + (bytes[k + 11]! << 24)) | 0;
  if (n >= 11) c = (c + (bytes[k + 10]! << 16)) | 0;
  if (n >= 10) c = (c + (bytes[k + 9]! << 8)) | 0;
  if (n >= 9) c = (c + bytes[k + 8]!) | 0;
  if (n >= 8) b = (b + (bytes[k + 7]! << 24)) | 0;
  if (n >= 7) b = (b + (bytes[k + 6]! << 16)) | 0;
  if (n >= 6) b = (b + (bytes[k + 5]! << 8)) | 0;
  if (n >= 5) b = (b + bytes[k + 4]!) | 0;
  if (n >= 4) a = (a + (bytes[k + 3]! << 24)) | 0;
  if (n >= 3) a = (a + (bytes[k + 2]! << 16)) | 0;
  if (n >= 2) a = (a + (bytes[k + 1]! << 8)) | 0;
  a = (a + bytes[k]!) | 0;
  return final(a, b, c);
}

/** Hash `words` u32 words of `w` from word index `index` (kernel `jhash2`). Returns the u32 as an int32. */
export function jhashWords(w: Int32Array, index: number, words: number, seed: number): number {
  let a = (INITVAL + (words << 2) + seed) | 0;
  let b = a;
  let c = a;
  let k = index;
  while (words > 3) {
    a = (a + w[k]!) | 0;
    b = (b + w[k + 1]!) | 0;
    c = (c + w[k + 2]!) | 0;
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    words -= 3;
    k += 3;
  }
  if (words === 0) return c | 0;
  if (words >= 3) c = (c + w[k + 2]!) | 0;
  if (words >= 2) b = (b + w[k + 1]!) | 0;
  a = (a + w[k]!) | 0;
  return final(a, b, c);
}

/** jhash2 of one word: the hot path of u32-keyed hash maps. */
export function jhashWord(x: number, seed: number): number {
  const iv = (INITVAL + 4 + seed) | 0;
  return final((iv + x) | 0, iv, iv);
}

/** __jhash_final */
function final(a: number, b: number, c: number): number {
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c;
}
