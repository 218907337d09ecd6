/**
 * 64-bit integer access for generated codecs. `DataView.getBigUint64` and
 * `setBigUint64` are slow builtins in Node 20's V8 (~30 and ~20 ns); storing
 * or loading a `BigUint64Array` element is compiled inline. So a 64-bit field
 * moves through an 8-byte scratch array as two 32-bit words, which works at
 * any offset and in either byte order. Measured in bench/codec-bench.ts.
 */
const S64 = new BigUint64Array(1);
const I64 = new BigInt64Array(S64.buffer);
const S32 = new Uint32Array(S64.buffer);
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index in `S32` of the scratch value's low and high 32-bit words. */
const LO = HOST_LE ? 0 : 1;
const HI = 1 - LO;

function loadLE(v: DataView, o: number): void {
  S32[LO] = v.getUint32(o, true);
  S32[HI] = v.getUint32(o + 4, true);
}

function loadBE(v: DataView, o: number): void {
  S32[HI] = v.getUint32(o, false);
  S32[LO] = v.getUint32(o + 4, false);
}

function storeLE(v: DataView, o: number): void {
  v.setUint32(o, S32[LO]!, true);
  v.setUint32(o + 4, S32[HI]!, true);
}

function storeBE(v: DataView, o: number): void {
  v.setUint32(o, S32[HI]!, false);
  v.setUint32(o + 4, S32[LO]!, false);
}

export function getU64LE(v: DataView, o: number): bigint { loadLE(v, o); return S64[0]!; }
export function getU64BE(v: DataView, o: number): bigint { loadBE(v, o); return S64[0]!; }
export function getI64LE(v: DataView, o: number): bigint { loadLE(v, o); return I64[0]!; }
export function getI64BE(v: DataView, o: number): bigint { loadBE(v, o); return I64[0]!; }

/** `x` must already be checked to be in range (u64 or i64): the scratch store would wrap it silently. */
export function setU64LE(v: DataView, o: number, x: bigint): void { S64[0] = x; storeLE(v, o); }
export function setU64BE(v: DataView, o: number, x: bigint): void { S64[0] = x; storeBE(v, o); }
export function setI64LE(v: DataView, o: number, x: bigint): void { I64[0] = x; storeLE(v, o); }
export function setI64BE(v: DataView, o: number, x: bigint): void { I64[0] = x; storeBE(v, o); }

/** The getter for a 64-bit field of this signedness and byte order. */
export function int64Getter(signed: boolean, le: boolean): (v: DataView, o: number) => bigint {
  return signed ? (le ? getI64LE : getI64BE) : (le ? getU64LE : getU64BE);
}

/** The setter for a 64-bit field of this signedness and byte order. */
export function int64Setter(signed: boolean, le: boolean): (v: DataView, o: number, x: bigint) => void {
  return signed ? (le ? setI64LE : setI64BE) : (le ? setU64LE : setU64BE);
}
