/**
 * Our own fixtures (test/fixtures/src/*.c, built by test/fixtures/build.sh for both byte
 * orders, with and without BTF): every value asserted here is written in the C source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCollectionSpec, ObjectError, type CollectionSpec, type ObjectMapSpec } from '../../src/object/index.js';
import { MapFlags as MapFlagsForTest } from '../../src/sys/constants.js';
import { specDigest } from './digest.js';

const DIR = join(import.meta.dirname, '../fixtures');

function load(name: string): CollectionSpec {
  return readCollectionSpec(readFileSync(join(DIR, `${name}.o`)), { objectName: name.replace(/-.*$/, '') });
}

/** Both byte orders, checked the same way, and identical apart from code bytes. */
function each(base: string, check: (s: CollectionSpec, variant: string) => void, suffix = ''): void {
  const el = load(`${base}-el${suffix}`);
  const eb = load(`${base}-eb${suffix}`);
  assert.equal(el.littleEndian, true);
  assert.equal(eb.littleEndian, false);
  check(el, `${base}-el${suffix}`);
  check(eb, `${base}-eb${suffix}`);
  assert.deepEqual(specDigest(eb), specDigest(el), `${base}: el and eb differ`);
}

function u32(bytes: Uint8Array, offset: number, le: boolean): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, le);
}
function u64(bytes: Uint8Array, offset: number, le: boolean): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, le);
}

function pick(m: ObjectMapSpec | undefined) {
  assert.ok(m);
  return [m.type, m.keySize, m.valueSize, m.maxEntries, m.flags];
}

test('specs hold copies: plain Uint8Arrays independent of a Buffer input', () => {
  const bytes = readFileSync(join(DIR, 'global_data-el.o'));
  const s = readCollectionSpec(bytes, { objectName: 'global_data' });
  const v = s.variables.get('rodata_limit')!;
  const p = s.programs.get('read_globals')!;
  for (const a of [v.value, p.instructions, s.maps.get('.rodata')!.data!]) assert.equal(a.constructor, Uint8Array);
  const before = u32(v.value, 0, true);
  bytes.fill(0xff);
  assert.equal(u32(v.value, 0, true), before);
  assert.equal(u32(s.maps.get('.rodata')!.data!, 0, true), 42);
  assert.notEqual(p.instructions[0], 0xff);
});

test('legacy bpf_map_def maps, license and version', () => {
  for (const variant of ['', '-nobtf']) {
    each('legacy_maps', (s) => {
      assert.equal(s.license, 'Dual MIT/GPL');
      assert.equal(s.kernelVersion, 0x060100);
      assert.deepEqual(pick(s.maps.get('legacy_hash')), ['hash', 4, 8, 128, MapFlagsForTest.NO_PREALLOC]);
      assert.deepEqual(pick(s.maps.get('legacy_array')), ['array', 4, 16, 4, 0]);
      assert.deepEqual(pick(s.maps.get('legacy_perf')), ['perf_event_array', 4, 4, 0, 0]);
      assert.ok([...s.maps.values()].every((m) => m.source === 'legacy' && m.section === 'maps'));
      const p = s.programs.get('legacy_prog')!;
      assert.equal(p.type, 'xdp');
      assert.equal(p.attachType, 'xdp');
      assert.equal(p.license, 'Dual MIT/GPL');
      assert.equal(p.kernelVersion, 0x060100);
      assert.deepEqual(p.relocations.map((r) => r.kind === 'map' && r.map), ['legacy_hash', 'legacy_array']);
      assert.equal(s.btf === undefined, variant === '-nobtf');
    }, variant);
  }
});

test('iproute2 bpf_elf_map keeps id, pinning, inner_id and inner_idx', () => {
  for (const name of ['iproute2_maps-el', 'iproute2_maps-eb', 'iproute2_maps-el-nobtf', 'iproute2_maps-eb-nobtf']) {
    const s = load(name);
    assert.deepEqual(pick(s.maps.get('tc_counters')), ['array', 4, 8, 2, 0]);
    assert.deepEqual(s.maps.get('tc_counters')!.iproute2, { id: 7, pinning: 2, innerId: 0, innerIdx: 0 });
    assert.deepEqual(s.maps.get('tc_outer')!.iproute2, { id: 8, pinning: 0, innerId: 7, innerIdx: 0 });
    assert.equal(s.maps.get('tc_outer')!.innerMap?.realName, 'tc_counters');
    assert.equal(s.programs.get('tc_prog')!.type, 'sched_cls');
  }
});

test('BTF maps of many types with every field', () => {
  each('btf_maps', (s) => {
    const want: Record<string, unknown[]> = {
      flows: ['hash', 16, 32, 1024, MapFlagsForTest.NO_PREALLOC],
      pinned_array: ['array', 4, 8, 16, 0],
      percpu_hash: ['percpu_hash', 4, 8, 64, 0],
      percpu_array: ['percpu_array', 4, 32, 4, 0],
      lru: ['lru_hash', 8, 4, 256, MapFlagsForTest.NUMA_NODE],
      routes: ['lpm_trie', 8, 4, 32, MapFlagsForTest.NO_PREALLOC],
      events: ['ringbuf', 0, 0, 4096, 0],
      perf_events: ['perf_event_array', 4, 4, 0, 0],
      queue: ['queue', 0, 4, 8, 0],
      stack: ['stack', 0, 8, 8, 0],
      bloom: ['bloom_filter', 0, 4, 100, 0],
      task_store: ['task_storage', 4, 8, 0, MapFlagsForTest.NO_PREALLOC],
      devices: ['devmap', 4, 4, 8, 0],
      stacks: ['stack_trace', 4, 127 * 8, 16, 0],
    };
    assert.deepEqual([...s.maps.keys()].sort(), Object.keys(want).sort());
    for (const [name, fields] of Object.entries(want)) assert.deepEqual(pick(s.maps.get(name)), fields, name);
    assert.equal(s.maps.get('pinned_array')!.pinning, 1);
    assert.equal(s.maps.get('bloom')!.mapExtra, 3n);
    assert.equal(s.maps.get('lru')!.numaNode, undefined); // numa_node 0 is the default
    const flows = s.maps.get('flows')!;
    assert.equal(s.btf!.typeById(flows.btf!.keyTypeId).name, 'flow');
    assert.equal(s.btf!.typeById(flows.btf!.valueTypeId).name, 'stats');
    assert.equal(s.maps.get('pinned_array')!.btf, undefined); // key_size/value_size only: no BTF types
    const prog = s.programs.get('use_maps')!;
    const used = prog.relocations.filter((r) => r.kind === 'map').map((r) => (r.kind === 'map' ? r.map : ''));
    assert.deepEqual(used, ['flows', 'pinned_array', 'percpu_hash', 'percpu_array', 'queue', 'bloom', 'events', 'devices']);
  });
});

test('map-in-map and prog array initial values and inner templates', () => {
  each('map_in_map', (s) => {
    const outer = s.maps.get('outer_array')!;
    assert.deepEqual(pick(outer), ['array_of_maps', 4, 4, 4, 0]);
    assert.deepEqual(outer.slots, [{ key: 0, kind: 'map', name: 'inner_a' }, { key: 3, kind: 'map', name: 'inner_b' }]);
    assert.equal(outer.innerMap!.name, 'outer_array.inner');
    assert.deepEqual(pick(outer.innerMap), ['array', 4, 8, 2, 0]);
    const hash = s.maps.get('outer_hash')!;
    assert.deepEqual(pick(hash), ['hash_of_maps', 4, 4, 8, 0]);
    assert.deepEqual(pick(hash.innerMap), ['hash', 4, 4, 16, 0]);
    assert.equal(hash.slots, undefined);
    const jt = s.maps.get('jump_table')!;
    assert.deepEqual(pick(jt), ['prog_array', 4, 4, 3, 0]);
    assert.deepEqual(jt.slots, [{ key: 1, kind: 'program', name: 'tail_a' }, { key: 2, kind: 'program', name: 'tail_b' }]);
    assert.deepEqual([...s.programs.keys()], ['tail_a', 'tail_b', 'entry']);
    assert.ok([...s.programs.values()].every((p) => p.section === 'socket' && p.type === 'socket_filter'));
  });
});

test('global data: .rodata/.data/.bss/custom sections, values, variables and .kconfig', () => {
  each('global_data', (s, variant) => {
    const le = s.littleEndian;
    const want: Record<string, [string, number, number, boolean]> = {
      '.rodata': ['global_d.rodata', 32, MapFlagsForTest.RDONLY_PROG | MapFlagsForTest.MMAPABLE, true],
      '.data': ['global_d.data', 12, MapFlagsForTest.MMAPABLE, false],
      '.bss': ['global_d.bss', 40, MapFlagsForTest.MMAPABLE, false],
      '.data.foo': ['.data.foo', 4, MapFlagsForTest.MMAPABLE, false],
      '.rodata.bar': ['.rodata.bar', 4, MapFlagsForTest.RDONLY_PROG | MapFlagsForTest.MMAPABLE, true],
      '.kconfig': ['global_.kconfig', 5, MapFlagsForTest.RDONLY_PROG | MapFlagsForTest.MMAPABLE, true],
    };
    assert.deepEqual([...s.maps.keys()].sort(), Object.keys(want).sort(), variant);
    for (const [real, [name, size, flags, freeze]] of Object.entries(want)) {
      const m = s.maps.get(real)!;
      assert.deepEqual([m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.freeze], [name, 'array', 4, size, 1, flags, freeze], real);
    }
    const v = (n: string) => s.variables.get(n)!;
    assert.equal(u32(v('rodata_limit').value, 0, le), 42);
    const cfg = v('rodata_config');
    assert.deepEqual([cfg.map, cfg.size, u32(cfg.value, 0, le), u64(cfg.value, 8, le)], ['.rodata', 24, 3, 1000n]);
    assert.equal(new TextDecoder().decode(cfg.value.subarray(16, 19)), 'cfg');
    assert.equal(s.btf!.typeById(cfg.btfTypeId!).kind, 'const');
    assert.equal(u64(v('data_counter').value, 0, le), 7n);
    assert.equal(u32(v('static_data').value, 0, le), 9);
    assert.equal(v('static_data').linkage, 'static');
    assert.equal(u32(v('foo_value').value, 0, le), 0xdeadbeef);
    assert.equal(u32(v('bar_const').value, 0, le), 5);
    assert.deepEqual([v('bss_array').map, v('bss_array').offset, v('bss_array').size], ['.bss', 8, 32]);
    // The map's initial value holds the variables at their offsets.
    assert.equal(u32(s.maps.get('.rodata')!.data!, v('rodata_limit').offset, le), 42);
    // libbpf's .kconfig layout: 4-byte LINUX_KERNEL_VERSION first (larger alignment), then the 1-byte bool.
    assert.deepEqual(s.externs.map((e) => [e.name, e.kind, e.weak, e.offset, e.size]), [
      ['LINUX_KERNEL_VERSION', 'kconfig', false, 0, 4],
      ['CONFIG_BPF_SYSCALL', 'kconfig', true, 4, 1],
    ]);
    const p = s.programs.get('read_globals')!;
    assert.deepEqual([p.type, p.attachTo], ['tracepoint', 'syscalls/sys_enter_execve']);
    const dataRelocs = new Set(p.relocations.map((r) => (r.kind === 'data' ? r.map : r.kind === 'extern' ? `extern:${r.extern}` : r.kind)));
    for (const m of ['.rodata', '.data', '.bss', '.data.foo', '.rodata.bar', 'extern:LINUX_KERNEL_VERSION', 'extern:CONFIG_BPF_SYSCALL']) assert.ok(dataRelocs.has(m), `${variant}: relocation to ${m}`);
  });
});

test('global data without BTF: variables from symbols, externs by name, no .kconfig map', () => {
  for (const order of ['el', 'eb']) {
    const s = load(`global_data-${order}-nobtf`);
    assert.equal(s.btf, undefined);
    assert.deepEqual([...s.maps.keys()].sort(), ['.bss', '.data', '.data.foo', '.rodata', '.rodata.bar']);
    // Without BTF libbpf cannot tell mmapable variables: only RDONLY_PROG remains.
    assert.equal(s.maps.get('.rodata')!.flags, MapFlagsForTest.RDONLY_PROG);
    assert.equal(s.maps.get('.data')!.flags, 0);
    assert.equal(u32(s.variables.get('rodata_limit')!.value, 0, !order.includes('eb')), 42);
    assert.deepEqual(s.externs.map((e) => [e.name, e.kind, e.weak]).sort(), [['CONFIG_BPF_SYSCALL', 'kconfig', true], ['LINUX_KERNEL_VERSION', 'kconfig', false]]);
  }
});

test('subprograms in .text, calls, callbacks and map relocations', () => {
  each('subprogs', (s) => {
    const text = s.functions.filter((f) => f.section === '.text').map((f) => [f.name, f.global]);
    assert.deepEqual(text.sort(), [['global_helper', true], ['loop_body', false], ['square', false]]);
    assert.deepEqual([...s.programs.keys()], ['with_calls', 'also_calls']);
    const p = s.programs.get('with_calls')!;
    assert.deepEqual([p.type, p.attachType, p.attachTo], ['tracing', 'trace_raw_tp', 'sched_switch']);
    const kinds = p.relocations.map((r) => (r.kind === 'call' || r.kind === 'func_addr' ? `${r.kind}:${r.function}` : r.kind === 'map' ? `map:${r.map}` : r.kind));
    assert.deepEqual(kinds.sort(), ['call:global_helper', 'call:square', 'func_addr:loop_body', 'map:results']);
    for (const r of p.relocations) {
      if (r.kind !== 'call' && r.kind !== 'func_addr') continue;
      const target = s.functions.find((f) => f.section === r.section && f.offset === r.target);
      assert.equal(target?.name, r.function);
    }
    assert.deepEqual(s.programs.get('also_calls')!.relocations.map((r) => r.kind === 'call' && r.function).sort(), ['global_helper', 'square']);
  });
});

test('program type, attach type and flags from every well-known section name', () => {
  const want: Record<string, [string, string | undefined, string, number]> = {
    p_xdp: ['xdp', 'xdp', '', 0],
    p_xdp_frags: ['xdp', 'xdp', '', 1 << 5],
    p_tc: ['sched_cls', undefined, '', 0],
    p_tcx_ingress: ['sched_cls', 'tcx_ingress', '', 0],
    p_classifier: ['sched_cls', undefined, '', 0],
    p_socket: ['socket_filter', undefined, '', 0],
    p_kprobe: ['kprobe', undefined, 'do_unlinkat', 0],
    p_kretprobe: ['kprobe', undefined, 'do_unlinkat', 0],
    p_ksyscall: ['kprobe', undefined, 'execve', 0],
    p_uprobe: ['kprobe', undefined, '/bin/sh:main', 0],
    p_tracepoint: ['tracepoint', undefined, 'sched/sched_switch', 0],
    p_tp: ['tracepoint', undefined, 'sched/sched_wakeup', 0],
    p_raw_tp: ['raw_tracepoint', undefined, 'sched_switch', 0],
    p_raw_tracepoint: ['raw_tracepoint', undefined, 'sys_enter', 0],
    p_tp_btf: ['tracing', 'trace_raw_tp', 'sched_switch', 0],
    p_fentry: ['tracing', 'trace_fentry', 'do_unlinkat', 0],
    p_fexit: ['tracing', 'trace_fexit', 'do_unlinkat', 0],
    p_fmod_ret: ['tracing', 'modify_return', 'security_file_open', 0],
    p_fentry_s: ['tracing', 'trace_fentry', 'do_unlinkat', 1 << 4],
    p_lsm: ['lsm', 'lsm_mac', 'file_open', 0],
    p_lsm_s: ['lsm', 'lsm_mac', 'bprm_check_security', 1 << 4],
    p_iter: ['tracing', 'trace_iter', 'task', 0],
    p_cgroup_skb_ingress: ['cgroup_skb', 'cgroup_inet_ingress', '', 0],
    p_cgroup_skb_egress: ['cgroup_skb', 'cgroup_inet_egress', '', 0],
    p_cgroup_connect4: ['cgroup_sock_addr', 'cgroup_inet4_connect', '', 0],
    p_cgroup_sock_create: ['cgroup_sock', 'cgroup_inet_sock_create', '', 0],
    p_cgroup_sysctl: ['cgroup_sysctl', 'cgroup_sysctl', '', 0],
    p_cgroup_getsockopt: ['cgroup_sockopt', 'cgroup_getsockopt', '', 0],
    p_cgroup_dev: ['cgroup_device', 'cgroup_device', '', 0],
    p_sockops: ['sock_ops', 'cgroup_sock_ops', '', 0],
    p_sk_lookup: ['sk_lookup', 'sk_lookup', '', 0],
    p_sk_msg: ['sk_msg', 'sk_msg_verdict', '', 0],
    p_sk_skb_verdict: ['sk_skb', 'sk_skb_stream_verdict', '', 0],
    p_flow_dissector: ['flow_dissector', 'flow_dissector', '', 0],
    p_perf_event: ['perf_event', undefined, '', 0],
    p_syscall: ['syscall', undefined, '', 1 << 4],
    p_freplace: ['ext', undefined, 'some_func', 0],
    p_struct_ops: ['struct_ops', undefined, 'test_1', 0],
    p_netfilter: ['netfilter', 'netfilter', '', 0],
    p_lwt_in: ['lwt_in', undefined, '', 0],
    p_sk_reuseport: ['sk_reuseport', 'sk_reuseport_select', '', 0],
    p_unknown: ['unspec', undefined, '', 0],
  };
  for (const name of ['sections-el', 'sections-eb', 'sections-el-nobtf', 'sections-eb-nobtf']) {
    const s = load(name);
    assert.deepEqual([...s.programs.keys()].sort(), Object.keys(want).sort());
    for (const [prog, fields] of Object.entries(want)) {
      const p = s.programs.get(prog)!;
      assert.deepEqual([p.type, p.attachType, p.attachTo, p.programFlags], fields, `${name} ${prog} (${p.section})`);
    }
    assert.equal(s.programs.get('p_kretprobe')!.isReturnProbe, true);
    assert.equal(s.programs.get('p_kprobe')!.isReturnProbe, false);
  }
});

test('loadCollectionSpec names data maps after the file and gives typed errors for unreadable paths', async () => {
  const { loadCollectionSpec, loadCollectionSpecSync } = await import('../../src/object/index.js');
  const { EbpfError } = await import('../../src/sys/errors.js');
  const s = await loadCollectionSpec(join(DIR, 'global_data-el.o'));
  assert.equal(s.objectName, 'global_data-el');
  assert.equal(s.maps.get('.rodata')!.name, 'global_d.rodata');
  await assert.rejects(loadCollectionSpec(join(DIR, 'missing.o')), (e: unknown) => e instanceof EbpfError && e.code === 'ENOENT');
  assert.throws(() => loadCollectionSpecSync(DIR), (e: unknown) => e instanceof EbpfError && e.code === 'EISDIR');
});

test('BTF-defined maps without .BTF are refused with a clear ObjectError', () => {
  assert.throws(() => load('other-btf_maps-el-nobtf'), (e: unknown) => e instanceof ObjectError && /need the object's \.BTF/.test(e.message) && e.section === '.maps');
});
