/**
 * The 64-bit field helpers of generated codecs (src/codec/int64.ts) agree with
 * DataView's own BigInt accessors, at every offset and in both byte orders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { int64Getter, int64Setter } from '../../src/codec/int64.ts';

test('int64 getters and setters match DataView.get/setBig(U)Int64 in both byte orders', () => {
  const buf = new DataView(new ArrayBuffer(24));
  const ref = new DataView(new ArrayBuffer(24));
  fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 16 }), fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }), (signed, le, off, raw) => {
    const x = signed ? BigInt.asIntN(64, raw) : BigInt.asUintN(64, raw);
    for (let i = 0; i < 24; i++) { buf.setUint8(i, 0xa5); ref.setUint8(i, 0xa5); }
    int64Setter(signed, le)(buf, off, x);
    if (signed) ref.setBigInt64(off, x, le);
    else ref.setBigUint64(off, x, le);
    assert.deepEqual(new Uint8Array(buf.buffer), new Uint8Array(ref.buffer));
    assert.equal(int64Getter(signed, le)(buf, off), x);
    assert.equal(int64Getter(signed, le)(ref, off), signed ? ref.getBigInt64(off, le) : ref.getBigUint64(off, le));
  }), { numRuns: 2000 });
});
