/**
 * `npm run bench:peers`: the peer workload (workload.ts; torch_steps.py for PyTorch) on the native backend, the
 * wasm backend (or, until wasm is registered, the reference backend) and PyTorch, one thread each, in one run on
 * this machine, for dense-300-100 and LeNet-5. Peers take turns in several rounds, so that load from other
 * processes spreads over all of them; a table per model gives each step's median over all rounds (with the
 * interquartile range) and its ratio to PyTorch.
 *
 * Options: --rounds R (3)  --seconds S per step kind per round (1)  --backends a,b (default above; a name
 *          followed by :unfused runs that backend without its custom kernels)
 *          --models a,b (dense-300-100,lenet5; LeNet-5 runs on the backends that have convolution kernels,
 *          native by default, where --backends does not name others)
 *          --python PATH (RSN_PYTHON, else /usr/bin/python3)  --json FILE (raw times)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backendNames } from '../../../backends/registry.js';
import { STEPS, type StepName } from './workload.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '1' },
    backends: { type: 'string' },
    models: { type: 'string', default: 'dense-300-100,lenet5' },
    python: { type: 'string', default: process.env.RSN_PYTHON ?? '/usr/bin/python3' },
    json: { type: 'string' },
  },
});
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const registered = backendNames();
const models = values.models.split(',');
/** Per model, its JS peers: those named, else the defaults (the convolutional models: native, whose kernels they measure). */
const backendsOf = (model: string): string[] =>
  values.backends?.split(',') ?? (model === 'dense-300-100' ? ['native', registered.includes('wasm') ? 'wasm' : 'reference'] : ['native']);
const rounds = Number(values.rounds);
const seconds = values.seconds;
/** One thread everywhere: OpenBLAS, OpenMP (PyTorch), MKL. */
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', RSN_NATIVE_THREADS: '1' };

interface PeerResult {
  peer: string;
  version?: string;
  steps: Partial<Record<StepName, number[]>>;
}

function runPeer(peer: string, model: string): PeerResult | string {
  const slow = peer.startsWith('reference');
  const args = ['--model', model, '--seconds', seconds, '--min-iterations', slow ? '3' : '10'];
  const [command, argv] = peer === 'pytorch'
    ? [values.python, [here('./torch_steps.py'), ...args]]
    : [process.execPath, ['--import', 'tsx', here('./worker.ts'), peer, ...args]];
  const result = spawnSync(command, argv, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const line = result.stdout?.trim().split('\n').pop();
  if (result.status !== 0 || !line) {
    const why = (result.stderr || result.error?.message || 'no output').trim().split('\n').slice(-3).join(' | ');
    return peer === 'pytorch' ? `PyTorch did not run (${why}); on Debian: apt-get install -y python3-torch` : why;
  }
  return JSON.parse(line) as PeerResult;
}

/** Samples, failures and the peers of each model, keyed `model/peer`. */
const peersOf = (model: string) => [...backendsOf(model), 'pytorch'];
const at = (model: string, peer: string) => `${model}/${peer}`;
const samples = new Map<string, Map<StepName, number[]>>();
const failures = new Map<string, string>();
const versions = new Map<string, string>();
const loadBefore = loadavg()[0]!;
for (let round = 1; round <= rounds; round++) {
  for (const model of models) {
    for (const peer of peersOf(model)) {
      if (failures.has(at(model, peer))) continue;
      process.stderr.write(`round ${round}/${rounds}: ${model} on ${peer}\n`);
      const result = runPeer(peer, model);
      if (typeof result === 'string') {
        failures.set(at(model, peer), result);
        continue;
      }
      if (result.version) versions.set(peer, result.version);
      const mine = samples.get(at(model, peer)) ?? new Map<StepName, number[]>();
      samples.set(at(model, peer), mine);
      for (const step of STEPS) mine.set(step, [...(mine.get(step) ?? []), ...(result.steps[step] ?? [])]);
    }
  }
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const stats = (key: string, step: StepName) => {
  const times = [...(samples.get(key)?.get(step) ?? [])].sort((a, b) => a - b);
  return times.length ? { median: quantile(times, 0.5), p25: quantile(times, 0.25), p75: quantile(times, 0.75), n: times.length } : undefined;
};

const cell = (s: ReturnType<typeof stats>) => (s ? `${s.median.toFixed(2)} (${s.p25.toFixed(2)}-${s.p75.toFixed(2)}, n=${s.n})` : '-');
console.log(`\npeer workload: batch 60, Adam, masked kernels, one thread; ${rounds} rounds x ${seconds} s per step kind`);
console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, node ${process.version}, load average ${loadBefore.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
if (versions.has('pytorch')) console.log(`pytorch ${versions.get('pytorch')}`);
for (const model of models) {
  const ok = peersOf(model).filter((p) => !failures.has(at(model, p)));
  const widths = [9, ...ok.map(() => 30)];
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 14)).join(' ');
  const jsPeers = ok.filter((p) => p !== 'pytorch');
  console.log(`\n${model}: ms per step: median (p25-p75, samples)`);
  console.log(row(['step', ...ok]) + (ok.includes('pytorch') ? jsPeers.map((p) => `${p}/pytorch`.padEnd(18)).join('') : ''));
  for (const step of STEPS) {
    const torch = stats(at(model, 'pytorch'), step);
    const ratios = torch ? jsPeers.map((p) => `${((stats(at(model, p), step)?.median ?? NaN) / torch.median).toFixed(2)}x`.padEnd(18)).join('') : '';
    console.log(row([step, ...ok.map((p) => cell(stats(at(model, p), step)))]) + ratios);
  }
}
for (const [key, why] of failures) console.log(`\n${key}: not measured: ${why}`);
if (values.json) {
  const raw = Object.fromEntries([...samples].map(([p, m]) => [p, Object.fromEntries(m)]));
  writeFileSync(values.json, JSON.stringify({ rounds, seconds, load: [loadBefore, loadavg()[0]], raw, failures: Object.fromEntries(failures) }));
}
