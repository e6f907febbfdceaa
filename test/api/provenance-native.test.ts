/** The backend details a trial manifest records for the native backend: its OpenBLAS build and thread count. */
import { describe, expect, it } from 'vitest';
import { backendDetails } from '../../api/provenance.js';
import { native } from '../backends/native/support.js';

describe.skipIf(!native.backend)(`native backend details${native.reason ? ` (skipped: ${native.reason})` : ''}`, () => {
  it('name the BLAS build and its threads', () => {
    const details = backendDetails(native.backend!);
    expect(String(details.blas)).toMatch(/OpenBLAS/i);
    expect(details.blas_threads).toBe(1);
    expect(details.adapter).toContain('native');
  });
});
