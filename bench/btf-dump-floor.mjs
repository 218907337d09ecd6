// The floor of any JavaScript `vmlinux.h` dump, for bench/btf-parse.ts: a fresh
// Node process that reads and indexes /sys/kernel/btf/vmlinux (dist/, as the
// CLI does) and prints only `struct NAME {` / `\tint MEMBER;` / `ENUMERATOR = N,`
// lines for every struct, union and enum, with no ordering, naming, declarators
// or layout. Whatever a real dump adds comes on top of this.
import { readFileSync, writeSync } from 'node:fs';
import { parseBtf } from '../dist/btf/btf.js';
import { TextBuffer } from '../dist/btf/text-buffer.js';

const raw = readFileSync(process.argv[2] ?? '/sys/kernel/btf/vmlinux');
const btf = parseBtf(raw);
const le = btf.littleEndian;
const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
const out = new TextBuffer(raw.length);
for (let id = 1; id < btf.typeCount; id++) {
  const p = btf.typeOffset(id);
  const info = v.getUint32(p + 4, le);
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  if (kind === 4 || kind === 5) {
    out.utf8(`${kind === 4 ? 'struct' : 'union'} ${btf.stringAt(v.getUint32(p, le))} {\n`);
    for (let j = 0; j < vlen; j++) out.utf8(`\tint ${btf.stringAt(v.getUint32(p + 12 + j * 12, le))};\n`);
    out.ascii('};\n\n');
  } else if (kind === 6) {
    out.utf8(`enum ${btf.stringAt(v.getUint32(p, le))} {\n`);
    for (let j = 0; j < vlen; j++) out.utf8(`\t${btf.stringAt(v.getUint32(p + 12 + j * 8, le))} = ${v.getInt32(p + 16 + j * 8, le)},\n`);
    out.ascii('};\n\n');
  }
}
const bytes = out.bytes();
for (let at = 0; at < bytes.length; ) at += writeSync(1, bytes, at);
