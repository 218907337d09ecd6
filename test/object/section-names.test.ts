/** libbpf's section name rules (tools/lib/bpf/libbpf.c, section_defs and sec_def_matches). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupSection, SECTION_DEFS, AttachType, ProgType } from '../../src/object/index.js';

function look(name: string) {
  const i = lookupSection(name);
  return i && [i.type, i.attachType, i.attachTo, i.programFlags, i.strict];
}

test('strict matches: exact names and `+` prefixes with a target', () => {
  assert.deepEqual(look('kprobe'), ['kprobe', undefined, '', 0, true]);
  assert.deepEqual(look('kprobe/do_sys_open'), ['kprobe', undefined, 'do_sys_open', 0, true]);
  assert.deepEqual(look('kprobe.multi/vfs_*'), ['kprobe', 'trace_kprobe_multi', 'vfs_*', 0, true]);
  assert.deepEqual(look('tc/ingress'), ['sched_cls', 'tcx_ingress', '', 0, true]);
  assert.deepEqual(look('xdp.frags/devmap'), ['xdp', 'xdp_devmap', '', 1 << 5, true]);
  assert.deepEqual(look('xdp/cpumap'), ['xdp', 'xdp_cpumap', '', 0, true]);
  assert.deepEqual(look('cgroup/sock'), ['cgroup_sock', 'cgroup_inet_sock_create', '', 0, true]);
  assert.deepEqual(look('cgroup/sock_release'), ['cgroup_sock', 'cgroup_inet_sock_release', '', 0, true]);
  assert.deepEqual(look('lsm.s/file_open'), ['lsm', 'lsm_mac', 'file_open', 1 << 4, true]);
  assert.deepEqual(look('iter.s/task'), ['tracing', 'trace_iter', 'task', 1 << 4, true]);
  assert.deepEqual(look('uretprobe.s//bin/bash:readline'), ['kprobe', undefined, '/bin/bash:readline', 1 << 4, true]);
  assert.equal(lookupSection('kretprobe/x')!.def.isReturnProbe, true);
});

test('pre-1.0 sloppy names still match, flagged not strict, without an attach target', () => {
  assert.deepEqual(look('xdp/foo'), ['xdp', 'xdp', '', 0, false]);
  assert.deepEqual(look('socket/2'), ['socket_filter', undefined, '', 0, false]);
  assert.deepEqual(look('sk_lookup/'), ['sk_lookup', 'sk_lookup', '', 0, false]);
  assert.deepEqual(look('classifier/ingress'), ['sched_cls', undefined, '', 0, false]);
});

test('unknown names and near misses do not match', () => {
  for (const name of ['', 'maps', '.text', 'xdpfoo', 'kprobefoo', 'my_section', 'tracepoints/x']) assert.equal(lookupSection(name), undefined, name);
});

test('every table entry names known program and attach types', () => {
  for (const d of SECTION_DEFS) {
    assert.ok(d.type in ProgType, d.pattern);
    if (d.attachType !== undefined) assert.ok(d.attachType in AttachType, d.pattern);
  }
  assert.equal(new Set(SECTION_DEFS.map((d) => d.pattern)).size, SECTION_DEFS.length);
});
