/**
 * Every object of cilium/ebpf's test data parses, and its maps, global-data sections
 * and program sections match TABLE.md (written independently of this project). Both
 * byte orders give the same spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readCollectionSpec, ObjectError, type CollectionSpec } from '../../src/object/index.js';
import { EbpfError } from '../../src/sys/errors.js';
import { mapTypeNumber } from '../../src/sys/constants.js';
import { specDigest } from './digest.js';
import { parseElf } from '../../src/elf/index.js';

const ROOT = join(import.meta.dirname, '../../../shared/testdata/cilium-ebpf');
const present = existsSync(join(ROOT, 'TABLE.md'));
const skip = present ? false : `shared test data not found at ${ROOT}`;

/** Objects that are deliberately invalid at parse time, and the construct each one misuses. */
const INVALID: Record<string, RegExp> = {
  'testdata/invalid_map': /non-zero bytes past struct bpf_map_def/,
  'testdata/invalid_map_static': /static maps are not supported/,
  'testdata/invalid_btf_map_init': /non-zero initializer/,
};

function invalidReason(path: string): RegExp | undefined {
  const key = path.replace(/-(el|eb)\.elf$/, '');
  return INVALID[key];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(o|elf)$/.test(name)) out.push(p);
  }
  return out.sort();
}

interface Row {
  object: string;
  maps: { name: string; type: string; key: string; value: string; max: number; flags: number; pin: number; values: boolean; inner: string | undefined }[];
  data: string[];
  programs: { section: string; insns: number }[];
}

function parseTable(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| object') || line.startsWith('|---')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const [object, maps, data, programs] = cells as [string, string, string, string];
    const row: Row = { object, maps: [], data: data === '-' ? [] : data.split(/\s+/), programs: [] };
    if (maps !== '-') {
      for (const def of maps.split('<br>')) {
        const m = /^(\S+):(\S+) (\S+)\/(\S+)\/(\d+)(.*)$/.exec(def.trim());
        assert.ok(m, `cannot parse map cell '${def}' of ${object}`);
        const rest = m[6]!;
        row.maps.push({
          name: m[1]!, type: m[2]!, key: m[3]!, value: m[4]!, max: Number(m[5]),
          flags: Number(/f=(\d+)/.exec(rest)?.[1] ?? 0),
          pin: Number(/pin=(\d+)/.exec(rest)?.[1] ?? 0),
          values: rest.includes('values[]'),
          inner: /values\[\]->(\w+)/.exec(rest)?.[1],
        });
      }
    }
    if (programs !== '-') {
      for (const p of programs.split(', ')) {
        const m = /^(.*)\((\d+)\)$/.exec(p.trim());
        assert.ok(m, `cannot parse program cell '${p}' of ${object}`);
        row.programs.push({ section: m[1]!, insns: Number(m[2]) });
      }
    }
    rows.push(row);
  }
  return rows;
}

function read(path: string): CollectionSpec {
  return readCollectionSpec(readFileSync(path), { objectName: 'test' });
}

test('every cilium object parses, or fails with a typed error when deliberately invalid', { skip }, () => {
  const files = walk(ROOT);
  assert.ok(files.length >= 100, `expected the full test set, found ${files.length} objects`);
  for (const f of files) {
    const rel = relative(ROOT, f);
    const reason = invalidReason(rel);
    if (reason) {
      assert.throws(() => read(f), (e: unknown) => e instanceof ObjectError && reason.test(e.message), rel);
    } else {
      try {
        read(f);
      } catch (e) {
        assert.fail(`${rel}: ${e instanceof EbpfError ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
  }
});

test('maps, global data and program sections match TABLE.md for both byte orders', { skip }, () => {
  const rows = parseTable(readFileSync(join(ROOT, 'TABLE.md'), 'utf8'));
  assert.ok(rows.length >= 30, `TABLE.md has ${rows.length} rows`);
  let compared = 0;
  for (const row of rows) {
    for (const order of ['el', 'eb']) {
      const rel = row.object.replace(/-el\.elf$/, `-${order}.elf`);
      const path = join(ROOT, rel);
      if (!existsSync(path)) continue;
      if (invalidReason(rel)) {
        assert.throws(() => read(path), EbpfError, rel);
        continue;
      }
      const spec = read(path);
      const declared = [...spec.maps.values()].filter((m) => m.source === 'legacy' || m.source === 'btf');
      assert.deepEqual(declared.map((m) => m.realName).sort(), row.maps.map((m) => m.name).sort(), `${rel}: map names`);
      for (const want of row.maps) {
        const got = spec.maps.get(want.name)!;
        const what = `${rel}: map ${want.name}`;
        assert.equal(got.type, want.type.toLowerCase(), `${what} type`);
        assert.equal(mapTypeNumber(got.type), mapTypeNumber(want.type), `${what} type number`);
        // '-' means the definition does not say: 0 as declared, or 4 for the fd slots of map-in-map.
        if (want.key === '-') assert.equal(got.keySize, 0, `${what} key size`);
        else assert.equal(got.keySize, Number(want.key), `${what} key size`);
        if (want.value === '-') assert.ok(got.valueSize === 0 || (want.inner !== undefined && got.valueSize === 4), `${what} value size ${got.valueSize}`);
        else assert.equal(got.valueSize, Number(want.value), `${what} value size`);
        assert.equal(got.maxEntries, want.max, `${what} max_entries`);
        assert.equal(got.flags, want.flags, `${what} flags`);
        assert.equal(got.pinning, want.pin, `${what} pinning`);
        if (want.inner) assert.equal(got.innerMap?.type, want.inner.toLowerCase(), `${what} inner map type`);
        if (want.values && /_init$/.test(want.name)) assert.ok((got.slots?.length ?? 0) > 0, `${what} has initial values`);
      }
      const data = [...spec.maps.values()].filter((m) => m.source === 'data').map((m) => m.realName);
      assert.deepEqual(data.sort(), [...row.data].sort(), `${rel}: global data sections`);
      // TABLE counts a section's instructions; functions cover them except dead code the
      // linker left behind (linked*.elf keeps overridden weak bodies without symbols).
      const bySection = new Map(spec.codeSections.map((c) => [c.name, c.insnCount] as [string, number]));
      const covered = new Map<string, number>();
      for (const f of spec.functions) covered.set(f.section, (covered.get(f.section) ?? 0) + f.insnCount);
      for (const [s, n] of covered) assert.ok(n <= bySection.get(s)! && n > 0, `${rel}: functions of ${s}`);
      if (!rel.includes('linked')) assert.deepEqual(covered, bySection, `${rel}: functions cover their sections`);
      // Section sizes agree with the ELF reader's view.
      const elf = parseElf(readFileSync(path));
      for (const c of spec.codeSections) assert.equal(c.insnCount * 8, elf.sections[c.index]!.size);
      assert.deepEqual(
        [...bySection].sort(([a], [b]) => (a < b ? -1 : 1)),
        row.programs.map((p) => [p.section, p.insns] as [string, number]).sort(([a], [b]) => (a < b ? -1 : 1)),
        `${rel}: program sections and instruction counts`,
      );
      compared++;
    }
  }
  assert.ok(compared >= 60);
});

test('el and eb twins give identical specs', { skip }, () => {
  let pairs = 0;
  for (const el of walk(ROOT).filter((f) => /(-el\.elf|_bpfel\.o)$/.test(f))) {
    const eb = el.replace(/-el\.elf$/, '-eb.elf').replace(/_bpfel\.o$/, '_bpfeb.o');
    if (!existsSync(eb) || invalidReason(relative(ROOT, el))) continue;
    // The examples use bpf_ntohs() and friends, which compile to different code per byte
    // order: there only the code-independent parts must agree.
    const sameCode = !/examples\//.test(relative(ROOT, el));
    assert.deepEqual(specDigest(read(eb), sameCode), specDigest(read(el), sameCode), relative(ROOT, el));
    pairs++;
  }
  assert.ok(pairs >= 40, `compared ${pairs} pairs`);
});
