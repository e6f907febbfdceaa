import { RsnError, ShapeError } from '../errors.js';
import { Tape, recordOn, recordOnly, tidy, untracked } from './engine.js';
import * as op from './ops.js';
import { sameShape } from './shapes.js';
import type { Shape } from './primitives.js';
import type { Tensor } from './tensor.js';
import { vjpRules } from './vjp.js';

/** Sum a cotangent over the axes along which its input was broadcast. The only place broadcasting meets gradients. */
function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  return op.reshape(op.sum(g, axes), shape);
}

/** The cotangents of `wrt` given `seed`, the cotangent of `output` (ones unless given). */
function backward(tape: Tape, output: Tensor, wrt: readonly Tensor[], seed: Tensor = op.onesLike(output)): Tensor[] {
  const cotangents = new Map<number, Tensor>([[output.id, seed]]);
  const accumulate = (input: Tensor, gi: Tensor) => {
    const reduced = unbroadcast(gi, input.shape);
    const previous = cotangents.get(input.id);
    cotangents.set(input.id, previous ? op.add(previous, reduced) : reduced);
  };
  for (let i = tape.entries.length - 1; i >= 0; i--) {
    const entry = tape.entries[i]!;
    const g = cotangents.get(entry.output.id);
    if (!g) continue;
    if ('custom' in entry) {
      const needs = entry.inputs.map((t) => tape.tracked.has(t.id));
      entry.inputCotangents(g, needs).forEach((gi, k) => {
        if (gi && needs[k]) accumulate(entry.inputs[k]!, gi);
      });
      continue;
    }
    const { primitive, inputs, attrs, output: out } = entry;
    const rule = vjpRules[primitive] as (g: Tensor, i: readonly Tensor[], o: Tensor, a: typeof attrs, n: boolean[]) => (Tensor | null)[];
    const needs = inputs.map((t) => tape.tracked.has(t.id));
    rule(g, inputs, out, attrs, needs).forEach((gi, k) => {
      const input = inputs[k]!;
      if (gi && tape.tracked.has(input.id)) accumulate(input, gi);
    });
  }
  return wrt.map((x) => cotangents.get(x.id) ?? op.zerosLike(x));
}

/**
 * The vector-Jacobian product of f at x: the cotangent of x given `cotangent`, that of f(x) (same shape), as
 * the backward pass of any gradient through f computes it. It records f on a tape of its own, so it may run
 * inside another gradient's backward pass (a custom op's gradient composition, engine.ts, CustomGradient).
 */
export function vjp(f: (x: Tensor) => Tensor, x: Tensor, cotangent: Tensor): Tensor {
  return tidy(() => {
    const tape = new Tape([x]);
    const value = recordOnly(tape, () => f(x));
    if (!sameShape(value.shape, cotangent.shape)) {
      throw new ShapeError(`vjp: the cotangent's shape [${cotangent.shape}] differs from the value's [${value.shape}]`);
    }
    return untracked(() => backward(tape, value, [x], cotangent))[0]!;
  });
}

export interface ValueAndGrads {
  value: Tensor;
  grads: Tensor[];
}

/**
 * valueAndGrad(f)(...args) = f's scalar value and its gradient with respect to every argument.
 * Every intermediate is freed before it returns; value and grads belong to the caller's scope.
 * Tensors that f closes over are constants. A gradient computed inside f (an attack) is a constant too.
 */
export function valueAndGrad<A extends Tensor[]>(f: (...args: A) => Tensor): (...args: A) => ValueAndGrads {
  return (...args: A) =>
    tidy(() => {
      const tape = new Tape(args);
      const value = recordOn(tape, () => f(...args));
      if (value.size !== 1) {
        throw new RsnError(`valueAndGrad needs a scalar-valued function, got shape [${value.shape}]`);
      }
      const grads = untracked(() => backward(tape, value, args));
      return { value, grads };
    });
}

/** grad(f)(x) = df/dx for a scalar-valued f of one tensor. */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  const vg = valueAndGrad(f);
  return (x: Tensor) =>
    tidy(() => vg(x).grads[0]!);
}

/**
 * For stacked networks: f's unsummed value (e.g. each network's loss, [T]) and the gradient of its sum with
 * respect to every argument, which gives each network the gradient it would get alone. A scalar f is
 * valueAndGrad exactly.
 */
export function valuesAndGradOfSum<A extends Tensor[]>(f: (...args: A) => Tensor): (...args: A) => ValueAndGrads {
  return (...args: A) =>
    tidy(() => {
      const tape = new Tape(args);
      const value = recordOn(tape, () => f(...args));
      if (value.size === 1 && value.rank === 0) {
        return { value, grads: untracked(() => backward(tape, value, args)) };
      }
      const total = recordOn(tape, () => op.sum(value));
      return { value, grads: untracked(() => backward(tape, total, args)) };
    });
}
