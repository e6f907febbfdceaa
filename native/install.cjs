#!/usr/bin/env node
/*
 * Builds the addon (build/Release/rsn_native.node, next to this file) with node-gyp: npm's bundled copy (the one
 * npm names when it runs this script, as npm ci / npm install / `npm run build:native` do, else the one next to
 * this node's npm), else a node-gyp on the PATH.
 * Where Node's own headers sit next to the node binary (<prefix>/include/node), they are used, so that node-gyp
 * downloads nothing. Exits non-zero when the build fails: npm then skips this optional dependency and rsn
 * reports the native backend as unavailable (`rsn backends`), with the command that fixes it.
 *
 * The matrix products come from oneDNN or OpenBLAS (binding.gyp's rsn_blas): RSN_NATIVE_BLAS=onednn|openblas
 * chooses; without it, on Linux oneDNN where its header (oneapi/dnnl/dnnl.h) is found, else OpenBLAS.
 */
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const LIBRARIES = ['onednn', 'openblas'];
const INSTALL = {
  onednn: 'apt-get install -y build-essential python3 libdnnl-dev',
  openblas: 'apt-get install -y build-essential python3 libopenblas-dev',
};

/** Where the compiler looks for headers: the system's folders and those of CPATH / C_INCLUDE_PATH. */
function includeDirs() {
  const fromEnv = [process.env.CPATH, process.env.C_INCLUDE_PATH].flatMap((v) => (v ? v.split(path.delimiter) : []));
  return [...fromEnv.filter(Boolean), '/usr/local/include', '/usr/include', '/opt/homebrew/include'];
}

const onednnHeader = () => includeDirs().map((d) => path.join(d, 'oneapi', 'dnnl', 'dnnl.h')).find((f) => existsSync(f));

function chooseLibrary() {
  const asked = process.env.RSN_NATIVE_BLAS;
  if (asked !== undefined && asked !== '') {
    if (!LIBRARIES.includes(asked)) {
      process.stderr.write(`rsn-native: RSN_NATIVE_BLAS must be one of ${LIBRARIES.join(', ')}; got '${asked}'\n`);
      process.exit(2);
    }
    if (asked === 'onednn' && !onednnHeader()) {
      process.stderr.write(`rsn-native: RSN_NATIVE_BLAS=onednn but oneDNN's header oneapi/dnnl/dnnl.h is not installed (${INSTALL.onednn})\n`);
      process.exit(2);
    }
    return { library: asked, why: 'RSN_NATIVE_BLAS' };
  }
  // Only Linux builds are set up for oneDNN (binding.gyp links libgomp); elsewhere it is asked for by name.
  const header = process.platform === 'linux' ? onednnHeader() : undefined;
  return header ? { library: 'onednn', why: `found ${header}` } : { library: 'openblas', why: 'oneDNN not found' };
}

const { library, why } = chooseLibrary();
process.stderr.write(`rsn-native: matrix products on ${library === 'onednn' ? 'oneDNN' : 'OpenBLAS'} (${why}; RSN_NATIVE_BLAS=onednn|openblas chooses)\n`);

const args = ['rebuild', `--rsn_blas=${library}`];
const prefix = path.dirname(path.dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
/** npm's bundled node-gyp: the one npm names when it runs this script, else the one next to this node's npm. */
function bundledNodeGyp() {
  const named = process.env.npm_config_node_gyp;
  if (named) return named;
  const nextToNode = path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(nextToNode) ? nextToNode : undefined;
}
const gyp = bundledNodeGyp();
const [command, argv] = gyp ? [process.execPath, [gyp, ...args]] : ['node-gyp', args];
const result = spawnSync(command, argv, { stdio: 'inherit', cwd: __dirname });
if (result.status !== 0) {
  process.stderr.write(
    `rsn-native: the native backend could not be built on ${library} (it needs a C compiler, make, python3 and oneDNN or OpenBLAS).\n` +
      `rsn works without it. To build it: ${INSTALL[library]} && npm run build:native\n`,
  );
  process.exit(result.status ?? 1);
}
