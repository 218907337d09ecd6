/**
 * Kernel names of the maps libbpf makes from data sections (tools/lib/bpf/libbpf.c,
 * `internal_map_name`). The kernel keeps 15 characters (BPF_OBJ_NAME_LEN - 1) of a
 * name made of [A-Za-z0-9_.] (kernel/bpf/syscall.c, bpf_obj_name_cpy).
 */

/** BPF_OBJ_NAME_LEN, include/uapi/linux/bpf.h. */
export const BPF_OBJ_NAME_LEN = 16;

/**
 * libbpf's object name: the file name up to its first `.` (`"test_bpfel.o"` → `"test_bpfel"`).
 */
export function objectNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot < 0 ? base : base.slice(0, dot);
}

/**
 * The kernel name libbpf gives the map of a data section: a prefix of the object name
 * followed by the section name (`.rodata` of `minimal-el` → `minimal.rodata`), as much
 * of the object name as fits beside a suffix of at least 7 characters; custom sections
 * with a second dot (`.data.foo`, `.rodata.str1.1`) get no prefix. Characters the
 * kernel refuses become `_`.
 */
export function internalMapName(objectName: string, sectionName: string): string {
  const maxLen = BPF_OBJ_NAME_LEN - 1;
  const suffixLen = Math.min(Math.max(7, sectionName.length), maxLen);
  const prefixLen = sectionName.indexOf('.', 1) >= 0 ? 0 : Math.min(BPF_OBJ_NAME_LEN - suffixLen - 1, objectName.length);
  const name = (objectName.slice(0, prefixLen) + sectionName.slice(0, suffixLen)).slice(0, maxLen);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** A user map name as the kernel stores it: at most 15 characters. */
export function kernelMapName(name: string): string {
  return name.slice(0, BPF_OBJ_NAME_LEN - 1);
}
