import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { acquireLease, describeHolder, isLeased, leaseStaleMs, readHolder } from '../../core/results/lease.js';

const temp = () => join(mkdtempSync(join(tmpdir(), 'rsn-lease-unit-')), 'trial_00');

describe('leases (one process; the races between processes are in test/cli/leases.test.ts)', () => {
  it('records host and pid, refuses a second taker while held, and is free again once released', async () => {
    const dir = temp();
    const first = await acquireLease(dir);
    if (!('lease' in first)) throw new Error('not acquired');
    expect(first.lease.owner).toMatchObject({ host: hostname(), pid: process.pid });
    expect(isLeased(dir)).toBe(true);
    const second = await acquireLease(dir);
    if (!('heldBy' in second)) throw new Error('acquired twice');
    expect(describeHolder(second.heldBy)).toContain(`host ${hostname()} pid ${process.pid}`);
    first.lease.release();
    first.lease.release();
    expect(readHolder(dir)).toBeUndefined();
    const third = await acquireLease(dir);
    expect('lease' in third).toBe(true);
    if ('lease' in third) third.lease.release();
  });

  it('takes over a lease that was not refreshed within the stale time', async () => {
    const dir = temp();
    mkdirSync(join(dir, '.lease'), { recursive: true });
    writeFileSync(join(dir, '.lease-owner.json'), JSON.stringify({ host: 'gone', pid: 1, since: 'x', command: 'rsn' }));
    const old = new Date(Date.now() - 10_000);
    utimesSync(join(dir, '.lease'), old, old);
    expect(isLeased(dir, 5000)).toBe(false);
    const got = await acquireLease(dir, { staleMs: 5000 });
    if (!('lease' in got)) throw new Error('stale lease not taken over');
    expect(JSON.parse(readFileSync(join(dir, '.lease-owner.json'), 'utf8')).pid).toBe(process.pid);
    got.lease.release();
    expect(existsSync(join(dir, '.lease'))).toBe(false);
  });

  it('reads its stale time from RSN_LEASE_STALE_S (seconds, at least 2; default 60 s)', () => {
    expect(leaseStaleMs({})).toBe(60_000);
    expect(leaseStaleMs({ RSN_LEASE_STALE_S: '' })).toBe(60_000);
    expect(leaseStaleMs({ RSN_LEASE_STALE_S: '5' })).toBe(5000);
    expect(leaseStaleMs({ RSN_LEASE_STALE_S: '2.5' })).toBe(2500);
  });

  it('refuses a RSN_LEASE_STALE_S that is not a number of seconds >= 2, naming the value (it used to become 60 silently)', () => {
    for (const bad of ['abc', '0.5', '0', '-5', '1e3', '0x10', 'Infinity', '60s']) {
      expect(() => leaseStaleMs({ RSN_LEASE_STALE_S: bad }), bad).toThrow(ConfigError);
      expect(() => leaseStaleMs({ RSN_LEASE_STALE_S: bad }), bad).toThrow(`RSN_LEASE_STALE_S must be a number of seconds >= 2; got '${bad}'`);
    }
  });
});
