// Worker side of test/emu/map-in-map.test.ts: checks the sequences it is given
// (see harness/map-in-map.ts) and posts { ops } or { divergence }.
import { parentPort, workerData } from 'node:worker_threads';
import { checkSequence } from './map-in-map.js';

const { type, sequences } = workerData as { type: number; sequences: [number, number[]][] };
let ops = 0;
let divergence: string | null = null;
for (const [maxEntries, seq] of sequences) {
  divergence = checkSequence(type, maxEntries, seq);
  if (divergence) break;
  ops += seq.length;
}
parentPort!.postMessage({ ops, divergence });
