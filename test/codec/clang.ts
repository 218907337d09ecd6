/**
 * Compile C with clang-19 for the BPF target and read back what clang laid
 * out: the BTF and the bytes of initialized globals in `.data`. The oracle for
 * struct layout and encodings in the codec tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBtf } from '../../src/btf/btf.js';
import { elfSections } from '../../src/elf/sections.js';
import type { BtfComposite, BtfSpec, BtfType } from '../../src/btf/types.js';

/**
 * The type named `name` of `kind`. (BtfSpec.typeByName's return type is
 * `never` for 'struct'/'union' because BtfComposite's kind is a union of both.)
 */
export function named(btf: BtfSpec, name: string, kind: BtfType['kind']): BtfType {
  const t = btf.typesByName(name).find((x) => x.kind === kind);
  if (!t) throw new Error(`${kind} ${name} not in BTF`);
  return t;
}

/** The struct or union named `name`. */
export function composite(btf: BtfSpec, name: string, kind: 'struct' | 'union' = 'struct'): BtfComposite {
  return named(btf, name, kind) as BtfComposite;
}

export const CLANG = process.env.CLANG ?? 'clang-19';

let clangOk: boolean | undefined;
/** Skip option for node:test: skip without clang only outside CI. */
export function clangOnly(): { skip: string | false } {
  if (clangOk === undefined) {
    try {
      execFileSync(CLANG, ['--version'], { stdio: 'pipe' });
      clangOk = true;
    } catch {
      clangOk = false;
    }
  }
  return clangOk || process.env.CI ? { skip: false } : { skip: `${CLANG} not installed` };
}

export interface CompiledC {
  readonly btf: BtfSpec;
  readonly elf: Uint8Array;
  readonly littleEndian: boolean;
  /** Bytes of the global `name` (declared with `GLOBAL(name)`, in its own section) and its BTF type id. */
  global(name: string): { bytes: Uint8Array; typeId: number };
}

/** Puts a global in its own data section, for `CompiledC.global`. */
export const GLOBAL = (name: string): string => `__attribute__((section(".data.${name}"), used))`;

/** Compile `source` with `clang -O2 -g -target bpfel|bpfeb -c`. */
export function compileC(source: string, littleEndian = true, extraArgs: string[] = []): CompiledC {
  const key = `${littleEndian}\0${extraArgs.join(' ')}\0${source}`;
  let hit = compiled.get(key);
  if (!hit) compiled.set(key, (hit = compileUncached(source, littleEndian, extraArgs)));
  return hit;
}

const compiled = new Map<string, CompiledC>();

function compileUncached(source: string, littleEndian: boolean, extraArgs: string[]): CompiledC {
  const dir = mkdtempSync(join(tmpdir(), 'codec-clang-'));
  try {
    writeFileSync(join(dir, 'x.c'), source);
    execFileSync(CLANG, ['-O2', '-g', '-target', littleEndian ? 'bpfel' : 'bpfeb', ...extraArgs, '-c', 'x.c', '-o', 'x.o'], { cwd: dir, stdio: 'pipe' });
    const elf = new Uint8Array(readFileSync(join(dir, 'x.o')));
    const sections = elfSections(elf);
    const btf = parseBtf(sections.get('.BTF')!);
    return {
      btf,
      elf,
      littleEndian,
      global(name) {
        // Each global sits alone in section `.data.<name>`: object-file DATASECs
        // carry no reliable variable offsets (libbpf fixes them up from the symbol table).
        const data = sections.get(`.data.${name}`);
        const sec = btf.typeByName(`.data.${name}`, 'datasec');
        const v = sec?.vars[0];
        const t = v === undefined ? undefined : btf.typeById(v.type);
        if (!data || !t || t.kind !== 'var' || t.name !== name) throw new Error(`global ${name} not in section .data.${name}`);
        return { bytes: data.slice(0, btf.sizeof(t.type)), typeId: t.type };
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
