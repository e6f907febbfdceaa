/**
 * The native backend's MLP kernels (the library's custom ops mlpForward, mlpInputGradient and mlpTrainingGradients,
 * core/nn/custom-ops.ts): the forward pass, the softmax cross-entropy and the backward pass of
 * relu(...relu(x @ W_1)...) @ W_L in one call. What they save is the core's per-primitive work, which at batch 60
 * costs more than the products of a pruned network.
 *
 * Activations and gradients stay in the lane layout between layers (addon.ts: [features, lanes], the batch
 * padded to 64 with zeros), so that neither the sparse kernels nor sgemm transpose anything inside a pass: x
 * enters it once and the input gradient leaves it once. Weights with a compact form (sparse.ts) go through the
 * sparse kernels, the others through sgemm. The formulas are the composition's (core/autodiff/ops.ts
 * softmaxCrossEntropy and the VJP rules of core/autodiff/vjp.ts) in its order, except the float32 accumulation
 * order of the products; the adversarial training loss runs x and x_adv as one batch of 2n rows, whose weight
 * gradient is the composition's sum of the two halves' in another order.
 */
import type { TensorInfo } from '../../core/autodiff/backend.js';
import { BINARY_CODES, EPILOGUES, type NativeAddon } from './addon.js';
import { BufferPool } from './pool.js';
import type { LaneForms } from './lanes.js';
import type { SparseKernels } from './sparse.js';

type Handle = Float32Array | Int32Array;
type Info = TensorInfo<Handle>;

interface Pass {
  /**
   * The layers' inputs h_0 = x, h_1 = relu(h_0 W_1), ..., h_(L-1), in the lane layout. Each hidden h_i also gates
   * the relu gradient: h_i > 0 exactly where its pre-activation is > 0 (maximum(p, 0) keeps p > 0 and NaN, and
   * gives +0 otherwise), so the pre-activations are not kept.
   */
  readonly acts: Float32Array[];
  /** The logits [m, classes], row-major. */
  readonly logits: Float32Array;
}

/**
 * The kernels on positional inputs, as index.ts passes them: [x, targets, W_1, ..., W_L] for the input gradient;
 * [x, targets, W...] or [x, x_adv, targets, W...] (adversarial) for the training gradients.
 */
export interface MlpKernels {
  mlpForward(inputs: readonly Info[]): Handle[];
  /** FGSM's adversarial examples, returned with a lane form (lanes.ts). */
  fgsmAttack(x: Info, weights: readonly Info[], attrs: { eps: number; min: number; max: number }): Handle[];
  /** PGD's adversarial examples from the start clip(x + noise) (x without noise), returned with a lane form. */
  pgdAttack(x: Info, noise: Info | undefined, weights: readonly Info[], attrs: { step: number; eps: number; min: number; max: number; iterations: number }): Handle[];
  mlpInputGradient(inputs: readonly Info[]): Handle[];
  mlpTrainingGradients(inputs: readonly Info[], attrs: { adversarial: boolean }): Handle[];
  /** Drop the kept forward pass if it was made from this handle (being disposed). */
  forget(handle: Handle): void;
  /** Buffers of the kept forward pass (tests check they are given back). */
  held(): number;
  clear(): void;
}

/** `materialize` writes a handle's deferred values (lane forms, compact forms, masked products: index.ts). */
export function mlpKernels(
  addon: NativeAddon, pool: BufferPool, sparse: SparseKernels | undefined, laneForms: LaneForms, materialize: (t: Info) => void,
): MlpKernels {
  /** A handle's row-major values, written first if they were deferred. */
  const f32 = (t: Info): Float32Array => {
    materialize(t);
    return t.handle as Float32Array;
  };

  /** Intermediate buffers of one call, returned to their pool at its end. */
  class Scope {
    private readonly temps: Float32Array[] = [];
    constructor(private readonly from: BufferPool = pool) {}
    take(n: number): Float32Array {
      const t = this.from.float32(n);
      this.temps.push(t);
      return t;
    }
    owns(t: Float32Array): boolean {
      return this.temps.includes(t);
    }
    /** Stop tracking a buffer: its new owner releases it. */
    adopt(t: Float32Array): void {
      const i = this.temps.indexOf(t);
      if (i >= 0) this.temps.splice(i, 1);
    }
    end(): void {
      for (const t of this.temps) this.from.release(t);
    }
  }

  /**
   * The last forward pass of mlpForward (the logits of a batch), kept with its buffers until its batch or one of
   * its weights is disposed or another pass replaces it: an attack that follows on the same batch and weights
   * (evaluation: the natural logits, then the attack's labels) starts from it instead of making the same pass
   * again. Handles are immutable while alive, so the same handles mean the same values.
   */
  const keptPool = new BufferPool();
  let kept: { x: Handle; weights: readonly Handle[]; m: number; pass: Pass; scope: Scope } | undefined;
  const dropKept = (): void => {
    kept?.scope.end();
    kept = undefined;
  };
  const keptPass = (x: Info, weights: readonly Info[]): Pass | undefined =>
    kept && kept.x === x.handle && kept.m === x.shape[0] && kept.weights.length === weights.length && weights.every((w, i) => w.handle === kept!.weights[i])
      ? kept.pass
      : undefined;

  /**
   * (h W)^T = W^T hT: [cols, lanes] from hT [rows, lanes], W [rows, cols]; with `relu`, maximum(., 0) of it,
   * applied by the product's epilogue (the sparse kernel's, or the dense product's while its output is in cache).
   */
  const forwardLayer = (s: Scope, hT: Float32Array, lanes: number, w: Info, relu: boolean): Float32Array => {
    const [rows, cols] = [w.shape[0]!, w.shape[1]!];
    const outT = s.take(cols * lanes);
    const c = sparse?.compactOf(w.handle);
    if (c) {
      sparse!.product(c, 'csc', hT, lanes, true, outT, relu ? { relu } : undefined);
      return outT;
    }
    addon.matmul(f32(w), hT, outT, cols, lanes, rows, 1, 0, relu ? EPILOGUES.relu : EPILOGUES.none);
    return outT;
  };

  /**
   * (g W^T)^T = W gT: [rows, lanes] from gT [cols, lanes]; with a `gate` (the layer's input activation h),
   * times (h > 0): the gradient through the relu that made h, as the VJP of maximum(p, 0) gives it (relu'(0) = 0).
   */
  const backwardLayer = (s: Scope, gT: Float32Array, lanes: number, w: Info, gate?: Float32Array): Float32Array => {
    const [rows, cols] = [w.shape[0]!, w.shape[1]!];
    const outT = s.take(rows * lanes);
    const c = sparse?.compactOf(w.handle);
    if (c) {
      sparse!.product(c, 'csr', gT, lanes, true, outT, gate ? { gate } : undefined);
      return outT;
    }
    if (gate) addon.matmul(f32(w), gT, outT, rows, lanes, cols, 0, 0, EPILOGUES.reluGrad, gate);
    else addon.matmul(f32(w), gT, outT, rows, lanes, cols, 0, 0);
    return outT;
  };

  /**
   * h^T g = hT gT^T [rows, cols]: a new handle, deferred to the kept positions of a live sparse mask of its
   * shape (which then owns hT and gT: the pass only reads them afterwards).
   */
  const weightGradient = (s: Scope, hT: Float32Array, gT: Float32Array, lanes: number, rows: number, cols: number): Float32Array => {
    // Only buffers of this call can be handed over (x's lane form belongs to its handle).
    const own = (t: Float32Array): Float32Array => {
      if (s.owns(t)) return t;
      const copy = s.take(t.length);
      copy.set(t);
      return copy;
    };
    if (sparse?.defersProduct(rows, cols)) [hT, gT] = [own(hT), own(gT)];
    const deferred = sparse?.laneProduct(hT, gT, lanes, rows, cols, () => {
      pool.release(hT);
      pool.release(gT);
    });
    if (deferred) {
      s.adopt(hT);
      s.adopt(gT);
      return deferred;
    }
    const result = pool.float32(rows * cols);
    addon.matmul(hT, gT, result, rows, cols, lanes, 0, 1);
    return result;
  };

  /** x [m, cols] in the lane layout: its lane form when it has one, else transposed into a buffer of the scope. */
  const inLanes = (s: Scope, x: Info, m: number, lanes: number): Float32Array => {
    const cols = x.shape[1]!;
    const known = laneForms.get(x.handle, m, cols);
    if (known) return known;
    const xT = s.take(cols * lanes);
    addon.toLanes(f32(x), m, cols, xT);
    return xT;
  };

  const forward = (s: Scope, xT: Float32Array, m: number, lanes: number, weights: readonly Info[]): Pass => {
    const acts: Float32Array[] = [xT];
    let hT = xT;
    weights.forEach((w, i) => {
      const hidden = i < weights.length - 1;
      hT = forwardLayer(s, hT, lanes, w, hidden);
      if (hidden) acts.push(hT);
    });
    const classes = weights[weights.length - 1]!.shape[1]!;
    const logits = s.take(m * classes);
    addon.fromLanes(hT, m, classes, logits);
    return { acts, logits };
  };

  /** The logits' gradient [m, classes] moved to the lane layout. */
  const toLanes = (s: Scope, g: Float32Array, m: number, lanes: number, classes: number): Float32Array => {
    const gT = s.take(classes * lanes);
    addon.toLanes(g, m, classes, gT);
    return gT;
  };

  /**
   * The cotangent of the logits of mean_n CE(targets, softmax(logits)), in the lane layout, and the input
   * gradient it gives: the backward pass of mlpInputGradient from a forward pass already made.
   */
  const inputGradientT = (s: Scope, pass: Pass, targets: Float32Array, m: number, lanes: number, weights: readonly Info[]): Float32Array => {
    const classes = weights[weights.length - 1]!.shape[1]!;
    const g = s.take(m * classes);
    addon.softmaxXent(pass.logits, targets, m, classes, Math.fround(-1 / m), g);
    let gT = toLanes(s, g, m, lanes, classes);
    for (let i = weights.length - 1; i >= 0; i--) gT = backwardLayer(s, gT, lanes, weights[i]!, i > 0 ? pass.acts[i] : undefined);
    return gT;
  };

  /** The one-hot labels [m, classes] of a pass's predictions (the attacks' targets: argmax, then oneHot). */
  const predicted = (s: Scope, pass: Pass, m: number, classes: number): Float32Array => {
    const labels = pool.int32(m);
    addon.argmax(pass.logits, labels, m, classes, 1);
    const targets = s.take(m * classes);
    addon.oneHot(labels, targets, classes);
    pool.release(labels);
    return targets;
  };

  /** A new [m, cols] handle whose values are the lane-layout buffer `outT` (taken from the scope). */
  const withLaneForm = (s: Scope, outT: Float32Array, m: number, cols: number): Float32Array => {
    const result = pool.float32(m * cols);
    s.adopt(outT);
    laneForms.attach(result, outT, m, cols, () => pool.release(outT));
    return result;
  };

  return {
    mlpForward([x, ...weights]) {
      const [m, cols] = [x!.shape[0]!, x!.shape[1]!];
      const lanes = addon.lanes(m);
      const s = new Scope();
      try {
        // x's lane form is kept with x (until it is disposed): the attack's input gradient and the training
        // gradients that follow on the same batch start from it without transposing x again.
        const xT = laneForms.get(x!.handle, m, cols) ?? laneForms.of(f32(x!), m, cols);
        dropKept();
        const scope = new Scope(keptPool);
        const pass = forward(scope, xT, m, lanes, weights);
        kept = { x: x!.handle, weights: weights.map((w) => w.handle), m, pass, scope };
        const logits = s.take(pass.logits.length);
        logits.set(pass.logits);
        s.adopt(logits);
        return [logits];
      } finally {
        s.end();
      }
    },

    forget(handle) {
      if (kept && (kept.x === handle || kept.weights.includes(handle))) dropKept();
    },

    held: () => keptPool.liveCount(),

    clear() {
      dropKept();
      keptPool.clear();
    },

    fgsmAttack(x, weights, { eps, min, max }) {
      const [m, cols] = [x.shape[0]!, x.shape[1]!];
      const lanes = addon.lanes(m);
      const s = new Scope();
      try {
        const xT = laneForms.get(x.handle, m, cols) ?? laneForms.of(f32(x), m, cols);
        const pass = keptPass(x, weights) ?? forward(s, xT, m, lanes, weights);
        const targets = predicted(s, pass, m, weights[weights.length - 1]!.shape[1]!);
        const gT = inputGradientT(s, pass, targets, m, lanes, weights);
        const outT = s.take(gT.length);
        addon.signStep(xT, gT, outT, eps, min, max);
        return [withLaneForm(s, outT, m, cols)];
      } finally {
        s.end();
      }
    },

    pgdAttack(x, noise, weights, { step, eps, min, max, iterations }) {
      const [m, cols] = [x.shape[0]!, x.shape[1]!];
      const lanes = addon.lanes(m);
      const s = new Scope();
      try {
        const xT = laneForms.get(x.handle, m, cols) ?? laneForms.of(f32(x), m, cols);
        const targets = predicted(s, keptPass(x, weights) ?? forward(s, xT, m, lanes, weights), m, weights[weights.length - 1]!.shape[1]!);
        let currentT = xT;
        if (noise) {
          const noiseT = s.take(xT.length);
          addon.toLanes(f32(noise), m, cols, noiseT);
          const sum = s.take(xT.length);
          addon.binary(BINARY_CODES.add, xT, noiseT, sum, 1, 1);
          currentT = s.take(xT.length);
          addon.clip(sum, currentT, min, max);
        }
        for (let i = 0; i < iterations; i++) {
          // Each iteration's intermediates go back to the pool at its end; only the iterate is carried on.
          const iteration = new Scope();
          try {
            const gT = inputGradientT(iteration, forward(iteration, currentT, m, lanes, weights), targets, m, lanes, weights);
            const nextT = s.take(xT.length);
            addon.pgdStep(xT, currentT, gT, nextT, step, eps, min, max);
            if (s.owns(currentT)) {
              s.adopt(currentT);
              pool.release(currentT);
            }
            currentT = nextT;
          } finally {
            iteration.end();
          }
        }
        if (currentT === xT) {
          currentT = s.take(xT.length);
          currentT.set(xT);
        }
        return [withLaneForm(s, currentT, m, cols)];
      } finally {
        s.end();
      }
    },

    mlpInputGradient([x, targets, ...weights]) {
      const m = x!.shape[0]!;
      const lanes = addon.lanes(m);
      const s = new Scope();
      try {
        const pass = forward(s, inLanes(s, x!, m, lanes), m, lanes, weights);
        // The gradient keeps its lane form (the PGD step reads it there); row-major only when asked for.
        return [withLaneForm(s, inputGradientT(s, pass, f32(targets!), m, lanes, weights), m, weights[0]!.shape[0]!)];
      } finally {
        s.end();
      }
    },

    mlpTrainingGradients(inputs, { adversarial }) {
      const [x, xAdv, targets, weights] = adversarial
        ? [inputs[0]!, inputs[1]!, inputs[2]!, inputs.slice(3)]
        : [inputs[0]!, undefined, inputs[1]!, inputs.slice(2)];
      const n = x.shape[0]!;
      const halves = xAdv ? 2 : 1;
      const m = n * halves;
      const lanes = addon.lanes(m);
      const s = new Scope();
      try {
        let xT: Float32Array;
        const [xLanes, advLanes] = [laneForms.get(x.handle, n, x.shape[1]!), xAdv && laneForms.get(xAdv.handle, n, x.shape[1]!)];
        if (xLanes && advLanes) {
          // Both halves are in lanes already (x from the attack's labels, x_adv from the attack): join them.
          xT = s.take(x.shape[1]! * lanes);
          addon.joinLanes(xLanes, advLanes, n, x.shape[1]!, xT);
        } else if (xAdv) {
          const batch = s.take(f32(x).length * 2);
          batch.set(f32(x));
          batch.set(f32(xAdv), f32(x).length);
          xT = s.take(x.shape[1]! * lanes);
          addon.toLanes(batch, m, x.shape[1]!, xT);
        } else {
          xT = inLanes(s, x, m, lanes);
        }
        const pass = forward(s, xT, m, lanes, weights);
        const classes = weights[weights.length - 1]!.shape[1]!;
        const c = Math.fround((xAdv ? -0.5 : -1) / n);
        const t = f32(targets);
        const g = s.take(m * classes);
        let loss = 0;
        for (let half = 0; half < halves; half++) {
          const rows = n * classes;
          const part = Math.fround(addon.softmaxXent(pass.logits.subarray(half * rows, (half + 1) * rows), t, n, classes, c, g.subarray(half * rows, (half + 1) * rows)));
          loss = half === 0 ? part : Math.fround(Math.fround(loss + part) * 0.5);
        }
        let gT = toLanes(s, g, m, lanes, classes);
        const grads: Float32Array[] = [];
        for (let i = weights.length - 1; i >= 0; i--) {
          grads[i] = weightGradient(s, pass.acts[i]!, gT, lanes, weights[i]!.shape[0]!, weights[i]!.shape[1]!);
          if (i > 0) gT = backwardLayer(s, gT, lanes, weights[i]!, pass.acts[i]);
        }
        const value = pool.float32(1);
        value[0] = loss;
        return [value, ...grads];
      } finally {
        s.end();
      }
    },
  };
}
