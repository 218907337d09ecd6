/**
 * `loadCollection`: a BPF ELF object (or its spec) → live maps and programs.
 *
 *   spec ── variables/constants applied ── object BTF fixed and loaded (BTF_LOAD)
 *     │
 *     ├─ maps: reused (options.maps, pins) or created with BTF; data written;
 *     │        map-in-map slots filled; .rodata/.kconfig frozen
 *     ├─ programs: entry + called functions linked, map/data/extern references
 *     │        filled, CO-RE relocated against the kernel's BTF, loaded
 *     ├─ prog-array slots filled with program fds
 *     └─ LIBBPF_PIN_BY_NAME maps pinned
 *
 * Any failure closes every fd and removes every pin this call made, so a
 * failed load leaves nothing behind.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { basename } from 'node:path';
import type { BpfMap } from '../maps/map.js';
import type { BtfSpec } from '../btf/types.js';
import { parseBtfExt, type BtfExt } from '../btf/ext.js';
import { loadKernelBtf } from '../btf/kernel.js';
import { readCollectionSpec, objectNameFromPath } from '../object/index.js';
import type { CollectionSpec, ProgramSpec } from '../object/spec.js';
import type { AttachTypeName, ProgTypeName } from '../sys/prog-types.js';
import { loadProgram, loadProgramWithLog, type Program, type ProgramLoadSpec } from '../prog/program.js';
import { VerifierError } from '../sys/prog-cmds.js';
import { btfLoad } from '../sys/btf-cmds.js';
import { EbpfError, InvalidArgumentError } from '../sys/errors.js';
import { HOST_LE } from '../sys/bpf.js';
import { BPFFS_DIR } from '../sys/fs.js';
import { wrapFd } from '../maps/open.js';
import { mapInfoByFd } from '../sys/map-cmds.js';
import { native } from '../sys/native.js';
import { attachProgram, type AttachOptions } from './attach.js';
import type { Link } from '../link/link.js';
import { BadBtfError } from './core-compat.js';
import { freplaceTarget } from './freplace.js';
import { coreReloKindName, coreTarget, POISON_HELPER_ID, relocateCore } from './core-relocate.js';
import { loadedMapTypes, Cleanup, createMaps, freezeMaps, pinMaps, u32Bytes, updateElem, type LoadedMap } from './create-maps.js';
import { AttachTargetError, LoaderError } from './errors.js';
import { kconfigData } from './kconfig.js';
import { functionIndex, linkProgram } from './link-program.js';
import { resolveReferences } from './references.js';
import { applyVariables, GlobalVariable, type VariableValue } from './variables.js';

/** Options of `loadCollection`. */
export interface LoadCollectionOptions {
  /** New values of read-only globals (`const volatile` in `.rodata*`), by variable name. Set before load; frozen after. */
  readonly constants?: Readonly<Record<string, VariableValue>>;
  /** New initial values of any global (`.data`, `.bss`, `.rodata`, custom sections), by variable name. */
  readonly variables?: Readonly<Record<string, VariableValue>>;
  /** Existing maps to use instead of creating the object's map of the same name. They must match its definition. */
  readonly maps?: Readonly<Record<string, BpfMap<any, any>>>;
  /**
   * Directory for maps declared with `__uint(pinning, LIBBPF_PIN_BY_NAME)`: an existing
   * compatible pin is reused, otherwise the new map is pinned there. Default /sys/fs/bpf
   * (bpffs is mounted when missing); `null` ignores pinning.
   */
  readonly pinRoot?: string | null;
  /** Load only these programs (by function name); default every program with a known section. */
  readonly programs?: readonly string[];
  /**
   * Program type (and expected attach type) for programs whose section names none, like
   * bpftool's `prog loadall OBJ DIR type TYPE`. Programs with a recognised section keep theirs.
   */
  readonly programType?: { readonly type: ProgTypeName | number; readonly attachType?: AttachTypeName };
  /** BTF to resolve CO-RE relocations against; default the running kernel's (/sys/kernel/btf/vmlinux). */
  readonly kernelTypes?: BtfSpec;
  /** Verifier log level for every program (1 = log, 2 = verbose); the log of a failure is always kept. */
  readonly logLevel?: number;
  /**
   * Programs to replace functions of, for `freplace/<function>` programs (by the freplace
   * program's name). Default: the program of this collection that calls that function.
   */
  readonly replaceTargets?: Readonly<Record<string, Program>>;
  /** Name used for internal map names (`<name>.rodata`) when loading from bytes; default derived from the path. */
  readonly objectName?: string;
}

/** Live maps and programs of an object. Close it (or `using`) to release them all. */
export class Collection implements Disposable {
  readonly spec: CollectionSpec;
  /** Maps by their name in the object (`'events'`, `'.rodata'`). */
  readonly maps: Record<string, BpfMap<any, any>>;
  /** Programs by function name. */
  readonly programs: Record<string, Program>;
  /** Paths this load pinned (LIBBPF_PIN_BY_NAME). They outlive `close()` by design; `unpin()` removes them. */
  readonly pinnedPaths: readonly string[];
  /** Non-fatal notes (e.g. BTF the kernel refused, so maps were created without it). */
  readonly warnings: readonly string[];
  /** Verifier logs by program, when `options.logLevel` asked for them (a failed load's log is on its `VerifierError`). */
  readonly verifierLogs: Readonly<Record<string, readonly string[]>>;
  readonly #owned: Set<BpfMap<any, any>>;
  #closed = false;

  /** Use `loadCollection`. */
  constructor(
    spec: CollectionSpec, maps: Record<string, BpfMap<any, any>>, owned: Set<BpfMap<any, any>>, programs: Record<string, Program>,
    pinned: string[], warnings: string[], verifierLogs: Record<string, readonly string[]> = {},
  ) {
    this.verifierLogs = verifierLogs;
    this.spec = spec;
    this.maps = maps;
    this.#owned = owned;
    this.programs = programs;
    this.pinnedPaths = pinned;
    this.warnings = warnings;
  }

  /** The program `name`; throws `InvalidArgumentError` listing the loaded ones when missing. */
  program(name: string): Program {
    const p = this.programs[name];
    if (!p) throw new InvalidArgumentError(`no program '${name}' in this collection; loaded: ${Object.keys(this.programs).join(', ') || 'none'}`);
    return p;
  }

  /**
   * Attach program `name` where its section says (see `attachProgram`); the link is the
   * caller's to close. Throws `InvalidArgumentError` for an unknown program, and what
   * `attachProgram` throws.
   */
  attach(name: string, options: AttachOptions = {}): Link {
    return attachProgram(this.spec.programs.get(name)!, this.program(name), options);
  }

  /** The map `name`; throws `InvalidArgumentError` listing the maps when missing. */
  map(name: string): BpfMap<any, any> {
    const m = this.maps[name];
    if (!m) throw new InvalidArgumentError(`no map '${name}' in this collection; maps: ${Object.keys(this.maps).join(', ') || 'none'}`);
    return m;
  }

  /**
   * A global variable (`.data`, `.bss`, `.rodata`, custom sections) by name, to read or
   * write while the programs run. Throws `InvalidArgumentError` listing the variables when
   * `name` is not one, or when its section's map was not created.
   */
  variable(name: string): GlobalVariable {
    const v = this.spec.variables.get(name);
    const map = v ? this.maps[v.map] : undefined;
    if (!v || v.linkage === 'extern' || !map) {
      const known = [...this.spec.variables.values()].filter((x) => x.linkage !== 'extern').map((x) => x.name);
      throw new InvalidArgumentError(`no global variable '${name}' in this collection; it has ${known.join(', ') || 'none'}`);
    }
    return new GlobalVariable(this.spec, v, () => map.fd, this.spec.maps.get(v.map)!.valueSize);
  }

  /** Remove the pins this load created. Idempotent. */
  unpin(): void {
    for (const p of this.pinnedPaths) {
      try {
        unlinkSync(p);
      } catch {
        // gone already
      }
    }
  }

  /** Close every program and every map this load created or opened (maps passed in `options.maps` stay open). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of Object.values(this.programs)) p.close();
    for (const m of this.#owned) m.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function hostOrderCheck(spec: CollectionSpec): void {
  if (spec.littleEndian !== HOST_LE) {
    throw new LoaderError('EBYTEORDER', '', `the object is ${spec.littleEndian ? 'little' : 'big'}-endian but this machine is ${HOST_LE ? 'little' : 'big'}-endian; compile with -target bpfel/bpfeb (or bpf) for this machine`);
  }
}

/** Programs to load: requested ones, or every program whose section names a type. Unknown-section functions called by others are subprograms. */
function selectPrograms(spec: CollectionSpec, requested: readonly string[] | undefined, override: LoadCollectionOptions['programType']): ProgramSpec[] {
  const typed = (p: ProgramSpec): ProgramSpec => (p.type === 'unspec' && override ? { ...p, type: override.type, attachType: override.attachType } : p);
  if (requested) {
    return requested.map((name) => {
      const p = spec.programs.get(name);
      if (!p) throw new InvalidArgumentError(`program '${name}' is not in the object; it has ${[...spec.programs.keys()].join(', ') || 'none'}`);
      if (typed(p).type === 'unspec') throw unknownSection(p);
      if (p.type === 'struct_ops') throw structOpsUnsupported(p);
      return typed(p);
    });
  }
  const called = new Set<string>();
  const isStructOps = (p: ProgramSpec) => p.type === 'struct_ops';
  for (const f of spec.functions) for (const r of f.relocations) if (r.kind === 'call' || r.kind === 'func_addr') called.add(`${r.section}\u0000${r.target}`);
  const out: ProgramSpec[] = [];
  for (const p of spec.programs.values()) {
    if (isStructOps(p)) continue; // reported with the struct_ops maps in `warnings`
    if (p.type !== 'unspec') out.push(p);
    else if (called.has(`${p.section}\u0000${p.offset}`)) continue;
    else if (override) out.push(typed(p));
    else throw unknownSection(p);
  }
  return out;
}

function structOpsUnsupported(p: ProgramSpec): LoaderError {
  return new LoaderError('ENOTSUPP', `program ${p.name}`, `struct_ops programs (section '${p.section}') are not supported by this loader: they are loaded together with their struct_ops map, which it does not create`);
}

function unknownSection(p: ProgramSpec): LoaderError {
  return new LoaderError('EUNKNOWNSECTION', `program ${p.name}`, `section '${p.section}' does not name a program type (expected e.g. xdp, tc, kprobe/<fn>, tracepoint/<cat>/<name>, fentry/<fn>, socket, cgroup_skb/ingress)`);
}

function readInput(file: string | Uint8Array | CollectionSpec, options: LoadCollectionOptions): CollectionSpec {
  if (typeof file === 'string') {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new LoaderError((e as NodeJS.ErrnoException).code ?? 'EIO', '', `cannot read object ${file}: ${(e as Error).message}`, { cause: e });
    }
    return readCollectionSpec(bytes, { objectName: options.objectName ?? objectNameFromPath(basename(file)) });
  }
  if (file instanceof Uint8Array) return readCollectionSpec(file, { objectName: options.objectName ?? '' });
  return file;
}

/**
 * Load a BPF object: create its maps, relocate and load its programs.
 *
 * @param file a path, the object's bytes, or a `CollectionSpec` from `readCollectionSpec`.
 * @throws ParseError / ObjectError for a malformed object; `InvalidArgumentError` for bad options
 *   (unknown variable or program names, wrong value sizes); `IncompatibleMapError` when a reused or
 *   pinned map differs from the definition; `CoreRelocationError` when a CO-RE relocation cannot be
 *   resolved; `AttachTargetError` when a fentry/fexit/tp_btf/lsm target is not in the kernel;
 *   `LoaderError` (EUNKNOWNSECTION, ENOEXTERN, EMAPCREATE, EBYTEORDER, ...) naming the program or map;
 *   `VerifierError` (with `.log` lines) when the verifier rejects a program; `BpfError` for other
 *   kernel errors. Nothing created by the call survives a failure.
 * Works from Linux 4.18 (BTF maps) / 5.2 (global data); each program type and map type has its own minimum.
 */
export function loadCollection(file: string | Uint8Array | CollectionSpec, options: LoadCollectionOptions = {}): Collection {
  const warnings: string[] = [];
  const cleanup = new Cleanup();
  const programs: Record<string, Program> = {};
  const logs: Record<string, readonly string[]> = {};
  try {
    const spec = readInput(file, options);
    hostOrderCheck(spec);
    const selected = selectPrograms(spec, options.programs, options.programType);
    for (const name of Object.keys(options.maps ?? {})) {
      if (!spec.maps.has(name)) throw new InvalidArgumentError(`options.maps names '${name}', which the object does not define; it has ${[...spec.maps.keys()].join(', ') || 'no maps'}`);
    }
    const data = applyVariables(spec, options.constants, options.variables);
    const kconfig = kconfigData(spec);
    if (kconfig) data.set('.kconfig', kconfig);
    let btfFd: number | undefined;
    let ext: BtfExt | undefined;
    if (spec.btf) {
      if (spec.btfExt) ext = parseBtfExt(spec.btfExt, spec.btf);
      // readCollectionSpec already applied libbpf's open-time fix-ups (src/object/btf-fixup.ts):
      // the blob is what BPF_BTF_LOAD takes, and none of those fix-ups depends on the kernel.
      try {
        btfFd = cleanup.fd(btfLoad(spec.btf.raw));
      } catch (e) {
        if (!(e instanceof EbpfError)) throw e;
        // libbpf treats object BTF as optional; maps and programs then load without it.
        warnings.push(`the kernel refused the object's BTF, loading without it: ${e.message}`);
        btfFd = undefined;
      }
    }
    const mapSpecs = [...spec.maps.values()].filter((m) => m.source !== 'struct_ops');
    for (const m of spec.maps.values()) if (m.source === 'struct_ops') warnings.push(`struct_ops map ${m.realName} was not created: struct_ops is not supported by this loader`);
    for (const p of spec.programs.values()) if (p.type === 'struct_ops' && !options.programs) warnings.push(`struct_ops program ${p.name} was not loaded: struct_ops is not supported by this loader`);
    const pinRoot = options.pinRoot === null ? undefined : options.pinRoot ?? BPFFS_DIR;
    const maps = createMaps(mapSpecs, { btfFd, reuse: options.maps ?? {}, pinRoot, data }, cleanup);
    freezeMaps(maps);

    // CO-RE may resolve against other types (options.kernelTypes), but kfunc and ksym ids
    // always name the running kernel's BTF.
    let coreBtf: BtfSpec | undefined;
    const kernelTypes = () => (coreBtf ??= options.kernelTypes ?? loadKernelBtf());
    const index = functionIndex(spec);
    // freplace programs need their target loaded first.
    const ordered = [...selected.filter((p) => p.type !== 'ext'), ...selected.filter((p) => p.type === 'ext')];
    for (const p of ordered) {
      const target = p.type === 'ext' ? extTarget(spec, p, programs, options) : undefined;
      programs[p.name] = loadOne(spec, p, index, ext, maps, kernelTypes, btfFd, options, logs, target);
    }
    fillProgramArrays(maps, programs);
    pinMaps(maps, cleanup);
    return finish(spec, maps, programs, cleanup, options, warnings, logs);
  } catch (e) {
    for (const p of Object.values(programs)) p.close();
    cleanup.run();
    // Malformed BTF surfaces as RangeError (a type id out of range) from the lazy BTF model.
    if (e instanceof RangeError || e instanceof BadBtfError) {
      throw new LoaderError('EBADOBJECT', '', `malformed object: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

function loadOne(
  spec: CollectionSpec, p: ProgramSpec, index: ReturnType<typeof functionIndex>, ext: BtfExt | undefined,
  maps: Map<string, LoadedMap>, kernelTypes: () => BtfSpec, btfFd: number | undefined, options: LoadCollectionOptions,
  logs: Record<string, readonly string[]>, target?: { attachProgFd: number; attachBtfId: number },
): Program {
  const linked = linkProgram(spec, p, index, ext);
  const insns = linked.insns;
  resolveReferences(insns, spec.littleEndian, p.name, linked.references, spec, maps, loadKernelBtf);
  let poisoned: string[] = [];
  if (linked.coreRelocations.length > 0) {
    if (!spec.btf) throw new LoaderError('ENOBTF', `program ${p.name}`, 'has CO-RE relocations but the object has no .BTF section');
    const btf = spec.btf;
    const applied = relocateCore(insns, spec.littleEndian, btf, linked.coreRelocations, coreTarget(kernelTypes()), p.name);
    poisoned = applied.filter((a) => a.result.poison).map((a) => {
      const t = btf.typeById(a.typeId);
      return `insn ${a.insn}: ${coreReloKindName(a.kind)} of ${t.kind} ${t.name || '(anon)'} access ${a.accessString}`;
    });
  }
  const withBtf = btfFd !== undefined && linked.funcInfo !== undefined;
  const load: ProgramLoadSpec = {
    type: p.type, instructions: insns, license: p.license, name: p.name,
    attachType: p.attachType, attachTo: target ? undefined : p.attachTo || undefined, flags: p.programFlags,
    attachProgFd: target?.attachProgFd, attachBtfId: target?.attachBtfId,
    kernelVersion: p.kernelVersion || undefined, logLevel: options.logLevel,
    btf: withBtf ? { fd: btfFd!, funcInfo: linked.funcInfo, funcInfoRecSize: 8, lineInfo: linked.lineInfo, lineInfoRecSize: 16 } : undefined,
  };
  try {
    if (options.logLevel) {
      const { program, log } = withEagainRetry(() => loadProgramWithLog(load));
      logs[p.name] = log;
      return program;
    }
    return withEagainRetry(() => loadProgram(load));
  } catch (e) {
    if (e instanceof EbpfError && e.code === 'ENOENT' && /attach target/.test(e.message)) {
      throw new AttachTargetError(p.name, p.attachTo, e.message, { cause: e });
    }
    if (e instanceof EbpfError && !(e.message.includes(p.name))) e.message = `program ${p.name} (section ${p.section}): ${e.message}`;
    // libbpf explains poisoned CO-RE instructions the same way (libbpf.c, fixup_log_failed_core_relo).
    if (e instanceof VerifierError && poisoned.length > 0 && e.log.some((l) => l.includes(String(POISON_HELPER_ID)))) {
      e.message += `\n  the verifier reached an instruction poisoned because its CO-RE relocation matched nothing in the kernel's BTF (guard it with bpf_core_field_exists() or bpf_core_type_exists()):\n    ${poisoned.join('\n    ')}`;
    }
    throw e;
  }
}

/**
 * The verifier gives up with EAGAIN when a signal arrives while it works
 * (kernel/bpf/verifier.c, do_check: signal_pending). Node receives signals
 * often (SIGCHLD, profilers), so retry a few times as libbpf does
 * (bpf.c, sys_bpf_prog_load: up to 5 attempts).
 */
function withEagainRetry<T>(fn: () => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (attempt >= 5 || !(e instanceof EbpfError) || e.code !== 'EAGAIN') throw e;
    }
  }
}

/** The program and function an `freplace/<fn>` program replaces. */
function extTarget(spec: CollectionSpec, p: ProgramSpec, loaded: Record<string, Program>, options: LoadCollectionOptions): { attachProgFd: number; attachBtfId: number } {
  const fn = p.attachTo;
  if (!fn) throw new AttachTargetError(p.name, '(none)', `section '${p.section}' should be freplace/<function>`);
  const given = options.replaceTargets?.[p.name];
  if (given) return freplaceTarget(p.name, fn, given, spec.btf, false);
  // A program of this object whose code calls `fn`.
  for (const [name, prog] of Object.entries(loaded)) {
    const ps = spec.programs.get(name);
    if (ps?.relocations.some((r) => r.kind === 'call' && r.function === fn)) return freplaceTarget(p.name, fn, prog, spec.btf, true);
  }
  throw new AttachTargetError(p.name, fn, `no loaded program of the object calls ${fn}; pass the program to replace in options.replaceTargets`);
}

function fillProgramArrays(maps: Map<string, LoadedMap>, programs: Record<string, Program>): void {
  for (const m of maps.values()) {
    if (m.reused) continue;
    for (const slot of m.spec.slots ?? []) {
      if (slot.kind !== 'program') continue;
      const prog = programs[slot.name];
      if (!prog) throw new LoaderError('ENOPROG', `map ${m.spec.realName}`, `slot ${slot.key} refers to program ${slot.name}, which was not loaded`);
      updateElem(m.fd, u32Bytes(slot.key), u32Bytes(prog.fd), `${m.spec.realName}[${slot.key}] = ${slot.name}`);
    }
  }
}

function finish(
  spec: CollectionSpec, maps: Map<string, LoadedMap>, programs: Record<string, Program>, cleanup: Cleanup,
  options: LoadCollectionOptions, warnings: string[], logs: Record<string, readonly string[]>,
): Collection {
  const out: Record<string, BpfMap<any, any>> = {};
  const owned = new Set<BpfMap<any, any>>();
  try {
    for (const [name, m] of maps) {
      const given = options.maps?.[name];
      if (given) {
        out[name] = given;
        continue;
      }
      const map = wrapFd(m.fd, mapInfoByFd(m.fd), loadedMapTypes(m.spec));
      // The BpfMap owns the fd from here on.
      const i = cleanup.fds.indexOf(m.fd);
      if (i >= 0) cleanup.fds.splice(i, 1);
      out[name] = map;
      owned.add(map);
    }
  } catch (e) {
    for (const m of owned) m.close();
    throw e;
  }
  // The object BTF fd is no longer needed: maps and programs hold their own references to it.
  for (const fd of cleanup.fds.splice(0)) native().close(fd);
  const pinned = cleanup.pins.splice(0);
  return new Collection(spec, out, owned, programs, pinned, warnings, logs);
}

