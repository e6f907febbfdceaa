/**
 * Models that own their parameters (core/nn/models/): sizes by hand, logits of every model, the MLP kernels never
 * reaching another model, training through the host fallback of a backend without convolution kernels, and the
 * mask invariants on convolution kernels through training, pruning, resets and every strategy.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { withoutOptionalPrimitives, type Backend, type HostData } from '../../core/autodiff/backend.js';
import { fromHost, setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import { attackSpec, craft } from '../../core/attacks/index.js';
import { DEFAULT_CONFIG, STRATEGIES, type ExperimentConfig } from '../../core/experiment/config.js';
import { evaluate } from '../../core/experiment/evaluate.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runTrial } from '../../core/experiment/runner.js';
import { Adam } from '../../core/nn/adam.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import {
  classifierOf, createNetwork, disposeNetwork, initialWeights, logits, MODELS, modelSpec, readParameters, type ModelSpec,
} from '../../core/nn/model.js';
import { CNN_MADRY, LENET5, parameterSize } from '../../core/nn/models/index.js';
import { Rng } from '../../core/nn/rng.js';
import { uniformSource } from '../../core/nn/trial-rngs.js';
import { trainStep } from '../../core/nn/train-step.js';
import { countOnes, roundHalfEven } from '../../core/pruning/magnitude.js';
import { pruneRates } from '../../core/pruning/rates.js';
import * as paths from '../../core/results/paths.js';
import { claimConfigDir, loadKernels } from '../../core/results/store.js';
import { syntheticSet } from '../support/synthetic.js';

const reference = createReferenceBackend('float32');
const count = (spec: ModelSpec) => spec.parameters.reduce((n, p) => n + parameterSize(p), 0);

describe('the models', () => {
  it('have the sizes their architectures imply (counted by hand)', () => {
    // dense-300-100: 784*300 + 300*100 + 100*10, no biases.
    expect(count(modelSpec('dense-300-100'))).toBe(235200 + 30000 + 1000);
    // LeNet-5: 5*5*1*6+6, 5*5*6*16+16, 400*120+120, 120*84+84, 84*10+10 (400 = 5*5*16 after two poolings).
    expect(count(LENET5)).toBe(156 + 2416 + 48120 + 10164 + 850);
    // Madry et al.: 5*5*1*32+32, 5*5*32*64+64, 3136*1024+1024 (3136 = 7*7*64), 1024*10+10.
    expect(count(CNN_MADRY)).toBe(832 + 51264 + 3212288 + 10250);
  });

  it('prune convolutions at 10%, dense layers at 20%, the output at 10%, biases never; overridable by name', () => {
    expect(pruneRates(LENET5)).toEqual([0.1, 0, 0.1, 0, 0.2, 0, 0.2, 0, 0.1, 0]);
    expect(pruneRates(LENET5, 'conv_1=0.15, output=0.05')).toEqual([0.15, 0, 0.1, 0, 0.2, 0, 0.2, 0, 0.05, 0]);
    expect(() => pruneRates(LENET5, 'conv_1_bias=0.1')).toThrow(/bias, and biases are never pruned/);
    expect(() => pruneRates(LENET5, 'conv_9=0.1')).toThrow(/no parameter 'conv_9'.*|conv_1, conv_2/);
    expect(() => pruneRates(LENET5, 'conv_1=1')).toThrow(/in \[0, 1\); got '1'/);
    expect(() => pruneRates(LENET5, 'conv_1')).toThrow(/not name=rate/);
  });

  for (const spec of Object.values(MODELS)) {
    it(`${spec.name}: logits [n, classes] from flattened images, on the reference backend`, () => {
      setActiveBackend(reference);
      const rng = new Rng(1);
      tidy(() => {
        const net = createNetwork(spec, initialWeights(spec, rng));
        const x = fromHost(rng.uniformArray(2 * 784, 0, 1), [2, 784]);
        const out = logits(classifierOf(net), x);
        expect(out.shape).toEqual([2, spec.classes]);
        expect([...out.dataSync()].every(Number.isFinite)).toBe(true);
        disposeNetwork(net);
      });
    });
  }
});

/** One natural, one FGSM and one PGD adversarial step and an evaluation of `spec` on `backend`; the weights after. */
async function exercise(backend: Backend, spec: ModelSpec, seed: number): Promise<Float32Array[]> {
  setActiveBackend(backend);
  const rng = new Rng(seed);
  const net = createNetwork(spec, initialWeights(spec, rng));
  const adam = new Adam();
  const labels = Array.from({ length: 6 }, () => rng.int(10));
  const images = rng.uniformArray(6 * 784, 0, 1);
  const attackRng = uniformSource([rng.derive(7)]);
  for (const attack of [undefined, 'fgsm', 'pgd'] as const) {
    tidy(() => {
      const x = fromHost(images, [6, 784]);
      const y = fromHost(smoothedTargets(labels, 10, 0.1), [6, 10]);
      const adversarial = attack ? (c: Parameters<typeof craft>[1]) => craft(attackSpec(attack, { iterations: 2 }), c, x, attackRng) : undefined;
      trainStep(net, adam, x, y, 1e-4, adversarial).dispose();
    });
  }
  const set = syntheticSet(8, seed, 0);
  const classifier = tidy(() => classifierOf(net));
  await evaluate(classifier, [set], attackSpec('pgd', { iterations: 2 }), 4, uniformSource([rng.derive(8)]));
  classifier.params.forEach((t) => t.dispose());
  const weights = readParameters(net.weights);
  disposeNetwork(net);
  adam.reset();
  return weights;
}

/** The reference backend with the MLP custom kernels present: each records that it was called, then declines. */
function withSpyingMlpKernels(): { backend: Backend<HostData>; called: string[] } {
  const called: string[] = [];
  const decline = (name: string) => () => (called.push(name), undefined);
  const names = ['mlpForward', 'mlpInputGradient', 'mlpTrainingGradients', 'fgsmAttack', 'pgdAttack'];
  return { called, backend: { ...createReferenceBackend('float32'), custom: Object.fromEntries(names.map((n) => [n, decline(n)])) } };
}

describe('custom kernels belong to a model', () => {
  it('the MLP kernels are asked for dense-300-100 (the spy works) and never handed lenet5 or cnn-madry', async () => {
    const mlp = withSpyingMlpKernels();
    await exercise(mlp.backend, modelSpec('dense-300-100'), 3);
    expect(new Set(mlp.called)).toEqual(new Set(['mlpForward', 'mlpInputGradient', 'mlpTrainingGradients', 'fgsmAttack', 'pgdAttack']));
    const conv = withSpyingMlpKernels();
    await exercise(conv.backend, LENET5, 3);
    expect(conv.called).toEqual([]);
  });
});

describe('a backend without convolution and pooling kernels', () => {
  it('trains lenet5 through the host fallback, to the same bits as the reference backend', async () => {
    const direct = await exercise(createReferenceBackend('float32'), LENET5, 11);
    const fallback = withoutOptionalPrimitives(createReferenceBackend('float32'));
    expect(fallback.optionalPrimitives).toBeUndefined();
    const through = await exercise(fallback, LENET5, 11);
    through.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(direct[i]!.buffer)), LENET5.parameters[i]!.name).toBe(true));
  });
});

describe('masks on convolution kernels (lenet5, every strategy)', () => {
  const data: PreparedData = { train: syntheticSet(24, 1, 0.1), valid: syntheticSet(8, 2, 0.1), test: syntheticSet(8, 3, 0) };
  const config = (experiment: ExperimentConfig['experiment'], seed: number, advTrain: boolean): ExperimentConfig => ({
    ...DEFAULT_CONFIG, model: 'lenet5', experiment, seed, adv_train: advTrain, trials: 1, train_iters: 2, eval_every: 2,
    prune_iters: 2, batch_size: 12, eval_batch_size: 8, attack: 'fgsm', reset_to: 'init', l1_reg: advTrain ? 0 : 1e-4,
  });

  it('pruned positions stay zero through training, masks only lose ones, at the model\'s rates; biases are never pruned', async () => {
    setActiveBackend(reference);
    const strategies = STRATEGIES.filter((s) => s !== 'no_pruning');
    await fc.assert(fc.asyncProperty(fc.constantFrom(...strategies), fc.integer({ min: 0, max: 1000 }), fc.boolean(), async (strategy, seed, adv) => {
      const c = config(strategy, seed, adv);
      const dir = mkdtempSync(join(tmpdir(), 'rsn-conv-masks-'));
      claimConfigDir(dir, 'test', c, false);
      await runTrial(c, data, 0, { configDir: dir, backend: 'reference' });
      const trial = paths.trialDir(dir, 0);
      const rates = pruneRates(LENET5);
      let previous = loadKernels(trial, 0, 'masks', LENET5);
      for (let round = 1; round <= 2; round++) {
        const masks = loadKernels(trial, round, 'masks', LENET5);
        const start = loadKernels(trial, round, 'init_kernels', LENET5);
        const trained = loadKernels(trial, round, 'post_kernels', LENET5);
        LENET5.parameters.forEach((p, i) => {
          masks[i]!.forEach((m, k) => {
            if (m === 0) {
              expect(previous[i]![k] === 0 || p.kind === 'kernel', `${p.name}: a bias lost a weight`).toBe(true);
              expect(trained[i]![k], `${p.name}[${k}] moved although pruned (round ${round})`).toBe(start[i]![k]);
            } else {
              expect(previous[i]![k], `${p.name}[${k}] came back`).toBe(1);
            }
          });
          const before = countOnes(previous[i]!);
          // Without ties the original rule removes round(rate n) + 1 of n; rate 0 removes none.
          const removed = rates[i] === 0 ? 0 : roundHalfEven(rates[i]! * before) + 1;
          expect(countOnes(masks[i]!), `${p.name} in round ${round}`).toBe(before - removed);
        });
        previous = masks;
      }
    }), { seed: 5, numRuns: 4 });
  }, 240_000);
});
