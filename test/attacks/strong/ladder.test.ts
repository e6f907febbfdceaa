import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHost, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import {
  apgd, attackOutcome, cleanOutcome, DEFAULT_LADDER_BUDGET, defaultLadder, epsSweep, flatImageBound, pgdRestarts, runLadder, squareAttack, transferAttack, type Attack,
} from '../../../core/attacks/strong/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { useReferenceBackend } from '../../support/backend.js';
import { smallMlp } from './small-mlp.js';

useReferenceBackend();

const [SIDE, K] = [5, 10];
const D = SIDE * SIDE;

function data(seed: number, count: number) {
  const rng = new Rng(seed);
  return {
    images: Float32Array.from({ length: count * D }, () => (rng.next() < 0.3 ? 0 : rng.next())),
    labels: Int32Array.from({ length: count }, () => rng.int(K)),
  };
}

const ladderOf = (eps: number, source: ReturnType<typeof smallMlp>['classifier']): Attack[] => {
  const ball = { eps, clipMin: 0, clipMax: 1 };
  return [
    pgdRestarts({ ...ball, iterations: 5, restarts: 2, loss: 'ce' }),
    apgd({ ...ball, iterations: 8, restarts: 1, loss: 'dlr' }),
    apgd({ ...ball, iterations: 5, restarts: 1, loss: 'dlr-targeted', targets: 2 }),
    squareAttack({ ...ball, queries: 15 }),
    transferAttack(pgdRestarts({ ...ball, iterations: 5, restarts: 1, loss: 'ce' }), source),
  ];
};

describe('the attack ladder', () => {
  it('per image, robust means right clean and on every rung: robust accuracy is at most every rung\'s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0.02, max: 0.4, noNaN: true }), fc.integer({ min: 1, max: 9 }), (seed, eps, batchSize) => tidy(() => {
        const set = data(seed, 12);
        // Labels mostly the network's own predictions, so that the rungs have correct images to attack.
        const net = smallMlp(seed + 1, D);
        const predicted = op.argmax(net.classifier(fromHost(set.images, [12, D])), -1).dataSync();
        const labels = Int32Array.from(set.labels, (y, i) => (i % 4 === 0 ? y : predicted[i]!));
        const ladder = runLadder(ladderOf(eps, smallMlp(seed + 2, D).classifier), net.classifier, { images: set.images, labels }, { rng: new Rng(seed), batchSize });
        const clean = cleanOutcome(net.classifier, { images: set.images, labels });
        expect(Array.from(ladder.clean.correct)).toEqual(Array.from(clean.correct));
        for (let i = 0; i < labels.length; i++) {
          const all = ladder.rungs.every((r) => r.correct[i] === 1) && ladder.clean.correct[i] === 1;
          expect(ladder.robust[i]).toBe(all ? 1 : 0);
          for (const rung of ladder.rungs) {
            expect(ladder.robust[i]).toBeLessThanOrEqual(rung.correct[i]!);
            if (!clean.correct[i]) expect(rung.correct[i]).toBe(0);
          }
        }
        for (const rung of ladder.rungs) {
          expect(ladder.robustAccuracy).toBeLessThanOrEqual(rung.accuracy);
          expect(rung.accuracy).toBe(rung.correct.reduce((a, c) => a + c, 0) / labels.length);
        }
      })),
      { seed: 61, numRuns: 8 },
    );
  });

  it('gives the same per-image results whatever the batch size for an attack without randomness', () => {
    tidy(() => {
      const set = data(3, 13);
      const net = smallMlp(4, D);
      const attack = pgdRestarts({ eps: 0.1, clipMin: 0, clipMax: 1, iterations: 6, restarts: 1, loss: 'dlr', randomStart: false });
      const whole = attackOutcome(attack, net.classifier, set, { rng: new Rng(1), batchSize: 13 });
      for (const batchSize of [1, 4, 5]) {
        expect(Array.from(attackOutcome(attack, net.classifier, set, { rng: new Rng(2), batchSize }).correct)).toEqual(Array.from(whole.correct));
      }
    });
  });

  it('is deterministic under a seed', () => {
    tidy(() => {
      const set = data(5, 10);
      const net = smallMlp(6, D);
      const run = () => runLadder(ladderOf(0.15, smallMlp(7, D).classifier), net.classifier, set, { rng: new Rng(8), batchSize: 4 });
      const [a, b] = [run(), run()];
      expect(a.rungs.map((r) => Array.from(r.correct))).toEqual(b.rungs.map((r) => Array.from(r.correct)));
    });
  });
});

describe('the eps sweep', () => {
  it('evaluates the attack at each eps; eps 0 gives the clean accuracy', () => {
    tidy(() => {
      const set = data(9, 16);
      const net = smallMlp(10, D);
      const eps = [0, 0.05, 0.2];
      const sweep = epsSweep((e) => apgd({ eps: e, clipMin: 0, clipMax: 1, iterations: 10, restarts: 1, loss: 'ce' }), eps, net.classifier, set, { rng: new Rng(11) });
      expect(sweep.map((p) => p.eps)).toEqual(eps);
      expect(Array.from(sweep[0]!.correct)).toEqual(Array.from(cleanOutcome(net.classifier, set).correct));
    });
  });

  it('bounds accuracy by the share of labels of the class the flat mid-grey image gets', () => {
    tidy(() => {
      const net = smallMlp(12, D);
      const grey = op.argmax(net.classifier(op.full([1, D], 0.5)), -1).dataSync()[0]!;
      const labels = Int32Array.from({ length: 20 }, (_, i) => (i < 7 ? grey : (grey + 1 + (i % (K - 1))) % K));
      expect(flatImageBound(net.classifier, { images: new Float32Array(20 * D), labels }, { clipMin: 0, clipMax: 1 })).toBe(7 / 20);
    });
  });
});

describe('the default ladder', () => {
  it('holds PGD-CE with restarts, PGD-DLR, APGD-CE, APGD-T, Square Attack, and the transfer rung given a source', () => {
    const ball = { eps: 0.3, clipMin: 0, clipMax: 1 };
    const b = DEFAULT_LADDER_BUDGET;
    const describe = (a: Attack) => [a.name, a.kind, a.iterations, a.restarts];
    expect(defaultLadder(ball).map(describe)).toEqual([
      ['pgd-ce', 'white-box', b.pgdIterations, b.pgdRestarts],
      ['pgd-dlr', 'white-box', b.pgdIterations, 1],
      ['apgd-ce', 'white-box', b.apgdIterations, 1],
      ['apgd-t', 'white-box', b.apgdIterations, b.targets],
      ['square', 'black-box', b.squareQueries, 1],
    ]);
    const withSource = defaultLadder(ball, { ...b, transferIterations: 7 }, (x) => x);
    expect(describe(withSource.at(-1)!)).toEqual(['transfer-pgd-ce', 'transfer', 7, 1]);
    expect(() => defaultLadder({ ...ball, eps: -1 })).toThrow(/eps/);
  });
});
