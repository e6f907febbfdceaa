/**
 * Leases: at most one live process works on a piece of results (a trial folder) at a time, also across machines
 * sharing a file system. A lease is proper-lockfile's lock: a folder `.lease` created atomically (mkdir) inside
 * the work folder, its modification time refreshed every staleMs / 4 by the holder, and taken over by anyone
 * once it is older than staleMs (its holder died or lost the file system). `.lease/owner.json` records the
 * holder's host, pid, start time and command, so a refused run can say who holds the work.
 */
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type * as Lockfile from 'proper-lockfile';
import { writeFileAtomic } from './atomic.js';
import { ConfigError } from '../errors.js';

/** The lease folder inside a work folder (hidden: the report and numpy habits never see it). */
export const LEASE_DIR = '.lease';
const OWNER_FILE = '.lease-owner.json';

export interface LeaseOwner {
  readonly host: string;
  readonly pid: number;
  /** ISO time the lease was taken. */
  readonly since: string;
  readonly command: string;
}

export interface Lease {
  readonly dir: string;
  readonly owner: LeaseOwner;
  /** Give the lease up (synchronous, so that it also works from exit and signal handlers); idempotent. */
  release(): void;
}

export interface Holder {
  /** Undefined while the holder has not yet written its record (it took the lease a moment ago). */
  readonly owner: LeaseOwner | undefined;
  /** Seconds since the holder last refreshed the lease. */
  readonly refreshedSecondsAgo: number;
}

export type LeaseResult = { readonly lease: Lease } | { readonly heldBy: Holder };

export interface LeaseOptions {
  /** A lease not refreshed for this long is taken over (default leaseStaleMs()). */
  readonly staleMs?: number;
  /** Called when the lease was lost (someone took it over, or its folder vanished): stop writing at once. */
  readonly onLost?: (error: Error) => void;
  /** Recorded in owner.json (default: this process's command line). */
  readonly command?: string;
}

/** The environment variable that sets how long a lease may go unrefreshed before others take it over. */
export const LEASE_STALE_ENV = 'RSN_LEASE_STALE_S';

/** RSN_LEASE_STALE_S (a number of seconds, at least 2), else 60; anything else is refused, naming the value. */
export function leaseStaleMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const given = env[LEASE_STALE_ENV];
  if (given === undefined || given.trim() === '') return 60_000;
  const seconds = Number(given);
  if (!/^\s*[0-9]+(\.[0-9]+)?\s*$/.test(given) || !Number.isFinite(seconds) || seconds < 2) {
    throw new ConfigError(`${LEASE_STALE_ENV} must be a number of seconds >= 2; got '${given}'`, `unset it for the default (60), or set e.g. ${LEASE_STALE_ENV}=120`);
  }
  return seconds * 1000;
}

/**
 * proper-lockfile is imported on first use only: it installs exit and signal handlers (signal-exit), and a
 * process that never takes a lease (a worker busy in synchronous training) must keep the default ones, which
 * stop it at once on SIGINT/SIGTERM.
 */
type Library = Pick<typeof Lockfile, 'lock' | 'unlockSync'>;
let lockfileModule: Library | undefined;
const lockfile = async (): Promise<Library> => {
  const module = (await import('proper-lockfile')) as unknown as Library & { default?: Library };
  return (lockfileModule ??= module.default ?? module);
};

const lockOptions = (dir: string) => ({ realpath: false, lockfilePath: join(dir, LEASE_DIR) });

export const leaseDir = (dir: string): string => join(dir, LEASE_DIR);

/** The holder of a work folder's lease as recorded, or undefined when it is not leased. */
export function readHolder(dir: string): Holder | undefined {
  let mtime: number;
  try {
    mtime = fs.statSync(leaseDir(dir)).mtimeMs;
  } catch {
    return undefined;
  }
  let owner: LeaseOwner | undefined;
  try {
    owner = JSON.parse(fs.readFileSync(join(dir, OWNER_FILE), 'utf8')) as LeaseOwner;
  } catch {
    owner = undefined;
  }
  return { owner, refreshedSecondsAgo: Math.max(0, (Date.now() - mtime) / 1000) };
}

/** Is the work folder leased by a live holder (refreshed within staleMs)? */
export function isLeased(dir: string, staleMs = leaseStaleMs()): boolean {
  const holder = readHolder(dir);
  return holder !== undefined && holder.refreshedSecondsAgo * 1000 < staleMs;
}

/** "host example pid 123 (since 2026-01-01T00:00:00Z, refreshed 3s ago: rsn train ...)". */
export function describeHolder(holder: Holder): string {
  const age = `refreshed ${Math.round(holder.refreshedSecondsAgo)}s ago`;
  if (!holder.owner) return `another process (it took the lease a moment ago; ${age})`;
  const { host, pid, since, command } = holder.owner;
  return `host ${host} pid ${pid} (since ${since}, ${age}: ${command})`;
}

/**
 * Take the lease of work folder `dir` (created if missing), or say who holds it. Never waits: a caller that
 * wants to wait asks again later. A lease older than staleMs is taken over.
 */
export async function acquireLease(dir: string, options: LeaseOptions = {}): Promise<LeaseResult> {
  const staleMs = options.staleMs ?? leaseStaleMs();
  fs.mkdirSync(dir, { recursive: true });
  const library = await lockfile();
  let released = false;
  try {
    await library.lock(dir, {
      ...lockOptions(dir), stale: staleMs, update: Math.max(1000, staleMs / 4), retries: 0,
      onCompromised: (error) => {
        released = true;
        options.onLost?.(error);
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    return { heldBy: readHolder(dir) ?? { owner: undefined, refreshedSecondsAgo: 0 } };
  }
  const owner: LeaseOwner = {
    host: hostname(), pid: process.pid, since: new Date().toISOString(),
    command: options.command ?? ['rsn', ...process.argv.slice(2)].join(' '),
  };
  writeFileAtomic(join(dir, OWNER_FILE), `${JSON.stringify(owner, null, 2)}\n`);
  return {
    lease: {
      dir, owner,
      release: () => {
        if (released) return;
        released = true;
        fs.rmSync(join(dir, OWNER_FILE), { force: true });
        try {
          library.unlockSync(dir, lockOptions(dir));
        } catch (error) {
          // Already released, or taken over after going stale: either way it is not ours to remove.
          if (!['ENOTACQUIRED', 'ERELEASED', 'ENOENT'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
        }
      },
    },
  };
}
