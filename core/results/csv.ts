import { readFileSync } from 'node:fs';

export type CsvRow = Record<string, number | string>;

/** A text cell, quoted (RFC 4180) only when it holds a comma, a quote or a line break. */
const text = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * Numbers are written with full float64 precision; NaN as 'nan' (numpy and pandas read both). A header that names
 * a column twice is refused: pandas would rename the second (`loss.1`) and a groupby could not find it.
 */
export function toCsv(columns: readonly string[], rows: readonly CsvRow[]): string {
  const repeated = columns.filter((c, k) => columns.indexOf(c) !== k);
  if (repeated.length > 0) throw new Error(`CSV header names ${[...new Set(repeated)].join(', ')} more than once`);
  const cell = (v: number | string | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? (Number.isNaN(v) ? 'nan' : String(v)) : text(v);
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** The cells of one CSV record as toCsv writes them: quoted cells (RFC 4180) may hold commas and doubled quotes. */
function splitRecord(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** Parse a CSV written by toCsv (one record per line): numeric-looking cells become numbers. */
export function parseCsv(text: string): CsvRow[] {
  const [head, ...lines] = text.trim().split('\n');
  if (!head) return [];
  const columns = splitRecord(head);
  return lines.map((line) => {
    const cells = splitRecord(line);
    const row: CsvRow = {};
    columns.forEach((c, i) => {
      const raw = cells[i] ?? '';
      row[c] = raw === 'nan' ? NaN : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
    });
    return row;
  });
}

export const readCsv = (path: string): CsvRow[] => parseCsv(readFileSync(path, 'utf8'));
