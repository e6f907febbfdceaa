/**
 * What a training step asks of the device, counted on the adapter at hand (llvmpipe in CI), against oracles
 * derived by hand from the kernels a dense-300-100 step is made of (docs/backends.md, "What a step asks of the
 * device"):
 * - stacking T networks changes no dispatch, submit or parameter word (one program whatever T);
 * - a step uploads per network only its batch's row numbers (60 float32) and, for PGD, its generator's state
 *   (four words as eight 16-bit halves in float32), and reads back one float per network (its loss);
 * - a step dispatches exactly its kernels: the gathers of the batch's images and targets, the masked weights
 *   (three storage buffers a layer, as many layers a dispatch as the device's 8 bind), the whole attack (with
 *   PGD's random start before it), the loss with every weight gradient (two dispatches) and Adam on the masked
 *   gradient per weight matrix; no primitive's kernel runs;
 * - the issue's targets: at most 10 / 15 / 40 dispatches (natural / FGSM / PGD-10) and 2 submits, at most 1 KiB
 *   uploaded per network;
 * - an evaluation over sets kept on the device reads one buffer (four values per batch and network), uploads
 *   nothing but PGD's generator states, and dispatches a fixed set of kernels per batch.
 * The fused kernels that whole steps replace (Adam, the attacks' steps, the loss, a hidden layer, the input
 * gradient) still serve other models: each is checked to be one call's dispatches where its composition takes more.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { CommandQueue } from '../../backends/webgpu/queue.js';
import { countEvaluations } from '../../benchmarks/perf/gpu/eval-counts.js';
import { countStackedSteps, BATCH, type StepCounts } from '../../benchmarks/perf/gpu/stacked-steps.js';
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
import { STATE_HALVES } from '../../core/nn/uniform-noise.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { useBackend } from '../support/backend.js';

// llvmpipe where no hardware adapter exists (CI); see conformance-webgpu.test.ts.
process.env[SOFTWARE_ENV] ??= '1';

const backend = await useBackend('webgpu').then((b) => b as WebgpuBackend, (e: Error) => {
  console.warn(`webgpu-counts: skipping: ${e.message.split('\n')[0]}`);
  return undefined;
});

/** A float32 row number per row of the batch. */
const ROW_NUMBER_BYTES = BATCH * 4;
/** A generator's state as float32 halves. */
const STATE_BYTES = STATE_HALVES * 4;
/** The storage buffers per shader stage the device is opened with (backends/webgpu/device.ts): WebGPU's minimum. */
const STORAGE_BUFFERS = 8;
/** Storage buffers per layer of the masked weights: the weight, its mask and the product. */
const MASK_BUFFERS_PER_LAYER = 3;

/** The targets per step kind. */
const TARGETS: Readonly<Record<StepKind, number>> = { natural: 10, fgsm: 15, pgd: 40 };

/** The dispatches of a step by kernel (its program key up to the second colon), derived from what the step runs. */
function expectedKernels(kind: StepKind): Record<string, number> {
  const layers = DENSE_300_100.parameters.length;
  const maskDispatches = Math.ceil(layers / Math.floor(STORAGE_BUFFERS / MASK_BUFFERS_PER_LAYER));
  const attack: Record<StepKind, Record<string, number>> = {
    natural: {},
    fgsm: { 'custom:fgsmAttack': 1 },
    pgd: { 'custom:uniformNoise': 1, 'custom:pgdAttack': 1 },
  };
  return {
    'custom:gatherRows': 2, // images and targets
    'custom:maskWeights': maskDispatches,
    ...attack[kind],
    'custom:mlpTrainingGradients': 2, // the rows' passes, then the weight gradients and the loss
    'custom:maskedAdam': layers,
  };
}

describe.skipIf(!backend)('webgpu: a stacked step counted', () => {
  afterEach(() => vi.restoreAllMocks());

  const counted = async (trials: number): Promise<StepCounts[]> => {
    setActiveBackend(backend!);
    return countStackedSteps(trials, () => backend!.stats());
  };

  it('T = 1, 2 and 3: the same dispatches, submits and parameter words; uploads grow by the row numbers and PGD\'s generator state per network; one float read per network', async () => {
    const [one, two, three] = [await counted(1), await counted(2), await counted(3)];
    expect(one.map((s) => s.kind)).toEqual(['natural', 'fgsm', 'pgd']);
    for (let k = 0; k < one.length; k++) {
      const [a, b, c] = [one[k]!, two[k]!, three[k]!];
      for (const s of [b, c]) {
        expect(s.dispatches, a.kind).toBe(a.dispatches);
        expect(s.submits, a.kind).toBe(a.submits);
        expect(s.paramBytes, a.kind).toBe(a.paramBytes);
      }
      const perNetwork = ROW_NUMBER_BYTES + (a.kind === 'pgd' ? STATE_BYTES : 0);
      expect(b.bytesUploaded - a.bytesUploaded, a.kind).toBe(perNetwork);
      expect(c.bytesUploaded - b.bytesUploaded, a.kind).toBe(perNetwork);
      // What does not grow with T is a few bytes: the step's scalars.
      expect(a.bytesUploaded - perNetwork, a.kind).toBeLessThanOrEqual(16);
      expect(a.bytesUploaded, `${a.kind}: the issue's 1 KiB per network`).toBeLessThanOrEqual(1024);
      for (const [s, trials] of [[a, 1], [b, 2], [c, 3]] as const) expect(s.bytesRead, `${a.kind} T=${trials}`).toBe(4 * trials);
      expect(a.pipelineSwitches).toBeLessThanOrEqual(a.dispatches);
    }
  }, 600_000);

  it('a step dispatches exactly its kernels, within the issue\'s targets: at most 10 / 15 / 40 dispatches and 2 submits', async () => {
    let keys: string[] | undefined;
    const dispatch = CommandQueue.prototype.dispatch;
    vi.spyOn(CommandQueue.prototype, 'dispatch').mockImplementation(function (this: CommandQueue, ...args: Parameters<CommandQueue['dispatch']>) {
      keys?.push(args[0].key.split(':').slice(0, 2).join(':'));
      return dispatch.apply(this, args);
    });
    setActiveBackend(backend!);
    const byKind = new Map<StepKind, Record<string, number>>();
    // The counted step of each kind is the second: recording starts at its `before` and stops at its `after`.
    let calls = 0;
    const steps = await countStackedSteps(1, () => {
      if (calls % 2 === 0) keys = [];
      else {
        const kind = (['natural', 'fgsm', 'pgd'] as const)[(calls - 1) / 2]!;
        byKind.set(kind, Object.fromEntries([...new Set(keys)].map((key) => [key, keys!.filter((k) => k === key).length])));
        keys = undefined;
      }
      calls++;
      return backend!.stats();
    });
    for (const step of steps) {
      expect(byKind.get(step.kind), step.kind).toEqual(expectedKernels(step.kind));
      const expected = Object.values(expectedKernels(step.kind)).reduce((a, b) => a + b, 0);
      expect(step.dispatches, step.kind).toBe(expected);
      expect(step.dispatches, step.kind).toBeLessThanOrEqual(TARGETS[step.kind]);
      expect(step.submits, step.kind).toBeLessThanOrEqual(2);
    }
  }, 600_000);

  it('an evaluation reads one buffer of four values per batch and network, uploads only PGD\'s generator states, and dispatches per batch its gathers, logits, attack, losses, hits and ledger writes', async () => {
    setActiveBackend(backend!);
    const [images, batchSize] = [20, 10];
    const batches = 2 * Math.ceil(images / batchSize);
    const [one, two] = [await countEvaluations(1, images, batchSize, () => backend!.stats()), await countEvaluations(2, images, batchSize, () => backend!.stats())];
    for (const [counts, trials] of [[one, 1], [two, 2]] as const) {
      for (const c of counts) {
        expect(c.batches).toBe(batches);
        // The ledger: natural loss, natural hits, adversarial loss, adversarial hits per batch and network.
        expect(c.bytesRead, `${c.attack} T=${trials}`).toBe(4 * 4 * batches * trials);
        expect(c.bytesUploaded, `${c.attack} T=${trials}`).toBe(c.attack === 'pgd' ? STATE_BYTES * batches * trials : 0);
        expect(c.submits, `${c.attack} T=${trials}`).toBeLessThanOrEqual(Math.ceil(c.dispatches / 64) + 1);
      }
    }
    // Per batch: 3 gathers (images, targets, labels), 2 logits, the attack (PGD: and its random start), 2 losses,
    // 2 x 4 for the hits (argmax, one-hot, product with the labels, sum), 4 ledger writes (a reshape and a where each).
    const perBatch = { fgsm: 3 + 2 + 1 + 2 + 8 + 8, pgd: 3 + 2 + 2 + 2 + 8 + 8 };
    for (const c of one) expect(c.dispatches, c.attack).toBe(perBatch[c.attack] * batches);
    // Stacked networks share the batch: its images and targets are broadcast to the stack, 2 copies a batch.
    for (const [k, c] of two.entries()) expect(c.dispatches - one[k]!.dispatches, c.attack).toBe(2 * batches);
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

  it('the kernels whole steps replace, which other models still run, are one dispatch each (two for the loss and its gradient, one per cotangent for a layer\'s gradient), fewer than their compositions', () => {
    const composed = callDispatches(false);
    const fusedCalls = {
      adam: 1, signStep: 1, pgdStep: 1, crossEntropy: 2, denseRelu: 1, layerGradient: 2, layerInputGradient: 1, layerWeightGradient: 1, inputGradient: 1,
    };
    expect(callDispatches(true)).toEqual(fusedCalls);
    for (const [name, n] of Object.entries(fusedCalls)) expect(composed[name as keyof typeof fusedCalls], name).toBeGreaterThan(n);
  }, 600_000);
});
