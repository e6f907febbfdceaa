/**
 * Where the native backend switches a masked weight matrix from dense to sparse kernels, by the mask's density
 * (kept positions / size). Measured with `npx tsx benchmarks/perf/micro/sparse-crossover.ts` (CPU time per call,
 * batch 60, one core of the 2-core Intel Xeon this was developed on, shared with other work): in the lane
 * layout the fused MLP kernels use, the sparse products beat OpenBLAS's sgemm up to about 30% density for
 * [784, 300] and [300, 100] (25-30% for [100, 10], where both take about a microsecond), the sampled weight
 * gradient up to 15-20%. The thresholds sit a little below, where the sparse kernels are clearly faster.
 */
export interface Crossover {
  /** Masks with fewer elements stay dense. */
  readonly minSize: number;
  /** x @ E and g @ E^T use the sparse kernels below this density (and Adam, W * M, dE * M their compact forms). */
  readonly product: number;
  /** The weight gradient h^T g is computed only at the kept positions below this density. */
  readonly sampled: number;
}

export const CROSSOVER: Crossover = { minSize: 1000, product: 0.25, sampled: 0.15 };
