/**
 * A disk that fills up during rsn train: the run stops with the file it could not write and what to do, not with
 * "ENOSPC: no space left on device, write". Needs a small file system of its own: a tmpfs, which only root can
 * mount (skipped otherwise).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, rsn, SMALL } from '../support/rsn-cli.js';

function smallDisk(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rsn-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}

const disk = smallDisk();

describe.skipIf(disk === undefined)(`a full disk${disk === undefined ? ' (skipped: needs root and tmpfs)' : ''}`, () => {
  it('rsn train names the file it could not write, and says to free space and run the same command again', async () => {
    try {
      const base = join(disk!, 'results');
      mkdirSync(base);
      const result = await rsn(['train', '--base_dir', base, ...SMALL]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`cannot write ${base}/\\S+\\.npy: no space left on the device \\(ENOSPC\\)`));
      expect(result.stderr).toContain('df -h');
      expect(result.stderr).toContain('run the same command again');
      expect(hasStackTrace(result.stderr)).toBe(false);
    } finally {
      execFileSync('umount', [disk!]);
    }
  }, 120_000);
});
