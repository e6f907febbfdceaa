/**
 * Pruning rates per parameter: the model's (each parameter's pruneRate, by role), overridden per parameter by
 * --prune_rates 'name=rate,name=rate'. Biases are never pruned.
 */
import { ConfigError } from '../errors.js';
import type { ModelSpec } from '../nn/models/index.js';

/** The syntax of --prune_rates, for messages. */
const SYNTAX = "name=rate pairs separated by commas, e.g. --prune_rates conv_1=0.15,output=0.05 (rates in [0, 1))";

/** Each parameter's rate in spec order: the model's, with the overrides in `text` ('' overrides nothing). */
export function pruneRates(spec: ModelSpec, text = ''): number[] {
  const rates = spec.parameters.map((p) => p.pruneRate);
  if (text.trim() === '') return rates;
  const seen = new Set<string>();
  for (const entry of text.split(',')) {
    const match = /^\s*([A-Za-z0-9_]+)\s*=\s*([^\s]+)\s*$/.exec(entry);
    if (!match) throw new ConfigError(`--prune_rates: '${entry}' is not name=rate`, `give ${SYNTAX}`);
    const [, name, value] = match as unknown as [string, string, string];
    const index = spec.parameters.findIndex((p) => p.name === name);
    const kernels = spec.parameters.filter((p) => p.kind === 'kernel').map((p) => p.name);
    if (index < 0) throw new ConfigError(`--prune_rates: model ${spec.name} has no parameter '${name}'`, `its prunable parameters are: ${kernels.join(', ')}`);
    if (spec.parameters[index]!.kind === 'bias') throw new ConfigError(`--prune_rates: '${name}' is a bias, and biases are never pruned`, `its prunable parameters are: ${kernels.join(', ')}`);
    if (seen.has(name)) throw new ConfigError(`--prune_rates names '${name}' twice`, 'give each parameter once');
    seen.add(name);
    const rate = Number(value);
    if (!(value.trim() !== '' && Number.isFinite(rate) && rate >= 0 && rate < 1)) {
      throw new ConfigError(`--prune_rates: the rate of '${name}' must be a number in [0, 1); got '${value}'`, `give ${SYNTAX}`);
    }
    rates[index] = rate;
  }
  return rates;
}
