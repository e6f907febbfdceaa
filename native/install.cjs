#!/usr/bin/env node
/*
 * Builds the addon (build/Release/rsn_native.node) with node-gyp: npm's bundled copy when npm runs this script
 * (npm ci / npm install, or `npm run build:native` at the repository root), else a node-gyp on the PATH.
 * Where Node's own headers sit next to the node binary (<prefix>/include/node), they are used, so that node-gyp
 * downloads nothing. Exits non-zero when the build fails: npm then skips this optional dependency and rsn
 * reports the native backend as unavailable (`rsn backends`), with the command that fixes it.
 */
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const args = ['rebuild'];
const prefix = path.dirname(path.dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const gyp = process.env.npm_config_node_gyp;
const [command, argv] = gyp ? [process.execPath, [gyp, ...args]] : ['node-gyp', args];
const result = spawnSync(command, argv, { stdio: 'inherit', cwd: __dirname });
if (result.status !== 0) {
  process.stderr.write(
    'rsn-native: the native backend could not be built (it needs a C compiler, make, python3 and OpenBLAS).\n' +
      'rsn works without it. To build it: apt-get install -y build-essential python3 libopenblas-dev && npm run build:native\n',
  );
  process.exit(result.status ?? 1);
}
