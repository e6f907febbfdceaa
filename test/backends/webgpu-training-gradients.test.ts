/**
 * The webgpu backend's kernel for the custom op mlpTrainingGradients (backends/webgpu/kernels/mlp-training-gradients.ts)
 * against the composition that defines it (nn/train-step.ts, lossAndGradients: reverse-mode autodiff of the
 * training loss), run by the same backend without custom kernels (withoutCustomKernels): the same float32
 * operations in the same order on the same device, so the loss and the weight gradients must be identical bit for
 * bit, with one batch and with a clean and an adversarial batch, in both loss forms, for dense-300-100's widths and
 * small odd ones, plain and stacked (T = 1 and 3; stacked networks equal each network alone). The reference backend
 * agrees within the conformance tolerance. Each test checks that the kernel ran and did not decline; l1 > 0 and an
 * x shared by stacked networks decline. On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here);
 * skipped with the reason where no adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withoutCustomKernels, type Backend } from '../../core/autodiff/backend.js';
import { fromHost } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { smoothedTargets, type LossForm } from '../../core/nn/loss.js';
import { mlp } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { lossAndGradients } from '../../core/nn/train-step.js';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { TOL, compare, oracle, requireWebgpuUnderCi, tryLoad } from './support.js';
import { expectKernelRan, expectSameBits, readOutputs, spyOnKernel } from './kernel-checks.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const gpu = loaded.backend as WebgpuBackend | undefined;

requireWebgpuUnderCi(loaded, 'webgpu-training-gradients');

interface Case {
  readonly widths: readonly number[];
  /** Stacked networks (a leading axis T on every input), or 0 for plain matrices. */
  readonly networks: number;
  readonly rows: number;
  /** 1: a clean batch; 2: a clean and an adversarial one. */
  readonly batches: 1 | 2;
  readonly form: LossForm;
  readonly seed: number;
}

const CASES: readonly Case[] = [
  { widths: [784, 300, 100, 10], networks: 0, rows: 5, batches: 1, form: 'logits', seed: 1 },
  { widths: [784, 300, 100, 10], networks: 0, rows: 4, batches: 2, form: 'clipped_probabilities', seed: 2 },
  { widths: [784, 300, 100, 10], networks: 1, rows: 3, batches: 2, form: 'logits', seed: 3 },
  { widths: [784, 300, 100, 10], networks: 1, rows: 3, batches: 1, form: 'clipped_probabilities', seed: 4 },
  { widths: [5, 3, 2], networks: 0, rows: 1, batches: 1, form: 'clipped_probabilities', seed: 5 },
  { widths: [7, 1, 4], networks: 0, rows: 17, batches: 2, form: 'logits', seed: 6 },
  { widths: [3, 2], networks: 0, rows: 9, batches: 2, form: 'clipped_probabilities', seed: 7 },
  { widths: [17, 33, 65, 9, 5], networks: 0, rows: 20, batches: 1, form: 'logits', seed: 8 },
  { widths: [9, 18, 5, 3], networks: 3, rows: 7, batches: 2, form: 'clipped_probabilities', seed: 9 },
  { widths: [9, 18, 5, 3], networks: 3, rows: 7, batches: 1, form: 'logits', seed: 10 },
  { widths: [20, 4], networks: 2, rows: 33, batches: 2, form: 'logits', seed: 11 },
];

/**
 * Weights with some zeros (pruned), of variance scale^2 / fan_in, inputs in [0, 1] with zeros, smoothed targets;
 * scale 8 saturates the softmax.
 */
function inputs({ widths, networks, rows, batches, seed }: Case, scale = 1) {
  const rng = new Rng(seed);
  const [lead, copies] = networks === 0 ? [[], 1] : [[networks], networks];
  const weights = widths.slice(1).map((out, l) => {
    const bound = scale * Math.sqrt(3 / widths[l]!);
    const values = rng.uniformArray(copies * widths[l]! * out, -bound, bound);
    for (let i = 0; i < values.length; i++) if (rng.int(5) === 0) values[i] = 0;
    return { values, shape: [...lead, widths[l]!, out] };
  });
  const xs = Array.from({ length: batches }, () => {
    const values = rng.uniformArray(copies * rows * widths[0]!, 0, 1);
    for (let i = 0; i < values.length; i++) if (rng.int(3) === 0) values[i] = 0;
    return { values, shape: [...lead, rows, widths[0]!] };
  });
  const labels = Array.from({ length: copies * rows }, () => rng.int(widths.at(-1)!));
  const targets = { values: smoothedTargets(labels, widths.at(-1)!, 0.1), shape: [...lead, rows, widths.at(-1)!] };
  return { weights, xs, targets };
}

type Inputs = ReturnType<typeof inputs>;

/** [loss, dL/dW_1, ...] through the MLP's kernels (lossAndGradients). */
const evaluate = (c: Case, data: Inputs, l1 = 0) => (): Tensor[] => {
  const spec = mlp(`mlp-${c.widths.join('-')}`, c.widths);
  const params = data.weights.map((w) => fromHost(w.values, w.shape));
  const [x, xAdv] = data.xs.map((b) => fromHost(b.values, b.shape));
  const targets = fromHost(data.targets.values, data.targets.shape);
  const { value, grads } = lossAndGradients({ spec, params }, x!, targets, l1, xAdv, c.form);
  return [value, ...grads];
};

/** Network t's slice of a stacked case's inputs, as a plain case. */
function slice(data: Inputs, t: number, networks: number): Inputs {
  const part = (a: { values: Float32Array; shape: number[] }) => {
    const size = a.values.length / networks;
    return { values: a.values.slice(t * size, (t + 1) * size), shape: a.shape.slice(1) };
  };
  return { weights: data.weights.map(part), xs: data.xs.map(part), targets: part(data.targets) };
}

const KERNEL = 'mlpTrainingGradients';

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!gpu)('webgpu mlpTrainingGradients equals its composition', () => {
  const withKernel = async (c: Case, data: Inputs): Promise<Float32Array[]> => {
    const spy = spyOnKernel(gpu!, KERNEL);
    const outputs = await readOutputs(gpu!, evaluate(c, data));
    expectKernelRan(spy, KERNEL, 1);
    spy.mockRestore();
    return outputs;
  };

  it.each(CASES)('widths $widths, $networks stacked, $rows rows, $batches batches, $form: identical loss and gradients', async (c) => {
    for (const scale of [1, 8]) {
      const data = inputs(c, scale);
      const fused = await withKernel(c, data);
      const composed = await readOutputs(withoutCustomKernels(gpu!), evaluate(c, data));
      fused.forEach((values, k) => expectSameBits(values, composed[k]!, `scale ${scale}, output ${k}`));
      if (scale !== 1) continue;
      // Large weights saturate the softmax (the clip's zero gradient) and sum large cancelling terms: beyond the
      // reference's tolerance, so only the unit scale is compared with it.
      expect(fused.slice(1).some((g) => g.some((v) => Number.isFinite(v) && v !== 0)), 'a nonzero gradient').toBe(true);
      const reference = await readOutputs(oracle(), evaluate(c, data));
      fused.forEach((values, k) => {
        const { ratio, detail } = compare(values, reference[k]!, TOL.reduction);
        expect(ratio, `reference, output ${k}: ${detail}`).toBeLessThanOrEqual(1);
      });
    }
  }, 300_000);

  it.each(CASES.filter((c) => c.networks > 1))('widths $widths, $networks stacked, $batches batches: each network as alone', async (c) => {
    const data = inputs(c);
    const stacked = await withKernel(c, data);
    for (let t = 0; t < c.networks; t++) {
      const alone = await withKernel({ ...c, networks: 0 }, slice(data, t, c.networks));
      alone.forEach((values, k) => {
        const size = values.length;
        expectSameBits(stacked[k]!.slice(t * size, (t + 1) * size), values, `network ${t}, output ${k}`);
      });
    }
  }, 300_000);

  it('is two dispatches, where the composition takes many', async () => {
    const c = CASES[1]!;
    const data = inputs(c);
    const dispatches = async (backend: Backend): Promise<number> => {
      const before = gpu!.stats().dispatches;
      await readOutputs(backend, evaluate(c, data));
      return gpu!.stats().dispatches - before;
    };
    expect(await dispatches(gpu!)).toBe(2);
    expect(await dispatches(withoutCustomKernels(gpu!))).toBeGreaterThan(2);
  }, 120_000);

  it('declines l1 > 0 and an x shared by stacked networks; the composition then runs', async () => {
    const spy = spyOnKernel(gpu!, KERNEL);
    const c = CASES[5]!;
    await readOutputs(gpu!, evaluate(c, inputs(c), 1e-3));
    const shared = () => {
      const rng = new Rng(12);
      const spec = mlp('mlp-4-3-2', [4, 3, 2]);
      const params = [fromHost(rng.uniformArray(2 * 4 * 3, -1, 1), [2, 4, 3]), fromHost(rng.uniformArray(2 * 3 * 2, -1, 1), [2, 3, 2])];
      const x = fromHost(rng.uniformArray(5 * 4, 0, 1), [5, 4]);
      const targets = fromHost(smoothedTargets([0, 1, 1, 0, 1, 0, 0, 1, 1, 1], 2, 0), [2, 5, 2]);
      const { value, grads } = lossAndGradients({ spec, params }, x, targets, 0, undefined, 'logits');
      return [value, ...grads];
    };
    await readOutputs(gpu!, shared);
    expect(spy).toHaveBeenCalledTimes(2);
    for (const result of spy.mock.results) expect(result.value).toBeUndefined();
  }, 120_000);
});
