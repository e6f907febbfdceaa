import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, toCsv } from '../../core/results/csv.js';
import { decodeNpy, encodeNpy, NpyFormatError } from '../../core/results/npy.js';

const hasNumpy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('.npy files', () => {
  it('round-trip any float32 array and shape', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1e6 }), (shape, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i) * 1e3));
        const bytes = encodeNpy(values, shape);
        expect((bytes.length - values.byteLength) % 64).toBe(0);
        const decoded = decodeNpy(bytes);
        expect(decoded.shape).toEqual(shape);
        expect(Array.from(decoded.values)).toEqual(Array.from(values));
      }),
      { seed: 5, numRuns: 50 },
    );
  });

  it('rejects truncated and foreign files', () => {
    const bytes = encodeNpy(new Float32Array(6), [2, 3]);
    expect(() => decodeNpy(bytes.subarray(0, bytes.length - 1), 'w.npy')).toThrow(NpyFormatError);
    expect(() => decodeNpy(new Uint8Array([1, 2, 3]), 'x.npy')).toThrow(/not a .npy file/);
  });

  it.skipIf(!hasNumpy)('loads in numpy with the same values (skipped without python3-numpy)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsn-npy-'));
    const values = Float32Array.from([1.5, -2, 0.25, 3, 4, 5]);
    writeFileSync(join(dir, 'a.npy'), encodeNpy(values, [2, 3]));
    const out = execFileSync('python3', ['-c', `import numpy as np; a = np.load('${join(dir, 'a.npy')}'); print(a.dtype, a.shape, a.sum())`]).toString();
    expect(out.trim()).toBe('float32 (2, 3) 11.75');
  });
});

describe('CSV metrics', () => {
  it('round-trips numbers, NaN and text', () => {
    const rows = [{ batch: 0, loss: 2.302585092994046, acc: 0.1, adv_acc: NaN }, { batch: 500, loss: 0.25, acc: 0.95, adv_acc: 0.5 }];
    const text = toCsv(['batch', 'loss', 'acc', 'adv_acc'], rows);
    expect(text.split('\n')[0]).toBe('batch,loss,acc,adv_acc');
    const parsed = parseCsv(text);
    expect(parsed[1]).toEqual(rows[1]);
    expect(Number.isNaN(parsed[0]!.adv_acc)).toBe(true);
    expect(parsed[0]!.loss).toBe(2.302585092994046);
  });
});
