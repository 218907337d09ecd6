/** One scenario arbitrary per emulated map type: a spec (valid or not) and an operation sequence. */
import fc from 'fast-check';
import { F, T, keyedOps, keylessOps, poolKey, type OpDecoder, type Pick, type Scenario, type SpecLite } from './gen.js';

const u32hex = (n: number): string => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b.toString('hex');
};

const SEQ = { minLength: 500, maxLength: 1500 };

function arrayKeys(max: number): (p: Pick) => string {
  return (p) => u32hex(p.next() < 10 / 11 ? p.int(max + 3) : 0xffffffff);
}

function poolKeys(pool: number, size: number): (p: Pick) => string {
  const keys = Array.from({ length: pool }, (_, i) => poolKey(i, size));
  return (p) => keys[p.int(pool)]!;
}

function scenario(spec: fc.Arbitrary<SpecLite>, build: (s: SpecLite) => { ops: OpDecoder; mode: Scenario['mode'] }): fc.Arbitrary<Scenario> {
  return fc.tuple(spec, fc.array(fc.integer(), SEQ)).map(([s, seeds]) => {
    const { ops, mode } = build(s);
    return { spec: s, mode, ops: seeds.map(ops) };
  });
}

const access = fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(F.RDONLY, F.WRONLY, F.RDONLY_PROG, F.WRONLY_PROG) });

function percpuSize(type: number, valueSize: number, cpus: number): number {
  return type === T.percpu_array || type === T.percpu_hash || type === T.lru_percpu_hash ? Math.ceil(valueSize / 8) * 8 * cpus : valueSize;
}

export function arrayScenario(type: number, cpus: number): fc.Arbitrary<Scenario> {
  const spec = fc.record({
    type: fc.constant(type), keySize: fc.constant(4), valueSize: fc.constantFrom(1, 4, 8, 13, 64),
    maxEntries: fc.constantFrom(1, 4, 16, 64),
    flags: fc.tuple(access, type === T.array ? fc.constantFrom(0, 0, F.MMAPABLE) : fc.constant(0)).map(([a, b]) => a | b),
  });
  return scenario(spec, (s) => ({
    mode: 'exact',
    ops: keyedOps(arrayKeys(s.maxEntries), 4, percpuSize(type, s.valueSize, cpus), s.maxEntries, 4, 'exact', true),
  }));
}

export function hashScenario(type: number, cpus: number): fc.Arbitrary<Scenario> {
  const lru = type === T.lru_hash || type === T.lru_percpu_hash;
  const spec = fc.record({
    type: fc.constant(type),
    keySize: fc.constantFrom(1, 3, 4, 4, 8, 12, 16),
    valueSize: fc.constantFrom(1, 4, 8, 24),
    // LRU maps: far more room than keys, so the kernel never evicts (its victim choice is per-CPU and racy);
    // eviction is covered by the invariant test.
    maxEntries: lru ? fc.constant(1024) : fc.constantFrom(1, 4, 16, 64),
    flags: fc.tuple(access, fc.constantFrom(F.ZERO_SEED, F.ZERO_SEED, F.ZERO_SEED, 0), lru ? fc.constantFrom(0, F.NO_COMMON_LRU) : fc.constantFrom(0, F.NO_PREALLOC)).map(([a, b, c]) => a | b | c),
  });
  return scenario(spec, (s) => {
    const mode = s.flags & F.ZERO_SEED ? 'exact' : 'set';
    const pool = lru ? 40 : s.maxEntries * 2 + 2;
    return { mode, ops: keyedOps(poolKeys(pool, s.keySize), s.keySize, percpuSize(type, s.valueSize, cpus), lru ? 48 : s.maxEntries, 4, mode, true) };
  });
}

export function queueScenario(type: number): fc.Arbitrary<Scenario> {
  const spec = fc.record({ type: fc.constant(type), keySize: fc.constant(0), valueSize: fc.constantFrom(1, 4, 8, 20), maxEntries: fc.constantFrom(1, 3, 8, 32), flags: access });
  return scenario(spec, (s) => ({ mode: 'exact', ops: keylessOps(s.valueSize, false) }));
}

export function bloomScenario(): fc.Arbitrary<Scenario> {
  const spec = fc.record({
    type: fc.constant(T.bloom_filter as number), keySize: fc.constant(0), valueSize: fc.constantFrom(1, 3, 4, 8, 16),
    maxEntries: fc.constantFrom(1, 4, 16, 100), flags: access.map((a) => a | F.ZERO_SEED), mapExtra: fc.constantFrom(0, 1, 3, 7),
  });
  return scenario(spec, (s) => ({ mode: 'exact', ops: keylessOps(s.valueSize, true) }));
}

function lpmKeys(dataSize: number): (p: Pick) => string {
  // A few base patterns; prefixes of them overlap, nest and diverge. Bits past the prefix vary.
  const bases = Array.from({ length: 5 }, (_, i) => Buffer.from(poolKey(i + 1, dataSize), 'hex'));
  const max = dataSize * 8;
  return (p) => {
    const b = Buffer.alloc(4 + dataSize);
    const plen = p.next() < 0.04 ? max + 1 + p.int(3) : p.int(max + 1);
    b.writeUInt32LE(plen);
    bases[p.int(bases.length)]!.copy(b, 4);
    if (p.next() < 0.3) b[4 + p.int(dataSize)] ^= 1 << p.int(8);
    return b.toString('hex');
  };
}

export function lpmScenario(): fc.Arbitrary<Scenario> {
  const spec = fc.record({
    type: fc.constant(T.lpm_trie as number), keySize: fc.constantFrom(5, 6, 8, 8, 20), valueSize: fc.constantFrom(1, 4, 8),
    maxEntries: fc.constantFrom(1, 4, 16, 64), flags: fc.tuple(access, fc.constantFrom(F.NO_PREALLOC, F.NO_PREALLOC, F.NO_PREALLOC, 0)).map(([a, b]) => a | b),
  });
  return scenario(spec, (s) => ({ mode: 'exact', ops: keyedOps(lpmKeys(s.keySize - 4), s.keySize, s.valueSize, s.maxEntries, Math.max(4, s.keySize), 'exact', true) }));
}

const u32pair = (a: number, b: number, size: number): string => {
  const buf = Buffer.alloc(8);
  buf.writeUInt32LE(a >>> 0);
  buf.writeInt32LE(b | 0, 4);
  return buf.subarray(0, size).toString('hex');
};

/** devmap, devmap_hash, cpumap and prog_array: values are interface indexes, queue sizes or fds. */
export function objectScenario(type: number): fc.Arbitrary<Scenario> {
  const spec = fc.record({
    type: fc.constant(type), keySize: fc.constant(4),
    valueSize: type === T.prog_array ? fc.constantFrom(4, 4, 4, 8) : fc.constantFrom(4, 8, 8, 12),
    maxEntries: fc.constantFrom(1, 2, 4, 16),
    flags: access,
  });
  return scenario(spec, (s) => {
    const keys = type === T.devmap_hash ? (p: Pick) => u32hex(p.next() < 0.9 ? p.int(12) * 7 : 0xffffffff) : arrayKeys(s.maxEntries);
    const fd = (p: Pick) => p.one([0, 0, -1, 900_001 + p.int(100)]);
    const value = (p: Pick): string => {
      if (type === T.prog_array) return u32pair(900_001 + p.int(100), 0, s.valueSize);
      // Few valid queue sizes: each cpumap entry costs the kernel a kthread (slow to create and stop).
      if (type === T.cpumap) return u32pair(p.one([0, 0, 0, 1, 16384, 16385, 40000]), fd(p), s.valueSize);
      return u32pair(p.one([0, 1, 1, 2, 999, 1000]), fd(p), s.valueSize);
    };
    return { mode: 'exact', ops: keyedOps(keys, 4, s.valueSize, s.maxEntries, 4, 'exact', true, value) };
  });
}

export function ringbufScenario(): fc.Arbitrary<Scenario> {
  const spec = fc.record({
    type: fc.constant(T.ringbuf as number), keySize: fc.constantFrom(0, 0, 0, 4), valueSize: fc.constantFrom(0, 0, 0, 8),
    maxEntries: fc.constantFrom(4096, 8192, 4096 * 4, 4095, 6144), flags: fc.constantFrom(0, 0, 0, F.RDONLY, F.NUMA_NODE, F.MMAPABLE),
  });
  return scenario(spec, () => ({ mode: 'exact', ops: keylessOps(0, false) }));
}

/** Every map type under test, with its scenario arbitrary. */
export function allScenarios(cpus: number): Record<string, fc.Arbitrary<Scenario>> {
  return {
    array: arrayScenario(T.array, cpus),
    percpu_array: arrayScenario(T.percpu_array, cpus),
    hash: hashScenario(T.hash, cpus),
    percpu_hash: hashScenario(T.percpu_hash, cpus),
    lru_hash: hashScenario(T.lru_hash, cpus),
    lru_percpu_hash: hashScenario(T.lru_percpu_hash, cpus),
    queue: queueScenario(T.queue),
    stack: queueScenario(T.stack),
    bloom_filter: bloomScenario(),
    lpm_trie: lpmScenario(),
    prog_array: objectScenario(T.prog_array),
    devmap: objectScenario(T.devmap),
    devmap_hash: objectScenario(T.devmap_hash),
    cpumap: objectScenario(T.cpumap),
    ringbuf: ringbufScenario(),
  };
}
