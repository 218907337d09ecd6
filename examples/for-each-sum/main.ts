/**
 * bpf_for_each_map_elem summing a map inside the kernel: fill the `numbers`
 * hash map from TypeScript, run the program once with BPF_PROG_TEST_RUN, read
 * the sum and count its callback wrote into global variables (.bss).
 *
 *   node --import tsx examples/for-each-sum/main.ts 1 2 3 40
 */
import { fileURLToPath } from 'node:url';
import { loadCollection } from 'ebpf';

/** Sum `values` in the kernel; returns what the BPF program computed. */
export function sumInKernel(values: readonly bigint[]): { total: bigint; visited: number } {
  using collection = loadCollection(fileURLToPath(new URL('./sum.bpf.o', import.meta.url)));
  const numbers = collection.map('numbers');
  if (values.length > 0) numbers.updateBatch(values.map((_, i) => i), [...values]);
  // XDP programs need a packet to run on; 64 zero bytes will do.
  const run = collection.program('sum_numbers').testRun({ dataIn: new Uint8Array(64) });
  if (run.retval !== 2 /* XDP_PASS */) throw new Error(`unexpected return value ${run.retval}`);
  // .bss is one array element holding every zero-initialised global, typed from its DATASEC.
  const bss = collection.map('.bss').get(0) as { total: bigint; visited: number };
  return { total: bss.total, visited: bss.visited };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const values = process.argv.slice(2).map((v) => BigInt(v));
  const { total, visited } = sumInKernel(values.length ? values : [1n, 2n, 3n]);
  console.log(`the kernel visited ${visited} elements and summed them to ${total}`);
}
