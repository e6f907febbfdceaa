/** rsn's package root (its package.json, native/ and bin/ lie there) is the checkout, whether the sources or dist/ run. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../core/experiment/provenance.js';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const compiled = new URL('../../dist/core/experiment/provenance.js', import.meta.url);

describe('packageRoot', () => {
  it('is the checkout from the sources', () => {
    expect(packageRoot()).toBe(root);
  });

  it.skipIf(!existsSync(compiled))('is the checkout from dist/, which holds no package.json of its own (skipped: dist/ not built)', async () => {
    expect(existsSync(new URL('../../dist/package.json', import.meta.url))).toBe(false);
    const { packageRoot: fromDist } = (await import(compiled.href)) as typeof import('../../core/experiment/provenance.js');
    expect(fromDist()).toBe(root);
  });
});
