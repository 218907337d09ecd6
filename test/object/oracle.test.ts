/**
 * libbpf (through `bpftool gen skeleton`) as the oracle for map and program names:
 * user maps keep their symbol names, data/kconfig maps get libbpf's derived names
 * (`obj.rodata`, `.data.test`), and programs are the functions outside `.text`.
 * Covers every cilium object libbpf 1.1 opens and Debian's objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { readCollectionSpec } from '../../src/object/index.js';
import { CILIUM_ROOT, bpfFixtures, debianObjects, debianSkip, toolSkip, walkObjects } from './tools.js';

function skeletonNames(path: string): { maps: string[]; progs: string[] } | undefined {
  const r = spawnSync('bpftool', ['gen', 'skeleton', path, 'name', 'obj'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined; // libbpf 1.1 refuses legacy maps and some newer constructs
  const grab = (re: RegExp) => [...r.stdout.matchAll(re)].map((m) => m[1]!);
  return { maps: grab(/s->maps\[\d+\]\.name = "([^"]+)";/g), progs: grab(/s->progs\[\d+\]\.name = "([^"]+)";/g) };
}

function ours(path: string): { maps: string[]; progs: string[] } {
  const spec = readCollectionSpec(readFileSync(path), { objectName: 'obj' });
  return {
    // libbpf 1.1 (bpftool 7.1) predates `.struct_ops.link` (libbpf 1.3) and ignores it.
    maps: [...spec.maps.values()].filter((m) => m.section !== '.struct_ops.link').map((m) => (m.source === 'data' || m.source === 'kconfig' ? m.name : m.realName)),
    progs: [...spec.programs.keys()],
  };
}

function compareAll(paths: string[]): number {
  let compared = 0;
  for (const path of paths) {
    const want = skeletonNames(path);
    if (!want) continue;
    const got = ours(path);
    const what = relative(CILIUM_ROOT, path);
    assert.deepEqual([...got.maps].sort(), [...want.maps].sort(), `${what}: maps`);
    assert.deepEqual([...got.progs].sort(), [...want.progs].sort(), `${what}: programs`);
    compared++;
  }
  return compared;
}

test('map and program names match libbpf for the cilium objects', { skip: toolSkip('bpftool') }, () => {
  // invalid_btf_map_init: libbpf ignores the stray `.key = 1` initializer; we refuse it as cilium/ebpf does.
  const files = walkObjects(CILIUM_ROOT).filter((f) => /(-el\.elf|bpfel\.o)$/.test(f) && !f.includes('/invalid_'));
  assert.ok(compareAll(files) >= 30);
});

test('map and program names match libbpf for our fixtures', { skip: toolSkip('bpftool') }, () => {
  // libbpf opens only its host's byte order, refuses the legacy `maps` fixtures and
  // kconfig externs without BTF; every other fixture must match.
  const files = bpfFixtures().filter((f) => f.includes('-el') && !/(legacy|iproute2)_maps|global_data-el-nobtf/.test(f));
  assert.equal(compareAll(files), files.length);
});

test('map and program names match libbpf for Debian\'s objects', { skip: toolSkip('bpftool') || debianSkip() }, () => {
  const files = debianObjects();
  assert.equal(compareAll(files), files.length);
});

/** Each executable section's instruction bytes (hex) as llvm-objdump-19 disassembles them, per file. */
function objdumpSections(paths: string[]): Map<string, Map<string, string>> {
  const out = execFileSync('llvm-objdump-19', ['-d', ...paths], { maxBuffer: 256 << 20 }).toString();
  const files = new Map<string, Map<string, string>>();
  let sections: Map<string, string> | undefined;
  let section = '';
  for (const line of out.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^(.+):\s+file format /.exec(line))) files.set(m[1]!, (sections = new Map()));
    else if ((m = /^Disassembly of section (.*):$/.exec(line))) sections!.set((section = m[1]!), '');
    else if ((m = /^\s+\d+:\s+((?:[0-9a-f]{2}[ \t])+)/.exec(line))) sections!.set(section, sections!.get(section)! + m[1]!.replace(/\s/g, ''));
  }
  return files;
}

test('function instructions match llvm-objdump-19 byte for byte', { skip: toolSkip('llvm-objdump-19') }, () => {
  const paths = [...bpfFixtures(), ...walkObjects(CILIUM_ROOT).filter((f) => !f.includes('/invalid_')), ...debianObjects()];
  const dumps = objdumpSections(paths);
  let compared = 0;
  for (const path of paths) {
    const sections = dumps.get(path);
    assert.ok(sections, `${path}: no llvm-objdump output`);
    const spec = readCollectionSpec(readFileSync(path));
    for (const f of spec.functions) {
      const section = sections.get(f.section);
      assert.ok(section !== undefined, `${path}: llvm did not disassemble ${f.section}`);
      const want = section.slice(f.offset * 16, (f.offset + f.insnCount) * 16);
      assert.equal(Buffer.from(f.instructions).toString('hex'), want, `${path}: ${f.section}/${f.name}`);
      compared++;
    }
  }
  assert.ok(compared >= 200, `compared ${compared} functions`);
});
