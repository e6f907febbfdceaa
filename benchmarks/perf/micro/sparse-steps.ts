/**
 * npx tsx benchmarks/perf/micro/sparse-steps.ts [--backend native] [--rounds 5] [--runs 15]
 *
 * The step items of bench:micro at the six pruning levels (items.ts, PRUNED_ROUNDS), timed by turns: each round
 * times every item (runs median), rotating the order, so that a shared machine's drift reaches all of them
 * alike. Prints, per kind of step, the median over rounds at each level and its ratio to the dense (100%) step,
 * in wall time and in CPU time of this process (which a machine shared with other work disturbs less).
 */
import { parseArgs } from 'node:util';
import { loadBackend } from '../../../backends/registry.js';
import { setActiveBackend } from '../../../core/autodiff/engine.js';
import { workloads } from './items.js';

const { values: args } = parseArgs({
  options: { backend: { type: 'string', default: 'native' }, rounds: { type: 'string', default: '5' }, runs: { type: 'string', default: '15' } },
});
setActiveBackend(await loadBackend(args.backend!));
const { items, dispose } = workloads(1, 1);
const steps = items.filter((i) => / step at /.test(i.name));
const runs = Number(args.runs);
const medians = { wall: new Map<string, number[]>(steps.map((i) => [i.name, []])), cpu: new Map<string, number[]>(steps.map((i) => [i.name, []])) };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (let round = 0; round < Number(args.rounds); round++) {
  const order = steps.map((_, k) => steps[(k + round * 5) % steps.length]!);
  for (const item of order) {
    for (let i = 0; i < 3; i++) item.run();
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const [start, startCpu] = [performance.now(), process.cpuUsage()];
      item.run();
      const used = process.cpuUsage(startCpu);
      wall.push(performance.now() - start);
      cpu.push((used.user + used.system) / 1000);
    }
    medians.wall.get(item.name)!.push(median(wall));
    medians.cpu.get(item.name)!.push(median(cpu));
  }
  process.stderr.write(`round ${round + 1}/${args.rounds} done\n`);
}
dispose();
const lines = ['| step | ' + steps.filter((i) => i.name.startsWith('natural')).map((i) => i.name.replace('natural step at ', '').replace(' weights', '')).join(' | ') + ' |'];
lines.push(`|---|${steps.filter((i) => i.name.startsWith('natural')).map(() => '---').join('|')}|`);
for (const clock of ['wall', 'cpu'] as const) {
  for (const kind of ['natural', 'FGSM', 'PGD-10']) {
    const row = steps.filter((i) => i.name.startsWith(`${kind} step`)).map((i) => median(medians[clock].get(i.name)!));
    lines.push(`| ${kind}, ${clock} ms (ratio to dense) | ${row.map((ms) => `${ms.toFixed(2)} (${(ms / row[0]!).toFixed(2)})`).join(' | ')} |`);
  }
}
process.stdout.write(`${args.backend}, medians of ${args.rounds} rounds' medians of ${runs} runs\n${lines.join('\n')}\n`);
