/**
 * The differential harness's vocabulary: operations on a MapBackend and their
 * answers, both plain JSON so kernel answers can be recorded and replayed.
 * `apply` runs one operation on any backend (kernel or emulator) the same way.
 */
import type { BatchCommand, MapBackend } from '../../../src/maps/backend.js';

export type Op =
  | { op: 'update'; key: string; value: string; flags: number }
  | { op: 'lookup'; key: string; flags: number; value?: string }
  | { op: 'delete'; key: string }
  | { op: 'next'; key: string | null }
  | { op: 'lookupAndDelete'; key: string; flags: number }
  | { op: 'freeze' }
  | { op: 'walk' }
  | { op: 'batch'; cmd: BatchCommand; keys: string; values: string | null; count: number; cursor: string | null; elemFlags: number; flags: number }
  | { op: 'drain'; cmd: 'lookup' | 'lookupAndDelete'; size: number };

export interface Answer {
  rc: number;
  out?: string;
  count?: number;
  cursor?: string;
  keys?: string;
  values?: string;
  /** walk / drain: the elements seen, as key=value hex pairs, in order. */
  seen?: string[];
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Uint8Array => {
  const b = Buffer.from(s, 'hex');
  const u = new Uint8Array(new ArrayBuffer(Math.max(b.length, 1)), 0, b.length);
  u.set(b);
  return u;
};

function stable(size: number, fill = 0): Uint8Array {
  const u = new Uint8Array(new ArrayBuffer(Math.max(size, 1)), 0, size);
  u.fill(fill);
  return u;
}

const SENTINEL = 0xa5;

/** Backend calls made by `apply` (a walk or drain is many calls). */
export const calls = { n: 0 };

/** Run one operation. Output buffers start filled with a sentinel so "not written" is compared too. */
export function apply(m: MapBackend, op: Op): Answer {
  const d = m.descriptor;
  calls.n++;
  switch (op.op) {
    case 'update':
      m.key.set(unhex(op.key));
      m.value.set(unhex(op.value));
      return { rc: m.update(op.flags) };
    case 'lookup': {
      m.key.set(unhex(op.key));
      if (op.value !== undefined) m.value.set(unhex(op.value));
      else m.value.fill(SENTINEL);
      const rc = m.lookup(op.flags);
      return rc === 0 && op.value === undefined ? { rc, out: hex(m.value) } : { rc };
    }
    case 'delete':
      m.key.set(unhex(op.key));
      return { rc: m.delete() };
    case 'next': {
      if (op.key !== null) m.key.set(unhex(op.key));
      m.nextKey.fill(SENTINEL);
      const rc = m.getNextKey(op.key === null);
      return rc === 0 ? { rc, out: hex(m.nextKey) } : { rc };
    }
    case 'lookupAndDelete': {
      m.key.set(unhex(op.key));
      m.value.fill(SENTINEL);
      const rc = m.lookupAndDelete(op.flags);
      return rc === 0 ? { rc, out: hex(m.value) } : { rc };
    }
    case 'freeze':
      return { rc: m.freeze() };
    case 'walk': {
      // get_next_key from the start until ENOENT, bounded by max_entries + 1 steps.
      const seen: string[] = [];
      let rc = m.getNextKey(true);
      let steps = 0;
      while (rc === 0 && steps++ <= d.maxEntries) {
        const k = hex(m.nextKey);
        m.key.set(m.nextKey);
        m.value.fill(SENTINEL);
        const lr = m.lookup(0);
        seen.push(`${k}=${lr === 0 ? hex(m.value) : lr}`);
        rc = m.getNextKey(false);
        calls.n += 2;
      }
      return { rc, seen };
    }
    case 'batch': {
      const vs = d.valueBufferSize;
      const keys = op.cmd === 'update' || op.cmd === 'delete' ? unhex(op.keys) : stable(op.count * d.keySize, SENTINEL);
      const values = op.cmd === 'update' ? (op.values === null ? null : unhex(op.values)) : op.cmd === 'delete' ? null : stable(op.count * vs, SENTINEL);
      const inBatch = op.cursor === null ? null : (() => { const c = stable(m.batchCursorSize); c.set(unhex(op.cursor).subarray(0, m.batchCursorSize)); return c; })();
      const outBatch = stable(m.batchCursorSize, SENTINEL);
      const r = m.batch(op.cmd, { inBatch, outBatch, keys, values, count: op.count, elemFlags: op.elemFlags, flags: op.flags });
      const a: Answer = { rc: r.result, count: r.count, cursor: hex(outBatch) };
      if (op.cmd === 'lookup' || op.cmd === 'lookupAndDelete') {
        a.keys = hex(keys.subarray(0, r.count * d.keySize));
        a.values = hex(values!.subarray(0, r.count * vs));
      }
      return a;
    }
    case 'drain': {
      // Full batch iteration, growing nothing: ENOSPC ends it like ENOENT. Bounded steps.
      const seen: string[] = [];
      const vs = d.valueBufferSize;
      const keys = stable(op.size * d.keySize);
      const values = stable(op.size * vs);
      const cur = stable(m.batchCursorSize);
      const out = stable(m.batchCursorSize);
      let first = true;
      let rc = 0;
      for (let steps = 0; steps <= d.maxEntries + 2; steps++) {
        const r = m.batch(op.cmd, { inBatch: first ? null : cur, outBatch: out, keys, values, count: op.size, elemFlags: 0, flags: 0 });
        for (let i = 0; i < r.count; i++) {
          seen.push(`${hex(keys.subarray(i * d.keySize, (i + 1) * d.keySize))}=${hex(values.subarray(i * vs, (i + 1) * vs))}`);
        }
        rc = r.result;
        calls.n++;
        if (rc !== 0) break;
        cur.set(out);
        first = false;
      }
      return { rc, seen };
    }
  }
}
