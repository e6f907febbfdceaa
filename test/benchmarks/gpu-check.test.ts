/**
 * The GPU check (`npm run bench:gpu`, benchmarks/perf/gpu/run.ts) in --quick mode on Mesa's llvmpipe, as a child
 * process: what it prints (the adapter, the conformance result with no failure, a timing row per step kind and
 * T, the projection formula and both projections, every target with a verdict) and the JSON it writes. Where no
 * WebGPU adapter exists at all (no Mesa EGL/GLES packages) it is skipped with the reason; with
 * RSN_REQUIRE_WEBGPU=1 (.ci/run, which installs Mesa) that is a failure. Without RSN_WEBGPU_SOFTWARE=1 and
 * without a GPU the check must stop with the backend's BackendError.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { tryLoad } from '../backends/support.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
loaded.backend?.close?.(); // the check opens a device of its own
const root = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = 'benchmarks/perf/gpu/run.ts';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The check as `npm run bench:gpu` runs it (tsx), asynchronously so the test's timeouts keep working. */
function check(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('webgpu availability for the GPU check', () => {
  it('loads here, or says why not', () => {
    if (loaded.backend) return;
    console.warn(`gpu-check: skipping the --quick run: ${loaded.reason}`);
    if (process.env.RSN_REQUIRE_WEBGPU === '1') expect.fail(`RSN_REQUIRE_WEBGPU=1 but ${loaded.reason}`);
  });
});

describe.skipIf(!loaded.backend)(loaded.backend ? 'npm run bench:gpu -- --quick (llvmpipe)' : `npm run bench:gpu -- --quick (skipped: ${loaded.reason})`, () => {
  const json = join(mkdtempSync(join(tmpdir(), 'rsn-gpu-check-')), 'check.json');
  let run: Run;
  beforeAll(async () => {
    run = await check(['--quick', '--json', json], { ...process.env, [SOFTWARE_ENV]: '1' });
  }, 600_000);

  it('exits 0 and names the adapter', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^adapter: (software|hardware): \S.*$/m);
  });

  it('runs every conformance case on that adapter, none failing', () => {
    const line = /^conformance: (\d+) passed, (\d+) failed on (software|hardware): /m.exec(run.stdout);
    expect(line, run.stdout).not.toBeNull();
    expect(Number(line![1])).toBeGreaterThan(100);
    expect(Number(line![2])).toBe(0);
    expect(run.stdout).not.toMatch(/FAILED/);
  });

  it('prints a timing row per step kind and T (1 and 2)', () => {
    for (const label of ['natural', 'FGSM', 'PGD-10']) {
      for (const trials of [1, 2]) {
        expect(run.stdout).toMatch(new RegExp(`^${label}\\s+${trials}\\s+\\d+\\.\\d{3}\\s+\\d+\\.\\d\\s+(-\\s+-|\\d+\\.\\d\\s+\\d+\\.\\d{2}x)$`, 'm'));
      }
    }
    expect(run.stdout).toMatch(/^PyTorch: (skipped: .+|torch \S+ on .+)$/m);
    expect(run.stdout).toMatch(/^evaluation pass .*: FGSM [\d.]+ us .*, PGD-10 [\d.]+ us .* per network-image$/m);
  });

  it('counts every step kind at T = 1, 10 and 160, or says that the stack exceeds the device\'s buffer limit', () => {
    for (const trials of [1, 10, 160]) {
      const skipped = new RegExp(`^ {2}T=${trials} not counted: its largest buffer \\(\\d+ bytes\\) exceeds the device's \\d+$`, 'm').test(run.stdout);
      for (const label of ['natural', 'FGSM', 'PGD-10']) {
        const row = new RegExp(`^ {2}${label}\\s+${trials}\\s+\\d+\\s+\\d+\\s+\\d+\\s`, 'm').test(run.stdout);
        expect(row !== skipped, `${label} at T=${trials}: a count row, or the line saying why not (not both)`).toBe(true);
      }
    }
    // llvmpipe binds at most 128 MiB: T = 1 and 10 fit, so they are counted.
    expect(run.stdout).toMatch(/^ {2}PGD-10\s+10\s+\d+/m);
  });

  it('counts an evaluation per attack at T = 1 and 2, the same figures as the JSON', () => {
    expect(run.stdout).toMatch(/^what one evaluation asks of the device \(a validation and a test set of 20 images each kept there, batches of 10; /m);
    const written = JSON.parse(readFileSync(json, 'utf8')) as { evaluationCounts: { attack: string; trials: number; batches: number; dispatches: number; bytesRead: number }[] };
    expect(written.evaluationCounts.map((c) => `${c.attack} ${c.trials}`)).toEqual(['fgsm 1', 'pgd 1', 'fgsm 2', 'pgd 2']);
    for (const c of written.evaluationCounts) {
      const label = c.attack === 'fgsm' ? 'FGSM' : 'PGD-10';
      expect(run.stdout).toMatch(new RegExp(`^ {2}${label}\\s+${c.trials}\\s+${c.batches}\\s+${c.dispatches}\\s+\\d+\\s+\\d+\\s+.*\\s${c.bytesRead} B$`, 'm'));
    }
  });

  it('prints the projection formula and both projections', () => {
    expect(run.stdout).toMatch(/^projection formula:$/m);
    expect(run.stdout).toMatch(/^ {2}training = sum over step programs of rounds x steps per round x ceil\(networks \/ T\)/m);
    expect(run.stdout).toMatch(/^ {2}evaluation = sum over attacks of networks x evaluations x /m);
    expect(run.stdout).toMatch(/^projection paper preset: [\d.]+ h \(training [\d.]+ h, evaluation [\d.]+ h\); 120 networks: /m);
    expect(run.stdout).toMatch(/^projection Tables 1-2: [\d.]+ h \(training [\d.]+ h, evaluation [\d.]+ h\); 40 networks: /m);
    for (const label of ['natural', 'FGSM', 'PGD-10']) expect(run.stdout).toMatch(new RegExp(`^ {2}training ${label}: \\d+ networks x [\\d,]+ steps as \\d+ x T=\\d+ `, 'm'));
  });

  it('prints every target with a verdict', () => {
    const targets = run.stdout.split('\n').filter((l) => l.startsWith('target: '));
    expect(targets).toHaveLength(7);
    for (const t of targets) expect(t).toMatch(/: (met|not met|not measured)( \(.*\))?$/);
    expect(targets.at(-1)).toMatch(/^target: Tables 1-2 projected under one hour: [\d.]+ h: (met|not met)$/);
  });

  it('writes the same figures as JSON', () => {
    const written = JSON.parse(readFileSync(json, 'utf8')) as { conformance: { passed: number; failed: unknown[] }; steps: { kind: string; trials: number }[]; quick: boolean };
    expect(written.quick).toBe(true);
    expect(written.conformance.failed).toEqual([]);
    expect(written.steps.map((s) => `${s.kind} ${s.trials}`).sort()).toEqual(['fgsm 1', 'fgsm 2', 'natural 1', 'natural 2', 'pgd 1', 'pgd 2']);
  });
});

describe('the GPU check refuses to run where it cannot', () => {
  const sync = (args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });

  it('without a hardware adapter and without RSN_WEBGPU_SOFTWARE=1: the backend\'s BackendError, exit 1', (ctx) => {
    const env = { ...process.env };
    delete env[SOFTWARE_ENV];
    const result = sync(['--quick', '--trials', '1'], env);
    if (result.status === 0 && /^adapter: hardware: /m.test(result.stdout)) ctx.skip(); // a GPU is here
    expect(result.status, result.stdout).toBe(1);
    expect(result.stderr).toMatch(/bench:gpu: BackendError: backend 'webgpu' (found no hardware WebGPU adapter|needs the npm package webgpu)/);
    expect(result.stderr).toMatch(/->/);
  }, 120_000);

  it('bad options: exit 2 with the usage', () => {
    const result = sync(['--trials', '0,x'], process.env);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--trials takes whole numbers >= 1');
    expect(result.stderr).toContain('usage: npm run bench:gpu');
  });
});
