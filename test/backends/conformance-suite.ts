import { describe } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { primitiveConformance } from './primitive-suite.js';
import { stepConformance } from './step-suite.js';
import { tryLoad } from './support.js';

/**
 * The conformance suite of one registered backend against the reference backend: every primitive (forward
 * and gradient), whole training steps, and leak checks. A backend that does not load on this machine is
 * skipped, with the reason in the suite's title.
 */
export async function conformanceSuite(name: string): Promise<void> {
  const loaded = await tryLoad(name);
  const title = loaded.backend ? `backend '${name}' conforms to the reference` : `backend '${name}' (skipped: ${loaded.reason})`;
  const get = (): Backend => loaded.backend!;
  if (!loaded.backend) console.warn(`conformance: skipping backend '${name}': ${loaded.reason}`);
  describe.skipIf(!loaded.backend)(title, () => {
    describe('primitives', () => primitiveConformance(get));
    describe('training steps', () => stepConformance(get));
  });
}
