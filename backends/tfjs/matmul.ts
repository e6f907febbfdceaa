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
 * The planner takes the cheaper one by a cost model the first time a right operand is seen, and the direct
 * one from its second use on, when packing it pays off (ski rental with a one-use rent). Explicit transposes
 * come from the TransposeCache; op(X)^T of a transposed operand is the operand itself.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { TransposeCache } from './caches.js';
import type { RunKernel } from './kernels.js';

/** Measured on tfjs-wasm 4.22 (this machine, one core), in nanoseconds. */
const COST = { packPerElement: 5, transposePerElement: 1, perKernel: 5000 };

const size = (t: TfTensor): number => t.shape[0]! * t.shape[1]!;

export function matmulPlanner(kernel: RunKernel, transposes: TransposeCache, plan = true) {
  /** Right operands already seen: plain ones, and those used transposed (keyed by the source tensor). */
  const seenPlain = new WeakSet<TfTensor>();
  const seenTransposed = new WeakSet<TfTensor>();
  const mm = (a: TfTensor, b: TfTensor) => kernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  /** op(X) as a tensor: X, or its cached explicit transpose. */
  const opOf = (x: TfTensor, t: boolean) => (t ? transposes.get(x) : x);
  /** Cost of materialising op(X) when it is not already at hand. */
  const materialise = (x: TfTensor, t: boolean) =>
    !t || transposes.has(x) ? 0 : COST.transposePerElement * size(x) + COST.perKernel;

  return (a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor => {
    const seen = transposeB ? seenTransposed : seenPlain;
    const firstUse = plan && !seen.has(b);
    seen.add(b);
    if (firstUse) {
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
