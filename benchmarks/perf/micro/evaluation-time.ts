/**
 * npx tsx benchmarks/perf/micro/evaluation-time.ts [--root DIR] [--backend native] [--images 5000] [--runs 8]
 *
 * CPU time of one evaluation (core/experiment/evaluate.ts: natural and FGSM loss and accuracy, batches of 1,000)
 * of dense-300-100 on random images, in the rsn checkout at --root (this one by default; older checkouts, whose
 * evaluate() took one set instead of a list, work too), so that two versions can be timed one after the other.
 * Prints the median and the minimum of --runs evaluations after one warm-up.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    root: { type: 'string', default: '.' }, backend: { type: 'string', default: 'native' },
    images: { type: 'string', default: '5000' }, runs: { type: 'string', default: '8' },
  },
});
const root = resolve(args.root!);
const load = (path: string) => import(pathToFileURL(resolve(root, path)).href);
const registry = await load('backends/registry.ts');
const engine = await load('core/autodiff/engine.ts');
const { evaluate } = await load('core/experiment/evaluate.ts');
const { attackSpec } = await load('core/attacks/index.ts');
const { Rng } = await load('core/nn/rng.ts');
const { DENSE_300_100, initialWeights } = await load('core/nn/model.ts');
engine.setActiveBackend(await registry.loadBackend(args.backend!));

const rng = new Rng(1);
const weights: Float32Array[] = initialWeights(DENSE_300_100, rng);
const effective = DENSE_300_100.layers.map((l: { fanIn: number; fanOut: number }, i: number) => engine.fromHost(weights[i], [l.fanIn, l.fanOut]));
const count = Number(args.images);
const images = Float32Array.from({ length: count * 784 }, () => (rng.next() < 0.5 ? 0 : rng.next()));
const labels = Int32Array.from({ length: count }, () => rng.int(10));
const targets = new Float32Array(count * 10);
labels.forEach((label, i) => (targets[i * 10 + label] = 1));
const set = { images, labels, targets, count };
const spec = attackSpec('fgsm');
// evaluate(effective, sets[], ...) since the trial axis; evaluate(effective, set, ...) before it.
const takesSets = /\bsets\b/.test(String(evaluate).split(')')[0]!);
const once = async () => void (await evaluate(effective, takesSets ? [set] : set, spec, 1000, new Rng(3)));

await once();
const times: number[] = [];
for (let i = 0; i < Number(args.runs); i++) {
  const start = process.cpuUsage();
  await once();
  const used = process.cpuUsage(start);
  times.push((used.user + used.system) / 1000);
}
times.sort((a, b) => a - b);
process.stdout.write(`${root}: CPU ms per evaluation of ${count} images (natural + FGSM), median ${times[times.length >> 1]!.toFixed(1)}, min ${times[0]!.toFixed(1)}\n`);
