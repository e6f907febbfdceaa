import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { checkAppendableFile, checkBaseDir } from '../../core/results/base-dir.js';

describe('checkBaseDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'rsn-basedir-'));

  it('accepts a missing folder under a writable one, returns its absolute path, and creates nothing', () => {
    const dir = checkBaseDir(join(root, 'a', 'b'));
    expect(dir).toBe(join(root, 'a', 'b'));
    expect(existsSync(join(root, 'a'))).toBe(false);
  });

  it('refuses an empty name, a file, and a path under a file', () => {
    const file = join(root, 'f');
    writeFileSync(file, '');
    expect(() => checkBaseDir('')).toThrow(/--base_dir is empty/);
    expect(() => checkBaseDir(file)).toThrow(ConfigError);
    expect(() => checkBaseDir(file)).toThrow(/is a file, not a folder/);
    expect(() => checkBaseDir(join(file, 'x', 'y'))).toThrow(/lies under .*f, which is a file/);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder it cannot write (not testable as root)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsn-ro-'));
    chmodSync(dir, 0o500);
    expect(() => checkBaseDir(join(dir, 'x'))).toThrow(/is not writable/);
  });
});

describe('checkAppendableFile (--log_jsonl)', () => {
  const root = mkdtempSync(join(tmpdir(), 'rsn-logpath-'));

  it('accepts a new file in a missing folder under a writable one, and an existing file; creates nothing', () => {
    expect(checkAppendableFile(join(root, 'logs', 'run.jsonl'), '--log_jsonl')).toBe(join(root, 'logs', 'run.jsonl'));
    expect(existsSync(join(root, 'logs'))).toBe(false);
    writeFileSync(join(root, 'old.jsonl'), '{}\n');
    expect(checkAppendableFile(join(root, 'old.jsonl'), '--log_jsonl')).toBe(join(root, 'old.jsonl'));
  });

  it('refuses a folder, a path under a file and an empty name, naming the path and the flag', () => {
    mkdirSync(join(root, 'a-folder'));
    writeFileSync(join(root, 'a-file'), '');
    expect(() => checkAppendableFile(join(root, 'a-folder'), '--log_jsonl')).toThrow(/cannot open the log .*a-folder: it is a folder \(--log_jsonl\)/);
    expect(() => checkAppendableFile(join(root, 'a-file', 'x.jsonl'), '--log_jsonl')).toThrow(/a-file is a file, not a folder/);
    expect(() => checkAppendableFile('', '--log_jsonl')).toThrow(/--log_jsonl is empty/);
  });
});
