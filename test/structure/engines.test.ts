/**
 * No dependency in package-lock.json asks for a newer Node than package.json's engines promise (npm ci would
 * warn EBADENGINE on that Node, as vega-lite 6.5.0, which needs Node 22, did on Node 20). .ci/run also fails on
 * the warning itself; this checks the lockfile without installing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Version = [number, number, number];

const parse = (v: string): Version => {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, '').split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
  return [a, b, c];
};
const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether `version` satisfies one comparator of a node-semver range (>=, >, <=, <, ^, ~, =, x-ranges like 6.* or 4.x). */
function comparator(version: Version, c: string): boolean {
  const m = /^(>=|<=|>|<|\^|~|=)?\s*v?([\dx*.]+)$/.exec(c.trim());
  if (!m) throw new Error(`unsupported range '${c}'`);
  const [, op = '', raw] = m;
  const parts = raw!.split('.');
  const wild = parts.findIndex((p) => p === 'x' || p === '*');
  const given = wild === -1 ? parts.length : wild;
  const v = parse(parts.slice(0, given).join('.'));
  if (op === '>=') return compare(version, v) >= 0;
  if (op === '>') return compare(version, v) > 0;
  if (op === '<=') return compare(version, v) <= 0;
  if (op === '<') return compare(version, v) < 0;
  if (op === '^') return compare(version, v) >= 0 && version[0] === v[0];
  if (op === '~') return compare(version, v) >= 0 && version[0] === v[0] && (given < 2 || version[1] === v[1]);
  // exact or x-range: the given parts must match
  return version.slice(0, given).every((n, i) => n === v[i]);
}

const satisfies = (version: string, range: string): boolean =>
  range.split('||').some((set) => set.trim().replace(/(>=|<=|>|<)\s+/g, '$1').split(/\s+/).every((c) => comparator(parse(version), c)));

describe('engines', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } }> };
  const oldest = /^>=\s*([\d.]+)$/.exec(pkg.engines.node)![1]!;

  it('the range reader agrees with node-semver on the lockfile\'s forms', () => {
    expect(satisfies('20.19.0', '>=22')).toBe(false);
    expect(satisfies('20.19.0', '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies('20.18.0', '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies('20.19.0', '6.* || 8.* || >= 10.*')).toBe(true);
    expect(satisfies('20.19.0', '^10 || ^12 || ^13.7 || ^14 || >=15.0.1')).toBe(true);
  });

  it(`every locked package runs on the oldest Node package.json promises (${pkg.engines.node})`, () => {
    const unsupported = Object.entries(lock.packages)
      .filter(([, p]) => p.engines?.node && !satisfies(oldest, p.engines.node))
      .map(([name, p]) => `${name}@${p.version}: node ${p.engines!.node}`);
    expect(unsupported).toEqual([]);
  });
});
