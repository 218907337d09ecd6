import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelOnly } from '../helpers/kernel.js';
import { main } from '../../src/cli/main.js';
import { createMap } from '../../src/maps/index.js';
import { loadProgram } from '../../src/prog/index.js';
import { ensureBpffs } from '../../src/sys/fs.js';
import { countInto } from './programs.js';

async function ebpf(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => { out += s.endsWith('\n') ? s : s + '\n'; }, err: (s) => { err += s + '\n'; } });
  return { code, out, err };
}
const bpftool = (...args: string[]) => execFileSync('bpftool', args, { encoding: 'utf8' });

/** loaded_at is computed from clocks on both sides and may differ by a second. */
function withoutClock(rec: Record<string, unknown>) {
  const { loaded_at: t, ...rest } = rec;
  return { rest, t: t as number };
}

function fixture(t: { after(fn: () => void): void }) {
  ensureBpffs();
  const pin = `/sys/fs/bpf/ebpfts_cli_${process.pid}`;
  rmSync(pin, { force: true });
  t.after(() => rmSync(pin, { force: true }));
  const map = createMap({ type: 'array', key: 'u32', value: 'u64', maxEntries: 4, name: 'cli_counts' });
  const prog = loadProgram({ type: 'xdp', name: 'cli_prog', license: 'GPL', instructions: countInto(map.fd, 0, 2) });
  t.after(() => { prog.close(); map.close(); });
  prog.pin(pin);
  return { pin, id: prog.info().id, map, prog };
}

test('prog show: JSON and text are bpftool\'s, for id, pinned, name and with -f', kernelOnly(), async (t) => {
  const { pin, id } = fixture(t);
  for (const sel of [['id', String(id)], ['pinned', pin], ['name', 'cli_prog']]) {
    const ours = JSON.parse((await ebpf('-j', 'prog', 'show', ...sel)).out);
    const theirs = JSON.parse(bpftool('-j', 'prog', 'show', ...sel));
    const a = withoutClock(ours);
    const b = withoutClock(theirs);
    assert.deepEqual(a.rest, b.rest);
    assert.ok(Math.abs(a.t - b.t) <= 1);
  }
  const f = JSON.parse((await ebpf('-j', '-f', 'prog', 'show', 'id', String(id))).out);
  assert.deepEqual(f.pinned, [pin]);
  const text = (await ebpf('prog', 'show', 'id', String(id))).out.trimEnd().split('\n');
  const ref = bpftool('prog', 'show', 'id', String(id)).trimEnd().split('\n');
  assert.equal(text[0], ref[0]);
  assert.equal(text[2], ref[2]);
  assert.match(text[1]!, /^\tloaded_at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}  uid 0$/);
  const all = JSON.parse((await ebpf('-j', 'prog', 'list')).out) as { id: number }[];
  assert.ok(Array.isArray(all) && all.some((p) => p.id === id));
});

test('prog dump xlated matches bpftool (text, opcodes, JSON)', kernelOnly(), async (t) => {
  const { id } = fixture(t);
  for (const extra of [[], ['opcodes']]) {
    assert.equal((await ebpf('prog', 'dump', 'xlated', 'id', String(id), ...extra)).out, bpftool('prog', 'dump', 'xlated', 'id', String(id), ...extra));
    assert.deepEqual(
      JSON.parse((await ebpf('-j', 'prog', 'dump', 'xlated', 'id', String(id), ...extra)).out),
      JSON.parse(bpftool('-j', 'prog', 'dump', 'xlated', 'id', String(id), ...extra)),
    );
  }
});

test('prog run: same output as bpftool, files written, the program really ran', kernelOnly(), async (t) => {
  const { id, map } = fixture(t);
  const dir = mkdtempSync(join(tmpdir(), 'ebpfts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'in.bin');
  writeFileSync(input, Uint8Array.from({ length: 64 }, (_, i) => i + 32));
  const ours = JSON.parse((await ebpf('-j', 'prog', 'run', 'id', String(id), 'data_in', input, 'data_out', '-', 'repeat', '5')).out);
  const theirs = JSON.parse(bpftool('-j', 'prog', 'run', 'id', String(id), 'data_in', input, 'data_out', '-', 'repeat', '5'));
  assert.deepEqual(Object.keys(ours), Object.keys(theirs));
  assert.deepEqual(ours.data_out, theirs.data_out);
  assert.equal(ours.retval, theirs.retval);
  assert.equal(map.get(0), 10n);
  const text = (await ebpf('prog', 'run', 'id', String(id), 'data_in', input, 'data_out', '-')).out.split('\n');
  const ref = bpftool('prog', 'run', 'id', String(id), 'data_in', input, 'data_out', '-').split('\n');
  assert.deepEqual(text.slice(0, 4), ref.slice(0, 4)); // the hex dump; the last line has a duration
  assert.match(text[4]!, /^Return value: 2, duration: \d+ns$/);
  const outFile = join(dir, 'out.bin');
  assert.equal((await ebpf('prog', 'run', 'id', String(id), 'data_in', input, 'data_out', outFile)).code, 0);
  assert.deepEqual(readFileSync(outFile), readFileSync(input));
});

test('prog pin, and usage errors are one line with exit code 1', kernelOnly(), async (t) => {
  const { id } = fixture(t);
  const path = `/sys/fs/bpf/ebpfts_cli2_${process.pid}`;
  t.after(() => rmSync(path, { force: true }));
  assert.equal((await ebpf('prog', 'pin', 'id', String(id), path)).code, 0);
  assert.ok(existsSync(path));
  assert.equal(JSON.parse(bpftool('-j', 'prog', 'show', 'pinned', path)).id, id);
  const bad = await ebpf('prog', 'show', 'bogus', '1');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^Error: expected PROG/);
  const missing = await ebpf('prog', 'show', 'id', '2147483600');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /ENOENT|no such program/);
  const run = await ebpf('prog', 'run', 'id', String(id), 'data_in', '/nonexistent/file');
  assert.equal(run.code, 1);
  assert.match(run.err, /ENOENT/);
  assert.equal((await ebpf('prog', 'dump', 'jited', 'id', String(id))).code, 1);
});

test('prog loadall pins every program of an object', kernelOnly(), async (t) => {
  ensureBpffs();
  const dir = `/sys/fs/bpf/ebpfts_loadall_${process.pid}`;
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const obj = new URL('../../examples/xdp-config/firewall.bpf.o', import.meta.url).pathname;
  const r = await ebpf('prog', 'loadall', obj, dir);
  assert.equal(r.code, 0, r.err);
  const pins = bpftool('-j', 'prog', 'show');
  assert.ok(pins.length > 0);
  const shown = JSON.parse((await ebpf('-j', '-f', 'prog', 'show')).out) as { pinned?: string[] }[];
  assert.ok(shown.some((p) => p.pinned?.some((x) => x.startsWith(dir + '/'))));
});
