/**
 * The worker processes of the one orchestration path (core/experiment/orchestrate.ts), as this package runs
 * them: the entry the parent forks (`rsn _worker`, through bin/rsn.js, which guards signals and closed pipes
 * before anything loads) and the worker side, with this package's backends.
 */
import { join } from 'node:path';
import { chooseBackend } from '../backends/registry.js';
import type { WorkerEntry } from '../core/experiment/jobs/spawn.js';
import { serveJobs } from '../core/experiment/jobs/worker.js';
import { packageRoot } from '../core/experiment/provenance.js';
import { backendDetails } from './provenance.js';

/** bin/rsn.js below the package root, whether the sources or dist/ run. */
export const WORKER_ENTRY: WorkerEntry = { module: join(packageRoot(), 'bin', 'rsn.js'), args: ['_worker'] };

/** Serve jobs from the parent process until it says stop. */
export const serveWorker = (): Promise<void> => serveJobs({ loadBackend: (name) => chooseBackend(name), describeBackend: backendDetails });
