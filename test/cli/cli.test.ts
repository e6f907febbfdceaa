import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFIG_FIELDS, DEFAULT_CONFIG } from '../../core/experiment/config.js';

const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/rsn.js', ...args], { env: { ...process.env, RSN_BACKEND: 'reference' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('rsn command line', () => {
  it('lists its commands', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    for (const name of ['train', 'bench', 'backends']) expect(stdout).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
    expect(stdout).not.toMatch(/_worker/);
  });

  it('documents every flag of rsn train with its default', async () => {
    const { stdout } = await run('train', '--help');
    for (const field of CONFIG_FIELDS) {
      const start = stdout.indexOf(`--${field.key} `);
      expect(start, field.key).toBeGreaterThan(0);
      const entry = stdout.slice(start).split(/\n\s{2}-/)[0]!.replace(/\s+/g, ' ');
      if (field.kind !== 'bool') expect(entry, field.key).toContain(`default: ${JSON.stringify(DEFAULT_CONFIG[field.key])})`);
    }
    for (const flag of ['--base_dir', '--backend', '--data_dir', '--force', '--experiment_id', '--devices', '(also -lr)', '(also -l1)']) expect(stdout).toContain(flag);
  });

  it('fails with a message that says what to do', async () => {
    const bad = await run('train', '--batch_size', 'ten');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--batch_size takes a whole number');
    const dataset = await run('train', '--dataset', 'cifar');
    expect(dataset.code).not.toBe(0);
    expect(dataset.stderr).toContain('--dataset must be one of digits, fashion');
    const backend = await run('train', '--backend', 'tpu', '--base_dir', mkdtempSync(join(tmpdir(), 'rsn-cli-')));
    expect(backend.code).not.toBe(0);
    expect(backend.stderr).toMatch(/unknown backend 'tpu'[\s\S]*rsn backends/);
    const lr = await run('train', '-lr', '-1');
    expect(lr.code).not.toBe(0);
    expect(lr.stderr).toContain('--learning_rate must be > 0');
  });

  it('lists the bench jobs of a preset, one per line, and honours --shard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsn-list-'));
    const all = await run('bench', '--preset', 'quick', '--list', '--base_dir', dir);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n')).toHaveLength(24);
    const shard = await run('bench', '--preset', 'quick', '--list', '--base_dir', dir, '--shard', '1/5', '--trials', '2');
    const indices = shard.stdout.trim().split('\n').map((l) => Number(l.split('\t')[0]));
    // 24 configurations x 2 trials = 48 jobs; shard 1/5 holds those with index mod 5 = 1.
    expect(indices).toEqual(Array.from({ length: 48 }, (_, k) => k).filter((k) => k % 5 === 1));
  });
});
