/** Small byte helpers for the emulator's hot paths (no allocation). */

/** Copy `n` bytes; a plain loop beats `set(subarray())` for the few bytes of typical keys and values. */
export function copyBytes(src: Uint8Array, so: number, dst: Uint8Array, d: number, n: number): void {
  if (n > 32) {
    dst.set(src.subarray(so, so + n), d);
    return;
  }
  for (let i = 0; i < n; i++) dst[d + i] = src[so + i]!;
}

export function zeroBytes(dst: Uint8Array, d: number, n: number): void {
  if (n > 32) {
    dst.fill(0, d, d + n);
    return;
  }
  for (let i = 0; i < n; i++) dst[d + i] = 0;
}

export function equalBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** A u32 in host (little-endian) order. */
export function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/**
 * GET_NEXT_KEY of index-keyed maps (array_map_get_next_key(), dev_map_get_next_key(),
 * cpu_map_get_next_key()): no key, or a missing/out-of-range one, restarts at index 0;
 * the last index ends the walk with ENOENT. Returns 0 or -ENOENT (2).
 */
export function arrayNextKey(max: number, k: Uint8Array | null, ko: number, out: Uint8Array, oo: number): number {
  const index = k ? readU32(k, ko) : 0xffffffff;
  if (index >= max) {
    writeU32(out, oo, 0);
    return 0;
  }
  if (index === max - 1) return -2;
  writeU32(out, oo, index + 1);
  return 0;
}
