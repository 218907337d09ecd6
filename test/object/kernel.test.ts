/**
 * The kernel as oracle for the map specs read from objects: every map of our fixtures
 * (host byte order) is created with BPF_MAP_CREATE from its spec as is, and the kernel's
 * BPF_OBJ_GET_INFO_BY_FD answer matches the spec. BTF is left out here so that every map
 * type is compared on its attributes alone; map-create.test.ts creates the specs with their BTF.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { endianness } from 'node:os';
import { kernelOnly } from '../helpers/kernel.js';
import { createMap } from '../../src/maps/index.js';
import { MapFlags, mapTypeNumber } from '../../src/sys/constants.js';
import { readCollectionSpec, type ObjectMapSpec } from '../../src/object/index.js';
import { FIXTURES_DIR } from './tools.js';

const order = endianness() === 'LE' ? 'el' : 'eb';

function withoutBtf(m: ObjectMapSpec): ObjectMapSpec {
  const { btf: _b, innerMap, ...rest } = m;
  return { ...rest, ...(innerMap ? { innerMap: withoutBtf(innerMap) } : {}) } as ObjectMapSpec;
}

test('the kernel creates every fixture map from its spec and reports the same attributes', kernelOnly(), () => {
  let created = 0;
  for (const name of ['btf_maps', 'map_in_map', 'global_data', 'legacy_maps', 'iproute2_maps', 'subprogs']) {
    const spec = readCollectionSpec(readFileSync(join(FIXTURES_DIR, `${name}-${order}.o`)), { objectName: name });
    for (const m of spec.maps.values()) {
      // perf_event_array with max_entries 0 means "one per CPU": libbpf and our loader fill it in at load.
      if (m.type === 'perf_event_array' && m.maxEntries === 0) continue;
      // Local storage maps need BTF for their value (bpf_local_storage_map_alloc_check); see the loader's tests.
      if (/_storage$/.test(String(m.type))) continue;
      const map = createMap(withoutBtf(m));
      try {
        const info = map.info();
        // devmaps come back BPF_F_RDONLY_PROG: the kernel adds it (kernel/bpf/devmap.c, dev_map_alloc).
        const kernelAdded = m.type === 'devmap' || m.type === 'devmap_hash' ? MapFlags.RDONLY_PROG : 0;
        assert.deepEqual(
          [info.type, info.keySize, info.valueSize, info.maxEntries, info.flags, info.mapExtra],
          [mapTypeNumber(m.type), m.keySize, m.valueSize, m.maxEntries, m.flags | kernelAdded, BigInt(m.mapExtra ?? 0)],
          `${name}: ${m.realName}`,
        );
        assert.equal(info.name, m.name.slice(0, 15), `${name}: ${m.realName} name`);
        created++;
      } finally {
        map.close();
      }
    }
  }
  assert.ok(created >= 25, `created ${created} maps`);
});
