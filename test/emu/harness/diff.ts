/**
 * Run a scenario on two backends (or on one against recorded answers) and
 * report the first divergence. Exact mode compares every answer byte for byte;
 * set mode (hash maps with a random seed, whose order is the kernel's secret)
 * compares order-free results: walks and drains as sets.
 */
import { isDeepStrictEqual } from 'node:util';
import type { MapBackend } from '../../../src/maps/backend.js';
import { apply, type Answer, type Op } from './ops.js';
import type { Scenario } from './gen.js';

export interface Divergence {
  index: number;
  op: Op | { op: 'create' } | { op: 'final' };
  kernel: unknown;
  emulator: unknown;
}

function normalize(mode: Scenario['mode'], op: Op, a: Answer): Answer {
  if (mode === 'exact') return a;
  if ((op.op === 'walk' || op.op === 'drain') && a.seen) return { ...a, seen: [...a.seen].sort() };
  return a;
}

export function sameAnswer(mode: Scenario['mode'], op: Op, k: Answer, e: Answer): boolean {
  return isDeepStrictEqual(normalize(mode, op, k), normalize(mode, op, e));
}

/** Replay `ops` on the emulator and compare with `answers` (from the kernel, live or recorded). */
export function compareRun(s: Scenario, emu: MapBackend, answers: (op: Op, i: number) => Answer): Divergence | null {
  for (let i = 0; i < s.ops.length; i++) {
    const op = s.ops[i]!;
    const k = answers(op, i);
    const e = apply(emu, op);
    if (!sameAnswer(s.mode, op, k, e)) return { index: i, op, kernel: k, emulator: e };
  }
  return null;
}
