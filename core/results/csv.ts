import { readFileSync } from 'node:fs';

export type CsvRow = Record<string, number | string>;

/** A text cell, quoted (RFC 4180) only when it holds a comma, a quote or a line break. */
const text = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Numbers are written with full float64 precision; NaN as 'nan' (numpy and pandas read both). */
export function toCsv(columns: readonly string[], rows: readonly CsvRow[]): string {
  const cell = (v: number | string | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? (Number.isNaN(v) ? 'nan' : String(v)) : text(v);
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** Parse a CSV written by toCsv: numeric-looking cells become numbers. */
export function parseCsv(text: string): CsvRow[] {
  const [head, ...lines] = text.trim().split('\n');
  if (!head) return [];
  const columns = head.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: CsvRow = {};
    columns.forEach((c, i) => {
      const raw = cells[i] ?? '';
      row[c] = raw === 'nan' ? NaN : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
    });
    return row;
  });
}

export const readCsv = (path: string): CsvRow[] => parseCsv(readFileSync(path, 'utf8'));
