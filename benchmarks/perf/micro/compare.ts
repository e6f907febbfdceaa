/**
 * npm run bench:compare -- --item "PGD-10" [--rounds 10] [--runs 25] [--backend wasm] [--clock wall|cpu] DIR_A DIR_B
 *
 * One micro-benchmark item in two rsn checkouts (say, before and after a change), in alternating processes:
 * round r runs A then B, round r+1 runs B then A, so both see the same drift of a shared machine. Prints each
 * round's medians, the median of the medians for each checkout, and their ratio B / A. --clock cpu times the
 * CPU time of the process instead of wall time (steadier on a machine shared with other work).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args, positionals: dirs } = parseArgs({
  allowPositionals: true,
  options: {
    item: { type: 'string' }, rounds: { type: 'string', default: '10' }, runs: { type: 'string', default: '25' },
    backend: { type: 'string', default: 'wasm' }, clock: { type: 'string', default: 'wall' },
  },
});
if (!args.item || dirs.length !== 2) {
  process.stderr.write('usage: npm run bench:compare -- --item NAME_PREFIX [--rounds N] [--runs N] [--backend NAME] DIR_A DIR_B\n');
  process.exit(2);
}
const runner = fileURLToPath(new URL('./item-runner.ts', import.meta.url));
const medians: [number[], number[]] = [[], []];
for (let round = 0; round < Number(args.rounds); round++) {
  for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
    let out: string;
    try {
      out = execFileSync(process.execPath, [...process.execArgv, runner, '--root', dirs[which]!, '--item', args.item, '--runs', args.runs!, '--backend', args.backend!, '--clock', args.clock!], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
      });
    } catch {
      process.stderr.write(`bench:compare: the run in ${dirs[which]} failed (its message is above)\n`);
      process.exit(1);
    }
    medians[which]!.push((JSON.parse(out.trim().split('\n').pop()!) as { median: number }).median);
  }
  process.stderr.write(`round ${round + 1}/${args.rounds}: A ${medians[0].at(-1)!.toFixed(2)} ms, B ${medians[1].at(-1)!.toFixed(2)} ms\n`);
}
const middle = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const [a, b] = [middle(medians[0]), middle(medians[1])];
process.stdout.write(`${args.item}: A ${dirs[0]} ${a.toFixed(2)} ms, B ${dirs[1]} ${b.toFixed(2)} ms (medians of ${args.rounds} rounds' medians of ${args.runs} runs); B / A = ${(b / a).toFixed(3)}\n`);
