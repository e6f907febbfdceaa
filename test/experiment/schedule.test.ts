/**
 * The evaluation schedules (core/experiment/schedule.ts). The oracle for 'original' is a transcription of the
 * original's training loop: Keras' fit over epochs of ceil(n / batch) batches, with the EvalEvery callback
 * (experiments/callbacks.py) firing in on_train_batch_end when batch % eval_every == 0 and advancing its
 * counter by eval_every after each evaluation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluationPoints, originalStepOf, PAPER_ROW_STEP, type EvaluationPoint } from '../../core/experiment/schedule.js';
import { earlyStopping, originalLoss } from '../../core/experiment/round.js';
import { PAPER_SETTINGS } from '../../benchmarks/paper/expected.js';

function keras(trainIters: number, evalEvery: number, trainCount: number, batchSize: number): EvaluationPoint[] {
  const perEpoch = Math.ceil(trainCount / batchSize);
  const out: EvaluationPoint[] = [];
  let step = 0;
  let counter = 0;
  for (let epoch = 0; step < trainIters; epoch++) {
    for (let batch = 0; batch < perEpoch && step < trainIters; batch++) {
      step++;
      if (batch % evalEvery === 0) {
        out.push({ step, counter });
        counter += evalEvery;
      }
    }
  }
  return out;
}

describe('evaluation schedules', () => {
  it("'every': at 0, every eval_every steps and at the end", () => {
    const points = evaluationPoints({ schedule: 'every', trainIters: 1200, evalEvery: 500, trainCount: 50000, batchSize: 60 });
    expect(points).toEqual([0, 500, 1000, 1200].map((s) => ({ step: s, counter: s })));
  });

  it("'original' at the protocol's settings: after steps 1, 501, 835, 1335, ...; the row labelled 30,000 after step 25,021", () => {
    const points = evaluationPoints({ schedule: 'original', trainIters: 50000, evalEvery: 500, trainCount: 50000, batchSize: 60 });
    expect(points.slice(0, 4)).toEqual([{ step: 1, counter: 0 }, { step: 501, counter: 500 }, { step: 835, counter: 1000 }, { step: 1335, counter: 1500 }]);
    expect(points.find((p) => p.counter === 30000)).toEqual({ step: 25021, counter: 30000 });
    expect(points.at(-1)).toEqual({ step: 59 * 834 + 501, counter: 59500 });
    expect(PAPER_ROW_STEP).toBe(25021);
    expect(PAPER_SETTINGS.effective_step).toBe(PAPER_ROW_STEP);
  });

  it("'original' equals the transcription of the original's loop for any budget and sizes", () => {
    const arb = fc.record({
      trainIters: fc.integer({ min: 1, max: 3000 }), evalEvery: fc.integer({ min: 1, max: 400 }),
      trainCount: fc.integer({ min: 1, max: 2000 }), batchSize: fc.integer({ min: 1, max: 100 }),
    });
    fc.assert(fc.property(arb, (a) => {
      const points = evaluationPoints({ schedule: 'original', ...a });
      expect(points).toEqual(keras(a.trainIters, a.evalEvery, a.trainCount, a.batchSize));
      for (const p of points) expect(originalStepOf(p.counter, a.evalEvery, Math.ceil(a.trainCount / a.batchSize))).toBe(p.step);
    }), { seed: 11, numRuns: 200 });
  });

  it("'paper_row': the paper's row and the last step only", () => {
    expect(evaluationPoints({ schedule: 'paper_row', trainIters: 50000, evalEvery: 500, trainCount: 50000, batchSize: 60 }))
      .toEqual([{ step: 25021, counter: 30000 }, { step: 50000, counter: 50000 }]);
    expect(evaluationPoints({ schedule: 'paper_row', trainIters: 800, evalEvery: 500, trainCount: 50000, batchSize: 60 }))
      .toEqual([{ step: 800, counter: 800 }]);
  });
});

describe('early-stopping criteria', () => {
  const metrics = (loss: number, advLoss: number, batch: number) => ({ batch, step: batch + 1, loss, acc: batch / 1000, adv_acc: 0, adv_loss: advLoss });
  // natural loss is lowest at 100; 0.5 natural + 0.5 adversarial is lowest at 200 (0.5 * 0.5 + 0.5 * 1 = 0.75)
  const valid = [metrics(0.9, 3, 0), metrics(0.4, 2, 100), metrics(0.5, 1, 200), metrics(0.6, 2.5, 300)];
  const test = valid.map((r) => ({ ...r, acc: r.acc + 0.5 }));

  it("rsn's criterion is the natural validation loss", () => {
    expect(earlyStopping(valid, test)).toMatchObject({ iteration: 100, step: 101, valid_loss: 0.4, test_acc: 0.6 });
  });

  it("the original's is the validation objective: 0.5 natural + 0.5 adversarial when adversarially trained", () => {
    expect(earlyStopping(valid, test, originalLoss(true))).toMatchObject({ iteration: 200, step: 201, valid_loss: 0.5, test_acc: 0.7 });
    expect(earlyStopping(valid, test, originalLoss(false))).toMatchObject({ iteration: 100 });
  });
});
