/**
 * `ebpf map` against real kernel maps, with bpftool as the oracle: maps made
 * and filled by bpftool are read by `ebpf`, maps made and filled by `ebpf` are
 * read by bpftool, and both tools must print the same JSON (and, for maps
 * without BTF, the same plain dump text).
 *
 * Every test spawns bin/ebpf (which runs dist/: `npm run build` first) and
 * bpftool; commands run in parallel where they are independent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelOnly } from '../helpers/kernel.ts';
import { loadTrivialProgram } from '../helpers/trivial-prog.ts';
import { ensureBpffs } from '../../src/sys/fs.ts';
import { createMap } from '../../src/index.ts';
import { loadEmulatedMap, saveEmulatedMap } from '../../src/emu/index.ts';
import { native } from '../../src/sys/native.ts';
import { BtfBuilder } from '../../src/btf/encode.ts';
import { parseBtf } from '../../src/btf/btf.ts';
import { main } from '../../src/cli/main.ts';

const BIN = fileURLToPath(new URL('../../bin/ebpf', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/cli/commands/map.js', import.meta.url));
const DIR = `/sys/fs/bpf/ebpf-cli-map-test-${process.pid}`;

interface Run { code: number; stdout: string; stderr: string }

function run(cmd: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
const ebpf = (...args: string[]) => run(process.execPath, [BIN, ...args]);
/**
 * The same CLI entry point in this process (src/cli/main.ts), for the many
 * cases where spawning node (~0.3-1 s each on a busy 2-core runner) would
 * dominate the test time. Exit code = main()'s result.
 */
async function inproc(...args: string[]): Promise<Run> {
  let stdout = '', stderr = '';
  const code = await main(args, { out: (s) => (stdout += s.endsWith('\n') ? s : s + '\n'), err: (s) => (stderr += s.endsWith('\n') ? s : s + '\n') });
  return { code, stdout, stderr };
}
const bpftool = (...args: string[]) => run('bpftool', args);

/** Run and require success; returns stdout. */
async function ok(p: Promise<Run>, what: string): Promise<string> {
  const r = await p;
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const json = async (p: Promise<Run>, what: string) => JSON.parse(await ok(p, what));

/** A failing command: exit 1, nothing on stdout, one line `Error: ...` on stderr. Returns the message. */
async function fails(args: string[], spawned = false): Promise<string> {
  const r = spawned ? await ebpf(...args) : await inproc(...args);
  assert.equal(r.code, 1, `ebpf ${args.join(' ')} should fail: ${r.stdout}${r.stderr}`);
  assert.equal(r.stdout, '', `ebpf ${args.join(' ')}: no stdout on error`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one-line error, got: ${r.stderr}`);
  assert.match(lines[0]!, /^Error: \S/);
  return lines[0]!;
}

const pin = (name: string) => `${DIR}/${name}`;
const bytes = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => String(f(i)));

before(() => {
  if (kernelOnly().skip) return;
  assert.ok(existsSync(DIST), 'dist/ is missing: run `npm run build` before the CLI tests');
  ensureBpffs();
  mkdirSync(DIR, { recursive: true });
});
after(() => {
  rmSync(DIR, { recursive: true, force: true });
});

test('bpftool-made hash map: ebpf reads the same dump, show, lookup and getnext as bpftool', kernelOnly(), async () => {
  const p = pin('bt_hash');
  await ok(bpftool('map', 'create', p, 'type', 'hash', 'key', '4', 'value', '8', 'entries', '64', 'name', 'bt_hash'), 'bpftool create');
  // decimal, 0x hex, octal (leading 0) and `hex` tokens, as strtoul reads them
  await ok(bpftool('map', 'update', 'pinned', p, 'key', '1', '0', '0', '0', 'value', '0x10', '0', '0', '0', '0', '0', '0', '0377'), 'update 1');
  await ok(bpftool('map', 'update', 'pinned', p, 'key', 'hex', '02', '00', '00', '00', 'value', 'hex', 'aa', 'bb', 'cc', 'dd', 'ee', 'ff', '00', '11'), 'update 2');
  for (let i = 3; i < 40; i++) {
    await ok(bpftool('map', 'update', 'pinned', p, 'key', ...bytes(4, (j) => (j === 0 ? i : 0)), 'value', ...bytes(8, (j) => (i * 7 + j) & 0xff)), `update ${i}`);
  }
  const [ours, theirs, oursPlain, theirsPlain, showOurs, showTheirs, lookOurs, lookTheirs, firstOurs, firstTheirs] = await Promise.all([
    json(ebpf('-j', 'map', 'dump', 'pinned', p), 'ebpf dump'),
    json(bpftool('-j', 'map', 'dump', 'pinned', p), 'bpftool dump'),
    ok(ebpf('map', 'dump', 'pinned', p), 'ebpf plain dump'),
    ok(bpftool('map', 'dump', 'pinned', p), 'bpftool plain dump'),
    json(ebpf('-j', 'map', 'show', 'pinned', p), 'ebpf show'),
    json(bpftool('-j', 'map', 'show', 'pinned', p), 'bpftool show'),
    json(inproc('-j', 'map', 'lookup', 'pinned', p, 'key', '0x02', '0', '0', '00'), 'ebpf lookup'),
    json(bpftool('-j', 'map', 'lookup', 'pinned', p, 'key', '2', '0', '0', '0'), 'bpftool lookup'),
    json(inproc('-j', 'map', 'getnext', 'pinned', p), 'ebpf getnext first'),
    json(bpftool('-j', 'map', 'getnext', 'pinned', p), 'bpftool getnext first'),
  ]);
  assert.equal(ours.length, 39);
  // Batch lookups and bpftool's key walk see the hash table in the same bucket order.
  assert.deepEqual(ours, theirs);
  assert.equal(oursPlain, theirsPlain, 'plain dump text is bpftool\'s');
  assert.deepEqual(showOurs, showTheirs);
  assert.deepEqual(Object.keys(showOurs), Object.keys(showTheirs), 'same field order');
  assert.deepEqual(lookOurs, lookTheirs);
  assert.deepEqual(lookOurs.value, ['0xaa', '0xbb', '0xcc', '0xdd', '0xee', '0xff', '0x00', '0x11']);
  assert.deepEqual(firstOurs, firstTheirs);
  assert.equal(firstOurs.key, null);
  // --count, and a missing key: bpftool prints null under -j; both fail
  const firstKey = (ours[0].key as string[]).map((h) => h.slice(2));
  const [nextOurs, nextTheirs, count, countJ, missing, missingTheirs, missingPlain] = await Promise.all([
    json(inproc('-j', 'map', 'getnext', 'pinned', p, 'key', 'hex', ...firstKey), 'ebpf getnext'),
    json(bpftool('-j', 'map', 'getnext', 'pinned', p, 'key', 'hex', ...firstKey), 'bpftool getnext'),
    ok(ebpf('map', 'dump', 'pinned', p, '--count'), 'count'),
    json(inproc('-j', 'map', 'dump', 'pinned', p, '--count'), 'count -j'),
    ebpf('-j', 'map', 'lookup', 'pinned', p, 'key', '99', '0', '0', '0'),
    bpftool('-j', 'map', 'lookup', 'pinned', p, 'key', '99', '0', '0', '0'),
    inproc('map', 'lookup', 'pinned', p, 'key', '99', '0', '0', '0'),
  ]);
  assert.deepEqual(nextOurs, nextTheirs);
  assert.deepEqual(nextOurs.next_key, ours[1].key);
  assert.equal(count.trim(), '39');
  // -p is the same document, indented
  const [pd, ps] = await Promise.all([ok(inproc('-p', 'map', 'dump', 'pinned', p), '-p dump'), ok(inproc('-p', 'map', 'show', 'pinned', p), '-p show')]);
  assert.deepEqual(JSON.parse(pd), ours);
  assert.deepEqual(JSON.parse(ps), showOurs);
  assert.ok(pd.split('\n').length > ours.length, 'indented over several lines');
  assert.deepEqual(countJ, { count: 39 });
  assert.equal(missing.code, 1);
  assert.notEqual(missingTheirs.code, 0);
  assert.equal(missing.stdout.trim(), missingTheirs.stdout.trim());
  assert.equal(missingPlain.code, 1);
  assert.match(missingPlain.stdout, /Not found/);
});

test('ebpf-made maps (hash, array, percpu_hash, percpu_array, lru_hash): bpftool reads what ebpf wrote', kernelOnly(), async () => {
  const kinds = [
    { type: 'hash', key: 4, value: 12 },
    { type: 'array', key: 4, value: 20 },
    { type: 'percpu_hash', key: 8, value: 4 },
    { type: 'percpu_array', key: 4, value: 12 },
    { type: 'lru_hash', key: 20, value: 4 },
  ];
  await Promise.all(kinds.map((k) => ok(inproc('map', 'create', pin(`e_${k.type}`), 'type', k.type, 'key', String(k.key), 'value', String(k.value), 'entries', '8', 'name', `e_${k.type}`), `create ${k.type}`)));
  await Promise.all(kinds.map(async (k) => {
    const p = pin(`e_${k.type}`);
    await Promise.all([0, 1, 2].map((i) => ok(inproc('map', 'update', 'pinned', p, 'key', ...bytes(k.key, (j) => (j === 0 ? i : 0)),
      'value', 'hex', ...Array.from({ length: k.value }, (_, j) => ((i * 16 + j) & 0xff).toString(16))), `update ${k.type}`)));
    const [ours, theirs, oursPlain, theirsPlain, showOurs, showTheirs] = await Promise.all([
      json(ebpf('-j', 'map', 'dump', 'pinned', p), 'ebpf dump'),
      json(bpftool('-j', 'map', 'dump', 'pinned', p), 'bpftool dump'),
      ok(inproc('map', 'dump', 'pinned', p), 'ebpf plain'),
      ok(bpftool('map', 'dump', 'pinned', p), 'bpftool plain'),
      json(inproc('-j', 'map', 'show', 'pinned', p), 'ebpf show'),
      json(bpftool('-j', 'map', 'show', 'pinned', p), 'bpftool show'),
    ]);
    assert.deepEqual(ours, theirs, `${k.type}: JSON dump`);
    assert.equal(oursPlain, theirsPlain, `${k.type}: plain dump`);
    assert.deepEqual(showOurs, showTheirs, `${k.type}: show`);
    assert.equal(ours.length, k.type.endsWith('array') ? 8 : 3);
    if (k.type.startsWith('percpu')) {
      // one value given: every CPU gets it, as bpftool does
      const e = ours.find((x: { key: string[] }) => x.key[0] === '0x01');
      assert.ok(e.values.length >= 1);
      for (const v of e.values) assert.deepEqual(v.value, e.values[0].value);
    }
  }));
  // update flags: noexist on an existing key and exist on a missing one fail like the kernel says
  const h = pin('e_hash');
  const [noexist, exist] = await Promise.all([
    fails(['map', 'update', 'pinned', h, 'key', '0', '0', '0', '0', 'value', ...bytes(12, () => 1), 'noexist']),
    fails(['map', 'update', 'pinned', h, 'value', ...bytes(12, () => 1), 'exist', 'key', '9', '0', '0', '0']),
  ]);
  assert.match(noexist, /EEXIST/);
  assert.match(exist, /ENOENT/);
  // delete, then bpftool no longer finds the key
  await ok(ebpf('-j', 'map', 'delete', 'pinned', h, 'key', '1', '0', '0', '0'), 'delete');
  assert.notEqual((await bpftool('map', 'lookup', 'pinned', h, 'key', '1', '0', '0', '0')).code, 0);
  assert.match(await fails(['map', 'delete', 'pinned', h, 'key', '1', '0', '0', '0']), /not found/);
});

test('bpftool-made per-CPU map: ebpf dumps each CPU\'s value', kernelOnly(), async () => {
  const p = pin('bt_pcpu');
  await ok(bpftool('map', 'create', p, 'type', 'percpu_hash', 'key', '4', 'value', '20', 'entries', '4', 'name', 'bt_pcpu'), 'create');
  await ok(bpftool('map', 'update', 'pinned', p, 'key', '3', '0', '0', '0', 'value', ...bytes(20, (i) => i + 1)), 'update');
  const [ours, theirs, oursPlain, theirsPlain, lo, lt] = await Promise.all([
    json(ebpf('-j', 'map', 'dump', 'pinned', p), 'ebpf'),
    json(bpftool('-j', 'map', 'dump', 'pinned', p), 'bpftool'),
    ok(inproc('map', 'dump', 'pinned', p), 'ebpf plain'),
    ok(bpftool('map', 'dump', 'pinned', p), 'bpftool plain'),
    json(ebpf('-j', 'map', 'lookup', 'pinned', p, 'key', '3', '0', '0', '0'), 'ebpf lookup'),
    json(bpftool('-j', 'map', 'lookup', 'pinned', p, 'key', '3', '0', '0', '0'), 'bpftool lookup'),
  ]);
  assert.deepEqual(ours, theirs);
  assert.equal(oursPlain, theirsPlain);
  assert.deepEqual(lo, lt);
  assert.ok(Array.isArray(lo.values) && lo.values[0].cpu === 0);
});

test('queue: push/enqueue by either tool, peek/pop/dequeue by the other, in FIFO order', kernelOnly(), async () => {
  const p = pin('q');
  await ok(ebpf('map', 'create', p, 'type', 'queue', 'key', '0', 'value', '4', 'entries', '4', 'name', 'q'), 'create');
  await ok(ebpf('map', 'push', 'pinned', p, 'value', '1', '0', '0', '0'), 'push 1');
  await ok(bpftool('map', 'push', 'pinned', p, 'value', '2', '0', '0', '0'), 'push 2');
  await ok(ebpf('-j', 'map', 'enqueue', 'pinned', p, 'value', 'hex', '03', '00', '00', '00'), 'enqueue 3');
  const [po, pt, plainO, plainT, so, st] = await Promise.all([
    json(ebpf('-j', 'map', 'peek', 'pinned', p), 'ebpf peek'),
    json(bpftool('-j', 'map', 'peek', 'pinned', p), 'bpftool peek'),
    ok(ebpf('map', 'peek', 'pinned', p), 'ebpf plain peek'),
    ok(bpftool('map', 'peek', 'pinned', p), 'bpftool plain peek'),
    json(ebpf('-j', 'map', 'show', 'pinned', p), 'ebpf show'),
    json(bpftool('-j', 'map', 'show', 'pinned', p), 'bpftool show'),
  ]);
  assert.deepEqual(po, pt);
  assert.deepEqual(po, { key: [], value: ['0x01', '0x00', '0x00', '0x00'] });
  assert.equal(plainO, plainT);
  assert.deepEqual(so, st);
  assert.deepEqual(await json(bpftool('-j', 'map', 'pop', 'pinned', p), 'bpftool pop'), po);
  assert.deepEqual((await json(ebpf('-j', 'map', 'pop', 'pinned', p), 'ebpf pop')).value, ['0x02', '0x00', '0x00', '0x00']);
  assert.deepEqual((await json(ebpf('-j', 'map', 'dequeue', 'pinned', p), 'ebpf dequeue')).value, ['0x03', '0x00', '0x00', '0x00']);
  // empty: bpftool prints null under -j and fails; so does ebpf
  const [eo, et, plain] = await Promise.all([ebpf('-j', 'map', 'pop', 'pinned', p), bpftool('-j', 'map', 'pop', 'pinned', p), ebpf('map', 'pop', 'pinned', p)]);
  assert.equal(eo.code, 1);
  assert.notEqual(et.code, 0);
  assert.equal(eo.stdout.trim(), et.stdout.trim());
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /empty map/);
  assert.match(await fails(['map', 'dump', 'pinned', p]), /queue maps have no keys/);

  // a stack pops last-in first; a bloom filter answers membership through peek
  const stk = pin('st'), bl = pin('bl');
  await Promise.all([
    ok(bpftool('map', 'create', stk, 'type', 'stack', 'key', '0', 'value', '4', 'entries', '4', 'name', 'st'), 'stack'),
    ok(bpftool('map', 'create', bl, 'type', 'bloom_filter', 'key', '0', 'value', '4', 'entries', '16', 'name', 'bl'), 'bloom'),
  ]);
  await ok(inproc('map', 'push', 'pinned', stk, 'value', '1', '0', '0', '0'), 'push 1');
  await ok(inproc('map', 'push', 'pinned', stk, 'value', '2', '0', '0', '0'), 'push 2');
  await ok(bpftool('map', 'push', 'pinned', bl, 'value', '1', '2', '3', '4'), 'bloom add');
  const [sp, member, absent] = await Promise.all([
    json(ebpf('-j', 'map', 'peek', 'pinned', stk), 'stack peek'),
    inproc('-j', 'map', 'peek', 'pinned', bl, 'value', '1', '2', '3', '4'),
    inproc('-j', 'map', 'peek', 'pinned', bl, 'value', '4', '3', '2', '1'),
  ]);
  assert.deepEqual(sp.value, ['0x02', '0x00', '0x00', '0x00']);
  assert.deepEqual(await json(bpftool('-j', 'map', 'pop', 'pinned', stk), 'bpftool stack pop'), sp);
  assert.equal(member.code, 0);
  assert.deepEqual(JSON.parse(member.stdout).value, ['0x01', '0x02', '0x03', '0x04']);
  assert.equal(absent.code, 1, 'absent (a false positive needs all 5 hash bits of 128 set by one element: ~1e-7)');
  assert.equal(absent.stdout.trim(), 'null');
});

test('freeze, pin, -f pinned paths and name selectors agree with bpftool', kernelOnly(), async () => {
  const p = pin('fz');
  await ok(ebpf('map', 'create', p, 'type', 'array', 'key', '4', 'value', '4', 'entries', '2', 'name', `fz${process.pid % 100000}`), 'create');
  const [shown] = await Promise.all([json(ebpf('-j', 'map', 'show', 'pinned', p), 'show')]);
  assert.equal(shown.frozen, 0);
  await ok(ebpf('-j', 'map', 'freeze', 'id', String(shown.id)), 'freeze');
  const p2 = pin('fz_again');
  await ok(ebpf('map', 'pin', 'id', String(shown.id), p2), 'pin');
  const name = `fz${process.pid % 100000}`;
  const [fo, ft, named, namedTheirs, dumpNamed, dumpNamedTheirs] = await Promise.all([
    json(ebpf('-j', '-f', 'map', 'show', 'pinned', p), 'ebpf show -f'),
    json(bpftool('-j', '-f', 'map', 'show', 'pinned', p), 'bpftool show -f'),
    json(ebpf('-j', 'map', 'show', 'name', name), 'show by name'),
    json(bpftool('-j', 'map', 'show', 'name', name), 'bpftool show by name'),
    json(ebpf('-j', 'map', 'dump', 'name', name), 'dump by name'),
    json(bpftool('-j', 'map', 'dump', 'name', name), 'bpftool dump by name'),
  ]);
  assert.equal(fo.frozen, 1);
  // bpftool lists a pin once per bpffs mount-table entry, so twice when two
  // bpffs are stacked on /sys/fs/bpf (two tools racing to mount it); we list it once
  assert.deepEqual({ ...fo, pinned: [...fo.pinned].sort() }, { ...ft, pinned: [...new Set(ft.pinned as string[])].sort() });
  assert.deepEqual([...fo.pinned].sort(), [p, p2].sort());
  assert.deepEqual(named, namedTheirs);
  assert.deepEqual(dumpNamed, dumpNamedTheirs);
  assert.match(await fails(['map', 'update', 'pinned', p2, 'key', '0', '0', '0', '0', 'value', '1', '2', '3', '4']), /is frozen/);
  // a second map with the same name: show/dump list both (bpftool's shape), single-map commands refuse
  const p3 = pin('fz_twin');
  await ok(bpftool('map', 'create', p3, 'type', 'hash', 'key', '4', 'value', '4', 'entries', '2', 'name', name), 'twin');
  const [two, twoTheirs, dumpTwo, dumpTwoTheirs] = await Promise.all([
    json(ebpf('-j', 'map', 'show', 'name', name), 'show twins'),
    json(bpftool('-j', 'map', 'show', 'name', name), 'bpftool show twins'),
    json(ebpf('-j', 'map', 'dump', 'name', name), 'dump twins'),
    json(bpftool('-j', 'map', 'dump', 'name', name), 'bpftool dump twins'),
  ]);
  assert.equal(two.length, 2);
  assert.deepEqual(two, twoTheirs);
  assert.deepEqual(dumpTwo, dumpTwoTheirs);
  assert.match(await fails(['map', 'lookup', 'name', name, 'key', '0', '0', '0', '0']), /2 maps are named/);
});

test('map-in-map and prog_array values by reference, read back as ids like bpftool', kernelOnly(), async () => {
  const inner = pin('inner');
  const outer = pin('outer');
  await ok(bpftool('map', 'create', inner, 'type', 'hash', 'key', '4', 'value', '4', 'entries', '2', 'name', 'inner'), 'inner');
  await ok(ebpf('map', 'create', outer, 'type', 'array_of_maps', 'key', '4', 'value', '4', 'entries', '2', 'name', 'outer', 'inner_map', 'pinned', inner), 'outer');
  await ok(ebpf('map', 'update', 'pinned', outer, 'key', '1', '0', '0', '0', 'value', 'pinned', inner), 'update outer');
  const [dumpO, dumpT, innerShow] = await Promise.all([
    json(ebpf('-j', 'map', 'dump', 'pinned', outer), 'ebpf dump'),
    json(bpftool('-j', 'map', 'dump', 'pinned', outer), 'bpftool dump'),
    json(bpftool('-j', 'map', 'show', 'pinned', inner), 'inner show'),
  ]);
  assert.deepEqual(dumpO, dumpT);
  assert.equal(dumpO.length, 1, 'empty slots are skipped, as bpftool does');
  const id = Buffer.from(dumpO[0].value.map((h: string) => Number(h))).readUInt32LE(0);
  assert.equal(id, innerShow.id);
  assert.match(await fails(['map', 'create', pin('bad_outer'), 'type', 'hash_of_maps', 'key', '4', 'value', '4', 'entries', '2', 'name', 'bad']), /inner_map MAP/);

  const pa = pin('progs');
  await ok(ebpf('map', 'create', pa, 'type', 'prog_array', 'key', '4', 'value', '4', 'entries', '4', 'name', 'progs'), 'prog_array');
  const progFd = loadTrivialProgram();
  try {
    const progPin = pin('prog');
    const { objPin } = await import('../../src/sys/map-cmds.ts');
    assert.equal(objPin(progFd, progPin), 0);
    await ok(ebpf('map', 'update', 'pinned', pa, 'key', '2', '0', '0', '0', 'value', 'pinned', progPin), 'update prog_array');
    const [o, t] = await Promise.all([json(ebpf('-j', 'map', 'dump', 'pinned', pa), 'ebpf'), json(bpftool('-j', 'map', 'dump', 'pinned', pa), 'bpftool')]);
    assert.deepEqual(o, t);
    assert.equal(o.length, 1);
    assert.match(await fails(['map', 'update', 'pinned', pa, 'key', '2', '0', '0', '0', 'value', 'pinned', inner]), /not a program/);
  } finally {
    native().close(progFd);
  }
});

test('a map with BTF: dump and lookup carry bpftool\'s "formatted" section', kernelOnly(), async () => {
  const b = new BtfBuilder();
  const u16 = b.add({ kind: 'int', name: 'unsigned short', size: 2, encoding: 0, bitOffset: 0, bits: 16 });
  const u32 = b.add({ kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
  const u64 = b.add({ kind: 'int', name: 'unsigned long long', size: 8, encoding: 0, bitOffset: 0, bits: 64 });
  const chr = b.add({ kind: 'int', name: 'char', size: 1, encoding: 1, bitOffset: 0, bits: 8 });
  const comm = b.add({ kind: 'array', name: '', elemType: chr, indexType: u32, nelems: 8 });
  const key = b.add({ kind: 'struct', name: 'flow', size: 8, members: [
    { name: 'addr', type: u32, bitOffset: 0, bitfieldSize: 0 }, { name: 'port', type: u16, bitOffset: 32, bitfieldSize: 0 }] });
  const value = b.add({ kind: 'struct', name: 'stats', size: 16, members: [
    { name: 'packets', type: u64, bitOffset: 0, bitfieldSize: 0 }, { name: 'comm', type: comm, bitOffset: 64, bitfieldSize: 0 }] });
  const btf = { spec: parseBtf(b.encode()), keyTypeId: key, valueTypeId: value };
  const m = createMap({ type: 'hash', maxEntries: 8, name: 'btf_flows', btf });
  const pm = createMap({ type: 'percpu_hash', maxEntries: 8, name: 'btf_pflows', btf });
  try {
    m.set({ addr: 0x0a000001, port: 443 }, { packets: 3n, comm: new TextEncoder().encode('bash\0\0\0\0') } as never);
    m.set({ addr: 2, port: 80 }, { packets: 1n << 40n, comm: new Uint8Array(8) } as never);
    const slot = { packets: 5n, comm: new Uint8Array(8) };
    pm.set({ addr: 1, port: 1 }, Array.from({ length: pm.descriptor.nCpus }, () => slot) as never);
    const id = String(m.info().id), pid = String(pm.info().id);
    const [o, t, po, pt, lo, lt, so, st, plain] = await Promise.all([
      json(ebpf('-j', 'map', 'dump', 'id', id), 'ebpf'),
      json(bpftool('-j', 'map', 'dump', 'id', id), 'bpftool'),
      json(ebpf('-j', 'map', 'dump', 'id', pid), 'ebpf percpu'),
      json(bpftool('-j', 'map', 'dump', 'id', pid), 'bpftool percpu'),
      json(ebpf('-j', 'map', 'lookup', 'id', id, 'key', '2', '0', '0', '0', '80', '0', '0', '0'), 'ebpf lookup'),
      json(bpftool('-j', 'map', 'lookup', 'id', id, 'key', '2', '0', '0', '0', '80', '0', '0', '0'), 'bpftool lookup'),
      json(ebpf('-j', 'map', 'show', 'id', id), 'ebpf show'),
      json(bpftool('-j', 'map', 'show', 'id', id), 'bpftool show'),
      ok(ebpf('map', 'dump', 'id', id), 'plain'),
    ]);
    assert.deepEqual(o, t);
    assert.ok(o.every((e: { formatted?: unknown }) => e.formatted));
    assert.deepEqual(po, pt);
    assert.deepEqual(lo, lt);
    assert.deepEqual(so, st);
    assert.ok(so.btf_id > 0);
    assert.match(plain, /"comm":"bash"/);
    assert.match(plain, /Found 2 elements/);
  } finally {
    m.close();
    pm.close();
  }
});

test('bad input: exit code 1 and one clear line (or {"error"} with -j)', kernelOnly(), async () => {
  const p = pin('errs');
  await ok(ebpf('map', 'create', p, 'type', 'hash', 'key', '4', 'value', '4', 'entries', '2', 'name', 'errs'), 'create');
  await ok(inproc('map', 'create', pin('rb'), 'type', 'ringbuf', 'entries', '4096', 'name', 'rb'), 'ringbuf');
  const cases: [string[], RegExp][] = [
    [['map', 'lookup', 'pinned', p, 'key', 'hex', 'zz', '0', '0', '0'], /'zz' is not a byte/],
    [['map', 'lookup', 'pinned', p, 'key', '1', '2', '3'], /expected 4 bytes.*got 3/],
    [['map', 'lookup', 'pinned', p, 'key', '1', '2', '3', '4', '5'], /expected 4 bytes.*got 5/],
    [['map', 'update', 'pinned', p, 'key', '1', '2', '3', '4', 'value', '256', '0', '0', '0'], /out of range/],
    [['map', 'update', 'pinned', p, 'key', '1', '2', '3', '4'], /did not find value/],
    [['map', 'show', 'id', '4000000000'], /no such map/],
    [['map', 'dump', 'id', 'x'], /not a number/],
    [['map', 'dump', 'pinned', `${DIR}/nope`], /no such file/],
    [['map', 'dump', 'pinned', '/tmp'], /not on a bpffs/],
    [['map', 'dump', 'name', 'no_such_map_zz'], /no map named/],
    [['map', 'create', pin('x1'), 'type', 'hashmap', 'key', '4', 'value', '4', 'entries', '1', 'name', 'x'], /unknown map type 'hashmap'/],
    [['map', 'create', pin('x2'), 'type', 'hash', 'key', '4', 'value', '4', 'entries', '1'], /name not specified/],
    [['map', 'create', pin('x3'), 'type', 'hash', 'key', '4', 'value', '4', 'entries', '1', 'name', 'x', 'flags', 'nope'], /unknown flag/],
    [['map', 'create', p, 'type', 'hash', 'key', '4', 'value', '4', 'entries', '1', 'name', 'dup'], /EEXIST|exists/],
    [['map', 'frobnicate'], /unknown command/],
    [['map', 'push', 'pinned', p, 'value', '1', '0', '0', '0'], /have keys/],
    [['map', 'dump', 'pinned', pin('rb')], /stream of records/],
  ];
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  // a few through bin/ebpf for the real exit code and stderr, the rest in-process
  const msgs = await Promise.all(cases.map(([args], i) => fails(args, i % 5 === 0)));
  msgs.forEach((m, i) => assert.match(m, cases[i]![1], `ebpf ${cases[i]![0].join(' ')}`));
  const j = await ebpf('-j', 'map', 'lookup', 'pinned', p, 'key', '1');
  assert.equal(j.code, 1);
  assert.deepEqual(Object.keys(JSON.parse(j.stdout)), ['error']);
  assert.equal(fds(), before, 'failed commands closed every fd they opened');
  // the flags/pin that failed left nothing behind
  assert.ok(!existsSync(pin('x3')) && !existsSync(pin('x1')));
});

test('a big map: the batched, buffered dump equals bpftool\'s key walk entry for entry', kernelOnly(), async () => {
  const n = 20_000; // ~2 MB of JSON: several output buffers and batch pages
  const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: n, name: 'big_dump' });
  try {
    const keys: Uint8Array[] = [], values: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i * 2654435761 >>> 0, true);
      keys.push(k);
      values.push(Uint8Array.from({ length: 8 }, (_, j) => (i + j) & 0xff));
    }
    m.updateBatch(keys, values);
    const id = String(m.info().id);
    const [o, t, count] = await Promise.all([
      json(ebpf('-j', 'map', 'dump', 'id', id), 'ebpf'),
      json(bpftool('-j', 'map', 'dump', 'id', id), 'bpftool'),
      ok(ebpf('map', 'dump', 'id', id, '--count'), 'count'),
    ]);
    assert.equal(o.length, n);
    assert.deepEqual(o, t);
    assert.equal(count.trim(), String(n));
  } finally {
    m.close();
  }
});

test('map files saved by the emulator: read, changed and written back like a kernel map', kernelOnly(), async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-map-file-'));
  try {
    const file = join(dir, 'counts.map');
    const em = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, name: 'counts' }, { backend: 'emulator' });
    const km = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, name: 'counts_k' });
    try {
      for (let i = 0; i < 6; i++) {
        const k = new Uint8Array([i, 0, 0, 0]), v = Uint8Array.from({ length: 8 }, (_, j) => i * 8 + j);
        em.set(k, v);
        km.set(k, v);
      }
      writeFileSync(file, saveEmulatedMap(em.backend));
      const byKey = (a: { key: string[] }, b: { key: string[] }) => a.key.join().localeCompare(b.key.join());
      const [fromFile, fromKernel, show] = await Promise.all([
        json(ebpf('-j', 'map', 'dump', 'file', file), 'dump file'),
        json(bpftool('-j', 'map', 'dump', 'id', String(km.info().id)), 'bpftool dump'),
        json(inproc('-j', 'map', 'show', 'file', file), 'show file'),
      ]);
      // Hash order depends on each table's seed: compare as sets of entries.
      assert.deepEqual(fromFile.sort(byKey), fromKernel.sort(byKey));
      assert.deepEqual(show, { id: 0, type: 'hash', name: 'counts', flags: 0, bytes_key: 4, bytes_value: 8, max_entries: 16, frozen: 0 });
      // writes go back to the file
      await ok(inproc('map', 'update', 'file', file, 'key', '9', '0', '0', '0', 'value', ...bytes(8, () => 1), 'noexist'), 'update file');
      await ok(inproc('map', 'delete', 'file', file, 'key', '0', '0', '0', '0'), 'delete file');
      await ok(inproc('map', 'freeze', 'file', file), 'freeze file');
      const reloaded = loadEmulatedMap(new Uint8Array(readFileSync(file)));
      try {
        assert.equal((reloaded as { frozen?: boolean }).frozen, true);
      } finally {
        reloaded.close();
      }
      assert.equal((await inproc('map', 'dump', 'file', file, '--count')).stdout.trim(), '6');
      assert.match(await fails(['map', 'update', 'file', file, 'key', '1', '0', '0', '0', 'value', ...bytes(8, () => 2)]), /is frozen/);
      writeFileSync(join(dir, 'bad.map'), readFileSync(file).subarray(0, 90));
      assert.match(await fails(['map', 'dump', 'file', join(dir, 'bad.map')]), /map file: .* at offset/);
      assert.match(await fails(['map', 'dump', 'file', join(dir, 'none.map')]), /no such file/);
    } finally {
      em.close();
      km.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
