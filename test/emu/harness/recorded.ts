/** Recorded kernel answers (test/emu/recorded/<type>.json.gz), written by test/emu/record.ts. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Scenario } from './gen.js';
import type { Answer } from './ops.js';

export interface RecordedRun {
  scenario: Scenario;
  createRc: number;
  answers: Answer[];
}

export interface Recorded {
  kernel: string;
  cpus: number;
  /** CONFIG_NR_CPUS and the interface indexes of the recording machine. */
  nrCpus: number;
  ifindexes: number[];
  runs: RecordedRun[];
}

export function recordedPath(name: string): URL {
  return new URL(`../recorded/${name}.json.gz`, import.meta.url);
}

export function loadRecorded(name: string): Recorded {
  return JSON.parse(gunzipSync(readFileSync(recordedPath(name))).toString('utf8')) as Recorded;
}
