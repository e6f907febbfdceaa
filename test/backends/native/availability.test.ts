/**
 * Whether the native addon loads here. Where it does not, every native suite is skipped and this test says why
 * (and how to build it); with RSN_REQUIRE_NATIVE=1 (set by .ci/run, which installs the build tools) it fails.
 */
import { describe, expect, it } from 'vitest';
import { backendNames } from '../../../backends/registry.js';
import { native } from './support.js';

describe('native backend availability', () => {
  it('is registered, so that the conformance suite picks it up', () => {
    expect(backendNames()).toContain('native');
  });

  it('loads, or says why not and what to run', (context) => {
    if (native.backend) {
      expect(native.backend.name).toBe('native');
      return;
    }
    expect(native.reason).toMatch(/npm run build:native/);
    if (process.env.RSN_REQUIRE_NATIVE === '1') expect.fail(`RSN_REQUIRE_NATIVE=1 but ${native.reason}`);
    console.warn(`native backend tests skipped: ${native.reason}`);
    context.skip(native.reason);
  });
});
