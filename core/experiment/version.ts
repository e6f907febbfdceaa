import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './provenance.js';

/** The version in package.json. */
export const RSN_VERSION: string = (
  JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
).version;
