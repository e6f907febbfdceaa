/**
 * A uniform source's draw as a tensor on the active backend: the values source.uniformArray(n, low, high) gives,
 * in `shape`. Where the backend has the uniformNoise kernel (core/nn/custom-ops.ts; webgpu) and the source's
 * generators are known (an Rng, or TrialRngs with network t's share from its own generator), only their states
 * travel to the device, which draws the same numbers; the generators are then advanced past those draws by
 * jumping ahead, so they end where drawing would have left them. Elsewhere, and wherever the kernel declines,
 * the host draws and uploads the values, as before.
 */
import { activeBackend, fromHost } from '../autodiff/engine.js';
import type { Shape } from '../autodiff/primitives.js';
import { sizeOf } from '../autodiff/shapes.js';
import type { Tensor } from '../autodiff/tensor.js';
import { customOp } from './custom-ops.js';
import { Rng } from './rng.js';
import { TrialRngs, type UniformSource } from './trial-rngs.js';
import { STATE_WORDS } from './xoshiro-jump.js';

/** A generator's state in the kernel's input: each u32 word as two 16-bit halves, low first (float32 holds them exactly). */
export const STATE_HALVES = 2 * STATE_WORDS;

const generatorsOf = (source: UniformSource): readonly Rng[] | undefined =>
  source instanceof Rng ? [source] : source instanceof TrialRngs ? source.rngs : undefined;

/** The generators' states, [T, STATE_HALVES]. */
function stateHalves(generators: readonly Rng[]): Float32Array {
  const halves = new Float32Array(generators.length * STATE_HALVES);
  generators.forEach((g, t) => g.state().forEach((word, k) => {
    halves[t * STATE_HALVES + 2 * k] = word & 0xffff;
    halves[t * STATE_HALVES + 2 * k + 1] = word >>> 16;
  }));
  return halves;
}

export function uniformNoise(source: UniformSource, shape: Shape, low: number, high: number): Tensor {
  const size = sizeOf(shape);
  const hostDraw = (): Tensor => fromHost(source.uniformArray(size, low, high), shape);
  const generators = generatorsOf(source);
  if (!generators || !activeBackend().custom?.uniformNoise || size % generators.length !== 0) return hostDraw();
  const count = size / generators.length;
  let drawnOnHost = false;
  const states = fromHost(stateHalves(generators), [generators.length, STATE_HALVES]);
  try {
    const [noise] = customOp('uniformNoise', { states }, { count, low, high }, () => {
      drawnOnHost = true;
      return [hostDraw()];
    }, [shape]);
    if (!drawnOnHost) for (const g of generators) g.advance(count);
    return noise!;
  } finally {
    states.dispose();
  }
}
