import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { kernelOnly } from '../helpers/kernel.js';
import { createMap } from '../../src/maps/index.js';
import { loadProgram } from '../../src/prog/index.js';
import { attachUprobe, attachUretprobe, symbolFileOffset } from '../../src/link/index.js';
import { EbpfError, InvalidArgumentError } from '../../src/sys/errors.js';
import { countIfPid, openFdCount } from '../prog/programs.js';

/** readelf as the oracle: the symbol's address mapped through the PT_LOAD segment holding it. */
function readelfOffset(path: string, symbol: string): number {
  const syms = execFileSync('readelf', ['-W', '--dyn-syms', path], { encoding: 'utf8', maxBuffer: 1 << 26 });
  // Versioned names read `getppid@@GLIBC_2.2.5`.
  const line = syms.split('\n').find((l) => / FUNC /.test(l) && / UND /.test(l) === false && new RegExp(` ${symbol}(@.*)?$`).test(l.trim()));
  assert.ok(line, `readelf lists ${symbol}`);
  const vaddr = parseInt(line.trim().split(/\s+/)[1]!, 16);
  const segs = execFileSync('readelf', ['-lW', path], { encoding: 'utf8' }).split('\n').filter((l) => /^\s+LOAD\s/.test(l));
  for (const s of segs) {
    const [, off, va, , filesz] = s.trim().split(/\s+/);
    const o = parseInt(off!, 16), v = parseInt(va!, 16), n = parseInt(filesz!, 16);
    if (vaddr >= v && vaddr < v + n) return vaddr - v + o;
  }
  throw new Error('no segment');
}

// A small, always-present shared object keeps readelf fast (node's own tables hold ~70k symbols).
const LIBC = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/aarch64-linux-gnu/libc.so.6', '/lib64/libc.so.6'].find((p) => existsSync(p));

test('symbol offsets agree with readelf', { skip: LIBC ? false : 'no libc.so.6 at a known path' }, () => {
  for (const sym of ['getppid', 'malloc', 'memcpy']) assert.equal(symbolFileOffset(LIBC!, sym), readelfOffset(LIBC!, sym), sym);
  assert.throws(() => symbolFileOffset(process.execPath, 'no_such_function_xyz'), (e: unknown) => e instanceof EbpfError && e.code === 'ENOENT');
});

test('the ELF symbol reader never throws anything but typed errors on garbage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpfts-elf-'));
  try {
    const header = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (bytes, withMagic) => {
      const data = withMagic ? new Uint8Array([...header, ...bytes]) : bytes;
      const path = join(dir, 'f');
      writeFileSync(path, data);
      try {
        symbolFileOffset(path, 'main');
      } catch (e) {
        assert.ok(e instanceof EbpfError, String(e));
      }
    }), { numRuns: 300 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('uprobe and uretprobe on a function of the node binary count its calls', kernelOnly(), () => {
  using m = createMap({ type: 'array', key: 'u32', value: 'u64', maxEntries: 2 });
  using entry = loadProgram({ type: 'kprobe', license: 'GPL', instructions: countIfPid(m.fd, 0, process.pid, 0) });
  using exit = loadProgram({ type: 'kprobe', license: 'GPL', instructions: countIfPid(m.fd, 1, process.pid, 0) });
  const before = openFdCount();
  {
    // process.ppid calls libuv's uv_os_getppid, which node exports.
    using a = attachUprobe(entry, process.execPath, 'uv_os_getppid', { pid: process.pid });
    using b = attachUretprobe(exit, process.execPath, symbolFileOffset(process.execPath, 'uv_os_getppid'));
    for (let i = 0; i < 7; i++) void process.ppid;
    assert.equal(m.get(0), 7n);
    assert.equal(m.get(1), 7n);
    assert.equal(a.info().perfEventType, 1 /* uprobe */);
    void b;
  }
  void process.ppid;
  assert.equal(m.get(0), 7n, 'detached on close');
  assert.equal(openFdCount(), before);
  assert.throws(() => attachUprobe(entry, process.execPath, 'no_such_function_xyz'), (e: unknown) => e instanceof EbpfError && e.code === 'ENOENT');
  assert.throws(() => attachUprobe(entry, process.execPath, -5), InvalidArgumentError);
});
