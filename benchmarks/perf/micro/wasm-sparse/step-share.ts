/**
 * How much of a whole wasm training step (natural, FGSM, PGD-10 at full density; benchmarks/perf/micro/items.ts)
 * runs in the matrix products a masked weight enters, by layer and kind: the wasm backend is built as
 * backends/tfjs/wasm.ts builds it (dense products only), but with every generated product (simd/gemm.ts)
 * and every tfjs Transpose kernel (the explicit W^T of the input gradients) timed in wall time as it runs,
 * as a fraction of the step's wall time; the step itself in CPU time. Sparse kernels can only shrink the products; the rest of the step bounds what
 * they save.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import { activateTfjs } from '../../../../backends/tfjs/activate.js';
import { createTfjsBackend } from '../../../../backends/tfjs/adapter.js';
import { wasmHeap, type WasmHeap } from '../../../../backends/tfjs/heap.js';
import type { TfModule } from '../../../../backends/tfjs/types.js';
import { setActiveBackend } from '../../../../core/autodiff/engine.js';
import { BackendError } from '../../../../core/errors.js';
import { workloads } from '../items.js';
import { BATCH, KINDS, type Kind } from './products.js';

/** The layers of dense-300-100 as [fan in, fan out]. */
export const LAYERS: readonly (readonly [number, number])[] = [[784, 300], [300, 100], [100, 10]];

export interface StepShare {
  readonly step: string;
  /**
   * CPU milliseconds of this process per step (median over runs): on a machine shared with other work a step's
   * wall time also counts the time it waited, the products' short calls mostly do not.
   */
  readonly stepMs: number;
  /**
   * Per layer (index into LAYERS) and kind: milliseconds per step in the products, as the median over runs of
   * their fraction of the run's wall time, times stepMs.
   */
  readonly productMs: Record<Kind, number>[];
  /** Milliseconds per step in tfjs' Transpose kernel (the explicit W^T of the input gradients), as productMs. */
  readonly transposeMs: number;
}

/** Which layer and kind a product of this shape is, at batch 60 (undefined for other products). */
function classify(m: number, k: number, n: number, depthStride: number): { layer: number; kind: Kind } | undefined {
  for (let layer = 0; layer < LAYERS.length; layer++) {
    const [fanIn, fanOut] = LAYERS[layer]!;
    if (m === BATCH && k === fanIn && n === fanOut) return { layer, kind: 'forward' };
    if (m === BATCH && k === fanOut && n === fanIn) return { layer, kind: 'inputGrad' };
    if (m === fanIn && k === BATCH && n === fanOut && depthStride === fanIn) return { layer, kind: 'weightGrad' };
  }
  return undefined;
}

const zeroKinds = (): Record<Kind, number> => ({ forward: 0, inputGrad: 0, weightGrad: 0 });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Times `runs` runs of each full-density step item on a wasm backend whose products are timed. */
export async function stepShares(runs: number): Promise<StepShare[]> {
  let tf: TfModule;
  try {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new BackendError(`@tensorflow/tfjs-backend-wasm failed to load: ${(error as Error).message}`, 'run npm ci');
  }
  const release = await activateTfjs(tf, 'wasm', 'wasm', 'run npm ci');
  const heap = wasmHeap(tf);
  if (!heap) throw new BackendError('this tfjs-wasm exposes no heap to time products on', 'use @tensorflow/tfjs-backend-wasm@4.22.0 (npm ci)');
  let current = { products: LAYERS.map(zeroKinds), transposes: 0 };
  const timedHeap: WasmHeap = {
    ...heap,
    gemm: (shape) => {
      const gemm = heap.gemm(shape);
      const at = classify(shape.m, shape.k, shape.n, shape.depthStride);
      if (!at) return gemm;
      return (a, b, c) => {
        const start = performance.now();
        gemm(a, b, c);
        current.products[at.layer]![at.kind] += performance.now() - start;
      };
    },
  };
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, inputs: never, attrs: never) => {
    if (name !== 'Transpose') return runKernel(name, inputs, attrs);
    const start = performance.now();
    try {
      return runKernel(name, inputs, attrs) as TfTensor;
    } finally {
      current.transposes += performance.now() - start;
    }
  }) as typeof engine.runKernel;
  const backend = createTfjsBackend(tf, { name: 'wasm', tfBackend: 'wasm', copiesHostData: true, heap: timedHeap, sparse: false, onClose: release });
  setActiveBackend(backend);
  const { items, dispose } = workloads(1, 1);
  const shares: StepShare[] = [];
  try {
    for (const name of ['natural training step', 'FGSM adversarial step', 'PGD-10 adversarial step']) {
      const item = items.find((i) => i.name === name)!;
      for (let i = 0; i < 10; i++) item.run(); // past the baseline compiler: V8 tiers hot WebAssembly up
      const samples: { cpu: number; wall: number; products: Record<Kind, number>[]; transposes: number }[] = [];
      for (let r = 0; r < runs; r++) {
        current = { products: LAYERS.map(zeroKinds), transposes: 0 };
        const [start, startCpu] = [performance.now(), process.cpuUsage()];
        item.run();
        const used = process.cpuUsage(startCpu);
        samples.push({ cpu: (used.user + used.system) / 1000, wall: performance.now() - start, ...current });
      }
      // Each part as a fraction of its own run's wall time (one clock; waiting for the CPU inflates both alike),
      // the median fraction over runs, times the median CPU time of a step.
      const stepMs = median(samples.map((s) => s.cpu));
      const part = (of: (s: (typeof samples)[number]) => number) => stepMs * median(samples.map((s) => of(s) / s.wall));
      shares.push({
        step: name,
        stepMs,
        productMs: LAYERS.map((_, l) => Object.fromEntries(KINDS.map((kind) => [kind, part((s) => s.products[l]![kind])])) as Record<Kind, number>),
        transposeMs: part((s) => s.transposes),
      });
    }
  } finally {
    dispose();
    engine.runKernel = runKernel;
    backend.close();
  }
  return shares;
}
