/**
 * Map benchmark (issue 2): single LOOKUP/UPDATE/DELETE and full dumps of one
 * 200,000-entry u32 -> u64 hash map, side by side in one process tree:
 *
 *   (a) C doing raw bpf(2) (bench/maps/c/bench.c, built here with `cc -O2`) — the floor
 *   (b) this library, raw (Uint8Array) and typed (u32/u64)
 *   (c) the npm `bpf` package (installed into bench/maps/node_modules), raw and typed
 *   (d) `bpftool -j map dump pinned ...` (spawned; wall time, and its CPU time from bash `times`)
 *
 * Every contender works on the SAME kernel map (the C program inherits its fd,
 * npm `bpf` dups it, bpftool opens its pin), with the same key pattern (keys
 * 0..OPS-1 in order, each present), so the kernel work per op is identical.
 * Runs are interleaved (run 1 of every contender, then run 2, ...) and the
 * median is reported, on two clocks: CPU time (what the comparison rests on:
 * it does not count time spent waiting for a CPU on a loaded machine) and wall
 * time. The process re-executes itself under `taskset` so that node, the C
 * program and bpftool all run on one CPU.
 *
 *   node --import tsx bench/maps/run.ts            # print the results
 *   node --import tsx bench/maps/run.ts --write    # and update docs/performance.md
 *
 * Env: BENCH_MAPS_N (map entries, default 200000), BENCH_MAPS_OPS (single ops per timed
 * pass, default 100000), BENCH_MAPS_RUNS (default 5), BENCH_MAPS_SLOW=1 (also time npm
 * `bpf`'s get_next_key iteration),
 * BENCH_MAPS_CPU (CPU to pin to, default the last one; `none` to not pin).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMap, openMap, type BatchCursor, type BpfMap } from '../../src/maps/index.js';
import { bpf } from '../../src/sys/bpf.js';
import { native } from '../../src/sys/native.js';
import { BPFFS_DIR } from '../../src/sys/fs.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const N = Number(process.env.BENCH_MAPS_N ?? 200_000);
const RUNS = Number(process.env.BENCH_MAPS_RUNS ?? 5);
// Single ops per timed pass: keys 0..OPS-1 of the N-entry map, each present.
const OPS = Math.min(N, Number(process.env.BENCH_MAPS_OPS ?? 100_000));
// Also time npm `bpf`'s default iteration (GET_NEXT_KEY + LOOKUP per entry, ~17x C batch: slow).
const SLOW = process.env.BENCH_MAPS_SLOW === '1';
const CPU = process.env.BENCH_MAPS_CPU ?? String(cpus().length - 1);
const BATCH = 8192;
const WRITE = process.argv.includes('--write');
const COMMAND = 'node --import tsx bench/maps/run.ts';

// ---- pin the whole process tree to one CPU ----------------------------------

if (CPU !== 'none' && !process.env.BENCH_MAPS_PINNED && hasCommand('taskset')) {
  const r = spawnSync('taskset', ['-c', CPU, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, BENCH_MAPS_PINNED: CPU },
  });
  process.exit(r.status ?? 1);
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// ---- helpers -------------------------------------------------------------------

/** One figure per run, on two clocks: wall time, and CPU time (user + system of the measured process). */
interface Sample { wall: number[]; cpu: number[]; sys: number[] }
const sample = (): Sample => ({ wall: [], cpu: [], sys: [] });
interface Time { wall: number; cpu: number; sys: number } // ns; sys = the kernel part of cpu

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// CPU time is process.cpuUsage(): every thread of this process (the JS thread,
// and GC/compiler helpers, which are real costs of the JS contenders).
function time(fn: () => void): Time {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) * 1000, sys: c.system * 1000 };
}

function push(s: Sample, t: Time, div: number): void {
  s.wall.push(t.wall / div);
  s.cpu.push(t.cpu / div);
  s.sys.push(t.sys / div);
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`bench/maps: sanity check failed: ${what}`);
}

const KEY_SUM = (N * (N - 1)) / 2; // keys 0..N-1
const VALUE_SUM = 3 * KEY_SUM; // value = key * 3
const OPS_VALUE_SUM = (3 * OPS * (OPS - 1)) / 2; // lookups of keys 0..OPS-1

// ---- setup: the C floor, the map, the npm package --------------------------------

const buildDir = join(here, '.build');
mkdirSync(buildDir, { recursive: true });
const cBin = join(buildDir, 'bench');
execFileSync('cc', ['-O2', '-Wall', '-o', cBin, join(here, 'c', 'bench.c')], { stdio: 'inherit' });

const raw = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: N, name: 'bench_maps' });
const typed = openMap({ fd: raw.fd }, { key: 'u32', value: 'u64' }) as BpfMap<number, bigint>;
const allKeys = Array.from({ length: N }, (_, i) => i);
const allValues = allKeys.map((k) => BigInt(k * 3));
function refill(count = N): void {
  check(typed.updateBatch(allKeys.slice(0, count), allValues.slice(0, count)) === count, 'refill');
}
refill();

interface NpmBpf {
  createMapRef(fd: number): { fd: number; keySize: number; valueSize: number; close(): void };
  RawMap: new (ref: unknown) => NpmRawMap;
  ConvMap: new (ref: unknown, k: unknown, v: unknown) => NpmConvMap;
  u32type: unknown;
}
interface NpmRawMap {
  get(k: Buffer): Buffer | undefined;
  set(k: Buffer, v: Buffer): unknown;
  delete(k: Buffer): boolean;
  getBatch(batchSize: number): Iterable<[Buffer, Buffer][]>;
  [Symbol.iterator](): Iterator<[Buffer, Buffer]>;
}
interface NpmConvMap {
  get(k: number): bigint | undefined;
  set(k: number, v: bigint): unknown;
  delete(k: number): boolean;
  getBatch(batchSize: number): Iterable<[number, bigint][]>;
  [Symbol.iterator](): Iterator<[number, bigint]>;
}

let npm: { raw: NpmRawMap; conv: NpmConvMap; version: string; close(): void } | undefined;
let npmProblem = '';
try {
  const req = createRequire(join(here, 'package.json'));
  const lib = req('bpf') as NpmBpf;
  const version = (req('bpf/package.json') as { version: string }).version;
  const ref = lib.createMapRef(raw.fd); // dups the fd
  // A u64 conversion as its README shows for doubles (it ships only u32type).
  const u64type = {
    parse: (buf: Buffer) => buf.readBigUInt64LE(0),
    format: (buf: Buffer, x: bigint) => buf.writeBigUInt64LE(x, 0),
  };
  npm = { raw: new lib.RawMap(ref), conv: new lib.ConvMap(ref, lib.u32type, u64type), version, close: () => ref.close() };
} catch (e) {
  npmProblem = `npm \`bpf\` not usable: ${(e as Error).message.split('\n')[0]} (run \`npm install --prefix bench/maps\`)`;
  console.error(npmProblem);
}

// ---- single-op passes: one function per contender and op keeps call sites monomorphic ----

const keyBuf = new Uint8Array(4);
const keyU32 = new Uint32Array(keyBuf.buffer);
const valBuf = new Uint8Array(8);
const valU32 = new Uint32Array(valBuf.buffer);
const nKeyBuf = Buffer.alloc(4);
const nValBuf = Buffer.alloc(8);

const low24 = (v: Uint8Array) => v[0]! | (v[1]! << 8) | (v[2]! << 16);

const libRaw = {
  lookup(): number {
    let sum = 0;
    for (let i = 0; i < OPS; i++) { keyU32[0] = i; sum += low24(raw.get(keyBuf)!); }
    return sum;
  },
  update(): number {
    for (let i = 0; i < OPS; i++) { keyU32[0] = i; valU32[0] = i * 3; valU32[1] = 0; raw.set(keyBuf, valBuf); }
    return 0;
  },
  delete(): number {
    let n = 0;
    for (let i = 0; i < OPS; i++) { keyU32[0] = i; if (raw.delete(keyBuf)) n++; }
    return n;
  },
};

// Raw lookups into a caller-owned buffer (lookupInto), as the C program and libbpf do;
// `get` above returns a fresh copy the caller owns, which costs an allocation per call.
const intoBuf = new Uint8Array(8);
const libRawInto = {
  lookup(): number {
    let sum = 0;
    for (let i = 0; i < OPS; i++) { keyU32[0] = i; if (raw.lookupInto(keyBuf, intoBuf)) sum += low24(intoBuf); }
    return sum;
  },
  update: libRaw.update,
  delete: libRaw.delete,
};

const libTyped = {
  lookup(): number {
    let sum = 0;
    for (let i = 0; i < OPS; i++) sum += Number(typed.get(i)!);
    return sum;
  },
  update(): number {
    for (let i = 0; i < OPS; i++) typed.set(i, allValues[i]!);
    return 0;
  },
  delete(): number {
    let n = 0;
    for (let i = 0; i < OPS; i++) if (typed.delete(i)) n++;
    return n;
  },
};

const npmRaw = {
  lookup(): number {
    const m = npm!.raw;
    let sum = 0;
    for (let i = 0; i < OPS; i++) { nKeyBuf.writeUInt32LE(i, 0); sum += low24(m.get(nKeyBuf)!); }
    return sum;
  },
  update(): number {
    const m = npm!.raw;
    for (let i = 0; i < OPS; i++) { nKeyBuf.writeUInt32LE(i, 0); nValBuf.writeUInt32LE(i * 3, 0); nValBuf.writeUInt32LE(0, 4); m.set(nKeyBuf, nValBuf); }
    return 0;
  },
  delete(): number {
    const m = npm!.raw;
    let n = 0;
    for (let i = 0; i < OPS; i++) { nKeyBuf.writeUInt32LE(i, 0); if (m.delete(nKeyBuf)) n++; }
    return n;
  },
};

const npmTyped = {
  lookup(): number {
    const m = npm!.conv;
    let sum = 0;
    for (let i = 0; i < OPS; i++) sum += Number(m.get(i)!);
    return sum;
  },
  update(): number {
    const m = npm!.conv;
    for (let i = 0; i < OPS; i++) m.set(i, allValues[i]!);
    return 0;
  },
  delete(): number {
    const m = npm!.conv;
    let n = 0;
    for (let i = 0; i < OPS; i++) if (m.delete(i)) n++;
    return n;
  },
};

// The floor of a call from JS: bare N-API calls, with and without a syscall.
const invalidAttr = new Uint8Array(new ArrayBuffer(32));
const addon = native();
const overhead = {
  napiNoSyscall(): number { let s = 0; for (let i = 0; i < OPS; i++) s += addon.pageSize(); return s; },
  napiBpfInvalid(): number { let s = 0; for (let i = 0; i < OPS; i++) s += addon.bpf(9999, invalidAttr); return s; },
  libBpfInvalid(): number { let s = 0; for (let i = 0; i < OPS; i++) s += bpf(9999, invalidAttr); return s; },
};

type Ops = typeof libRaw;
type Op = 'lookup' | 'update' | 'delete';
const C_NAME = 'C (raw syscalls)';
const contenders: [string, Ops][] = [['library raw', libRaw], ['library raw, lookupInto', libRawInto], ['library typed', libTyped]];
if (npm) contenders.push(['npm bpf raw', npmRaw], ['npm bpf typed', npmTyped]);

const single = new Map<string, Record<Op, Sample>>();
for (const name of [C_NAME, ...contenders.map(([n]) => n)]) single.set(name, { lookup: sample(), update: sample(), delete: sample() });
const floor: Record<string, Sample> = {
  'C: bpf(invalid cmd) syscall': sample(),
  'JS: N-API call without syscall (addon.pageSize())': sample(),
  'JS: N-API bpf(invalid cmd) (addon.bpf)': sample(),
  'JS: library bpf() chokepoint (invalid cmd)': sample(),
};

function jsPass(name: string, ops: Ops, recordIt: boolean): void {
  const s = single.get(name)!;
  let sum = 0, deleted = 0;
  const tl = time(() => { sum = ops.lookup(); });
  const tu = time(() => { ops.update(); });
  const td = time(() => { deleted = ops.delete(); });
  check(sum === OPS_VALUE_SUM, `${name} lookup checksum ${sum} != ${OPS_VALUE_SUM}`);
  check(deleted === OPS, `${name} deleted ${deleted} of ${OPS}`);
  refill(OPS);
  if (recordIt) { push(s.lookup, tl, OPS); push(s.update, tu, OPS); push(s.delete, td, OPS); }
}

type CTime = Time;
function cRun(args: string[]): Record<string, unknown> {
  // The map's fd becomes the child's fd 3: C works on the very same kernel map.
  const r = spawnSync(cBin, args, { stdio: ['ignore', 'pipe', 'inherit', raw.fd], encoding: 'utf8' });
  check(r.status === 0, `C ${args[0]} exited ${r.status}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function cPass(): void {
  const j = cRun(['single', '3', String(OPS)]) as Record<Op | 'invalid', CTime> & { checksum: string };
  check(Number(j.checksum) === OPS_VALUE_SUM, `C lookup checksum ${j.checksum}`);
  const s = single.get(C_NAME)!;
  for (const op of ['lookup', 'update', 'delete'] as const) push(s[op], j[op], 1);
  push(floor['C: bpf(invalid cmd) syscall']!, j.invalid, 1);
}

function floorPass(recordIt: boolean): void {
  const a = time(() => check(overhead.napiNoSyscall() > 0, 'pageSize'));
  const b = time(() => check(overhead.napiBpfInvalid() === -22 * OPS, 'addon bpf EINVAL'));
  const c = time(() => check(overhead.libBpfInvalid() === -22 * OPS, 'bpf() EINVAL'));
  if (recordIt) {
    push(floor['JS: N-API call without syscall (addon.pageSize())']!, a, OPS);
    push(floor['JS: N-API bpf(invalid cmd) (addon.bpf)']!, b, OPS);
    push(floor['JS: library bpf() chokepoint (invalid cmd)']!, c, OPS);
  }
}

const started = Date.now();
const loadBefore = loadavg()[0]!;
console.error(`bench/maps: N=${N}, OPS=${OPS}, runs=${RUNS}, pinned to CPU ${process.env.BENCH_MAPS_PINNED ?? 'none'}, load ${loadBefore.toFixed(1)}`);
// Warm-up: one untimed pass of everything (JIT, caches, the map's buckets).
for (const [name, ops] of contenders) jsPass(name, ops, false);
floorPass(false);
for (let run = 0; run < RUNS; run++) {
  cPass();
  for (const [name, ops] of contenders) jsPass(name, ops, true);
  floorPass(true);
  console.error(`  single ops: run ${run + 1}/${RUNS} done (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

// ---- dumps -----------------------------------------------------------------------

const dumps = new Map<string, Sample>();
function recordDump(name: string, t: Time): void {
  if (!dumps.has(name)) dumps.set(name, sample());
  push(dumps.get(name)!, t, 1e6); // ms
}

function cDump(mode: 'dump-batch' | 'dump-iter'): Time {
  const j = cRun(mode === 'dump-batch' ? [mode, '3', String(N), String(BATCH)] : [mode, '3', String(N)]) as
    { time: CTime; count: number; keySum: string; valueSum: string };
  check(j.count === N && Number(j.keySum) === KEY_SUM && Number(j.valueSum) === VALUE_SUM, `C ${mode} content`);
  return j.time;
}

function verifyPairs(name: string, count: number, keySum: number, valueSum: number): void {
  check(count === N && keySum === KEY_SUM && valueSum === VALUE_SUM, `${name}: ${count} entries, sums ${keySum}/${valueSum}`);
}

const jsDumps: [string, () => Time][] = [
  [`library raw dumpRaw(${BATCH})`, () => {
    let d!: ReturnType<typeof raw.dumpRaw>;
    const t = time(() => { d = raw.dumpRaw(BATCH); });
    const k = new Uint32Array(d.keys.buffer, d.keys.byteOffset, d.count);
    const v = new BigUint64Array(d.values.buffer, d.values.byteOffset, d.count);
    let ks = 0, vs = 0;
    for (let i = 0; i < d.count; i++) { ks += k[i]!; vs += Number(v[i]!); }
    verifyPairs('dumpRaw', d.count, ks, vs);
    return t;
  }],
  ['library typed [...map.entries()]', () => {
    let all!: [number, bigint][];
    const t = time(() => { all = [...typed.entries()]; });
    let ks = 0, vs = 0;
    for (const [k, v] of all) { ks += k; vs += Number(v); }
    verifyPairs('entries', all.length, ks, vs);
    return t;
  }],
  ['library typed map.dump()', () => {
    // Whole typed map as key and value arrays (LOOKUP_BATCH pages, decoded, concatenated).
    let d!: { keys: number[]; values: bigint[] };
    const t = time(() => { d = typed.dump(BATCH); });
    let ks = 0, vs = 0;
    for (let i = 0; i < d.keys.length; i++) { ks += d.keys[i]!; vs += Number(d.values[i]!); }
    verifyPairs('dump', d.keys.length, ks, vs);
    return t;
  }],
  [`library typed lookupBatch pages (${BATCH})`, () => {
    // The typed batch API: decoded key and value arrays per page, no per-entry generator step.
    const keys: number[] = [], values: bigint[] = [];
    const t = time(() => {
      let cursor: BatchCursor | undefined;
      do {
        const page = typed.lookupBatch({ cursor, count: BATCH });
        for (let i = 0; i < page.keys.length; i++) { keys.push(page.keys[i]!); values.push(page.values[i]!); }
        cursor = page.cursor;
      } while (cursor);
    });
    let ks = 0, vs = 0;
    for (let i = 0; i < keys.length; i++) { ks += keys[i]!; vs += Number(values[i]!); }
    verifyPairs('lookupBatch', keys.length, ks, vs);
    return t;
  }],
];
if (npm) {
  const { raw: nr, conv: nc } = npm;
  const flat = <T>(it: Iterable<T[]>): T[] => { const out: T[] = []; for (const b of it) for (const e of b) out.push(e); return out; };
  const sumRaw = (all: [Buffer, Buffer][]) => {
    let ks = 0, vs = 0;
    for (const [k, v] of all) { ks += k.readUInt32LE(0); vs += Number(v.readBigUInt64LE(0)); }
    return [ks, vs] as const;
  };
  const sumTyped = (all: [number, bigint][]) => {
    let ks = 0, vs = 0;
    for (const [k, v] of all) { ks += k; vs += Number(v); }
    return [ks, vs] as const;
  };
  jsDumps.push(
    [`npm bpf raw getBatch(${BATCH})`, () => {
      let all!: [Buffer, Buffer][];
      const t = time(() => { all = flat(nr.getBatch(BATCH)); });
      verifyPairs('npm raw getBatch', all.length, ...sumRaw(all));
      return t;
    }],
    [`npm bpf typed getBatch(${BATCH})`, () => {
      let all!: [number, bigint][];
      const t = time(() => { all = flat(nc.getBatch(BATCH)); });
      verifyPairs('npm typed getBatch', all.length, ...sumTyped(all));
      return t;
    }],
  );
  if (SLOW) {
    jsDumps.push(['npm bpf typed [...map] (its default iteration: get_next_key + lookup)', () => {
      let all!: [number, bigint][];
      const t = time(() => { all = [...(nc as Iterable<[number, bigint]>)]; });
      verifyPairs('npm typed iterate', all.length, ...sumTyped(all));
      return t;
    }]);
  }
}

// bpftool needs the map pinned (map.pin() mounts bpffs when missing).
const pinPath = `${BPFFS_DIR}/ebpf_bench_maps_${process.pid}`;
const BPFTOOL = 'bpftool -j map dump (spawned)';
let bpftool = hasCommand('bpftool');
let bpftoolVersion = '';
if (bpftool) {
  try {
    raw.pin(pinPath);
    bpftoolVersion = execFileSync('bpftool', ['version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch (e) {
    console.error(`bpftool skipped: ${(e as Error).message}`);
    bpftool = false;
  }
}

/**
 * Wall time of spawning bpftool and reading all its output, as a Node user would;
 * its CPU time (user + system of the child) comes from bash's `times` builtin.
 */
function bpftoolDump(verify: boolean): Time {
  let out = '';
  let stderr = '';
  const t = time(() => {
    const r = spawnSync('bash', ['-c', 'bpftool -j map dump pinned "$1" && times >&2', 'bash', pinPath], { encoding: 'utf8', maxBuffer: 1 << 30 });
    check(r.status === 0, `bpftool exited ${r.status}: ${r.stderr}`);
    out = r.stdout;
    stderr = r.stderr;
  });
  // `times` prints the shell's then the children's "user system" times, e.g. "0m0.812s 0m0.104s".
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stderr.trim());
  check(m !== null, `bash times output: ${stderr}`);
  const cpu = (Number(m![1]) * 60 + Number(m![2]) + Number(m![3]) * 60 + Number(m![4])) * 1e9;
  if (verify) {
    const all = JSON.parse(out) as { key: string[]; value: string[] }[];
    const le = (bytes: string[]) => Number.parseInt(bytes.slice(0, 4).reverse().join('').replaceAll('0x', ''), 16);
    let ks = 0, vs = 0;
    for (const e of all) { ks += le(e.key); vs += le(e.value); }
    verifyPairs('bpftool', all.length, ks, vs);
  }
  return { wall: t.wall, cpu, sys: Number.NaN };
}

try {
  // Warm-up, untimed; also checks every contender returns all N entries with the right content.
  cDump('dump-batch');
  for (const [, f] of jsDumps) f();
  if (bpftool) bpftoolDump(true);
  for (let run = 0; run < RUNS; run++) {
    recordDump(`C LOOKUP_BATCH(${BATCH})`, cDump('dump-batch'));
    recordDump('C GET_NEXT_KEY + LOOKUP', cDump('dump-iter'));
    for (const [name, f] of jsDumps) recordDump(name, f());
    if (bpftool) recordDump(BPFTOOL, bpftoolDump(false));
    console.error(`  dumps: run ${run + 1}/${RUNS} done (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
} finally {
  if (bpftool && existsSync(pinPath)) unlinkSync(pinPath);
}

npm?.close();
typed.close();
raw.close();

// ---- report --------------------------------------------------------------------

const loadAfter = loadavg()[0]!;
const fmt = (x: number, d = 0) => x.toFixed(d);
const cell = (s: number[], ref: number[], d: number) =>
  `${fmt(median(s), d)} (${fmt(Math.min(...s), d)}–${fmt(Math.max(...s), d)}) | ${(median(s) / median(ref)).toFixed(2)}`;
const lines: string[] = [];
const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
const ccVersion = spawnSync('cc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
lines.push(`Command: \`${COMMAND}\` — ${RUNS} interleaved runs after one untimed warm-up; single ops: ${OPS.toLocaleString('en-US')} per pass over keys 0..${OPS - 1} of the ${N.toLocaleString('en-US')}-entry map; median (min–max); ${process.env.BENCH_MAPS_PINNED ? `everything pinned with \`taskset -c ${process.env.BENCH_MAPS_PINNED}\`` : 'not pinned'}; took ${((Date.now() - started) / 1000).toFixed(0)} s.`);
lines.push('');
lines.push(`Machine: Linux ${release()}, ${cpuModel} × ${cpus().length}, Node ${process.version}, ${ccVersion}, ${bpftoolVersion || 'bpftool not found'}, npm \`bpf\` ${npm?.version ?? `not run (${npmProblem})`}; 1-min load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after. ${new Date().toISOString().slice(0, 16)}Z.`);
for (const clock of ['cpu', 'wall'] as const) {
  const label = clock === 'cpu' ? 'CPU time (user + system of the measuring process)' : 'wall time';
  lines.push('');
  lines.push(`**Single operations on a present key, ns/op, ${label}; × = ratio to C:**`);
  lines.push('');
  lines.push('| contender | lookup | × C | update | × C | delete | × C |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  const c = single.get(C_NAME)!;
  for (const [name, s] of single) {
    lines.push(`| ${name} | ${cell(s.lookup[clock], c.lookup[clock], 0)} | ${cell(s.update[clock], c.update[clock], 0)} | ${cell(s.delete[clock], c.delete[clock], 0)} |`);
  }
  lines.push('');
  lines.push(`**Per-call floor, ns/call, ${label}; × = ratio to the C syscall:**`);
  lines.push('');
  lines.push('| call | ns/call | × C |');
  lines.push('|---|---:|---:|');
  const cf = floor['C: bpf(invalid cmd) syscall']![clock];
  for (const [name, s] of Object.entries(floor)) lines.push(`| ${name} | ${cell(s[clock], cf, 0)} |`);
  lines.push('');
  lines.push(`**Full dump of the ${N.toLocaleString('en-US')}-entry map, ms, ${label}; × = ratio to C LOOKUP_BATCH:**`);
  lines.push('');
  lines.push('| contender | ms | × C batch |');
  lines.push('|---|---:|---:|');
  const cb = dumps.get(`C LOOKUP_BATCH(${BATCH})`)![clock];
  for (const [name, s] of dumps) lines.push(`| ${name} | ${cell(s[clock], cb, 1)} |`);
}
{
  // Where a lookup's CPU time goes: user space (JS, N-API, libc) vs the kernel.
  lines.push('');
  lines.push('**Lookup CPU time split, ns/op (median): user space vs kernel:**');
  lines.push('');
  lines.push('| contender | total | user | kernel |');
  lines.push('|---|---:|---:|---:|');
  for (const [name, s] of single) {
    const user = s.lookup.cpu.map((c, i) => Math.max(0, c - s.lookup.sys[i]!));
    lines.push(`| ${name} | ${fmt(median(s.lookup.cpu))} | ${fmt(median(user))} | ${fmt(median(s.lookup.sys))} |`);
  }
}
const report = lines.join('\n');
console.log(report);

if (WRITE) {
  const doc = join(root, 'docs', 'performance.md');
  const BEGIN = '<!-- bench:maps:begin (generated by bench/maps/run.ts --write) -->';
  const END = '<!-- bench:maps:end -->';
  const block = `${BEGIN}\n${report}\n${END}`;
  let text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Performance\n\nEach section belongs to one area; every figure comes with the command that reproduces it.\n';
  const b = text.indexOf(BEGIN), e = text.indexOf(END);
  if (b >= 0 && e > b) text = text.slice(0, b) + block + text.slice(e + END.length);
  else text = `${text.trimEnd()}\n\n## Maps\n\n${block}\n`;
  writeFileSync(doc, text);
  console.error(`bench/maps: wrote ${doc}`);
}
