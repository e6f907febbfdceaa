/**
 * `npm run bench:peers`: the peer workload (workload.ts; torch_steps.py for PyTorch) on the native backend, the
 * wasm backend (or, until wasm is registered, the reference backend) and PyTorch, one thread each, in one run on
 * this machine. Peers take turns in several rounds, so that load from other processes spreads over all of them;
 * the table gives each step's median over all rounds (with the interquartile range) and its ratio to PyTorch.
 *
 * Options: --rounds R (3)  --seconds S per step kind per round (1)  --backends a,b (default above; a name
 *          followed by :unfused runs that backend without its custom kernels)
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
    python: { type: 'string', default: process.env.RSN_PYTHON ?? '/usr/bin/python3' },
    json: { type: 'string' },
  },
});
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const registered = backendNames();
const backends = values.backends?.split(',') ?? ['native', registered.includes('wasm') ? 'wasm' : 'reference'];
const rounds = Number(values.rounds);
const seconds = values.seconds;
/** One thread everywhere: OpenBLAS, OpenMP (PyTorch), MKL. */
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', RSN_NATIVE_THREADS: '1' };

interface PeerResult {
  peer: string;
  version?: string;
  steps: Partial<Record<StepName, number[]>>;
}

function runPeer(peer: string): PeerResult | string {
  const slow = peer.startsWith('reference');
  const args = ['--seconds', seconds, '--min-iterations', slow ? '3' : '10'];
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

const peers = [...backends, 'pytorch'];
const samples = new Map<string, Map<StepName, number[]>>(peers.map((p) => [p, new Map()]));
const failures = new Map<string, string>();
const versions = new Map<string, string>();
const loadBefore = loadavg()[0]!;
for (let round = 1; round <= rounds; round++) {
  for (const peer of peers) {
    if (failures.has(peer)) continue;
    process.stderr.write(`round ${round}/${rounds}: ${peer}\n`);
    const result = runPeer(peer);
    if (typeof result === 'string') {
      failures.set(peer, result);
      continue;
    }
    if (result.version) versions.set(peer, result.version);
    for (const step of STEPS) samples.get(peer)!.get(step)?.push(...(result.steps[step] ?? [])) ?? samples.get(peer)!.set(step, [...(result.steps[step] ?? [])]);
  }
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const stats = (peer: string, step: StepName) => {
  const times = [...(samples.get(peer)?.get(step) ?? [])].sort((a, b) => a - b);
  return times.length ? { median: quantile(times, 0.5), p25: quantile(times, 0.25), p75: quantile(times, 0.75), n: times.length } : undefined;
};

const ok = peers.filter((p) => !failures.has(p));
const cell = (s: ReturnType<typeof stats>) => (s ? `${s.median.toFixed(2)} (${s.p25.toFixed(2)}-${s.p75.toFixed(2)}, n=${s.n})` : '-');
const widths = [9, ...ok.map(() => 30)];
const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 14)).join(' ');
const jsPeers = ok.filter((p) => p !== 'pytorch');
console.log(`\npeer workload: dense-300-100, batch 60, Adam, masked weights, one thread; ${rounds} rounds x ${seconds} s per step kind`);
console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, node ${process.version}, load average ${loadBefore.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
if (versions.has('pytorch')) console.log(`pytorch ${versions.get('pytorch')}`);
console.log('\nms per step: median (p25-p75, samples)');
console.log(row(['step', ...ok]) + (ok.includes('pytorch') ? jsPeers.map((p) => `${p}/pytorch`.padEnd(18)).join('') : ''));
for (const step of STEPS) {
  const torch = stats('pytorch', step);
  const ratios = torch ? jsPeers.map((p) => `${((stats(p, step)?.median ?? NaN) / torch.median).toFixed(2)}x`.padEnd(18)).join('') : '';
  console.log(row([step, ...ok.map((p) => cell(stats(p, step)))]) + ratios);
}
for (const [peer, why] of failures) console.log(`\n${peer}: not measured: ${why}`);
if (values.json) {
  const raw = Object.fromEntries([...samples].map(([p, m]) => [p, Object.fromEntries(m)]));
  writeFileSync(values.json, JSON.stringify({ rounds, seconds, load: [loadBefore, loadavg()[0]], raw, failures: Object.fromEntries(failures) }));
}
