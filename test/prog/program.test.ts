import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { kernelOnly } from '../helpers/kernel.js';
import { asm, decode, disassemble } from '../../src/asm/index.js';
import { createMap } from '../../src/maps/index.js';
import {
  listPrograms, loadProgram, loadProgramWithLog, openProgram, programIds, VerifierError, xlatedCallResolver,
} from '../../src/prog/index.js';
import { BpfError, EbpfError, InvalidArgumentError } from '../../src/sys/errors.js';
import { ensureBpffs } from '../../src/sys/fs.js';
import { countInto, openFdCount } from './programs.js';

const XDP_PASS = 2;
const bpftoolJson = (...args: string[]) => JSON.parse(execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8' }));

test('load an XDP program and test-run it', kernelOnly(), () => {
  using prog = loadProgram({ type: 'xdp', name: 'ret_pass', instructions: [asm.mov64Imm(0, XDP_PASS), asm.exit()] });
  const packet = Uint8Array.from({ length: 64 }, (_, i) => i);
  const r = prog.testRun({ dataIn: packet, repeat: 10 });
  assert.equal(r.retval, XDP_PASS);
  assert.deepEqual(r.dataOut, packet); // XDP_PASS leaves the packet untouched
  assert.ok(r.duration >= 0);
});

test('test runs see the maps a program writes', kernelOnly(), () => {
  using counts = createMap({ type: 'array', key: 'u32', value: 'u64', maxEntries: 2 });
  using prog = loadProgram({ type: 'socket_filter', license: 'GPL', instructions: countInto(counts.fd, 1, 0) });
  prog.testRun({ dataIn: new Uint8Array(64), repeat: 7 });
  assert.equal(counts.get(1), 7n);
  assert.equal(counts.get(0), 0n);
});

test('a verifier rejection is a VerifierError with the log as lines', kernelOnly(), () => {
  // r0 is never written: the verifier says "R0 !read_ok" (kernel/bpf/verifier.c, check_reg_arg).
  const err = assert.throws(() => loadProgram({ type: 'xdp', name: 'bad', instructions: [asm.exit()] }), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.ok(e instanceof BpfError);
    assert.equal(e.code, 'EACCES');
    assert.ok(e.log.includes('R0 !read_ok'), e.log.join('\n'));
    assert.match(e.message, /R0 !read_ok/);
    assert.match(e.message, /bad/);
    return true;
  });
  void err;
});

test('an out-of-bounds stack access is reported with the verifier reason', kernelOnly(), () => {
  assert.throws(
    () => loadProgram({ type: 'xdp', instructions: [asm.ldxMem('u64', 0, 10, 8), asm.exit()] }),
    (e: unknown) => e instanceof VerifierError && e.log.some((l) => /invalid read from stack|invalid stack off/.test(l)),
  );
});

test('a small log buffer grows until the whole log fits (ENOSPC retry)', kernelOnly(), () => {
  const body = Array.from({ length: 200 }, (_, i) => asm.mov64Imm(1, i));
  const { program, log } = loadProgramWithLog({ type: 'xdp', instructions: [...body, asm.mov64Imm(0, 2), asm.exit()], logLevel: 2, logSize: 1024 });
  program.close();
  assert.ok(log.join('\n').length > 4096, 'verbose log of 200 instructions exceeds the first buffer');
  assert.match(log.at(-1)!, /^processed 202 insns/);
});

test('info() agrees with bpftool prog show, and the disassembly with bpftool prog dump xlated', kernelOnly(), () => {
  using counts = createMap({ type: 'hash', key: 'u32', value: 'u64', maxEntries: 4 });
  using prog = loadProgram({
    type: 'xdp', name: 'info_check', license: 'GPL',
    instructions: [...countInto(counts.fd, 0, 0).slice(0, -2), asm.call('ktime_get_ns'), asm.mov64Imm(1, 5), asm.jmpReg('JSGT', 0, 1, 0), asm.mov64Imm(0, 2), asm.exit()],
  });
  const info = prog.info({ xlated: true });
  const tool = bpftoolJson('prog', 'show', 'id', String(info.id));
  assert.equal(tool.id, info.id);
  assert.equal(tool.type, 'xdp');
  assert.equal(tool.name, 'info_check');
  assert.equal(tool.tag, info.tag);
  assert.equal(tool.gpl_compatible, info.gplCompatible);
  assert.equal(tool.bytes_xlated, info.xlatedProgLen);
  assert.equal(tool.bytes_jited, info.jitedProgLen);
  assert.deepEqual(tool.map_ids, info.mapIds);
  const ours = disassemble(decode(info.xlated!), { mapRef: 'id', resolveCall: xlatedCallResolver() });
  const theirs = execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', String(info.id)], { encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.deepEqual(ours, theirs);
});

test('pin, open by pin and by id, list', kernelOnly(), (t) => {
  ensureBpffs();
  const path = `/sys/fs/bpf/ebpfts_prog_${process.pid}`;
  t.after(() => rmSync(path, { force: true }));
  using prog = loadProgram({ type: 'socket_filter', name: 'pinme', instructions: [asm.mov64Imm(0, 0), asm.exit()] });
  const id = prog.info().id;
  prog.pin(path);
  assert.ok(existsSync(path));
  assert.equal(bpftoolJson('prog', 'show', 'pinned', path).id, id);
  using byPin = openProgram({ pinned: path });
  assert.equal(byPin.info().id, id);
  assert.equal(byPin.typeName, 'socket_filter');
  using byId = openProgram({ id });
  assert.equal(byId.name, 'pinme');
  assert.ok(programIds().includes(id));
  assert.ok(listPrograms().some((p) => p.id === id && p.name === 'pinme'));
  assert.throws(() => prog.pin(path), (e: unknown) => e instanceof BpfError && e.code === 'EEXIST');
  assert.throws(() => prog.pin(`/tmp/ebpfts_not_bpffs_${process.pid}`), (e: unknown) => e instanceof InvalidArgumentError && /not on a bpffs/.test(e.message));
});

test('opening a pinned map as a program is an InvalidArgumentError', kernelOnly(), (t) => {
  ensureBpffs();
  const path = `/sys/fs/bpf/ebpfts_notprog_${process.pid}`;
  t.after(() => rmSync(path, { force: true }));
  using m = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
  m.pin(path);
  assert.throws(() => openProgram({ pinned: path }), InvalidArgumentError);
});

test('bad input is rejected before the kernel sees it', () => {
  assert.throws(() => loadProgram({ type: 'nonsense' as 'xdp', instructions: [asm.exit()] }), InvalidArgumentError);
  assert.throws(() => loadProgram({ type: 'xdp', instructions: [] }), InvalidArgumentError);
  assert.throws(() => loadProgram({ type: 'xdp', instructions: new Uint8Array(12) }), InvalidArgumentError);
});

test('errors: missing ids, use after close, unknown BTF targets', kernelOnly(), () => {
  assert.throws(() => openProgram({ id: 0x7ffffff0 }), (e: unknown) => e instanceof BpfError && e.code === 'ENOENT');
  const prog = loadProgram({ type: 'xdp', instructions: [asm.mov64Imm(0, 2), asm.exit()] });
  prog.close();
  prog.close(); // idempotent
  assert.throws(() => prog.fd, (e: unknown) => e instanceof EbpfError && e.code === 'EBADF');
  assert.throws(
    () => loadProgram({ type: 'tracing', attachType: 'trace_fentry', attachTo: 'no_such_function_xyz', instructions: [asm.mov64Imm(0, 0), asm.exit()] }),
    (e: unknown) => e instanceof EbpfError && e.code === 'ENOENT' && /no_such_function_xyz/.test(e.message),
  );
  assert.throws(() => loadProgram({ type: 'tracing', attachTo: 'do_nanosleep', instructions: [asm.mov64Imm(0, 0), asm.exit()] }), InvalidArgumentError);
});

test('no fd outlives its program', kernelOnly(), () => {
  const before = openFdCount();
  for (let i = 0; i < 20; i++) {
    using p = loadProgram({ type: 'xdp', instructions: [asm.mov64Imm(0, 2), asm.exit()] });
    p.testRun({ dataIn: new Uint8Array(32) });
    p.info({ xlated: true, jited: true });
    using c = p.clone();
    void c.fd;
  }
  try { loadProgram({ type: 'xdp', instructions: [asm.exit()] }); } catch { /* expected */ }
  listPrograms();
  assert.equal(openFdCount(), before);
});
