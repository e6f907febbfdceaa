/**
 * Times one micro-benchmark item of the rsn checkout at --root (by default this one) and prints
 * {"median": ms, "min": ms} as JSON (wall time, or with --clock cpu the CPU time of this process). Used by
 * compare.ts to run the same item in two checkouts by turns; it
 * imports the other checkout's own code, so the item must exist there under the same name.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    root: { type: 'string', default: '.' }, item: { type: 'string' }, runs: { type: 'string', default: '25' }, backend: { type: 'string', default: 'wasm' },
    clock: { type: 'string', default: 'wall' },
  },
});
const root = resolve(args.root!);
const load = (path: string) => import(pathToFileURL(resolve(root, path)).href);
/** The first of `paths` that exists in the checkout: the layout changed (benchmarks/micro -> benchmarks/perf/micro). */
const loadFirst = (...paths: string[]) => load(paths.find((p) => existsSync(resolve(root, p)))!);

type Registry = { loadBackend?: (name: string) => Promise<unknown>; useBackend?: (name: string) => Promise<unknown> };
const registry = (await load('backends/registry.ts')) as Registry;
const { workloads } = (await loadFirst('benchmarks/perf/micro/items.ts', 'benchmarks/micro/items.ts')) as {
  workloads: (evalImages: number, evalBatch: number) => { items: { name: string; run: () => void }[]; dispose: () => void };
};
// Older checkouts' registries activated the backend they loaded; newer ones leave that to the caller.
if (registry.loadBackend) {
  const { setActiveBackend } = (await load('core/autodiff/engine.ts')) as { setActiveBackend: (backend: unknown) => void };
  setActiveBackend(await registry.loadBackend(args.backend!));
} else {
  await registry.useBackend!(args.backend!);
}
const { items, dispose } = workloads(1, 1);
const item = items.find((i) => i.name.startsWith(args.item ?? ''));
if (!item) {
  process.stderr.write(`item-runner: no item starting with '${args.item}' in ${root} (items: ${items.map((i) => i.name).join('; ')})\n`);
  process.exit(2);
}
const runs = Number(args.runs);
for (let i = 0; i < 5; i++) item.run();
const times: number[] = [];
const cpu = args.clock === 'cpu';
for (let i = 0; i < runs; i++) {
  const [start, startCpu] = [performance.now(), process.cpuUsage()];
  item.run();
  const used = process.cpuUsage(startCpu);
  times.push(cpu ? (used.user + used.system) / 1000 : performance.now() - start);
}
dispose();
times.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ median: times[runs >> 1], min: times[0] })}\n`);
