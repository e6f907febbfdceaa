// A module resolve hook that records each resolved URL, one per line, in $RSN_TRACE_FILE.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.RSN_TRACE_FILE) appendFileSync(process.env.RSN_TRACE_FILE, `${result.url}\n`);
  return result;
}
