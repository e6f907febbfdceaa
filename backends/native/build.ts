/**
 * Builds the addon on a chosen library of the matrix products into a folder of its own (native/install.cjs with
 * RSN_NATIVE_BLAS): what a benchmark or a test of the other library loads next to the default build
 * (loadAddon(path), or RSN_NATIVE_ADDON=path for a child process).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../core/experiment/provenance.js';
import type { ProductLibrary } from './addon.js';

const NATIVE_DIR = join(packageRoot(), 'native');

export type Built = { readonly folder: string; readonly addonPath: string; readonly reason?: undefined } | { readonly folder: string; readonly reason: string };

/** Copy native/'s sources to a new temporary folder and build them there on `library` (about 10 s of compiling). */
export function buildAddonOn(library: ProductLibrary): Built {
  const folder = mkdtempSync(join(tmpdir(), `rsn-native-${library}-`));
  for (const entry of ['binding.gyp', 'install.cjs', 'package.json', 'src']) cpSync(join(NATIVE_DIR, entry), join(folder, entry), { recursive: true });
  const result = spawnSync(process.execPath, [join(folder, 'install.cjs')], {
    cwd: folder, env: { ...process.env, RSN_NATIVE_BLAS: library }, encoding: 'utf8',
  });
  if (result.status === 0) return { folder, addonPath: join(folder, 'build', 'Release', 'rsn_native.node') };
  const why = (result.stderr || result.error?.message || '').trim().split('\n').slice(-2).join(' | ');
  return { folder, reason: `the addon could not be built on ${library}: ${why}` };
}
