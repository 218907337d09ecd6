/**
 * PROG_LOAD / PROG_TEST_RUN policy (log retries, errno mapping) against a fake
 * bpf(2) installed at the chokepoint: runs without privileges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setBpfImplementation, type BpfPointer } from '../../src/sys/bpf.js';
import { BpfCmd } from '../../src/sys/constants.js';
import { BpfError, PermissionError } from '../../src/sys/errors.js';
import { progLoad, progTestRun, VerifierError } from '../../src/sys/prog-cmds.js';

const insns = new Uint8Array([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

interface Call { logLevel: number; logSize: number }

function fake(answer: (call: Call, log: Uint8Array | null, attr: DataView) => number): Call[] {
  const calls: Call[] = [];
  setBpfImplementation((cmd: number, attr: Uint8Array, ...ptrs: BpfPointer[]) => {
    assert.equal(cmd, BpfCmd.PROG_LOAD);
    const v = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
    const call = { logLevel: v.getUint32(24, true), logSize: v.getUint32(28, true) };
    calls.push(call);
    const logIndex = ptrs.indexOf(32);
    const log = (logIndex >= 0 ? ptrs[logIndex + 1] : null) as Uint8Array | null;
    return answer(call, log, v);
  });
  return calls;
}

function writeLog(log: Uint8Array | null, text: string): void {
  if (log) log.set(new TextEncoder().encode(text).subarray(0, log.byteLength - 1));
}

test('a failing load without a log is retried once with log level 1, giving a VerifierError', (t) => {
  t.after(() => setBpfImplementation(undefined));
  const calls = fake((call, log) => {
    if (call.logLevel === 0) return -22;
    writeLog(log, '0: (95) exit\nR0 !read_ok\nprocessed 1 insns\n');
    return -13;
  });
  assert.throws(() => progLoad({ progType: 6, insns, license: 'GPL', progName: 'x' }), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.deepEqual(e.log, ['0: (95) exit', 'R0 !read_ok', 'processed 1 insns']);
    assert.equal(e.code, 'EACCES');
    return true;
  });
  assert.deepEqual(calls.map((c) => c.logLevel), [0, 1]);
});

test('ENOSPC grows the log to log_true_size (Linux 6.4+) or 4x, then succeeds', (t) => {
  t.after(() => setBpfImplementation(undefined));
  const need = 300_000;
  const calls = fake((call, log, attr) => {
    if (call.logSize < need) {
      attr.setUint32(140, need, true); // log_true_size
      return -28;
    }
    writeLog(log, 'verification time 5 usec\n');
    return 7;
  });
  const r = progLoad({ progType: 6, insns, license: 'GPL', logLevel: 1, logSize: 1024 });
  assert.equal(r.fd, 7);
  assert.deepEqual(r.log, ['verification time 5 usec']);
  assert.deepEqual(calls.map((c) => c.logSize), [1024, need]);
});

test('the log stops growing at logSizeMax and the error says it was truncated', (t) => {
  t.after(() => setBpfImplementation(undefined));
  const calls = fake((_c, log) => { writeLog(log, 'a\nb\n'); return -28; });
  assert.throws(() => progLoad({ progType: 6, insns, license: '', logLevel: 2, logSize: 1024, logSizeMax: 16384 }), (e: unknown) => e instanceof VerifierError && e.truncated && /truncated/.test(e.message));
  assert.deepEqual(calls.map((c) => c.logSize), [1024, 4096, 16384]);
});

test('EPERM is a PermissionError naming the capability, without a retry', (t) => {
  t.after(() => setBpfImplementation(undefined));
  const calls = fake(() => -1);
  assert.throws(() => progLoad({ progType: 6, insns, license: '' }), (e: unknown) => e instanceof PermissionError && /CAP_BPF/.test(e.message));
  assert.equal(calls.length, 1);
});

test('an error with an empty log stays a plain BpfError', (t) => {
  t.after(() => setBpfImplementation(undefined));
  fake(() => -7 /* E2BIG */);
  assert.throws(() => progLoad({ progType: 6, insns, license: '' }), (e: unknown) => e instanceof BpfError && !(e instanceof VerifierError) && e.code === 'E2BIG');
});

test('test runs retry on EINTR, but not forever', (t) => {
  t.after(() => setBpfImplementation(undefined));
  let n = 0;
  setBpfImplementation(() => (++n < 3 ? -4 : 0));
  assert.equal(progTestRun({ progFd: 3 }).errno, 0);
  assert.equal(n, 3);
  n = 0;
  setBpfImplementation(() => { n++; return -4; });
  assert.throws(() => progTestRun({ progFd: 3 }), (e: unknown) => e instanceof BpfError && e.code === 'EINTR');
  assert.equal(n, 100);
});
