/**
 * op(A) @ op(B) on tfjs without transpose flags (tfjs-wasm's transposed matmul leaves XNNPACK for a loop
 * ~15x slower), choosing per call which operand XNNPACK packs.
 *
 * XNNPACK packs the right operand of a matmul into its own layout once per tensor (about 5 ns per element
 * here, as much as the multiply itself for [60,784]x[784,300]) and keeps the packing while the tensor lives.
 * So a right operand used once is expensive (the weights of a training step, made afresh by W * M), and one
 * reused is cheap (the same weights across the 10 iterations of PGD). Two ways to compute C = op(A) op(B):
 *   direct:     C = op(A) @ op(B)                      packs op(B)  (k x n)
 *   transposed: C = (op(B)^T @ op(A)^T)^T              packs op(A)^T (k x m), plus transposes
 * The planner takes the cheaper one by a cost model for the first `rents` uses of a right operand, and the
 * direct one from then on, when packing it pays off (ski rental). Two rents fit rsn's workloads: a training
 * step uses its fresh weights twice (the clean and the adversarial half), an attack reuses its weights 10+
 * times. A caller that knows better says so (`reused`): an attack's forward passes use each weight matrix at
 * least twice more in the same step. Explicit transposes come from the TransposeCache; op(X)^T of a transposed
 * operand is the operand.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { TransposeCache } from './caches.js';
import { broadcastShapes } from '../../core/autodiff/shapes.js';
import type { MatmulPlanner, RunKernel } from './types.js';

/** Measured on tfjs-wasm 4.22 (this machine, one core), in nanoseconds. */
const COST = { packPerElement: 5, transposePerElement: 1, perKernel: 5000 };
/** Uses of a right operand that may avoid packing it. */
export const DEFAULT_RENTS = 2;

const size = (t: TfTensor): number => t.shape[0]! * t.shape[1]!;


export function matmulPlanner(kernel: RunKernel, transposes: TransposeCache, rents = DEFAULT_RENTS): MatmulPlanner {
  /** Uses of right operands so far: plain ones, and those used transposed (keyed by the source tensor). */
  const usesPlain = new WeakMap<TfTensor, number>();
  const usesTransposed = new WeakMap<TfTensor, number>();
  const mm = (a: TfTensor, b: TfTensor) => kernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  /** op(X) as a tensor: X, or its cached explicit transpose. */
  const opOf = (x: TfTensor, t: boolean) => (t ? transposes.get(x) : x);
  /** Cost of materialising op(X) when it is not already at hand. */
  const materialise = (x: TfTensor, t: boolean) =>
    !t || transposes.has(x) ? 0 : COST.transposePerElement * size(x) + COST.perKernel;

  return (a, b, transposeA, transposeB, reused = false) => {
    const [ra, rb] = [a.shape.length, b.shape.length];
    const depth = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    if (depth === 0) {
      // tfjs-wasm's BatchMatMul leaves its output uninitialised when the sum is empty.
      const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const shape = [...batch, transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!, transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!];
      return kernel('Fill', {}, { shape, value: 0, dtype: 'float32' });
    }
    // Batched products (a trial axis): BatchMatMul broadcasts the batch axes; operands transposed explicitly.
    if (ra > 2 || rb > 2) return mm(opOf(a, transposeA), opOf(b, transposeB));
    const uses = transposeB ? usesTransposed : usesPlain;
    const n = uses.get(b) ?? 0;
    uses.set(b, n + 1);
    if (n < rents && !reused) {
      const [m, n] = [transposeA ? a.shape[1]! : a.shape[0]!, transposeB ? b.shape[0]! : b.shape[1]!];
      const direct = materialise(a, transposeA) + materialise(b, transposeB) + COST.packPerElement * size(b);
      // Transposed: op(B)^T is B itself when transposeB, else B^T; op(A)^T is A when transposeA, else A^T.
      const transposed = materialise(b, !transposeB) + materialise(a, !transposeA) + COST.packPerElement * size(a)
        + COST.transposePerElement * m * n + COST.perKernel;
      if (transposed < direct) {
        const ct = mm(opOf(b, !transposeB), opOf(a, !transposeA));
        try {
          return kernel('Transpose', { x: ct }, { perm: [1, 0] });
        } finally {
          ct.dispose();
        }
      }
    }
    return mm(opOf(a, transposeA), opOf(b, transposeB));
  };
}
