import type { Backend, HostData, TensorInfo } from './backend.js';
import { BackendError, RsnError, UnsupportedOpError } from '../errors.js';
import { HOST_KERNELS, type FloatValues, type HostKernel } from './host-kernels/index.js';
import { isOptionalPrimitive, type DType, type OptionalPrimitive, type Primitive, type PrimitiveAttrs, type Shape } from './primitives.js';
import { inferOutput, sizeOf } from './shapes.js';
import { Tensor } from './tensor.js';

/** One recorded application of a primitive, kept for the backward pass. */
export interface TapeEntry<P extends Primitive = Primitive> {
  readonly primitive: P;
  readonly inputs: readonly Tensor[];
  readonly attrs: PrimitiveAttrs[P];
  readonly output: Tensor;
}

/**
 * One recorded custom op (see `custom`) that ran as a backend's kernel: its differentiable inputs, its output,
 * and their cotangents given the output's (null where `needs` is false), which the caller defines as its
 * composition's.
 */
export interface CustomTapeEntry {
  readonly custom: string;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly inputCotangents: (outputCotangent: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[];
}

/** Records the ops that depend on the tensors being differentiated against. */
export class Tape {
  readonly entries: (TapeEntry | CustomTapeEntry)[] = [];
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
  if (!active) throw new BackendError('no backend is active', "activate one with setActiveBackend() (backends/registry.ts loads them)");
  return active;
}

function track(t: Tensor): Tensor {
  scopes[scopes.length - 1]?.add(t);
  return t;
}

const infoOf = (t: Tensor): TensorInfo => ({ handle: t.handle, shape: t.shape, dtype: t.dtype });

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
  const infos = inputs.map(infoOf);
  const handle = isOptionalPrimitive(primitive) && !backend.optionalPrimitives?.has(primitive)
    ? runOnHost(backend, primitive, infos, attrs as never, out.shape)
    : backend.run(primitive, infos, attrs, out);
  const output = track(new Tensor(out.shape, out.dtype, handle, backend));
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

/**
 * An optional primitive the backend has no kernel for: its host kernel on the inputs' values, uploaded as the
 * output (float32 outputs only, as every optional primitive has). The inputs are read synchronously, inside
 * bind: a backend whose reads are asynchronous only (readAsync, and a read() that throws) needs its own kernel.
 */
function runOnHost<P extends OptionalPrimitive>(backend: Backend, primitive: P, infos: readonly TensorInfo[], attrs: PrimitiveAttrs[P], shape: Shape): unknown {
  const read = (info: TensorInfo): FloatValues => {
    try {
      return backend.read(info) as FloatValues;
    } catch (error) {
      if (!backend.readAsync) throw error;
      throw new BackendError(
        `backend '${backend.name}' has no kernel of the optional primitive '${primitive}', and the host kernel that runs in its place cannot read its inputs: the backend reads asynchronously only`,
        `give the backend a '${primitive}' kernel and list it in its optionalPrimitives (core/autodiff/backend.ts), or run on a backend with synchronous reads (reference, wasm, native)`,
      );
    }
  };
  const inputs = infos.map((info) => ({ values: read(info), shape: info.shape }));
  const kernel = HOST_KERNELS[primitive] as unknown as HostKernel<P>;
  return backend.upload(kernel(inputs, attrs, shape), shape, 'float32');
}

/** The inputs of a custom kernel by name: a tensor or a list of tensors each. */
export type CustomInputs<T = Tensor> = Readonly<Record<string, T | readonly T[]>>;

/**
 * How a one-output custom op may run as its kernel while a gradient is recorded: `inputs` names the inputs that
 * may be differentiated (each one tensor), and `inputCotangents` gives their cotangents from the output's, in
 * that order, as reverse-mode autodiff of the composition computes them (each may come from a custom op itself).
 * It is handed the kernel's output and `needs`, which says per input whether a tape records it: an input that
 * is not needed may get null, and its cotangent need not be computed.
 */
export interface CustomGradient {
  readonly inputs: readonly string[];
  readonly inputCotangents: (outputCotangent: Tensor, output: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[];
}

/**
 * A composition that a backend may run as one custom kernel (backend.ts, `custom`): the kernel named `name` when
 * the inputs' backend has one, every input is a float32 tensor, and the kernel does not decline; otherwise
 * `composition`, which defines the result and is the kernel's test oracle. The kernel's outputs are float32
 * tensors of the shapes `outputs`. Where a tape records an input, the composition runs, unless `gradient` says
 * how to differentiate the kernel's output with respect to every recorded input: the kernel's output is then
 * recorded with that rule.
 */
export function custom(
  name: string, inputs: CustomInputs, attrs: object, composition: () => Tensor[], outputs: readonly Shape[], gradient?: CustomGradient,
): Tensor[] {
  const all = Object.values(inputs).flatMap((v) => (v instanceof Tensor ? [v] : [...v]));
  const backend = all[0]?.backend;
  const kernel = backend?.custom?.[name] as ((i: CustomInputs<TensorInfo>, a: object) => unknown[] | undefined) | undefined;
  if (!backend || !kernel) return composition();
  const plain = all.every((t) => t.backend === backend && t.dtype === 'float32');
  const recording = recordingPaused === 0 ? tapes.filter((tape) => all.some((t) => tape.tracked.has(t.id))) : [];
  const differentiable = gradient && outputs.length === 1 ? gradient.inputs.map((key) => inputs[key]) : [];
  const tensors = differentiable.filter((t): t is Tensor => t instanceof Tensor);
  const recordable = tensors.length > 0 && tensors.length === differentiable.length
    && recording.every((tape) => all.every((t) => tensors.includes(t) || !tape.tracked.has(t.id)));
  if (!plain || (recording.length > 0 && !recordable)) return composition();
  const infos: Record<string, TensorInfo | TensorInfo[]> = {};
  for (const [key, value] of Object.entries(inputs)) infos[key] = value instanceof Tensor ? infoOf(value) : value.map(infoOf);
  const handles = kernel(infos, attrs);
  if (!handles) return composition();
  const results = handles.map((handle, i) => track(new Tensor(outputs[i]!, 'float32', handle, backend)));
  for (const tape of recording) {
    const output = results[0]!;
    const rule = gradient!.inputCotangents;
    tape.entries.push({ custom: name, inputs: tensors, output, inputCotangents: (g, needs) => rule(g, output, needs) });
    tape.tracked.add(results[0]!.id);
    for (const t of [...all, results[0]!]) tape.referenced.add(t);
  }
  return results;
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

/**
 * Run fn recording onto `tape` alone, even inside untracked() or another tape's recording: a gradient's
 * composition that differentiates a function of its own (grad.ts, vjp) while the outer gradient is computed.
 */
export function recordOnly<T>(tape: Tape, fn: () => T): T {
  const outer = tapes.splice(0);
  const paused = recordingPaused;
  tapes.push(tape);
  recordingPaused = 0;
  try {
    return fn();
  } finally {
    tapes.splice(0, tapes.length, ...outer);
    recordingPaused = paused;
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

/**
 * The host values of several tensors, read through Tensor.data(): a backend whose reads are asynchronous (a GPU)
 * answers them all after one wait, the CPU backends at once. The caller still owns (and disposes) the tensors.
 */
export const readAll = (tensors: readonly Tensor[]): Promise<HostData[]> => Promise.all(tensors.map((t) => t.data()));

/** Dispose every tensor in a tree. */
export function disposeAll(tree: unknown): void {
  const all = new Set<Tensor>();
  collect(tree, all);
  all.forEach((t) => t.dispose());
}
