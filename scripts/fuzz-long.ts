/**
 * Long-running mutation fuzzer for the pure parsers (not a test: CI runs the short
 * fast-check fuzz tests; this is for campaigns of minutes to hours).
 *
 *   node --import tsx scripts/fuzz-long.ts [seconds-per-target] [--targets a,b] [--seed N]
 *   node --import tsx scripts/fuzz-long.ts --replay /tmp/fuzz-bugs/FILE.bin
 *
 * Targets: elf (parseElf, symbols, relocations, section data), object (readCollectionSpec
 * and what `ebpf object show` prints), btf (parseBtf on objects' .BTF, then every type
 * decoded, resolved, sized, looked up by name, and dumped as raw text, JSON and C),
 * btf-split (module BTF on its base and on vmlinux; also a mutated base under intact
 * split BTF), btf-vmlinux (sparse mutations of the kernel's BTF), btf-ext (parseBtfExt),
 * asm (decode + disassemble in both byte orders), map-file (loadEmulatedMap; most inputs
 * get their checksum and payload size fixed so the deeper checks run), map-args (the
 * `ebpf map` argument parsers on random token lists).
 *
 * Each target mutates valid seed inputs (bit flips, interesting bytes and words, structure
 * fields from hints: header, section, symbol and BTF record fields set to random lengths or
 * edge values, truncation at structure boundaries, splices from other seeds, duplicated
 * and zeroed regions) in a worker thread. Every input ends in one of three classes:
 * success, typed error (`instanceof EbpfError`; a ParseError must name an offset inside
 * the input), or BUG: any other exception, a ParseError offset outside the input, more
 * than 2 s for one input (twice in a row), a heap/ArrayBuffer jump beyond `HEAP_JUMP`, or
 * a hang/out-of-memory, after which the worker is restarted. Each BUG input is saved
 * under /tmp/fuzz-bugs/ as TARGET-SIGNATURE-N.bin with a .txt (stack, seed), at most
 * three per distinct signature, and the run goes on.
 *
 * The PRNG is seeded (printed at start); each target derives its own stream from the
 * seed and its name, so `--seed N --targets X` repeats a target's run (the inputs, not
 * the timing: how far a run gets depends on the machine).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const SHARED = join(REPO, '../shared/testdata/cilium-ebpf/');
const BUG_DIR = '/tmp/fuzz-bugs';
const SLOW_MS = 2_000;
const HANG_MS = 20_000;
const HEAP_JUMP = 256 * 1024 * 1024;
const KEEP_PER_SIGNATURE = 3;

const TARGETS = ['elf', 'object', 'btf', 'btf-split', 'btf-vmlinux', 'btf-ext', 'asm', 'map-file', 'map-args'] as const;
type Target = (typeof TARGETS)[number];

// ---------------------------------------------------------------- PRNG

/** xoshiro128** over 32-bit words: fast, seedable, good enough for mutation choices. */
class Rng {
  private s: Uint32Array;
  constructor(seed: number) {
    // splitmix32 to fill the state
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  u32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!;
    s[2]! ^= t; s[3] = rotl(s[3]!, 11);
    return result;
  }
  /** Integer in [0, n). */
  int(n: number): number { return n <= 0 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n); }
  chance(p: number): boolean { return this.u32() / 0x1_0000_0000 < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
}
function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }

function hashName(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32LE(0);
}

// ---------------------------------------------------------------- seeds and hints

/** A seed input with structure hints: offsets of 4-byte fields worth corrupting and boundaries worth cutting at. */
interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly le: boolean;
  /** Offsets of integer fields (u16/u32/u64 by `width`). */
  readonly fields: { at: number; width: 2 | 4 | 8 }[];
  /** Offsets where a section, record or table starts or ends. */
  readonly cuts: number[];
  /** Extra context for the target (the BTF of a .BTF.ext seed, the base of a split seed). */
  readonly extra?: unknown;
}

function listObjects(): string[] {
  const out: string[] = [];
  const add = (dir: string, filter: (f: string) => boolean) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).sort()) if (filter(f)) out.push(join(dir, f));
  };
  add(join(REPO, 'test/fixtures'), (f) => f.endsWith('.o'));
  for (const d of existsSync(join(REPO, 'examples')) ? readdirSync(join(REPO, 'examples'), { withFileTypes: true }) : []) if (d.isDirectory()) add(join(REPO, 'examples', d.name), (f) => f.endsWith('.o'));
  add(join(REPO, 'test/btf/fixtures'), (f) => f.endsWith('.o'));
  add(join(REPO, 'test/loader/fixtures'), (f) => f.endsWith('.o'));
  add(join(SHARED, 'testdata'), (f) => f.endsWith('.elf'));
  add(join(SHARED, 'btf/testdata'), (f) => f.endsWith('.elf'));
  for (const d of ['examples', 'docs/examples', 'cmd/bpf2go/testdata']) {
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (/\.(o|elf)$/.test(e.name)) out.push(join(dir, e.name));
      }
    };
    walk(join(SHARED, d));
  }
  return out;
}

// ---------------------------------------------------------------- worker side

type Outcome = 'ok' | 'typed' | 'bug';

async function workerMain(): Promise<void> {
  const { target, seed, seconds, shared, replay } = workerData as { target: Target; seed: number; seconds: number; shared: SharedArrayBuffer; replay?: { input: Uint8Array; seedName: string } };
  const { EbpfError, ParseError } = await import('../src/sys/errors.js');
  const { parseElf, elfSections } = await import('../src/elf/index.js');
  const { parseBtf } = await import('../src/btf/btf.js');
  const { parseBtfExt } = await import('../src/btf/ext.js');
  const { formatC } = await import('../src/btf/format-c.js');
  const { formatRaw, formatJson } = await import('../src/btf/format-raw.js');
  const { KNOWN_LAYOUT } = await import('../src/btf/kinds.js');
  const { readCollectionSpec } = await import('../src/object/index.js');
  const { describeObject } = await import('../src/cli/commands/object.js');
  const { decode, disassemble } = await import('../src/asm/index.js');
  const { createEmulatorBackend, loadEmulatedMap, saveEmulatedMap } = await import('../src/emu/index.js');
  const { ArgReader, readMapRef, readProgRef, readData, parseU32, parseByte, parseCUnsigned, matchKeyword, describeRef } = await import('../src/cli/map-args.js');
  type Btf = import('../src/btf/btf.js').Btf;

  const rng = new Rng(seed);
  // Shared with the main thread: [0] state (0 idle, 1 running), [1] input length, [2] iteration; bytes from 16.
  const ctl = new Int32Array(shared, 0, 4);
  const inputArea = new Uint8Array(shared, 16);

  const elfHints = (bytes: Uint8Array): { le: boolean; fields: Seed['fields']; cuts: number[] } => {
    const elf = parseElf(bytes);
    const le = elf.littleEndian;
    const fields: Seed['fields'] = [];
    const cuts = [0, 64, bytes.length];
    for (const at of [0x10, 0x12, 0x14, 0x28, 0x30, 0x34, 0x36, 0x38, 0x3a, 0x3c, 0x3e]) fields.push({ at, width: at === 0x28 || at === 0x30 ? 8 : at >= 0x34 || at <= 0x12 ? 2 : 4 });
    const shoff = elf.header.sectionHeaderOffset;
    for (const s of elf.sections) {
      const h = shoff + s.index * 64;
      cuts.push(h, Number(s.offset), Number(s.offset) + Number(s.size));
      fields.push({ at: h, width: 4 }, { at: h + 4, width: 4 }, { at: h + 0x18, width: 8 }, { at: h + 0x20, width: 8 }, { at: h + 0x28, width: 4 }, { at: h + 0x2c, width: 4 }, { at: h + 0x38, width: 8 }, { at: h + 8, width: 8 });
      const type = s.type;
      const entsize = type === 2 ? 24 : type === 9 ? 16 : type === 4 ? 24 : 0;
      if (entsize) {
        for (let p = Number(s.offset); p + entsize <= Number(s.offset) + Number(s.size) && fields.length < 4000; p += entsize) {
          if (type === 2) fields.push({ at: p, width: 4 }, { at: p + 6, width: 2 }, { at: p + 8, width: 8 }, { at: p + 16, width: 8 });
          else fields.push({ at: p, width: 8 }, { at: p + 8, width: 8 });
        }
      }
      if (s.name === '.BTF') for (const f of btfHints(bytes.subarray(Number(s.offset), Number(s.offset) + Number(s.size)), le).fields) fields.push({ at: f.at + Number(s.offset), width: f.width });
      if (s.name === '.BTF.ext') for (const at of [4, 8, 12, 16, 20, 24, 28]) fields.push({ at: Number(s.offset) + at, width: 4 });
    }
    return { le, fields, cuts };
  };

  function btfHints(b: Uint8Array, le: boolean, maxFields = 6000): { fields: Seed['fields']; cuts: number[] } {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const fields: Seed['fields'] = [4, 8, 12, 16, 20, 24, 28].map((at) => ({ at, width: 4 as const }));
    const cuts = [0, 24, b.length];
    if (b.length < 24) return { fields, cuts };
    const hdrLen = v.getUint32(4, le);
    const typeOff = v.getUint32(8, le), typeLen = v.getUint32(12, le), strOff = v.getUint32(16, le), strLen = v.getUint32(20, le);
    const ts = hdrLen + typeOff, te = ts + typeLen;
    cuts.push(hdrLen, ts, te, hdrLen + strOff, hdrLen + strOff + strLen);
    // Type records: every record start and its words (names, info, size/type, vlen elements), sampled evenly for big blobs.
    const starts: number[] = [];
    for (let p = ts; p + 12 <= te && p + 12 <= b.length;) {
      starts.push(p);
      const info = v.getUint32(p + 4, le);
      const kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
      const l = KNOWN_LAYOUT[kind];
      if (!l) break;
      p += 12 + l.infoSize + vlen * l.elemSize;
    }
    const step = Math.max(1, Math.floor(starts.length / (maxFields / 4)));
    for (let i = 0; i < starts.length; i += step) {
      const p = starts[i]!;
      cuts.push(p);
      fields.push({ at: p, width: 4 }, { at: p + 4, width: 4 }, { at: p + 8, width: 4 });
      const next = starts[i + 1] ?? te;
      if (next - p > 12) fields.push({ at: p + 12 + 4 * rng.int(Math.floor((next - p - 12) / 4)), width: 4 });
    }
    return { fields, cuts };
  }

  const read = (p: string) => new Uint8Array(readFileSync(p));
  const objects = listObjects().map((p) => ({ p, b: read(p) })).filter((o) => {
    try { parseElf(o.b); return true; } catch { return false; }
  });

  const seeds: Seed[] = [];
  let run: (input: Uint8Array, s: Seed) => void;
  let mutateSparse = false;

  const exerciseBtf = (btf: Btf, full: boolean): void => {
    const n = btf.typeCount;
    const first = btf.base ? btf.firstTypeId : 1;
    const ids: number[] = [];
    if (full && n - first < 4000) {
      for (let i = first; i < n; i++) ids.push(i);
      for (let i = 0; i < 50; i++) ids.push(rng.int(first)); // some base types (and void) too
    } else for (let i = 0; i < 300; i++) ids.push(rng.int(n));
    const tIds = performance.now();
    for (const id of ids) {
      try {
        const t = btf.typeById(id);
        if (t.name) { btf.typesByName(t.name); btf.typeByName(t.name, t.kind); }
        btf.resolve(id);
        btf.sizeof(id);
      } catch (e) { if (!(e instanceof EbpfError)) throw e; }
    }
    try { btf.typesByName('task_struct'); } catch (e) { if (!(e instanceof EbpfError)) throw e; }
    if (replay) console.log(`  ${ids.length} types decoded, resolved, sized, looked up by name: ${(performance.now() - tIds).toFixed(0)} ms`);
    const only = ids.filter((id) => id >= first).slice(0, 200);
    const small = n - first < 4000 && !(btf.base && btf.base.typeCount > 4000);
    const dumps: (() => unknown)[] = [
      () => formatRaw(btf, small ? undefined : only),
      () => formatJson(btf, { only: small ? undefined : only }),
      () => formatC(btf, small ? {} : { rootIds: only.slice(0, 20) }),
    ];
    for (const [i, d] of dumps.entries()) {
      const t0 = performance.now();
      try { d(); } catch (e) { if (!(e instanceof EbpfError)) throw e; }
      if (replay) console.log(`  ${['formatRaw', 'formatJson', 'formatC'][i]}: ${(performance.now() - t0).toFixed(0)} ms`);
    }
  };

  switch (target) {
    case 'elf':
    case 'object': {
      for (const o of objects) {
        const h = elfHints(o.b);
        seeds.push({ name: o.p, bytes: o.b, ...h });
      }
      run = target === 'elf'
        ? (input) => {
          const elf = parseElf(input);
          for (const f of [() => elf.symbols(), () => elf.relocations(), () => elfSections(input)]) {
            try { f(); } catch (e) { if (!(e instanceof EbpfError)) throw e; }
          }
          for (const s of elf.sections) {
            try { elf.sectionData(s); elf.sectionByName(s.name); } catch (e) { if (!(e instanceof EbpfError)) throw e; }
          }
        }
        : (input) => {
          try {
            const spec = readCollectionSpec(input, { objectName: 'fuzz' });
            for (const m of spec.maps.values()) void [m.name, m.data?.byteLength, m.slots?.length];
            for (const p of spec.programs.values()) void p.relocations.length;
            for (const v of spec.variables.values()) void v.value.byteLength;
          } catch (e) { if (!(e instanceof EbpfError)) throw e; }
          describeObject('fuzz.o', input);
        };
      break;
    }
    case 'btf': {
      for (const o of objects) {
        const sec = elfSections(o.b).get('.BTF');
        if (!sec) continue;
        const b = new Uint8Array(sec);
        const le = new DataView(b.buffer, b.byteOffset).getUint16(0, true) === 0xeb9f;
        seeds.push({ name: `${o.p}:.BTF`, bytes: b, le, ...btfHints(b, le) });
      }
      run = (input) => exerciseBtf(parseBtf(input), true);
      break;
    }
    case 'btf-split': {
      const testmodBase = read(join(SHARED, 'btf/testdata/btf_testmod.btf.base'));
      const testmod = read(join(SHARED, 'btf/testdata/btf_testmod.btf'));
      const bases: { name: string; btf: Btf }[] = [{ name: 'btf_testmod.btf.base', btf: parseBtf(testmodBase) }];
      if (existsSync('/sys/kernel/btf/vmlinux')) bases.push({ name: 'vmlinux', btf: parseBtf(read('/sys/kernel/btf/vmlinux')) });
      const splits: { name: string; bytes: Uint8Array }[] = [{ name: 'btf_testmod.btf', bytes: testmod }];
      if (existsSync('/sys/kernel/btf')) {
        for (const f of readdirSync('/sys/kernel/btf').sort()) {
          if (f === 'vmlinux') continue;
          const b = read(join('/sys/kernel/btf', f));
          if (b.length < 200_000) splits.push({ name: f, bytes: b });
          if (splits.length > 4) break;
        }
      }
      for (const s of splits) {
        const le = new DataView(s.bytes.buffer).getUint16(0, true) === 0xeb9f;
        for (const base of bases) seeds.push({ name: `${s.name} on ${base.name}`, bytes: s.bytes, le, ...btfHints(s.bytes, le), extra: base.btf });
      }
      // Also the base itself mutated, with the intact split BTF on top.
      const ble = new DataView(testmodBase.buffer).getUint16(0, true) === 0xeb9f;
      seeds.push({ name: 'btf_testmod.btf.base (mutated base)', bytes: testmodBase, le: ble, ...btfHints(testmodBase, ble), extra: testmod });
      run = (input, s) => {
        if (s.extra instanceof Uint8Array) {
          const base = parseBtf(input);
          exerciseBtf(base, false);
          exerciseBtf(parseBtf(s.extra, { base }), true);
        } else {
          exerciseBtf(parseBtf(input, { base: s.extra as Btf }), true);
        }
      };
      break;
    }
    case 'btf-vmlinux': {
      mutateSparse = true;
      const paths = ['/sys/kernel/btf/vmlinux', join(SHARED, 'btf/testdata/vmlinux.btf')].filter(existsSync);
      for (const p of paths) {
        const b = read(p);
        const le = new DataView(b.buffer).getUint16(0, true) === 0xeb9f;
        seeds.push({ name: p, bytes: b, le, ...btfHints(b, le, 20000) });
      }
      run = (input) => exerciseBtf(parseBtf(input), false);
      break;
    }
    case 'btf-ext': {
      for (const o of objects) {
        const secs = elfSections(o.b);
        const ext = secs.get('.BTF.ext');
        const raw = secs.get('.BTF');
        if (!ext || !raw) continue;
        let btf: Btf;
        try { btf = parseBtf(new Uint8Array(raw)); } catch { continue; }
        const b = new Uint8Array(ext);
        const le = btf.littleEndian;
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const fields: Seed['fields'] = [4, 8, 12, 16, 20, 24, 28].map((at) => ({ at, width: 4 as const }));
        const cuts = [0, 24, 32, b.length];
        const hdrLen = v.getUint32(4, le);
        for (const f of [8, 16, 24]) {
          if (f + 8 > hdrLen) break;
          const off = hdrLen + v.getUint32(f, le), len = v.getUint32(f + 4, le);
          cuts.push(off, off + len);
          for (let p = off; p < off + len && p + 4 <= b.length; p += 4) fields.push({ at: p, width: 4 });
        }
        seeds.push({ name: `${o.p}:.BTF.ext`, bytes: b, le, fields, cuts, extra: btf });
      }
      run = (input, s) => {
        const ext = parseBtfExt(input, s.extra as Btf);
        void ext;
      };
      break;
    }
    case 'asm': {
      for (const o of objects) {
        const elf = parseElf(o.b);
        for (const s of elf.sections) {
          if (s.type !== 1 || !(Number(s.flags) & 4) || s.size === 0) continue;
          const b = new Uint8Array(elf.sectionData(s));
          const fields: Seed['fields'] = [];
          for (let p = 0; p + 8 <= b.length; p += 8) fields.push({ at: p, width: 2 }, { at: p + 4, width: 4 });
          const cuts: number[] = [];
          for (let p = 0; p <= b.length; p += 8) cuts.push(p, p + 4);
          seeds.push({ name: `${o.p}:${s.name}`, bytes: b, le: elf.littleEndian, fields, cuts });
          if (seeds.length > 200) break;
        }
      }
      run = (input, s) => {
        for (const order of ['le', 'be'] as const) {
          try {
            const insns = decode(input, order);
            disassemble(insns);
            disassemble(insns, { mapRef: 'id', indices: false, resolveCall: (imm) => (imm & 1 ? undefined : `f${imm}`) });
          } catch (e) { if (!(e instanceof EbpfError) || order === (s.le ? 'le' : 'be')) throw e; }
        }
      };
      break;
    }
    case 'map-file': {
      const specs: [number, number, number, number, number, number][] = [
        // type, key, value, max, flags, nCpus
        [1, 4, 8, 16, 0, 1], [1, 4, 8, 16, 64, 1], [2, 4, 4, 8, 0, 1], [2, 4, 4, 8, 1024, 1], [5, 4, 8, 4, 0, 2], [6, 4, 12, 4, 0, 2],
        [9, 8, 4, 16, 0, 1], [10, 4, 4, 16, 0, 2], [11, 8, 4, 16, 1, 1], [22, 0, 4, 8, 0, 1], [23, 0, 4, 8, 0, 1],
        [30, 0, 4, 64, 0, 1], [14, 4, 4, 8, 0, 1], [25, 4, 4, 8, 0, 1], [16, 4, 4, 4, 0, 1],
      ];
      const le = true;
      for (const [type, keySize, valueSize, maxEntries, flags, nCpus] of specs) {
        const percpu = nCpus > 1;
        const d = {
          type, keySize, valueSize, maxEntries, flags, name: `m${type}`, nCpus,
          valueBufferSize: percpu ? Math.ceil(valueSize / 8) * 8 * nCpus : valueSize,
          id: 0, mapExtra: type === 30 ? 3n : 0n, btfId: 0, btfKeyTypeId: 0, btfValueTypeId: 0,
        };
        let m: ReturnType<typeof createEmulatorBackend>;
        try { m = createEmulatorBackend(d, { possibleCpus: nCpus }); } catch { continue; }
        const em = m as unknown as { key: Uint8Array; value: Uint8Array; update(f: number): number; freeze?: () => number };
        for (let i = 0; i < maxEntries; i++) {
          em.key.fill(0);
          if (em.key.length >= 4) new DataView(em.key.buffer, em.key.byteOffset).setUint32(0, type === 11 ? (i % 33) : i, true);
          if (type === 11 && em.key.length >= 8) em.key.set([10, i, 0, 0], 4);
          for (let j = 0; j < em.value.length; j++) em.value[j] = (i * 7 + j) & 0xff;
          if (type === 14 || type === 25 || type === 16) new DataView(em.value.buffer, em.value.byteOffset).setUint32(0, 1, true);
          em.update(0);
        }
        let b: Uint8Array;
        try { b = saveEmulatedMap(m); } catch { m.close(); continue; }
        m.close();
        const fields: Seed['fields'] = [8, 10, 12, 16, 20, 24, 28, 32, 36, 48, 52, 56, 60].map((at) => ({ at, width: at === 8 || at === 10 ? 2 : 4 }));
        fields.push({ at: 40, width: 8 });
        const cuts = [0, 8, 64, 80, b.length];
        const rec = b.length > 80 ? Math.max(1, Math.floor((b.length - 80) / Math.max(1, new DataView(b.buffer).getUint32(52, true)))) : 1;
        for (let p = 80; p < b.length; p += rec) { cuts.push(p); fields.push({ at: p, width: 4 }); }
        seeds.push({ name: `map type ${type} flags ${flags}`, bytes: b, le, fields, cuts });
      }
      run = (input) => {
        // Most inputs get a correct checksum and payload size so the loader's deeper checks run.
        loadEmulatedMap(input, { possibleCpus: 4 }).close();
      };
      break;
    }
    case 'map-args': {
      seeds.push({ name: 'argv', bytes: new Uint8Array(0), le: true, fields: [], cuts: [] });
      run = () => { throw new Error('unused'); };
      break;
    }
  }
  if (seeds.length === 0) throw new Error(`target ${target}: no seeds`);

  // ------------------------------------------------------------ mutation

  const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40];
  const interesting32 = (len: number): number[] => [
    0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
    0xfffffff0, 0x40000000, len, len - 1, len + 1, len >>> 1, 0x0d00ffff, 0x1400ffff, 0x8400ffff, 0x04000001, 0x04008000,
  ];
  const randomField = (len: number): number => {
    switch (rng.int(5)) {
      case 0: return rng.pick(interesting32(len)) >>> 0;
      case 1: return rng.int(256);
      case 2: return rng.int(Math.max(1, len * 2));
      case 3: return rng.u32();
      default: return rng.pick(interesting32(len)) + rng.int(17) - 8;
    }
  };

  function mutate(s: Seed): Uint8Array {
    let b = new Uint8Array(s.bytes);
    const n = 1 + (mutateSparse ? rng.int(3) : Math.min(7, Math.floor(-Math.log2(1 - rng.u32() / 0x1_0000_0000 + 1e-12))));
    const setWord = (at: number, width: number, value: number, le: boolean) => {
      if (at < 0 || at + width > b.length) return;
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (width === 2) v.setUint16(at, value & 0xffff, le);
      else if (width === 4) v.setUint32(at, value >>> 0, le);
      else v.setBigUint64(at, rng.chance(0.5) ? BigInt(value >>> 0) : (BigInt(value >>> 0) << 32n) | BigInt(rng.u32()), le);
    };
    for (let i = 0; i < n && b.length > 0; i++) {
      const r = rng.int(100);
      const le = rng.chance(0.9) ? s.le : !s.le;
      if (r < 18) {
        const at = rng.int(b.length);
        b[at] = b[at]! ^ (1 << rng.int(8));
      } else if (r < 28) {
        b[rng.int(b.length)] = rng.pick(INTERESTING8);
      } else if (r < 40) {
        const width = rng.pick([2, 4, 4, 8] as const);
        setWord(rng.int(b.length) & (rng.chance(0.7) ? ~(width - 1) : ~0), width, randomField(b.length), le);
      } else if (r < 68 && s.fields.length) {
        // A structure field: random length, interesting value, small perturbation, copied from another field.
        const f = rng.pick(s.fields);
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        if (f.at + f.width > b.length) continue;
        const cur = f.width === 2 ? v.getUint16(f.at, s.le) : v.getUint32(f.at, s.le);
        const k = rng.int(5);
        const value = k === 0 ? cur + rng.int(9) - 4 : k === 1 ? 0 : k === 2 ? cur ^ (1 << rng.int(32)) : randomField(b.length);
        setWord(f.at, f.width, value, le);
      } else if (r < 76 && !mutateSparse) {
        // Truncate, at a boundary or anywhere.
        const cut = s.cuts.length && rng.chance(0.7) ? rng.pick(s.cuts) + rng.int(9) - 4 : rng.int(b.length);
        b = b.slice(0, Math.max(0, Math.min(b.length, cut)));
      } else if (r < 82) {
        // Duplicate a field/region over another one (copy a header word to where a count lives, etc.).
        const from = s.fields.length && rng.chance(0.6) ? rng.pick(s.fields).at : rng.int(b.length);
        const to = s.fields.length && rng.chance(0.6) ? rng.pick(s.fields).at : rng.int(b.length);
        const len = Math.min(rng.pick([4, 8, 12, 16, 24, 64]), b.length - from, b.length - to);
        if (len > 0) b.copyWithin(to, from, from + len);
      } else if (r < 87) {
        // Zero a region (a whole header or record).
        const at = s.cuts.length && rng.chance(0.5) ? Math.min(b.length - 1, Math.max(0, rng.pick(s.cuts))) : rng.int(b.length);
        b.fill(rng.chance(0.8) ? 0 : 0xff, at, Math.min(b.length, at + rng.pick([4, 8, 12, 16, 32, 64, 256])));
      } else if (r < 93 && !mutateSparse) {
        // Splice: part of another seed of this target, spliced in at a boundary.
        const other = rng.pick(seeds).bytes;
        if (other.length === 0) continue;
        const from = rng.int(other.length);
        const len = Math.min(other.length - from, 1 + rng.int(512));
        const at = s.cuts.length && rng.chance(0.5) ? Math.max(0, Math.min(b.length, rng.pick(s.cuts))) : rng.int(b.length + 1);
        if (rng.chance(0.5) && at + len <= b.length) b.set(other.subarray(from, from + len), at);
        else {
          const nb = new Uint8Array(b.length + len);
          nb.set(b.subarray(0, at));
          nb.set(other.subarray(from, from + len), at);
          nb.set(b.subarray(at), at + len);
          b = nb;
        }
      } else if (r < 97 && !mutateSparse) {
        // Extend with zeros or random bytes.
        const extra = new Uint8Array(rng.pick([1, 3, 4, 8, 12, 64, 1000]));
        if (rng.chance(0.5)) for (let j = 0; j < extra.length; j++) extra[j] = rng.int(256);
        const nb = new Uint8Array(b.length + extra.length);
        nb.set(b);
        nb.set(extra, b.length);
        b = nb;
      } else {
        // Random bytes in a small window.
        const at = rng.int(b.length);
        for (let j = at; j < Math.min(b.length, at + 1 + rng.int(16)); j++) b[j] = rng.int(256);
      }
    }
    if (target === 'map-file' && b.length >= 80 && rng.chance(0.85)) {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (rng.chance(0.9)) v.setUint32(60, b.length - 80, true);
      v.setUint32(56, crc32(b.subarray(80)) >>> 0, true);
    }
    return b;
  }

  // map-args: random token lists.
  const WORDS = ['id', 'pinned', 'name', 'tag', 'hex', 'key', 'value', 'file', 'i', 'p', 'n', 't', 'h', 'k', 'v', '0x', '0X', '-1', '+', '+0x', '0', '00', '08', '0777',
    '255', '256', '4294967295', '4294967296', '0xffffffff', '0x100000000', '99999999999999999999999', 'ff', 'FF', 'g', '/sys/fs/bpf/x', '', ' ', '\t1', '1 ', '０', '١', 'any', 'exist', 'noexist'];
  const randomToken = (): string => {
    const k = rng.int(10);
    if (k < 5) return rng.pick(WORDS);
    if (k < 7) return String(rng.u32() * (rng.chance(0.3) ? 2 ** rng.int(40) : 1));
    if (k < 8) return `0x${rng.u32().toString(16)}${rng.chance(0.3) ? rng.u32().toString(16) : ''}`;
    const len = rng.int(30);
    let t = '';
    for (let i = 0; i < len; i++) t += String.fromCharCode(rng.chance(0.9) ? 32 + rng.int(95) : rng.int(0x10000));
    return t;
  };
  const runArgs = (argv: string[], size: number, pick: number): void => {
    const fs: (() => unknown)[] = [
      () => describeRef(readMapRef(new ArgReader(argv))),
      () => describeRef(readMapRef(new ArgReader(argv), { file: true })),
      () => describeRef(readProgRef(new ArgReader(argv))),
      () => readData(new ArgReader(argv), size, 'key', ['key', 'value']),
      () => readData(new ArgReader(argv), size, 'value', ['any', 'exist', 'noexist']),
      () => parseU32(argv[0] ?? '', 'x'),
      () => parseByte(argv[0] ?? '', size % 2 === 0, 'key'),
      () => parseCUnsigned(argv[0] ?? '', size % 2 === 0 ? 0 : 16),
      () => matchKeyword(argv[0], ['key', 'value', 'any']),
      () => { const r = new ArgReader(argv); while (!r.done) { r.accept('hex'); r.next('x'); } },
    ];
    // The argv's JSON is what gets saved; `pick` (in it too) chooses the parser, so a replay runs the same one.
    fs[pick % fs.length]!();
  };

  // ------------------------------------------------------------ replay of one saved input

  if (replay) {
    const s = seeds.find((x) => x.name === replay.seedName) ?? seeds[0]!;
    const mem0 = process.memoryUsage();
    const t0 = performance.now();
    try {
      if (target === 'map-args') {
        const { argv, size, pick } = JSON.parse(new TextDecoder().decode(replay.input)) as { argv: string[]; size: number; pick: number };
        runArgs(argv, size, pick);
      } else run!(replay.input, s);
      console.log(`replay [${target}] on seed ${s.name}: success in ${(performance.now() - t0).toFixed(0)} ms`);
    } catch (e) {
      const outside = e instanceof ParseError && !(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= replay.input.length);
      console.log(`replay [${target}] on seed ${s.name}: ${e instanceof EbpfError && !outside ? 'typed error' : 'BUG'} after ${(performance.now() - t0).toFixed(0)} ms${outside ? ` (ParseError offset ${(e as { offset: number }).offset} outside the ${replay.input.length}-byte input)` : ''}`);
      console.log(e);
    }
    const mem1 = process.memoryUsage();
    console.log(`heap +${((mem1.heapUsed - mem0.heapUsed) / 1048576).toFixed(0)} MiB, array buffers +${((mem1.arrayBuffers - mem0.arrayBuffers) / 1048576).toFixed(0)} MiB`);
    return;
  }

  // ------------------------------------------------------------ loop

  const counts = { inputs: 0, ok: 0, typed: 0, bug: 0 };
  const post = (m: unknown) => parentPort!.postMessage(m);
  const deadline = performance.now() + seconds * 1000;
  const baseline = () => { const u = process.memoryUsage(); return u.heapUsed + u.arrayBuffers; };
  let lastReport = performance.now();
  while (performance.now() < deadline) {
    const s = rng.pick(seeds);
    let input: Uint8Array;
    let argv: string[] = [];
    let size = 0;
    let pick = 0;
    if (target === 'map-args') {
      argv = Array.from({ length: rng.int(14) }, randomToken);
      size = rng.chance(0.8) ? rng.int(17) : rng.int(70000);
      pick = rng.int(1000);
      input = new TextEncoder().encode(JSON.stringify({ argv, size, pick }));
    } else {
      input = mutate(s);
    }
    // Publish the input so the main thread can save it if this run hangs or dies.
    const len = Math.min(input.length, inputArea.length);
    inputArea.set(input.subarray(0, len));
    Atomics.store(ctl, 1, len);
    Atomics.store(ctl, 2, counts.inputs);
    Atomics.store(ctl, 0, 1);
    const mem0 = baseline();
    const t0 = performance.now();
    let outcome: Outcome = 'ok';
    let error: unknown;
    try {
      if (target === 'map-args') runArgs(argv, size, pick);
      else run!(input, s);
    } catch (e) {
      if (e instanceof EbpfError) {
        outcome = 'typed';
        // A ParseError must name a place inside (or at the end of) what it parsed (for map-args the
        // input is the JSON of the argv, never parsed as bytes: no ParseError is expected there).
        if (e instanceof ParseError && !(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= input.length)) {
          outcome = 'bug';
          error = Object.assign(new Error(`ParseError with offset ${e.offset}: ${e.message}`), { stack: `ParseError with offset ${e.offset}\n${e.stack ?? ''}` });
        }
      } else {
        outcome = 'bug';
        error = e;
      }
    }
    const ms = performance.now() - t0;
    const jump = baseline() - mem0;
    Atomics.store(ctl, 0, 0);
    if (outcome !== 'bug' && ms > SLOW_MS) {
      // Confirm with a second run: on a shared 2-CPU machine a GC pause or a neighbour can stall one run.
      const t1 = performance.now();
      try { if (target === 'map-args') runArgs(argv, size, pick); else run!(input, s); } catch { /* classified above */ }
      const again = performance.now() - t1;
      if (again > SLOW_MS) { outcome = 'bug'; error = new Error(`slow: ${ms.toFixed(0)} ms, then ${again.toFixed(0)} ms again, for one input`); }
    }
    if (outcome !== 'bug' && jump > HEAP_JUMP + input.length * 8) { outcome = 'bug'; error = new Error(`heap jump: +${(jump / 1048576).toFixed(0)} MiB for one ${input.length}-byte input`); }
    counts.inputs++;
    counts[outcome]++;
    if (outcome === 'bug') {
      const err = error instanceof Error ? error : new Error(String(error));
      post({ kind: 'bug', seedName: s.name, iteration: counts.inputs - 1, name: err.name, message: err.message, stack: err.stack ?? '', input });
    }
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      post({ kind: 'progress', counts: { ...counts } });
    }
  }
  post({ kind: 'done', counts });
}

// ---------------------------------------------------------------- main side

interface Bug { name: string; message: string; stack: string; seedName: string; iteration: number; input: Uint8Array }

/** A signature that ignores the numbers in a message: the error class, the message shape and the first frames in src/. */
function signature(b: { name: string; message: string; stack: string }): string {
  const frames = b.stack.split('\n').filter((l) => l.includes('/src/')).slice(0, 2).map((l) => l.replace(/:\d+:\d+\)?$/, '').replace(/^.*\/src\//, 'src/'));
  const msg = b.message.replace(/0x[0-9a-f]+/gi, 'N').replace(/\d+/g, 'N').replace(/'[^']*'/g, "'S'")
    .replace(/\b(map|section|symbol|extern|variable|program|function|type|struct|union|member) [^\s:,()]+/g, '$1 X').slice(0, 120);
  return `${b.name}: ${msg} @ ${frames.join(' < ')}`;
}

/** Worker bootstrap: this same file, with tsx's loader registered first (workers do not inherit --import hooks in Node 20). */
function bootCode(): string {
  return `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
}

async function mainThread(): Promise<void> {
  const args = process.argv.slice(2);
  let seconds = 60;
  let seed = Date.now() >>> 0;
  let targets: Target[] = [...TARGETS];
  let replay: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--seed') seed = Number(args[++i]) >>> 0;
    else if (a === '--replay') replay = args[++i];
    else if (a === '--targets') targets = args[++i]!.split(',').map((t) => t.trim()) as Target[];
    else if (/^\d+(\.\d+)?$/.test(a)) seconds = Number(a);
    else { console.error(`usage: fuzz-long.ts [seconds-per-target] [--targets ${TARGETS.join(',')}] [--seed N] | --replay /tmp/fuzz-bugs/FILE.bin`); process.exit(2); }
  }
  for (const t of targets) if (!TARGETS.includes(t)) { console.error(`unknown target ${t}; known: ${TARGETS.join(', ')}`); process.exit(2); }
  if (replay) {
    // Re-run one saved input (FILE.bin, with FILE.txt beside it naming the target and seed input).
    const info = readFileSync(replay.replace(/\.bin$/, '.txt'), 'utf8');
    const target = /^target: (.*)$/m.exec(info)![1] as Target;
    const seedName = /^seed input: (.*)$/m.exec(info)![1]!;
    const input = new Uint8Array(readFileSync(replay));
    const worker = new Worker(bootCode(), { eval: true, workerData: { target, seed, seconds: 0, shared: new SharedArrayBuffer(16 + input.length), replay: { input, seedName } } });
    await new Promise((resolve) => worker.on('exit', resolve).on('error', (e) => { console.log('worker died:', e); resolve(undefined); }));
    return;
  }
  mkdirSync(BUG_DIR, { recursive: true });
  console.log(`fuzz-long: seed ${seed}, ${seconds} s per target, targets ${targets.join(', ')}; bugs go to ${BUG_DIR}/`);
  const summary: string[] = [];
  const allSignatures = new Map<string, number>();
  for (const target of targets) {
    const r = await runTarget(target, seed, seconds, allSignatures);
    summary.push(r);
  }
  console.log('\n== summary ==');
  for (const l of summary) console.log(l);
  console.log(`distinct bug signatures: ${allSignatures.size}`);
  for (const [sig, n] of allSignatures) console.log(`  ${n}× ${sig}`);
}

function saveBug(target: Target, seed: number, b: Bug, seen: Map<string, number>): void {
  const sig = signature(b);
  const n = (seen.get(sig) ?? 0) + 1;
  seen.set(sig, n);
  if (n === 1) console.log(`  BUG [${target}] ${sig}\n      seed input ${b.seedName}, iteration ${b.iteration}`);
  if (n > KEEP_PER_SIGNATURE) return;
  const h = createHash('sha1').update(sig).digest('hex').slice(0, 10);
  const base = join(BUG_DIR, `${target}-${h}-${n}`);
  writeFileSync(`${base}.bin`, b.input);
  writeFileSync(`${base}.txt`, `target: ${target}\nrun seed: ${seed}\nseed input: ${b.seedName}\niteration: ${b.iteration}\nsignature: ${sig}\n\n${b.name}: ${b.message}\n${b.stack}\n`);
}

async function runTarget(target: Target, seed: number, seconds: number, seen: Map<string, number>): Promise<string> {
  const started = performance.now();
  const total = { inputs: 0, ok: 0, typed: 0, bug: 0, restarts: 0 };
  let tseed = (seed ^ hashName(target)) >>> 0;
  let deadStarts = 0;
  console.log(`[${target}] start (target seed ${tseed})`);
  while (performance.now() - started < seconds * 1000 - 500) {
    const remaining = (seconds * 1000 - (performance.now() - started)) / 1000;
    const shared = new SharedArrayBuffer(16 + 16 * 1024 * 1024);
    const ctl = new Int32Array(shared, 0, 4);
    // The worker runs this same file; tsx's loader is registered in it first (workers do not inherit --import hooks in Node 20).
    const worker = new Worker(bootCode(), {
      eval: true,
      workerData: { target, seed: tseed, seconds: remaining, shared },
      resourceLimits: { maxOldGenerationSizeMb: 3072 },
      stdout: false,
    });
    let last = { inputs: 0, ok: 0, typed: 0, bug: 0 };
    let runningSince = 0;
    let lastIter = -1;
    const result = await new Promise<'done' | 'dead'>((resolve) => {
      const watchdog = setInterval(() => {
        const state = Atomics.load(ctl, 0), iter = Atomics.load(ctl, 2);
        if (state === 1 && iter === lastIter) {
          if (performance.now() - runningSince > HANG_MS) {
            clearInterval(watchdog);
            const len = Atomics.load(ctl, 1);
            saveBug(target, seed, { name: 'Hang', message: `no result after ${HANG_MS} ms`, stack: '', seedName: '?', iteration: iter, input: new Uint8Array(shared, 16, len).slice() }, seen);
            total.bug++;
            void worker.terminate().then(() => resolve('dead'));
          }
        } else {
          runningSince = performance.now();
          lastIter = state === 1 ? iter : -1;
        }
      }, 250);
      worker.on('message', (m: { kind: string; counts?: typeof last } & Partial<Bug>) => {
        if (m.kind === 'bug') saveBug(target, seed, m as Bug, seen);
        else if (m.kind === 'progress') { last = m.counts!; }
        else if (m.kind === 'done') { last = m.counts!; clearInterval(watchdog); resolve('done'); }
      });
      worker.on('error', (e) => {
        clearInterval(watchdog);
        const len = Atomics.load(ctl, 1);
        saveBug(target, seed, { name: 'WorkerDied', message: String(e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}` : e), stack: e instanceof Error ? e.stack ?? '' : '', seedName: '?', iteration: Atomics.load(ctl, 2), input: new Uint8Array(shared, 16, len).slice() }, seen);
        total.bug++;
        resolve('dead');
      });
      worker.on('exit', () => { clearInterval(watchdog); resolve('dead'); });
    });
    total.inputs += last.inputs; total.ok += last.ok; total.typed += last.typed; total.bug += last.bug;
    if (result === 'done') break;
    total.restarts++;
    if (last.inputs === 0 && ++deadStarts >= 5) { console.log(`[${target}] worker keeps dying before any input: giving up on this target`); break; }
    tseed = (tseed * 2654435761 + 1) >>> 0; // a fresh stream after a restart (logged below)
    console.log(`[${target}] worker restarted with target seed ${tseed}`);
  }
  const secs = (performance.now() - started) / 1000;
  const line = `[${target}] ${total.inputs} inputs in ${secs.toFixed(0)} s (${(total.inputs / secs).toFixed(0)}/s): ${total.ok} ok, ${total.typed} typed errors, ${total.bug} bugs${total.restarts ? `, ${total.restarts} worker restarts` : ''}`;
  console.log(line);
  return line;
}

if (isMainThread) await mainThread();
else await workerMain();
