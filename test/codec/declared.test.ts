import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import fc from 'fast-check';
import { codecFor, compileTypeDecl, CodecValueError, structOffsets } from '../../src/codec/index.js';
import type { Codec } from '../../src/codec/codec.js';
import type { TypeDecl } from '../../src/codec/declared-types.js';
import { InvalidArgumentError } from '../../src/sys/errors.js';
import { asDecl, declAndValueArb } from './arbitraries.js';

const LE = endianness() === 'LE';

function roundTrip<T>(codec: Codec<T>, value: T, fill = 0xa5): { bytes: Uint8Array; back: T } {
  const bytes = new Uint8Array(codec.size + 3).fill(fill);
  const view = new DataView(bytes.buffer, 3); // odd offset: DataView writes are unaligned-safe
  codec.encode(view, 0, value);
  return { bytes: bytes.subarray(3), back: codec.decode(view, 0) };
}

function throwsCodec(fn: () => void, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecValueError, `expected CodecValueError, got ${String(e)}`);
    assert.ok(e instanceof InvalidArgumentError);
    assert.equal(e.code, 'EINVAL');
    assert.match(e.message, message);
    return true;
  });
}

test('scalars: sizes, host byte order and boundaries', () => {
  const cases: [TypeDecl, number, unknown[], (v: DataView) => unknown][] = [
    ['u8', 1, [0, 255], (v) => v.getUint8(0)],
    ['i8', 1, [-128, 127], (v) => v.getInt8(0)],
    ['u16', 2, [0, 65535, 0x1234], (v) => v.getUint16(0, LE)],
    ['i16', 2, [-32768, 32767], (v) => v.getInt16(0, LE)],
    ['u32', 4, [0, 0xffffffff, 0x12345678], (v) => v.getUint32(0, LE)],
    ['i32', 4, [-(2 ** 31), 2 ** 31 - 1], (v) => v.getInt32(0, LE)],
    ['u64', 8, [0n, 2n ** 64n - 1n, 0x0102030405060708n], (v) => v.getBigUint64(0, LE)],
    ['i64', 8, [-(2n ** 63n), 2n ** 63n - 1n], (v) => v.getBigInt64(0, LE)],
    ['f32', 4, [1.5, -0.25, Infinity], (v) => v.getFloat32(0, LE)],
    ['f64', 8, [Math.PI, -0, Number.MAX_VALUE], (v) => v.getFloat64(0, LE)],
  ];
  for (const [decl, size, values, read] of cases) {
    const c = codecFor(decl);
    assert.equal(c.size, size, String(decl));
    assert.equal(c.align, size);
    for (const value of values) {
      const { bytes, back } = roundTrip(c, value);
      assert.deepEqual(back, value);
      assert.deepEqual(read(new DataView(bytes.buffer, bytes.byteOffset)), value, `${String(decl)} ${String(value)} in host order`);
    }
  }
  const b = codecFor<boolean>('bool');
  assert.equal(roundTrip(b, true).bytes[0], 1);
  assert.equal(roundTrip(b, false).bytes[0], 0);
  assert.equal(b.decode(new DataView(new Uint8Array([7]).buffer), 0), true, 'any non-zero byte is true');
});

test('u64/i64 accept safe-integer numbers and decode to bigint', () => {
  assert.equal(roundTrip(codecFor('u64'), 42).back, 42n);
  assert.equal(roundTrip(codecFor('i64'), -42).back, -42n);
  throwsCodec(() => roundTrip(codecFor('u64'), 2 ** 53), /value: expected u64 \(0\.\.18446744073709551615\) as a bigint or safe integer, got 9007199254740992/);
  throwsCodec(() => roundTrip(codecFor('u64'), 2n ** 64n), /got 18446744073709551616n/);
  throwsCodec(() => roundTrip(codecFor('i64'), 2n ** 63n), /expected i64/);
  throwsCodec(() => roundTrip(codecFor('u64'), '1'), /got string "1"/);
});

test('integers are range- and type-checked with the expected range in the message', () => {
  throwsCodec(() => roundTrip(codecFor('u8'), 256), /^value: expected u8 \(0\.\.255\), got 256$/);
  throwsCodec(() => roundTrip(codecFor('u8'), -1), /got -1$/);
  throwsCodec(() => roundTrip(codecFor('i8'), 128), /expected i8 \(-128\.\.127\)/);
  throwsCodec(() => roundTrip(codecFor('u16'), 1.5), /got 1\.5/);
  throwsCodec(() => roundTrip(codecFor('u32'), 2 ** 32), /expected u32 \(0\.\.4294967295\)/);
  throwsCodec(() => roundTrip(codecFor('i32'), NaN), /got NaN/);
  throwsCodec(() => roundTrip(codecFor('u32'), 5n), /got 5n/);
  throwsCodec(() => roundTrip(codecFor('u32'), '5'), /got string "5"/);
  throwsCodec(() => roundTrip(codecFor('u32'), undefined), /got undefined \(missing\)/);
  throwsCodec(() => roundTrip(codecFor('u32'), true), /got true/);
  throwsCodec(() => roundTrip(codecFor('bool'), 1), /expected bool \(true or false\), got 1/);
  throwsCodec(() => roundTrip(codecFor('f64'), 1n), /expected f64 \(a number\), got 1n/);
});

test('errors name the field path and the caller-given root name', () => {
  const c = compileTypeDecl({ struct: [['flow', { struct: [['sport', 'u16'], ['dport', 'u16']] }], ['ips', { array: 'u32', length: 2 }]] });
  throwsCodec(() => c.encode(new DataView(new ArrayBuffer(c.size)), 0, { flow: { sport: 70000, dport: 1 }, ips: [1, 2] }),
    /^value\.flow\.sport: expected u16 \(0\.\.65535\), got 70000$/);
  throwsCodec(() => c.encode(new DataView(new ArrayBuffer(c.size)), 0, { flow: { sport: 1, dport: 1 }, ips: [1, -2] }, 'key'),
    /^key\.ips\[1\]: expected u32/);
  throwsCodec(() => c.encode(new DataView(new ArrayBuffer(c.size)), 0, { flow: { sport: 1 }, ips: [1, 2] }), /^value\.flow\.dport: .*got undefined \(missing\)/);
  throwsCodec(() => c.encode(new DataView(new ArrayBuffer(c.size)), 0, { flow: null, ips: [1, 2] }), /^value\.flow: expected an object, got null/);
  throwsCodec(() => c.encode(new DataView(new ArrayBuffer(c.size)), 0, { flow: { sport: 1, dport: 1 }, ips: [1] }), /^value\.ips: expected an array of 2, got an array of 1/);
  throwsCodec(() => c.encode(new DataView(new ArrayBuffer(c.size)), 0, 7), /^value: expected an object, got 7/);
});

test('bytes: exact length Uint8Array, decoded as a copy', () => {
  const c = codecFor<Uint8Array>({ bytes: 6 });
  const mac = new Uint8Array([0, 1, 2, 0xfe, 0xff, 9]);
  const { bytes, back } = roundTrip(c, mac);
  assert.deepEqual([...bytes], [...mac]);
  assert.deepEqual(back, mac);
  bytes[0] = 99;
  assert.equal(back[0], 0, 'decode copies');
  throwsCodec(() => roundTrip(c, new Uint8Array(5)), /expected a Uint8Array of exactly 6 bytes, got a Uint8Array of 5 bytes/);
  throwsCodec(() => roundTrip(c, [0, 1, 2, 3, 4, 5] as unknown as Uint8Array), /got an array of 6/);
  const big = codecFor<Uint8Array>({ bytes: 40 });
  const data = new Uint8Array(40).map((_, i) => i * 3);
  assert.deepEqual(roundTrip(big, data).back, data);
});

test('string: UTF-8, NUL-terminated and NUL-padded, at most N-1 bytes', () => {
  const c = codecFor<string>({ string: 8 });
  let r = roundTrip(c, 'abc');
  assert.deepEqual([...r.bytes], [0x61, 0x62, 0x63, 0, 0, 0, 0, 0]);
  assert.equal(r.back, 'abc');
  r = roundTrip(c, 'héllo'); // 6 bytes of UTF-8
  assert.deepEqual([...r.bytes], [...Buffer.from('héllo'), 0, 0]);
  assert.equal(r.back, 'héllo');
  assert.equal(roundTrip(c, '1234567').back, '1234567');
  assert.equal(roundTrip(c, '').back, '');
  throwsCodec(() => roundTrip(c, '12345678'), /^value: expected a string of at most 7 UTF-8 bytes without NUL, got string "12345678" \(8 chars\)/);
  throwsCodec(() => roundTrip(c, 'héllo!!'), /at most 7 UTF-8 bytes/); // 7 chars, 8 bytes
  throwsCodec(() => roundTrip(c, 'a\0b'), /without NUL/);
  throwsCodec(() => roundTrip(c, 'a\ud800'), /at most 7/); // lone surrogate cannot be UTF-8
  throwsCodec(() => roundTrip(c, 5 as unknown as string), /got 5/);
  // A full array without NUL (written by a BPF program) still decodes, to all N bytes.
  assert.equal(c.decode(new DataView(new Uint8Array(Buffer.from('abcdefgh')).buffer), 0), 'abcdefgh');
  // Invalid UTF-8 decodes with replacement characters rather than throwing.
  assert.equal(c.decode(new DataView(new Uint8Array([0xff, 0x41, 0, 0, 0, 0, 0, 0]).buffer), 0), '\ufffdA');
});

test('struct layout: natural alignment, tail padding, packed', () => {
  const decl: TypeDecl = { struct: [['a', 'u8'], ['b', 'u32'], ['c', 'u16'], ['d', 'u64'], ['e', 'u8']] };
  assert.deepEqual(structOffsets(decl).map((f) => f.offset), [0, 4, 8, 16, 24]);
  const c = compileTypeDecl(decl);
  assert.equal(c.size, 32);
  assert.equal(c.align, 8);
  const packed = compileTypeDecl({ struct: [['a', 'u8'], ['b', 'u32'], ['c', 'u16']], packed: true });
  assert.equal(packed.size, 7);
  assert.equal(packed.align, 1);
  // Nested struct aligned to its own alignment; arrays aligned to their element.
  const nested: TypeDecl = { struct: [['x', 'u8'], ['in', { struct: [['y', 'u8'], ['z', 'u16']] }], ['arr', { array: 'u32', length: 3 }], ['t', 'u8']] };
  assert.deepEqual(structOffsets(nested).map((f) => f.offset), [0, 2, 8, 20]);
  assert.equal(compileTypeDecl(nested).size, 24);
});

test('padding and tail bytes are written as zero', () => {
  const c = compileTypeDecl<Record<string, unknown>>({ struct: [['a', 'u8'], ['b', 'u64'], ['s', { string: 5 }], ['c', 'u16']] });
  const { bytes } = roundTrip(c, { a: 0xff, b: 0n, s: 'x', c: 0 }, 0xee);
  const expected = new Uint8Array(c.size);
  expected[0] = 0xff;
  expected[16] = 0x78;
  assert.deepEqual([...bytes], [...expected]);
});

test('a Codec is passed through, aligned by its `align`, and its errors get the field path', () => {
  const ipv4: Codec<string> = {
    size: 4,
    align: 4,
    description: 'ipv4',
    encode(view, offset, value, name = 'value') {
      const parts = typeof value === 'string' ? value.split('.').map(Number) : [];
      if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new CodecValueError(name, 'a dotted quad', value);
      parts.forEach((p, i) => view.setUint8(offset + i, p));
    },
    decode: (view, offset) => [0, 1, 2, 3].map((i) => view.getUint8(offset + i)).join('.'),
  };
  assert.equal(compileTypeDecl(ipv4), ipv4);
  const c = compileTypeDecl<Record<string, unknown>>({ struct: [['proto', 'u8'], ['addr', ipv4]] });
  assert.equal(c.size, 8);
  const { bytes, back } = roundTrip(c, { proto: 6, addr: '10.0.0.1' });
  assert.deepEqual([...bytes], [6, 0, 0, 0, 10, 0, 0, 1]);
  assert.deepEqual(back, { proto: 6, addr: '10.0.0.1' });
  throwsCodec(() => c.encode(new DataView(new ArrayBuffer(8)), 0, { proto: 6, addr: 'nope' }, 'key'), /^key\.addr: expected a dotted quad, got string "nope"/);
  // Without `align`, alignment is the largest power of two dividing the size.
  const six = compileTypeDecl({ struct: [['a', 'u8'], ['x', { ...ipv4, size: 6, align: undefined }]] });
  assert.equal(six.size, 8);
});

test('codecFor caches by name and by declaration object', () => {
  assert.equal(codecFor('u32'), codecFor('u32'));
  const decl: TypeDecl = { struct: [['a', 'u32']] };
  assert.equal(codecFor(decl), codecFor(decl));
  assert.notEqual(compileTypeDecl(decl), compileTypeDecl(decl));
});

test('malformed declarations are rejected with the place in the declaration', () => {
  const bad: [unknown, RegExp][] = [
    ['u31', /type declaration: unknown scalar type "u31"/],
    ['constructor', /unknown scalar type/],
    [{ bytes: 0 }, /bytes must be an integer from 1/],
    [{ string: 2.5 }, /string size must be an integer/],
    [{ array: 'u8', length: -1 }, /array length must be an integer from 0/],
    [{ array: 'u64', length: 2 ** 28 }, /larger than/],
    [{ struct: [['a', 'u8'], ['a', 'u16']] }, /duplicate struct field "a"/],
    [{ struct: [['', 'u8']] }, /non-empty name/],
    [{ struct: [['a', { struct: [['b', 'q8']] }]] }, /type declaration \.a\.b: unknown scalar type "q8"/],
    [{ struct: 'x' }, /array of \[name, type\] pairs/],
    [{ foo: 1 }, /expected a scalar name/],
    [null, /expected a scalar name/],
  ];
  for (const [decl, re] of bad) assert.throws(() => compileTypeDecl(decl as TypeDecl), (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message), String(re));
});

test('property: decode(encode(x)) == x for arbitrary declared types and values', () => {
  fc.assert(
    fc.property(declAndValueArb(), ([decl, value]) => {
      const c = compileTypeDecl(asDecl(decl));
      const { back } = roundTrip(c, value);
      assert.deepStrictEqual(back, value);
    }),
    { numRuns: 300 },
  );
});

test('property: encoding is deterministic whatever the buffer held (padding zeroed)', () => {
  fc.assert(
    fc.property(declAndValueArb(), fc.integer({ min: 0, max: 255 }), ([decl, value], fill) => {
      const c = compileTypeDecl(asDecl(decl));
      assert.deepEqual(roundTrip(c, value, fill).bytes, roundTrip(c, value, 0).bytes);
    }),
    { numRuns: 200 },
  );
});

test('property: encode never throws anything but CodecValueError on arbitrary JS values', () => {
  fc.assert(
    fc.property(declAndValueArb(), fc.anything({ withBigInt: true, withTypedArray: true, withNullPrototype: true }), ([decl], junk) => {
      const c = compileTypeDecl(asDecl(decl));
      try {
        c.encode(new DataView(new ArrayBuffer(c.size)), 0, junk);
      } catch (e) {
        assert.ok(e instanceof CodecValueError, String(e));
      }
    }),
    { numRuns: 300 },
  );
});

test('big-endian codecs write big-endian', () => {
  const c = compileTypeDecl<Record<string, unknown>>({ struct: [['a', 'u16'], ['b', 'u32'], ['c', 'u64']] }, { littleEndian: false });
  const { bytes, back } = roundTrip(c, { a: 0x0102, b: 0x03040506, c: 0x0708n });
  assert.deepEqual([...bytes], [1, 2, 0, 0, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 7, 8]);
  assert.deepEqual(back, { a: 0x0102, b: 0x03040506, c: 0x0708n });
});

test('a declaration reusing sub-objects cannot expand without bound', () => {
  let d: TypeDecl = { struct: [] };
  for (let i = 0; i < 40; i++) d = { struct: [['a', d], ['b', d], ['c', d]] };
  assert.throws(() => compileTypeDecl(d), /more than 100000 fields and elements/);
});

test('field names are data, never code: quotes, __proto__ and non-identifiers', () => {
  const c = compileTypeDecl<Record<string, unknown>>({ struct: [['__proto__', 'u8'], ['a"b\\', 'u8'], ['x\u2028y', 'u8'], ['constructor', 'u8']] });
  const value = JSON.parse('{"__proto__": 1, "a\\"b\\\\": 2, "x\\u2028y": 3, "constructor": 4}') as Record<string, unknown>;
  const { back } = roundTrip(c, value);
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(Object.entries(back), [['__proto__', 1], ['a"b\\', 2], ['x\u2028y', 3], ['constructor', 4]]);
});
