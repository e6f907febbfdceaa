/**
 * The native backend's whole-attack kernels (fgsmAttack, pgdAttack: core/nn/custom-ops.ts) against their
 * compositions run by the same backend with those two kernels taken away, so that the compositions' parts
 * (mlpForward, mlpInputGradient, signStep, pgdStep) run on their own kernels: the adversarial examples must be
 * identical bit for bit, on dense weights and on masked weights that the sparse kernels multiply. Each case also
 * checks that the fused kernel ran (once) and that no handle is left behind.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../../../core/autodiff/backend.js';
import { disposeAll, fromHost, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { attackSpec, craft, type AttackName } from '../../../core/attacks/index.js';
import { createNativeBackend, type NativeBackend } from '../../../backends/native/index.js';
import { loadAddon } from '../../../backends/native/addon.js';
import { Adam } from '../../../core/nn/adam.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { createNetwork, DENSE_300_100, disposeNetwork, initialWeights, logits, type Classifier } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';
import { trainStep } from '../../../core/nn/train-step.js';
import { ALWAYS_SPARSE } from './sparse-support.js';
import { expectIdentical, native, suiteTitle, withoutAttackKernels } from './support.js';
import { mlpClassifier } from '../../support/classifier.js';

interface Case {
  readonly attack: AttackName;
  readonly randomStart: boolean;
  readonly density: number;
  readonly batch: number;
  readonly clip: readonly [number, number];
}

/** Adversarial examples of `c` on `backend`, from weights (masked by density) and a batch made from `seed`. */
function attackOn(backend: Backend, c: Case, seed: number): Float32Array {
  setActiveBackend(backend);
  const rng = new Rng(seed);
  const layers = [[784, 300], [300, 100], [100, 10]] as const;
  const weights = layers.map(([i, o]) => rng.uniformArray(i * o, -0.1, 0.1));
  const masks = layers.map(([i, o]) => Float32Array.from({ length: i * o }, () => (rng.next() < c.density ? 1 : 0)));
  const x = Float32Array.from({ length: c.batch * 784 }, () => (rng.next() < 0.5 ? 0 : rng.next()));
  const before = backend.liveHandles();
  const out = tidy(() => {
    const effective: Tensor[] = layers.map(([i, o], k) => op.mul(fromHost(weights[k]!, [i, o]), fromHost(masks[k]!, [i, o])));
    const spec = attackSpec(c.attack, { randomStart: c.randomStart, clipMin: c.clip[0], clipMax: c.clip[1] });
    const adv = craft(spec, mlpClassifier(effective), fromHost(x, [c.batch, 784]), new Rng(seed + 1));
    const values = adv.dataSync() as Float32Array;
    disposeAll([effective]);
    return values;
  });
  expect(backend.liveHandles(), 'handles after the attack').toBe(before);
  return out;
}

const CASES: Case[] = [
  { attack: 'fgsm', randomStart: false, density: 1, batch: 60, clip: [0, 1] },
  { attack: 'fgsm', randomStart: false, density: 0.05, batch: 60, clip: [0, 1] },
  { attack: 'fgsm', randomStart: false, density: 0.3, batch: 7, clip: [0.1, 0.9] },
  { attack: 'pgd', randomStart: true, density: 1, batch: 60, clip: [0, 1] },
  { attack: 'pgd', randomStart: true, density: 0.05, batch: 60, clip: [0, 1] },
  { attack: 'pgd', randomStart: false, density: 0.02, batch: 130, clip: [0, 1] },
  { attack: 'pgd', randomStart: true, density: 0.3, batch: 3, clip: [0.2, 0.7] },
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!native.backend)(suiteTitle('whole-attack kernels equal their compositions'), () => {
  for (const c of CASES) {
    const name = `${c.attack}${c.attack === 'pgd' ? (c.randomStart ? ' (random start)' : ' (no random start)') : ''}, ` +
      `${c.density * 100}% of weights, batch ${c.batch}, clip [${c.clip.join(', ')}]`;
    it(name, () => {
      // Sparse below 25% density with the backend's own crossover; ALWAYS_SPARSE sends every mask there.
      const backend: NativeBackend = createNativeBackend(c.density < 1 && c.density >= 0.25 ? { sparse: ALWAYS_SPARSE } : {});
      const kernel = c.attack === 'fgsm' ? 'fgsmAttack' : 'pgdAttack';
      const spy = vi.spyOn(backend.custom as Record<string, (...args: never[]) => unknown>, kernel);
      const fused = attackOn(backend, c, 11);
      expect(spy).toHaveBeenCalledOnce();
      expect(spy.mock.results[0]!.value, 'the kernel did not decline').toBeDefined();
      const parts = attackOn(withoutAttackKernels(backend), c, 11);
      expect(spy).toHaveBeenCalledOnce();
      expectIdentical(fused, parts, `${kernel} vs its composition`);
      if (c.density < 1) expect(backend.sparseCounts().products, 'sparse products ran').toBeGreaterThan(0);
      backend.close?.();
    });
  }

  it('declines stacked networks (a trial axis), which run the composition', () => {
    const backend = createNativeBackend();
    setActiveBackend(backend);
    const spy = vi.spyOn(backend.custom as Record<string, (...args: never[]) => unknown>, 'fgsmAttack');
    const rng = new Rng(3);
    tidy(() => {
      const effective = [fromHost(rng.uniformArray(2 * 6 * 4, -1, 1), [2, 6, 4]), fromHost(rng.uniformArray(2 * 4 * 3, -1, 1), [2, 4, 3])];
      const x = fromHost(rng.uniformArray(2 * 5 * 6, 0, 1), [2, 5, 6]);
      const adv = craft(attackSpec('fgsm'), mlpClassifier(effective), x, new Rng(4));
      expect(adv.shape).toEqual([2, 5, 6]);
    });
    expect(spy).toHaveBeenCalledOnce();
    expect(spy.mock.results[0]!.value).toBeUndefined();
    backend.close?.();
  });

  it('joinLanes: the lanes of [a; b] from the lanes of a and b equal toLanes of the joined batch', () => {
    const addon = loadAddon();
    const rng = new Rng(8);
    for (const [m, cols] of [[60, 784], [1, 3], [32, 10], [64, 5], [100, 17]] as const) {
      const [a, b] = [rng.uniformArray(m * cols, -1, 1), rng.uniformArray(m * cols, -1, 1)];
      const lanesOf = (x: Float32Array, rows: number) => {
        const t = new Float32Array(cols * addon.lanes(rows)).fill(Number.NaN);
        addon.toLanes(x, rows, cols, t);
        return t;
      };
      const joined = new Float32Array(cols * addon.lanes(2 * m)).fill(Number.NaN);
      addon.joinLanes(lanesOf(a, m), lanesOf(b, m), m, cols, joined);
      const both = new Float32Array(2 * m * cols);
      both.set(a);
      both.set(b, m * cols);
      expectIdentical(joined, lanesOf(both, 2 * m), `m ${m}, cols ${cols}`);
    }
  });

  for (const attack of ['fgsm', 'pgd'] as const) {
    it(`an adversarial training step (${attack}) whose halves come in lanes trains as one given row-major halves`, () => {
      const backend = createNativeBackend();
      setActiveBackend(backend);
      const rng = new Rng(21);
      const masks = DENSE_300_100.parameters.map((l) => Float32Array.from({ length: l.fanIn * l.fanOut }, () => (rng.next() < 0.05 ? 1 : 0)));
      const weights = initialWeights(DENSE_300_100, rng);
      const xs = Float32Array.from({ length: 60 * 784 }, () => (rng.next() < 0.5 ? 0 : rng.next()));
      const targets = smoothedTargets(Array.from({ length: 60 }, () => rng.int(10)), 10, 0.1);
      let adv: Float32Array | undefined;
      /** One step: crafting the attack in the step (its result and x keep lane forms), or given `adv` as a fresh upload. */
      const train = (given: boolean): Float32Array[] => tidy(() => {
        const net = createNetwork(DENSE_300_100, weights, masks);
        const adam = new Adam();
        const x = fromHost(xs, [60, 784]);
        const y = fromHost(targets, [60, 10]);
        const adversarial = given
          ? fromHost(adv!, [60, 784])
          : (c: Classifier) => {
            const made = craft(attackSpec(attack), c, x, new Rng(5));
            adv = Float32Array.from(made.dataSync()); // reading writes row-major values too; the lane form stays
            return made;
          };
        const loss = trainStep(net, adam, x, y, 0, adversarial);
        const out = [Float32Array.from(loss.dataSync()), ...net.weights.map((w) => Float32Array.from(w.dataSync()))];
        loss.dispose();
        disposeNetwork(net);
        adam.reset();
        return out;
      });
      const inLanes = train(false);
      const rowMajor = train(true);
      inLanes.forEach((values, k) => expectIdentical(values, rowMajor[k]!, k === 0 ? 'loss' : `weights of layer ${k}`));
      expect(backend.liveHandles()).toBe(0);
      backend.close?.();
    });
  }

  describe('the forward pass kept from the logits of a batch', () => {
    const layers = [[784, 300], [300, 100], [100, 10]] as const;

    /** Logits then an attack on the same batch (as evaluation does), with weights masked to 5% (sparse products). */
    const logitsThenAttack = (backend: Backend, attack: AttackName, xs: Float32Array, weights: readonly Float32Array[], attackWeights = weights) => {
      setActiveBackend(backend);
      const masks = layers.map(([i, o], k) => Float32Array.from({ length: i * o }, (_, p) => ((p * 7 + k) % 20 === 0 ? 1 : 0)));
      return tidy(() => {
        const x = fromHost(xs, [xs.length / 784, 784]);
        const masked = (arrays: readonly Float32Array[]) => layers.map(([i, o], k) => op.mul(fromHost(arrays[k]!, [i, o]), fromHost(masks[k]!, [i, o])));
        const forLogits = masked(weights);
        const natural = logits(mlpClassifier(forLogits), x).dataSync();
        const effective = attackWeights === weights ? forLogits : masked(attackWeights);
        return [Float32Array.from(natural), Float32Array.from(craft(attackSpec(attack), mlpClassifier(effective), x, new Rng(2)).dataSync())];
      });
    };

    for (const attack of ['fgsm', 'pgd'] as const) {
      it(`${attack}: serves the attack's labels (one forward pass fewer) with the same bits, and only for the same batch and weights`, () => {
        const rng = new Rng(30);
        const weights = layers.map(([i, o]) => rng.uniformArray(i * o, -0.1, 0.1));
        const other = layers.map(([i, o]) => rng.uniformArray(i * o, -0.1, 0.1));
        const xs = Float32Array.from({ length: 50 * 784 }, () => rng.next());
        const backend = createNativeBackend();
        const oracle = withoutAttackKernels(createNativeBackend());
        const products = () => backend.sparseCounts().products;
        const before = products();
        const [natural, adv] = logitsThenAttack(backend, attack, xs, weights);
        // Logits: 3 products. The attack, with no forward pass for its labels: FGSM one backward pass, PGD its
        // 10 iterations of a forward and a backward pass.
        const attackPasses = attack === 'pgd' ? 60 : 3;
        expect(products() - before, 'sparse products').toBe(3 + attackPasses);
        const [wantNatural, wantAdv] = logitsThenAttack(oracle, attack, xs, weights);
        expectIdentical(natural!, wantNatural!, 'logits');
        expectIdentical(adv!, wantAdv!, 'adversarial examples after the logits of their batch');
        // Other weights for the attack (other handles): the kept pass must not serve it.
        const mid = products();
        expectIdentical(logitsThenAttack(backend, attack, xs, weights, other)[1]!, logitsThenAttack(oracle, attack, xs, weights, other)[1]!, 'other weights');
        expect(products() - mid, 'sparse products with other weights: the labels\' pass made again').toBe(3 + 3 + attackPasses);
        expect(backend.liveHandles()).toBe(0);
        expect(backend.sparseCounts().held, 'kept buffers given back when the batch was disposed').toBe(0);
      });
    }

    it('is dropped with its batch: a recycled buffer with new values is attacked on its own values', () => {
      const rng = new Rng(31);
      const weights = layers.map(([i, o]) => rng.uniformArray(i * o, -0.1, 0.1));
      const [first, second] = [Float32Array.from({ length: 20 * 784 }, () => rng.next()), Float32Array.from({ length: 20 * 784 }, () => rng.next())];
      const backend = createNativeBackend();
      setActiveBackend(backend);
      const got = tidy(() => {
        const effective = layers.map(([i, o], k) => fromHost(weights[k]!, [i, o]));
        tidy(() => void logits(mlpClassifier(effective), fromHost(first, [20, 784])).dataSync());
        // The pool hands the disposed batch's buffer to the next upload of its size.
        return Float32Array.from(craft(attackSpec('fgsm'), mlpClassifier(effective), fromHost(second, [20, 784]), new Rng(2)).dataSync());
      });
      const oracle = withoutAttackKernels(createNativeBackend());
      setActiveBackend(oracle);
      const want = tidy(() => Float32Array.from(craft(attackSpec('fgsm'), mlpClassifier(layers.map(([i, o], k) => fromHost(weights[k]!, [i, o]))), fromHost(second, [20, 784]), new Rng(2)).dataSync()));
      expectIdentical(got, want, 'attack on the second batch');
    });
  });
});
