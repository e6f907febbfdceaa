/**
 * Whole training steps of dense-300-100 at batch 60 (and, through modelStepChecks, of any model at any batch),
 * same seed, weights, masks and data on both backends. The
 * steps run synchronously; their losses, adversarial batch and weights are read with `await Tensor.data()` after
 * (asynchronous on webgpu), so one list serves every backend.
 *
 * Tolerances. The loss is a float32 reduction over 60 x 784 products: rtol 1e-5. Weights after an Adam step:
 * in its first steps Adam moves each weight by about lr * sign(g) (|step| <= lr = 1.2e-3), so backends agree
 * to rounding except where |g| is within float noise of 0, where the step changes by about lr * dg / 1e-7
 * (eps = 1e-7); float32 noise in g (~1e-9 for these sums) keeps that under 1e-5 = 1% of lr: atol 1e-5.
 * Attacks take sign(grad_x): a pixel whose gradient is within rounding of 0 can flip sign on another backend
 * (a legitimate difference), so adversarial examples must agree on all but 0.1% of pixels, and the step is
 * compared twice: from the reference's adversarial batch (tight tolerances above) and end to end (the loss
 * within 1e-3, at most 1% of weights beyond atol, none beyond two Adam steps: 2.4e-3).
 */
import type { Backend, HostData } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, keep, tidy } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { liveTensorCount } from '../../core/autodiff/tensor.js';
import { attackSpec, craft, type AttackName } from '../../core/attacks/index.js';
import { Adam } from '../../core/nn/adam.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import {
  classifierOf, createNetwork, DENSE_300_100, disposeNetwork, initialWeights, inputSize, type ModelSpec, type ParameterArrays,
} from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';
import { check, checkClose, checkSame, on, type ConformanceCase } from './case.js';

const LOSS_TOL = { rtol: 1e-5, atol: 1e-6 };
const WEIGHT_TOL = { rtol: 1e-5, atol: 1e-5 };
const BATCH = 60;

interface Problem {
  spec: ModelSpec;
  batch: number;
  weights: ParameterArrays;
  masks: ParameterArrays;
  x: Float32Array;
  targets: Float32Array;
  /** PGD's iterations (the protocol's 10 unless a slow oracle asks for fewer). */
  pgdIterations: number;
}

/**
 * MNIST-like inputs (60% exact zeros), random labels with 0.1 label smoothing, a fraction `pruned` of each kernel's
 * weights pruned at random (biases never).
 */
function problem(seed: number, spec: ModelSpec = DENSE_300_100, batch = BATCH, pgdIterations = 10, pruned = 0.3): Problem {
  const rng = new Rng(seed);
  const weights = initialWeights(spec, rng);
  const masks = weights.map((w, i) => Float32Array.from(w, () => (spec.parameters[i]!.kind === 'bias' || rng.next() >= pruned ? 1 : 0)));
  const x = Float32Array.from({ length: batch * inputSize(spec) }, () => (rng.next() < 0.6 ? 0 : rng.next()));
  const labels = Array.from({ length: batch }, () => rng.int(spec.classes));
  return { spec, batch, weights, masks, x, targets: smoothedTargets(labels, spec.classes, 0.1), pgdIterations };
}

interface StepResult {
  losses: number[];
  weights: ParameterArrays;
  xAdv?: HostData;
}

/** `steps` training steps from the problem's state; `attack` crafts x_adv (PGD's random start from Rng(99)). */
async function run(backend: Backend, p: Problem, steps: number, attack?: AttackName, givenAdv?: HostData): Promise<StepResult> {
  const { net, adam, losses, firstAdv } = on(backend, () => {
    const net = createNetwork(p.spec, p.weights, p.masks);
    const adam = new Adam();
    const x = keep(fromHost(p.x, [p.batch, inputSize(p.spec)]));
    const y = keep(fromHost(p.targets, [p.batch, p.spec.classes]));
    const rng = new Rng(99);
    const losses: Tensor[] = [];
    let firstAdv: Tensor | undefined;
    for (let s = 0; s < steps; s++) {
      let xAdv: Tensor | undefined;
      if (givenAdv) xAdv = keep(fromHost(givenAdv, [p.batch, inputSize(p.spec)]));
      else if (attack) xAdv = keep(tidy(() => craft(attackSpec(attack, { iterations: p.pgdIterations }), classifierOf(net), x, rng)));
      losses.push(trainStep(net, adam, x, y, 0, xAdv));
      if (s === 0) firstAdv = xAdv;
      else disposeAll([xAdv]);
    }
    disposeAll([x, y]);
    return { net, adam, losses, firstAdv };
  });
  try {
    const [lossValues, weights, xAdv] = await Promise.all([
      Promise.all(losses.map(async (l) => (await l.data())[0]!)),
      Promise.all(net.weights.map(async (w) => (await w.data()) as Float32Array)),
      firstAdv?.data(),
    ]);
    return { losses: lossValues, weights, xAdv };
  } finally {
    disposeAll([losses, firstAdv]);
    disposeNetwork(net);
    adam.reset();
  }
}

const closeArrays = (what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { rtol: number; atol: number }) =>
  checkClose(what, Float32Array.from(actual), Float32Array.from(expected), tol);

/** Fraction of elements farther apart than atol, and the largest difference. */
function mismatch(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): { fraction: number; worst: number } {
  let n = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > atol) n++;
    worst = Math.max(worst, d);
  }
  return { fraction: n / a.length, worst };
}

function adversarialCase(attack: AttackName, p: Problem, prefix = ''): ConformanceCase {
  return {
    group: 'training steps', name: `${prefix}an ${attack.toUpperCase()}-adversarial training step matches the reference`,
    run: async ({ backend, reference }) => {
      const want = await run(reference, p, 1, attack);
      const got = await run(backend, p, 1, attack);
      const adv = mismatch(got.xAdv!, want.xAdv!, 1e-5);
      check(adv.fraction <= 1e-3, `${(adv.fraction * 100).toFixed(3)}% of adversarial pixels differ (at most 0.1% may; worst ${adv.worst})`);
      // From the reference's adversarial batch: only the training step is compared.
      const shared = await run(backend, p, 1, undefined, want.xAdv);
      closeArrays('loss from the shared adversarial batch', shared.losses, want.losses, LOSS_TOL);
      shared.weights.forEach((w, i) => closeArrays(`layer ${i} weights from the shared adversarial batch`, w, want.weights[i]!, WEIGHT_TOL));
      closeArrays('end-to-end loss', got.losses, want.losses, { rtol: 1e-3, atol: 1e-5 });
      got.weights.forEach((w, i) => {
        const m = mismatch(w, want.weights[i]!, WEIGHT_TOL.atol);
        // One adversarial pixel that differs (allowed above: a sign of a near-zero input gradient) reaches one row of
        // a dense kernel, but every filter weight of a convolution, and of every convolution after it: Adam's first
        // step turns each small gradient whose sign it changes into 2 lr. With convolutions and such a pixel, the
        // step itself is judged by the shared adversarial batch above.
        const convolutional = p.spec.parameters.some((q) => q.role === 'conv');
        if (!convolutional || adv.fraction === 0) {
          check(m.fraction <= 0.01, `layer ${i}: ${(m.fraction * 100).toFixed(2)}% of weights beyond ${WEIGHT_TOL.atol} (at most 1% may)`);
        }
        check(m.worst <= 2.4e-3, `layer ${i}: largest weight difference ${m.worst} (at most 2.4e-3)`);
      });
    },
  };
}

/** Live handles, core tensors and (on the tfjs backends) tfjs engine tensors. */
const counts = (backend: Backend): number[] => {
  const engine = 'engineTensors' in backend ? (backend as { engineTensors(): number }).engineTensors() : 0;
  return [backend.liveHandles(), liveTensorCount(), engine];
};

const naturalCase = (p: Problem, prefix = ''): ConformanceCase => ({
  group: 'training steps', name: `${prefix}two natural training steps match the reference (loss and updated weights)`,
  run: async ({ backend, reference }) => {
    const got = await run(backend, p, 2);
    const want = await run(reference, p, 2);
    closeArrays('losses', got.losses, want.losses, LOSS_TOL);
    got.weights.forEach((w, i) => closeArrays(`layer ${i} weights`, w, want.weights[i]!, WEIGHT_TOL));
  },
});

/** Natural, FGSM and PGD training steps of dense-300-100 at batch 60 against the reference; determinism; no leaks. */
export const stepChecks = (): ConformanceCase[] => checksOf(problem(2024));

/**
 * The same checks on another model, batch size, number of PGD iterations (a model whose reference steps are slow
 * takes a smaller batch and fewer iterations) and fraction of kernel weights pruned (0.3); their names say which.
 */
export function modelStepChecks(spec: ModelSpec, { batch = BATCH, pgdIterations = 10, pruned = 0.3, seed = 2024 } = {}): ConformanceCase[] {
  const prefix = `${spec.name}, batch ${batch}, PGD-${pgdIterations}, ${Math.round(pruned * 100)}% of kernel weights pruned: `;
  return checksOf(problem(seed, spec, batch, pgdIterations, pruned), prefix);
}

function checksOf(p: Problem, prefix = ''): ConformanceCase[] {
  const group = 'training steps';
  return [
    naturalCase(p, prefix),
    adversarialCase('fgsm', p, prefix),
    adversarialCase('pgd', p, prefix),
    {
      group, name: `${prefix}gives the same bits when a step is run twice (deterministic kernels)`,
      run: async ({ backend }) => {
        const first = await run(backend, p, 1, 'pgd');
        const second = await run(backend, p, 1, 'pgd');
        checkSame('losses of the second run', second.losses, first.losses);
        first.weights.forEach((w, i) => check(Buffer.from(second.weights[i]!.buffer).equals(Buffer.from(w.buffer)), `layer ${i}: the second run's weights differ`));
      },
    },
    {
      group, name: `${prefix}leaks no tensor or handle over many natural, FGSM and PGD steps`,
      run: async ({ backend }) => {
        const cycle = async () => {
          await run(backend, p, 2);
          await run(backend, p, 2, 'fgsm');
          await run(backend, p, 2, 'pgd');
        };
        await cycle();
        const before = counts(backend);
        for (let i = 0; i < 3; i++) await cycle();
        checkSame('live handles, core tensors, tfjs engine tensors (after, before)', counts(backend), before);
      },
    },
  ];
}
