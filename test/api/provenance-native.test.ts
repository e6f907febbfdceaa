/** The backend details a trial manifest records for the native backend: the library of its products, its build and threads. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendDetails } from '../../api/provenance.js';
import { native } from '../backends/native/support.js';

describe.skipIf(!native.backend)(`native backend details${native.reason ? ` (skipped: ${native.reason})` : ''}`, () => {
  it('name the library of the matrix products, its build and its threads', () => {
    const details = backendDetails(native.backend!);
    expect(['onednn', 'openblas']).toContain(details.products);
    expect(String(details.products_build)).toMatch(details.products === 'onednn' ? /^oneDNN \d+\.\d+/ : /OpenBLAS/i);
    expect(details.products_threads).toBe(1);
    expect(details.adapter).toContain('native');
  });

  it('is built on oneDNN where its header is installed, unless RSN_NATIVE_BLAS chose (native/install.cjs)', (context) => {
    const header = process.platform === 'linux' && ['/usr/include', '/usr/local/include'].some((d) => existsSync(`${d}/oneapi/dnnl/dnnl.h`));
    if (!header || process.env.RSN_NATIVE_BLAS) context.skip('not Linux with oneDNN\'s header installed, or RSN_NATIVE_BLAS chose the library');
    expect(backendDetails(native.backend!).products).toBe('onednn');
  });
});
