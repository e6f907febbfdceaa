import { describe, expect, it } from 'vitest';
import { fromHost, tidy } from '../../../core/autodiff/engine.js';
import { pgdRestarts, squareAttack, transferAttack } from '../../../core/attacks/strong/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { useReferenceBackend } from '../../support/backend.js';
import { counting, smallMlp } from './small-mlp.js';

useReferenceBackend();

const [D, N] = [16, 8];

describe('transfer attack', () => {
  it('crafts on the source exactly as the attack alone does, and never asks the target', () => {
    tidy(() => {
      const rng = new Rng(1);
      const x = fromHost(rng.uniformArray(N * D, 0, 1), [N, D]);
      const labels = Int32Array.from({ length: N }, () => rng.int(10));
      const source = smallMlp(2, D);
      const target = counting(smallMlp(3, D).classifier);
      for (const attack of [pgdRestarts({ eps: 0.2, clipMin: 0, clipMax: 1, iterations: 7, restarts: 2, loss: 'ce' }), squareAttack({ eps: 0.2, clipMin: 0, clipMax: 1, queries: 20 })]) {
        const alone = attack.craft(source.classifier, x, labels, new Rng(4)).dataSync();
        const transferred = transferAttack(attack, source.classifier);
        expect(transferred.kind).toBe('transfer');
        expect(transferred.name).toBe(`transfer-${attack.name}`);
        expect(Array.from(transferred.craft(target.classifier, x, labels, new Rng(4)).dataSync())).toEqual(Array.from(alone));
      }
      expect(target.calls).toBe(0);
    });
  });
});
