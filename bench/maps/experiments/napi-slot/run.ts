/**
 * Experiment: the per-call cost of N-API argument handling (docs/performance.md, Maps).
 * Builds napi-slot.cc with node-gyp, then times bpf() with an invalid command through
 * the project's addon, the `generic` mirror of it, and the `slot` fast path, plus a
 * bare N-API call (addon.pageSize()). CPU time, ns/call.
 *
 *   taskset -c 1 node --import tsx bench/maps/experiments/napi-slot/run.ts
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../../../../src/sys/native.js';

const here = dirname(fileURLToPath(import.meta.url));
execFileSync('npx', ['node-gyp', 'rebuild', '--directory', here], { stdio: 'ignore' });
const proto = createRequire(import.meta.url)(join(here, 'build', 'Release', 'napi_slot.node')) as {
  generic(cmd: number, attr: Uint8Array): number;
  register(attr: Uint8Array): number;
  slot(cmd: number, slot: number): number;
};
const addon = native();
const attr = new Uint8Array(new ArrayBuffer(32));
const slot = proto.register(attr);
const N = 300_000;
const cpu = (f: () => void): string => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (((c.user + c.system) * 1000) / N).toFixed(0);
};
for (let r = 0; r < 6; r++) {
  const a = cpu(() => { for (let i = 0; i < N; i++) addon.bpf(9999, attr); });
  const b = cpu(() => { for (let i = 0; i < N; i++) proto.generic(9999, attr); });
  const c = cpu(() => { for (let i = 0; i < N; i++) proto.slot(9999, slot); });
  const d = cpu(() => { for (let i = 0; i < N; i++) addon.pageSize(); });
  console.log(`ns/call: addon.bpf ${a}  generic ${b}  slot ${c}  pageSize (no syscall) ${d}`);
}
