import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelOnly } from '../helpers/kernel.ts';
import { createMap, BpfError, errnoName, errnoNumber } from '../../src/index.ts';

for (const backend of ['kernel', 'emulator'] as const) {
  test(`${backend}: map-in-map slots take the inner map's fd and return its id`, backend === 'kernel' ? kernelOnly() : {}, () => {
    using inner = createMap({ type: 'array', key: 'u32', value: 'u32', maxEntries: 1 }, { backend });
    using outer = createMap({ type: 'hash_of_maps', key: 'u32', value: 'u32', maxEntries: 2, innerMap: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 } }, { backend });
    outer.set(7, inner.fd);
    assert.equal(outer.get(7), inner.info().id);
    using other = createMap({ type: 'hash', key: 'u32', value: 'u32', maxEntries: 1 }, { backend });
    assert.throws(() => outer.set(8, other.fd), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
  });
}

test('errno names are Linux names on every host', () => {
  assert.equal(errnoName(95), 'EOPNOTSUPP');
  assert.equal(errnoName(524), 'ENOTSUPP');
  assert.equal(errnoName(7), 'E2BIG');
  assert.equal(errnoNumber('ENOTSUP'), 95);
  assert.equal(errnoName(4242), 'E4242');
});
