/**
 * `ebpf prog loadall OBJ DIR [pinmaps DIR]`, as bpftool does it
 * (tools/bpf/bpftool/prog.c, load_with_options): load every program of the
 * object, pin each at `DIR/<program name>`, and with `pinmaps` pin each map at
 * `PINMAPS/<map name>` (libbpf's map name: the symbol for BTF and legacy maps,
 * `<object>.rodata`-style names for global data, with '.' turned into '_' since
 * bpffs refuses dots in names). Directories are created on
 * bpffs, which is mounted at /sys/fs/bpf when missing. The process keeps no
 * fd afterwards: the pins hold the objects.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { prepareBpffsPath } from '../sys/fs.js';
import { objPin } from '../sys/map-cmds.js';
import { bpfError } from '../sys/bpf.js';
import { loadCollection, type LoadCollectionOptions } from './collection.js';

export interface PinnedObject {
  /** Program name → pin path. */
  readonly programs: Record<string, string>;
  /** Map name → pin path (empty without `pinmapsDir`). */
  readonly maps: Record<string, string>;
}

function pinAt(fd: number, path: string, what: string, made: string[]): void {
  const r = objPin(fd, path);
  if (r < 0) throw bpfError(-r, 'BPF_OBJ_PIN', `${what} at ${path}`);
  made.push(path);
}

/**
 * Load `obj` and pin its programs under `dir` (and its maps under
 * `pinmapsDir`). Throws what `loadCollection` throws, or `BpfError` when a pin
 * fails (EEXIST when a path is taken, EPERM outside bpffs); on failure every
 * pin made by this call is removed and every fd closed.
 */
export function loadAllAndPin(obj: string, dir: string, pinmapsDir?: string, options: LoadCollectionOptions = {}): PinnedObject {
  prepareBpffsPath(join(dir, 'x'));
  if (pinmapsDir !== undefined) prepareBpffsPath(join(pinmapsDir, 'x'));
  const collection = loadCollection(obj, options);
  const made: string[] = [];
  try {
    mkdirSync(dir, { recursive: true });
    const programs: Record<string, string> = {};
    for (const [name, p] of Object.entries(collection.programs)) {
      pinAt(p.fd, join(dir, name), `program ${name}`, made);
      programs[name] = join(dir, name);
    }
    const maps: Record<string, string> = {};
    if (pinmapsDir !== undefined) {
      mkdirSync(pinmapsDir, { recursive: true });
      for (const [realName, m] of Object.entries(collection.maps)) {
        const spec = collection.spec.maps.get(realName);
        // bpffs refuses names with '.', so libbpf pins `obj.rodata` as `obj_rodata` (libbpf.c, sanitize_pin_path).
        const name = (spec && spec.source !== 'data' && spec.source !== 'kconfig' ? realName : (spec?.name ?? realName)).replace(/\./g, '_');
        pinAt(m.fd, join(pinmapsDir, name), `map ${realName}`, made);
        maps[name] = join(pinmapsDir, name);
      }
    }
    return { programs, maps };
  } catch (e) {
    for (const p of made.reverse()) rmSync(p, { force: true });
    collection.unpin();
    throw e;
  } finally {
    collection.close();
  }
}
