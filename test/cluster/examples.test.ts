/**
 * The cluster examples of docs/cluster.md are the files the tests use, byte for byte, so that the documented
 * example cannot drift from the one Slurm runs (slurm.test.ts). The Slurm script and the Kubernetes manifest both
 * expand to a valid rsn bench command for one shard; the manifest is a valid batch/v1 Job by the Kubernetes API's
 * schema (kubernetes-models), a check that can fail (mutated manifests are refused).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
const SBATCH = 'scripts/cluster/rsn-array.sbatch';
const MANIFEST = 'scripts/cluster/rsn-indexed-job.yaml';
const doc = read('docs/cluster.md');
const blocks = (language: string) => [...doc.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

/** The rows `rsn bench ... --list` prints for a command, run from the checkout. */
function listed(command: string, args: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const out = execFileSync(command, [...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim().split('\n');
}

describe('docs/cluster.md', () => {
  it('shows the Slurm script and the Kubernetes manifest exactly as the files hold them', () => {
    expect(blocks('bash')).toContain(read(SBATCH));
    expect(blocks('yaml')).toContain(read(MANIFEST));
  });
});

describe('the Slurm array script', () => {
  const script = read(SBATCH);

  it('is valid bash, asks for USR1 to the batch shell before the time limit, and execs rsn (so that the signal reaches it)', () => {
    execFileSync('bash', ['-n', resolve(ROOT, SBATCH)]);
    expect(script).toMatch(/^#SBATCH --signal=B:USR1@\d+$/m);
    expect(script).toMatch(/^exec node bin\/rsn\.js bench /m);
    // Every #SBATCH line comes before the first command (sbatch stops reading directives there).
    const lines = script.split('\n');
    const firstCommand = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines.slice(firstCommand).some((l) => l.startsWith('#SBATCH'))).toBe(false);
  });

  it("runs array task 2 of 8's shard of the paper suite, flags after the script overriding its own", () => {
    const env = { SLURM_SUBMIT_DIR: ROOT, SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '8', SLURM_CPUS_PER_TASK: '2' };
    const rows = listed('bash', [resolve(ROOT, SBATCH), '--list', '--base_dir', resolve(ROOT, 'results/never-written')], env);
    // 120 jobs; shard 2 of 8: indices 2, 10, ..., 114.
    expect(rows.map((r) => Number(r.split('\t')[0]))).toEqual(Array.from({ length: 15 }, (_, k) => 2 + 8 * k));
    const quick = listed('bash', [resolve(ROOT, SBATCH), '--preset', 'quick', '--list'], env);
    expect(quick).toHaveLength(3); // 24 jobs: 2, 10, 18
  });
});

describe('the Kubernetes Indexed Job', () => {
  const manifest = parse(read(MANIFEST)) as Record<string, any>;

  it('is a valid batch/v1 Job by the Kubernetes schema', () => {
    expect(() => new Job(manifest as never).validate()).not.toThrow();
  });

  it('would be refused with a wrong completion mode, a count as text, or no template', () => {
    const mutated = (change: (m: Record<string, any>) => void) => {
      const copy = structuredClone(manifest);
      change(copy);
      return () => new Job(copy as never).validate();
    };
    expect(mutated((m) => (m.spec.completionMode = 'Indexd'))).toThrow(/completionMode/);
    expect(mutated((m) => (m.spec.completions = '8'))).toThrow(/completions/);
    expect(mutated((m) => delete m.spec.template)).toThrow(/template/);
    expect(mutated((m) => (m.spec.template.spec.containers[0].command = 'rsn'))).toThrow(/command/);
  });

  it("runs pod 3's shard: the command's shard count is the Job's completions", () => {
    const [shell, flag, command] = manifest.spec.template.spec.containers[0].command as string[];
    expect([shell, flag]).toEqual(['sh', '-c']);
    expect(command).toMatch(new RegExp(`--shard "\\$JOB_COMPLETION_INDEX/${manifest.spec.completions}"`));
    expect(command).toMatch(/^exec node bin\/rsn\.js bench /);
    const local = command!.replace('--base_dir /results', `--base_dir ${resolve(ROOT, 'results/never-written')}`);
    const rows = listed('sh', ['-c', `${local} --list`], { JOB_COMPLETION_INDEX: '3' });
    expect(rows.map((r) => Number(r.split('\t')[0]))).toEqual(Array.from({ length: 15 }, (_, k) => 3 + 8 * k));
  });
});
