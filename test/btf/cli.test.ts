/**
 * `ebpf btf` end to end (bin/ebpf runs dist/: `npm run build` first, as
 * `npm test` does), with bpftool as the oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBtf } from '../../src/btf/encode.js';
import { btfInfoByFd, btfLoad } from '../../src/sys/btf-cmds.js';
import { MapType } from '../../src/sys/constants.js';
import { mapCreate, mapInfoByFd } from '../../src/sys/map-cmds.js';
import { native } from '../../src/sys/native.js';
import { kernelOnly } from '../helpers/kernel.js';
import { FIXTURES, REPO, SHARED_BTF, needs, run } from './helpers.js';

function ebpf(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/ebpf'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(...args: string[]): string {
  const r = ebpf(...args);
  assert.equal(r.status, 0, `ebpf ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const kinds = `${FIXTURES}kinds-eb.bpf.o`;

test('ebpf btf dump file: raw, c and -j equal bpftool (ELF object and split raw BTF)', needs('bpftool'), () => {
  assert.equal(ok('btf', 'dump', 'file', kinds), run('bpftool', ['btf', 'dump', 'file', kinds]));
  assert.equal(ok('btf', 'dump', 'file', kinds, 'format', 'c'), run('bpftool', ['btf', 'dump', 'file', kinds, 'format', 'c']));
  // JSON: same document (bpftool -j prints no enums >= 2^31 here, so texts can be compared parsed).
  assert.deepEqual(JSON.parse(ok('-j', 'btf', 'dump', 'file', `${SHARED_BTF}tags-el.elf`)), JSON.parse(run('bpftool', ['-j', 'btf', 'dump', 'file', `${SHARED_BTF}tags-el.elf`])));
  const split = ['file', `${SHARED_BTF}btf_testmod.btf`, '-B', `${SHARED_BTF}btf_testmod.btf.base`];
  assert.equal(ok('btf', 'dump', ...split), run('bpftool', ['btf', 'dump', ...split]));
});

test('ebpf btf dump: bad input is one line on stderr and exit code 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-btf-cli-'));
  try {
    writeFileSync(join(dir, 'junk.btf'), Buffer.from('not btf at all, clearly; longer than a header'));
    const junk = ebpf('btf', 'dump', 'file', join(dir, 'junk.btf'));
    assert.equal(junk.status, 1);
    assert.match(junk.stderr, /^Error: btf: bad magic .* at offset 0 /);
    const missing = ebpf('btf', 'dump', 'file', join(dir, 'missing.btf'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /ENOENT|no such file/i);
    const usage = ebpf('btf', 'dump', 'file', kinds, 'format', 'yaml');
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /unknown format 'yaml'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ebpf btf show/dump by id and by map equal bpftool on a map created with BTF', { ...kernelOnly(), ...needs('bpftool') }, (t) => {
  const btfFd = btfLoad(encodeBtf([
    { kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 },
    { kind: 'struct', name: 'flow', size: 8, members: [{ name: 'addr', type: 1, bitOffset: 0, bitfieldSize: 0 }, { name: 'port', type: 1, bitOffset: 32, bitfieldSize: 0 }] },
  ]));
  t.after(() => native().close(btfFd));
  const mapFd = mapCreate({ type: MapType.hash, keySize: 4, valueSize: 8, maxEntries: 4, name: 'btf_cli_test', btfFd, btfKeyTypeId: 1, btfValueTypeId: 2 });
  assert.ok(mapFd >= 0, `map create: errno ${-mapFd}`);
  t.after(() => native().close(mapFd));
  const btfId = String(btfInfoByFd(btfFd).id);
  const mapId = String(mapInfoByFd(mapFd).id);

  assert.equal(ok('btf', 'show', 'id', btfId), run('bpftool', ['btf', 'show', 'id', btfId]));
  assert.deepEqual(JSON.parse(ok('-j', 'btf', 'show', 'id', btfId)), JSON.parse(run('bpftool', ['-j', 'btf', 'show', 'id', btfId])));
  assert.match(ok('btf', 'list'), new RegExp(`^${btfId}: name <anon>  size \\d+B  map_ids ${mapId}$`, 'm'));
  for (const format of ['raw', 'c']) {
    assert.equal(ok('btf', 'dump', 'id', btfId, 'format', format), run('bpftool', ['btf', 'dump', 'id', btfId, 'format', format]));
    for (const sel of [['key'], ['value'], ['kv'], ['all'], []]) {
      assert.equal(ok('btf', 'dump', 'map', 'id', mapId, ...sel, 'format', format), run('bpftool', ['btf', 'dump', 'map', 'id', mapId, ...sel, 'format', format]), `${sel} ${format}`);
    }
  }
  assert.equal(ok('btf', 'dump', 'map', 'name', 'btf_cli_test'), run('bpftool', ['btf', 'dump', 'map', 'id', mapId]));
});
