/**
 * The webgpu backend's cross-entropy kernels (backends/webgpu/kernels/cross-entropy.ts: crossEntropy and
 * crossEntropyGradient) against the compositions that define them (core/nn/loss.ts), run by the same backend
 * without them (withoutCustomKernels): the same float32 operations in the same order on the same device, so the
 * loss per network and the gradient with respect to the logits must be identical bit for bit, in both loss
 * forms, for one network [n, classes] and stacks [T, n, classes], with logits large enough that the softmax
 * saturates (the clipped form's clip is then active), smoothed and one-hot targets. Each test checks that the
 * kernels really ran and did not decline, so a silent fallback to the composition cannot pass for them.
 * On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason where no
 * adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withoutCustomKernels, type Backend } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, keep, tidy } from '../../core/autodiff/engine.js';
import { valuesAndGradOfSum } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { Shape } from '../../core/autodiff/primitives.js';
import { sizeOf } from '../../core/autodiff/shapes.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec } from '../../core/attacks/attack.js';
import { craft } from '../../core/attacks/index.js';
import { ADAM_DEFAULTS, Adam } from '../../core/nn/adam.js';
import { customOp } from '../../core/nn/custom-ops.js';
import { LOSS_FORMS, crossEntropyGradient, networkCrossEntropy, smoothedTargets, type LossForm } from '../../core/nn/loss.js';
import { createStackedNetwork, disposeNetwork, fullMasks, initialWeights, mlp, type Classifier } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { expectIdentical, on, requireWebgpuUnderCi, tryLoad } from './support.js';
import { expectKernelRan, readOutputs, readWithKernels, spyOnKernel, withoutKernels } from './kernel-checks.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const gpu = loaded.backend as WebgpuBackend | undefined;
const FC = { seed: 20240612, numRuns: 30 } as const;

requireWebgpuUnderCi(loaded, 'webgpu-cross-entropy');

type KernelName = 'crossEntropy' | 'crossEntropyGradient';

/** One case: logits and targets [...networks, n, classes], the form, and a cotangent per network. */
interface Case {
  readonly shape: Shape;
  readonly logits: Float32Array;
  readonly targets: Float32Array;
  readonly cotangents: Float32Array;
  readonly form: LossForm;
}

/** Logits of ordinary size, and saturating ones: the softmax then rounds to 0 and 1 and the clip bounds bind. */
const logitScales = fc.constantFrom(1, 4, 40, 200, 3e4);

/** [n, classes] (one network) or [T, n, classes] with T = 1..3; n up to 70 (past one workgroup's 64 lanes). */
const shapes = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 12 }))
  .map(([networks, rows, classes]) => (networks === 0 ? [rows, classes] : [networks, rows, classes]) as Shape);

const cases: fc.Arbitrary<Case> = fc.tuple(shapes, logitScales, fc.constantFrom(0, 0.1), fc.constantFrom(...LOSS_FORMS), fc.integer())
  .map(([shape, scale, smoothing, form, seed]) => {
    const rng = new Rng(seed >>> 0);
    const classes = shape.at(-1)!;
    const examples = sizeOf(shape) / classes;
    const labels = Array.from({ length: examples }, () => rng.int(classes));
    const networks = sizeOf(shape.slice(0, -2));
    return {
      shape,
      logits: rng.uniformArray(sizeOf(shape), -scale, scale),
      targets: smoothedTargets(labels, classes, smoothing),
      // What reaches each network's loss in training (1, or 0.5 with adversarial examples) and other values.
      cotangents: Float32Array.from({ length: networks }, (_, t) => [1, 0.5, -1.75][t % 3]! * (1 + rng.next())),
      form,
    };
  });

/**
 * The loss per network, and by autodiff of sum(loss * cotangents) the loss again and the logits' gradient, whose
 * backward pass hands each network's loss its cotangent; then the gradient as the custom op called directly
 * (its composition: grad.ts, vjp).
 */
const evaluate = ({ shape, logits, targets, cotangents, form }: Case) => (): Tensor[] => {
  const z = fromHost(logits, shape);
  const t = fromHost(targets, shape);
  const perNetwork = shape.slice(0, -2);
  const c = fromHost(cotangents, perNetwork);
  const loss = networkCrossEntropy(z, t, form);
  const { value, grads } = valuesAndGradOfSum((x: Tensor) => op.mul(networkCrossEntropy(x, t, form), c))(z);
  return [loss, value, grads[0]!, crossEntropyGradient(z, t, form, c)];
};

/** The calls of each kernel during fn on the backend, each checked not to have declined. */
const fusedRun = (calls: Record<KernelName, number>, fn: () => Tensor[]) => readWithKernels(gpu!, calls, fn);

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!gpu)('webgpu cross-entropy kernels equal their compositions', () => {
  it('loss and gradient, both forms, one network and T = 1..3 stacked, saturating logits, smoothed and one-hot targets', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        // The loss twice (alone and under the gradient), the gradient twice (in the backward pass and called directly).
        const fused = await fusedRun({ crossEntropy: 2, crossEntropyGradient: 2 }, evaluate(c));
        const composed = await readOutputs(withoutCustomKernels(gpu!), evaluate(c));
        const names = ['loss', 'loss under the gradient', 'gradient (backward pass)', 'gradient (custom op)'];
        fused.forEach((values, k) => expectIdentical(values, composed[k]!, `${c.form} [${c.shape}] ${names[k]}`));
        // The gradient of the backward pass and the custom op's composition (vjp) agree too.
        expectIdentical(composed[3]!, composed[2]!, `${c.form} [${c.shape}] vjp against the backward pass`);
      }),
      FC,
    );
  });

  it('the clip binds: saturated probabilities give the clipped loss and pass no gradient, bit for bit', async () => {
    const shape: Shape = [2, 3, 4];
    const logits = Float32Array.of(90, -90, 0, 1, 0, 0, 0, 0, -3e4, 3e4, 1, 2, 5, 5, 5, 5, 1e4, 1e4, -1e4, 0, 0.5, -0.5, 80, -80);
    const targets = smoothedTargets([1, 3, 0, 2, 0, 3], 4, 0);
    const c: Case = { shape, logits, targets, cotangents: Float32Array.of(1, 0.5), form: 'clipped_probabilities' };
    const fused = await fusedRun({ crossEntropy: 2, crossEntropyGradient: 2 }, evaluate(c));
    const composed = await readOutputs(withoutCustomKernels(gpu!), evaluate(c));
    fused.forEach((values, k) => expectIdentical(values, composed[k]!, `output ${k}`));
    // Rows 0 and 2 put p = 0 on their true class, clipped to 1e-7: the loss is at most -log(1e-7) per row.
    expect(fused[0]![0]).toBeGreaterThan(5);
    expect(fused[0]![0]).toBeLessThanOrEqual(16.2);
  });

  it('each runs as one dispatch, whatever the number of networks and rows', async () => {
    const rng = new Rng(9);
    for (const shape of [[60, 10], [3, 60, 10], [2, 130, 7]] as Shape[]) {
      for (const form of LOSS_FORMS) {
        const [z, t, g] = on(gpu!, () => [fromHost(rng.uniformArray(sizeOf(shape), -5, 5), shape), fromHost(rng.uniformArray(sizeOf(shape), 0, 1), shape),
          fromHost(rng.uniformArray(sizeOf(shape.slice(0, -2)), 0, 1), shape.slice(0, -2))]);
        const unused = (): Tensor[] => expect.fail('the composition ran: the kernel declined');
        for (const fn of [
          () => customOp('crossEntropy', { logits: z!, targets: t! }, { form }, unused, [shape.slice(0, -2)]),
          () => customOp('crossEntropyGradient', { logits: z!, targets: t!, cotangent: g! }, { form }, unused, [shape]),
        ]) {
          const before = gpu!.stats().dispatches;
          const outputs = on(gpu!, () => tidy(fn));
          expect(gpu!.stats().dispatches - before, `${form} [${shape}]`).toBe(1);
          await Promise.all(outputs.map((o) => o.data()));
          disposeAll(outputs);
        }
        disposeAll([z, t, g]);
      }
    }
  });

  it('training steps in both loss forms, one network and 2 stacked (natural, then FGSM): weights and losses identical with and without the kernels', async () => {
    const spec = mlp('mlp-6-5-3', [6, 5, 3]);
    const batch = 4;
    const train = async (backend: Backend, form: LossForm, trials: number): Promise<Float32Array[]> => {
      const rng = new Rng(31 + trials);
      const net = on(backend, () => createStackedNetwork(spec, Array.from({ length: trials }, () => initialWeights(spec, rng)), Array.from({ length: trials }, () => fullMasks(spec))));
      const lead = trials === 1 ? [] : [trials];
      const labels = Array.from({ length: trials * batch }, () => rng.int(3));
      // Inputs far from 0 give large logits, which saturate the softmax of some rows.
      const [x, y] = on(backend, () => [
        keep(fromHost(rng.uniformArray(trials * batch * 6, -40, 40), [...lead, batch, 6])),
        keep(fromHost(smoothedTargets(labels, 3, 0.1), [...lead, batch, 3])),
      ]);
      const adam = new Adam({ ...ADAM_DEFAULTS, learningRate: 0.05 });
      const fgsm = attackSpec('fgsm', { clipMin: -40, clipMax: 40 });
      const losses = [undefined, fgsm].map((attack) =>
        on(backend, () => trainStep(net, adam, x!, y!, 0, attack ? (c: Classifier) => craft(attack, c, x!, rng) : undefined, form)));
      try {
        return await Promise.all([...losses, ...net.weights].map(async (t) => (await t.data()) as Float32Array));
      } finally {
        disposeAll([losses, x!, y!]);
        disposeNetwork(net);
        adam.reset();
      }
    };
    for (const form of LOSS_FORMS) {
      for (const trials of [1, 2]) {
        // The loss and its gradient: once natural, then for FGSM's two training batches (its input gradient is the
        // kernel mlpInputGradient, which runs no other), where the step's gradients are not one kernel.
        const spies = (['crossEntropy', 'crossEntropyGradient'] as const).map((name) => [name, spyOnKernel(gpu!, name)] as const);
        const withKernels = await train(withoutKernels(gpu!, ['mlpTrainingGradients']), form, trials);
        for (const [name, spy] of spies) expectKernelRan(spy, `${form} ${name}`, 3);
        vi.restoreAllMocks();
        const composed = await train(withoutCustomKernels(gpu!), form, trials);
        withKernels.forEach((values, k) => expectIdentical(values, composed[k]!, `${form} T=${trials} tensor ${k}`));
      }
    }
  });

  it('declines targets of another shape (the composition broadcasts them) and records no kernel when the targets are differentiated', async () => {
    const spy = spyOnKernel(gpu!, 'crossEntropy');
    const logits = Float32Array.of(1, 2, 3, -1, 0, 4);
    const targets = Float32Array.of(0, 1, 0);
    const broadcast = () => [networkCrossEntropy(fromHost(logits, [2, 3]), fromHost(targets, [3]))];
    const [viaKernel] = await readOutputs(gpu!, broadcast);
    expect(spy).toHaveBeenCalledOnce();
    expect(spy.mock.results[0]!.value).toBeUndefined();
    expectIdentical(viaKernel!, (await readOutputs(withoutCustomKernels(gpu!), broadcast))[0]!, 'broadcast targets');
    spy.mockClear();
    const withTargets = () => {
      const { grads } = valuesAndGradOfSum((z: Tensor, t: Tensor) => networkCrossEntropy(z, t))(fromHost(logits, [2, 3]), fromHost(Float32Array.of(0, 1, 0, 1, 0, 0), [2, 3]));
      return grads;
    };
    const fused = await readOutputs(gpu!, withTargets);
    expect(spy).not.toHaveBeenCalled();
    (await readOutputs(withoutCustomKernels(gpu!), withTargets)).forEach((values, k) => expectIdentical(fused[k]!, values, `gradient ${k}`));
  });
});
