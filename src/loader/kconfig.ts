/**
 * Values of `extern ... __kconfig` variables: the running kernel's build
 * configuration (/proc/config.gz with CONFIG_IKCONFIG_PROC, else
 * /boot/config-$(uname -r)) plus libbpf's synthetic LINUX_* values, laid out
 * in the `.kconfig` map as libbpf does (libbpf.c, bpf_object__read_kconfig_file,
 * set_kcfg_value_*):
 *   bool            y → 1, n → 0
 *   enum libbpf_tristate  y → 1, m → 2, n → 0
 *   char            the letter ('y', 'm', 'n')
 *   integers        decimal or 0x-hex numbers (y → 1, n → 0)
 *   char arrays     quoted strings, NUL-padded
 * An option absent from the configuration reads as 0 for `__weak` externs and
 * is an error otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { BtfSpec } from '../btf/types.js';
import type { CollectionSpec, ExternSpec } from '../object/spec.js';
import { LoaderError } from './errors.js';
import { HOST_LE } from '../sys/bpf.js';
import { skipModsAndTypedefs } from './core-compat.js';

let cached: Map<string, string> | undefined;

/** The kernel configuration as `CONFIG_X → value` (raw text, quotes kept). Empty when unavailable. */
export function kernelConfig(): Map<string, string> {
  if (cached) return cached;
  let text = '';
  try {
    if (existsSync('/proc/config.gz')) text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
    else if (existsSync(`/boot/config-${release()}`)) text = readFileSync(`/boot/config-${release()}`, 'utf8');
  } catch {
    text = '';
  }
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) map.set(m[1]!, m[2]!);
  }
  cached = map;
  return map;
}

function versionCode(): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release());
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
}

/** libbpf's synthetic values (libbpf.c, bpf_object__resolve_externs). */
function synthetic(name: string): string | undefined {
  switch (name) {
    case 'LINUX_KERNEL_VERSION': return String(versionCode());
    case 'LINUX_HAS_BPF_COOKIE': return '1';
    // Syscall entry points take a pt_regs wrapper on x86_64 and arm64 since 4.17/5.5.
    case 'LINUX_HAS_SYSCALL_WRAPPER': return process.arch === 'x64' || process.arch === 'arm64' || process.arch === 's390x' ? '1' : '0';
    default: return undefined;
  }
}

function writeValue(out: DataView, ext: ExternSpec, raw: string, btf: BtfSpec | undefined): void {
  const off = ext.offset!;
  const size = ext.size!;
  const bad = (why: string) => new LoaderError('EKCONFIG', `kconfig ${ext.name}`, `value ${raw}: ${why}`);
  const t = btf && ext.btfTypeId !== undefined ? skipModsAndTypedefs(btf, ext.btfTypeId).type : undefined;
  if (t?.kind === 'array') {
    if (!/^".*"$/.test(raw)) throw bad('expected a quoted string for a char array');
    const bytes = new TextEncoder().encode(raw.slice(1, -1));
    for (let i = 0; i < size; i++) out.setUint8(off + i, i < bytes.length && i < size - 1 ? bytes[i]! : 0);
    return;
  }
  const isTristate = (t?.kind === 'enum' || t?.kind === 'enum64') && t.name === 'libbpf_tristate';
  const isChar = t?.kind === 'int' && size === 1 && (t.encoding & 2) !== 0;
  let value: bigint;
  if (raw === 'y' || raw === 'm' || raw === 'n') {
    if (isChar) value = BigInt(raw.charCodeAt(0));
    else if (raw === 'm' && !isTristate) throw bad('module (m) needs an enum libbpf_tristate or char variable');
    else value = raw === 'y' ? 1n : raw === 'm' ? 2n : 0n;
  } else if (/^-?(0x[0-9a-fA-F]+|\d+)$/.test(raw)) {
    value = raw.startsWith('-') ? -BigInt(raw.slice(1)) : BigInt(raw);
  } else {
    throw bad(`expected y/m/n or a number for a ${size}-byte variable`);
  }
  const le = HOST_LE;
  const u = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) out.setUint8(off + (le ? i : size - 1 - i), Number((u >> BigInt(8 * i)) & 0xffn));
}

/**
 * The `.kconfig` map value for the object's kconfig externs (host byte order).
 * Throws `LoaderError` (EKCONFIG) for a non-weak option the kernel does not
 * have, or a value that does not fit the variable's type.
 */
export function kconfigData(spec: CollectionSpec): Uint8Array | undefined {
  const map = spec.maps.get('.kconfig');
  if (!map) return undefined;
  const data = new Uint8Array(map.valueSize);
  const view = new DataView(data.buffer);
  let config: Map<string, string> | undefined;
  for (const ext of spec.externs) {
    if (ext.kind !== 'kconfig' || ext.offset === undefined || ext.size === undefined) continue;
    let raw = synthetic(ext.name);
    if (raw === undefined) raw = (config ??= kernelConfig()).get(ext.name);
    if (raw === undefined) {
      if (ext.weak) continue;
      throw new LoaderError('EKCONFIG', `kconfig ${ext.name}`, 'not set in the kernel configuration (/proc/config.gz or /boot/config-*); declare it __weak to default to 0');
    }
    writeValue(view, ext, raw, spec.btf);
  }
  return data;
}
