/**
 * Checking what is kept, cheaply: a round reported complete must hold every file, each .npy with a valid header,
 * the shape the model implies and the size that shape implies, each CSV with its header and whole lines, and
 * summary.json parsing with its fields. Only headers, last bytes and sizes are read (summary.json and
 * manifest.json, a few KB, are parsed whole), so a results tree of thousands of rounds is checked in moments.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { ModelSpec } from '../nn/model.js';
import { npyFileBytes, readNpyHeader } from './npy.js';
import * as paths from './paths.js';
import { EVAL_COLUMNS, STEP_COLUMN, TRAIN_COLUMNS } from './records.js';

/** One file of a complete round and what its header must say. */
export type RoundFile =
  | { readonly path: string; readonly kind: 'npy'; readonly parameter: string; readonly shape: readonly number[] }
  | { readonly path: string; readonly kind: 'csv'; readonly columns: readonly string[] }
  | { readonly path: string; readonly kind: 'summary' };

/** A file that is not what it should be. */
export interface Damage {
  readonly file: string;
  readonly problem: string;
}

/**
 * The weight files of a complete round with their shapes: the one place that derives them from the model (one
 * file per named parameter of the model, with its shape, for the initial weights, the masks and the trained ones).
 */
export function roundWeightFiles(roundDir: string, spec: ModelSpec): { path: string; parameter: string; shape: readonly number[] }[] {
  return paths.KERNEL_KINDS.flatMap((kind) => spec.parameters.map((p) => ({ path: paths.kernelFile(roundDir, kind, p.name), parameter: p.name, shape: p.shape })));
}

/** Every file of a complete round: its weights, its three CSVs and summary.json. */
export function roundFiles(roundDir: string, spec: ModelSpec): RoundFile[] {
  return [
    ...roundWeightFiles(roundDir, spec).map((f) => ({ ...f, kind: 'npy' as const })),
    { path: paths.metricsFile(roundDir, 'train'), kind: 'csv', columns: TRAIN_COLUMNS },
    { path: paths.metricsFile(roundDir, 'valid'), kind: 'csv', columns: EVAL_COLUMNS },
    { path: paths.metricsFile(roundDir, 'test'), kind: 'csv', columns: EVAL_COLUMNS },
    { path: paths.roundSummary(roundDir), kind: 'summary' },
  ];
}

const shapeText = (shape: readonly number[]) => `(${shape.join(', ')})`;

/** Why a .npy file is not whole (its header, and its size against the shape the header declares); else its shape. */
function npyCheck(path: string): { problem: string } | { shape: readonly number[] } {
  let read: ReturnType<typeof readNpyHeader>;
  try {
    read = readNpyHeader(path);
  } catch (error) {
    return { problem: (error as Error).message.split('\n')[0]!.replace(`${path} `, '') };
  }
  const { header, size } = read;
  const expected = npyFileBytes(header);
  if (size !== expected) return { problem: `${size < expected ? 'truncated' : 'too long'}: ${size} bytes, where its shape ${shapeText(header.shape)} takes ${expected}` };
  return { shape: header.shape };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The first line (up to 4 KiB) and the last byte of a file, and its size. */
function headAndTail(path: string): { head: string; last: number | undefined; size: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, head, 0, head.length, 0);
    const tail = Buffer.alloc(size > 0 ? 1 : 0);
    if (size > 0) readSync(fd, tail, 0, 1, size - 1);
    return { head: head.toString('utf8'), last: tail[0], size };
  } finally {
    closeSync(fd);
  }
}

function csvProblem(path: string, columns: readonly string[]): string | undefined {
  const { head, last, size } = headAndTail(path);
  const newline = head.indexOf('\n');
  if (newline < 0) return size === 0 ? 'empty' : 'no complete header line';
  const header = head.slice(0, newline).trim();
  if (header !== columns.join(',') && header !== [...columns, STEP_COLUMN].join(',')) {
    return `its header is '${header}', expected '${columns.join(',')}' (or with ',${STEP_COLUMN}')`;
  }
  if (size <= newline + 1) return 'no rows below its header';
  if (last !== 0x0a) return 'its last line is cut off (truncated)';
  return undefined;
}

/** Why a JSON results file does not parse as an object, or undefined when it does; `fields` must be numbers. */
export function jsonProblem(path: string, fields: readonly string[] = []): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return `not valid JSON: ${(error as Error).message}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const missing = fields.filter((f) => typeof (value as Record<string, unknown>)[f] !== 'number');
  return missing.length > 0 ? `${missing.join(', ')} missing or not a number` : undefined;
}

function summaryProblem(path: string): string | undefined {
  const problem = jsonProblem(path, ['round', 'percent_remaining']);
  if (problem) return problem;
  const summary = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const final = summary.final as Record<string, unknown> | null | undefined;
  if (typeof final !== 'object' || final === null || typeof final.test !== 'object' || final.test === null) return '"final" missing';
  return undefined;
}

export interface RoundCheckOptions {
  /**
   * Hold each weight file's shape against the model's (default true: training resumes from them). Without it
   * (the report, which reads weights of any shape) the files of one parameter must agree with each other.
   */
  readonly modelShapes?: boolean;
}

/** The shape most of `shapes` declare (the first on a tie). */
function majority(shapes: readonly (readonly number[])[]): readonly number[] {
  return shapes.reduce((best, shape) => (shapes.filter((s) => sameShape(s, shape)).length > shapes.filter((s) => sameShape(s, best)).length ? shape : best), shapes[0]!);
}

/** The first damaged file of a round (of the model `spec`), or undefined when every file is whole. */
export function roundDamage(roundDir: string, spec: ModelSpec, options: RoundCheckOptions = {}): Damage | undefined {
  const weights: { path: string; parameter: string; expected: readonly number[]; shape: readonly number[] }[] = [];
  for (const file of roundFiles(roundDir, spec)) {
    if (!existsSync(file.path)) return { file: file.path, problem: 'missing' };
    if (!statSync(file.path).isFile()) return { file: file.path, problem: 'not a file' };
    if (file.kind === 'npy') {
      const checked = npyCheck(file.path);
      if ('problem' in checked) return { file: file.path, problem: checked.problem };
      weights.push({ path: file.path, parameter: file.parameter, expected: file.shape, shape: checked.shape });
      continue;
    }
    const problem = file.kind === 'csv' ? csvProblem(file.path, file.columns) : summaryProblem(file.path);
    if (problem) return { file: file.path, problem };
  }
  for (const weight of weights) {
    const siblings = weights.filter((w) => w.parameter === weight.parameter).map((w) => w.shape);
    const expected = options.modelShapes === false ? majority(siblings) : weight.expected;
    if (!sameShape(weight.shape, expected)) {
      const whose = options.modelShapes === false ? `the other files of ${weight.parameter} have` : 'the model has';
      return { file: weight.path, problem: `its header declares shape ${shapeText(weight.shape)}, where ${whose} ${shapeText(expected)}` };
    }
  }
  return undefined;
}

/** A trial's manifest.json, when there is one, must parse with its list of rounds. */
export function manifestDamage(trialDir: string): Damage | undefined {
  const file = paths.trialManifest(trialDir);
  if (!existsSync(file)) return undefined;
  const problem = jsonProblem(file);
  if (problem) return { file, problem };
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { rounds?: unknown };
  return Array.isArray(manifest.rounds) ? undefined : { file, problem: 'no "rounds" list' };
}
