import { describe, expect, it } from 'vitest';
import { fromHost, tidy } from '../../../core/autodiff/engine.js';
import { apgd, epsSweep, pgdRestarts, runLadder, squareAttack } from '../../../core/attacks/strong/index.js';
import { ConfigError } from '../../../core/errors.js';
import { Rng } from '../../../core/nn/rng.js';
import { useReferenceBackend } from '../../support/backend.js';
import { counting, smallMlp } from './small-mlp.js';

useReferenceBackend();

const ball = { eps: 0.3, clipMin: 0, clipMax: 1 };

describe('strong attack validation', () => {
  it('rejects impossible settings when the attack is built, before any work', () => {
    const pgd = (o: object) => () => pgdRestarts({ ...ball, iterations: 10, restarts: 1, loss: 'ce', ...o });
    expect(pgd({ eps: -0.1 })).toThrow(ConfigError);
    expect(pgd({ eps: Number.NaN })).toThrow(/eps must be a finite number >= 0/);
    expect(pgd({ clipMin: 1, clipMax: 0 })).toThrow(/clip range \[1, 0\] is empty/);
    expect(pgd({ iterations: 0 })).toThrow(/iterations must be a whole number >= 1, got 0/);
    expect(pgd({ iterations: 2.5 })).toThrow(/iterations/);
    expect(pgd({ restarts: 0 })).toThrow(/restarts/);
    expect(pgd({ step: 0 })).toThrow(/step must be a finite number > 0/);
    expect(pgd({ loss: 'hinge' })).toThrow(/unknown loss 'hinge'/);
    const ap = (o: object) => () => apgd({ ...ball, iterations: 10, restarts: 1, loss: 'dlr-targeted', ...o });
    expect(ap({ targets: 0 })).toThrow(/targets/);
    expect(ap({ rho: 1.5 })).toThrow(/rho must be a finite number in \(0, 1\]/);
    expect(ap({ alpha: 0 })).toThrow(/alpha/);
    expect(ap({ loss: 'cw' })).toThrow(/unknown loss 'cw'/);
    expect(ap({ iterations: -3 })).toThrow(ConfigError);
    const sq = (o: object) => () => squareAttack({ ...ball, queries: 100, ...o });
    expect(sq({ queries: 0 })).toThrow(/queries/);
    expect(sq({ pInit: 0 })).toThrow(/pInit/);
    expect(sq({ pInit: 1.2 })).toThrow(/pInit/);
    expect(sq({ image: { height: 0, width: 28, channels: 1 } })).toThrow(/image height/);
  });

  it('rejects settings that depend on the data before computing any gradient', () => {
    tidy(() => {
      const rng = new Rng(1);
      const x = fromHost(rng.uniformArray(4 * 16, 0, 1), [4, 16]);
      const labels = Int32Array.of(0, 1, 0, 1);
      const threeClasses = counting(smallMlp(2, 16, 8, 3).classifier);
      expect(() => apgd({ ...ball, iterations: 5, restarts: 1, loss: 'dlr-targeted' }).craft(threeClasses.classifier, x, labels, rng)).toThrow(/needs 4 classes/);
      const tenClasses = counting(smallMlp(2, 16, 8, 10).classifier);
      expect(() => apgd({ ...ball, iterations: 5, restarts: 1, loss: 'dlr-targeted', targets: 10 }).craft(tenClasses.classifier, x, labels, rng))
        .toThrow(/10 targets asked, but there are only 9 wrong classes/);
      expect(() => squareAttack({ ...ball, queries: 5 }).craft(tenClasses.classifier, fromHost(rng.uniformArray(4 * 15, 0, 1), [4, 15]), labels, rng))
        .toThrow(/not a square image/);
      // Only the clean logits were computed (one call each), no gradient step.
      expect(threeClasses.calls).toBe(1);
      expect(tenClasses.calls).toBe(1);
    });
  });

  it('rejects an empty ladder or sweep and mismatched data', () => {
    const { classifier } = tidy(() => smallMlp(3, 16));
    const data = { images: new Float32Array(3 * 16), labels: Int32Array.of(0, 1, 2) };
    expect(() => runLadder([], classifier, data, { rng: new Rng(1) })).toThrow(/ladder is empty/);
    expect(() => epsSweep((eps) => pgdRestarts({ ...ball, eps, iterations: 2, restarts: 1, loss: 'ce' }), [], classifier, data, { rng: new Rng(1) })).toThrow(/no eps/);
    expect(() => epsSweep((eps) => pgdRestarts({ ...ball, eps, iterations: 2, restarts: 1, loss: 'ce' }), [0.1, -1], classifier, data, { rng: new Rng(1) })).toThrow(/eps/);
    const attack = pgdRestarts({ ...ball, iterations: 2, restarts: 1, loss: 'ce' });
    expect(() => runLadder([attack], classifier, { images: new Float32Array(10), labels: Int32Array.of(0, 1, 2) }, { rng: new Rng(1) })).toThrow(/10 values for 3 labels/);
    expect(() => runLadder([attack], classifier, data, { rng: new Rng(1), batchSize: 0 })).toThrow(/batch size/);
  });
});
