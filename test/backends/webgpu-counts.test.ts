/**
 * What a training step asks of the device, counted on the adapter at hand (llvmpipe in CI), against oracles
 * derived by hand: stacking T networks changes no dispatch, submit or parameter word (one program whatever T);
 * the only upload that grows with T is PGD's random start, 60 x 784 floats per network; a step reads back one
 * float per network (its loss). The fused kernels (backends/webgpu/kernels/custom.ts) save what their
 * compositions would dispatch beyond one, once per Adam parameter and attack step, and beyond two for the loss
 * and its gradient (cross-entropy.ts), once per training batch and attack iteration, and for each hidden layer
 * (dense-relu.ts) beyond one for the product with its ReLU, once per forward pass, and beyond one per cotangent
 * for its gradient, once per backward pass, and for the attacks' input gradient (mlp-input-gradient.ts) beyond one,
 * once per attack iteration, which then runs none of the others; the counts are bounded by the counts before them less that saving,
 * so a change that adds a dispatch or a submit fails.
 */
import { describe, expect, it } from 'vitest';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { MAX_BATCH } from '../../backends/webgpu/queue.js';
import { countStackedSteps, type StepCounts } from '../../benchmarks/perf/gpu/stacked-steps.js';
import type { StepKind } from '../../benchmarks/perf/gpu/workloads.js';
import { withoutCustomKernels, type Backend } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, keep, setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, inputGradient, signStep } from '../../core/attacks/attack.js';
import { projectedStep } from '../../core/attacks/pgd.js';
import { valuesAndGradOfSum } from '../../core/autodiff/grad.js';
import { Adam } from '../../core/nn/adam.js';
import { denseRelu, denseReluGradient } from '../../core/nn/dense-relu.js';
import { networkCrossEntropy } from '../../core/nn/loss.js';
import { DENSE_300_100, mlp } from '../../core/nn/model.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { useBackend } from '../support/backend.js';

// llvmpipe where no hardware adapter exists (CI); see conformance-webgpu.test.ts.
process.env[SOFTWARE_ENV] ??= '1';

const backend = await useBackend('webgpu').then((b) => b as WebgpuBackend, (e: Error) => {
  console.warn(`webgpu-counts: skipping: ${e.message.split('\n')[0]}`);
  return undefined;
});

const RANDOM_START_BYTES = 60 * 784 * 4;

/**
 * A dense-300-100 step's dispatches and submits at T = 1 before the fused kernels (docs/backends.md, the counts
 * table, from `RSN_WEBGPU_SOFTWARE=1 npm run bench:gpu -- --quick`).
 */
const UNFUSED: Readonly<Record<StepKind, { dispatches: number; submits: number }>> = {
  natural: { dispatches: 85, submits: 3 },
  fgsm: { dispatches: 183, submits: 4 },
  pgd: { dispatches: 630, submits: 11 },
};

describe.skipIf(!backend)('webgpu: a stacked step counted', () => {
  const counted = async (trials: number): Promise<StepCounts[]> => {
    setActiveBackend(backend!);
    return countStackedSteps(trials, () => backend!.stats());
  };

  it('T = 1, 2 and 3: the same dispatches, submits and parameter words; uploads grow by the random start only; one float read per network', async () => {
    const [one, two, three] = [await counted(1), await counted(2), await counted(3)];
    for (let k = 0; k < one.length; k++) {
      const [a, b, c] = [one[k]!, two[k]!, three[k]!];
      for (const s of [b, c]) {
        expect(s.dispatches, a.kind).toBe(a.dispatches);
        expect(s.submits, a.kind).toBe(a.submits);
        expect(s.paramBytes, a.kind).toBe(a.paramBytes);
      }
      const perNetwork = a.kind === 'pgd' ? RANDOM_START_BYTES : 0;
      expect(b.bytesUploaded - a.bytesUploaded, a.kind).toBe(perNetwork);
      expect(c.bytesUploaded - b.bytesUploaded, a.kind).toBe(perNetwork);
      for (const [s, trials] of [[a, 1], [b, 2], [c, 3]] as const) expect(s.bytesRead, `${a.kind} T=${trials}`).toBe(4 * trials);
      expect(a.pipelineSwitches).toBeLessThanOrEqual(a.dispatches);
    }
    expect(one.map((s) => s.kind)).toEqual(['natural', 'fgsm', 'pgd']);
    // An attack adds work: FGSM more than natural, PGD-10 more than FGSM.
    expect(one[1]!.dispatches).toBeGreaterThan(one[0]!.dispatches);
    expect(one[2]!.dispatches).toBeGreaterThan(one[1]!.dispatches);
  }, 600_000);

  /** Dispatches recorded by fn on `on` (the backend, or the backend without its custom kernels). */
  const dispatchesOf = (on: Backend, fn: () => Tensor[]): number => {
    setActiveBackend(on);
    const before = backend!.stats().dispatches;
    disposeAll(tidy(fn));
    return backend!.stats().dispatches - before;
  };
  /** The dispatches of one call of each custom op: its composition's (without custom kernels) or the fused kernel's. */
  const callDispatches = (custom: boolean) => {
    const on = custom ? backend! : withoutCustomKernels(backend!);
    // Created on the active backend, whose custom kernels (or none) the call then finds.
    const tensor = () => fromHost(Float32Array.of(0.25, -0.5, 0, 1), [4]);
    // Adam's second step (the first also creates the moments).
    setActiveBackend(on);
    const adam = new Adam();
    const w = keep(fromHost(Float32Array.of(1, 2), [2]));
    disposeAll(adam.apply([w], [w]));
    const logits = () => fromHost(Float32Array.of(0.25, -0.5, 0, 1, 2, -3), [2, 3]);
    const targets = () => fromHost(Float32Array.of(0.1, 0.8, 0.1, 0.8, 0.1, 0.1), [2, 3]);
    const [x, layer, activation] = [() => fromHost(Float32Array.of(1, -2, 3, 0.5, 0, -1), [2, 3]), () => fromHost(Float32Array.of(1, -1, 0.5, 2, -3, 1), [3, 2]),
      () => fromHost(Float32Array.of(0, 2, 0.5, 0), [2, 2])];
    const layerGradient = (inputGradient: boolean, weightGradient: boolean) => () =>
      denseReluGradient(x(), layer(), activation(), activation(), { inputGradient, weightGradient }).filter((t): t is Tensor => t !== undefined);
    const counts = {
      adam: dispatchesOf(on, () => adam.apply([w], [w])),
      signStep: dispatchesOf(on, () => [signStep(tensor(), tensor(), 0.3, attackSpec('fgsm'))]),
      pgdStep: dispatchesOf(on, () => [projectedStep(tensor(), tensor(), tensor(), attackSpec('pgd'))]),
      // The loss and its gradient with respect to the logits: two custom ops, crossEntropy and crossEntropyGradient.
      crossEntropy: dispatchesOf(on, () => {
        const { value, grads } = valuesAndGradOfSum((z: Tensor) => networkCrossEntropy(z, targets()))(logits());
        return [value, ...grads];
      }),
      // A hidden layer (its product and ReLU), and its gradient: both cotangents, that of x alone, that of w alone.
      denseRelu: dispatchesOf(on, () => [denseRelu(x(), layer())]),
      layerGradient: dispatchesOf(on, layerGradient(true, true)),
      layerInputGradient: dispatchesOf(on, layerGradient(true, false)),
      layerWeightGradient: dispatchesOf(on, layerGradient(false, true)),
      // The attacks' input gradient of a network with dense-300-100's three layers, stacked as the steps stack it (T = 1).
      inputGradient: dispatchesOf(on, () => {
        const widths = [3, 4, 2, 3];
        const weights = widths.slice(1).map((out, l) => fromHost(Float32Array.from({ length: widths[l]! * out }, (_, i) => ((i % 5) - 2) / 4), [1, widths[l]!, out]));
        const input = fromHost(Float32Array.of(1, -2, 3, 0.5, 0, -1), [1, 2, 3]);
        return [inputGradient({ spec: mlp('mlp-3-4-2-3', widths), params: weights }, input, fromHost(Float32Array.of(0, 1, 0, 1, 0, 0), [1, 2, 3]))];
      }),
    };
    adam.reset();
    w.dispose();
    return counts;
  };

  it('the fused kernels save their compositions\' dispatches but one (two for the loss and its gradient, one per cotangent for a layer\'s gradient), once per Adam parameter, attack step, loss and hidden layer: counts at most the unfused ones less that', async () => {
    const composed = callDispatches(false);
    const fusedCalls = {
      adam: 1, signStep: 1, pgdStep: 1, crossEntropy: 2, denseRelu: 1, layerGradient: 2, layerInputGradient: 1, layerWeightGradient: 1, inputGradient: 1,
    };
    expect(callDispatches(true)).toEqual(fusedCalls);
    const saved = Object.fromEntries(Object.entries(composed).map(([k, n]) => [k, n - fusedCalls[k as keyof typeof fusedCalls]])) as typeof fusedCalls;
    expect(Math.min(...Object.values(saved))).toBeGreaterThan(0);
    const parameters = DENSE_300_100.parameters.length;
    const hidden = parameters - 1;
    const { iterations } = attackSpec('pgd');
    // Training batches (one natural, two adversarial), and attack iterations (each an input gradient, one kernel).
    const batches: Record<StepKind, number> = { natural: 1, fgsm: 2, pgd: 2 };
    const attackIterations: Record<StepKind, number> = { natural: 0, fgsm: 1, pgd: iterations };
    // The loss and its gradient: once per training batch (an attack iteration's are inside its input gradient).
    const losses = (kind: StepKind) => batches[kind];
    // The hidden layers: forward once per loss and once for an attack's labels; backward once per loss, a training
    // batch's first layer for w alone and the others for both.
    const layers = (kind: StepKind) =>
      hidden * (losses(kind) + Math.min(attackIterations[kind], 1)) * saved.denseRelu
      + batches[kind] * (saved.layerWeightGradient + (hidden - 1) * saved.layerGradient);
    const attack = (kind: StepKind) => attackIterations[kind] * saved.inputGradient;
    const saving: Record<StepKind, number> = {
      natural: parameters * saved.adam + losses('natural') * saved.crossEntropy + layers('natural'),
      fgsm: parameters * saved.adam + saved.signStep + losses('fgsm') * saved.crossEntropy + layers('fgsm') + attack('fgsm'),
      pgd: parameters * saved.adam + iterations * saved.pgdStep + losses('pgd') * saved.crossEntropy + layers('pgd') + attack('pgd'),
    };
    const fused = await counted(1);
    setActiveBackend(withoutCustomKernels(backend!));
    const unfused = await countStackedSteps(1, () => backend!.stats());
    for (const [k, step] of fused.entries()) {
      const { kind } = step;
      // The fused kernels replace their compositions and nothing else; the compositions add no dispatch either.
      expect(unfused[k]!.dispatches - step.dispatches, kind).toBe(saving[kind]);
      expect(unfused[k]!.dispatches, kind).toBeLessThanOrEqual(UNFUSED[kind].dispatches);
      // A regression bound: no step dispatches or submits more than before the fused kernels less their saving.
      expect(step.dispatches, kind).toBeLessThanOrEqual(UNFUSED[kind].dispatches - saving[kind]);
      expect(step.dispatches, kind).toBeLessThan(UNFUSED[kind].dispatches);
      // Batches of MAX_BATCH dispatches, the last one submitted by the loss's read, and the read's own copy.
      expect(step.submits, kind).toBeLessThanOrEqual(Math.ceil(step.dispatches / MAX_BATCH) + 1);
      expect(step.submits, kind).toBeLessThanOrEqual(UNFUSED[kind].submits);
    }
  }, 600_000);
});

