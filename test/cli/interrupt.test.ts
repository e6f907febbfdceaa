/**
 * Ctrl-C and SIGTERM on a real `rsn train`: the run stops, says what it kept and the exact command that
 * resumes, releases its lease; running that command finishes with the results of an uninterrupted run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, experimentId } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import { hasStackTrace, rsn, SMALL, type CliResult } from '../support/rsn-cli.js';

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ARGS = SMALL.map((a, i) => (SMALL[i - 1] === '--prune_iters' ? '3' : a));
const CONFIG = { ...DEFAULT_CONFIG, train_iters: 20, eval_every: 10, prune_iters: 3, valid_size: 200, test_size: 200, trials: 1 };

/** Run rsn train in its own process group; once round 0 is on disk, send `signal` to the group or the parent only. */
async function interrupted(base: string, signal: NodeJS.Signals, group: boolean): Promise<CliResult> {
  const child = spawn('node', ['bin/rsn.js', 'train', '--base_dir', base, ...ARGS], { env: { ...process.env, RSN_BACKEND: 'reference' }, detached: true });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const summary0 = paths.roundSummary(paths.roundDir(paths.trialDir(paths.configDir(base, experimentId(CONFIG), CONFIG), 0), 0));
  const until = Date.now() + 60_000;
  while (!existsSync(summary0) && Date.now() < until) await sleep(50);
  process.kill(group ? -child.pid! : child.pid!, signal);
  return { code: await closed, stdout: '', stderr };
}

/** Every round file of the trial (summary wall times zeroed). */
function rounds(base: string): Record<string, string> {
  const trial = paths.trialDir(paths.configDir(base, experimentId(CONFIG), CONFIG), 0);
  const out: Record<string, string> = {};
  for (const p of readdirSync(trial, { recursive: true, encoding: 'utf8' })) {
    const file = join(trial, p);
    if (!/\.(npy|csv|json)$/.test(p) || p.endsWith('manifest.json')) continue;
    out[p] = p.endsWith('summary.json') ? JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), wall_seconds: 0 }) : readFileSync(file).toString('base64');
  }
  return out;
}

describe('interrupting rsn train', () => {
  it('Ctrl-C (SIGINT to the process group) reports what was kept and the command that resumes; that command completes the run', async () => {
    const base = temp('rsn-sigint-');
    const stopped = await interrupted(base, 'SIGINT', true);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(hasStackTrace(stopped.stderr)).toBe(false);
    expect(stopped.stderr).toMatch(/rsn: interrupted \(SIGINT\); kept in .*:\n {2}trial 0: (round 0|rounds 0-[12]) complete \(of 0-3\)\nresume with:\n {2}rsn train /);
    const resume = /resume with:\n {2}rsn (.*)\n/.exec(stopped.stderr)![1]!.split(' ');
    expect(resume).toEqual(['train', '--base_dir', base, ...ARGS]);
    expect(readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.lease'))).toEqual([]);

    const resumed = await rsn(resume);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('trial 0 round 0: 100.0% remaining');
    expect(resumed.stderr).toMatch(/round 0: .*\(already done\)/);
    const whole = temp('rsn-whole-');
    expect((await rsn(['train', '--base_dir', whole, ...ARGS])).code).toBe(0);
    expect(rounds(base)).toEqual(rounds(whole));
  }, 180_000);

  it('SIGTERM to rsn alone (as Kubernetes or Slurm send it) stops its worker too and exits 143', async () => {
    const base = temp('rsn-sigterm-');
    const stopped = await interrupted(base, 'SIGTERM', false);
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toContain('rsn: interrupted (SIGTERM); kept in');
    expect(stopped.stderr).toContain('resume with:');
    expect(readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.lease'))).toEqual([]);
    // The worker is gone: nothing changes in the results any more.
    const before = rounds(base);
    await sleep(4000);
    expect(rounds(base)).toEqual(before);
  }, 120_000);

  it('SIGUSR1 to the process group (what Slurm --signal sends before a time limit) stops like SIGTERM, exit 138; no debugger opens; resuming completes the run', async () => {
    const base = temp('rsn-sigusr1-');
    const stopped = await interrupted(base, 'SIGUSR1', true);
    expect(stopped.code, stopped.stderr).toBe(138);
    expect(stopped.stderr).not.toContain('Debugger listening');
    expect(stopped.stderr).toMatch(/rsn: interrupted \(SIGUSR1\); kept in .*:\n {2}trial 0: (round 0|rounds 0-[12]) complete \(of 0-3\)\nresume with:\n {2}rsn train /);
    expect(readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.lease'))).toEqual([]);
    const resume = /resume with:\n {2}rsn (.*)\n/.exec(stopped.stderr)![1]!.split(' ');
    expect((await rsn(resume)).code).toBe(0);
    const whole = temp('rsn-whole-');
    expect((await rsn(['train', '--base_dir', whole, ...ARGS])).code).toBe(0);
    expect(rounds(base)).toEqual(rounds(whole));
  }, 240_000);

  it('SIGUSR2 to rsn alone stops it gracefully too, exit 140, its worker gone and its lease released', async () => {
    const base = temp('rsn-sigusr2-');
    const stopped = await interrupted(base, 'SIGUSR2', false);
    expect(stopped.code, stopped.stderr).toBe(140);
    expect(stopped.stderr).toContain('rsn: interrupted (SIGUSR2); kept in');
    expect(stopped.stderr).toContain('resume with:');
    expect(readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.lease'))).toEqual([]);
    const before = rounds(base);
    await sleep(3000);
    expect(rounds(base)).toEqual(before);
  }, 120_000);

  it('SIGUSR1 to a worker opens no debugger there and does not stop the run', async () => {
    const base = temp('rsn-usr1-worker-');
    const child = spawn('node', ['bin/rsn.js', 'train', '--base_dir', base, ...ARGS], { env: { ...process.env, RSN_BACKEND: 'reference' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const children = () => readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const until = Date.now() + 60_000;
    while (children().length === 0 && Date.now() < until) await sleep(50);
    await sleep(1500); // past the worker's start-up
    for (const pid of children()) process.kill(pid, 'SIGUSR1');
    expect(await closed, stderr).toBe(0);
    expect(stderr).not.toContain('Debugger listening');
    expect(stderr).toMatch(/^done:\s/m);
  }, 120_000);

  it('rsn bench on SIGTERM stops its workers, releases the leases and prints the command that resumes', async () => {
    const base = temp('rsn-bench-term-');
    const args = ['bench', '--preset', 'smoke', '--base_dir', base, '--jobs', '1'];
    const child = spawn('node', ['bin/rsn.js', ...args], { env: { ...process.env, RSN_BACKEND: 'reference' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const until = Date.now() + 60_000;
    while (!readdirSync(base, { recursive: true, encoding: 'utf8' }).some((p) => p.endsWith('summary.json')) && Date.now() < until) await sleep(50);
    child.kill('SIGTERM');
    expect(await closed, stderr).toBe(143);
    expect(stderr).toMatch(/rsn: interrupted \(SIGTERM\); \d of 6 jobs are complete in /);
    expect(stderr).toContain(`resume with:\n  rsn ${args.join(' ')}`);
    expect(hasStackTrace(stderr)).toBe(false);
    expect(readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.lease'))).toEqual([]);
  }, 120_000);

  it('--force is left out of the resume command (it would delete what was kept)', async () => {
    const { resumeCommand } = await import('../../cli/interrupt.js');
    expect(resumeCommand(['train', '--force', '--base_dir', 'my results', '--seed', '3'])).toBe("rsn train --base_dir 'my results' --seed 3");
  });
});
