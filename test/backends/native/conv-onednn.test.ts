/**
 * Convolutions on oneDNN's primitives (native/src/conv_onednn.c): which kernel each layer of lenet5 and cnn-madry
 * runs on, per library of the addon's products (a table derived by hand from conv.c's rule); random problems on
 * the oneDNN path against the reference backend within the float32 accumulation bound; and the same bits when a
 * geometry's primitive has been dropped from the per-thread cache and created again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NativeBackend } from '../../../backends/native/index.js';
import { convGeometry } from '../../../backends/native/conv.js';
import { CONV_PRIMITIVES, convCaseArb, convKind, convProblemArb, expectConvAgrees, expectModelConvPlans } from './conv-support.js';
import { expectIdentical, native, runKernel, suiteTitle } from './support.js';
import { loadAddon } from '../../../backends/native/addon.js';
import { Rng } from '../../../core/nn/rng.js';

const FC = { seed: 20261207, numRuns: 40 };
const library = (native.backend as NativeBackend | undefined)?.products().library;

describe.skipIf(!native.backend)(suiteTitle('convolutions on oneDNN primitives'), () => {
  it(`plans the layers of lenet5 and cnn-madry as the rule says for this build (${library})`, () => {
    expectModelConvPlans(loadAddon(), library!);
  });

  // More than 16 output channels and 8 or more input channels: all three convolutions on oneDNN in its builds.
  const wide = convProblemArb(8, 40, { cin: [8, 24], cout: [17, 40] });
  for (const p of CONV_PRIMITIVES) {
    it(`${p} with 8-24 input and 17-40 output channels, within the float32 accumulation bound of the reference`, () => {
      const kind = convKind(p);
      fc.assert(fc.property(convCaseArb(p, wide), ([problem, a, b]) => {
        // On oneDNN no problem of these shapes may fall back to the addon's kernels (a primitive oneDNN refused).
        const kernel = loadAddon().convPlan(kind, convGeometry(problem.x, problem.filter, problem.padding)).kernel;
        const oneByOne = problem.filter[0] === 1 && problem.filter[1] === 1; // a plain product on either library
        if (problem.x[0]! > 0) expect(kernel).toBe(oneByOne ? 'matmul' : library === 'onednn' ? 'onednn' : 'im2col');
        expectConvAgrees(p, problem, a, b);
      }), FC);
    });
  }

  it('gives the same bits after its cached primitives were dropped and created again (20 geometries, 16 kept)', () => {
    const rng = new Rng(7);
    const cases = Array.from({ length: 20 }, (_, i) => {
      const x = [2, 6 + (i % 5), 5 + (i % 4), 8 + i] as const;
      const filter = [3, 3, 8 + i, 20] as const;
      return {
        x: { values: Array.from(rng.uniformArray(x[0] * x[1] * x[2] * x[3], -1, 1)), shape: [...x] },
        filter: { values: Array.from(rng.uniformArray(3 * 3 * x[3] * 20, -1, 1)), shape: [...filter] },
      };
    });
    const run = () => cases.map((c) => runKernel(native.backend!, 'conv2d', [c.x, c.filter], { padding: 'same' }).values);
    const first = run();
    const second = run();
    first.forEach((values, i) => expectIdentical(second[i]!, values, `geometry ${i}`));
  });
});
