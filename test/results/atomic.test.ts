/** Atomic writes: a write that fails (a full disk) names the file and what to do, and leaves no temporary file. */
import { existsSync, lstatSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileWriteError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/results/atomic.js';

describe('writeFileAtomic', () => {
  it('writes the whole content under the name', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rsn-atomic-')), 'a', 'b.json');
    writeFileAtomic(file, '{"x": 1}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"x": 1}\n');
  });

  // /dev/full answers every write with ENOSPC: the temporary file made a link to it is a disk that is full.
  it.skipIf(!existsSync('/dev/full'))('on a full disk: a FileWriteError naming the file and what to do (not a bare "ENOSPC ..., write"); no temporary file left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsn-atomic-'));
    const file = join(dir, 'post_kernels.npy');
    const temporary = `${file}.tmp-${process.pid}`;
    symlinkSync('/dev/full', temporary);
    let error: unknown;
    try {
      writeFileAtomic(file, new Uint8Array(4096));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FileWriteError);
    expect((error as Error).message).toContain(`cannot write ${file}: no space left on the device (ENOSPC)`);
    expect((error as Error).message).toContain(`df -h '${dir}'`);
    expect((error as Error).message).toContain('completed rounds are kept');
    expect(lstatSync(temporary, { throwIfNoEntry: false })).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });
});
