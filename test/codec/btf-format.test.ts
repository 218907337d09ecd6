/**
 * formatMapEntryJson against bpftool itself: a BPF object with BTF-typed maps
 * is loaded by bpftool (in a private mount namespace with its own bpffs, so
 * nothing outlives the test), filled with random bytes, and dumped with
 * `bpftool -j map dump`. Our rendering of each entry's bytes must be
 * byte-identical to bpftool's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { formatBtfJson, formatMapEntryJson, hexBytesJson } from '../../src/codec/index.js';
import type { BtfSpec, BtfType } from '../../src/btf/types.js';
import { kernelOnly } from '../helpers/kernel.js';
import { clangOnly, compileC, composite, named } from './clang.js';

// No libbpf headers needed: the map-definition macros are spelled out.
const SOURCE = `
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
enum color { RED, GREEN = 5, BLUE = -1 };
enum uns { U0, U1 = 0x80000000 };
enum __attribute__((packed)) tiny { T0, T1 = 200 };
enum big64 { B0, B1 = 0xffffffffffffff00ULL };
typedef unsigned int u32t;
struct inner { unsigned short a; char tag[4]; };
struct val {
  char name[8];
  unsigned char mac[6];
  signed char sc[3];
  unsigned char uc;
  char c;
  _Bool b;
  enum color col;
  unsigned long long big;
  long long neg;
  unsigned int bf1:3, bf2:5;
  int sbf:4;
  void *p;
  struct inner in[2];
  union { int ui; unsigned char ub[4]; };
  struct { short x; short y; };
  union { int a; char b[4]; } named_u;
  unsigned __int128 wide;
  volatile const u32t q;
  unsigned long long wbf:40, wbf2:24;
  enum uns ue;
  enum tiny te;
  enum big64 be;
  char unprintable[2];
};
struct key { unsigned int id; char tag[4]; };
struct { __uint(type, 1); __uint(max_entries, 16); __type(key, struct key); __type(value, struct val); } hmap SEC(".maps");
struct { __uint(type, 6); __uint(max_entries, 2); __type(key, unsigned int); __type(value, struct inner); } pcpu SEC(".maps");
int gdata = 7;
char gstr[6] = "hi";
SEC("socket") int prog(void *ctx) { return gdata + gstr[0]; }
char LICENSE[] SEC("license") = "GPL";
`;

function bpftoolAvailable(): boolean {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Split bpftool's top-level JSON array into the exact text of each element. */
function splitElements(json: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 1 && c === '{') start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 1 && c === '}') out.push(json.slice(start, i + 1));
    }
  }
  return out;
}

const hexArgs = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const fromHex = (a: string[]): Uint8Array => new Uint8Array(a.map((h) => parseInt(h, 16)));

/**
 * Object-file DATASECs have zero offsets and sizes; libbpf fixes them from the
 * symbol table when loading, and bpftool formats with the kernel's fixed BTF.
 * Apply the same fix-up (offsets from this C source) to the parsed BTF.
 */
function withDataOffsets(btf: BtfSpec, offsets: Record<string, number>, size: number): BtfSpec {
  const fix = (t: BtfType): BtfType =>
    t.kind === 'datasec' && t.name === '.data'
      ? { ...t, size, vars: t.vars.map((v) => ({ ...v, offset: offsets[btf.typeById(v.type).name]! })) }
      : t;
  return Object.assign(Object.create(btf) as BtfSpec, { typeById: (id: number) => fix(btf.typeById(id)) });
}

const skip = clangOnly().skip || kernelOnly().skip || (!bpftoolAvailable() && !process.env.CI ? 'bpftool not installed' : false);

test('formatMapEntryJson is byte-identical to `bpftool -j map dump` for maps with BTF', { skip }, () => {
  const obj = compileC(SOURCE, true);
  const btf = obj.btf;
  const val = composite(btf, 'val');
  const key = composite(btf, 'key');
  const inner = composite(btf, 'inner');
  const u32 = named(btf, 'unsigned int', 'int');
  const seed = Number(process.env.CODEC_SEED ?? Date.now() % 2 ** 31);
  // Random bytes, plus a few crafted to hit the string/number rules for char arrays.
  const values = fc.sample(fc.uint8Array({ minLength: val.size, maxLength: val.size }), { numRuns: 8, seed });
  values[0]!.set(Buffer.from('comm\0'), 0);
  values[1]!.fill(0);
  values[2]!.set(Buffer.from('exactly8'), 0);
  const offsetOf = (name: string): number => val.members.find((m) => m.name === name)!.bitOffset / 8;
  values[0]![offsetOf('te')] = 200; // T1 in a 1-byte enum: bpftool compares it as s8 -56 and prints -56
  new DataView(values[1]!.buffer).setUint32(offsetOf('ue'), 0x80000000, true); // U1
  new DataView(values[2]!.buffer).setBigUint64(offsetOf('be'), 0xffffffffffffff00n, true); // B1
  const keys = values.map((_, i) => new Uint8Array([i, 0, 0, 0, 0x61 + i, 0x62, 0, i]));
  const pcpuValues = fc.sample(fc.uint8Array({ minLength: inner.size, maxLength: inner.size }), { numRuns: 2, seed: seed + 1 });
  const dataBytes = new Uint8Array([0x2a, 0, 0, 0, 0x6f, 0x6b, 0x21, 0, 0, 0]);

  const dir = mkdtempSync(join(tmpdir(), 'codec-bpftool-'));
  try {
    writeFileSync(join(dir, 'x.o'), obj.elf);
    const fs = `/sys/fs/bpf`;
    const lines = [
      'set -e',
      `mount -t bpf bpf ${fs}`,
      `bpftool prog loadall ${dir}/x.o ${fs}/p pinmaps ${fs}/m`,
      ...values.map((v, i) => `bpftool map update pinned ${fs}/m/hmap key hex ${hexArgs(keys[i]!)} value hex ${hexArgs(v)}`),
      // A per-CPU update writes the same value to every CPU.
      ...pcpuValues.map((v, i) => `bpftool map update pinned ${fs}/m/pcpu key ${i} 0 0 0 value hex ${hexArgs(v)}`),
      `bpftool map update pinned ${fs}/m/x_data key 0 0 0 0 value hex ${hexArgs(dataBytes)}`,
      `bpftool -j map dump pinned ${fs}/m/hmap; echo`,
      `bpftool -j map dump pinned ${fs}/m/pcpu; echo`,
      `bpftool -j map dump pinned ${fs}/m/x_data; echo`,
    ];
    const out = execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', lines.join('\n')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [hmapJson, pcpuJson, dataJson] = out.split('\n').filter((l) => l.trim() !== '');

    const hmapEntries = splitElements(hmapJson!);
    assert.equal(hmapEntries.length, values.length);
    for (const text of hmapEntries) {
      const e = JSON.parse(text) as { key: string[]; value: string[] };
      const mine = formatMapEntryJson({ key: fromHex(e.key), value: fromHex(e.value) }, { spec: btf, keyTypeId: key.id, valueTypeId: val.id });
      assert.equal(mine, text, `seed ${seed}`);
    }
    // The crafted entries hit both char-array rules.
    assert.match(hmapJson!, /"name":"comm"/);
    assert.match(hmapJson!, /"name":""/);
    assert.match(hmapJson!, /"name":\[101,120,97,99,116,108,121,56\]/);
    assert.match(hmapJson!, /"te":-56/);
    assert.match(hmapJson!, /"ue":"U1"/);
    assert.match(hmapJson!, /"be":"B1"/);

    const pcpuEntries = splitElements(pcpuJson!);
    assert.equal(pcpuEntries.length, 2);
    for (const text of pcpuEntries) {
      const e = JSON.parse(text) as { key: string[]; values: { cpu: number; value: string[] }[] };
      const mine = formatMapEntryJson(
        { key: fromHex(e.key), values: e.values.map((v) => fromHex(v.value)) },
        { spec: btf, keyTypeId: u32.id, valueTypeId: inner.id },
      );
      assert.equal(mine, text);
    }

    const dataEntries = splitElements(dataJson!);
    assert.equal(dataEntries.length, 1);
    const e = JSON.parse(dataEntries[0]!) as { key: string[]; value: string[] };
    const fixed = withDataOffsets(btf, { gdata: 0, gstr: 4 }, 10);
    const sec = named(fixed, '.data', 'datasec');
    assert.equal(formatMapEntryJson({ key: fromHex(e.key), value: fromHex(e.value) }, { spec: fixed, keyTypeId: 0, valueTypeId: sec.id }), dataEntries[0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatBtfJson rules without the kernel: bitfields, 128-bit, enums, strings, short data', clangOnly(), () => {
  const obj = compileC(SOURCE, true);
  const btf = obj.btf;
  const val = composite(btf, 'val');
  const bytes = new Uint8Array(val.size);
  bytes.set(Buffer.from('a"b\\\0'), 0);
  const json = formatBtfJson(btf, val.id, bytes);
  assert.match(json, /^\{"name":"a\\"b\\\\","mac":\[0,0,0,0,0,0\],"sc":\[0,0,0\],"uc":0,"c":0,"b":false,"col":"RED","big":0,"neg":0,"bf1":"0x0","bf2":"0x0","sbf":"0x0","p":0,/);
  assert.match(json, /"":\{"ui":0,"ub":\[0,0,0,0\]\},"":\{"x":0,"y":0\},"named_u":\{"a":0,"b":""\},"wide":"0x0","q":0,"wbf":"0x0","wbf2":"0x0","ue":"U0","te":"T0","be":"B0","unprintable":""\}$/);
  assert.throws(() => formatBtfJson(btf, val.id, bytes.subarray(0, 10)), /format btf value: type needs \d+ bytes, data has 10/);
  assert.equal(hexBytesJson(new Uint8Array([0, 255])), '["0x00","0xff"]');
  assert.equal(formatMapEntryJson({ key: new Uint8Array([1]), value: new Uint8Array([2]) }), '{"key":["0x01"],"value":["0x02"]}');
});
