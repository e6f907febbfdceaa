/**
 * The import rules that README's layout section states: one direction
 * (cli -> benchmarks -> api -> core <- backends, api -> backends), no cycles, and inside core the tensor library (autodiff, nn,
 * attacks, pruning) independent of the application (data, experiment, results, report).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_DIRS = ['api', 'core', 'backends', 'benchmarks', 'cli'];
const LIBRARY = ['core/autodiff', 'core/nn', 'core/attacks', 'core/pruning'];

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return name === 'node_modules' || name === 'build' ? [] : sources(path);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [normalize(path)] : [];
  });
}

const files = SOURCE_DIRS.flatMap(sources);
const known = new Set(files);
/** `import ... from '...'`, `export ... from '...'`, `import '...'` and `import('...')` of relative paths. */
const IMPORT = /(?:import|export)[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Relative imports of one file, resolved to repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(IMPORT)].flatMap((m) => {
    const base = normalize(join(dirname(file), m[1] ?? m[2]!));
    const target = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')].find((c) => known.has(c));
    return target ? [target] : [];
  });
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));
const area = (file: string) => file.split('/')[0]!;
const under = (file: string, dirs: readonly string[]) => dirs.some((d) => file.startsWith(`${d}/`));

function cycles(): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const found: string[][] = [];
  const visit = (file: string, path: string[]) => {
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), file, next]);
      else if (!state.has(next)) visit(next, [...path, file]);
    }
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file, []);
  return found;
}

const violations = (rule: (from: string, to: string) => boolean): string[] =>
  [...graph].flatMap(([from, targets]) => targets.filter((to) => rule(from, to)).map((to) => `${from} -> ${relative('.', to)}`));

describe('import structure', () => {
  it('finds the project\'s sources and their imports', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get(normalize('core/nn/train-step.ts'))).toContain(normalize('core/autodiff/engine.ts'));
  });

  it('has no import cycle', () => {
    expect(cycles()).toEqual([]);
  });

  it('core imports nothing outside core', () => {
    expect(violations((from, to) => area(from) === 'core' && area(to) !== 'core')).toEqual([]);
  });

  it('api imports only core, backends and api (the library surface; cli and benchmarks build on it)', () => {
    expect(violations((from, to) => area(from) === 'api' && !['core', 'backends', 'api'].includes(area(to)))).toEqual([]);
  });

  it('backends import only core and backends; benchmarks never import cli', () => {
    expect(violations((from, to) => area(from) === 'backends' && !['core', 'backends'].includes(area(to)))).toEqual([]);
    expect(violations((from, to) => area(from) === 'benchmarks' && area(to) === 'cli')).toEqual([]);
  });

  it('the tensor library (autodiff, nn, attacks, pruning) depends on none of the application', () => {
    expect(violations((from, to) => under(from, LIBRARY) && !under(to, LIBRARY) && to !== normalize('core/errors.ts'))).toEqual([]);
  });
});
