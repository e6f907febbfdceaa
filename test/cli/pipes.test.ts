/**
 * A closed pipe (`rsn train ... 2>&1 | head -2`, `rsn bench --list | head -1`) ends the output quietly, never
 * the run: the reader went away, the training did not.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, experimentId } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import { rsn, SMALL } from '../support/rsn-cli.js';
import { snapshot } from '../support/snapshot.js';

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const CONFIG = { ...DEFAULT_CONFIG, train_iters: 20, eval_every: 10, prune_iters: 1, valid_size: 200, test_size: 200, trials: 1 };

describe('a reader that goes away', () => {
  it('rsn train 2>&1 | head -2: the run goes on to the end, exits 0, and keeps the results of an undisturbed run', async () => {
    const base = temp('rsn-pipe-');
    // stdout and stderr into one pipe, as 2>&1 does; the reader closes it after two lines.
    const child = spawn('node', ['bin/rsn.js', 'train', '--base_dir', base, ...SMALL], { env: { ...process.env, RSN_BACKEND: 'reference' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    const closed = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.split('\n').length > 2) {
          child.stdout.destroy();
          child.stderr.destroy();
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    expect(await closed).toBe(0);
    const last = paths.roundSummary(paths.roundDir(paths.trialDir(paths.configDir(base, experimentId(CONFIG), CONFIG), 0), 1));
    expect(existsSync(last)).toBe(true);
    const whole = temp('rsn-pipe-whole-');
    expect((await rsn(['train', '--base_dir', whole, ...SMALL])).code).toBe(0);
    expect(snapshot(base)).toEqual(snapshot(whole));
  }, 180_000);

  it('rsn bench --list | head -1 (the reader gone before the first line): exit 0, no internal error', async () => {
    const base = temp('rsn-pipe-list-');
    const child = spawn('node', ['bin/rsn.js', 'bench', '--preset', 'smoke', '--base_dir', base, '--list'], { env: { ...process.env, RSN_BACKEND: 'reference' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/internal error|EPIPE/);
  }, 60_000);
});
