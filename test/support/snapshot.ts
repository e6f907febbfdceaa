import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every results file under dir, keyed by its path below dir, for comparing two runs byte for byte: all but the
 * provenance (manifest.json, config.json) and the wall-clock time in summary.json.
 */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => readdirSync(d, { withFileTypes: true }).forEach((e) => {
    const p = join(d, e.name);
    if (e.isDirectory()) return walk(p);
    if (e.name === 'manifest.json' || e.name === 'config.json' || e.name.endsWith('.lock')) return;
    let text = readFileSync(p).toString('base64');
    if (e.name === 'summary.json') text = JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), wall_seconds: 0 });
    out[p.slice(dir.length)] = text;
  });
  walk(dir);
  return out;
}
