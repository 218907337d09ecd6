/**
 * Map specs read from objects go straight to `createMap`, BTF included: the reader
 * applies libbpf's open-time BTF fix-ups (src/object/btf-fixup.ts), so the kernel's BTF
 * verifier accepts every spec's BTF. Oracles: the kernel (BPF_MAP_CREATE and
 * BPF_OBJ_GET_INFO_BY_FD) and bpftool's BTF-formatted map dumps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { endianness } from 'node:os';
import { kernelOnly } from '../helpers/kernel.js';
import { createMap, type BpfMap } from '../../src/maps/index.js';
import { compileBtfCodec } from '../../src/codec/btf-codec.js';
import { MapType, mapTypeNumber } from '../../src/sys/constants.js';
import { possibleCpuCount } from '../../src/sys/cpus.js';
import { readCollectionSpec, type CollectionSpec, type ObjectMapSpec } from '../../src/object/index.js';
import { CILIUM_ROOT, FIXTURES_DIR, toolSkip } from './tools.js';

const HOST = endianness() === 'LE' ? 'el' : 'eb';
const OTHER = HOST === 'el' ? 'eb' : 'el';
const FIXTURES = ['btf_maps', 'map_in_map', 'global_data', 'legacy_maps', 'iproute2_maps', 'subprogs', 'sections'];
// linked1/linked2 are inputs of static linking (bpftool gen object): their BTF declares
// the other file's functions as extern FUNCs, which the kernel refuses (btf_func_check_meta,
// "Invalid func linkage") until the linker resolves them; libbpf cannot load them either.
const CILIUM_SKIP = /^(invalid|linked[12]-)/;

function cilium(order: string): string[] {
  const dir = join(CILIUM_ROOT, 'testdata');
  return readdirSync(dir).filter((f) => f.endsWith(`-${order}.elf`) && !CILIUM_SKIP.test(f)).map((f) => join(dir, f));
}

function objects(order: string): string[] {
  return [...FIXTURES.map((n) => join(FIXTURES_DIR, `${n}-${order}.o`)), ...cilium(order)];
}

function read(path: string): CollectionSpec {
  const base = path.split('/').pop()!;
  return readCollectionSpec(readFileSync(path), { objectName: base.slice(0, base.indexOf('-')) });
}

/**
 * Map types whose key/value BTF the kernel refuses (map_check_btf: no map_check_btf op, or
 * values that are fds): libbpf creates them without BTF (libbpf.c, bpf_object__create_map).
 */
const NO_BTF: ReadonlySet<number> = new Set([
  MapType.perf_event_array, MapType.cgroup_array, MapType.stack_trace, MapType.array_of_maps, MapType.hash_of_maps,
  MapType.devmap, MapType.devmap_hash, MapType.cpumap, MapType.xskmap, MapType.sockmap, MapType.sockhash,
  MapType.queue, MapType.stack, MapType.arena,
]);

/**
 * The spec as libbpf would create it, applying only libbpf's create-time rules that do not
 * come from BTF: perf event arrays hold 4-byte fds (one slot per CPU when max_entries is 0),
 * NO_BTF types and BTF without a value type (`__array(values, ...)`; the kernel needs a value
 * type) go without BTF. `undefined` for struct_ops, which needs the kernel's value type.
 */
function asLibbpfCreates(m: ObjectMapSpec): ObjectMapSpec | undefined {
  if (m.source === 'struct_ops') return undefined;
  const type = mapTypeNumber(m.type);
  let s: ObjectMapSpec = m;
  if (type === MapType.perf_event_array) s = { ...s, keySize: 4, valueSize: 4, maxEntries: s.maxEntries || possibleCpuCount() };
  // NO_BTF types and BTF without a value type: createMap itself sends no BTF for those (checked below).
  if (s.innerMap) s = { ...s, innerMap: asLibbpfCreates(s.innerMap) };
  return s;
}

const KEY0 = 0; // data maps have no BTF key type; createMap indexes array maps with BTF by a u32

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Write a data map's initial bytes (decoded with the object's byte order) and read them back typed. */
function fillDataMap(map: BpfMap<unknown, unknown>, spec: CollectionSpec, m: ObjectMapSpec): Record<string, unknown> {
  const decoded = compileBtfCodec(spec.btf!, m.btf!.valueTypeId, { littleEndian: spec.littleEndian }).decode(view(m.data!), 0);
  map.set(KEY0, decoded);
  return map.get(KEY0) as Record<string, unknown>;
}

test('every BTF map spec of the fixtures and cilium objects creates as is, with its BTF', kernelOnly(), () => {
  let created = 0, withBtf = 0, dataMaps = 0;
  for (const path of objects(HOST)) {
    const spec = read(path);
    for (const original of spec.maps.values()) {
      const m = asLibbpfCreates(original);
      if (!m) continue;
      const what = `${path.split('/').pop()}: ${m.realName}`;
      let map: BpfMap<unknown, unknown>;
      try {
        map = createMap(m) as BpfMap<unknown, unknown>;
      } catch (e) {
        assert.fail(`${what}: ${(e as Error).message}`);
      }
      try {
        const info = map.info();
        assert.equal(info.type, mapTypeNumber(m.type), what);
        created++;
        if (!m.btf) continue;
        if (NO_BTF.has(info.type) || m.btf.valueTypeId === 0) {
          // as libbpf does, createMap sends no BTF for these; the kernel would refuse it
          assert.equal(info.btfId, 0, `${what}: created with BTF the kernel should not get`);
          continue;
        }
        withBtf++;
        assert.ok(info.btfId > 0, `${what}: created without BTF`);
        assert.deepEqual([info.btfKeyTypeId, info.btfValueTypeId], [m.btf.keyTypeId, m.btf.valueTypeId], what);
        if (m.source !== 'data' && m.source !== 'kconfig') continue;
        // The value is the DATASEC (.data*, .rodata*, .bss*, .kconfig): its variables by name,
        // each as its own type decodes it.
        dataMaps++;
        const got = fillDataMap(map, spec, m);
        const vars = [...spec.variables.values()].filter((v) => v.map === m.realName && v.btfTypeId !== undefined);
        assert.deepEqual(Object.keys(got).sort(), vars.map((v) => v.name).sort(), what);
        for (const v of vars) {
          const want = compileBtfCodec(spec.btf!, v.btfTypeId!, { littleEndian: spec.littleEndian }).decode(view(v.value), 0);
          assert.deepEqual(got[v.name], want, `${what}: ${v.name}`);
        }
      } finally {
        map.close();
      }
    }
  }
  assert.ok(created >= 100 && withBtf >= 60 && dataMaps >= 20, `created ${created}, ${withBtf} with BTF, ${dataMaps} data maps`);
});

/** Our decoded value as bpftool's JSON prints it (numbers, strings, arrays, objects). */
function asJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)));
}

function bpftoolDump(map: BpfMap<unknown, unknown>): { key?: unknown; value: unknown }[] {
  const out = JSON.parse(execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(map.info().id)], { encoding: 'utf8' })) as { formatted: { key?: unknown; value: unknown } }[];
  return out.map((e) => e.formatted);
}

test('bpftool formats data maps and a BTF hash map created from specs as we decode them', { ...kernelOnly(), skip: kernelOnly().skip || toolSkip('bpftool') }, () => {
  const spec = read(join(FIXTURES_DIR, `global_data-${HOST}.o`));
  for (const name of ['.data', '.rodata', '.bss', '.data.foo', '.rodata.bar', '.kconfig']) {
    const m = spec.maps.get(name)!;
    using map = createMap(m) as BpfMap<unknown, unknown>;
    const got = fillDataMap(map, spec, m);
    const vars = Object.entries(got).map(([k, v]) => ({ [k]: asJson(v) }));
    assert.deepEqual(bpftoolDump(map), [{ value: { [name]: vars } }], name);
  }
  // And by the C source's initialisers (test/fixtures/src/global_data.c).
  const rodata = spec.maps.get('.rodata')!;
  using rmap = createMap(rodata) as BpfMap<unknown, unknown>;
  assert.deepEqual(fillDataMap(rmap, spec, rodata), { rodata_limit: 42, rodata_config: { mode: 3, threshold: 1000n, label: 'cfg' } });

  const flows = read(join(FIXTURES_DIR, `btf_maps-${HOST}.o`)).maps.get('flows')!;
  using map = createMap(flows) as BpfMap<unknown, unknown>;
  const key = { saddr: 0x0100007f, daddr: 0x0200007f, sport: 4242, dport: 80, proto: 6 };
  const value = { packets: 3n, bytes: 1500n, comm: 'curl' };
  map.set(key, value);
  assert.deepEqual(map.get(key), value);
  assert.deepEqual(bpftoolDump(map), [{ key, value: asJson(value) }]);
});

test(`specs read from ${OTHER} objects create on this ${HOST} host and hold what their ${HOST} twins hold`, kernelOnly(), () => {
  let compared = 0;
  for (const path of objects(OTHER)) {
    const twinPath = path.replace(`-${OTHER}.`, `-${HOST}.`);
    const spec = read(path);
    const twin = read(twinPath);
    for (const original of spec.maps.values()) {
      const m = asLibbpfCreates(original);
      if (!m) continue;
      const what = `${path.split('/').pop()}: ${m.realName}`;
      const map = createMap(m) as BpfMap<unknown, unknown>;
      try {
        if (m.btf && !NO_BTF.has(mapTypeNumber(m.type)) && m.btf.valueTypeId !== 0) assert.ok(map.info().btfId > 0, `${what}: created without BTF`);
        if ((m.source !== 'data' && m.source !== 'kconfig') || !m.btf) continue;
        const t = twin.maps.get(m.realName)!;
        const tmap = createMap(t) as BpfMap<unknown, unknown>;
        try {
          assert.deepEqual(fillDataMap(map, spec, m), fillDataMap(tmap, twin, t), what);
          compared++;
        } finally {
          tmap.close();
        }
      } finally {
        map.close();
      }
    }
  }
  assert.ok(compared >= 10, `compared ${compared} data maps`);
});
