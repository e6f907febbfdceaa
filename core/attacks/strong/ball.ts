import { fromHost } from '../../autodiff/engine.js';
import * as op from '../../autodiff/ops.js';
import type { Tensor } from '../../autodiff/tensor.js';
import type { Rng } from '../../nn/rng.js';
import type { Ball } from './attack.js';

/** The box that the ball of x cut to the input range is: lower = max(x - eps, min), upper = min(x + eps, max). */
export interface Box {
  readonly lower: Tensor;
  readonly upper: Tensor;
}

export const boxOf = (x: Tensor, ball: Ball): Box => ({
  lower: op.maximum(op.sub(x, ball.eps), ball.clipMin),
  upper: op.minimum(op.add(x, ball.eps), ball.clipMax),
});

/** The projection onto the box: each coordinate clamped to [lower, upper]. */
export const project = (z: Tensor, box: Box): Tensor => op.minimum(op.maximum(z, box.lower), box.upper);

/** x + U(-eps, eps) per coordinate, projected: a random start drawn from rng (n * d draws, row-major). */
export const randomStart = (x: Tensor, box: Box, ball: Ball, rng: Rng): Tensor =>
  project(op.add(x, fromHost(rng.uniformArray(x.size, -ball.eps, ball.eps), x.shape)), box);

/** The projected signed step z = P(current + step * sign(g)); step is a number or a per-image [n, 1] column. */
export const signedStep = (current: Tensor, g: Tensor, step: number | Tensor, box: Box): Tensor =>
  project(op.add(current, op.mul(op.sign(g), step)), box);
