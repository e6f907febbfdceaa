/**
 * The webgpu backend's dense-layer kernels (backends/webgpu/kernels/dense-relu.ts: denseRelu and
 * denseReluGradient) against the composition that defines them (core/nn/dense-relu.ts, relu(matmul(x, w)) and
 * its backward pass primitive by primitive), run by the same backend without them (withoutCustomKernels): the
 * same products in the same order on the same device, so the activations and the cotangents of x and w must be
 * identical bit for bit (compared as float32 bits: NaN payloads and -0 included), for one network, T = 1..3
 * stacked and inputs shared by the stack, with NaN, -0 and negative values in the inputs and the cotangents.
 * Training steps (natural, FGSM, PGD) give the same weights and losses. Each test checks that the kernels ran
 * and did not decline, so a silent fallback to the composition cannot pass for them.
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
import { denseRelu, denseReluGradient } from '../../core/nn/dense-relu.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import { createStackedNetwork, disposeNetwork, fullMasks, initialWeights, mlp, type Classifier } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { on, requireWebgpuUnderCi, tryLoad } from './support.js';
import { expectKernelRan, expectSameBits, readOutputs, readWithKernels, spyOnKernel, withoutKernels } from './kernel-checks.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const gpu = loaded.backend as WebgpuBackend | undefined;
const FC = { seed: 20261207, numRuns: 30 } as const;

requireWebgpuUnderCi(loaded, 'webgpu-dense-relu');

type KernelName = 'denseRelu' | 'denseReluGradient';


/** One case: x [..., n, in], w [..., in, out] and a cotangent of the activation. */
interface Case {
  readonly xShape: Shape;
  readonly wShape: Shape;
  readonly x: Float32Array;
  readonly w: Float32Array;
  readonly cotangent: Float32Array;
}

/** Uniform values in [-scale, scale] with about one in `every` replaced by NaN, -0, +0 or a negative value. */
function valuesWithSpecials(rng: Rng, n: number, scale: number, every: number): Float32Array {
  const values = rng.uniformArray(n, -scale, scale);
  const specials = [Number.NaN, -0, 0, -scale * 0.5];
  for (let i = 0; i < n; i++) if (rng.int(every) === 0) values[i] = specials[rng.int(specials.length)]!;
  return values;
}

/**
 * One network [n, in] x [in, out], T = 1..3 stacked [T, n, in] x [T, in, out], or inputs shared by the stack
 * [n, in] x [T, in, out]; n and out up to 70 (past one 64-wide tile), in up to 40 (past the 16-deep step).
 */
const layouts = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }))
  .map(([networks, shared, n, inputs, outputs]) => {
    const lead = networks === 0 ? [] : [networks];
    return { xShape: [...(shared ? [] : lead), n, inputs] as Shape, wShape: [...lead, inputs, outputs] as Shape };
  });

const cases: fc.Arbitrary<Case> = fc.tuple(layouts, fc.constantFrom(1, 100), fc.constantFrom(4, 50, 1000), fc.integer()).map(([layout, scale, every, seed]) => {
  const rng = new Rng(seed >>> 0);
  const outShape = [...(layout.wShape.length === 3 ? [layout.wShape[0]!] : []), layout.xShape.at(-2)!, layout.wShape.at(-1)!];
  return {
    ...layout,
    x: valuesWithSpecials(rng, sizeOf(layout.xShape), scale, every),
    w: valuesWithSpecials(rng, sizeOf(layout.wShape), 1, every),
    cotangent: valuesWithSpecials(rng, sizeOf(outShape), 1, every),
  };
});

/**
 * The activation, and by autodiff of sum(denseRelu(x, w) * cotangent) the cotangents of x and w together, of x
 * alone (w a constant: the attacks' input gradient) and of w alone (x a constant: a first layer in training);
 * then both called directly as the gradient's custom op.
 */
const evaluate = ({ xShape, wShape, x, w, cotangent }: Case) => (): Tensor[] => {
  const [xs, ws] = [fromHost(x, xShape), fromHost(w, wShape)];
  const activation = denseRelu(xs, ws);
  const c = fromHost(cotangent, activation.shape);
  const objective = (a: Tensor, b: Tensor) => op.sum(op.mul(denseRelu(a, b), c));
  const both = valuesAndGradOfSum(objective)(xs, ws).grads;
  const [ofX] = valuesAndGradOfSum((a: Tensor) => objective(a, ws))(xs).grads;
  const [ofW] = valuesAndGradOfSum((b: Tensor) => objective(xs, b))(ws).grads;
  const [dx, dw] = denseReluGradient(xs, ws, activation, c, { inputGradient: true, weightGradient: true });
  return [activation, ...both, ofX!, ofW!, dx!, dw!];
};
const NAMES = ['activation', 'dx (both)', 'dw (both)', 'dx (alone)', 'dw (alone)', 'dx (custom op)', 'dw (custom op)'];

/** fn's results with the kernels, each kernel checked to have been called `calls` times and not to have declined. */
const fusedRun = (calls: Record<KernelName, number>, fn: () => Tensor[]) => readWithKernels(gpu!, calls, fn);

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!gpu)('webgpu dense-layer kernels equal their compositions', () => {
  it('activation and cotangents of x and w, one network, T = 1..3 stacked and shared inputs, with NaN, -0 and negative values', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        // denseRelu: alone and under each of the three gradients; its gradient: in the three backward passes and called directly.
        const fused = await fusedRun({ denseRelu: 4, denseReluGradient: 4 }, evaluate(c));
        const composed = await readOutputs(withoutCustomKernels(gpu!), evaluate(c));
        const context = `[${c.xShape}] x [${c.wShape}]`;
        fused.forEach((values, k) => expectSameBits(values, composed[k]!, `${context} ${NAMES[k]}`));
      }),
      FC,
    );
  });

  it('rows whose products are positive, NaN, +0 from -0 inputs, +-Infinity and negative; subnormal weights; NaN, -0 and Infinity in the cotangent', async () => {
    const [nan, inf] = [Number.NaN, Number.POSITIVE_INFINITY];
    const rows = [[1, 2, 0.5], [nan, 1, 1], [-0, -0, -0], [inf, 0.5, 1], [-1, -2, 0.25]];
    const x = Float32Array.from([...rows, ...rows.map((r) => r.map((v) => -v))].flat());
    const columns = [[1, -0.5, 2], [-1, 0.25, -0.75], [1e-40, -0, 3], [0.5, 0.5, -3]];
    const w = Float32Array.from([0, 1].flatMap((t) => [0, 1, 2].flatMap((i) => columns.map((c) => c[i]! * (t === 0 ? 1 : -1)))));
    const specials = [1, nan, -0, inf, -2.5, 0.75, 0];
    const cotangent = Float32Array.from({ length: 2 * 5 * 4 }, (_, i) => specials[i % specials.length]!);
    const c: Case = { xShape: [2, 5, 3], wShape: [2, 3, 4], x, w, cotangent };
    const fused = await fusedRun({ denseRelu: 4, denseReluGradient: 4 }, evaluate(c));
    const composed = await readOutputs(withoutCustomKernels(gpu!), evaluate(c));
    fused.forEach((values, k) => expectSameBits(values, composed[k]!, NAMES[k]!));
    const activation = [...fused[0]!];
    for (const kind of [Number.isNaN, (v: number) => v === inf, (v: number) => v > 0 && v < inf, (v: number) => Object.is(v, 0)]) {
      expect(activation.some(kind), `${kind}`).toBe(true);
    }
    expect([...fused[1]!, ...fused[2]!].some((v) => Number.isFinite(v) && v !== 0)).toBe(true);
  });

  it('the layer is one dispatch, each cotangent one more, where the composition takes 2 and 4', async () => {
    const unused = (): Tensor[] => expect.fail('the composition ran: the kernel declined');
    /** The dispatches of the layer and of its gradient (both cotangents, dx alone, dw alone) on `backend`'s tensors. */
    const counted = (backend: Backend, layer: (x: Tensor, w: Tensor) => Tensor[]): number[] => {
      const rng = new Rng(5);
      const [x, w, g] = on(backend, () => [fromHost(rng.uniformArray(60 * 30, -1, 1), [60, 30]), fromHost(rng.uniformArray(30 * 20, -1, 1), [30, 20]),
        fromHost(rng.uniformArray(60 * 20, -1, 1), [60, 20])]);
      const dispatches = (fn: () => Tensor[]): number => {
        const before = gpu!.stats().dispatches;
        disposeAll(on(backend, () => tidy(fn)));
        return gpu!.stats().dispatches - before;
      };
      const activation = on(backend, () => keep(denseRelu(x!, w!)));
      const gradient = (inputGradient: boolean, weightGradient: boolean) => () =>
        denseReluGradient(x!, w!, activation, g!, { inputGradient, weightGradient }).filter((t): t is Tensor => t !== undefined);
      const counts = [dispatches(() => layer(x!, w!)), dispatches(gradient(true, true)), dispatches(gradient(true, false)), dispatches(gradient(false, true))];
      disposeAll([x, w, g, activation]);
      return counts;
    };
    expect(counted(gpu!, (x, w) => customOp('denseRelu', { x, w }, {}, unused, [[60, 20]]))).toEqual([1, 2, 1, 1]);
    expect(counted(withoutCustomKernels(gpu!), (x, w) => [denseRelu(x, w)])).toEqual([2, 4, 3, 3]);
  });

  it('training steps, one network and 2 stacked (natural, FGSM, PGD): weights and losses identical with and without the kernels', async () => {
    const spec = mlp('mlp-6-5-4-3', [6, 5, 4, 3]);
    const batch = 4;
    const train = async (backend: Backend, trials: number): Promise<Float32Array[]> => {
      const rng = new Rng(47 + trials);
      const net = on(backend, () => createStackedNetwork(spec, Array.from({ length: trials }, () => initialWeights(spec, rng)), Array.from({ length: trials }, () => fullMasks(spec))));
      const lead = trials === 1 ? [] : [trials];
      const labels = Array.from({ length: trials * batch }, () => rng.int(3));
      const [x, y] = on(backend, () => [
        keep(fromHost(rng.uniformArray(trials * batch * 6, -2, 2), [...lead, batch, 6])),
        keep(fromHost(smoothedTargets(labels, 3, 0.1), [...lead, batch, 3])),
      ]);
      const adam = new Adam({ ...ADAM_DEFAULTS, learningRate: 0.05 });
      const attacks = [undefined, attackSpec('fgsm', { clipMin: -2, clipMax: 2 }), attackSpec('pgd', { clipMin: -2, clipMax: 2 })];
      const losses = attacks.map((attack) =>
        on(backend, () => trainStep(net, adam, x!, y!, 0, attack ? (c: Classifier) => craft(attack, c, x!, rng) : undefined)));
      try {
        return await Promise.all([...losses, ...net.weights].map(async (t) => (await t.data()) as Float32Array));
      } finally {
        disposeAll([losses, x!, y!]);
        disposeNetwork(net);
        adam.reset();
      }
    };
    for (const trials of [1, 2]) {
      const spies = (['denseRelu', 'denseReluGradient'] as const).map((name) => [name, spyOnKernel(gpu!, name)] as const);
      // The layers' gradients run where the step's gradients are not one kernel (mlpTrainingGradients).
      const withKernels = await train(withoutKernels(gpu!, ['mlpTrainingGradients']), trials);
      for (const [name, spy] of spies) expectKernelRan(spy, name);
      vi.restoreAllMocks();
      const composed = await train(withoutCustomKernels(gpu!), trials);
      withKernels.forEach((values, k) => expectSameBits(values, composed[k]!, `T=${trials} tensor ${k}`));
    }
  });

  it('declines a broadcast of the leading axes other than a shared matrix, and the composition then runs', async () => {
    const spy = spyOnKernel(gpu!, 'denseRelu');
    const rng = new Rng(12);
    const x = rng.uniformArray(2 * 1 * 3 * 4, -1, 1);
    const w = rng.uniformArray(1 * 2 * 4 * 5, -1, 1);
    const broadcast = () => [denseRelu(fromHost(x, [2, 1, 3, 4]), fromHost(w, [1, 2, 4, 5]))];
    const [viaKernel] = await readOutputs(gpu!, broadcast);
    expect(spy).toHaveBeenCalledOnce();
    expect(spy.mock.results[0]!.value).toBeUndefined();
    expectSameBits(viaKernel!, (await readOutputs(withoutCustomKernels(gpu!), broadcast))[0]!, 'broadcast leading axes');
  });
});
