/**
 * bench:micro's arithmetic of a training step (benchmarks/perf/micro/bound.ts) against an oracle: the matrix
 * products the reference backend is asked for while it runs the step's composition (it has no custom kernels),
 * each counted as 2 m n k FLOP.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../backends/reference/index.js';
import { disposeAll, fromHost, setActiveBackend } from '../../../core/autodiff/engine.js';
import type { PrimitiveAttrs } from '../../../core/autodiff/primitives.js';
import { sizeOf } from '../../../core/autodiff/shapes.js';
import { attackSpec, craft } from '../../../core/attacks/index.js';
import { Adam } from '../../../core/nn/adam.js';
import { createNetwork, DENSE_300_100, disposeNetwork, initialWeights, inputSize, mlp, type Classifier, type ModelSpec } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';
import { trainStep } from '../../../core/nn/train-step.js';
import { boundMs, stepArithmetic, type StepKind } from '../../../benchmarks/perf/micro/bound.js';

/** The reference backend, counting the FLOP of every matmul it runs. */
function countingReference() {
  const reference = createReferenceBackend('float32');
  let flop = 0;
  const backend: typeof reference = {
    ...reference,
    run(primitive, inputs, attrs, out) {
      if (primitive === 'matmul') {
        const { transposeA } = attrs as PrimitiveAttrs['matmul'];
        const a = inputs[0]!.shape;
        flop += 2 * sizeOf(out.shape) * (transposeA ? a[a.length - 2]! : a[a.length - 1]!);
      }
      return reference.run(primitive, inputs, attrs, out);
    },
  };
  return { backend, flop: () => flop };
}

function countedStep(spec: ModelSpec, n: number, kind: StepKind, iterations: number): number {
  const { backend, flop } = countingReference();
  setActiveBackend(backend);
  const rng = new Rng(1);
  const net = createNetwork(spec, initialWeights(spec, rng));
  const inputs = inputSize(spec);
  const classes = spec.classes;
  const x = fromHost(rng.uniformArray(n * inputs, 0, 1), [n, inputs]);
  const targets = fromHost(new Float32Array(n * classes).fill(1 / classes), [n, classes]);
  const spec2 = kind === 'pgd' ? attackSpec('pgd', { iterations }) : attackSpec('fgsm');
  const adam = new Adam();
  trainStep(net, adam, x, targets, 0, kind === 'natural' ? undefined : (classifier: Classifier) => craft(spec2, classifier, x, rng)).dispose();
  adam.reset();
  disposeNetwork(net);
  disposeAll([x, targets]);
  return flop();
}

describe('a training step\'s arithmetic (bench:micro\'s bound)', () => {
  const small: ModelSpec = mlp('small', [12, 9, 7, 5, 3]);
  for (const [spec, n, iterations] of [[DENSE_300_100, 60, 10], [small, 7, 3]] as const) {
    for (const kind of ['natural', 'fgsm', 'pgd'] as const) {
      it(`${spec.name}, batch ${n}, ${kind}${kind === 'pgd' ? `-${iterations}` : ''}: the products the composition makes`, () => {
        expect(stepArithmetic(spec, n, kind, iterations)).toBe(countedStep(spec, n, kind, iterations));
      });
    }
  }

  it('the bound is the arithmetic at the peak', () => {
    expect(boundMs(2e9, { gflops: 100, size: 1024, runs: 1 })).toBeCloseTo(20, 12);
  });
});
