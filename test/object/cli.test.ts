/**
 * `ebpf object show` through bin/ebpf (which runs dist/: `npm run build` first, as
 * `npm test` does). Facts checked come from the fixtures' C sources and from llvm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { FIXTURES_DIR } from './tools.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/ebpf');
const built = existsSync(join(ROOT, 'dist/cli/commands/object.js'));
const skip = built || process.env.CI ? false : 'dist/ not built (npm run build)';

function ebpf(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('object show -j: maps with types, slots and inner maps; programs with types and sizes', { skip }, () => {
  const r = ebpf('-j', 'object', 'show', join(FIXTURES_DIR, 'map_in_map-el.o'));
  assert.equal(r.code, 0, r.err);
  const d = JSON.parse(r.out);
  assert.equal(d.byteOrder, 'little');
  assert.equal(d.license, 'Dual MIT/GPL');
  assert.ok(d.btf.types > 0 && d.btf.hasBtfExt);
  // One func_info per function (3 programs), as the compiler writes them.
  assert.equal(d.btf.funcInfo, 3);
  assert.ok(d.btf.lineInfo > 0);
  assert.equal(d.btf.coreRelocations, 0);
  const outer = d.maps.find((m: { name: string }) => m.name === 'outer_array');
  assert.deepEqual([outer.type, outer.keySize, outer.valueSize, outer.maxEntries, outer.keyType], ['array_of_maps', 4, 4, 4, 'u32']);
  assert.deepEqual(outer.initialSlots, [{ key: 0, kind: 'map', name: 'inner_a' }, { key: 3, kind: 'map', name: 'inner_b' }]);
  assert.equal(outer.innerMap.name, 'outer_array.inner');
  assert.deepEqual(d.programs.map((p: { name: string; type: string }) => [p.name, p.type]), [['tail_a', 'socket_filter'], ['tail_b', 'socket_filter'], ['entry', 'socket_filter']]);
  // Instruction counts agree with the section sizes llvm reports (socket: 3 functions).
  const socket = d.sections.find((s: { name: string }) => s.name === 'socket');
  assert.equal(d.programs.reduce((n: number, p: { insns: number }) => n + p.insns, 0), socket.size / 8);
});

test('object show: readable tables with global variables and their values', { skip }, () => {
  const r = ebpf('object', 'show', join(FIXTURES_DIR, 'global_data-eb.o'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /big-endian/);
  assert.match(r.out, /Maps \(6\):/);
  assert.match(r.out, /\.rodata \(global_d\.rodata\)\s+array/);
  assert.match(r.out, /rodata_limit\s+\.rodata\s+0\s+4\s+const volatile u32\s+42/);
  assert.match(r.out, /foo_value\s+\.data\.foo\s+0\s+4\s+u32\s+3735928559/);
  assert.match(r.out, /read_globals\s+tracepoint\/syscalls\/sys_enter_execve\s+tracepoint/);
  const j = JSON.parse(ebpf('-j', 'object', 'show', join(FIXTURES_DIR, 'global_data-eb.o')).out);
  const cfg = j.variables.find((v: { name: string }) => v.name === 'rodata_config');
  assert.deepEqual(cfg.value, { mode: 3, threshold: 1000, label: 'cfg' });
  // .data.foo's initial value: 0xdeadbeef in big-endian byte order, as bpftool prints bytes.
  const foo = j.maps.find((m: { realName: string }) => m.realName === '.data.foo');
  assert.deepEqual(foo.initialValue, ['0xde', '0xad', '0xbe', '0xef']);
  assert.deepEqual(foo.flagNames, ['mmapable']);
});

test('object show: missing and corrupt files are one-line errors with exit code 1', { skip }, () => {
  const missing = ebpf('object', 'show', '/nonexistent.o');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^Error: can't read \/nonexistent\.o/);
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-object-'));
  try {
    const bad = join(dir, 'bad.o');
    const bytes = readFileSync(join(FIXTURES_DIR, 'subprogs-el.o'));
    writeFileSync(bad, bytes.subarray(0, 100));
    const r = ebpf('object', 'show', bad);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: .*at offset \d+/);
    assert.equal(r.err.trim().split('\n').length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(ebpf('object', 'frobnicate').code, 1);
  assert.equal(ebpf('object', 'help').code, 0);
});

test('object dump: disassembly of every function with relocation notes; one program; JSON', { skip }, () => {
  const path = join(FIXTURES_DIR, 'subprogs-el.o');
  const all = ebpf('object', 'dump', path);
  assert.equal(all.code, 0, all.err);
  for (const head of ['func global_helper (section .text):', 'func square (section .text):', 'prog with_calls (section tp_btf/sched_switch):', 'prog also_calls (section fentry/do_unlinkat):']) {
    assert.ok(all.out.includes(head), head);
  }
  assert.match(all.out, /call bpf_loop#181\n/);
  assert.match(all.out, /; &loop_body\n/);
  assert.match(all.out, /; map results\n/);
  assert.match(all.out, /; call square\n/);
  const one = JSON.parse(ebpf('-j', 'object', 'dump', path, 'prog', 'also_calls').out);
  assert.equal(one.length, 1);
  assert.equal(one[0].name, 'also_calls');
  assert.deepEqual(one[0].insns.filter((i: { relocation?: string }) => i.relocation).map((i: { relocation: string }) => i.relocation).sort(), ['call global_helper', 'call square']);
  // The last instruction's slot index + 1 is the function's instruction count.
  const spec = JSON.parse(ebpf('-j', 'object', 'show', path).out);
  assert.equal(one[0].insns.at(-1).index + 1, spec.programs.find((p: { name: string }) => p.name === 'also_calls').insns);
  const missing = ebpf('object', 'dump', path, 'prog', 'nope');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no program named 'nope'/);
});
