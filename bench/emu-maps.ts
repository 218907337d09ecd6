/**
 * Emulator speed, side by side in one run with JS `Map` and the kernel backend:
 *
 *   node --import tsx bench/emu-maps.ts
 *
 * u32 → u64 hash lookups and updates (BPF_ANY on present keys) over 1,024 and 65,536 keys,
 * and u32 array lookups, measured
 *   - through the backend API (write the key into `backend.key`, call
 *     `lookup(0)` / `update(0)`, read `backend.value`: what the map layer does), and
 *   - through the typed map API (`createMap({ key: 'u32', value: 'u64' })`: `get` / `set`),
 * against a JS `Map<number, bigint>` doing the same work and the kernel backend.
 * Each figure is operations per second of CPU time (process.cpuUsage, user + system:
 * the machine is shared, wall time measures waiting for a CPU), median of 5 rounds.
 */
import { createEmulatorBackend } from '../src/emu/index.js';
import { createMap, MapFlags } from '../src/index.js';
import type { MapBackend, MapDescriptor } from '../src/maps/backend.js';
import { KernelMapBackend } from '../src/maps/kernel-backend.js';
import { mapCreate } from '../src/sys/map-cmds.js';
import { bpfUnavailableReason } from '../test/helpers/kernel.js';

const SIZES = [1_024, 65_536];
let KEYS = 1_024;
const N = 2_000_000;
const ROUNDS = 5;

function descriptor(type: number, maxEntries: number): MapDescriptor {
  return { type, keySize: 4, valueSize: 8, maxEntries, flags: 0, name: 'bench', nCpus: 1, valueBufferSize: 8, id: 0, mapExtra: 0n, btfId: 0, btfKeyTypeId: 0, btfValueTypeId: 0 };
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** ops/s of CPU time, median of ROUNDS; `fn(n)` performs n operations. */
function measure(fn: (n: number) => void, n: number): number {
  fn(Math.min(n, 200_000)); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = cpuMicros();
    fn(n);
    rates.push(n / ((cpuMicros() - t) / 1e6));
  }
  return rates.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

function backendHash(b: MapBackend): { lookup: (n: number) => void; update: (n: number) => void } {
  const k = new Uint32Array(b.key.buffer, b.key.byteOffset, 1);
  // The u64 value is read and written as two u32 words, as a decoder of a number would.
  const v = new Uint32Array(b.value.buffer, b.value.byteOffset, 2);
  const keys = KEYS;
  for (let i = 0; i < keys; i++) {
    k[0] = i;
    v[0] = i;
    v[1] = 0;
    if (b.update(0) !== 0) throw new Error('fill failed');
  }
  return {
    lookup: (n) => {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        k[0] = i & (keys - 1);
        if (b.lookup(0) === 0) sum += v[0]!;
      }
      if (sum < 0) throw new Error('unreachable');
    },
    update: (n) => {
      for (let i = 0; i < n; i++) {
        k[0] = i & (keys - 1);
        v[0] = i;
        b.update(0);
      }
    },
  };
}

function backendArray(b: MapBackend): (n: number) => void {
  const k = new Uint32Array(b.key.buffer, b.key.byteOffset, 1);
  const v = new Uint32Array(b.value.buffer, b.value.byteOffset, 2);
  return (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      k[0] = i & 1023;
      if (b.lookup(0) === 0) sum += v[0]!;
    }
    if (sum < 0) throw new Error('unreachable');
  };
}

const rows: [string, string, number][] = [];
const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(1)} M/s` : `${(x / 1e3).toFixed(0)} k/s`);

for (const size of SIZES) {
  KEYS = size;
  const tag = `${size.toLocaleString('en-US')} keys`;
  // JS Map reference (numbers, like the backend rows; bigints, like the typed rows)
  {
    const m = new Map<number, number>();
    for (let i = 0; i < KEYS; i++) m.set(i, i);
    const keys = KEYS;
    rows.push([`hash lookup, ${tag}`, 'JS Map<number, number>.get', measure((n) => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += m.get(i & (keys - 1)) ?? 0;
      if (sum < 0) throw new Error('unreachable');
    }, N)]);
    rows.push([`hash update, ${tag}`, 'JS Map<number, number>.set', measure((n) => {
      for (let i = 0; i < n; i++) m.set(i & (keys - 1), i);
    }, N)]);
    const mb = new Map<number, bigint>();
    for (let i = 0; i < KEYS; i++) mb.set(i, BigInt(i));
    rows.push([`hash lookup, ${tag}`, 'JS Map<number, bigint>.get', measure((n) => {
      let c = 0;
      for (let i = 0; i < n; i++) if (mb.get(i & (keys - 1)) !== undefined) c++;
      if (c < 0) throw new Error('unreachable');
    }, N)]);
  }
  // Emulator, backend API
  {
    const h = backendHash(createEmulatorBackend(descriptor(1, KEYS)));
    rows.push([`hash lookup, ${tag}`, 'emulator backend.lookup', measure(h.lookup, N)]);
    rows.push([`hash update, ${tag}`, 'emulator backend.update', measure(h.update, N)]);
  }
  // Typed map API on the emulator
  {
    const m = createMap({ type: 'hash', key: 'u32', value: 'u64', maxEntries: KEYS }, { backend: 'emulator' });
    for (let i = 0; i < KEYS; i++) m.set(i, BigInt(i));
    const keys = KEYS;
    rows.push([`hash lookup, ${tag}`, 'emulator map.get (typed, bigint values)', measure((n) => {
      let c = 0;
      for (let i = 0; i < n; i++) if (m.get(i & (keys - 1)) !== undefined) c++;
      if (c < 0) throw new Error('unreachable');
    }, N)]);
    rows.push([`hash update, ${tag}`, 'emulator map.set (typed, bigint values)', measure((n) => {
      for (let i = 0; i < n; i++) m.set(i & (keys - 1), 7n);
    }, N)]);
    m.close();
  }
  // Kernel backend
  const why = bpfUnavailableReason();
  if (why === null) {
    const kh = new KernelMapBackend(mapCreate({ type: 1, keySize: 4, valueSize: 8, maxEntries: KEYS, name: 'bench' }), descriptor(1, KEYS));
    const h = backendHash(kh);
    rows.push([`hash lookup, ${tag}`, 'kernel backend.lookup (bpf syscall)', measure(h.lookup, N / 20)]);
    rows.push([`hash update, ${tag}`, 'kernel backend.update (bpf syscall)', measure(h.update, N / 20)]);
    kh.close();
  } else if (size === SIZES[0]) {
    console.log(`(kernel rows skipped: ${why})`);
  }
}

// Arrays: 1,024 u64 values
{
  const arr = new Float64Array(1024);
  rows.push(['array lookup', 'JS Float64Array[i]', measure((n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += arr[i & 1023]!;
    if (sum < 0) throw new Error('unreachable');
  }, N * 5)]);
  rows.push(['array lookup', 'emulator backend.lookup', measure(backendArray(createEmulatorBackend(descriptor(2, 1024))), N * 5)]);
  const a = createMap({ type: 'array', key: 'u32', value: 'u64', maxEntries: 1024 }, { backend: 'emulator' });
  rows.push(['array lookup', 'emulator map.get (typed, bigint values)', measure((n) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (a.get(i & 1023) !== undefined) c++;
    if (c < 0) throw new Error('unreachable');
  }, N)]);
  a.close();
  if (bpfUnavailableReason() === null) {
    const ka = new KernelMapBackend(mapCreate({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1024, name: 'bench' }), descriptor(2, 1024));
    rows.push(['array lookup', 'kernel backend.lookup (bpf syscall)', measure(backendArray(ka), N / 20)]);
    ka.close();
  }
}

console.log('| operation | implementation | ops/s (CPU time) |\n| --- | --- | --- |');
for (const [op, impl, rate] of rows) console.log(`| ${op} | ${impl} | ${fmt(rate)} |`);
