import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { prepareBaseDir } from '../../core/results/base-dir.js';

describe('prepareBaseDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'rsn-basedir-'));

  it('creates a missing folder and returns its absolute path', () => {
    const dir = prepareBaseDir(join(root, 'a', 'b'));
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('refuses an empty name, a file, and a path under a file', () => {
    const file = join(root, 'f');
    writeFileSync(file, '');
    expect(() => prepareBaseDir('')).toThrow(/--base_dir is empty/);
    expect(() => prepareBaseDir(file)).toThrow(ConfigError);
    expect(() => prepareBaseDir(file)).toThrow(/is a file, not a folder/);
    expect(() => prepareBaseDir(join(file, 'x', 'y'))).toThrow(/lies under .*f, which is a file/);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder it cannot write (not testable as root)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsn-ro-'));
    chmodSync(dir, 0o500);
    expect(() => prepareBaseDir(join(dir, 'x'))).toThrow(/is not writable/);
  });
});
