/**
 * What a BPF ELF object declares: maps, programs, global variables and externs.
 *
 * A `CollectionSpec` is data. It is read by `readCollectionSpec` (src/object/reader.ts)
 * without any system call, so the same object gives the same spec on every machine;
 * everything that depends on the running kernel (creating maps, relocating and loading
 * programs, CO-RE) happens in src/loader. Conventions follow libbpf where it has them
 * (tools/lib/bpf/libbpf.c): internal map names, the `.kconfig` layout, program types
 * from section names.
 */
import type { MapSpec } from '../maps/spec.js';
import type { MapTypeName } from '../sys/constants.js';
import type { BtfSpec } from '../btf/types.js';
import type { AttachTypeName, ProgTypeName } from '../sys/prog-types.js';

/** How a map entered the object. */
export type MapSource =
  /** A `struct bpf_map_def` (or iproute2 `struct bpf_elf_map`) in the legacy `maps` section. */
  | 'legacy'
  /** A BTF-defined map in `.maps` (`__uint(type, ...)`, `__type(key, ...)`). */
  | 'btf'
  /** A global data section (`.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*`) as a 1-entry array. */
  | 'data'
  /** The `.kconfig` map libbpf synthesises for `extern ... __kconfig` variables. */
  | 'kconfig'
  /** A `.struct_ops` / `.struct_ops.link` variable. */
  | 'struct_ops';

/** `pinning` values. BTF maps use libbpf's (`LIBBPF_PIN_*`); iproute2 maps keep their own in `iproute2.pinning`. */
export const PinType = {
  /** Not pinned. */
  none: 0,
  /** libbpf `LIBBPF_PIN_BY_NAME`: pinned at `<pin root>/<map name>` (default root /sys/fs/bpf). */
  byName: 1,
} as const;

/** iproute2's extra `struct bpf_elf_map` fields (include/bpf_elf.h), kept as read. */
export interface Iproute2MapFields {
  /** Map id used by `inner_id` references. */
  readonly id: number;
  /** `PIN_NONE` 0, `PIN_OBJECT_NS` 1, `PIN_GLOBAL_NS` 2 (tc's /sys/fs/bpf/tc/globals). */
  readonly pinning: number;
  /** For a map-in-map: `id` of the map used as inner template. */
  readonly innerId: number;
  /** For an inner map: the slot index in its outer map. */
  readonly innerIdx: number;
}

/** An initial slot of a map-in-map or prog array, from `.maps` relocations (`.values = { [1] = &inner }`). */
export interface MapSlot {
  readonly key: number;
  /** `map`: the slot holds the map named `name`; `program`: the program (function) named `name`. */
  readonly kind: 'map' | 'program';
  readonly name: string;
}

/** A global variable in a data section (`.data`, `.rodata`, `.bss`, `.data.*`, `.kconfig`). */
export interface VariableSpec {
  readonly name: string;
  /** The real name of the map holding it (`'.rodata'`, `'.data.foo'`, `'.kconfig'`). */
  readonly map: string;
  /** ELF section holding it (equal to `map` except for `.kconfig`, which has no section). */
  readonly section: string;
  /** Byte offset in the map value. */
  readonly offset: number;
  readonly size: number;
  /** BTF type id of the variable's type (not of the VAR), when the object has BTF. */
  readonly btfTypeId?: number;
  /** `'global'` (visible to user space by name), `'static'`, or `'extern'` (kconfig). */
  readonly linkage: 'global' | 'static' | 'extern';
  /**
   * Initial bytes (zeros for `.bss` and `.kconfig`): a view into its map's `data`, which is
   * a copy of the object's bytes (never a view of the caller's input).
   */
  readonly value: Uint8Array;
}

/**
 * A map the object declares. Extends the user-facing `MapSpec` (src/maps/spec.ts); the
 * extra fields describe where it came from. `btf` refers to `CollectionSpec.btf`, the
 * object's BTF after libbpf's open-time fix-ups (src/object/btf-fixup.ts), so a spec goes to
 * `createMap` as is and the map is typed by the kernel, bpftool and our codecs alike. Data
 * maps (`.data`, `.rodata`, `.bss`, `.kconfig`) have no key type and their DATASEC as value
 * type, as libbpf creates them. Map types whose BTF the kernel refuses (queue, stack,
 * perf event, map-in-map, dev/cpu/xsk/sock maps, arena; `__array(values)` without a value
 * type) keep their BTF here for typed codecs; libbpf and `loadCollection` create them without.
 */
export interface ObjectMapSpec extends MapSpec {
  /**
   * The map's name. For legacy and BTF maps, the symbol name (the kernel keeps its first
   * 15 characters); for data and kconfig maps, libbpf's derived kernel name such as
   * `'minimal.rodata'` (see `internalMapName` in src/object/map-names.ts).
   */
  readonly name: string;
  /** The name in the object: the symbol, or the section name for data maps (`'.rodata'`). Key of `CollectionSpec.maps`. */
  readonly realName: string;
  readonly type: MapTypeName | number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly innerMap?: ObjectMapSpec;
  /** `PinType`; 0 when not pinned. */
  readonly pinning: number;
  readonly source: MapSource;
  /** ELF section the definition lives in (`'maps'`, `'.maps'`, `'.rodata'`; `'.kconfig'` is synthetic). */
  readonly section: string;
  /** Byte offset of the definition (or data) within `section`. */
  readonly sectionOffset: number;
  /** Initial contents of a map-in-map or prog array (BTF `.values`). */
  readonly slots?: readonly MapSlot[];
  /** Initial value of a data map (one element of `valueSize` bytes). */
  readonly data?: Uint8Array;
  /** Freeze after load so user space cannot change it (`.rodata*`, `.kconfig`), as libbpf does. BPF_MAP_FREEZE, Linux 5.2+. */
  readonly freeze: boolean;
  /** iproute2 `bpf_elf_map` fields, when the legacy definition is 36 bytes. */
  readonly iproute2?: Iproute2MapFields;
  /** BTF type id of the map's definition struct (BTF maps) or DATASEC (data maps). */
  readonly btfDefTypeId?: number;
  /** For `.struct_ops` maps: the struct's name and which member points to which program. */
  readonly structOps?: StructOpsSpec;
}

/** A `SEC(".struct_ops")` variable: the loader fills the kernel's value type from it (Linux 5.6+). */
export interface StructOpsSpec {
  /** Name of the struct type (`'tcp_congestion_ops'`), matched against the kernel's BTF. */
  readonly typeName: string;
  /** BTF type id of the struct in the object's BTF. */
  readonly btfTypeId: number;
  /** Function pointer members set to programs: member name, byte offset in the object's struct, program name. */
  readonly programs: readonly { readonly member: string; readonly offset: number; readonly program: string }[];
}

/** A relocation of one instruction of a function, resolved to what it refers to. */
export type ProgramRelocation =
  /** `ld_imm64 rX, map`: the loader writes the map fd (BPF_PSEUDO_MAP_FD). */
  | { readonly kind: 'map'; readonly insn: number; readonly symbol: string; readonly map: string }
  /** `ld_imm64 rX, &var`: address of global data; the loader writes fd + `offset` (BPF_PSEUDO_MAP_VALUE, Linux 5.2+). */
  | { readonly kind: 'data'; readonly insn: number; readonly symbol: string; readonly map: string; readonly offset: number }
  /** `call` of a BPF function (BPF_PSEUDO_CALL, Linux 4.16+): `target` is an instruction index in `section`. */
  | { readonly kind: 'call'; readonly insn: number; readonly symbol: string; readonly section: string; readonly target: number; readonly function: string }
  /** `ld_imm64 rX, func` for callbacks such as bpf_loop (BPF_PSEUDO_FUNC, Linux 5.13+). */
  | { readonly kind: 'func_addr'; readonly insn: number; readonly symbol: string; readonly section: string; readonly target: number; readonly function: string }
  /** A reference to an extern (kconfig variable, ksym variable or kfunc call). */
  | { readonly kind: 'extern'; readonly insn: number; readonly symbol: string; readonly extern: string };

/** A BPF function: an `STT_FUNC` symbol in an executable section. */
export interface FunctionSpec {
  readonly name: string;
  /** ELF section name (`'.text'`, `'xdp'`, `'kprobe/sys_execve'`). */
  readonly section: string;
  readonly sectionIndex: number;
  /** Offset of the first instruction within the section, in instructions (8 bytes each). */
  readonly offset: number;
  /**
   * Raw instructions in the object's byte order: a view into a copy of the section (never
   * into the caller's input), shared with the section's other functions. An `ld_imm64`
   * counts as two instructions.
   */
  readonly instructions: Uint8Array;
  readonly insnCount: number;
  /** `STB_GLOBAL`/`STB_WEAK` (true) or `STB_LOCAL` (false). */
  readonly global: boolean;
  readonly weak: boolean;
  /** Relocations of this function's instructions; `insn` is relative to the function start. */
  readonly relocations: readonly ProgramRelocation[];
}

/** A program: a function in a non-`.text` executable section, with its type from the section name. */
export interface ProgramSpec extends FunctionSpec {
  /** Program type name (`'xdp'`, `'kprobe'`), or the number when unknown; `'unspec'` when the section is not recognised. */
  readonly type: ProgTypeName | number;
  /** Expected attach type (`BPF_PROG_LOAD.expected_attach_type`), or undefined when the type needs none. */
  readonly attachType: AttachTypeName | undefined;
  /** What the section name says to attach to (`'syscalls/sys_enter_execve'`, `'do_unlinkat'`), `''` when none. */
  readonly attachTo: string;
  /** `BPF_F_SLEEPABLE` (1 << 4) and `BPF_F_XDP_HAS_FRAGS` (1 << 5) as the section name asks. */
  readonly programFlags: number;
  /** True for kprobe/ksyscall sections that attach as return probes. */
  readonly isReturnProbe: boolean;
  /** The object's `license` section (`''` when absent). */
  readonly license: string;
  /** The object's `version` section (u32, for kernels before 5.0 that check it), 0 when absent. */
  readonly kernelVersion: number;
}

/** An extern the object expects the loader to resolve. */
export interface ExternSpec {
  readonly name: string;
  /** `kconfig`: a value from the kernel config (`.kconfig`); `ksym`: a kernel variable address; `kfunc`: a kernel function. */
  readonly kind: 'kconfig' | 'ksym' | 'kfunc';
  /** `__weak`: resolving to zero/absent is allowed. */
  readonly weak: boolean;
  /** BTF type id of the VAR's type or of the FUNC, when the object has BTF. */
  readonly btfTypeId?: number;
  /** For kconfig: offset and size in the `.kconfig` map value. */
  readonly offset?: number;
  readonly size?: number;
}

/** An executable section: its size in instructions and the functions in it. */
export interface CodeSectionSpec {
  readonly name: string;
  readonly index: number;
  /** Section size / 8 (code between functions that no symbol covers is counted, not kept). */
  readonly insnCount: number;
  /** Names of its functions, in address order. */
  readonly functions: readonly string[];
  /** Program type the section name implies (`'unspec'` when unknown; `.text` has none). */
  readonly programType: ProgTypeName | undefined;
}

/** Everything in one BPF ELF object. */
export interface CollectionSpec {
  /** Name used to derive internal map names (the file name up to the first `.`, as libbpf). */
  readonly objectName: string;
  readonly littleEndian: boolean;
  /** `license` section contents (NUL-terminated string), `''` when absent. */
  readonly license: string;
  /** `version` section (u32), 0 when absent. */
  readonly kernelVersion: number;
  /** Maps by real name (symbol, or section name for data maps), in object order. */
  readonly maps: ReadonlyMap<string, ObjectMapSpec>;
  /** Programs by function name. */
  readonly programs: ReadonlyMap<string, ProgramSpec>;
  /** Every function of every executable section, programs and `.text` subprograms alike. */
  readonly functions: readonly FunctionSpec[];
  /** Every non-empty executable section, in section order. */
  readonly codeSections: readonly CodeSectionSpec[];
  /** Global variables by name (first definition wins for duplicated static names). */
  readonly variables: ReadonlyMap<string, VariableSpec>;
  readonly externs: readonly ExternSpec[];
  /**
   * The object's `.BTF` after libbpf's open-time fix-ups, parsed, in the object's byte order;
   * undefined when the object has none. BPF_BTF_LOAD accepts it as is (Linux 4.18+; 5.2+ for
   * DATASEC/VAR): DATASEC sizes are the ELF sections', variable offsets the symbols', sorted;
   * `extern` VARs are allocated globals; `__hidden` globals are static; every `.ksyms` entry is
   * a 4-byte int VAR (kfuncs get a placeholder VAR named after the function); `.kconfig`
   * follows the `.kconfig` map's layout. Type ids and string offsets are those of the
   * object's `.BTF` (placeholders are appended), so `.BTF.ext` still refers to it.
   */
  readonly btf: BtfSpec | undefined;
  /** Raw `.BTF.ext` (func_info, line_info, CO-RE relocations), undefined when absent. */
  readonly btfExt: Uint8Array | undefined;
}
