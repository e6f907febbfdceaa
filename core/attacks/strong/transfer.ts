import type { Attack, Classifier } from './attack.js';

/**
 * A transfer attack: `attack` crafted against the source classifier (for instance the dense round-0 network of a
 * pruned trial), its examples then judged by whichever classifier the result is applied to. The examples are
 * the source's worst case; the target's gradient is never asked.
 */
export function transferAttack(attack: Attack, source: Classifier): Attack {
  return {
    ...attack,
    name: `transfer-${attack.name}`,
    kind: 'transfer',
    craft: (_target, x, labels, rng) => attack.craft(source, x, labels, rng),
  };
}
