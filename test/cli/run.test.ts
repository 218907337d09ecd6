import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { kernelOnly } from '../helpers/kernel.ts';

const bin = new URL('../../bin/ebpf', import.meta.url).pathname;
const obj = new URL('../../examples/execve-per-uid/counter.bpf.o', import.meta.url).pathname;

function run(args: string[], whileRunning?: () => void, signalAfterOutput?: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    let signalled = false;
    p.stdout.on('data', (d) => {
      stdout += d;
      // Interrupt once the first refresh is out: the handlers are installed by then.
      if (signalAfterOutput && !signalled && /RATE\/s/.test(stdout)) {
        signalled = true;
        setTimeout(() => p.kill('SIGINT'), 300);
      }
    });
    p.stderr.on('data', (d) => { stderr += d; });
    const t = whileRunning ? setInterval(whileRunning, 150) : undefined;
    p.on('close', (code) => { if (t) clearInterval(t); resolve({ code, stdout, stderr }); });
  });
}

const programLinks = () => (JSON.parse(execFileSync('bpftool', ['-j', 'link', 'list'], { encoding: 'utf8' })) as { prog_id: number }[]).length;

test('ebpf run: attaches the tracepoint and reports live counts as JSON lines', kernelOnly(), async () => {
  const linksBefore = programLinks();
  const r = await run(['-j', 'run', obj, 'duration', '2', 'interval', '400'], () => execFileSync('/bin/true'));
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.length >= 3);
  assert.deepEqual(lines[0].programs, ['count_execve']);
  const last = lines.at(-1).maps.find((m: { name: string }) => m.name === 'execs_by_uid');
  const mine = last.entries.find((e: { key: number }) => e.key === process.getuid!());
  assert.ok(mine && mine.value >= 5, `this user's execs: ${JSON.stringify(mine)}`);
  assert.equal(typeof mine.rate, 'number');
  // links are gone after exit
  assert.equal(programLinks(), linksBefore);
});

test('ebpf run: Ctrl-C detaches and exits 0; text mode shows a table', kernelOnly(), async () => {
  const r = await run(['run', obj, 'interval', '200'], () => execFileSync('/bin/true'), true);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /execs_by_uid \(hash\)/);
  assert.match(r.stdout, /KEY\s+VALUE\s+RATE\/s/);
});

test('ebpf run: bad input is one line and exit code 1', async () => {
  const missing = await run(['run', '/nonexistent.o']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error: .*nonexistent\.o/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  const bad = await run(['run', obj, 'interval', 'fast']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /interval must be a number/);
});
