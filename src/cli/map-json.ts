/**
 * JSON text for `ebpf -j/-p map ...`. Map entries are built as JSON text, not
 * objects, because bpftool's `formatted` section may repeat the key "" (for
 * anonymous members) and holds 64-bit integers unrounded, neither of which
 * survives a round trip through JS objects. `-p` re-indents that text.
 */

/**
 * Re-indent compact JSON text with 4 spaces per level without parsing it
 * into values, so duplicate keys and big integers are kept as written.
 * Empty arrays/objects stay `[]`/`{}`; arrays of scalars (byte lists) stay on one line. Input must be valid JSON text.
 */
export function prettyJsonText(text: string): string {
  let out = '';
  let depth = 0;
  const nl = () => '\n' + '    '.repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const j = stringEnd(text, i);
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      if (text[i + 1] === close) { out += c + close; i++; continue; }
      if (c === '[') {
        const end = scalarArrayEnd(text, i);
        if (end > 0) { out += inlineArray(text.slice(i, end + 1)); i = end; continue; }
      }
      depth++;
      out += c + nl();
    } else if (c === '}' || c === ']') {
      depth--;
      out += nl() + c;
    } else if (c === ',') {
      out += ',' + nl();
    } else if (c === ':') {
      out += ': ';
    } else if (c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r') {
      out += c;
    }
  }
  return out;
}

/** Index of the `"` closing the JSON string that opens at `start` (skipping escapes); at or past `text.length` when unterminated. */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j;
}

/** Index of the `]` closing the array at `start` when it holds only scalars (no nested `{`/`[`), else -1. */
function scalarArrayEnd(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    const c = text[j]!;
    if (c === '"') {
      j = stringEnd(text, j);
    } else if (c === '{' || c === '[') return -1;
    else if (c === ']') return j;
  }
  return -1;
}

/** A scalar array on one line: `["0x01", "0x00"]`. */
function inlineArray(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const j = stringEnd(text, i);
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === ',') out += ', ';
    else if (c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r') out += c;
  }
  return out;
}

/** Emit a JSON text (compact, or re-indented for -p). */
export function jsonText(text: string, pretty: boolean): string {
  return pretty ? prettyJsonText(text) : text;
}
