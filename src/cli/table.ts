/**
 * Plain-text tables for list output: a header row and left-aligned columns
 * (numbers right-aligned), separated by two spaces, no trailing blanks.
 *
 *   ID  TYPE   NAME   KEY  VALUE
 *    7  hash   flows    8     16
 */

export interface Column<R> {
  readonly header: string;
  readonly cell: (row: R) => string | number | bigint;
  /** Right-align (default: numbers right, text left). */
  readonly align?: 'left' | 'right';
}

/** Render `rows` as an aligned table with a header line. An empty `rows` gives the header only. */
export function renderTable<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const cells = rows.map((r) => columns.map((c) => c.cell(r)));
  const right = columns.map((c, i) => c.align ? c.align === 'right' : cells.length > 0 && cells.every((row) => typeof row[i] !== 'string'));
  const text = cells.map((row) => row.map((v) => String(v)));
  const width = columns.map((c, i) => Math.max(c.header.length, ...text.map((row) => row[i]!.length)));
  const line = (vals: readonly string[]) =>
    vals.map((v, i) => (right[i] ? v.padStart(width[i]!) : i === vals.length - 1 ? v : v.padEnd(width[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), ...text.map(line)].join('\n');
}
