/**
 * What is kept is checked: a finished trial whose files are damaged (a .npy truncated, garbled or of another
 * shape, summary.json or manifest.json cut short, a CSV header broken or its last line cut) is never reported as
 * "complete on disk, kept": rsn train refuses it, naming the file and what to do, and rsn report exits non-zero
 * naming it. Doing what the message says (deleting that round) retrains the round with the same files.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, experimentId } from '../../core/experiment/config.js';
import { encodeNpy } from '../../core/results/npy.js';
import * as paths from '../../core/results/paths.js';
import { hasStackTrace, rsn, SMALL } from '../support/rsn-cli.js';
import { snapshot } from '../support/snapshot.js';

const CONFIG = { ...DEFAULT_CONFIG, train_iters: 20, eval_every: 10, prune_iters: 1, valid_size: 200, test_size: 200, trials: 1 };
const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const trialOf = (base: string) => paths.trialDir(paths.configDir(base, experimentId(CONFIG), CONFIG), 0);
const roundOf = (base: string, round: number) => paths.roundDir(trialOf(base), round);

let pristine = '';
beforeAll(async () => {
  pristine = temp('rsn-kept-');
  const first = await rsn(['train', '--base_dir', pristine, ...SMALL]);
  expect(first.code, first.stderr).toBe(0);
}, 120_000);

const copy = () => {
  const base = temp('rsn-kept-');
  cpSync(pristine, base, { recursive: true });
  return base;
};

/** Each damage: the file it damages (relative to the base), and how. */
const DAMAGES: { name: string; file: (base: string) => string; damage: (file: string) => void; round?: number }[] = [
  { name: 'a truncated .npy', round: 1, file: (b) => paths.kernelFile(roundOf(b, 1), 'post_kernels', 'hidden_2'), damage: (f) => truncateSync(f, 1000) },
  { name: 'a .npy with a garbled header', round: 0, file: (b) => paths.kernelFile(roundOf(b, 0), 'masks', 'hidden_1'), damage: (f) => {
    const bytes = readFileSync(f);
    bytes.fill(0x20, 0, 16);
    writeFileSync(f, bytes);
  } },
  { name: 'a .npy of another shape (whole and well-formed)', round: 1, file: (b) => paths.kernelFile(roundOf(b, 1), 'init_kernels', 'output'), damage: (f) => writeFileSync(f, encodeNpy(new Float32Array(100 * 9), [100, 9])) },
  { name: 'a .npy with bytes appended', round: 0, file: (b) => paths.kernelFile(roundOf(b, 0), 'post_kernels', 'output'), damage: (f) => writeFileSync(f, Buffer.concat([readFileSync(f), Buffer.alloc(8)])) },
  { name: 'a truncated summary.json', round: 0, file: (b) => paths.roundSummary(roundOf(b, 0)), damage: (f) => truncateSync(f, 40) },
  { name: 'a broken CSV header', round: 1, file: (b) => paths.metricsFile(roundOf(b, 1), 'valid'), damage: (f) => writeFileSync(f, readFileSync(f, 'utf8').replace('batch,loss', 'batch;loss')) },
  { name: 'a CSV whose last line is cut', round: 0, file: (b) => paths.metricsFile(roundOf(b, 0), 'train'), damage: (f) => truncateSync(f, readFileSync(f).length - 3) },
  { name: 'a truncated manifest.json', file: (b) => paths.trialManifest(trialOf(b)), damage: (f) => truncateSync(f, 50) },
];

describe('rsn train refuses a finished trial whose kept files are damaged', () => {
  for (const { name, file, damage, round } of DAMAGES) {
    it(`${name}: exit 2, the file named, with --force and the round to delete`, async () => {
      const base = copy();
      damage(file(base));
      const result = await rsn(['train', '--base_dir', base, ...SMALL]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${file(base)} is damaged`);
      expect(result.stderr).not.toContain('complete on disk');
      expect(result.stderr).toContain('--force');
      expect(result.stderr).toContain(round === undefined ? `rm '${file(base)}'` : `rm -r '${roundOf(base, round)}'`);
      expect(hasStackTrace(result.stderr)).toBe(false);
    }, 60_000);
  }

  it('deleting the damaged round as told retrains it, with the files of the undamaged run', async () => {
    const base = copy();
    truncateSync(paths.kernelFile(roundOf(base, 1), 'post_kernels', 'hidden_2'), 1000);
    rmSync(roundOf(base, 1), { recursive: true });
    const result = await rsn(['train', '--base_dir', base, ...SMALL]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/trial 0 round 1: .*\(\d/);
    expect(snapshot(base)).toEqual(snapshot(pristine));
  }, 60_000);

  it('--force, the other way on, deletes the damaged configuration and retrains it, with the files of the undamaged run', async () => {
    const base = copy();
    truncateSync(paths.roundSummary(roundOf(base, 0)), 40);
    const result = await rsn(['train', '--base_dir', base, ...SMALL, '--force']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/trial 0 round 0: .*\(\d/);
    expect(snapshot(base)).toEqual(snapshot(pristine));
  }, 60_000);
});

describe('rsn report checks what it reads the same way', () => {
  for (const { name, file, damage } of DAMAGES.filter((d) => d.round !== undefined && !d.name.includes('summary'))) {
    it(`${name}: exit 2, the file named`, async () => {
      const base = copy();
      damage(file(base));
      const result = await rsn(['report', base, '--out', join(base, 'report'), '--no-png']);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(file(base));
      expect(hasStackTrace(result.stderr)).toBe(false);
    }, 60_000);
  }
});
