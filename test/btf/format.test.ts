import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBtf, type Btf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import { formatC } from '../../src/btf/format-c.js';
import { formatJson, formatRaw } from '../../src/btf/format-raw.js';
import { loadKernelBtf } from '../../src/btf/kernel.js';
import { FIXTURES, SHARED, SHARED_BTF, VMLINUX, needs, read, run } from './helpers.js';

const objectBtf = (path: string) => parseBtf(elfSections(read(path)).get('.BTF')!);
const CLANG_BPF = ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];

const objects = [
  `${FIXTURES}kinds-el.bpf.o`, `${FIXTURES}kinds-eb.bpf.o`, `${SHARED_BTF}tags-el.elf`, `${SHARED_BTF}relocs-el.elf`,
  `${SHARED}testdata/loader-clang-22-el.elf`, `${SHARED}testdata/variables-eb.elf`,
];

test('format c of objects equals bpftool byte for byte', needs('bpftool'), () => {
  for (const path of objects) assert.equal(formatC(objectBtf(path)), run('bpftool', ['btf', 'dump', 'file', path, 'format', 'c']), path);
});

/**
 * bpftool 7.1 prints unsigned 32-bit enumerators >= 2^31 sign-extended to 64
 * bits in JSON (its raw text is right); undo that to compare the rest.
 */
function undoBpftoolEnumSignExtension(json: { types: { kind: string; encoding?: string; values?: { val: number | bigint }[] }[] }) {
  for (const t of json.types) {
    if (t.kind !== 'ENUM' || t.encoding !== 'UNSIGNED') continue;
    for (const v of t.values!) if (BigInt(v.val) >= 1n << 32n) v.val = BigInt(v.val) - ((1n << 64n) - (1n << 32n));
  }
  return json;
}

/** JSON.parse keeping integers beyond 2^53 exact. */
function parseJsonExact(text: string) {
  return JSON.parse(text.replace(/([:\[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2n"'), (_k, v) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));
}

test('format json equals bpftool -j (every kind, both byte orders)', needs('bpftool'), () => {
  for (const path of objects) {
    const ours = parseJsonExact(formatJson(objectBtf(path)));
    const theirs = undoBpftoolEnumSignExtension(parseJsonExact(run('bpftool', ['-j', 'btf', 'dump', 'file', path])));
    const norm = (o: unknown) => JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    assert.deepEqual(norm(ours), norm(theirs), path);
  }
  // 64-bit values stay exact in our JSON text.
  assert.match(formatJson(objectBtf(`${FIXTURES}kinds-el.bpf.o`)), /"val":18446744073709551615/);
});

test('raw dump of selected roots', () => {
  const btf = objectBtf(`${FIXTURES}kinds-el.bpf.o`);
  const small = btf.typeByName('small', 'enum')!;
  assert.equal(formatRaw(btf, [small.id]), `[${small.id}] ENUM 'small' encoding=SIGNED size=4 vlen=2\n\t'SMALL_A' val=-1\n\t'SMALL_B' val=7\n`);
});

/** Top-level declarations of a header: `struct x {`, `union y;`, `typedef ...`, `enum z {` lines. */
function declarations(header: string): Set<string> {
  return new Set(header.split('\n').filter((l) => /^(struct|union|enum|typedef)\b/.test(l)));
}

/** _Static_asserts of every BTF size and member offset (uniquely named structs, non-bitfield members). */
function layoutAsserts(btf: Btf, every = 1): string {
  const seen = new Map<string, number>();
  for (const t of btf.types()) if ((t.kind === 'struct' || t.kind === 'union') && t.name) seen.set(`${t.kind} ${t.name}`, (seen.get(`${t.kind} ${t.name}`) ?? 0) + 1);
  const lines: string[] = [];
  let i = 0;
  for (const t of btf.types()) {
    if ((t.kind !== 'struct' && t.kind !== 'union') || !t.name || seen.get(`${t.kind} ${t.name}`) !== 1) continue;
    // On the BPF target va_list is a pointer, not x86's 24-byte array: such structs cannot match (bpftool's neither).
    if (/va_list|warn_args|va_format/.test(t.name)) continue;
    if (i++ % every !== 0) continue;
    const T = `${t.kind} ${t.name}`;
    lines.push(`_Static_assert(sizeof(${T}) == ${t.size}, "${t.name}");`);
    for (const m of t.members) if (m.name && !m.bitfieldSize) lines.push(`_Static_assert(__builtin_offsetof(${T}, ${m.name}) == ${m.bitOffset / 8}, "${t.name}.${m.name}");`);
  }
  return lines.join('\n');
}

test('vmlinux.h: compiles a tracepoint program, same declarations as bpftool, layout checked by clang', needs('bpftool', 'clang-19', VMLINUX), (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-btf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const btf = loadKernelBtf();
  const header = formatC(btf);
  assert.ok(header.startsWith('#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n'));
  assert.match(header, /#pragma clang attribute push \(__attribute__\(\(preserve_access_index\)\), apply_to = record\)/);
  writeFileSync(join(dir, 'vmlinux.h'), header);
  writeFileSync(join(dir, 'prog.bpf.c'), `#include "vmlinux.h"
#define SEC(n) __attribute__((section(n), used))
char LICENSE[] SEC("license") = "GPL";
__u64 last_id;
char comm[16];
SEC("tracepoint/raw_syscalls/sys_enter")
int on_enter(struct trace_event_raw_sys_enter *ctx) {
  struct task_struct *task = (struct task_struct *)0;
  last_id = ctx->id + ctx->args[0] + sizeof(task->comm);
  return 0;
}
`);
  run('clang-19', [...CLANG_BPF, '-Werror', '-c', 'prog.bpf.c', '-o', 'prog.o'], { cwd: dir });
  // The compiled program's BTF has the tracepoint context as clang saw it in our header.
  const prog = objectBtf(join(dir, 'prog.o'));
  const ctx = prog.typeByName('trace_event_raw_sys_enter', 'struct')!;
  const kernelCtx = btf.typeByName('trace_event_raw_sys_enter', 'struct')!;
  assert.equal(ctx.size, kernelCtx.size);
  assert.deepEqual(ctx.members.map((m) => [m.name, m.bitOffset]), kernelCtx.members.map((m) => [m.name, m.bitOffset]));

  const theirs = run('bpftool', ['btf', 'dump', 'file', VMLINUX, 'format', 'c']);
  assert.deepEqual(declarations(header), declarations(theirs));

  // Every size and offset of our header, as clang lays it out, equals the BTF (a sample keeps the test quick).
  writeFileSync(join(dir, 'layout.c'), `#include "vmlinux.h"\n${layoutAsserts(btf, 3)}\n`);
  run('clang-19', ['-target', 'bpf', '-fsyntax-only', 'layout.c'], { cwd: dir });
});

test('format c layout of the kinds fixture holds under clang (bitfields, packed, anonymous members)', needs('clang-19'), (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-btf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const order of ['el', 'eb']) {
    const btf = objectBtf(`${FIXTURES}kinds-${order}.bpf.o`);
    writeFileSync(join(dir, 'vmlinux.h'), formatC(btf));
    writeFileSync(join(dir, 'layout.c'), `#include "vmlinux.h"\n${layoutAsserts(btf)}\n`);
    run('clang-19', ['-target', order === 'el' ? 'bpfel' : 'bpfeb', '-fsyntax-only', 'layout.c'], { cwd: dir });
  }
});

test('root ids dump only what they need', () => {
  const btf = objectBtf(`${FIXTURES}kinds-el.bpf.o`);
  const xdp = btf.typeByName('xdp_md', 'struct')!;
  assert.equal(formatC(btf, { rootIds: [xdp.id], preserveAccessIndex: false, guard: 'X_H' }),
    '#ifndef X_H\n#define X_H\n\ntypedef unsigned int __u32;\n\nstruct xdp_md {\n\t__u32 data;\n\t__u32 data_end;\n\t__u32 data_meta;\n\t__u32 ingress_ifindex;\n\t__u32 rx_queue_index;\n\t__u32 egress_ifindex;\n};\n\n#endif /* X_H */\n');
  assert.throws(() => formatC(btf, { rootIds: [btf.typeCount] }), RangeError);
});

test('every BTF-carrying object of the shared test data and Debian\'s xdp packages: raw and c equal bpftool', needs('bpftool'), () => {
  const dirs = [`${SHARED}testdata`, `${SHARED}btf/testdata`, '/usr/lib/x86_64-linux-gnu/bpf', '/usr/libexec/xdp-tools'];
  let compared = 0;
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!/\.(o|elf)$/.test(name)) continue;
      const path = join(dir, name);
      const section = elfSections(read(path)).get('.BTF');
      if (!section) continue;
      const btf = parseBtf(section);
      assert.equal(formatRaw(btf), run('bpftool', ['btf', 'dump', 'file', path, 'format', 'raw']), path);
      assert.equal(formatC(btf), run('bpftool', ['btf', 'dump', 'file', path, 'format', 'c']), path);
      compared++;
    }
  }
  assert.ok(compared >= 60, `only ${compared} objects compared`);
});
