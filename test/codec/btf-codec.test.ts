/**
 * BTF codecs against clang: a C fixture with every mapping rule, initialized
 * in C, compiled for both byte orders. Decoding clang's bytes must give the
 * values written in the C initializer, and encoding them back must give
 * clang's bytes exactly (bitfields, unions, padding included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBtf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import { btfTypeName, compileBtfCodec, CodecValueError, formatBtfJson } from '../../src/codec/index.js';
import { loadKernelBtf } from '../../src/btf/kernel.js';
import type { BtfSpec, BtfType } from '../../src/btf/types.js';
import { EbpfError, InvalidArgumentError } from '../../src/sys/errors.js';
import { clangOnly, compileC, GLOBAL, named } from './clang.js';

/** Shared test data, beside the repository (see /work/shared/testdata/README.md). */
const CILIUM_TESTDATA = new URL('../../../shared/testdata/cilium-ebpf/', import.meta.url).pathname;

const SOURCE = `
typedef unsigned int u32t;
typedef const volatile u32t cv_u32;
enum color { RED, GREEN = 5, BLUE = -1 };
enum big : unsigned long long { HUGE = 0xffffffffffffff00ULL, SMALL = 1 };
enum __attribute__((packed)) tiny { T0, T1 = 200 };
struct inner { unsigned short a; char tag[4]; };
struct fwd_only;
struct all {
  char name[8];
  char raw[4];
  unsigned char mac[6];
  signed char sc[2];
  _Bool b;
  enum color col, unknown_col;
  enum big bg;
  enum tiny tn;
  unsigned long long big;
  long long neg;
  unsigned int bf1:3, bf2:5;
  int sbf:4;
  enum color ebf:4;
  _Bool bbf:1;
  unsigned long long wide_bf:40;
  float f;
  double d;
  void *p;
  struct fwd_only *fp;
  struct inner in[2];
  union { int ui; unsigned char ub[4]; };
  struct { short x; short y; };
  union { int a; char s[4]; } named_u;
  unsigned __int128 wide;
  __int128 swide;
  cv_u32 q;
  int matrix[2][3];
};
${GLOBAL('g_all')} struct all g_all = {
  .name = "comm", .raw = {1, 2, 'x', -1}, .mac = {0, 1, 2, 0xfe, 0xff, 9}, .sc = {-128, 127},
  .b = 1, .col = GREEN, .unknown_col = 77, .bg = HUGE, .tn = T1,
  .big = 0xfedcba9876543210ULL, .neg = -5,
  .bf1 = 5, .bf2 = 17, .sbf = -3, .ebf = GREEN, .bbf = 1, .wide_bf = 0x123456789aULL,
  .f = 1.5f, .d = -2.25, .p = (void *)0x1234,
  .in = {{.a = 1, .tag = "ab"}, {.a = 65535, .tag = {'a', 'b', 'c', 'd'}}},
  .ui = -2, .x = -1, .y = 2, .named_u = {.s = "hi"},
  .wide = ((unsigned __int128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL, .swide = -7,
  .q = 4000000000U, .matrix = {{1, 2, 3}, {-4, -5, -6}},
};
int some_func(int a) { return a + 1; }
union first_member { unsigned int whole; struct { unsigned short lo, hi; }; };
${GLOBAL('g_union')} union first_member g_union = { .lo = 1, .hi = 2 };
`;

const EXPECTED = {
  name: 'comm',
  raw: [1, 2, 120, -1], // not a printable string → numbers (signed char)
  mac: [0, 1, 2, 0xfe, 0xff, 9], // unsigned char[] is never a string
  sc: [-128, 127], // signed char[] is not named "char": numbers, as bpftool
  b: true,
  col: 'GREEN',
  unknown_col: 77,
  bg: 'HUGE',
  tn: 'T1',
  big: 0xfedcba9876543210n,
  neg: -5n,
  bf1: 5,
  bf2: 17,
  sbf: -3,
  ebf: 'GREEN',
  bbf: true,
  wide_bf: 0x123456789an,
  f: 1.5,
  d: -2.25,
  p: 0x1234n,
  fp: 0n,
  in: [{ a: 1, tag: 'ab' }, { a: 65535, tag: [97, 98, 99, 100] }],
  ui: -2, // anonymous union flattened: every member decoded
  ub: [], // filled below per byte order
  x: -1, // anonymous struct flattened
  y: 2,
  named_u: { a: 0, s: 'hi' },
  wide: 0x0123456789abcdeffedcba9876543210n,
  swide: -7n,
  q: 4000000000,
  matrix: [[1, 2, 3], [-4, -5, -6]],
};

function typeId(btf: BtfSpec, name: string, kind: BtfType['kind']): number {
  return named(btf, name, kind).id;
}

for (const littleEndian of [true, false]) {
  const target = littleEndian ? 'bpfel' : 'bpfeb';
  test(`struct with every mapping rule decodes clang's bytes and encodes them back exactly (${target})`, clangOnly(), () => {
    const obj = compileC(SOURCE, littleEndian);
    const { bytes, typeId: id } = obj.global('g_all');
    const codec = compileBtfCodec<Record<string, unknown>>(obj.btf, id, { littleEndian });
    assert.equal(codec.size, bytes.length);
    assert.equal(codec.description, 'struct all');
    const got = codec.decode(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 0);
    const named_u_a = littleEndian ? 0x6968 : 0x68690000;
    const ub = littleEndian ? [0xfe, 0xff, 0xff, 0xff] : [0xff, 0xff, 0xff, 0xfe];
    assert.deepStrictEqual(got, { ...EXPECTED, ub, named_u: { a: named_u_a, s: 'hi' } });
    const again = new Uint8Array(codec.size).fill(0x5a);
    codec.encode(new DataView(again.buffer), 0, got);
    assert.deepEqual(again, bytes, 'encode(decode(clang bytes)) == clang bytes');
    // Encoding from friendly input: names or numbers for enums, strings or numbers for char arrays.
    const friendly = { ...got, col: 5, ebf: 5, raw: new Uint8Array([1, 2, 120, 255]), in: [{ a: 1, tag: [97, 98, 0, 0] }, { a: 65535, tag: [97, 98, 99, 100] }] };
    const fromFriendly = new Uint8Array(codec.size);
    codec.encode(new DataView(fromFriendly.buffer), 0, friendly);
    assert.deepEqual(fromFriendly, bytes);
  });

  test(`union encodes the first member given; bitfields are read-modify-write (${target})`, clangOnly(), () => {
    const obj = compileC(SOURCE, littleEndian);
    const { bytes, typeId: id } = obj.global('g_union');
    const u = compileBtfCodec<Record<string, unknown>>(obj.btf, id, { littleEndian });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const got = u.decode(view, 0);
    assert.deepStrictEqual(got, { whole: littleEndian ? 0x00020001 : 0x00010002, lo: 1, hi: 2 });
    const out = new Uint8Array(4);
    u.encode(new DataView(out.buffer), 0, { lo: 1, hi: 2 }); // the anonymous struct member
    assert.deepEqual(out, bytes);
    u.encode(new DataView(out.buffer), 0, { whole: got.whole, lo: 9 }); // first present wins
    assert.deepEqual(out, bytes);
    assert.throws(() => u.encode(new DataView(out.buffer), 0, {}), /value: expected an object with one of the union members whole, lo, hi/);
  });
}

test('BTF encode errors name the member path', clangOnly(), () => {
  const obj = compileC(SOURCE);
  const c = compileBtfCodec<Record<string, unknown>>(obj.btf, typeId(obj.btf, 'all', 'struct'));
  const good = c.decode(new DataView(new ArrayBuffer(c.size)), 0);
  const view = new DataView(new ArrayBuffer(c.size));
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ bf1: 8 }, /^value\.bf1: expected u3 \(0\.\.7\), got 8$/],
    [{ sbf: -9 }, /^value\.sbf: expected i4 \(-8\.\.7\)/],
    [{ col: 'PURPLE' }, /^value\.col: expected an enumerator name \(RED, GREEN, BLUE\) or i32/],
    [{ ebf: 'NOPE' }, /^value\.ebf: expected an enumerator name/],
    [{ name: 'much too long' }, /^value\.name: expected a string of at most 7 UTF-8 bytes without NUL, or an array of 8 bytes/],
    [{ mac: [1, 2, 3] }, /^value\.mac: expected an array of 6/],
    [{ name: [1, 2, 3, 4, 5, 6, 7, 256] }, /^value\.name\[7\]: expected a byte \(-128\.\.255\), got 256/],
    [{ mac: [1, 2, 3, 4, 5, 256] }, /^value\.mac\[5\]: expected u8 \(0\.\.255\), got 256/],
    [{ in: [{ a: 1, tag: 'ab' }, { a: -1, tag: 'x' }] }, /^value\.in\[1\]\.a: expected u16/],
    [{ wide: -1n }, /^value\.wide: expected u128/],
    [{ p: -1n }, /^value\.p: expected u64/],
    [{ b: 1 }, /^value\.b: expected bool/],
    [{ bbf: 1 }, /^value\.bbf: expected bool/],
    [{ wide_bf: 2n ** 40n }, /^value\.wide_bf: expected u40/],
    [{ q: -1 }, /^value\.q: expected u32/],
    [{ matrix: [[1, 2, 3], [1, 2]] }, /^value\.matrix\[1\]: expected an array of 3/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(() => c.encode(view, 0, { ...good, ...patch }), (e: unknown) => e instanceof CodecValueError && re.test(e.message), String(re));
  }
  assert.throws(() => c.encode(view, 0, { ...good, x: 'a' }, 'key'), (e: Error) => /^key\.x: expected i16/.test(e.message));
});

test('types without a value layout are rejected with a clear error', clangOnly(), () => {
  const obj = compileC(SOURCE);
  const btf = obj.btf;
  const fwd = btf.typesByName('fwd_only').find((t) => t.kind === 'fwd')!;
  assert.throws(() => compileBtfCodec(btf, fwd.id), /btf codec for \[\d+\] struct fwd_only: struct fwd_only is only forward-declared/);
  const withFwd = fakeBtf([
    { id: 1, kind: 'fwd', name: 'fwd_only', fwdKind: 'struct' },
    { id: 2, kind: 'struct', name: 'user', size: 8, members: [{ name: 'x', type: 1, bitOffset: 0, bitfieldSize: 0 }] },
  ]);
  assert.throws(() => compileBtfCodec(withFwd, 2), /btf codec for \[2\] struct user\.x: struct fwd_only is only forward-declared/);
  assert.throws(() => compileBtfCodec(btf, 0), /void has no value layout/);
  const func = btf.typeByName('some_func', 'func')!;
  assert.throws(() => compileBtfCodec(btf, func.id), /func some_func is a function, not a value type/);
  assert.throws(() => compileBtfCodec(btf, func.type), /func_proto .* is a function/);
  assert.throws(() => compileBtfCodec(btf, 1_000_000), InvalidArgumentError);
});

test('codecs are cached per (btf, type id, byte order)', clangOnly(), () => {
  const obj = compileC(SOURCE);
  const id = typeId(obj.btf, 'all', 'struct');
  assert.equal(compileBtfCodec(obj.btf, id), compileBtfCodec(obj.btf, id));
  assert.notEqual(compileBtfCodec(obj.btf, id, { littleEndian: false }), compileBtfCodec(obj.btf, id));
  const u32 = compileBtfCodec<number>(obj.btf, typeId(obj.btf, 'u32t', 'typedef'));
  assert.equal(u32.size, 4);
  assert.equal(u32.description, 'u32t');
});

/** A tiny in-memory BtfSpec over a list of types, for fuzzing malformed graphs. */
function fakeBtf(types: BtfType[]): BtfSpec {
  const all: BtfType[] = [{ id: 0, kind: 'void', name: '' }, ...types];
  const byId = (id: number): BtfType => {
    const t = all[id];
    if (!t) throw new RangeError(`type id ${id} out of range`);
    return t;
  };
  const resolve = (id: number): BtfType => {
    let t = byId(id);
    for (let i = 0; i < 32 && 'type' in t && ['typedef', 'const', 'volatile', 'restrict', 'type_tag'].includes(t.kind); i++) t = byId(t.type);
    return t;
  };
  const spec: BtfSpec = {
    littleEndian: true,
    typeCount: all.length,
    base: undefined,
    firstTypeId: 1,
    typeById: byId,
    typesByName: (n) => all.filter((t) => t.name === n),
    typeByName: ((n: string, k: string) => all.find((t) => t.name === n && t.kind === k)) as BtfSpec['typeByName'],
    resolve,
    sizeof(id) {
      const t = resolve(id);
      if ('size' in t) return t.size;
      if (t.kind === 'ptr') return 8;
      if (t.kind === 'array') return t.nelems * spec.sizeof(t.elemType);
      throw new InvalidArgumentError('no size');
    },
    stringAt: () => '',
    raw: new Uint8Array(0),
  };
  return spec;
}

test('fuzz: arbitrary (malformed) BTF graphs compile or fail with a typed error; compiled codecs never crash', () => {
  const n = 6;
  const ref = fc.integer({ min: 0, max: n + 1 });
  const typeArb = (id: number): fc.Arbitrary<BtfType> =>
    fc.oneof(
      fc.record({ size: fc.constantFrom(0, 1, 2, 3, 4, 8, 16, 1 << 30), encoding: fc.integer({ min: 0, max: 7 }), bits: fc.integer({ min: 0, max: 130 }), bitOffset: fc.integer({ min: 0, max: 9 }) })
        .map((r) => ({ id, kind: 'int', name: 'i', ...r }) as BtfType),
      ref.map((type) => ({ id, kind: 'ptr', name: '', type }) as BtfType),
      fc.record({ elemType: ref, nelems: fc.constantFrom(0, 1, 3, 2 ** 31) }).map((r) => ({ id, kind: 'array', name: '', indexType: 1, ...r }) as BtfType),
      fc.record({
        kind: fc.constantFrom('struct' as const, 'union' as const),
        size: fc.integer({ min: 0, max: 40 }),
        members: fc.array(fc.record({ name: fc.constantFrom('', 'a', 'b', 'c'), type: ref, bitOffset: fc.integer({ min: 0, max: 400 }), bitfieldSize: fc.constantFrom(0, 0, 1, 5, 33, 70) }), { maxLength: 4 }),
      }).map((r) => ({ id, name: 's', ...r }) as BtfType),
      fc.record({ size: fc.constantFrom(1, 2, 3, 4, 8), signed: fc.boolean(), values: fc.array(fc.record({ name: fc.constantFrom('A', 'B'), value: fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }) }), { maxLength: 3 }) })
        .map((r) => ({ id, kind: 'enum', name: 'e', ...r }) as BtfType),
      fc.record({ kind: fc.constantFrom('typedef' as const, 'const' as const, 'volatile' as const, 'type_tag' as const), type: ref }).map((r) => ({ id, name: 't', ...r }) as BtfType),
      fc.constant({ id, kind: 'fwd', name: 'f', fwdKind: 'struct' } as BtfType),
      fc.record({ size: fc.constantFrom(2, 4, 8, 16) }).map((r) => ({ id, kind: 'float', name: 'fl', ...r }) as BtfType),
    );
  const graph = fc.tuple(...Array.from({ length: n }, (_, i) => typeArb(i + 1)));
  fc.assert(
    fc.property(graph, fc.integer({ min: 0, max: n + 1 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (types, root, junk) => {
      const btf = fakeBtf(types);
      // The bpftool-style formatter walks the same graph: valid JSON or a typed error.
      try {
        JSON.parse(formatBtfJson(btf, root, junk));
      } catch (e) {
        assert.ok(e instanceof EbpfError || e instanceof RangeError, `typed error from formatBtfJson, got ${String(e)}`);
      }
      let codec;
      try {
        codec = compileBtfCodec(btf, root);
      } catch (e) {
        assert.ok(e instanceof EbpfError, `typed error, got ${String(e)}`);
        return;
      }
      if (codec.size > 64) return;
      const view = new DataView(junk.buffer);
      const value = codec.decode(view, 0);
      codec.encode(new DataView(new ArrayBuffer(codec.size)), 0, value);
    }),
    { numRuns: 1500 },
  );
});

test('self-containing and exponentially expanding BTF fail fast with a typed error', () => {
  const m = (type: number) => ({ name: 'a', type, bitOffset: 0, bitfieldSize: 0 });
  const types: BtfType[] = [{ id: 1, kind: 'struct', name: 'loop', size: 4, members: [m(1), m(1)] }];
  for (let i = 2; i < 40; i++) types.push({ id: i, kind: 'struct', name: `z${i}`, size: 0, members: [m(i + 1), m(i + 1), m(i + 1), m(i + 1)] });
  types.push({ id: 40, kind: 'struct', name: 'leaf', size: 0, members: [] });
  const btf = fakeBtf(types);
  const t0 = Date.now();
  assert.throws(() => compileBtfCodec(btf, 1), /struct loop\.a: struct loop contains itself/);
  assert.throws(() => compileBtfCodec(btf, 2), /more than 100000 members and elements/);
  assert.ok(Date.now() - t0 < 5000);
});

test('real-world BTF: a sample of vmlinux structs and unions compile, and decode/encode round-trip', { skip: existsSync('/sys/kernel/btf/vmlinux') || process.env.CI ? false : 'no /sys/kernel/btf/vmlinux' }, () => {
  const btf = loadKernelBtf();
  const ids: number[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    const k = btf.typeById(id).kind;
    if (k === 'struct' || k === 'union') ids.push(id);
  }
  // Every 40th composite (~300 of ~13k): all of them pass too, in ~50 s.
  const sample = ids.filter((_, i) => i % 40 === 0);
  for (const id of [...sample, named(btf, 'task_struct', 'struct').id, named(btf, 'sk_buff', 'struct').id]) {
    const c = compileBtfCodec<unknown>(btf, id);
    const name = btfTypeName(btf, id);
    // All-zero bytes decode to values that encode back to all-zero bytes.
    const zeros = new Uint8Array(c.size);
    const out = new Uint8Array(c.size).fill(0x55);
    c.encode(new DataView(out.buffer), 0, c.decode(new DataView(zeros.buffer), 0));
    assert.ok(out.every((b) => b === 0), name);
    // Whatever bytes are there, the decoded value is accepted by encode.
    const junk = new Uint8Array(c.size).map((_, i) => (i * 131 + id) & 255);
    c.encode(new DataView(out.buffer), 0, c.decode(new DataView(junk.buffer), 0));
  }
});

test("cilium/ebpf's test objects (both byte orders): every type compiles or fails typed; twins agree", { skip: existsSync(CILIUM_TESTDATA) || process.env.CI ? false : `no ${CILIUM_TESTDATA}` }, () => {
  const objects = readdirSync(CILIUM_TESTDATA, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('-el.elf') && existsSync(join(CILIUM_TESTDATA, f.replace(/-el\.elf$/, '-eb.elf'))));
  assert.ok(objects.length > 20, 'test objects present');
  let compiled = 0;
  for (const el of objects) {
    const twins = [el, el.replace(/-el\.elf$/, '-eb.elf')].map((f) => elfSections(new Uint8Array(readFileSync(join(CILIUM_TESTDATA, f)))).get('.BTF'));
    if (!twins[0] || !twins[1]) continue;
    const [le, be] = [parseBtf(twins[0]), parseBtf(twins[1])];
    assert.equal(le.typeCount, be.typeCount, el);
    for (let id = 1; id < le.typeCount; id++) {
      const kind = le.typeById(id).kind;
      if (kind === 'datasec') continue; // object-file datasecs carry no offsets yet (libbpf fixes them at load)
      let a;
      try {
        a = compileBtfCodec<unknown>(le, id, { littleEndian: true });
      } catch (e) {
        assert.ok(e instanceof InvalidArgumentError, `${el} [${id}]: ${String(e)}`);
        assert.throws(() => compileBtfCodec(be, id, { littleEndian: false }), InvalidArgumentError);
        continue;
      }
      const b = compileBtfCodec<unknown>(be, id, { littleEndian: false });
      assert.equal(a.size, b.size, `${el} [${id}]`);
      const zeros = new DataView(new ArrayBuffer(a.size));
      const va = a.decode(zeros, 0);
      assert.deepStrictEqual(b.decode(zeros, 0), va, `${el} [${id}]`);
      // A value encoded big-endian by the eb twin's codec decodes back the same.
      const pattern = new Uint8Array(a.size).map((_, i) => (i * 37 + 11) & 255);
      const v = a.decode(new DataView(pattern.buffer), 0);
      const out = new DataView(new ArrayBuffer(b.size));
      b.encode(out, 0, v);
      a.encode(new DataView(new ArrayBuffer(a.size)), 0, b.decode(out, 0));
      compiled++;
    }
  }
  assert.ok(compiled > 500, `compiled ${compiled} types`);
});
