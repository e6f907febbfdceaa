/**
 * The addon built on the other library of the matrix products (native/install.cjs, RSN_NATIVE_BLAS): where the
 * default build is on oneDNN, the same sources built on OpenBLAS in a folder of their own (and the other way
 * round where oneDNN is installed but not the default), then a small conformance check of that build: it names
 * its library, its convolutions run on the kernels its library's rule gives and agree with the reference, its
 * products and epilogues pass the checks of products.test.ts, its whole attacks equal their
 * compositions bit for bit (dense and sparse), and training steps agree with the reference backend.
 * Skipped, with the reason, where the other library is not installed; RSN_REQUIRE_NATIVE=1 (CI) makes that a
 * failure.
 */
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon, type ProductLibrary } from '../../../backends/native/addon.js';
import { buildAddonOn } from '../../../backends/native/build.js';
import { createNativeBackend, type NativeBackend } from '../../../backends/native/index.js';
import { disposeAll, fromHost, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import { attackSpec, craft } from '../../../core/attacks/index.js';
import { DENSE_300_100, initialWeights } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';
import { CONV_PRIMITIVES, convCaseArb, convProblemArb, expectChunkedConvsAgree, expectConvAgrees, expectModelConvPlans } from './conv-support.js';
import { expectProductsConform } from './products-support.js';
import { ALWAYS_SPARSE } from './sparse-support.js';
import { expectClose, expectIdentical, native, reference, suiteTitle, withoutAttackKernels } from './support.js';
import { finishRun, startRun, stepRun } from '../step-runs.js';

const defaultLibrary: ProductLibrary | undefined = (native.backend as NativeBackend | undefined)?.products().library;
const other: ProductLibrary = defaultLibrary === 'onednn' ? 'openblas' : 'onednn';

let folder: string | undefined;
let built: { addon: NativeAddon; reason?: undefined } | { addon?: undefined; reason: string } = { reason: 'not built yet' };

beforeAll(() => {
  if (!defaultLibrary) return;
  const result = buildAddonOn(other);
  folder = result.folder;
  built = result.reason === undefined ? { addon: loadAddon(result.addonPath) } : { reason: result.reason };
}, 240_000);

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

/** The build on the other library, or skip (fail under RSN_REQUIRE_NATIVE=1) saying why there is none. */
function otherBuild(context: { skip: (note?: string) => void }): NativeAddon {
  if (!built.addon) {
    if (process.env.RSN_REQUIRE_NATIVE === '1') expect.fail(`RSN_REQUIRE_NATIVE=1 but ${built.reason}`);
    context.skip(built.reason);
  }
  return built.addon!;
}

describe.skipIf(!native.backend)(suiteTitle(`the addon built on the other library (${other})`), () => {
  it('names the library it was built on', (context) => {
    const addon = otherBuild(context);
    expect(addon.library()).toBe(other);
    expect(addon.libraryConfig()).toMatch(other === 'onednn' ? /^oneDNN/ : /OpenBLAS/i);
    expect(addon.getThreads()).toBe(1);
  });

  it('plans the convolutions of lenet5 and cnn-madry as its library\'s rule says, and they agree with the reference', (context) => {
    const addon = otherBuild(context);
    expectModelConvPlans(addon, other);
    const backend = createNativeBackend({}, addon);
    const wide = convProblemArb(8, 40, { cin: [8, 24], cout: [17, 40] });
    for (const p of CONV_PRIMITIVES) {
      fc.assert(fc.property(convCaseArb(p, wide), ([problem, a, b]) => expectConvAgrees(p, problem, a, b, backend)), { seed: 11, numRuns: 10 });
    }
    expectChunkedConvsAgree(addon, backend, { seed: 12, numRuns: 2 });
    backend.close?.();
  });

  it('multiplies matrices as products.test.ts requires (float64 oracle, epilogues)', (context) => {
    expectProductsConform(otherBuild(context), 25);
  });

  for (const density of [1, 0.05]) {
    it(`runs PGD-10 as its composition does, bit for bit (${density * 100}% of weights)`, (context) => {
      const backend = createNativeBackend(density < 1 ? { sparse: ALWAYS_SPARSE } : {}, otherBuild(context));
      const rng = new Rng(12);
      const layers = [[784, 300], [300, 100], [100, 10]] as const;
      const weights = layers.map(([i, o]) => rng.uniformArray(i * o, -0.1, 0.1));
      const masks = layers.map(([i, o]) => Float32Array.from({ length: i * o }, () => (rng.next() < density ? 1 : 0)));
      const x = Float32Array.from({ length: 20 * 784 }, () => (rng.next() < 0.5 ? 0 : rng.next()));
      const attack = (b: typeof backend | ReturnType<typeof withoutAttackKernels>) => {
        setActiveBackend(b);
        return tidy(() => {
          const effective = layers.map(([i, o], k) => op.mul(fromHost(weights[k]!, [i, o]), fromHost(masks[k]!, [i, o])));
          const adv = Float32Array.from(craft(attackSpec('pgd'), { spec: DENSE_300_100, params: effective }, fromHost(x, [20, 784]), new Rng(3)).dataSync());
          disposeAll([effective]);
          return adv;
        });
      };
      expectIdentical(attack(backend), attack(withoutAttackKernels(backend)), 'pgdAttack vs its composition');
      if (density < 1) expect(backend.sparseCounts().products).toBeGreaterThan(0);
      expect(backend.liveHandles()).toBe(0);
      backend.close?.();
    });
  }

  it('trains as the reference does: a natural and an FGSM step from the same weights', (context) => {
    const backend = createNativeBackend({}, otherBuild(context));
    const rng = new Rng(5);
    const masks = DENSE_300_100.parameters.map((p) => Float32Array.from({ length: p.shape[0]! * p.shape[1]! }, () => (rng.next() < 0.8 ? 1 : 0)));
    const weights = initialWeights(DENSE_300_100, rng);
    const [got, want] = [startRun(backend, masks, weights), startRun(reference, masks, weights)];
    for (const kind of ['natural', 'fgsm'] as const) {
      const xs = rng.uniformArray(60 * 784, 0, 1);
      const labels = Array.from({ length: 60 }, () => rng.int(10));
      const wanted = stepRun(want, kind, xs, labels);
      // Both train on the reference's adversarial examples, so that the steps compare on the same inputs.
      const gotten = stepRun(got, kind, xs, labels, wanted.adv);
      expectClose(Float32Array.of(gotten.loss), Float32Array.of(wanted.loss), 1e-5, 0, `${kind} loss`);
    }
    const [gotWeights, wantWeights] = [finishRun(got), finishRun(want)];
    // As steps.test.ts: Adam moves a weight by about its learning rate; all but 0.1% agree to 1% of that (a
    // gradient within rounding of 0 may take the other sign's step).
    gotWeights.forEach((w, l) => {
      const off = w.filter((v, i) => Math.abs(v - wantWeights[l]![i]!) > 1.2e-5).length;
      expect(off / w.length, `layer ${l + 1}: fraction of weights apart after two steps`).toBeLessThan(1e-3);
    });
    backend.close?.();
  });
});
