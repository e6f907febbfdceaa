/** Leak check: live tensors and backend handles return to where they were after every attack, the ladder and the sweep. */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../backends/reference/index.js';
import { disposeAll, fromHost, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { liveTensorCount } from '../../../core/autodiff/tensor.js';
import { apgd, attackOutcome, epsSweep, pgdRestarts, runLadder, squareAttack, transferAttack } from '../../../core/attacks/strong/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { smallMlp } from './small-mlp.js';

describe('strong attacks keep memory flat', () => {
  it('every tensor an attack makes is freed, batch after batch', () => {
    const backend = createReferenceBackend('float32');
    setActiveBackend(backend);
    const D = 16;
    const target = smallMlp(1, D);
    const source = smallMlp(2, D);
    const rng = new Rng(3);
    const data = { images: rng.uniformArray(30 * D, 0, 1), labels: Int32Array.from({ length: 30 }, () => rng.int(10)) };
    const ball = { eps: 0.1, clipMin: 0, clipMax: 1 };
    const attacks = [
      pgdRestarts({ ...ball, iterations: 4, restarts: 2, loss: 'ce' }),
      apgd({ ...ball, iterations: 6, restarts: 2, loss: 'dlr' }),
      apgd({ ...ball, iterations: 4, restarts: 1, loss: 'dlr-targeted', targets: 2 }),
      squareAttack({ ...ball, queries: 10 }),
      transferAttack(pgdRestarts({ ...ball, iterations: 3, restarts: 1, loss: 'ce' }), source.classifier),
    ];
    const counts = () => ({ tensors: liveTensorCount(), handles: backend.liveHandles() });
    const start = counts();
    for (const attack of attacks) {
      attackOutcome(attack, target.classifier, data, { rng: new Rng(4), batchSize: 7 });
      expect(counts(), attack.name).toEqual(start);
    }
    runLadder(attacks, target.classifier, data, { rng: new Rng(5), batchSize: 8 });
    expect(counts()).toEqual(start);
    epsSweep((eps) => apgd({ ...ball, eps, iterations: 5, restarts: 1, loss: 'ce' }), [0, 0.2], target.classifier, data, { rng: new Rng(6) });
    expect(counts()).toEqual(start);
    disposeAll([target.weights, source.weights]);
  });

  it('live tensors do not grow with the iterations of a run', () => {
    const backend = createReferenceBackend('float32');
    setActiveBackend(backend);
    const D = 16;
    const net = smallMlp(7, D);
    const rng = new Rng(8);
    const x = fromHost(rng.uniformArray(6 * D, 0, 1), [6, D]);
    // Labels the network predicts, and a ball too small to fool it: every run goes the distance.
    const labels = Int32Array.from(op.argmax(net.classifier(x), -1).dataSync());
    const ball = { eps: 1e-4, clipMin: 0, clipMax: 1 };
    for (const attack of [
      pgdRestarts({ ...ball, iterations: 60, restarts: 1, loss: 'ce' }),
      apgd({ ...ball, iterations: 60, restarts: 1, loss: 'dlr' }),
      squareAttack({ ...ball, queries: 60 }),
    ]) {
      const live: number[] = [];
      const watched = (input: Tensor) => {
        live.push(liveTensorCount());
        return net.classifier(input);
      };
      tidy(() => attack.craft(watched, x, labels, new Rng(9)));
      expect(live.length, attack.name).toBeGreaterThan(55);
      const early = Math.max(...live.slice(5, 25));
      expect(Math.max(...live.slice(25)), attack.name).toBeLessThanOrEqual(early);
    }
    disposeAll([net.weights, x]);
  });
});
