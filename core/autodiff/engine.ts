import { ELEMENTWISE_FUSED, type Backend, type FusedAttrs, type FusedKernel, type FusedOp, type HostData } from '../../backends/backend.js';
import { BackendError, RsnError, UnsupportedOpError } from '../errors.js';
import type { DType, Primitive, PrimitiveAttrs, Shape } from './primitives.js';
import { inferOutput, sameShape, sizeOf } from './shapes.js';
import { Tensor } from './tensor.js';

/** One recorded application of a primitive, kept for the backward pass. */
export interface TapeEntry<P extends Primitive = Primitive> {
  readonly primitive: P;
  readonly inputs: readonly Tensor[];
  readonly attrs: PrimitiveAttrs[P];
  readonly output: Tensor;
}

/** Records the ops that depend on the tensors being differentiated against. */
export class Tape {
  readonly entries: TapeEntry[] = [];
  readonly tracked = new Set<number>();
  /** Tensors the backward pass will read: inner tidy() scopes must not free them. */
  readonly referenced = new Set<Tensor>();
  constructor(watched: readonly Tensor[]) {
    for (const t of watched) this.tracked.add(t.id);
  }
}

let active: Backend | undefined;
const scopes: Set<Tensor>[] = [];
const tapes: Tape[] = [];
let recordingPaused = 0;

export function setActiveBackend(backend: Backend): void {
  active = backend;
}

export function activeBackend(): Backend {
  if (!active) throw new BackendError('no backend is active', "call useBackend('reference') (backends/registry.ts) first");
  return active;
}

function track(t: Tensor): Tensor {
  scopes[scopes.length - 1]?.add(t);
  return t;
}

/** Wrap host values as a tensor on the active backend. */
export function fromHost(values: HostData, shape: Shape, dtype: DType = 'float32'): Tensor {
  if (values.length !== sizeOf(shape)) {
    throw new RsnError(`${values.length} values do not fill shape [${shape}]`);
  }
  const backend = activeBackend();
  return track(new Tensor(shape, dtype, backend.upload(values, shape, dtype), backend));
}

/**
 * The single chokepoint: every primitive application goes through here. It infers the output shape,
 * runs the active backend's kernel and, when a gradient is being recorded, appends a tape entry.
 */
export function bind<P extends Primitive>(primitive: P, inputs: readonly Tensor[], attrs: PrimitiveAttrs[P]): Tensor {
  const backend = inputs[0]?.backend ?? activeBackend();
  for (const t of inputs) {
    if (t.backend !== backend) {
      throw new BackendError(`'${primitive}' mixes tensors of backends '${backend.name}' and '${t.backend.name}'`);
    }
  }
  if (!Object.hasOwn(inferOutput, primitive)) throw new UnsupportedOpError(primitive, inputs[0]?.dtype ?? 'none', backend.name);
  const out = inferOutput[primitive](inputs, attrs);
  const infos = inputs.map((t) => ({ handle: t.handle, shape: t.shape, dtype: t.dtype }));
  const output = track(new Tensor(out.shape, out.dtype, backend.run(primitive, infos, attrs, out), backend));
  if (recordingPaused === 0) {
    for (const tape of tapes) {
      if (inputs.some((t) => tape.tracked.has(t.id))) {
        tape.entries.push({ primitive, inputs, attrs, output } as TapeEntry);
        tape.tracked.add(output.id);
        for (const t of inputs) tape.referenced.add(t);
        tape.referenced.add(output);
      }
    }
  }
  return output;
}

let fusion = true;

/** Switch the backends' fused kernels on or off (tests compare both paths); returns the previous setting. */
export function setFusion(enabled: boolean): boolean {
  const previous = fusion;
  fusion = enabled;
  return previous;
}

/**
 * Several primitives in one pass (backends/backend.ts, FusedAttrs): the backend's fused kernel when it has one,
 * the inputs are float32 (of one shape for an elementwise kernel) and no tape records them; otherwise
 * `composition`, which defines it. Outputs have the shapes `outputShapes`, by default that of the first input.
 */
export function fused<F extends FusedOp>(
  name: F, inputs: readonly Tensor[], attrs: FusedAttrs[F], composition: () => Tensor[], outputShapes?: readonly Shape[],
): Tensor[] {
  const backend = inputs[0]!.backend;
  const kernels = fusion ? backend.fused : undefined;
  const kernel = kernels?.[name] as FusedKernel<F, unknown> | undefined;
  const { shape } = inputs[0]!;
  const elementwise = ELEMENTWISE_FUSED.has(name);
  const plain = inputs.every((t) => t.backend === backend && t.dtype === 'float32' && (!elementwise || sameShape(t.shape, shape)));
  const recorded = recordingPaused === 0 && tapes.some((tape) => inputs.some((t) => tape.tracked.has(t.id)));
  if (!kernel || !plain || recorded) return composition();
  const infos = inputs.map((t) => ({ handle: t.handle, shape: t.shape, dtype: t.dtype }));
  return kernel.call(kernels, infos, attrs).map((handle, i) => track(new Tensor(outputShapes?.[i] ?? shape, 'float32', handle, backend)));
}

/** Run fn while recording onto `tape` (and every enclosing tape). */
export function recordOn<T>(tape: Tape, fn: () => T): T {
  tapes.push(tape);
  try {
    return fn();
  } finally {
    tapes.pop();
  }
}

/** Run fn without recording: its results are constants to every tape. */
export function untracked<T>(fn: () => T): T {
  recordingPaused++;
  try {
    return fn();
  } finally {
    recordingPaused--;
  }
}

/** Any nesting of tensors in arrays and plain objects. */
export type TensorTree = Tensor | readonly TensorTree[] | { readonly [k: string]: TensorTree } | number | string | boolean | undefined | null;

function collect(tree: unknown, into: Set<Tensor>): void {
  if (tree instanceof Tensor) into.add(tree);
  else if (Array.isArray(tree)) tree.forEach((t) => collect(t, into));
  else if (tree && typeof tree === 'object') Object.values(tree).forEach((t) => collect(t, into));
}

/**
 * Run fn in a scope: every tensor created inside is disposed when fn returns, except the tensors found in
 * its result (which move to the enclosing scope) and those passed to keep().
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    scope.forEach((t) => t.dispose());
    throw error;
  }
  scopes.pop();
  const survivors = new Set<Tensor>();
  collect(result, survivors);
  for (const t of scope) {
    if (survivors.has(t) || tapes.some((tape) => tape.referenced.has(t))) track(t);
    else t.dispose();
  }
  return result;
}

/** Exempt tensors from the enclosing tidy() scopes; the caller disposes them. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

/** Dispose every tensor in a tree. */
export function disposeAll(tree: unknown): void {
  const all = new Set<Tensor>();
  collect(tree, all);
  all.forEach((t) => t.dispose());
}
