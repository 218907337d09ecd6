/**
 * libbpf itself as the oracle for what an object declares: test/object/libbpf-dump.c
 * opens each object with bpf_object__open_file (no load, no kernel) and prints every map
 * (type, key/value size, max_entries, flags, numa node, map_extra, inner map type,
 * pinning) and program (section, type, expected attach type, instruction count). Our
 * specs must agree on every object libbpf opens: our fixtures, cilium's and Debian's.
 *
 * Known version differences, each checked in the narrowest form: libbpf 1.1 (Debian's)
 * predates tcx/netkit/netfilter sections (it reports type 0 where we know better) and
 * `.struct_ops.link`, and marks every data map BPF_F_MMAPABLE, where libbpf >= 1.3 (and we)
 * do so only for maps holding a non-static variable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readCollectionSpec, type CollectionSpec } from '../../src/object/index.js';
import { AttachType, ProgType } from '../../src/sys/prog-types.js';
import { MapFlags, mapTypeNumber } from '../../src/sys/constants.js';
import { CILIUM_ROOT, bpfFixtures, debianObjects, toolSkip, walkObjects } from './tools.js';

const hasLibbpf = existsSync('/usr/include/bpf/libbpf.h');
const skip = toolSkip('cc') || (!hasLibbpf && !process.env.CI ? 'libbpf-dev not installed' : false);

interface Dump { ok: boolean; maps: string[][]; progs: string[][]; datasecs: string[][] }

function libbpfDump(paths: string[]): Map<string, Dump> {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-libbpf-'));
  try {
    const bin = join(dir, 'libbpf-dump');
    execFileSync('cc', ['-O2', '-o', bin, join(import.meta.dirname, 'libbpf-dump.c'), '-lbpf']);
    const out = new Map<string, Dump>();
    let cur: Dump | undefined;
    for (const line of execFileSync(bin, paths, { maxBuffer: 64 << 20 }).toString().split('\n')) {
      const f = line.split('\t');
      if (f[0] === 'file') out.set(f[1]!, (cur = { ok: f[2] === 'ok', maps: [], progs: [], datasecs: [] }));
      else if (f[0] === 'map') cur!.maps.push(f.slice(1));
      else if (f[0] === 'prog') cur!.progs.push(f.slice(1));
      else if (f[0] === 'datasec') cur!.datasecs.push(f.slice(1));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('maps and programs agree with libbpf\'s bpf_object__open on every object it opens', { skip }, () => {
  const paths = [
    ...bpfFixtures().filter((f) => f.includes('-el')),
    ...walkObjects(CILIUM_ROOT).filter((f) => /(-el\.elf|bpfel\.o)$/.test(f) && !f.includes('/invalid_')),
    ...debianObjects(),
  ];
  const dumps = libbpfDump(paths);
  let objects = 0;
  let maps = 0;
  let progs = 0;
  let datasecs = 0;
  for (const path of paths) {
    const want = dumps.get(path)!;
    if (!want.ok) continue; // legacy maps, arena, tags...: libbpf 1.1 refuses them
    const what = relative(join(CILIUM_ROOT, '..'), path);
    const spec = readCollectionSpec(readFileSync(path), { objectName: path.replace(/^.*\//, '').replace(/\..*$/, '') });
    const ours = new Map([...spec.maps.values()]
      .filter((m) => m.section !== '.struct_ops.link')
      .map((m) => [m.source === 'data' || m.source === 'kconfig' ? m.name : m.realName, m] as const));
    assert.deepEqual([...ours.keys()].sort(), want.maps.map((m) => m[0]!).sort(), `${what}: map names`);
    for (const [name, type, key, value, max, flags, numa, extra, inner, pinned] of want.maps) {
      const m = ours.get(name!)!;
      const isData = m.source === 'data' || m.source === 'kconfig';
      const ourFlags = isData ? m.flags | MapFlags.MMAPABLE : m.flags;
      assert.deepEqual(
        [mapTypeNumber(m.type), m.keySize, m.valueSize, m.maxEntries, ourFlags, m.numaNode ?? 0, BigInt(m.mapExtra ?? 0), m.innerMap ? mapTypeNumber(m.innerMap.type) : -1, m.pinning !== 0 ? 1 : 0],
        [Number(type), Number(key), Number(value), Number(max), Number(flags) | (isData ? MapFlags.MMAPABLE : 0), Number(numa), BigInt(extra!), Number(inner), Number(pinned)],
        `${what}: map ${name}`,
      );
      maps++;
    }
    assert.deepEqual([...spec.programs.keys()].sort(), want.progs.map((p) => p[0]!).sort(), `${what}: program names`);
    for (const [name, section, type, attach, insns] of want.progs) {
      const p = spec.programs.get(name!)!;
      assert.equal(p.section, section, `${what}: ${name} section`);
      assert.equal(p.insnCount, Number(insns), `${what}: ${name} instruction count`);
      const ourType = typeof p.type === 'number' ? p.type : ProgType[p.type];
      if (Number(type) === 0 && ourType !== 0) continue; // a section libbpf 1.1 does not know yet
      assert.equal(ourType, Number(type), `${what}: ${name} type`);
      const ourAttach = p.attachType === undefined ? 0 : AttachType[p.attachType];
      assert.equal(ourAttach, Number(attach), `${what}: ${name} expected attach type`);
      progs++;
    }
    datasecs += compareDatasecs(spec, want.datasecs, what);
    objects++;
  }
  console.log(`compared ${objects} objects, ${maps} maps, ${progs} programs, ${datasecs} DATASECs with libbpf`);
  assert.ok(objects >= 40 && maps >= 60 && progs >= 100 && datasecs >= 100, `compared ${objects} objects, ${maps} maps, ${progs} programs, ${datasecs} DATASECs`);
});

/**
 * Our fixed-up object BTF (`spec.btf`) against libbpf's after bpf_object__open: every
 * DATASEC's size and, per variable, offset, size and linkage (libbpf.c, btf_fixup_datasec and
 * bpf_object__collect_externs). libbpf names every kfunc placeholder VAR `dummy_ksym`; ours
 * keep the function's name, so `.ksyms` names are not compared.
 */
function compareDatasecs(spec: CollectionSpec, want: string[][], what: string): number {
  const btf = spec.btf;
  const ours: string[][] = [];
  for (let id = 1; btf && id < btf.typeCount; id++) {
    const t = btf.typeById(id);
    if (t.kind !== 'datasec') continue;
    ours.push([t.name, String(t.size), ...t.vars.map((v) => {
      const vt = btf.typeById(v.type);
      return `${vt.name}:${v.offset}:${v.size}:${vt.kind === 'var' ? vt.linkage : -1}`;
    })]);
  }
  const ksymsNamesFree = (d: string[][]) => d.map(([name, ...rest]) => name === '.ksyms' ? [name!, ...rest.map((x) => x.replace(/^[^:]*:/, '*:'))] : [name!, ...rest]);
  assert.deepEqual(ksymsNamesFree(ours), ksymsNamesFree(want), `${what}: DATASECs`);
  return ours.length;
}

// Every fix-up in one object: hidden and static globals, .bss, a custom data section,
// kconfig, a typed and a typeless ksym, a kfunc.
const FIXUP_SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
int visible = 1;
__hidden int hidden_var = 2;
static int static_var = 3;
int zeroed;
__hidden long hidden_bss;
__attribute__((visibility("internal"))) int internal_var = 4;
char custom[8] SEC(".data.custom") = "abc";
__hidden char only_hidden[4] SEC(".data.hidden") = "xy";
const volatile int ro = 5;
extern int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern const int bpf_prog_active __ksym;
extern const void bpf_init __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
SEC("tp_btf/sched_switch") int prog(void *ctx)
{
	bpf_rcu_read_lock();
	return visible + hidden_var + static_var++ + zeroed + hidden_bss + internal_var + custom[0] + only_hidden[1] + ro +
	       LINUX_KERNEL_VERSION + CONFIG_BPF_SYSCALL + bpf_prog_active + (long)&bpf_init;
}
char _license[] SEC("license") = "GPL";
`;

test('the fixed-up BTF of a compiled object with every kind of fix-up matches libbpf\'s', { skip: skip || toolSkip('clang-19') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-fixup-'));
  try {
    const src = join(dir, 'fixup.bpf.c');
    const obj = join(dir, 'fixup.bpf.o');
    writeFileSync(src, FIXUP_SOURCE);
    execFileSync('clang-19', ['-O2', '-g', '-target', 'bpfel', `-I/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '-c', src, '-o', obj]);
    const want = libbpfDump([obj]).get(obj)!;
    assert.ok(want.ok, 'libbpf opens the object');
    const spec = readCollectionSpec(readFileSync(obj), { objectName: 'fixup' });
    assert.equal(compareDatasecs(spec, want.datasecs, 'fixup.bpf.o'), want.datasecs.length);
    // Hidden and internal globals become static VARs; the kfunc is a placeholder int VAR.
    const linkage = (name: string) => { const t = spec.btf!.typeByName(name, 'var'); return t?.kind === 'var' ? t.linkage : undefined; };
    assert.deepEqual([linkage('visible'), linkage('hidden_var'), linkage('internal_var'), linkage('static_var'), linkage('LINUX_KERNEL_VERSION')], [1, 0, 0, 0, 1]);
    assert.deepEqual(spec.variables.get('hidden_var')?.linkage, 'static');
    assert.equal(spec.externs.find((e) => e.name === 'bpf_rcu_read_lock')?.kind, 'kfunc');
    assert.equal(spec.externs.find((e) => e.name === 'bpf_prog_active')?.kind, 'ksym');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
