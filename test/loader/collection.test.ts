import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadCollection } from '../../src/loader/collection.js';
import { loadCollectionSpecSync } from '../../src/object/index.js';
import { IncompatibleMapError, LoaderError, AttachTargetError, CoreRelocationError } from '../../src/loader/errors.js';
import { VerifierError } from '../../src/sys/prog-cmds.js';
import { createMap } from '../../src/maps/create.js';
import { parseBtf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import { ensureBpffs } from '../../src/sys/fs.js';
import { kernelOnly } from '../helpers/kernel.js';
import { CILIUM, getAt, openFds } from './helpers.js';

const T = `${CILIUM}testdata/`;
const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const OWN = new URL('./fixtures/', import.meta.url).pathname;
const PIN_ROOT = `/sys/fs/bpf/ebpf-loader-test-${process.pid}`;
const ZERO = new Uint8Array(64);

/** A u32 map value, whether the map decodes it from BTF (number) or hands out raw bytes. */
function u32(v: unknown): number {
  if (typeof v === 'number') return v;
  const b = v as Uint8Array;
  return new DataView(b.buffer, b.byteOffset).getUint32(0, true);
}

test('socket/3 of loader-*-el.elf returns 0 only when .rodata constants loaded correctly', kernelOnly(), () => {
  for (const name of ['loader-el.elf', 'loader-clang-14-el.elf', 'loader-clang-17-el.elf', 'loader-clang-22-el.elf', 'loader_nobtf-el.elf']) {
    using c = loadCollection(`${T}${name}`, { programs: ['data_sections'], pinRoot: null });
    assert.equal(c.program('data_sections').testRun({ dataIn: ZERO }).retval, 0, name);
  }
});

test('calls across .text and custom sections with constants from .rodata and .rodata.test (loader-*.elf xdp_prog)', kernelOnly(), () => {
  // xdp_prog returns static_fn(arg) + global_fn(arg) + arg2, where static_fn(x) = x - 1 (section "static"),
  // global_fn(x) = static_fn(x) + global_fn2(x) + global_fn3(x) (.text, .text, section "other") = 3x + 2.
  const expected = (arg: number, arg2: number) => (arg - 1) + (3 * arg + 2) + arg2;
  for (const name of ['loader-el.elf', 'loader-clang-14-el.elf', 'loader-clang-22-el.elf']) {
    using c = loadCollection(`${T}${name}`, { programs: ['xdp_prog'], pinRoot: null, constants: { arg: 5, arg2: 10 } });
    assert.equal(c.program('xdp_prog').testRun({ dataIn: ZERO }).retval, expected(5, 10), name);
  }
});

test('objects libbpf 1.1 refuses (legacy and iproute2 map definitions, linked objects) load here', kernelOnly(), () => {
  const expectations: [string, string[], string[]][] = [
    ['iproute2_map_compat-el.elf', [], ['hash_map']],
    ['subprog_reloc-el.elf', ['fp_relocation'], ['hash_map']],
    ['manyprogs-el.elf', Array.from({ length: 30 }, (_, i) => `kprobe_execve${i}`), ['kprobe_map']],
    ['linked-el.elf', ['entry_l2', 'entry_l1_s', 'entry_ww', 'entry_l1', 'entry_l1_w'], ['map_legacy_l1_s', 'map_legacy_l2_s', 'map_l1_w', 'map_l1_s', 'map_ww', 'map_l1', 'map_l2']],
    ['arena-el.elf', [], ['arena']],
  ];
  for (const [file, programs, maps] of expectations) {
    using c = loadCollection(`${T}${file}`, { pinRoot: null });
    assert.deepEqual(Object.keys(c.programs).sort(), [...programs].sort(), file);
    assert.deepEqual(Object.keys(c.maps).sort(), [...maps].sort(), file);
    // The kernel agrees on each map's shape.
    for (const [name, m] of Object.entries(c.maps)) {
      const spec = c.spec.maps.get(name)!;
      assert.equal(m.info().maxEntries, spec.maxEntries, `${file} ${name}`);
    }
  }
  // iproute2's 36-byte bpf_elf_map: the subprogram call of xdp works when run.
  using s = loadCollection(`${T}subprog_reloc-el.elf`, { pinRoot: null });
  assert.equal(typeof s.program('fp_relocation').testRun({ dataIn: ZERO }).retval, 'number');
});

test('constants: a frozen .rodata value reaches the verifier (constants-el.elf)', kernelOnly(), () => {
  // The program returns `ret`; sk_lookup programs must provably return 0 or 1.
  assert.throws(() => loadCollection(`${T}constants-el.elf`, { pinRoot: null }), VerifierError);
  using c = loadCollection(`${T}constants-el.elf`, { pinRoot: null, constants: { ret: 1 } });
  assert.ok(c.programs.freeze_rodata!.fd > 0);
  assert.equal(c.variable('ret').get(), 1);
  assert.throws(() => c.variable('ret').set(0), (e: unknown) => e instanceof Error && /EPERM/.test(e.message), 'frozen .rodata');
  // Frozen: user space cannot change it any more (BPF_MAP_FREEZE → EPERM on update).
  assert.throws(() => c.maps['.rodata']!.set(new Uint8Array(4), new Uint8Array(4)));
  assert.throws(() => loadCollection(`${T}constants-el.elf`, { pinRoot: null, constants: { nope: 1 } }), /'nope' is not defined.*ret/);
});

test('global data: initial values, variables set by name and the kconfig map', kernelOnly(), () => {
  using c = loadCollection(`${FIXTURES}global_data-el.o`, {
    pinRoot: null,
    constants: { rodata_limit: 99, bar_const: 6 },
    variables: { data_counter: 123n, foo_value: new Uint8Array([1, 2, 3, 4]) },
  });
  const rodata = getAt(c.maps['.rodata']!, 0);
  assert.ok(rodata);
  const raw = (m: string) => {
    const out = execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(c.maps[m]!.info().id)]).toString();
    const rec = JSON.parse(out)[0] as { value: string[] | unknown; formatted?: { value: unknown } };
    return rec;
  };
  const ro = raw('.rodata') as { value: string[] };
  // rodata_limit is first in .rodata (u32 LE), as bpftool reads it from the kernel.
  assert.deepEqual(ro.value.slice(0, 4).map((x) => parseInt(x, 16)), [99, 0, 0, 0]);
  const data = raw('.data') as { value: string[] };
  assert.equal(parseInt(data.value[0]!, 16), 123);
  const foo = raw('.data.foo') as { value: string[] };
  assert.deepEqual(foo.value.slice(0, 4).map((x) => parseInt(x, 16)), [1, 2, 3, 4]);
  assert.ok(c.maps['.kconfig'], 'kconfig map created');
  const kv = raw('.kconfig') as { value: string[] };
  const bytes = kv.value.map((x) => parseInt(x, 16));
  // LINUX_KERNEL_VERSION is a non-zero version code.
  assert.ok(bytes.some((b) => b !== 0));
});

test('map-in-map and prog-array initial slots (btf_map_init-el.elf, map_in_map fixture)', kernelOnly(), () => {
  using c = loadCollection(`${T}btf_map_init-el.elf`, { pinRoot: null });
  const progArray = c.maps.prog_array_init!;
  const slot1 = getAt(progArray, 1);
  assert.equal(u32(slot1), c.programs.tail_1!.info().id, 'prog array slot 1 holds tail_1 (the kernel answers with the program id)');
  const outer = c.maps.outer_map_init!;
  const inner = getAt(outer, 1);
  assert.equal(u32(inner), c.maps.inner_map!.info().id);
  // Tail call through the prog array: tail_main calls slot 1, which returns a marker.
  const r = c.programs.tail_main!.testRun({ dataIn: ZERO });
  assert.notEqual(r.retval, 0xffffffff);
});

test('CO-RE through the loader: .text subprograms relocated against a given target (relocs_read)', kernelOnly(), () => {
  const tgt = parseBtf(elfSections(new Uint8Array(readFileSync(`${CILIUM}btf/testdata/relocs_read_tgt-el.elf`))).get('.BTF')!);
  using c = loadCollection(`${CILIUM}btf/testdata/relocs_read-el.elf`, { pinRoot: null, kernelTypes: tgt });
  for (const p of Object.values(c.programs)) assert.equal(p.testRun({ dataIn: ZERO }).retval, 0, p.name);
});

test('CO-RE against the running kernel: an object built with vmlinux.h and flavoured types relocates and its checks pass', kernelOnly(), () => {
  using c = loadCollection(`${OWN}core_vmlinux.bpf.o`, { pinRoot: null });
  // A raw tracepoint test run takes the tracepoint's arguments as ctx and no ctx_out (Linux 5.10+).
  const r = c.program('core_checks').testRun({ ctxIn: new Uint8Array(16), ctxOut: 0 });
  assert.equal(r.retval, 0, `check on line ${r.retval} of core_vmlinux.bpf.c failed`);
});

/**
 * `bpftool prog dump xlated` of a program: the kernel's view after verification, with
 * subprogram names (func_info) and source lines (line_info). Map ids, kernel addresses
 * and helper numbers differ between two loads, so they are masked.
 */
function xlated(which: string[]): string {
  return execFileSync('bpftool', ['prog', 'dump', 'xlated', ...which]).toString()
    .replace(/map\[id:\d+\]/g, 'map[id:N]').replace(/0x[0-9a-f]{8,}/g, 'ADDR').replace(/#\d+/g, '#N');
}

test('libbpf (bpftool prog loadall) as oracle: same programs, same translated code, line info and subprogram names', kernelOnly(), () => {
  ensureBpffs();
  const objects = [
    // The ten xdpfilt_* objects are one program built with different flags: two stand for all of them.
    ...readdirSync('/usr/lib/x86_64-linux-gnu/bpf')
      .filter((f) => f.endsWith('.o') && !f.startsWith('xdpdump_bpf') && (!f.startsWith('xdpfilt_') || f === 'xdpfilt_alw_all.o' || f === 'xdpfilt_dny_udp.o'))
      .map((f) => `/usr/lib/x86_64-linux-gnu/bpf/${f}`),
    ...['xdp_drop.o', 'xdp_pass.o', 'test_long_func_name.o'].map((f) => `/usr/libexec/xdp-tools/${f}`),
    // Not kconfig-el.elf: libbpf 1.1 predates LINUX_HAS_SYSCALL_WRAPPER, so its verifier-pruned program differs.
    ...['raw_tracepoint-el.elf', 'strings-el.elf', 'variables-el.elf', 'map_spin_lock-el.elf'].map((f) => `${T}${f}`),
    `${CILIUM}cmd/bpf2go/testdata/minimal-el.elf`,
    `${FIXTURES}global_data-el.o`, `${FIXTURES}map_in_map-el.o`, `${FIXTURES}legacy_maps-el.o`,
    `${OWN}core_vmlinux.bpf.o`,
  ].filter((f) => existsSync(f));
  assert.ok(objects.length >= 12);
  for (const obj of objects) {
    const dir = `${PIN_ROOT}-oracle`;
    rmSync(dir, { recursive: true, force: true });
    // Every program is compared by translated size; the first program of a few objects (with
    // subprograms, line info and CO-RE) in full text too, since each `bpftool prog dump xlated`
    // re-reads the kernel's BTF and takes most of a second.
    const fullText = /xdp-dispatcher|xdpfilt_alw_all|map_in_map|core_vmlinux|global_data/.test(obj);
    let libbpf: Map<string, { size: number; text?: string }> | undefined;
    // libbpf pins LIBBPF_PIN_BY_NAME maps under /sys/fs/bpf by itself: remove the ones it adds.
    const rootBefore = new Set(readdirSync('/sys/fs/bpf'));
    try {
      execFileSync('bpftool', ['prog', 'loadall', obj, dir], { stdio: 'pipe' });
      libbpf = new Map();
      for (const [i, name] of readdirSync(dir).sort().entries()) {
        const info = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', `${dir}/${name}`]).toString()) as { bytes_xlated: number };
        libbpf.set(name, { size: info.bytes_xlated, text: fullText && i === 0 ? xlated(['pinned', `${dir}/${name}`]) : undefined });
      }
    } catch {
      libbpf = undefined; // libbpf refuses this object; nothing to compare
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const m of loadCollectionSpecSync(obj).maps.values()) {
        if (m.pinning === 1 && !rootBefore.has(m.realName)) rmSync(`/sys/fs/bpf/${m.realName}`, { force: true });
      }
    }
    if (!libbpf) continue;
    using c = loadCollection(obj, { pinRoot: null });
    const ours = new Map(Object.values(c.programs).map((p) => [p.name, p]));
    // bpftool pins programs under their (possibly truncated) kernel names; compare by prefix.
    for (const [pinned, theirs] of libbpf) {
      const match = [...ours].find(([n]) => n === pinned || n.startsWith(pinned));
      assert.ok(match, `${obj}: libbpf loaded ${pinned}, we did not`);
      const info = match[1].info();
      assert.equal(info.xlatedProgLen, theirs.size, `${obj} ${pinned}: translated program size differs from libbpf's`);
      if (theirs.text !== undefined) {
        assert.equal(xlated(['id', String(info.id)]), theirs.text, `${obj} ${pinned}: translated program (with source lines from line_info) differs from libbpf's`);
      }
    }
    assert.equal(ours.size, libbpf.size, `${obj}: program count`);
  }
});

test('kfuncs: calls resolved to vmlinux BTF ids (the verifier checks their prototypes); a missing __weak kfunc is dead code', kernelOnly(), () => {
  for (const program of ['call_kfunc', 'weak_kfunc_missing', 'call_weak_kfunc']) {
    using c = loadCollection(`${T}kfunc-el.elf`, { pinRoot: null, programs: [program] });
    const xlated = execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', String(c.program(program).info().id)]).toString();
    if (program === 'call_kfunc') assert.match(xlated, /bpf_skb_ct_lookup/);
  }
});

test('ksyms: typeless ones resolve from /proc/kallsyms, missing weak ones to 0, missing strong ones are an error', kernelOnly(), () => {
  const kallsyms = new Map(readFileSync('/proc/kallsyms', 'latin1').split('\n').map((l) => l.split(/\s+/)).map((f) => [f[2], BigInt(`0x${f[0] || '0'}`)] as const));
  {
    using c = loadCollection(`${T}ksym-el.elf`, { pinRoot: null, programs: ['ksym_test'] });
    assert.equal(c.program('ksym_test').testRun({ dataIn: ZERO }).retval, 0);
    const bss = execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(c.maps['.bss']!.info().id)]).toString();
    const bytes = (JSON.parse(bss)[0].value as string[]).map((x) => parseInt(x, 16));
    const u64 = (at: number) => new DataView(Uint8Array.from(bytes).buffer).getBigUint64(at, true);
    assert.equal(u64(0), kallsyms.get('bpf_init'));
    assert.equal(u64(8), kallsyms.get('bpf_trace_run1'));
  }
  {
    using c = loadCollection(`${T}ksym-el.elf`, { pinRoot: null, programs: ['missing_weak_ksym_test'] });
    assert.equal(c.program('missing_weak_ksym_test').testRun({ dataIn: ZERO }).retval, 0);
  }
  assert.throws(() => loadCollection(`${T}ksym-el.elf`, { pinRoot: null, programs: ['missing_ksym_test'] }),
    (e: unknown) => e instanceof LoaderError && e.code === 'ENOEXTERN' && /missing_ksym/.test(e.message));
});

test('logLevel keeps the verifier log of every program', kernelOnly(), () => {
  using c = loadCollection('/usr/libexec/xdp-tools/xdp_pass.o', { pinRoot: null, logLevel: 4 });
  assert.ok(c.verifierLogs.xdp_pass!.some((l) => /processed \d+ insns/.test(l)));
  using quiet = loadCollection('/usr/libexec/xdp-tools/xdp_pass.o', { pinRoot: null });
  assert.deepEqual(quiet.verifierLogs, {});
});

test('programType gives programs of unrecognised sections a type, as bpftool loadall ... type TYPE', kernelOnly(), () => {
  using c = loadCollection(`${FIXTURES}sections-el.o`, { pinRoot: null, programs: ['p_unknown'], programType: { type: 'socket_filter' } });
  assert.equal(c.program('p_unknown').typeName, 'socket_filter');
});

test('pinning by name: created, reused when compatible, IncompatibleMapError otherwise; unpin removes', kernelOnly(), (t) => {
  ensureBpffs();
  rmSync(PIN_ROOT, { recursive: true, force: true });
  t.after(() => rmSync(PIN_ROOT, { recursive: true, force: true }));
  const obj = `${T}loader-clang-22-el.elf`;
  const opts = { programs: ['data_sections'], pinRoot: PIN_ROOT };
  const c1 = loadCollection(obj, opts);
  assert.deepEqual(c1.pinnedPaths, [`${PIN_ROOT}/btf_pin`]);
  assert.ok(existsSync(`${PIN_ROOT}/btf_pin`));
  c1.maps.btf_pin!.set(1, 0x0707070707070707n);
  c1.close();
  // A second load reuses the pinned map and its contents.
  const c2 = loadCollection(obj, opts);
  assert.deepEqual(c2.pinnedPaths, []);
  assert.equal(c2.maps.btf_pin!.get(1), 0x0707070707070707n);
  c2.close();
  rmSync(`${PIN_ROOT}/btf_pin`);
  // An incompatible map at the pin path stops the load, leaving no fd behind.
  using wrong = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1 });
  wrong.pin(`${PIN_ROOT}/btf_pin`);
  const before = openFds();
  assert.throws(() => loadCollection(obj, opts), (e: unknown) => e instanceof IncompatibleMapError && e.field === 'valueSize' && e.expected === 8 && e.actual === 4);
  assert.equal(openFds(), before);
  rmSync(`${PIN_ROOT}/btf_pin`);
  // A pinned program where the map should be is refused as such.
  using prog = loadCollection(`${T}loader-clang-22-el.elf`, { programs: ['data_sections'], pinRoot: null });
  prog.program('data_sections').pin(`${PIN_ROOT}/btf_pin`);
  const fdsNow = openFds();
  assert.throws(() => loadCollection(obj, opts), (e: unknown) => e instanceof LoaderError && e.code === 'ENOTMAP');
  assert.equal(openFds(), fdsNow, 'no fd left by the refused load');
  rmSync(PIN_ROOT, { recursive: true, force: true });
});

test('options.maps: a compatible map is used by the programs, an incompatible one is refused', kernelOnly(), () => {
  using mine = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1, flags: 1 });
  using c = loadCollection(`${T}loader-clang-22-el.elf`, { programs: ['data_sections'], pinRoot: null, maps: { hash_map: mine } });
  assert.equal(c.maps.hash_map, mine);
  c.close();
  assert.equal(mine.fd > 0, true, 'a map passed in stays open after close()');
  using other = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 });
  assert.throws(() => loadCollection(`${T}loader-clang-22-el.elf`, { programs: ['data_sections'], pinRoot: null, maps: { hash_map: other } }),
    (e: unknown) => e instanceof IncompatibleMapError && e.map === 'hash_map');
});

test('bad input gives one clear typed error and leaves no fd behind', kernelOnly(), () => {
  const cases: [string, object, (e: unknown) => boolean][] = [
    [`${T}errors-el.elf`, {}, (e) => e instanceof VerifierError && e.log.some((l) => /195896080/.test(l)) && /poisoned because its CO-RE relocation.*\n.*struct nonexist/s.test(e.message)],
    [`${FIXTURES}sections-el.o`, {}, (e) => e instanceof LoaderError && e.code === 'EUNKNOWNSECTION' && /my_custom_section/.test(e.message)],
    ['/usr/lib/x86_64-linux-gnu/bpf/xdpdump_bpf.o', {}, (e) => e instanceof AttachTargetError && e.target === 'func'],
    [`${FIXTURES}global_data-el-nobtf.o`, {}, (e) => e instanceof LoaderError && e.code === 'ENOBTF'],
    [`${T}loader-clang-22-el.elf`, { programs: ['asm_relocation'] }, (e) => e instanceof LoaderError && e.code === 'ENOEXTERN' && /MY_CONST/.test(e.message)],
    [`${T}loader-clang-22-el.elf`, { programs: ['nope'] }, (e) => e instanceof Error && /'nope' is not in the object/.test(e.message)],
    [`${CILIUM}btf/testdata/relocs-el.elf`, { programs: ['err_ambiguous'], kernelTypes: parseBtf(elfSections(new Uint8Array(readFileSync(`${CILIUM}btf/testdata/relocs-el.elf`))).get('.BTF')!) }, (e) => e instanceof CoreRelocationError],
    [`${T}loader-eb.elf`, {}, (e) => e instanceof LoaderError && e.code === 'EBYTEORDER'],
    ['/nonexistent.o', {}, (e) => e instanceof LoaderError && e.code === 'ENOENT'],
  ];
  for (const [file, opts, check] of cases) {
    const before = openFds();
    assert.throws(() => loadCollection(file, { pinRoot: null, ...opts }), check, file);
    assert.equal(openFds(), before, `fds leaked by ${file}`);
  }
});

test('close() releases every fd; loading many objects repeatedly does not grow the fd table', kernelOnly(), () => {
  const before = openFds();
  for (let i = 0; i < 3; i++) {
    const c = loadCollection(`${FIXTURES}map_in_map-el.o`, { pinRoot: null });
    c.close();
    c.close();
    using d = loadCollection(`${T}variables-el.elf`, { pinRoot: null });
  }
  assert.equal(openFds(), before);
});

test('object BTF with typed and typeless ksyms loads into the kernel: maps are created with it (ksym-el.elf)', kernelOnly(), () => {
  // `extern void bpf_init __ksym` is a VAR of type void and typed ksyms are larger than their
  // 4-byte .ksyms slot: the kernel refused this BTF until the reader retyped .ksyms VARs as int.
  using c = loadCollection(`${T}ksym-el.elf`, { pinRoot: null, programs: ['ksym_test'] });
  assert.deepEqual(c.warnings.filter((w) => /BTF/.test(w)), []);
  const bss = c.maps['.bss']!;
  assert.ok(bss.info().btfId > 0, '.bss created with the object BTF');
  assert.deepEqual(Object.keys(bss.get(0) as object), [
    'out__bpf_init_addr', 'out__bpf_trace_run1_addr', 'out__bpf_prog_active_addr', 'out__softnet_data_addr', 'out__bpf_testmod_ksym_percpu_addr',
  ]);
});

test('loadCollection hands the kernel the spec\'s fixed-up BTF: the data maps\' BTF is that blob', kernelOnly(), () => {
  const spec = loadCollectionSpecSync(`${FIXTURES}global_data-el.o`);
  using c = loadCollection(spec, { pinRoot: null });
  assert.deepEqual(c.warnings.filter((w) => /BTF/.test(w)), []);
  const id = c.maps['.data']!.info().btfId;
  assert.ok(id > 0);
  const raw = execFileSync('bpftool', ['btf', 'dump', 'id', String(id), 'format', 'raw'], { encoding: 'utf8' });
  // bpftool prints the DATASEC as the kernel holds it: size and offsets from the ELF.
  assert.match(raw, /DATASEC '\.data' size=12 vlen=2\n\s+type_id=\d+ offset=0 size=8 \(VAR 'data_counter'\)\n\s+type_id=\d+ offset=8 size=4 \(VAR 'static_data'\)/);
  assert.deepEqual(c.maps['.data']!.get(0), { data_counter: 7n, static_data: 9 });
});
