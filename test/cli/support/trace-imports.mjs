// Loaded with `node --import`: registers trace-hooks.mjs, which appends every resolved module URL to the file
// named by RSN_TRACE_FILE (test/cli/lazy.test.ts reads it).
import { register } from 'node:module';

register('./trace-hooks.mjs', import.meta.url);
