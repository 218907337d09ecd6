/**
 * Codec throughput: compiled codecs vs hand-written DataView code (the floor)
 * vs a closure-per-field codec (the alternative to generated code), in one run.
 *
 *   taskset -c 1 node --import tsx bench/codec-bench.ts
 *
 * Each case runs encode or decode on one scratch DataView, as the map layer
 * does, at offsets and with values that vary per iteration (so V8 cannot hoist
 * the work out of the loop); the best of 9 interleaved rounds is reported in million
 * operations per second. The timing loop is cloned per case (a unique
 * `new Function` source) so no case inherits another's type feedback.
 */
import { endianness } from 'node:os';
import { codecFor } from '../src/codec/index.js';
import type { TypeDecl } from '../src/codec/declared-types.js';

const LE = endianness() === 'LE';
const N = 2_000_000;
const ROUNDS = 9;
const sinkArr: unknown[] = new Array(8).fill(0);
let cases = 0;

/**
 * Times the implementations of one case side by side. Each gets its own copy
 * of the timing loop (a unique `new Function` source, so no implementation
 * inherits another's type feedback), results are stored where V8 cannot
 * prove them dead, and rounds alternate between implementations so machine
 * load hits all of them alike. Best round wins.
 */
function compare(kase: string, impls: [string, (i: number) => unknown][]): void {
  const loops = impls.map(([name, fn]) => {
    const loop = new Function('fn', 'n', 'out', `/* ${kase} ${name} ${++cases} */ for (let i = 0; i < n; i++) out[i & 7] = fn(i);`) as (f: typeof fn, n: number, out: unknown[]) => void;
    for (let k = 0; k < 5; k++) loop(fn, 200_000, sinkArr); // warm up: let V8 optimize
    return { name, fn, loop, best: Infinity };
  });
  for (let r = 0; r < ROUNDS; r++) {
    for (const l of loops) {
      const t0 = process.hrtime.bigint();
      l.loop(l.fn, N, sinkArr);
      l.best = Math.min(l.best, Number(process.hrtime.bigint() - t0));
    }
  }
  const floor = loops[0]!.best;
  for (const l of loops) row(kase, l.name, N / (l.best / 1e9) / 1e6, floor / l.best);
}

const view = new DataView(new ArrayBuffer(64));

type Flow = { src: number; dst: number; sport: number; dport: number; proto: number };
const flowDecl: TypeDecl = { struct: [['src', 'u32'], ['dst', 'u32'], ['sport', 'u16'], ['dport', 'u16'], ['proto', 'u8']] };

/** The alternative design: one closure per field, composed at run time. */
function closureStruct(fields: [string, 'u32' | 'u16' | 'u8', number][], size: number) {
  type Enc = (v: DataView, o: number, x: Record<string, unknown>) => void;
  type Dec = (v: DataView, o: number, out: Record<string, unknown>) => void;
  const encs: Enc[] = [];
  const decs: Dec[] = [];
  for (const [name, t, off] of fields) {
    const max = t === 'u32' ? 0xffffffff : t === 'u16' ? 0xffff : 0xff;
    const set = t === 'u32' ? (v: DataView, o: number, n: number) => v.setUint32(o, n, LE) : t === 'u16' ? (v: DataView, o: number, n: number) => v.setUint16(o, n, LE) : (v: DataView, o: number, n: number) => v.setUint8(o, n);
    const get = t === 'u32' ? (v: DataView, o: number) => v.getUint32(o, LE) : t === 'u16' ? (v: DataView, o: number) => v.getUint16(o, LE) : (v: DataView, o: number) => v.getUint8(o);
    encs.push((v, o, x) => {
      const n = x[name];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) throw new RangeError(name);
      set(v, o + off, n);
    });
    decs.push((v, o, out) => { out[name] = get(v, o + off); });
  }
  return {
    encode(v: DataView, o: number, x: Record<string, unknown>) {
      for (let i = 13; i < size; i++) v.setUint8(o + i, 0);
      for (const e of encs) e(v, o, x);
    },
    decode(v: DataView, o: number) {
      const out: Record<string, unknown> = {};
      for (const d of decs) d(v, o, out);
      return out;
    },
  };
}

function row(kase: string, impl: string, mops: number, vsFloor: number): void {
  console.log(`${kase.padEnd(22)} ${impl.padEnd(34)} ${mops.toFixed(1).padStart(8)} M ops/s  ${vsFloor.toFixed(2).padStart(6)} × floor speed`);
}

// u32
{
  const c = codecFor<number>('u32');
  compare('u32 encode', [
    ['hand-written DataView (floor)', (i) => view.setUint32((i & 7) * 4, i, LE)],
    ['codecFor("u32")', (i) => c.encode(view, (i & 7) * 4, i)],
  ]);
  compare('u32 decode', [
    ['hand-written DataView (floor)', (i) => view.getUint32((i & 7) * 4, LE)],
    ['codecFor("u32")', (i) => c.decode(view, (i & 7) * 4)],
  ]);
}
// u64
{
  const c = codecFor<bigint>('u64');
  const values = Array.from({ length: 1024 }, (_, i) => BigInt(i) * 0x100000001n);
  compare('u64 encode (bigint)', [
    ['hand-written DataView (floor)', (i) => view.setBigUint64((i & 7) * 8, values[i & 1023]!, LE)],
    ['codecFor("u64")', (i) => c.encode(view, (i & 7) * 8, values[i & 1023]!)],
  ]);
  compare('u64 encode (number)', [
    ['hand-written DataView (floor)', (i) => view.setBigUint64((i & 7) * 8, BigInt(i), LE)],
    ['codecFor("u64")', (i) => c.encode(view, (i & 7) * 8, i as unknown as bigint)],
  ]);
  compare('u64 decode', [
    ['hand-written DataView (floor)', (i) => view.getBigUint64((i & 7) * 8, LE)],
    ['codecFor("u64")', (i) => c.decode(view, (i & 7) * 8)],
  ]);
}
// 5-field struct (a flow key, 16 bytes with padding)
{
  const c = codecFor<Flow>(flowDecl);
  const closure = closureStruct([['src', 'u32', 0], ['dst', 'u32', 4], ['sport', 'u16', 8], ['dport', 'u16', 10], ['proto', 'u8', 12]], 16);
  const flows: Flow[] = Array.from({ length: 1024 }, (_, i) => ({ src: i * 7919, dst: i, sport: i & 0xffff, dport: 443, proto: 6 }));
  const handEncode = (v: DataView, o: number, x: Flow) => {
    v.setUint32(o, x.src, LE); v.setUint32(o + 4, x.dst, LE); v.setUint16(o + 8, x.sport, LE); v.setUint16(o + 10, x.dport, LE);
    v.setUint8(o + 12, x.proto); v.setUint8(o + 13, 0); v.setUint16(o + 14, 0);
  };
  const handDecode = (v: DataView, o: number): Flow => ({ src: v.getUint32(o, LE), dst: v.getUint32(o + 4, LE), sport: v.getUint16(o + 8, LE), dport: v.getUint16(o + 10, LE), proto: v.getUint8(o + 12) });
  compare('struct(5) encode', [
    ['hand-written DataView (floor)', (i) => handEncode(view, (i & 3) * 16, flows[i & 1023]!)],
    ['codecFor(struct) [generated code]', (i) => c.encode(view, (i & 3) * 16, flows[i & 1023]!)],
    ['closure per field (alternative)', (i) => closure.encode(view, (i & 3) * 16, flows[i & 1023]!)],
  ]);
  for (let k = 0; k < 4; k++) c.encode(view, k * 16, flows[k + 5]!);
  compare('struct(5) decode', [
    ['hand-written DataView (floor)', (i) => handDecode(view, (i & 3) * 16)],
    ['codecFor(struct) [generated code]', (i) => c.decode(view, (i & 3) * 16)],
    ['closure per field (alternative)', (i) => closure.decode(view, (i & 3) * 16)],
  ]);
}
console.log(`\nnode ${process.version}, ${N} ops per round, best of ${ROUNDS} interleaved rounds, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
