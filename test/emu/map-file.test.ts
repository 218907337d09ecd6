/**
 * Map files: save → load gives back the same map (contents, iteration order,
 * frozen state) for every saveable type; corrupt input of any kind is a
 * ParseError, never a crash or a huge allocation (fuzzed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { createEmulatorBackend, loadEmulatedMap, saveEmulatedMap, type EmulatedMap } from '../../src/emu/index.js';
import { NotSupportedError, ParseError } from '../../src/sys/errors.js';
import { apply, type Answer } from './harness/ops.js';
import { descriptorOf } from './harness/backends.js';
import { allScenarios } from './harness/scenarios.js';

const SAVEABLE = ['array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'queue', 'stack', 'bloom_filter', 'devmap', 'devmap_hash', 'cpumap'];

function contents(m: EmulatedMap): Answer {
  return apply(m, { op: 'walk' });
}

test('save → load round-trips every saveable map type after random operations', () => {
  const scenarios = allScenarios(2);
  let maps = 0;
  for (const name of SAVEABLE) {
    for (const s of fc.sample(scenarios[name]!, { numRuns: 15, seed: 99 })) {
      let m: EmulatedMap;
      try {
        m = createEmulatorBackend(descriptorOf(s.spec, 2), { possibleCpus: 2 }) as EmulatedMap;
      } catch {
        continue; // an invalid spec: nothing to save
      }
      for (const op of s.ops.slice(0, 200)) apply(m, op);
      const bytes = saveEmulatedMap(m);
      const back = loadEmulatedMap(bytes, { possibleCpus: 2 }) as EmulatedMap;
      const keyless = name === 'queue' || name === 'stack' || name === 'bloom_filter';
      if (!keyless) assert.deepEqual(contents(back), contents(m), `${name} ${JSON.stringify(s.spec)}`);
      else assert.deepEqual(saveEmulatedMap(back), bytes, name);
      assert.equal(back.frozen, m.frozen);
      maps++;
      m.close();
      back.close();
    }
  }
  assert.ok(maps > 100);
});

test('program arrays, maps of maps and ring buffers cannot be saved', () => {
  const rb = createEmulatorBackend(descriptorOf({ type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }, 1));
  assert.throws(() => saveEmulatedMap(rb), NotSupportedError);
  rb.close();
});

test('corrupt map files are ParseErrors (fuzzed: random bytes, bit flips, truncation, field edits)', () => {
  const m = createEmulatorBackend(descriptorOf({ type: 1, keySize: 4, valueSize: 8, maxEntries: 16, flags: 64 }, 1)) as EmulatedMap;
  for (let i = 0; i < 10; i++) {
    new DataView(m.key.buffer).setUint32(0, i, true);
    m.update(0);
  }
  const good = saveEmulatedMap(m);
  const check = (bytes: Uint8Array) => {
    try {
      loadEmulatedMap(bytes).close();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      assert.ok(e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} within the input`);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)), { numRuns: 500, seed: 1 });
  fc.assert(fc.property(fc.nat(good.length * 8 - 1), (bit) => {
    const b = good.slice();
    b[bit >> 3] ^= 1 << (bit & 7);
    check(b);
  }), { numRuns: 1000, seed: 2 });
  fc.assert(fc.property(fc.nat(good.length - 1), (n) => check(good.slice(0, n))), { numRuns: 300, seed: 3 });
  // Field edits with the checksum recomputed: sizes and counts that lie must still be caught.
  fc.assert(fc.property(fc.constantFrom(16, 20, 24, 28, 32, 36, 52, 60), fc.nat(), (off, v) => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(off, v, true);
    new DataView(b.buffer).setUint32(56, crc32(b.subarray(80)) >>> 0, true);
    check(b);
  }), { numRuns: 500, seed: 4 });
  assert.throws(() => loadEmulatedMap(good.slice(0, 10)), (e: unknown) => e instanceof ParseError && /truncated header/.test(e.message));
  m.close();
});

test('regression (scripts/fuzz-long.ts): a map file cannot make the loader allocate value buffers beyond the load limit', () => {
  // A bloom filter's value size is only hashed, so the memory limit never counted it: a 144-byte
  // file claiming 527 MB values allocated two scratch buffers of that size (1 GB). The kernel
  // refuses values above KMALLOC_MAX_SIZE (bloom_map_alloc_check: E2BIG), and so does the emulator.
  const m = createEmulatorBackend(descriptorOf({ type: 30, keySize: 0, valueSize: 4, maxEntries: 64, flags: 0, mapExtra: 3 }, 1)) as EmulatedMap;
  const good = saveEmulatedMap(m);
  m.close();
  assert.equal(loadEmulatedMap(good).close(), undefined);
  for (const valueSize of [(4 << 20) + 1, 1 << 28, 0xffffffff]) {
    const b = good.slice();
    new DataView(b.buffer).setUint32(24, valueSize, true);
    new DataView(b.buffer).setUint32(56, crc32(b.subarray(80)) >>> 0, true);
    assert.throws(() => loadEmulatedMap(b).close(), (e: unknown) => e instanceof ParseError && e.offset === 16 && /invalid or larger than/.test(e.message), `value size ${valueSize}`);
  }
});
