import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `rsn ...args` as a real process (reference backend unless the environment says otherwise). */
export async function rsn(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/rsn.js', ...args], {
      env: { ...process.env, RSN_BACKEND: 'reference', ...env }, maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A small, fast configuration: two rounds of 20 iterations on 200 validation and 200 test images. */
export const SMALL = ['--train_iters', '20', '--eval_every', '10', '--prune_iters', '1', '--valid_size', '200', '--test_size', '200', '--trials', '1'];

/** No raw stack trace: no "    at f (file:line)" frames and no bare JavaScript error names. */
export const hasStackTrace = (text: string): boolean => /\n\s+at .+:\d+:\d+\)?/.test(text) || /^(TypeError|SyntaxError|Error):/m.test(text);

/** Lines a dependency prints (Dawn, vega, tfjs, Node's own warnings), none of which rsn's output may hold. */
export const THIRD_PARTY = /^(Warning: |WARN |Hi there|\(node:\d+\)|.*BackendVk\.cpp|.*Couldn't load Vulkan|.*Platform \w+ has already been set)/m;
