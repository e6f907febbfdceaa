/**
 * Leases with real concurrent processes: a second run of the same work never writes into it; it says who
 * holds it. A lease whose holder died is taken over once stale; leases are released on exit.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, experimentId } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import { hasStackTrace, rsn, SMALL, type CliResult } from '../support/rsn-cli.js';

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start `rsn ...args` in the background; `done` resolves to its result. */
function start(args: readonly string[], env: Record<string, string> = {}): { pid: number; done: Promise<CliResult> } {
  const child = spawn('node', ['bin/rsn.js', ...args], { env: { ...process.env, RSN_BACKEND: 'reference', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return { pid: child.pid!, done };
}

async function waitFor(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The configuration folder of `rsn train ...SMALL` with --prune_iters `prune`. */
const smallDir = (base: string, prune: number) => {
  const config = { ...DEFAULT_CONFIG, train_iters: 20, eval_every: 10, prune_iters: prune, valid_size: 200, test_size: 200, trials: 1 };
  return paths.configDir(base, experimentId(config), config);
};
const withPrune = (prune: number) => SMALL.map((a, i) => (SMALL[i - 1] === '--prune_iters' ? String(prune) : a));

describe('two runs of one configuration', () => {
  it('the second (another backend) refuses, naming the holder, and writes nothing into the trial', async () => {
    const base = temp('rsn-lease-');
    const trial = paths.trialDir(smallDir(base, 3), 0);
    const first = start(['train', '--base_dir', base, ...withPrune(3)]);
    await waitFor(() => existsSync(join(trial, '.lease-owner.json')), "the first run's lease");
    const second = await rsn(['train', '--base_dir', base, ...withPrune(3), '--backend', 'wasm']);
    const a = await first.done;

    expect(a.code, a.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`trial 0: skipped, it is being run by host \\S+ pid ${first.pid} \\(since `));
    expect(second.stderr).toContain('rsn left it untouched');
    expect(second.stderr).not.toMatch(/trial 0 round \d/);
    expect(hasStackTrace(second.stderr)).toBe(false);
    // Every round is the first run's: the manifest lists rounds 0-3, all on the reference backend.
    const manifest = JSON.parse(readFileSync(paths.trialManifest(trial), 'utf8')) as { rounds: { round: number; backend: string }[] };
    expect(manifest.rounds.map((r) => r.round)).toEqual([0, 1, 2, 3]);
    expect(new Set(manifest.rounds.map((r) => r.backend))).toEqual(new Set(['reference']));
    expect(existsSync(join(trial, '.lease'))).toBe(false);
  }, 120_000);

  it('a live lease of another host is respected; a stale one (its holder died) is taken over', async () => {
    const base = temp('rsn-stale-');
    const trial = paths.trialDir(smallDir(base, 1), 0);
    mkdirSync(join(trial, '.lease'), { recursive: true });
    writeFileSync(join(trial, '.lease-owner.json'), JSON.stringify({ host: 'node-17', pid: 4242, since: '2026-01-01T00:00:00.000Z', command: 'rsn train' }));

    const live = await rsn(['train', '--base_dir', base, ...SMALL], { RSN_LEASE_STALE_S: '30' });
    expect(live.code).toBe(2);
    expect(live.stderr).toContain('trial 0: skipped, it is being run by host node-17 pid 4242');
    expect(existsSync(paths.roundDir(trial, 0))).toBe(false);

    const old = new Date(Date.now() - 60_000);
    utimesSync(join(trial, '.lease'), old, old);
    const takeover = await rsn(['train', '--base_dir', base, ...SMALL], { RSN_LEASE_STALE_S: '30' });
    expect(takeover.code, takeover.stderr).toBe(0);
    expect(takeover.stderr).toContain('trial 0 round 1: 80.0% remaining');
    expect(existsSync(join(trial, '.lease'))).toBe(false);
  }, 120_000);

  it('--force refuses to delete a configuration while another process runs one of its trials', async () => {
    const base = temp('rsn-force-');
    const trial = paths.trialDir(smallDir(base, 1), 0);
    mkdirSync(join(trial, '.lease'), { recursive: true });
    writeFileSync(join(trial, '.lease-owner.json'), JSON.stringify({ host: 'node-3', pid: 77, since: '2026-01-01T00:00:00.000Z', command: 'rsn train' }));
    const forced = await rsn(['train', '--base_dir', base, ...SMALL, '--force']);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toContain('--force would delete');
    expect(forced.stderr).toContain('host node-3 pid 77');
    expect(existsSync(join(trial, '.lease-owner.json'))).toBe(true);
  }, 60_000);
});

describe('rsn bench processes sharing one results folder', () => {
  it('train every job exactly once between them (a restarted pod beside a slow one does no harm)', async () => {
    const base = temp('rsn-bench-lease-');
    const args = ['bench', '--preset', 'smoke', '--base_dir', base, '--jobs', '1'];
    const first = start(args);
    await waitFor(() => readdirSync(base, { recursive: true, encoding: 'utf8' }).some((p) => p.endsWith('.lease-owner.json')), 'the first lease');
    const second = start(args);
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const trained = (r: CliResult) => [...r.stderr.matchAll(/^done {4}(\S+) \(\d/gm)].map((m) => m[1]!);
    const [byA, byB] = [trained(a), trained(b)];
    expect(byA.filter((job) => byB.includes(job))).toEqual([]);
    expect(b.stderr).toMatch(new RegExp(`skipped \\S+: being run by host \\S+ pid ${first.pid}`));
    const listed = (await rsn([...args, '--list'])).stdout.trim().split('\n');
    expect(listed).toHaveLength(6);
    expect(listed.filter((line) => line.split('\t')[2] !== 'done'), `first:\n${a.stderr}\nsecond:\n${b.stderr}`).toEqual([]);
    expect(readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.lease'))).toEqual([]);
  }, 600_000);

  it('the one that finishes while the other still runs a job does not say "all 6 jobs done"', async () => {
    const base = temp('rsn-bench-alldone-');
    const args = ['bench', '--preset', 'smoke', '--base_dir', base, '--jobs', '1'];
    // The first process, in a group of its own, is held still once it has its first lease: its job stays running.
    // Leases that stay live for the test's length, for both (the held one must not be taken over, nor go stale under its holder).
    const first = spawn('node', ['bin/rsn.js', ...args], { env: { ...process.env, RSN_BACKEND: 'reference', RSN_LEASE_STALE_S: '600' }, detached: true });
    let firstErr = '';
    first.stderr.on('data', (d) => (firstErr += d));
    const firstDone = new Promise<number>((resolve) => first.on('close', (code) => resolve(code ?? -1)));
    await waitFor(() => readdirSync(base, { recursive: true, encoding: 'utf8' }).some((p) => p.endsWith('.lease-owner.json')), 'the first lease');
    process.kill(-first.pid!, 'SIGSTOP');
    let second: CliResult;
    try {
      second = await rsn(args, { RSN_LEASE_STALE_S: '600' });
    } finally {
      process.kill(-first.pid!, 'SIGCONT');
    }
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(new RegExp(`skipped \\S+: being run by host \\S+ pid ${first.pid}`));
    expect(second.stderr).not.toContain('all 6 jobs done');
    expect(second.stderr).toContain('5 of 6 jobs done');
    expect(second.stderr).toContain('1 is being run by other processes');
    expect(await firstDone, firstErr).toBe(0);
    expect(firstErr).toContain('all 6 jobs done');
  }, 600_000);
});

