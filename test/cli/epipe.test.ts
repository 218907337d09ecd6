import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

const bin = new URL('../../bin/ebpf', import.meta.url).pathname;

test('a reader that closes the pipe early ends ebpf quietly (exit 0, nothing on stderr)', async () => {
  const p = spawn(process.execPath, [bin, 'btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'raw'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  p.stdout.once('data', () => p.stdout.destroy());
  const code = await new Promise<number | null>((r) => p.on('close', r));
  assert.equal(code, 0);
  assert.equal(stderr, '');
});
