/**
 * The package's export: `import ... from 'rsn'` resolves through package.json's "exports" to the compiled
 * dist/api/index.js, with its declarations for TypeScript. Needs dist/ (npm ci builds it: the `postprepare` script);
 * skipped, with the reason, where it is not built.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }>; };
const built = existsSync(join(root, 'dist', 'api', 'index.d.ts'));
const work = join(root, 'scratch', `exports-test-${process.pid}`);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('package.json', () => {
  it('exports the API with its types', () => {
    expect(pkg.exports['.']).toEqual({ types: './dist/api/index.d.ts', default: './dist/api/index.js' });
  });
});

describe.skipIf(!built)(`import from 'rsn'${built ? '' : ' (skipped: dist/ not built; npm run build)'}`, () => {
  it('loads the compiled API in Node', () => {
    const out = execFileSync('node', ['--input-type=module', '-e', "const m = await import('rsn'); console.log(typeof m.runExperiment, typeof m.loadResults, m.DEFAULT_BACKEND)"], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function function wasm');
  });

  it('gives TypeScript the declarations: right uses compile, wrong ones do not', () => {
    mkdirSync(work, { recursive: true });
    const tsconfig = { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'] }, files: ['consumer.ts'] };
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = (source: string) => {
      writeFileSync(join(work, 'consumer.ts'), source);
      try {
        execFileSync('node', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', work], { encoding: 'utf8' });
        return '';
      } catch (error) {
        return String((error as { stdout?: string }).stdout);
      }
    };
    expect(tsc("import { runExperiment, type EvaluationRecord } from 'rsn';\n" +
      "const log = (r: EvaluationRecord): number => r.test_acc;\n" +
      "export const run = () => runExperiment({ experiment: 'reinit_rand', trials: 1 }, { onEvaluation: (r) => { log(r); } });\n")).toBe('');
    expect(tsc("import { runExperiment } from 'rsn';\nexport const run = () => runExperiment({ experiment: 'prune_everything' });\n")).toMatch(/prune_everything/);
  });
});

describe('the examples of the API', () => {
  it("import only names the package exports (api/index.ts's comment, README, docs/library.md)", async () => {
    const api = (await import('../../api/index.js')) as Record<string, unknown>;
    const sources = ['api/index.ts', 'README.md', 'docs/library.md'].map((f) => readFileSync(join(root, f), 'utf8'));
    const imported = sources.flatMap((text) => [...text.matchAll(/import \{([^}]+)\} from 'rsn'/g)].flatMap((m) => m[1]!.split(',')))
      .map((name) => name.trim()).filter((name) => name !== '' && !name.startsWith('type '));
    expect(imported.length).toBeGreaterThan(5);
    expect(imported.filter((name) => !(name in api))).toEqual([]);
  });
});
