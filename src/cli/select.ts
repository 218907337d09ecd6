/**
 * Selection helpers shared by `ebpf map` and `ebpf prog`: finding the pinned
 * paths of objects on every mounted bpffs (bpftool's `-f`,
 * build_pinned_obj_table in tools/bpf/bpftool/common.c) and turning Node's fs
 * errors into one-line `EbpfError`s.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EbpfError } from '../sys/errors.js';
import { mounts } from '../sys/fs.js';
import { objGet } from '../sys/map-cmds.js';
import { native } from '../sys/native.js';

/** Upper bound on bpffs entries one walk visits, so a huge tree cannot stall `show -f`. */
const MAX_PIN_WALK = 100_000;
/** Deepest directory nesting followed below a bpffs mount. */
const MAX_PIN_DEPTH = 32;
/** BPF_F_RDONLY for BPF_OBJ_GET: inspecting a pin never needs write access. */
const OBJ_GET_RDONLY = 1 << 3;

/**
 * Object id → pinned paths, found by opening every regular file on every
 * mounted bpffs read-only. `idOf` gets each opened fd (closed afterwards) and
 * returns the object's id when it is of the wanted kind, else `undefined`;
 * entries that cannot be opened, or whose `idOf` throws, are skipped. The walk
 * stops after `MAX_PIN_WALK` entries. Never throws.
 */
export function pinnedObjectPaths(idOf: (fd: number) => number | undefined): Map<number, string[]> {
  const table = new Map<number, string[]>();
  let visited = 0;
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_PIN_DEPTH) return;
    let names: string[];
    try { names = readdirSync(dir); } catch { return; }
    for (const name of names) {
      if (++visited > MAX_PIN_WALK) return;
      const path = join(dir, name);
      let st;
      try { st = lstatSync(path); } catch { continue; }
      if (st.isDirectory()) { walk(path, depth + 1); continue; }
      if (!st.isFile()) continue;
      const fd = objGet(path, OBJ_GET_RDONLY);
      if (fd < 0) continue;
      try {
        const id = idOf(fd);
        if (id === undefined) continue;
        const list = table.get(id);
        if (list) list.push(path);
        else table.set(id, [path]);
      } catch {
        // not readable as the wanted kind: skip
      } finally {
        native().close(fd);
      }
    }
  };
  for (const root of bpffsRoots(mounts())) walk(root, 0);
  return table;
}

/**
 * The directories to walk to see every bpffs file once: each bpf mount point,
 * listed once even when several bpffs are stacked on it (only the top one is
 * reachable by path), and left out when it lies inside another bpffs root (the
 * walk of that root already descends into it). bpftool walks every mount-table
 * entry and so lists a pin once per stacked mount; we do not.
 */
export function bpffsRoots(table: readonly { readonly dir: string; readonly type: string }[]): string[] {
  const dirs = [...new Set(table.filter((m) => m.type === 'bpf').map((m) => m.dir))];
  const inside = (d: string, root: string): boolean => d !== root && d.startsWith(root === '/' ? '/' : root + '/');
  return dirs.filter((d) => !dirs.some((root) => inside(d, root)));
}

/** Node's fs errors (ENOENT reading a file, EACCES, ...) become one-line `EbpfError`s; other errors (real bugs) pass unchanged with their stack. */
export function asEbpfError(e: unknown): unknown {
  if (e instanceof EbpfError) return e;
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e) {
    return new EbpfError((e as NodeJS.ErrnoException).code!, e.message);
  }
  return e;
}
