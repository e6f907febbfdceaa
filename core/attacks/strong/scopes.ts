import { keep, tidy } from '../../autodiff/engine.js';
import type { Tensor } from '../../autodiff/tensor.js';

/**
 * The tensors an iterative attack holds across iterations, outside every tidy() scope. State variables may share
 * one tensor (the start is both the current and the best point), so release goes by reference: sweep() frees
 * each held tensor that no live state variable refers to any more.
 */
export class Held {
  readonly #all = new Set<Tensor>();

  hold<T extends Tensor>(t: T): T {
    this.#all.add(keep(t));
    return t;
  }

  sweep(live: readonly (Tensor | undefined)[]): void {
    const referenced = new Set(live);
    for (const t of this.#all) {
      if (referenced.has(t)) continue;
      t.dispose();
      this.#all.delete(t);
    }
  }

  dispose(): void {
    this.sweep([]);
  }
}

/**
 * Run fn in a tidy() scope for its host result: every tensor made inside is freed. (A tidy() that returned host
 * arrays would walk their elements looking for tensors.)
 */
export function hostResult<T>(fn: () => T): T {
  let result: T | undefined;
  tidy(() => void (result = fn()));
  return result as T;
}
