/**
 * `ebpf`: a bpftool-compatible command line over the library.
 *   ebpf [-j|--json] [-p|--pretty] OBJECT COMMAND ...
 * Each OBJECT is a module in src/cli/commands that parses its own bpftool-style
 * arguments. Errors print one line on stderr and exit 1.
 */
import { EbpfError } from '../sys/errors.js';
import type { CliCommand, CliContext } from './context.js';

const commandModules: Record<string, () => Promise<{ command: CliCommand }>> = {
  map: () => import('./commands/map.js'),
  btf: () => import('./commands/btf.js'),
  object: () => import('./commands/object.js'),
  prog: () => import('./commands/prog.js'),
  run: () => import('./commands/run.js'),
};

const USAGE = `Usage: ebpf [OPTIONS] OBJECT { COMMAND | help }
       OBJECT := { map | btf | object | prog | run }
       OPTIONS := { -j|--json | -p|--pretty | -f|--bpffs | -h|--help | -V|--version }`;

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: { out?: (s: string) => void; err?: (s: string) => void } = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'));
  const err = io.err ?? ((s: string) => process.stderr.write(s.endsWith('\n') ? s : s + '\n'));
  let json = false;
  let pretty = false;
  let bpffs = false;
  const rest: string[] = [];
  for (const a of argv) {
    if (rest.length === 0 && (a === '-j' || a === '--json')) json = true;
    else if (rest.length === 0 && (a === '-p' || a === '--pretty')) pretty = true;
    else if (rest.length === 0 && (a === '-h' || a === '--help' || a === 'help')) { out(USAGE); return 0; }
    else if (rest.length === 0 && (a === '-V' || a === '--version')) { out('ebpf 0.1.0'); return 0; }
    else if (a === '-j' || a === '--json') json = true; // bpftool accepts options anywhere
    else if (a === '-p' || a === '--pretty') pretty = true;
    else if (a === '-f' || a === '--bpffs') bpffs = true;
    else rest.push(a);
  }
  const ctx: CliContext = { json: json || pretty, pretty, bpffs, isTTY: Boolean(process.stdout.isTTY), out, err };
  const [noun, ...args] = rest;
  if (!noun) { err(USAGE); return 1; }
  const load = Object.entries(commandModules).find(([name]) => name.startsWith(noun) && noun.length >= 1)?.[1];
  if (!load) { err(`Error: unknown object '${noun}'\n${USAGE}`); return 1; }
  try {
    const { command } = await load();
    return await command.run(args, ctx);
  } catch (e) {
    if (e instanceof EbpfError) {
      if (ctx.json) out(JSON.stringify({ error: e.message }));
      else err(`Error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
