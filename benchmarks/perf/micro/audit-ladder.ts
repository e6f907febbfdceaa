/**
 * npx tsx benchmarks/perf/micro/audit-ladder.ts [--backend native] [--batch 1000] [--runs 1] [--eps 0.0001]
 *     [--pgd-iterations 100] [--pgd-restarts 2] [--apgd-iterations 100] [--targets 3] [--queries 1000] [--transfer-iterations 100]
 *
 * The cost of each rung of the strong-attack ladder (core/attacks/strong/default-ladder.ts) on one batch of
 * dense-300-100 (random Glorot weights, MNIST-like random images), timed with tinybench, and the cost projected
 * to 10,000 images. The labels are the network's own predictions and eps is tiny by default, so no image is
 * fooled and every iteration, restart, target and query runs: the most a rung can cost (a robust network's
 * audit). Rerun with --eps 0.3 to see how early stopping cuts it when most images fall. Also prints the unit
 * costs, one input gradient and one forward pass of the batch, to which every rung's cost reduces, and ReLU's
 * backward product on the first hidden layer two ways (a backend's special case for 0/1 operands of mul shows).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Bench, hrtimeNow } from 'tinybench';
import { loadBackend } from '../../../backends/registry.js';
import { fromHost, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { attackOutcome, defaultLadder, DEFAULT_LADDER_BUDGET, type Attack, type LabelledImages } from '../../../core/attacks/strong/index.js';
import { evaluateWithGradient, logitsAt } from '../../../core/attacks/strong/evaluation.js';
import { crossEntropyPerImage, oneHotOf } from '../../../core/attacks/strong/losses.js';
import { DENSE_300_100, initialWeights } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' }, batch: { type: 'string', default: '1000' }, runs: { type: 'string', default: '1' },
    eps: { type: 'string', default: '0.0001' },
    'pgd-iterations': { type: 'string' }, 'pgd-restarts': { type: 'string' }, 'apgd-iterations': { type: 'string' },
    targets: { type: 'string' }, queries: { type: 'string' }, 'transfer-iterations': { type: 'string' },
  },
});
const number = (flag: string | undefined, fallback: number) => (flag === undefined ? fallback : Number(flag));
const budget = {
  pgdIterations: number(args['pgd-iterations'], DEFAULT_LADDER_BUDGET.pgdIterations),
  pgdRestarts: number(args['pgd-restarts'], DEFAULT_LADDER_BUDGET.pgdRestarts),
  apgdIterations: number(args['apgd-iterations'], DEFAULT_LADDER_BUDGET.apgdIterations),
  targets: number(args.targets, DEFAULT_LADDER_BUDGET.targets),
  squareQueries: number(args.queries, DEFAULT_LADDER_BUDGET.squareQueries),
  transferIterations: number(args['transfer-iterations'], DEFAULT_LADDER_BUDGET.transferIterations),
};
const batch = Number(args.batch);
const runs = Number(args.runs);
const IMAGES = 10_000;

setActiveBackend(await loadBackend(args.backend!));
const network = (seed: number) => {
  const weights = initialWeights(DENSE_300_100, new Rng(seed));
  const effective = DENSE_300_100.parameters.map((p, i) => fromHost(weights[i]!, p.shape));
  return (x: Tensor) => DENSE_300_100.logits(effective, x);
};
const classifier = network(1);
// The transfer rung's source: another copy of the same weights, so that it classifies the images as the target
// does and attacks them all (a pruned trial's dense round 0 gets most images right too).
const source = network(1);
const rng = new Rng(3);
const images = Float32Array.from({ length: batch * 784 }, () => (rng.next() < 0.6 ? 0 : rng.next()));
const labels = tidy(() => Int32Array.from(op.argmax(classifier(fromHost(images, [batch, 784])), -1).dataSync()));
const data: LabelledImages = { images, labels };
const ball = { eps: Number(args.eps), clipMin: 0, clipMax: 1 };
const ladder = defaultLadder(ball, budget, source);

/** Median wall and CPU milliseconds of fn over `times` runs (tinybench), after one warm-up call (fn itself by default). */
async function measure(name: string, fn: () => void, times: number, warm: () => void = fn): Promise<{ wall: number; cpu: number }> {
  warm();
  let cpu = 0;
  let startCpu = process.cpuUsage();
  const bench = new Bench({ now: hrtimeNow, iterations: times, time: 0, warmup: false, throws: true });
  bench.add(name, fn, {
    beforeAll: () => void (startCpu = process.cpuUsage()),
    afterAll: () => {
      const used = process.cpuUsage(startCpu);
      cpu = (used.user + used.system) / 1000;
    },
  });
  const [task] = await bench.run();
  const r = task!.result!;
  return { wall: r.latency.p50 ?? r.latency.mean, cpu: cpu / r.latency.samples.length };
}

const small: LabelledImages = { images: images.subarray(0, 50 * 784), labels: labels.subarray(0, 50) };
const x = fromHost(images, [batch, 784]);
const oneHot = oneHotOf(labels, 10);
const gradient = await measure('input gradient', () => tidy(() => void evaluateWithGradient(classifier, (z) => crossEntropyPerImage(z, oneHot), x).gradient.dataSync()), 10);
const forwardPass = await measure('forward', () => void logitsAt(classifier, x), 10);
// ReLU's backward pass on the first hidden layer, as the autodiff runs it (mul by a 0/1 comparison) and the
// same values through where: a backend that treats a 0/1 operand of mul specially shows it here.
const [a1, g1] = [0, 1].map(() => fromHost(rng.uniformArray(batch * 300, -1, 1), [batch, 300])) as [Tensor, Tensor];
const reluMul = await measure('relu backward (mul)', () => tidy(() => void op.mul(g1, op.greater(a1, 0)).dataSync()), 10);
const reluWhere = await measure('relu backward (where)', () => tidy(() => void op.where(op.greater(a1, 0), g1, 0).dataSync()), 10);

const scale = IMAGES / batch;
const line = (name: string, t: { wall: number; cpu: number }, extra = '') =>
  `${name.padEnd(26)} ${t.wall.toFixed(1).padStart(9)} ${t.cpu.toFixed(1).padStart(9)} ${((t.wall * scale) / 1000).toFixed(1).padStart(10)} ${((t.cpu * scale) / 1000).toFixed(1).padStart(10)}  ${extra}`;
const rows: string[] = [
  line('one input gradient', gradient), line('one forward pass', forwardPass),
  line('relu backward, mul', reluMul, `g * (a > 0) on [${batch}, 300]`), line('relu backward, where', reluWhere, 'the same values'),
];
let total = { wall: 0, cpu: 0 };
for (const attack of ladder) {
  let accuracy = 0;
  const t = await measure(attack.name, () => void (accuracy = attackOutcome(attack, classifier, data, { rng: new Rng(4), batchSize: batch }).accuracy),
    runs, () => void attackOutcome(attack, classifier, small, { rng: new Rng(5), batchSize: 50 }));
  total = { wall: total.wall + t.wall, cpu: total.cpu + t.cpu };
  rows.push(line(describe(attack), t, `(${(100 * (1 - accuracy)).toFixed(1)}% fooled)`));
  process.stderr.write(`  ${attack.name}: ${t.wall.toFixed(0)} ms\n`);
}
rows.push(line('whole ladder', total));

function describe(attack: Attack): string {
  return attack.kind === 'black-box' ? `${attack.name} ${attack.iterations}q` : `${attack.name} ${attack.iterations}x${attack.restarts}`;
}

process.stdout.write(
  `${args.backend}, dense-300-100, batch ${batch}, eps ${ball.eps}, rungs: median of ${runs} run(s), unit costs: of 10; load average ${loadavg().map((l) => l.toFixed(1)).join('/')}\n`
  + `${'rung'.padEnd(26)} ${'wall ms'.padStart(9)} ${'cpu ms'.padStart(9)} ${'10k wall s'.padStart(10)} ${'10k cpu s'.padStart(10)}\n${rows.join('\n')}\n`,
);
