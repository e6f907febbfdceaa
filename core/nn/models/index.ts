/** The models rsn trains, by name (`--model`). A new model is one file beside these and one line here. */
import { ConfigError } from '../../errors.js';
import { CNN_MADRY } from './cnn-madry.js';
import { DENSE_300_100 } from './dense-300-100.js';
import { LENET5 } from './lenet5.js';
import type { ModelSpec } from './spec.js';

export * from './spec.js';
export type { AttackBounds, ModelKernels } from './kernels.js';
export { DENSE_300_100 } from './dense-300-100.js';
export { mlp } from './mlp.js';
export { LENET5 } from './lenet5.js';
export { CNN_MADRY } from './cnn-madry.js';

export const MODELS: Readonly<Record<string, ModelSpec>> = Object.freeze({
  [DENSE_300_100.name]: DENSE_300_100,
  [LENET5.name]: LENET5,
  [CNN_MADRY.name]: CNN_MADRY,
});

export const MODEL_NAMES: readonly string[] = Object.keys(MODELS);

export function modelSpec(name: string): ModelSpec {
  const spec = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (!spec) throw new ConfigError(`unknown model '${name}'`, `use one of: ${MODEL_NAMES.join(', ')}`);
  return spec;
}
