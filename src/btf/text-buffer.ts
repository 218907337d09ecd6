/**
 * A growing byte buffer for the BTF text dumps: ASCII pieces, decimal numbers
 * and names copied straight from the BTF string section. Building the multi-
 * megabyte dumps of vmlinux out of JS string concatenation allocated millions
 * of short-lived strings (most of the dump's time went to the GC); bytes in one
 * buffer cost one allocation per doubling.
 */
import { Buffer } from 'node:buffer';
import type { Btf } from './btf.js';

export class TextBuffer {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Room for `n` more bytes. */
  private reserve(n: number): Buffer {
    if (this.len + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.len + n) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    return this.buf;
  }

  /** An ASCII string (constants, keywords): one byte per character. */
  ascii(s: string): void {
    const n = s.length;
    const b = this.reserve(n);
    let at = this.len;
    for (let i = 0; i < n; i++) b[at++] = s.charCodeAt(i);
    this.len = at;
  }

  /** Any string, UTF-8 encoded. */
  utf8(s: string): void {
    // At most 3 bytes per UTF-16 unit: reserving that avoids measuring the string first.
    this.len += this.reserve(s.length * 3).write(s, this.len, 'utf8');
  }

  /** A non-negative integer below 2^53 in decimal. */
  uint(n: number): void {
    if (n < 10) {
      this.reserve(1)[this.len++] = 48 + n;
      return;
    }
    const b = this.reserve(16);
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    let at = this.len + digits;
    this.len = at;
    for (let x = n; ; ) {
      const d = x % 10;
      b[--at] = 48 + d;
      x = (x - d) / 10;
      if (x === 0) break;
    }
  }

  /** A signed 32-bit integer in decimal. */
  int(n: number): void {
    if (n < 0) {
      this.reserve(1)[this.len++] = 45; // '-'
      this.uint(-n);
    } else {
      this.uint(n);
    }
  }

  /**
   * The name at string offset `off` of `btf`, or `ifEmpty` when it is "".
   * Own ASCII names are copied byte for byte; anything else goes through
   * `btf.stringAt`, so a bad offset throws its `ParseError` and non-ASCII
   * bytes print exactly as the decoded string would.
   */
  name(btf: Btf, off: number, ifEmpty: string): void {
    const rel = off - btf.firstStringOffset;
    if (rel >= 0 && rel < btf.stringsLength) {
      const raw = btf.raw;
      const start = btf.header.strStart + rel;
      // The section ends in NUL (checked by parseBtf): the scan stops inside it.
      let end = start;
      let ascii = true;
      for (let c = raw[end]!; c !== 0; c = raw[++end]!) if (c >= 0x80) ascii = false;
      if (ascii) {
        if (end === start) { this.ascii(ifEmpty); return; }
        const n = end - start;
        const b = this.reserve(n);
        let at = this.len;
        for (let i = start; i < end; i++) b[at++] = raw[i]!;
        this.len = at;
        return;
      }
    }
    const s = btf.stringAt(off);
    if (s === '') this.ascii(ifEmpty);
    else this.utf8(s);
  }

  get length(): number {
    return this.len;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  toString(): string {
    return this.buf.toString('utf8', 0, this.len);
  }
}
