/**
 * Where the native backend switches a masked weight matrix from dense to sparse kernels, by the mask's density
 * (kept positions / size). Measured with `npx tsx benchmarks/micro/sparse-crossover.ts` at
 * batch 60 on one core of an Intel Xeon (AVX-512; OpenBLAS sgemm against native/src/sparse.c), where the sparse
 * products break even with sgemm at about 20% density for [784, 300] and 10-20% for [300, 100], and the sampled
 * weight gradient at about 10%; [100, 10] products never pay (a few microseconds either way).
 */
export interface Crossover {
  /** Masks with fewer elements stay dense. */
  readonly minSize: number;
  /** x @ E and g @ E^T use the sparse kernels below this density (and Adam, W * M, dE * M their compact forms). */
  readonly product: number;
  /** The weight gradient h^T g is computed only at the kept positions below this density. */
  readonly sampled: number;
}

export const CROSSOVER: Crossover = { minSize: 4096, product: 0.18, sampled: 0.09 };
