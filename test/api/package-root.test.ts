/** rsn's package root (for its git commit in manifests) is the checkout, whether the sources or dist/ run. */
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

  it.skipIf(!existsSync(compiled))('is the checkout from dist/, through its linked package.json (skipped: dist/ not built)', async () => {
    const { packageRoot: fromDist } = (await import(compiled.href)) as typeof import('../../core/experiment/provenance.js');
    expect(fromDist()).toBe(root);
  });
});
