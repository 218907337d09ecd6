/**
 * What every CLI command gets: global options and output sinks. Commands
 * compute records and render them either as text or as bpftool-shaped JSON.
 */
import { EbpfError } from '../sys/errors.js';

export interface CliContext {
  /** -j/--json: one JSON document on stdout, bpftool's shape. */
  readonly json: boolean;
  /** -p/--pretty: indented JSON (implies json). */
  readonly pretty: boolean;
  /** -f/--bpffs: also show the bpffs paths objects are pinned at (bpftool's option). */
  readonly bpffs?: boolean;
  /** stdout is a terminal (progress lines, colours allowed). */
  readonly isTTY: boolean;
  out(text: string): void;
  err(text: string): void;
}

/** A command-line mistake: printed as one line, exit code 1. */
export class CliUsageError extends EbpfError {
  constructor(message: string) {
    super('EUSAGE', message);
  }
}

/** One CLI noun (`map`, `btf`, `object`, `prog`, `run`): parses its own bpftool-style arguments. */
export interface CliCommand {
  readonly name: string;
  /** One line for `ebpf help`. */
  readonly summary: string;
  /** Full usage text, bpftool style. */
  readonly usage: string;
  /** Runs `ebpf <name> <args...>`; resolves to the exit code. Throws CliUsageError/EbpfError for errors. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

/** JSON with bigints as numbers when safe, else as decimal strings; Uint8Arrays as hex-string arrays like bpftool. */
export function toJson(value: unknown, pretty: boolean): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
      if (v instanceof Uint8Array) return Array.from(v, (b) => `0x${b.toString(16).padStart(2, '0')}`);
      return v;
    },
    pretty ? 4 : undefined,
  );
}

/** Print `value` as JSON (when -j/-p) or run the text renderer. */
export function emit(ctx: CliContext, value: unknown, text: () => string): void {
  if (ctx.json || ctx.pretty) ctx.out(toJson(value, ctx.pretty));
  else ctx.out(text());
}
